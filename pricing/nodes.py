"""Node facts per instance type: what one node gives pods (allocatable), how many pods it takes
(max pods), and whether a cluster's autoscaler launches it at all. Pure, no I/O, cheap enough to
call for every offer of a catalog (the node-true solver asks for ~10k).

A pod is scheduled against a node's **allocatable**, not its capacity (REFERENCE §10)::

    allocatable = capacity − VM memory overhead − kube-reserved − system-reserved − eviction threshold
                  − the cluster's daemonset requests

per cloud:

* **aws** (EKS AMIs, as karpenter-provider-aws ``pkg/providers/instancetype/types.go`` computes it
  before launching): kube-reserved memory ``11 MiB × maxPods + 255 MiB``; kube-reserved CPU 6 % of
  the first core, 1 % of the second, 0.5 % of cores 3–4, 0.25 % of every core above 4; eviction
  ``memory.available`` 100 MiB. Graviton (arm64) types lose another 64 MiB of capacity to CMA.
* **gcp** (GKE docs "Standard cluster architecture", node allocatable): memory reserved 255 MiB on
  machines under 1 GiB, else 25 % of the first 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % of
  the next 112 and 2 % above 128 GiB; CPU as aws; eviction 100 MiB.
* **azure** (karpenter-provider-azure ``instancetype.go`` ``KubeReservedResources``; AKS docs "resource
  reservations"): memory tiers as gcp (no 1 GiB special case); CPU 6 % of the first core, 4 % of the
  second, 2 % of cores 3–4, 1 % above; eviction 750 MiB.
* **any other cloud** (private/custom): no published formula exists, so we use the GKE-like generic
  one (gcp's memory tiers and CPU, eviction 100 MiB): a kubeadm node reserves nothing by default,
  and the generic formula is the conservative choice for a node whose reservations we cannot see.

All clouds: the VM memory overhead is Karpenter's ``vmMemoryOverheadPercent`` (default 7.5 % of the
machine's memory: memory the hypervisor and guest kernel keep before the kubelet sees any); on GKE,
which runs no Karpenter, the same fraction stands in for the guest kernel's share. System-reserved is
0 on all three (none of the EKS AMIs, GKE or AKS sets it; it is part of the figures above). Memory
tiers are taken of the machine's nominal memory, as GKE documents and Karpenter on Azure computes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pricing.eni_limits import eni_max_pods
from pricing.offer import instance_arch

_MIB_IN_GIB = 1024.0


@dataclass(frozen=True, slots=True)
class NodeAllocatable:
    """What pods can request on one node: CPU cores, memory in GiB, pod slots."""

    cpu: float  # vCPU (cores) pods can request on one node
    memory_gib: float  # GiB pods can request on one node
    pods: int  # pod slots


@dataclass(frozen=True, slots=True)
class DaemonsetOverhead:
    """The requests a cluster's daemonsets (CNI, kube-proxy, log and metrics agents) take on every node."""

    cpu: float  # cores
    memory_gib: float
    pods: int


#: A typical per-node daemonset overhead when the cluster declares none: REFERENCE §10 gives 3–6 pods,
#: 0.1–0.5 vCPU and 0.2–1 GiB per node (CNI + kube-proxy + a log agent + a metrics agent); we take a
#: middle value of each. Pass it to `allocatable` as ``daemonset_cpu=DEFAULT_DAEMONSET.cpu`` etc.
DEFAULT_DAEMONSET = DaemonsetOverhead(cpu=0.2, memory_gib=0.5, pods=4)

#: Pod slots per node when the cluster declares no ``maxPodsPerNode``, per cloud. Sources:
#: * aws: 110 is the fallback only; `max_pods` first uses the instance type's ENI limit (the EKS
#:   AMIs' default with the VPC CNI, `pricing.eni_limits`); 110 is kubelet's own default, which
#:   Karpenter also uses when the AMI family has no ENI-limited pod density.
#: * gcp: 110, the GKE Standard default maximum pods per node (docs "Configure maximum Pods per node").
#: * azure: 30, the AKS default with Azure CNI (docs "Maximum pods per node"; kubenet 110, CNI Overlay 250).
DEFAULT_MAX_PODS: Mapping[str, int] = MappingProxyType({"aws": 110, "gcp": 110, "azure": 30})
#: Pod slots per node on other (private/custom) clouds: kubelet's default ``--max-pods``.
OTHER_CLOUD_MAX_PODS = 110


