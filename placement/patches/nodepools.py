"""Placement-owned Karpenter capacity: one spot and one on-demand pool per cluster (pure).

A NodePool cannot choose a region (REFERENCE §1.1), so the plan's region choice is the cluster
choice; per cluster the pools narrow capacity type and instance families to what the plan priced,
cap capacity at the plan's requests plus headroom, and carry weights so Karpenter tries them first.
Written in the version the cluster serves (REFERENCE §1.1, §1.3, §1.4, §9):

- `karpenter.sh/v1` NodePool: `nodeClassRef{group,kind,name}`, `WhenEmptyOrUnderutilized`,
  `consolidateAfter` required.
- `karpenter.sh/v1beta1` NodePool: `nodeClassRef{apiVersion,kind,name}`, `WhenUnderutilized`
  (which must not be combined with `consolidateAfter`).
- `karpenter.sh/v1alpha5` Provisioner: `providerRef`, `limits.resources`, `consolidation.enabled`.
  Provisioners defaulted requirements (os, arch, capacity type) that NodePools lack; every version
  here writes them out explicitly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from placement.patches.labels import (
    ARCH,
    AWS_INSTANCE_FAMILY,
    AZURE_SKU_SERIES,
    CAPACITY_SLOT,
    INSTANCE_TYPE,
    KARPENTER_CAPACITY_TYPE,
    MANAGED_BY,
    ON_DEMAND,
    OS,
    SPOT,
)
from placement.patches.pod_scheduling import slot_values
from placement.plan import NodeGroup
from placement.scenario import Cluster
from pricing.offer import instance_arch

POOL_NAMES = {SPOT: "placement-spot", ON_DEMAND: "placement-on-demand"}
POOL_WEIGHTS = {SPOT: 60, ON_DEMAND: 50}  # above an unweighted default pool; spot first, as Karpenter orders them
DEFAULT_HEADROOM_FRACTION = 0.25


@dataclass(frozen=True, slots=True)
class NodeClassRef:
    """The provider node class a pool launches from (placement does not own it)."""

    group: str
    kind: str
    name: str = "default"
    version: str = "v1"  # the node class API version, for v1beta1's `apiVersion` field


DEFAULT_NODE_CLASSES: Mapping[tuple[str, str], NodeClassRef] = {
    ("aws", "v1"): NodeClassRef("karpenter.k8s.aws", "EC2NodeClass", version="v1"),
    ("aws", "v1beta1"): NodeClassRef("karpenter.k8s.aws", "EC2NodeClass", version="v1beta1"),
    ("aws", "v1alpha5"): NodeClassRef("karpenter.k8s.aws", "AWSNodeTemplate", version="v1alpha1"),
    ("azure", "v1"): NodeClassRef("karpenter.azure.com", "AKSNodeClass", version="v1beta1"),
    ("azure", "v1beta1"): NodeClassRef("karpenter.azure.com", "AKSNodeClass", version="v1alpha2"),
    ("gcp", "v1"): NodeClassRef("karpenter.k8s.gcp", "GCENodeClass", version="v1alpha1"),
}


@dataclass(frozen=True, slots=True)
class CapacityPool:
    """One placement pool, independent of the Karpenter API version."""

    name: str
    capacity_type: str
    instance_types: tuple[str, ...]  # what the plan priced in this cluster for this capacity type
    cpu_limit: float  # cores
    memory_limit_gib: float
    weight: int
    slots: int = 0  # capacity slots this pool's nodes are labelled with (ratio split)
    exact_types: bool = False  # admit exactly `instance_types` (node-true plans), not their whole families


def karpenter_version(cluster: Cluster) -> str:
    """`v1`, `v1beta1` or `v1alpha5` for a `karpenter/*` autoscaler."""
    version = cluster.autoscaler.removeprefix("karpenter/")
    if version not in ("v1", "v1beta1", "v1alpha5"):
        raise ValueError(f"cluster {cluster.name}: autoscaler {cluster.autoscaler!r} is not a Karpenter version")
    return version


def instance_family(cloud: str, instance_type: str) -> str | None:
    """The family Karpenter can select on: AWS `m7i` from `m7i.large`; Azure sku-series `Ds_v5`
    from `Standard_D4s_v5` (`NCads_v4` from `Standard_NC24ads_A100_v4`); None elsewhere."""
    if cloud == "aws" and "." in instance_type:
        return instance_type.split(".", 1)[0]
    if cloud == "azure":
        parts = instance_type.removeprefix("Standard_").split("_")
        letters = re.sub(r"\d+", "", parts[0])
        version = next((p for p in parts[1:] if re.fullmatch(r"v\d+", p)), None)
        return f"{letters}_{version}" if version else letters or None
    return None


def pool_requirements(cluster: Cluster, pool: CapacityPool) -> list[dict[str, Any]]:
    """Requirements: capacity type, os, arch, then families (or exact types) and slots."""
    requirements: list[dict[str, Any]] = [
        {"key": KARPENTER_CAPACITY_TYPE, "operator": "In", "values": [pool.capacity_type]},
        {"key": OS, "operator": "In", "values": ["linux"]},
    ]
    if pool.instance_types:
        arches = sorted({instance_arch(cluster.cloud, t) for t in pool.instance_types})
        requirements.append({"key": ARCH, "operator": "In", "values": arches})
        if pool.exact_types:
            requirements.append({"key": INSTANCE_TYPE, "operator": "In", "values": sorted(pool.instance_types)})
        else:
            requirements.append(_family_requirement(cluster, pool.instance_types))
    elif cluster.instance_families:
        allowed = _allow_list_requirement(cluster, cluster.instance_families)
        if allowed is not None:
            requirements.append(allowed)
    if pool.slots:
        values = slot_values(pool.capacity_type, pool.slots)
        requirements.append({"key": CAPACITY_SLOT, "operator": "In", "values": values})
    return requirements


def nodepool_manifest(cluster: Cluster, pool: CapacityPool, node_class: NodeClassRef | None = None) -> dict[str, Any]:
    """The full manifest of one pool in the Karpenter version the cluster serves."""
    version = karpenter_version(cluster)
    ref = node_class or _default_node_class(cluster, version)
    requirements = pool_requirements(cluster, pool)
    cpu = str(math.ceil(max(0.0, pool.cpu_limit)))
    memory = f"{math.ceil(max(0.0, pool.memory_limit_gib))}Gi"
    metadata = {"name": pool.name, "labels": {MANAGED_BY: "placement"}}
    if version == "v1alpha5":
        return {
            "apiVersion": "karpenter.sh/v1alpha5",
            "kind": "Provisioner",
            "metadata": metadata,
            "spec": {
                "providerRef": {"apiVersion": f"{ref.group}/{ref.version}", "kind": ref.kind, "name": ref.name},
                "requirements": requirements,
                "limits": {"resources": {"cpu": cpu, "memory": memory}},
                "weight": pool.weight,
                "consolidation": {"enabled": True},
            },
        }
    if version == "v1beta1":
        class_ref = {"apiVersion": f"{ref.group}/{ref.version}", "kind": ref.kind, "name": ref.name}
        disruption: dict[str, Any] = {"consolidationPolicy": "WhenUnderutilized"}
    else:
        class_ref = {"group": ref.group, "kind": ref.kind, "name": ref.name}
        disruption = {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "1m"}
    return {
        "apiVersion": f"karpenter.sh/{version}",
        "kind": "NodePool",
        "metadata": metadata,
        "spec": {
            "template": {"spec": {"nodeClassRef": class_ref, "requirements": requirements}},
            "disruption": disruption,
            "limits": {"cpu": cpu, "memory": memory},
            "weight": pool.weight,
        },
    }


def size_pool(
    name: str,
    capacity_type: str,
    demands: Iterable[tuple[int, float, float, str | None]],
    *,
    headroom_fraction: float = DEFAULT_HEADROOM_FRACTION,
    instance_sizes: Mapping[str, tuple[float, float]] | None = None,
    slots: int = 0,
    max_pods_per_node: int | None = None,
) -> CapacityPool:
    """A pool sized for `demands` = (replicas, cpu per replica, memory GiB per replica, instance
    type) with `headroom_fraction` on top, plus one of the largest chosen nodes when its size is
    known (so a limit never forbids the node the plan priced). With `max_pods_per_node`, a replica
    on a node of known size takes at least 1/max_pods of that node (as the plan priced it): tiny
    replicas fill nodes by pod count before CPU or memory."""
    if headroom_fraction < 0:
        raise ValueError(f"headroom_fraction must be ≥ 0 (got {headroom_fraction})")
    sizes = instance_sizes or {}
    cpu = memory = 0.0
    types: set[str] = set()
    for replicas, cpu_each, memory_each, instance_type in demands:
        if replicas <= 0:
            continue
        size = sizes.get(instance_type) if instance_type else None
        if size is not None and max_pods_per_node:
            cpu_each = max(cpu_each, size[0] / max_pods_per_node)
            memory_each = max(memory_each, size[1] / max_pods_per_node)
        cpu += replicas * cpu_each
        memory += replicas * memory_each
        if instance_type:
            types.add(instance_type)
    cpu_limit = math.ceil(cpu * (1 + headroom_fraction))
    memory_limit = math.ceil(memory * (1 + headroom_fraction))
    known = [sizes[t] for t in types if t in sizes]
    if known:
        cpu_limit += math.ceil(max(v for v, _ in known))
        memory_limit += math.ceil(max(m for _, m in known))
    weight = POOL_WEIGHTS[capacity_type]
    return CapacityPool(name, capacity_type, tuple(sorted(types)), cpu_limit, memory_limit, weight, slots)


def pool_from_nodes(
    name: str,
    capacity_type: str,
    nodes: Sequence[NodeGroup],
    *,
    headroom_fraction: float = DEFAULT_HEADROOM_FRACTION,
    slots: int = 0,
) -> CapacityPool:
    """A pool for a node-true plan: it admits exactly the planned instance types and their
    substitutes (`NodeGroup.substitutes`: as roomy, no more capacity, no dearer), and its limits are
    whole-node multiples — the planned nodes plus `headroom_fraction` of them (at least one) — of
    the largest admitted type. Karpenter counts limits on node capacity and, while packing, charges
    each node claim the largest capacity among its options (REFERENCE §10), so this is the least
    limit that never leaves a planned pod pending."""
    if headroom_fraction < 0:
        raise ValueError(f"headroom_fraction must be ≥ 0 (got {headroom_fraction})")
    count = sum(n.count for n in nodes)
    if not count:
        return CapacityPool(name, capacity_type, (), 0, 0, POOL_WEIGHTS[capacity_type], slots, exact_types=True)
    whole = count + max(1, math.ceil(count * headroom_fraction))
    cpu_limit = whole * max(n.vcpus for n in nodes)
    memory_limit = whole * max(n.memory_gib for n in nodes)
    types = tuple(sorted({n.instance_type for n in nodes} | {s for n in nodes for s in n.substitutes}))
    return CapacityPool(
        name,
        capacity_type,
        types,
        math.ceil(cpu_limit),
        math.ceil(memory_limit),
        POOL_WEIGHTS[capacity_type],
        slots,
        exact_types=True,
    )


def _default_node_class(cluster: Cluster, version: str) -> NodeClassRef:
    ref = DEFAULT_NODE_CLASSES.get((cluster.cloud, version))
    if ref is None:
        raise ValueError(
            f"cluster {cluster.name}: no default Karpenter node class for cloud {cluster.cloud!r} at {version}; "
            "pass node_classes={cluster: NodeClassRef(group, kind, name)}"
        )
    return ref


def _family_requirement(cluster: Cluster, instance_types: Iterable[str]) -> dict[str, Any]:
    types = sorted(set(instance_types))
    families = {instance_family(cluster.cloud, t) for t in types}
    if cluster.cloud in ("aws", "azure") and None not in families:
        key = AWS_INSTANCE_FAMILY if cluster.cloud == "aws" else AZURE_SKU_SERIES
        return {"key": key, "operator": "In", "values": sorted(f for f in families if f)}
    return {"key": INSTANCE_TYPE, "operator": "In", "values": types}


def _allow_list_requirement(cluster: Cluster, families: Iterable[str]) -> dict[str, Any] | None:
    if cluster.cloud == "aws":
        return {"key": AWS_INSTANCE_FAMILY, "operator": "In", "values": sorted(set(families))}
    if cluster.cloud == "azure":
        return {"key": AZURE_SKU_SERIES, "operator": "In", "values": sorted(set(families))}
    return None


def instance_sizes(offers: Iterable[Any]) -> dict[str, tuple[float, float]]:
    """`{instance_type: (vcpus, memory_gib)}` from price offers (anything with those attributes),
    for `PatchOptions.instance_sizes`."""
    return {o.instance_type: (float(o.vcpus), float(o.memory_gib)) for o in offers}
