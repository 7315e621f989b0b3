"""Reading clusters: location from nodes, Karpenter version from CRDs, Deployments with HPA, PDB and
running replicas by capacity type; annotations → the same Scenario the YAML loader builds."""

from __future__ import annotations

import pytest
import yaml
from kube_fakeapi import FakeApiServer, write_kubeconfig
from kube_world import crd, deployment, node, pod, world

from placement.errors import InvalidScenario
from placement.kube.read import cluster_location, detect_autoscaler, pdb_floor, read_cluster, selector_matches
from placement.kube.scenario_export import build, read_fleet, read_live, scenario_document, with_live_current
from placement.load.scenario import load_scenario
from placement.scenario import Replicas


def test_read_cluster_finds_annotated_workloads_with_hpa_pdb_and_capacity(tmp_path) -> None:
    with world(tmp_path) as w:
        apis = w.apis()
        a = read_cluster(apis["a"], context="ctx-a")
        b = read_cluster(apis["b"], context="ctx-b")
    assert (a.live.cloud, a.live.region, a.live.autoscaler, a.live.node_count) == (
        "aws",
        "eu-west-1",
        "karpenter/v1",
        2,
    )
    assert (b.live.cloud, b.live.region, b.live.autoscaler) == ("gcp", "europe-west4", "gke")
    assert a.live.kubernetes_version == (1, 30)  # from GET /version
    assert set(a.deployments) == {"shop/web", "shop/api"}  # kube-system/unmanaged has no placement annotation
    web, api = a.live.workloads["shop/web"], a.live.workloads["shop/api"]
    assert (web.replicas, web.running, web.hpa) == (4, Replicas(on_demand=2, spot=2), None)
    assert (api.hpa, api.hpa_min_replicas, api.hpa_max_replicas) == ("api", 2, 10)
    ledger = b.live.workloads["pay/ledger"]
    assert (ledger.pdb, ledger.pdb_min_available, ledger.running) == ("ledger", 2, Replicas(3, 0))


def test_read_live_reads_the_scenarios_workloads_whatever_their_annotations(tmp_path) -> None:
    with world(tmp_path) as w:
        w.a.seed(deployment("plain", "shop", 1))
        scenario = w.scenario
        live = read_live(w.apis(), scenario)
    assert set(live["a"].workloads) == {"shop/web", "shop/api"}
    assert set(live["b"].workloads) == {"pay/ledger"}
    current = with_live_current(scenario, live)
    assert current.workload("shop/web").current == {"a": Replicas(2, 2)}
    assert current.workload("shop/api").current == {"a": Replicas(3, 0)}  # no pods seen: spec.replicas on demand


@pytest.mark.parametrize(
    ("nodepools", "provisioners", "cloud", "expected"),
    [
        (["v1", "v1beta1"], None, "aws", "karpenter/v1"),  # Karpenter 1.0 serves both: the newest wins
        (["v1beta1"], None, "aws", "karpenter/v1beta1"),
        (None, ["v1alpha5"], "aws", "karpenter/v1alpha5"),
        (None, None, "gcp", "gke"),
        (None, None, "azure", "aks"),
        (None, None, "aws", "none"),  # EKS managed node groups
    ],
)
def test_detect_autoscaler(tmp_path, nodepools, provisioners, cloud, expected) -> None:
    with FakeApiServer() as server:
        if nodepools:
            server.seed(crd("nodepools.karpenter.sh", nodepools))
        if provisioners:
            server.seed(crd("provisioners.karpenter.sh", provisioners))
        kubeconfig = write_kubeconfig(tmp_path / "kc", {"c": server.url})
        from builders import make_cluster

        from placement.kube.client import connect

        assert detect_autoscaler(connect(make_cluster("c", context="c"), kubeconfig=str(kubeconfig)), cloud) == expected


def test_cluster_location_from_provider_ids_and_labels() -> None:
    azure = node(
        "n", {"kubernetes.azure.com/cluster": "mc_x", "failure-domain.beta.kubernetes.io/region": "eastus"}, ""
    )
    assert cluster_location([azure]) == ("azure", "eastus")
    assert cluster_location([]) == ("", "")


@pytest.mark.parametrize(
    ("spec", "replicas", "floor"),
    [
        ({"minAvailable": 2}, 5, 2),
        ({"minAvailable": "50%"}, 5, 3),  # percentages round up
        ({"maxUnavailable": 1}, 5, 4),
        ({"maxUnavailable": "25%"}, 5, 3),
        ({}, 5, None),
    ],
)
def test_pdb_floor(spec, replicas, floor) -> None:
    assert pdb_floor({"spec": spec}, replicas) == floor


def test_selector_matches() -> None:
    labels = {"app": "web", "tier": "front"}
    assert selector_matches({"matchLabels": {"app": "web"}}, labels)
    assert not selector_matches({"matchLabels": {"app": "api"}}, labels)
    assert selector_matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, labels)


def _base(tmp_path):
    base = {
        "apiVersion": "placement.dev/v1alpha1",
        "kind": "Scenario",
        "metadata": {"name": "prod"},
        "spec": {
            "userRegions": [{"name": "eu-west", "lat": 51.5, "lon": -0.1}],
            "clusters": [
                {"name": "a", "cloud": "aws", "region": "eu-west-1", "context": "ctx-a", "capacity": {"cpu": 400}},
                {"name": "b", "cloud": "gcp", "region": "europe-west4", "context": "ctx-b"},
            ],
            "workloads": [],
        },
    }
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(base))
    return base, path


