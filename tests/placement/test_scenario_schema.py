"""The Scenario JSON Schema (`placement/data/scenario.schema.json`): generated from
`placement.load.schema`, shipped as generated, in step with the loader's keys, and accepting every
scenario the loader accepts (the demo, `examples/`, a scenario using every field)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from placement.cli import main
from placement.errors import InvalidScenario
from placement.geo.egress import OVERRIDE_KEYS
from placement.load import scenario as loader
from placement.load import workload as workload_loader
from placement.load.price_settings import _RATE_KEYS
from placement.load.scenario import demo_scenario_path, parse_scenario
from placement.load.schema import object_fields, scenario_schema, schema_text
from pricing import adjust

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "placement" / "data" / "scenario.schema.json"
VALIDATOR = jsonschema.Draft202012Validator(scenario_schema())

EVERY_FIELD = """\
# yaml-language-server: $schema=../placement/data/scenario.schema.json
apiVersion: placement.dev/v1alpha1
kind: Scenario
metadata: {name: every-field}
spec:
  planning: {quantile: 0.9, timeLimitSeconds: 20, maxMoves: 10, riskAversion: 1.5, overheadFactor: 1.1,
             slots: null, maxMovesPerSlot: null}
  prices:
    source: embedded
    file: null
    extra: []
    adjustments:
    - {cloud: aws, discountPercent: 12}
    - {cloud: gcp, family: n2, hourlyUsd: 0.05}
    - {extraHourlyUsd: 0.01}
    interruptionRates:
    - {cloud: gcp, monthly: 0.1}
    - {cloud: azure, region: westeurope, family: Dsv5, ratePerHour: 0.0003}
    spotAdvisor: null
    egress: {aws: {internetPerGb: 0.05, interRegionPerGb: 0.02}}
  userRegions:
  - {name: eu-west, lat: 51.5, lon: -0.1, country: GB}
  latency:
    matrixMs: {eu-west: {aws-eu: 11}}
  clusters:
  - name: aws-eu
    cloud: aws
    region: eu-west-1
    country: IE
    context: null
    autoscaler: karpenter/v1
    capacity: {cpu: 400}
    instanceFamilies: [m7i, c7i]
    maxPodsPerNode: 110
    daemonsets: {cpu: 300m, memory: 1Gi, pods: 5}
  - {name: gcp-eu, cloud: gcp, region: europe-west4, autoscaler: gke, capacity: {cpu: 1500m},
     daemonsets: {pods: 2}}
  workloads:
  - name: checkout
    namespace: shop
    resources: {cpu: 500m, memory: 1Gi}
    demand: {replicas: 12}
    users: {eu-west: 1.0}
    latencyMs: 100
    residency: [EU]
    spot: {maxFraction: 0.8, maxClusterShare: 0.75}
    minAvailable: 3
    minClusters: 2
    current: {aws-eu: {onDemand: 12, spot: 0}}
    egressGbPerHour: 0.5
    architectures: [amd64, arm64]
  - name: api
    resources: {cpu: 1, memory: 512Mi}
    demand: {promql: 'sum(rate(http_requests_total[5m]))', prometheus: 'http://prometheus:9090',
             perReplica: 50, headroom: 0.2}
    architectures: amd64
"""


def _errors(document: object) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(document)]


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == schema_text(), "run `make schema` to refresh it"


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(SHIPPED.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "path", [demo_scenario_path(), *sorted((ROOT / "examples").glob("*.yaml"))], ids=lambda p: p.name
)
def test_the_demo_and_every_example_validate(path: Path) -> None:
    assert _errors(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_a_scenario_using_every_field_loads_and_validates() -> None:
    scenario = parse_scenario(EVERY_FIELD)
    assert scenario.clusters[0].max_pods_per_node == 110 and scenario.clusters[0].daemonsets.pods == 5
    assert _errors(yaml.safe_load(EVERY_FIELD)) == []


def test_each_object_has_exactly_the_fields_the_loader_accepts() -> None:
    loader_keys = {
        "": loader._TOP_KEYS,
        "spec": loader._SPEC_KEYS,
        "spec.planning": loader._PLANNING_KEYS,
        "spec.prices": loader._PRICES_KEYS,
        "spec.prices.adjustments[]": adjust._FIELDS,
        "spec.prices.adjustments[].shapes[]": adjust._SHAPE_FIELDS,
        "spec.prices.interruptionRates[]": _RATE_KEYS,
        "spec.prices.egress.*": tuple(OVERRIDE_KEYS),
        "spec.userRegions[]": loader._USER_KEYS,
        "spec.latency": loader._LATENCY_KEYS,
        "spec.clusters[]": loader._CLUSTER_KEYS,
        "spec.clusters[].capacity": loader._CAPACITY_KEYS,
        "spec.clusters[].daemonsets": loader._DAEMONSET_KEYS,
        "spec.clusters[].currentNodes[]": loader._CURRENT_NODE_KEYS,
        "spec.workloads[]": workload_loader.WORKLOAD_KEYS,
        "spec.workloads[].resources": workload_loader.RESOURCES_KEYS,
        "spec.workloads[].demand": workload_loader.DEMAND_KEYS,
        "spec.workloads[].spot": workload_loader.SPOT_KEYS,
        "spec.workloads[].current.*": workload_loader.CURRENT_KEYS,
    }
    fields = object_fields()
    assert {path: set(keys) for path, keys in fields.items() if path != "metadata"} == {
        path: set(keys) for path, keys in loader_keys.items()
    }


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda d: d["spec"]["clusters"][0].update(maxPodsPerNod=110), "spec.clusters"),
        (lambda d: d["spec"]["clusters"][0].update(autoscaler="karpenter/v2"), "spec.clusters.0.autoscaler"),
        (lambda d: d["spec"]["clusters"][0].update(maxPodsPerNode=0), "spec.clusters.0.maxPodsPerNode"),
        (lambda d: d["spec"]["clusters"][0]["daemonsets"].update(pods=-1), "spec.clusters.0.daemonsets.pods"),
        (lambda d: d["spec"]["workloads"][0]["spot"].update(maxFraction=1.5), "spec.workloads.0.spot.maxFraction"),
        (lambda d: d["spec"]["workloads"][0].update(residency=[]), "spec.workloads.0.residency"),
        (lambda d: d["spec"]["prices"].update(source="cheap"), "spec.prices.source"),
        (lambda d: d["spec"]["workloads"][0].update(architectures=["riscv"]), "spec.workloads.0.architectures"),
    ],
)
def test_what_the_loader_refuses_the_schema_flags_too(edit, where: str) -> None:
    document = yaml.safe_load(EVERY_FIELD)
    edit(document)
    with pytest.raises(InvalidScenario):
        parse_scenario(yaml.safe_dump(document))
    assert any(e.startswith(where) for e in _errors(document)), _errors(document)


def test_placement_scenario_schema_prints_or_writes_it(tmp_path, capsys) -> None:
    assert main(["scenario", "schema"]) == 0
    assert capsys.readouterr().out == schema_text()
    target = tmp_path / "scenario.schema.json"
    assert main(["scenario", "schema", "--write", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == schema_text()
