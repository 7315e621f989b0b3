"""Placement's Karpenter pools: families, arch, sizing, and the field names of each API version,
checked against the real CRD schemas when ../shared/data/schemas is present."""

from __future__ import annotations

import pytest
from builders import make_cluster
from kube_schemas import crd_errors, require_crd_schemas

from placement.patches.nodepools import (
    CapacityPool,
    NodeClassRef,
    instance_family,
    nodepool_manifest,
    pool_requirements,
    size_pool,
)
from pricing.offer import instance_arch


@pytest.mark.parametrize(
    ("cloud", "instance_type", "family"),
    [
        ("aws", "m7i.large", "m7i"),
        ("aws", "c6gn.2xlarge", "c6gn"),
        ("azure", "Standard_D4s_v5", "Ds_v5"),
        ("azure", "Standard_NC24ads_A100_v4", "NCads_v4"),  # accelerator part dropped, as Karpenter labels it
        ("gcp", "n2-standard-4", None),  # no well-known GCP family key: exact types are used instead
    ],
)
def test_instance_family(cloud: str, instance_type: str, family: str | None) -> None:
    assert instance_family(cloud, instance_type) == family


@pytest.mark.parametrize(
    ("cloud", "instance_type", "arch"),
    [
        ("aws", "m7g.large", "arm64"),
        ("aws", "a1.large", "arm64"),
        ("aws", "m7i.large", "amd64"),
        ("azure", "Standard_D4pls_v5", "arm64"),
        ("azure", "Standard_D4s_v5", "amd64"),
        ("gcp", "t2a-standard-4", "arm64"),
        ("gcp", "n2-standard-4", "amd64"),
    ],
)
def test_arch(cloud: str, instance_type: str, arch: str) -> None:
    assert instance_arch(cloud, instance_type) == arch


def _pool(**overrides) -> CapacityPool:
    fields = {
        "name": "placement-spot",
        "capacity_type": "spot",
        "instance_types": ("m7i.large", "m6a.large"),
        "cpu_limit": 12,
        "memory_limit_gib": 40.5,
        "weight": 60,
    }
    fields.update(overrides)
    return CapacityPool(**fields)


def test_requirements_write_out_what_provisioners_used_to_default() -> None:
    requirements = pool_requirements(make_cluster("a", autoscaler="karpenter/v1"), _pool())
    assert requirements == [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["m6a", "m7i"]},
    ]


def test_a_pool_with_nothing_planned_keeps_the_clusters_allow_list_and_a_zero_limit() -> None:
    cluster = make_cluster("a", autoscaler="karpenter/v1", instance_families=("m7i", "c7i"))
    pool = size_pool("placement-spot", "spot", [])
    assert pool.cpu_limit == 0
    requirements = pool_requirements(cluster, pool)
    assert requirements[-1] == {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["c7i", "m7i"]}
    assert nodepool_manifest(cluster, pool)["spec"]["limits"]["cpu"] == "0"


def test_slots_become_a_requirement_on_the_pool() -> None:
    requirements = pool_requirements(make_cluster("a", autoscaler="karpenter/v1"), _pool(slots=2))
    assert requirements[-1] == {"key": "placement.dev/capacity-slot", "operator": "In", "values": ["spot-1", "spot-2"]}


def test_gcp_pools_select_exact_instance_types() -> None:
    cluster = make_cluster("g", cloud="gcp", region="us-central1", autoscaler="karpenter/v1")
    requirements = pool_requirements(cluster, _pool(instance_types=("n2-standard-4",)))
    expected = {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["n2-standard-4"]}
    assert requirements[-1] == expected


def test_size_pool_adds_headroom_and_one_largest_node() -> None:
    demands = [(4, 0.5, 1.0, "m7i.large"), (3, 1.0, 2.0, "m7i.xlarge"), (0, 8.0, 8.0, "m7i.8xlarge")]
    pool = size_pool("p", "on-demand", demands, headroom_fraction=0.5)
    assert (pool.cpu_limit, pool.memory_limit_gib) == (8, 15)  # 5 cores × 1.5 → 7.5 → 8; 10 GiB × 1.5
    assert pool.instance_types == ("m7i.large", "m7i.xlarge")  # replicas 0 contribute nothing
    sized = size_pool(
        "p", "on-demand", demands, headroom_fraction=0.5, instance_sizes={"m7i.large": (2, 8), "m7i.xlarge": (4, 16)}
    )
    assert (sized.cpu_limit, sized.memory_limit_gib) == (12, 31)
    with pytest.raises(ValueError, match="headroom_fraction"):
        size_pool("p", "spot", demands, headroom_fraction=-0.1)


def test_v1_nodepool_fields() -> None:
    manifest = nodepool_manifest(make_cluster("a", autoscaler="karpenter/v1"), _pool())
    assert (manifest["apiVersion"], manifest["kind"]) == ("karpenter.sh/v1", "NodePool")
    spec = manifest["spec"]
    assert spec["template"]["spec"]["nodeClassRef"] == {
        "group": "karpenter.k8s.aws",
        "kind": "EC2NodeClass",
        "name": "default",
    }
    assert spec["disruption"] == {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "1m"}
    assert spec["limits"] == {"cpu": "12", "memory": "41Gi"}  # quoted CPU avoids GitOps drift
    assert spec["weight"] == 60