def test_the_fleet_becomes_the_scenario_the_yaml_loader_builds(tmp_path) -> None:
    base, _ = _base(tmp_path)
    with world(tmp_path) as w:
        w.a.seed(deployment("cart", "shop", 2, {"placement.dev/users": "eu-west=1", "placement.dev/latency-ms": "80"}))
        observed = read_fleet(w.apis(), base=base)
    document = scenario_document(observed, base=base)
    scenario = build(document)
    assert scenario.name == "prod"
    a = scenario.cluster("a")
    assert (a.autoscaler, a.capacity_cpu, a.country) == ("karpenter/v1", 400.0, "IE")  # base limits kept
    assert scenario.cluster("b").autoscaler == "gke"
    web = scenario.workload("shop/web")
    assert (web.cpu, web.memory_gib, web.spot_max_fraction, web.residency) == (0.5, 1.0, 0.5, ("EU",))
    assert web.replicas == 4 and web.current == {"a": Replicas(2, 2)}
    assert scenario.workload("shop/api").replicas == 6  # placement.dev/replicas
    assert scenario.workload("pay/ledger").min_available == 2  # from the PDB
    cart = scenario.workload("shop/cart")
    assert (dict(cart.users), cart.latency_ms) == ({"eu-west": 1.0}, 80.0)
    # the exported YAML loads back to the same scenario
    exported = tmp_path / "exported.yaml"
    exported.write_text(yaml.safe_dump(document, sort_keys=False))
    assert load_scenario(exported).workloads == scenario.workloads


def test_bad_or_disagreeing_annotations_are_reported_with_cluster_and_key(tmp_path) -> None:
    with world(tmp_path) as w:
        w.a.seed(deployment("ledger", "pay", 1, {"placement.dev/min-clusters": "2"}))  # b says 1
        w.a.seed(deployment("bad", "shop", 1, {"placement.dev/latency-ms": "fast"}))
        observed = read_fleet(w.apis())
    with pytest.raises(InvalidScenario) as caught:
        scenario_document(observed)
    text = str(caught.value)
    assert "b:pay/ledger annotation placement.dev/min-clusters" in text and "differs from a" in text
    assert "a:shop/bad annotation placement.dev/latency-ms" in text and "must be a number" in text


def test_semantic_problems_come_from_the_loaders_own_validation(tmp_path) -> None:
    with world(tmp_path) as w:
        w.a.seed(deployment("odd", "shop", 1, {"placement.dev/residency": "ATLANTIS"}))
        document = scenario_document(read_fleet(w.apis()))
    with pytest.raises(InvalidScenario, match="unknown residency code"):
        build(document)


def test_architectures_come_from_the_annotation_or_the_pinned_node_selector(tmp_path) -> None:
    with world(tmp_path) as w:
        w.a.seed(
            deployment(
                "multi",
                "shop",
                2,
                {"placement.dev/architectures": "arm64, amd64", "placement.dev/spot-max-cluster-share": "0.5"},
            )
        )
        pinned = deployment("graviton", "shop", 2, {"placement.dev/replicas": "2"})
        pinned["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/arch": "arm64"}
        w.a.seed(pinned)
        w.a.seed(deployment("plain", "shop", 1, {"placement.dev/replicas": "1"}))
        scenario = build(scenario_document(read_fleet(w.apis())))
    multi = scenario.workload("shop/multi")
    assert multi.architectures == ("amd64", "arm64") and multi.spot_max_cluster_share == 0.5
    assert scenario.workload("shop/graviton").architectures == ("arm64",)
    assert scenario.workload("shop/plain").architectures == ("amd64",)  # the safe default


def test_an_unknown_architecture_annotation_is_a_clear_error(tmp_path) -> None:
    with world(tmp_path) as w:
        w.a.seed(deployment("odd", "shop", 1, {"placement.dev/architectures": "x86_64"}))
        document = scenario_document(read_fleet(w.apis()))
    with pytest.raises(InvalidScenario, match=r"architectures.*unknown architecture 'x86_64': use amd64 and/or arm64"):
        build(document)


def test_terminating_pods_are_not_running(tmp_path) -> None:
    with world(tmp_path) as w:
        leaving = pod("web-leaving", "shop", {"app": "web"}, "a-od-1")
        leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"  # still Running and Ready until it stops
        w.a.seed(leaving)
        web = read_cluster(w.apis()["a"]).live.workloads["shop/web"]
    assert web.running == Replicas(on_demand=2, spot=2)


def test_todays_nodes_are_counted_by_instance_type_and_capacity_type() -> None:
    from placement.kube.read import node_types_of

    def node(name: str, labels: dict[str, str], deleting: bool = False) -> dict:
        meta: dict = {"name": name, "labels": labels}
        if deleting:
            meta["deletionTimestamp"] = "2026-12-07T00:00:00Z"
        return {"metadata": meta}

    nodes = [
        node("a", {"node.kubernetes.io/instance-type": "m5.xlarge", "karpenter.sh/capacity-type": "spot"}),
        node("b", {"node.kubernetes.io/instance-type": "m5.xlarge", "karpenter.sh/capacity-type": "spot"}),
        node("c", {"node.kubernetes.io/instance-type": "m5.xlarge"}),
        node("d", {"node.kubernetes.io/instance-type": "m5.large"}, deleting=True),
        node("e", {}),
    ]
    assert node_types_of(nodes) == {("m5.xlarge", "spot"): 2, ("m5.xlarge", "on-demand"): 1}
