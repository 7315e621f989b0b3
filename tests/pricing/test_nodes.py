"""Node facts: max pods, allocatable and launchability, with answers worked by hand from the
documented formulas (pricing/nodes.py, REFERENCE §10)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import (
    DEFAULT_DAEMONSET,
    DEFAULT_MAX_PODS,
    NodeAllocatable,
    allocatable,
    launchable,
    max_pods,
)
from pricing.eni_limits import ENI_LIMITS, EniLimit, eni_max_pods
from pricing.nodes import kube_reserved_cpu, kube_reserved_memory_gib

MIB = 1 / 1024  # GiB per MiB

# -- max pods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "vcpus", "expected"),
    [
        ("m5.large", 2, 29),  # 3 ENIs × (10 − 1) + 2
        ("m5.xlarge", 4, 58),  # 4 × (15 − 1) + 2
        ("t3.small", 2, 11),  # 3 × (4 − 1) + 2
        ("t3a.small", 2, 8),  # the one exception to its size class: 2 ENIs × (4 − 1) + 2
        ("t3.nano", 2, 4),  # 2 × (2 − 1) + 2
        ("t4g.large", 2, 35),  # 3 × (12 − 1) + 2
        ("m7g.medium", 1, 8),  # 2 × (4 − 1) + 2
        ("c5.9xlarge", 36, 234),  # 8 × (30 − 1) + 2
        ("r6i.16xlarge", 64, 737),  # 15 × (50 − 1) + 2
        ("c7i.metal-48xl", 192, 737),
        ("m7i.24xlarge", 96, 737),
    ],
)
def test_aws_max_pods_is_the_eni_limit(instance_type: str, vcpus: float, expected: int) -> None:
    assert max_pods("aws", instance_type, vcpus) == expected


def test_aws_type_without_eni_facts_gets_kubelets_default() -> None:
    assert eni_max_pods("x2idn.16xlarge") is None
    assert max_pods("aws", "x2idn.16xlarge", 64) == 110


@pytest.mark.parametrize(
    ("cloud", "instance_type", "expected"),
    [
        ("gcp", "n2-standard-4", 110),  # GKE Standard default
        ("azure", "Standard_D4s_v5", 30),  # Azure CNI default
        ("private", "dc1.large", 110),  # kubelet default on any other cloud
        ("openstack", "m1.large", 110),
    ],
)
def test_platform_default_max_pods(cloud: str, instance_type: str, expected: int) -> None:
    assert max_pods(cloud, instance_type, 4) == expected


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure", "private"])
def test_cluster_max_pods_wins(cloud: str) -> None:
    assert max_pods(cloud, "m5.large", 2, cluster_max_pods=64) == 64


def test_default_max_pods_table() -> None:
    assert dict(DEFAULT_MAX_PODS) == {"aws": 110, "gcp": 110, "azure": 30}


def test_max_pods_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="vcpus"):
        max_pods("aws", "m5.large", 0)
    with pytest.raises(ValueError, match="cluster_max_pods"):
        max_pods("aws", "m5.large", 2, cluster_max_pods=0)


def test_eni_table_covers_the_common_families_large_to_24xlarge() -> None:
    for family in ("m5", "m6i", "m6a", "m7i", "m7a", "m7g", "c5", "c6i", "c6a", "c7i", "c7g", "r5", "r6i", "r7i"):
        sizes = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge" if family != "c5" else "9xlarge", "12xlarge")
        for size in sizes:
            assert f"{family}.{size}" in ENI_LIMITS, f"{family}.{size}"
    for family in ("t3", "t3a", "t4g"):
        for size in ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"):
            assert f"{family}.{size}" in ENI_LIMITS, f"{family}.{size}"
    assert "m5.32xlarge" not in ENI_LIMITS  # no such size: the table lists only real ones
    assert EniLimit(15, 50).max_pods == 737


# -- allocatable: hand-worked answers --------------------------------------------------------------


def test_aws_m5_large_allocatable() -> None:
    node = allocatable("aws", "m5.large", 2, 8, max_pods=29)
    assert node.cpu == pytest.approx(1.93)  # 2000m − (6 % of core 1 + 1 % of core 2 = 70m)
    # 8 GiB × (1 − 0.075) − (11 MiB × 29 + 255 MiB = 574 MiB) − 100 MiB eviction
    assert node.memory_gib == pytest.approx(8 * 0.925 - 574 * MIB - 100 * MIB)  # 6.742
    assert node.pods == 29


def test_aws_graviton_loses_64_mib_more() -> None:
    intel = allocatable("aws", "m7i.large", 2, 8, max_pods=29)
    graviton = allocatable("aws", "m7g.large", 2, 8, max_pods=29)
    assert intel.memory_gib - graviton.memory_gib == pytest.approx(64 * MIB * 0.925)


def test_aws_memory_reservation_grows_with_max_pods() -> None:
    eni = allocatable("aws", "m5.large", 2, 8, max_pods=29)
    prefix = allocatable("aws", "m5.large", 2, 8, max_pods=110)
    assert eni.memory_gib - prefix.memory_gib == pytest.approx(11 * (110 - 29) * MIB)


def test_gcp_e2_standard_2_has_no_room_for_a_two_cpu_pod() -> None:
    node = allocatable("gcp", "e2-standard-2", 2, 8, max_pods=max_pods("gcp", "e2-standard-2", 2))
    assert node.cpu == pytest.approx(1.93) and node.cpu < 2  # the pod's 2 CPUs do not fit
    # 8 × 0.925 − (25 % of 4 GiB + 20 % of the next 4 = 1.8 GiB) − 100 MiB: 4 GiB would fit
    assert node.memory_gib == pytest.approx(7.4 - 1.8 - 100 * MIB)
    assert node.memory_gib >= 4


def test_three_three_cpu_pods_need_three_four_vcpu_nodes() -> None:
    node = allocatable("aws", "m5.xlarge", 4, 16, max_pods=58)
    assert node.cpu == pytest.approx(4 - 0.08) and node.cpu < 4  # 60 + 10 + 2 × 5 millicores
    pods_per_node = math.floor(node.cpu / 3)
    assert pods_per_node == 1
    assert math.ceil(3 / pods_per_node) == 3  # not 9 CPUs / 4 vCPUs → 3 nodes by luck: 1 pod a node


@pytest.mark.parametrize(
    ("cloud", "vcpus", "reserved"),
    [
        ("aws", 1, 0.06),
        ("aws", 2, 0.07),
        ("aws", 4, 0.08),
        ("aws", 8, 0.09),  # + 0.25 % of 4 cores above the 4th
        ("gcp", 96, 0.08 + 92 * 0.0025),
        ("azure", 2, 0.10),  # 6 % + 4 %
        ("azure", 4, 0.14),  # + 2 × 2 %
        ("azure", 16, 0.26),  # + 12 × 1 %
        ("private", 8, 0.09),  # the generic formula: as GKE
    ],
)
def test_kube_reserved_cpu(cloud: str, vcpus: float, reserved: float) -> None:
    assert kube_reserved_cpu(cloud, vcpus) == pytest.approx(reserved)


@pytest.mark.parametrize(
    ("cloud", "memory_gib", "reserved_gib"),
    [
        ("gcp", 0.6, 255 * MIB),  # under 1 GiB: 255 MiB flat
        ("gcp", 4, 1.0),  # 25 % of 4
        ("gcp", 16, 1.0 + 0.8 + 0.8),
        ("gcp", 128, 1.0 + 0.8 + 0.8 + 112 * 0.06),  # 9.32
        ("gcp", 256, 9.32 + 128 * 0.02),
        ("azure", 16, 2.6),
        ("azure", 0.75, 0.75 * 0.25),  # no 255 MiB floor on AKS
        ("private", 32, 2.6 + 16 * 0.06),
        ("aws", 64, (11 * 58 + 255) * MIB),  # depends on max pods only
    ],
)
def test_kube_reserved_memory(cloud: str, memory_gib: float, reserved_gib: float) -> None:
    assert kube_reserved_memory_gib(cloud, memory_gib, max_pods=58) == pytest.approx(reserved_gib)


def test_azure_allocatable_uses_aks_cpu_tiers_and_750_mib_eviction() -> None:
    node = allocatable("azure", "Standard_D4s_v5", 4, 16, max_pods=30)
    assert node.cpu == pytest.approx(3.86)
    assert node.memory_gib == pytest.approx(16 * 0.925 - 2.6 - 750 * MIB)
    assert node.pods == 30


def test_custom_cloud_uses_the_generic_gke_like_formula() -> None:
    assert allocatable("private", "dc1.large", 4, 16, max_pods=110) == allocatable(
        "gcp", "n2-standard-4", 4, 16, max_pods=110
    )


def test_vm_overhead_fraction_is_a_parameter() -> None:
    none = allocatable("gcp", "n2-standard-4", 4, 16, max_pods=110, vm_memory_overhead_fraction=0.0)
    default = allocatable("gcp", "n2-standard-4", 4, 16, max_pods=110)
    assert none.memory_gib - default.memory_gib == pytest.approx(16 * 0.075)


def test_daemonset_overhead_subtracts() -> None:
    bare = allocatable("aws", "m5.large", 2, 8, max_pods=29)
    loaded = allocatable(
        "aws",
        "m5.large",
        2,
        8,
        max_pods=29,
        daemonset_cpu=DEFAULT_DAEMONSET.cpu,
        daemonset_memory_gib=DEFAULT_DAEMONSET.memory_gib,
        daemonset_pods=DEFAULT_DAEMONSET.pods,
    )
    assert loaded == NodeAllocatable(
        cpu=pytest.approx(bare.cpu - 0.2), memory_gib=pytest.approx(bare.memory_gib - 0.5), pods=29 - 4
    )


def test_allocatable_is_never_negative() -> None:
    tiny = allocatable("aws", "t3.nano", 2, 0.5, max_pods=4, daemonset_cpu=3, daemonset_memory_gib=1, daemonset_pods=6)
    assert tiny == NodeAllocatable(cpu=0.0, memory_gib=0.0, pods=0)
    starved = allocatable("azure", "Standard_A0", 1, 0.75, max_pods=30)
    assert starved.memory_gib == 0.0  # 0.75 × 0.925 − 0.19 − 0.73 < 0
    assert starved.cpu == pytest.approx(0.94)


def test_allocatable_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        allocatable("aws", "m5.large", -1, 8, max_pods=29)
    with pytest.raises(ValueError):
        allocatable("aws", "m5.large", 2, 8, max_pods=29, vm_memory_overhead_fraction=1.0)
    with pytest.raises(ValueError):
        allocatable("aws", "m5.large", 2, 8, max_pods=29, daemonset_pods=-1)


# -- allocatable: properties --------------------------------------------------------------------

_CLOUDS = st.sampled_from(["aws", "gcp", "azure", "private"])
_TYPES = st.sampled_from(["m5.large", "m7g.xlarge", "n2-standard-4", "Standard_D4s_v5", "dc1.large"])
_VCPUS = st.floats(min_value=0.25, max_value=448, allow_nan=False)
_MEMORY = st.floats(min_value=0.25, max_value=24576, allow_nan=False)
_PODS = st.integers(min_value=1, max_value=737)
_DAEMONSET = st.tuples(st.floats(0, 2), st.floats(0, 4), st.integers(0, 10))


@settings(max_examples=300, deadline=None)
@given(_CLOUDS, _TYPES, _VCPUS, _MEMORY, _PODS, _DAEMONSET)
def test_allocatable_never_exceeds_capacity_and_is_never_negative(
    cloud: str, instance_type: str, vcpus: float, memory_gib: float, pods: int, daemonset: tuple[float, float, int]
) -> None:
    cpu, memory, ds_pods = daemonset
    node = allocatable(
        cloud,
        instance_type,
        vcpus,
        memory_gib,
        max_pods=pods,
        daemonset_cpu=cpu,
        daemonset_memory_gib=memory,
        daemonset_pods=ds_pods,
    )
    assert 0 <= node.cpu <= vcpus
    assert 0 <= node.memory_gib <= memory_gib
    assert 0 <= node.pods <= pods


# GKE's own formula steps from 255 MiB reserved just under 1 GiB to 256 MiB (25 % of 1 GiB) at 1 GiB,
# so allocatable memory may dip by up to 1 MiB across that boundary: the tolerance below.
_GKE_STEP_GIB = 1 * MIB


@settings(max_examples=300, deadline=None)
@given(_CLOUDS, _TYPES, _VCPUS, _VCPUS, _MEMORY, _MEMORY, _PODS)
def test_allocatable_is_monotone_in_capacity(
    cloud: str, instance_type: str, vcpus_a: float, vcpus_b: float, memory_a: float, memory_b: float, pods: int
) -> None:
    small = allocatable(cloud, instance_type, min(vcpus_a, vcpus_b), min(memory_a, memory_b), max_pods=pods)
    large = allocatable(cloud, instance_type, max(vcpus_a, vcpus_b), max(memory_a, memory_b), max_pods=pods)
    assert large.cpu >= small.cpu
    assert large.memory_gib >= small.memory_gib - _GKE_STEP_GIB
    assert large.pods == small.pods


# -- launchable ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cloud", "instance_type", "autoscaler", "expected"),
    [
        ("azure", "Standard_A1_v2", "karpenter/v1", False),
        ("azure", "Standard_A1_v2", "aks", False),  # node auto-provisioning is Karpenter
        ("azure", "Standard_A1_v2", "none", True),
        ("azure", "Standard_B1ms", "karpenter/v1beta1", False),
        ("azure", "Standard_F1s", "karpenter/v1", False),
        ("azure", "Basic_A3", "karpenter/v1", False),
        ("azure", "Standard_F2s_v2", "karpenter/v1", True),
        ("azure", "Standard_D4s_v5", "aks", True),
        ("aws", "hpc7a.24xlarge", "karpenter/v1", False),
        ("aws", "hpc6a.48xlarge", "karpenter/v1alpha5", False),
        ("aws", "u-6tb1.56xlarge", "karpenter/v1", False),
        ("aws", "u7i-12tb.224xlarge", "karpenter/v1", False),
        ("aws", "mac2-m2.metal", "karpenter/v1", False),
        ("aws", "m7i.large", "karpenter/v1", True),
        ("aws", "hpc7a.24xlarge", "none", True),  # a hand-made node group may use anything
        ("gcp", "n2-standard-4", "gke", True),
        ("private", "Standard_A1_v2", "karpenter/v1", True),  # the Azure list is Azure's
    ],
)
def test_launchable(cloud: str, instance_type: str, autoscaler: str, expected: bool) -> None:
    assert launchable(cloud, instance_type, autoscaler) is expected
