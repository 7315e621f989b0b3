"""The fleet a run plans: a policy file plus the clusters' annotations (the CronJob), or a scenario
file (local use), read from two fake API servers (`tests/kube/kube_world.py`)."""

from __future__ import annotations

import pytest
import yaml
from kube_world import world

from placement.errors import ApplyError, InvalidScenario, PlacementError
from placement.kube.client import connect_fleet
from placement.run.fleet import IN_CLUSTER, fleet_from_file, fleet_from_policy, merge_policy, read_policy

POLICY = {
    "apiVersion": "placement.dev/v1alpha1",
    "kind": "Scenario",
    "metadata": {"name": "fleet"},
    "spec": {
        "planning": {"timeLimitSeconds": 5, "maxMoves": 4},
        "prices": {"source": "embedded"},
        "clusters": [
            {"name": "a", "context": "ctx-a", "capacity": {"cpu": 64}},
            {"name": "b", "context": "ctx-b", "country": "NL"},
        ],
    },
}


def _connect(w):
    return lambda clusters: connect_fleet(list(clusters), kubeconfig=str(w.kubeconfig), timeout_s=5)


def _write(tmp_path, document, name="policy.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document))
    return path


def test_policy_plus_annotations_make_the_scenario(tmp_path) -> None:
    with world(tmp_path) as w:
        fleet = fleet_from_policy(_write(tmp_path, POLICY), _connect(w))
    scenario = fleet.scenario
    assert sorted(w.key for w in scenario.workloads) == ["pay/ledger", "shop/api", "shop/web"]
    web, api, ledger = (scenario.workload(k) for k in ("shop/web", "shop/api", "pay/ledger"))
    # rules from the Deployments' placement.dev/ annotations, requests from their pod templates
    assert (web.spot_max_fraction, web.residency, web.min_clusters, web.cpu) == (0.5, ("EU",), 1, 0.5)
    assert api.replicas == 6  # placement.dev/replicas
    assert ledger.min_available == 2  # the PDB's floor
    # today's placement from the running pods (2 on spot nodes)
    assert (web.current["a"].on_demand, web.current["a"].spot) == (2, 2)
    # fleet settings from the policy; cloud, region and autoscaler from the clusters
    assert scenario.planning.max_moves == 4 and scenario.cluster("a").capacity_cpu == 64
    a, b = scenario.cluster("a"), scenario.cluster("b")
    assert (a.cloud, a.region, a.autoscaler) == ("aws", "eu-west-1", "karpenter/v1")
    assert (b.cloud, b.region, b.autoscaler, b.country) == ("gcp", "europe-west4", "gke", "NL")
    assert set(fleet.apis) == {"a", "b"} and fleet.live["b"].workloads["pay/ledger"].pdb_min_available == 2
    assert fleet.notes == ()


def test_the_policy_wins_for_fleet_settings_but_not_the_served_autoscaler(tmp_path) -> None:
    policy = yaml.safe_load(yaml.safe_dump(POLICY))
    policy["spec"]["clusters"][0].update(region="eu-west-2", autoscaler="karpenter/v1beta1")
    with world(tmp_path) as w:
        fleet = fleet_from_policy(_write(tmp_path, policy), _connect(w))
    a = fleet.scenario.cluster("a")
    assert (a.region, a.autoscaler) == ("eu-west-2", "karpenter/v1")
    assert any("nodes say region eu-west-1 but the policy says eu-west-2" in n for n in fleet.notes)
    assert any("serves karpenter/v1; using what it serves" in n for n in fleet.notes)


def test_merge_policy_leaves_unnamed_clusters_alone() -> None:
    document = {"spec": {"clusters": [{"name": "x", "cloud": "aws"}, {"name": "y", "cloud": "gcp"}]}}
    merged, notes = merge_policy(document, {"spec": {"clusters": [{"name": "x", "cloud": "azure"}]}})
    assert merged["spec"]["clusters"] == [{"name": "x", "cloud": "azure"}, {"name": "y", "cloud": "gcp"}]
    assert document["spec"]["clusters"][0]["cloud"] == "aws" and len(notes) == 1


def test_a_policy_without_clusters_means_this_cluster(tmp_path) -> None:
    path = _write(tmp_path, {"spec": {"prices": {"source": "embedded"}}})
    document = read_policy(path)
    assert document["spec"]["clusters"] == [{"name": IN_CLUSTER}] and document["kind"] == "Scenario"


def test_policy_file_problems_are_clear(tmp_path) -> None:
    with pytest.raises(PlacementError, match="mount the placement-policy ConfigMap") as raised:
        read_policy(tmp_path / "absent.yaml")
    assert raised.value.exit_code == 2
    (tmp_path / "bad.yaml").write_text("spec: [unclosed")
    with pytest.raises(InvalidScenario, match="not valid YAML"):
        read_policy(tmp_path / "bad.yaml")
    with pytest.raises(InvalidScenario, match=r"spec.clusters\[0\].name: is required"), world(tmp_path) as w:
        fleet_from_policy(_write(tmp_path, {"spec": {"clusters": [{"context": "ctx-a"}]}}), _connect(w))


def test_a_scenario_file_gets_live_current_and_its_autoscalers_checked(tmp_path) -> None:
    document = {
        **POLICY,
        "spec": {
            **POLICY["spec"],
            "clusters": [
                {"name": "a", "cloud": "aws", "region": "eu-west-1", "context": "ctx-a", "autoscaler": "karpenter/v1"},
                {"name": "b", "cloud": "gcp", "region": "europe-west4", "context": "ctx-b", "autoscaler": "gke"},
            ],
            "workloads": [
                {
                    "name": "web",
                    "namespace": "shop",
                    "resources": {"cpu": "500m", "memory": "1Gi"},
                    "demand": {"replicas": 4},
                    "current": {"b": {"onDemand": 9}},
                }
            ],
        },
    }
    with world(tmp_path) as w:
        fleet = fleet_from_file(_write(tmp_path, document, "scenario.yaml"), _connect(w))
        assert {k: (v.on_demand, v.spot) for k, v in fleet.scenario.workload("shop/web").current.items()} == {
            "a": (2, 2)
        }  # what runs, not what the file claimed
        assert fleet_from_file(tmp_path / "scenario.yaml", None).apis == {}
        document["spec"]["clusters"][0]["autoscaler"] = "karpenter/v1alpha5"
        with pytest.raises(ApplyError, match="serves karpenter/v1"):
            fleet_from_file(_write(tmp_path, document, "scenario.yaml"), _connect(w))