def test_v1beta1_nodepool_fields() -> None:
    manifest = nodepool_manifest(make_cluster("a", autoscaler="karpenter/v1beta1"), _pool())
    spec = manifest["spec"]
    assert spec["template"]["spec"]["nodeClassRef"] == {
        "apiVersion": "karpenter.k8s.aws/v1beta1",
        "kind": "EC2NodeClass",
        "name": "default",
    }
    assert spec["disruption"] == {"consolidationPolicy": "WhenUnderutilized"}  # no consolidateAfter with it


def test_v1alpha5_provisioner_fields() -> None:
    manifest = nodepool_manifest(make_cluster("a", autoscaler="karpenter/v1alpha5"), _pool())
    assert (manifest["apiVersion"], manifest["kind"]) == ("karpenter.sh/v1alpha5", "Provisioner")
    spec = manifest["spec"]
    assert spec["providerRef"] == {
        "apiVersion": "karpenter.k8s.aws/v1alpha1",
        "kind": "AWSNodeTemplate",
        "name": "default",
    }
    assert spec["limits"] == {"resources": {"cpu": "12", "memory": "41Gi"}}
    assert spec["consolidation"] == {"enabled": True}
    assert "template" not in spec and "disruption" not in spec


def test_azure_and_explicit_node_classes() -> None:
    azure = make_cluster("z", cloud="azure", region="eastus", autoscaler="karpenter/v1")
    ref = nodepool_manifest(azure, _pool(instance_types=("Standard_D4s_v5",)))["spec"]["template"]["spec"]
    assert ref["nodeClassRef"] == {"group": "karpenter.azure.com", "kind": "AKSNodeClass", "name": "default"}
    assert ref["requirements"][-1] == {"key": "karpenter.azure.com/sku-series", "operator": "In", "values": ["Ds_v5"]}
    custom = nodepool_manifest(
        make_cluster("a", autoscaler="karpenter/v1"), _pool(), NodeClassRef("karpenter.k8s.aws", "EC2NodeClass", "gpu")
    )
    assert custom["spec"]["template"]["spec"]["nodeClassRef"]["name"] == "gpu"
    private = make_cluster("p", cloud="onprem", autoscaler="karpenter/v1beta1")
    with pytest.raises(ValueError, match="cluster p: no default Karpenter node class"):
        nodepool_manifest(private, _pool())


@pytest.mark.parametrize(
    ("autoscaler", "cloud", "instance_type"),
    [
        ("karpenter/v1", "aws", "m7i.large"),
        ("karpenter/v1", "azure", "Standard_D4s_v5"),
        ("karpenter/v1", "gcp", "n2-standard-4"),
        ("karpenter/v1beta1", "aws", "m7g.large"),
        ("karpenter/v1alpha5", "aws", "c7i.large"),
    ],
)
@pytest.mark.parametrize("slots", [0, 3])
def test_manifests_validate_against_the_real_crd_schemas(
    autoscaler: str, cloud: str, instance_type: str, slots: int
) -> None:
    require_crd_schemas()
    cluster = make_cluster("c", cloud=cloud, autoscaler=autoscaler)
    manifest = nodepool_manifest(cluster, _pool(instance_types=(instance_type,), slots=slots))
    manifest["metadata"]["annotations"] = {"placement.dev/plan-id": "p-0123456789ab"}
    assert crd_errors(manifest, cloud) == []


def test_the_crd_check_catches_the_v1alpha5_kubelet_field_name() -> None:
    require_crd_schemas()
    manifest = nodepool_manifest(make_cluster("a", autoscaler="karpenter/v1alpha5"), _pool())
    manifest["spec"]["kubelet"] = {"maxPods": 110}  # the migration doc's spelling; the CRD says kubeletConfiguration
    assert any("kubelet" in error for error in crd_errors(manifest))
    v1beta1 = nodepool_manifest(make_cluster("b", autoscaler="karpenter/v1beta1"), _pool())
    v1beta1["spec"]["template"]["spec"]["nodeClassRef"] = {
        "group": "karpenter.k8s.aws",
        "kind": "EC2NodeClass",
        "name": "default",
    }  # v1's key at v1beta1
    assert crd_errors(v1beta1) != []


def test_size_pool_counts_pods_per_node_for_tiny_replicas() -> None:
    sizes = {"c7i.16xlarge": (64.0, 128.0)}
    tiny = [(220, 0.05, 0.1, "c7i.16xlarge")]  # 11 vCPU of requests, but 220 pods need 2 nodes of 110
    loose = size_pool("p", "on-demand", tiny, headroom_fraction=0.0, instance_sizes=sizes)
    capped = size_pool("p", "on-demand", tiny, headroom_fraction=0.0, instance_sizes=sizes, max_pods_per_node=110)
    assert loose.cpu_limit == 11 + 64
    assert capped.cpu_limit == 2 * 64 + 64 and capped.memory_limit_gib == 2 * 128 + 128
    big = [(4, 16.0, 32.0, "c7i.16xlarge")]  # requests, not pod count, decide for big replicas
    assert (
        size_pool("p", "on-demand", big, headroom_fraction=0.0, instance_sizes=sizes, max_pods_per_node=110).cpu_limit
        == 64 + 64
    )