def max_pods(cloud: str, instance_type: str, vcpus: float, *, cluster_max_pods: int | None = None) -> int:
    """Pod slots of one node: the cluster's ``maxPodsPerNode`` when it declares one; else the
    platform default (`DEFAULT_MAX_PODS`, `OTHER_CLOUD_MAX_PODS`), where on AWS the type's ENI limit
    ``ENIs × (IPv4 per ENI − 1) + 2`` comes first (``m5.large`` 29, ``m5.xlarge`` 58, ``t3.small`` 11).

    `vcpus` is checked (a node has some) but does not change the answer: no default here scales with it.
    """
    if vcpus <= 0:
        raise ValueError(f"max_pods: vcpus must be positive, got {vcpus!r} for {cloud} {instance_type}")
    if cluster_max_pods is not None:
        if cluster_max_pods < 1:
            raise ValueError(f"max_pods: cluster_max_pods must be at least 1, got {cluster_max_pods!r}")
        return cluster_max_pods
    if cloud == "aws":
        eni_limited = eni_max_pods(instance_type)
        if eni_limited is not None:
            return eni_limited
    return DEFAULT_MAX_PODS.get(cloud, OTHER_CLOUD_MAX_PODS)


# -- reservations per cloud ---------------------------------------------------------------------

_Tiers = tuple[tuple[float, float], ...]  # (upper bound of the band, fraction reserved in it)

_CPU_TIERS_AWS_GKE: _Tiers = ((1.0, 0.06), (2.0, 0.01), (4.0, 0.005), (math.inf, 0.0025))
_CPU_TIERS_AKS: _Tiers = ((1.0, 0.06), (2.0, 0.04), (4.0, 0.02), (math.inf, 0.01))
_MEMORY_TIERS_GIB: _Tiers = ((4.0, 0.25), (8.0, 0.20), (16.0, 0.10), (128.0, 0.06), (math.inf, 0.02))

_EVICTION_GIB = {"aws": 100 / _MIB_IN_GIB, "gcp": 100 / _MIB_IN_GIB, "azure": 750 / _MIB_IN_GIB}
_GRAVITON_CMA_GIB = 64 / _MIB_IN_GIB  # karpenter-provider-aws `memory()`: arm64 CMA reservation


def _tiered(amount: float, tiers: _Tiers) -> float:
    """Σ over bands of (the part of `amount` inside the band) × the band's fraction."""
    reserved, lower = 0.0, 0.0
    for upper, fraction in tiers:
        if amount <= lower:
            break
        reserved += (min(amount, upper) - lower) * fraction
        lower = upper
    return reserved


def kube_reserved_cpu(cloud: str, vcpus: float) -> float:
    """Cores kube-reserved takes on a node of `vcpus` cores (``aws`` 2 vCPU → 0.07)."""
    return _tiered(vcpus, _CPU_TIERS_AKS if cloud == "azure" else _CPU_TIERS_AWS_GKE)


def kube_reserved_memory_gib(cloud: str, memory_gib: float, *, max_pods: int) -> float:
    """GiB kube-reserved takes on a node of `memory_gib` nominal memory running up to `max_pods` pods."""
    if cloud == "aws":
        return (11 * max_pods + 255) / _MIB_IN_GIB
    if cloud != "azure" and memory_gib < 1.0:  # GKE (and the generic formula): 255 MiB under 1 GiB
        return 255 / _MIB_IN_GIB
    return _tiered(memory_gib, _MEMORY_TIERS_GIB)


def eviction_threshold_gib(cloud: str) -> float:
    """The kubelet's hard ``memory.available`` eviction threshold in GiB (AKS 750 MiB, else 100 MiB)."""
    return _EVICTION_GIB.get(cloud, 100 / _MIB_IN_GIB)


