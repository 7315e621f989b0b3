"""The scenario loader: a valid file builds the right values; every kind of bad input gets one
line naming the field path, the bad value and the fix — and the CLI exits 2 without a traceback."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from placement.cli import main
from placement.errors import InvalidScenario
from placement.load.scenario import build_scenario, load_scenario, parse_scenario

BASE: dict[str, Any] = {
    "apiVersion": "placement.dev/v1alpha1",
    "kind": "Scenario",
    "metadata": {"name": "t"},
    "spec": {
        "userRegions": [{"name": "eu-west", "lat": 51.5, "lon": -0.1}, {"name": "us-east", "lat": 38.9, "lon": -77.0}],
        "clusters": [
            {"name": "aws-eu-west-1", "cloud": "aws", "region": "eu-west-1"},
            {"name": "gcp-us", "cloud": "gcp", "region": "us-central1", "capacity": {"cpu": "64"}},
        ],
        "workloads": [
            {
                "name": "web",
                "namespace": "shop",
                "resources": {"cpu": "500m", "memory": "1Gi"},
                "demand": {"replicas": 6},
                "users": {"eu-west": 0.7, "us-east": 0.3},
                "latencyMs": 150,
                "residency": ["EU"],
                "spot": {"maxFraction": 0.5},
                "minAvailable": 2,
                "minClusters": 1,
                "current": {"aws-eu-west-1": {"onDemand": 6}},
            },
        ],
    },
}


def problems_of(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidScenario) as caught:
        build_scenario(doc, source="s.yaml")
    return [str(p) for p in caught.value.problems]


def mutated(path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    node: Any = doc
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    node[int(last) if last.isdigit() else last] = value
    return doc


def test_valid_scenario_builds_typed_values() -> None:
    scenario = build_scenario(copy.deepcopy(BASE))
    web = scenario.workload("shop/web")
    assert (web.cpu, web.memory_gib, web.replicas) == (0.5, 1.0, 6)
    assert web.residency == ("EU",) and web.spot_max_fraction == 0.5 and web.current["aws-eu-west-1"].on_demand == 6
    eu = scenario.cluster("aws-eu-west-1")
    assert eu.country == "IE" and eu.lat is not None  # from the regions table
    assert scenario.cluster("gcp-us").capacity_cpu == 64.0 and scenario.cluster("gcp-us").country == "US"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        # unknown names, with a suggestion
        ("spec.clusters.0.region", "eu-west-9", "spec.clusters[0].region: unknown aws region"),
        ("spec.clusters.0.region", "eu-wset-1", 'did you mean "eu-west-1"'),
        ("spec.clusters.0.cloud", "awz", "spec.clusters[0].cloud: unknown cloud"),
        (
            "spec.workloads.0.current",
            {"aws-eu-west-2": {"onDemand": 1}},
            "spec.workloads[0].current.aws-eu-west-2: unknown cluster",
        ),
        ("spec.workloads.0.users", {"eu-wst": 0.7, "us-east": 0.3}, 'unknown user region; did you mean "eu-west"'),
        (
            "spec.workloads.0.residency",
            ["EUU"],
            'spec.workloads[0].residency[0]: unknown residency code; did you mean "EU"',
        ),
        # quantities
        ("spec.workloads.0.resources.cpu", "-1", "spec.workloads[0].resources.cpu: must not be negative"),
        ("spec.workloads.0.resources.memory", "lots", "spec.workloads[0].resources.memory: not a Kubernetes quantity"),
        ("spec.clusters.1.capacity", {"cpu": "12x"}, "spec.clusters[1].capacity.cpu: not a Kubernetes quantity"),
        ("spec.workloads.0.demand", {"replicas": -3}, "spec.workloads[0].demand.replicas: must be at least 0"),
        ("spec.workloads.0.demand", {"replicas": "many"}, "spec.workloads[0].demand.replicas: must be a whole number"),
        # shares and rules
        ("spec.workloads.0.users", {"eu-west": 0.7, "us-east": 0.2}, "shares sum to 0.9, not 1"),
        ("spec.workloads.0.minAvailable", 9, "spec.workloads[0].minAvailable: is above the demand of 6 replicas"),
        ("spec.workloads.0.spot", {"maxFraction": 1.5}, "spec.workloads[0].spot.maxFraction: must be at most 1"),
        ("spec.workloads.0.latencyMs", 0, "spec.workloads[0].latencyMs: must be greater than 0"),
        ("spec.userRegions.0.lat", 123, "spec.userRegions[0].lat: must be at most 90"),
        ("spec.clusters.0.autoscaler", "karpenter/v2", "spec.clusters[0].autoscaler: unknown autoscaler"),
        ("spec.workloads.0.minClusterz", 2, 'spec.workloads[0].minClusterz: unknown field; did you mean "minClusters"'),
        ("spec.clusters.0.nodes", [], 'spec.clusters[0].nodes: unknown field; did you mean "currentNodes"'),
        (
            "spec.clusters.0.zzz",
            1,
            "spec.clusters[0].zzz: unknown field; expected one of: autoscaler, capacity, cloud,",
        ),
        ("spec.clusters.1.name", "aws-eu-west-1", "duplicate cluster name"),
        ("apiVersion", "placement.dev/v2", "apiVersion: must be placement.dev/v1alpha1"),
    ],
)
def test_bad_input_names_field_value_and_fix(path: str, value: Any, expected: str) -> None:
    problems = problems_of(mutated(path, value))
    assert any(expected in line for line in problems), problems


def test_all_problems_are_reported_at_once() -> None:
    doc = mutated("spec.workloads.0.resources.cpu", "-1")
    doc["spec"]["clusters"][0]["region"] = "nowhere-1"
    doc["spec"]["workloads"][0]["users"] = {"eu-west": 0.1, "us-east": 0.1}
    assert len(problems_of(doc)) == 3


def test_malformed_yaml_names_line_and_column() -> None:
    with pytest.raises(InvalidScenario) as caught:
        parse_scenario("spec:\n  clusters: [a, b\n  workloads: 1\n", source="bad.yaml")
    assert "malformed YAML at line" in str(caught.value) and "bad.yaml" in str(caught.value)


def test_custom_cloud_from_price_file_needs_country(tmp_path: Path) -> None:
    (tmp_path / "offers.csv").write_text(
        "cloud,region,instance_type,capacity_type,vcpus,memory_gib,hourly_usd\nprivate,dc1,std-4,on-demand,4,16,0.05\n"
    )
    doc = copy.deepcopy(BASE)
    doc["spec"]["prices"] = {"source": "embedded", "extra": ["offers.csv"]}
    doc["spec"]["clusters"].append({"name": "dc1", "cloud": "private", "region": "dc1"})
    with pytest.raises(InvalidScenario) as caught:
        build_scenario(doc, base_dir=tmp_path)
    assert any(
        "spec.clusters[2].country: is required for custom region private/dc1" in str(p) for p in caught.value.problems
    )
    doc["spec"]["clusters"][2]["country"] = "DE"
    doc["spec"]["latency"] = {"matrixMs": {"eu-west": {"dc1": 20}, "us-east": {"dc1": 95}}}
    scenario = build_scenario(doc, base_dir=tmp_path)
    assert scenario.cluster("dc1").country == "DE"


def test_cli_exits_2_with_one_line_per_problem_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = mutated("spec.workloads.0.minAvailable", 9)
    doc["spec"]["workloads"][0]["residency"] = ["XX"]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    code = main(["plan", "--scenario", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "spec.workloads[0].minAvailable" in err and "spec.workloads[0].residency[0]" in err
    assert "2 problems" in err


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidScenario, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_demo_scenario_is_valid_and_rich_enough() -> None:
    from placement.load.scenario import demo_scenario_path

    demo = load_scenario(demo_scenario_path())
    assert len({c.cloud for c in demo.clusters}) >= 3
    assert len(demo.clusters) >= 9 and len({c.country for c in demo.clusters}) >= 4
    assert len(demo.workloads) >= 20
    users = {u for w in demo.workloads if w.latency_ms is not None for u in w.users}
    assert len(users) >= 3
    residencies = {w.residency for w in demo.workloads}
    assert None in residencies and ("EU",) in residencies and ("US",) in residencies
    assert any(w.spot_max_fraction == 0 for w in demo.workloads) and any(
        w.spot_max_fraction > 0 for w in demo.workloads
    )
    assert any(c.capacity_cpu is not None for c in demo.clusters)
    assert all(r.spot == 0 for w in demo.workloads for r in w.current.values())


def test_clusters_read_daemonsets_and_current_nodes() -> None:
    from placement.load.scenario import build_scenario

    doc = {
        "apiVersion": "placement.dev/v1alpha1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {
            "clusters": [
                {
                    "name": "ie",
                    "cloud": "aws",
                    "region": "eu-west-1",
                    "daemonsets": {"cpu": "300m", "memory": "1Gi", "pods": 6},
                    "currentNodes": [
                        {"instanceType": "m5.xlarge", "count": 3},
                        {"instanceType": "m5.large", "capacityType": "spot", "count": 2},
                    ],
                }
            ],
            "workloads": [
                {
                    "name": "web",
                    "namespace": "shop",
                    "resources": {"cpu": "500m", "memory": "1Gi"},
                    "demand": {"replicas": 2},
                }
            ],
        },
    }
    cluster = build_scenario(doc).clusters[0]
    assert (cluster.daemonsets.cpu, cluster.daemonsets.memory_gib, cluster.daemonsets.pods) == (0.3, 1.0, 6)
    assert cluster.current_nodes == {("m5.xlarge", "on-demand"): 3, ("m5.large", "spot"): 2}
    doc["spec"]["clusters"][0]["currentNodes"] = [{"instanceType": "m5.xlarge", "capacityType": "reserved", "count": 1}]
    with pytest.raises(InvalidScenario, match=r"currentNodes\[0\].capacityType: must be on-demand or spot"):
        build_scenario(doc)