def allocatable(
    cloud: str,
    instance_type: str,
    vcpus: float,
    memory_gib: float,
    *,
    max_pods: int,
    daemonset_cpu: float = 0.0,
    daemonset_memory_gib: float = 0.0,
    daemonset_pods: int = 0,
    vm_memory_overhead_fraction: float = 0.075,
) -> NodeAllocatable:
    """What pods can request on one node of `instance_type` (`vcpus` cores, `memory_gib` nominal
    memory, `max_pods` slots, e.g. from `max_pods`): capacity − VM memory overhead − kube-reserved −
    system-reserved (0) − eviction threshold, per cloud (module docstring), minus the daemonset
    overhead. Never negative: a node too small for its reservations has 0 of that resource.

    ``aws m5.large`` (2 vCPU, 8 GiB, 29 pods) → 1.93 cores, 6.74 GiB, 29 pods.
    """
    if vcpus < 0 or memory_gib < 0 or max_pods < 0:
        raise ValueError(
            f"allocatable: vcpus, memory_gib and max_pods must be >= 0, got {vcpus!r}, {memory_gib!r}, {max_pods!r}"
        )
    if not 0.0 <= vm_memory_overhead_fraction < 1.0:
        raise ValueError(
            f"allocatable: vm_memory_overhead_fraction must be in [0, 1), got {vm_memory_overhead_fraction!r}"
        )
    if daemonset_cpu < 0 or daemonset_memory_gib < 0 or daemonset_pods < 0:
        raise ValueError("allocatable: daemonset overheads must be >= 0")
    capacity_gib = memory_gib
    if cloud == "aws" and instance_arch(cloud, instance_type) == "arm64":
        capacity_gib -= _GRAVITON_CMA_GIB
    memory = (
        capacity_gib * (1.0 - vm_memory_overhead_fraction)
        - kube_reserved_memory_gib(cloud, memory_gib, max_pods=max_pods)
        - eviction_threshold_gib(cloud)
        - daemonset_memory_gib
    )
    cpu = vcpus - kube_reserved_cpu(cloud, vcpus) - daemonset_cpu
    return NodeAllocatable(cpu=max(cpu, 0.0), memory_gib=max(memory, 0.0), pods=max(max_pods - daemonset_pods, 0))


# -- which types an autoscaler launches ---------------------------------------------------------

#: Sizes Karpenter on Azure never launches (karpenter-provider-azure
#: ``pkg/providers/instancetype/restricted.go`` ``RestrictedVMSizes``): too small for a node.
AZURE_RESTRICTED_SIZES = frozenset(
    {"Standard_A0", "Standard_A1", "Standard_A1_v2", "Standard_B1s", "Standard_B1ms", "Standard_F1", "Standard_F1s"}
)
#: AWS types a Karpenter NodePool of ours never admits: ``hpc*`` (HPC), ``u-*`` / ``u7i*`` (High
#: Memory, 3–32 TiB) and ``mac*`` (Dedicated Hosts only). They are on-demand only and huge, and the
#: Karpenter docs' general-purpose NodePool excludes them (``instance-category In [c, m, r]``,
#: generation > 2); admitting them let one 2-vCPU pod open a 24-vCPU hpc7a node (DESIGN, model v2).
#: A choice of ours, not a Karpenter limit: Karpenter itself would launch them if a NodePool admitted them.
KARPENTER_AWS_EXCLUDED_PREFIXES = ("hpc", "u-", "u7i", "mac")


def launchable(cloud: str, instance_type: str, autoscaler: str) -> bool:
    """Whether the cluster's autoscaler (``karpenter/v1``, ``karpenter/v1beta1``, ``karpenter/v1alpha5``,
    ``gke``, ``aks``, ``none``) can launch `instance_type`.

    * Karpenter on Azure (``karpenter/*`` on azure, and ``aks`` node auto-provisioning, which is
      Karpenter): never the restricted sizes, `AZURE_RESTRICTED_SIZES` and every ``Basic_A*``.
    * Karpenter on AWS: not the types of `KARPENTER_AWS_EXCLUDED_PREFIXES` (see there why).
    * Otherwise True (a node group of any type can be created by hand).
    """
    karpenter = autoscaler.startswith("karpenter/")
    if cloud == "azure" and (karpenter or autoscaler == "aks"):
        return instance_type not in AZURE_RESTRICTED_SIZES and not instance_type.startswith("Basic_A")
    if cloud == "aws" and karpenter:
        return not instance_type.startswith(KARPENTER_AWS_EXCLUDED_PREFIXES)
    return True


__all__ = [
    "AZURE_RESTRICTED_SIZES",
    "DEFAULT_DAEMONSET",
    "DEFAULT_MAX_PODS",
    "KARPENTER_AWS_EXCLUDED_PREFIXES",
    "OTHER_CLOUD_MAX_PODS",
    "DaemonsetOverhead",
    "NodeAllocatable",
    "allocatable",
    "eviction_threshold_gib",
    "kube_reserved_cpu",
    "kube_reserved_memory_gib",
    "launchable",
    "max_pods",
]
