"""Egress prices: embedded facts per cloud, scenario overrides (`prices.egress`), transfer kinds."""

from __future__ import annotations

import pytest
from builders import make_cluster, make_scenario, make_workload

from placement.errors import InvalidScenario
from placement.geo.egress import (
    EMBEDDED_EGRESS,
    apply_egress_overrides,
    cluster_egress_usd_per_gb,
    egress_prices,
    egress_usd_per_gb,
    transfer_usd_per_gb,
)
from placement.load.scenario import parse_scenario
from placement.scenario import EgressPrices, PriceSettings

SCENARIO = """
apiVersion: placement.dev/v1alpha1
kind: Scenario
metadata: {{name: egress}}
spec:
{planning}
  prices:
{prices}
  clusters:
  - {{name: aws-eu-west-1, cloud: aws, region: eu-west-1}}
  - {{name: gcp-europe-west4, cloud: gcp, region: europe-west4}}
  workloads:
  - {{name: web, namespace: shop, resources: {{cpu: 500m, memory: 1Gi}}, demand: {{replicas: 2}}, egressGbPerHour: 3}}
"""


def _load(prices: str = "    source: embedded", planning: str = ""):
    return parse_scenario(SCENARIO.format(prices=prices, planning=planning))


def test_embedded_internet_prices_are_the_documented_list_prices():
    assert {cloud: p.internet_per_gb for cloud, p in EMBEDDED_EGRESS.items()} == {
        "aws": 0.09,
        "gcp": 0.12,
        "azure": 0.087,
    }
    assert egress_usd_per_gb("aws") == 0.09 and egress_usd_per_gb("my-dc") == 0.09  # custom: AWS figure
    for prices in EMBEDDED_EGRESS.values():  # leaving a cloud never costs less than moving inside it
        assert prices.inter_cloud_per_gb >= prices.inter_region_per_gb


def test_override_merges_with_the_embedded_figures_and_reaches_the_clusters():
    scenario = _load("    egress:\n      aws: {internetPerGb: 0.05, interCloudPerGb: 0.06}")
    assert scenario.prices.egress == {
        "aws": EgressPrices(internet_per_gb=0.05, inter_region_per_gb=0.02, inter_cloud_per_gb=0.06)
    }
    aws, gcp = scenario.clusters
    assert cluster_egress_usd_per_gb(aws) == 0.05
    assert gcp.egress_usd_per_gb is None and cluster_egress_usd_per_gb(gcp) == 0.12
    assert egress_prices(scenario, "gcp") == EMBEDDED_EGRESS["gcp"]


def test_transfer_kinds():
    dub = make_cluster("dub")
    fra = make_cluster("fra", region="eu-central-1", country="DE")
    gcp = make_cluster("gcp", cloud="gcp", region="europe-west4", country="NL")
    scenario = make_scenario([dub, fra, gcp], [make_workload()])
    assert transfer_usd_per_gb(scenario, dub, make_cluster("dub2")) == 0.0  # same region
    assert transfer_usd_per_gb(scenario, dub, fra) == 0.02
    assert transfer_usd_per_gb(scenario, dub, gcp) == 0.09
    assert transfer_usd_per_gb(scenario, gcp, dub) == 0.12
    assert transfer_usd_per_gb(scenario, gcp, None) == 0.12


def test_apply_egress_overrides_keeps_explicit_cluster_prices():
    scenario = make_scenario(
        [make_cluster("dub", egress_usd_per_gb=0.01), make_cluster("dub2")],
        [make_workload()],
        prices=PriceSettings(egress={"aws": EgressPrices(0.04, 0.02, 0.09)}),
    )
    assert [c.egress_usd_per_gb for c in apply_egress_overrides(scenario).clusters] == [0.01, 0.04]


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        (
            "    egress:\n      aws: {internetPerGB: 0.05}",
            'egress.aws.internetPerGB: unknown field; did you mean "internetPerGb"',
        ),
        (
            "    egress:\n      aws: {internetPerGb: -1}",
            "egress.aws.internetPerGb: must be at least 0 (USD per GB, e.g. 0.09) (got -1",
        ),
        ("    egress:\n      awz: {internetPerGb: 0.05}", 'egress.awz: unknown cloud; did you mean "aws"'),
        ("    egress:\n      aws: {}", "egress.aws: sets no price"),
        ("    egress:\n      aws: 0.05", "egress.aws: must be a mapping of fields"),
    ],
)
def test_override_errors_name_field_value_and_fix(prices, expected):
    with pytest.raises(InvalidScenario) as error:
        _load(prices)
    assert expected in str(error.value)


@pytest.mark.parametrize(
    ("planning", "expected"),
    [
        ("  planning: {slots: 200}", "spec.planning.slots: must be at most 168 hourly slots (one week) (got 200)"),
        ("  planning: {slots: 0}", "spec.planning.slots: must be at least 1"),
        ("  planning: {maxMovesPerSlot: -2}", "spec.planning.maxMovesPerSlot: must be at least 0"),
        ("  planning: {slot: 2}", 'spec.planning.slot: unknown field; did you mean "slots"'),
    ],
)
def test_planning_slot_fields_are_validated(planning, expected):
    with pytest.raises(InvalidScenario) as error:
        _load(planning=planning)
    assert expected in str(error.value)


def test_planning_slot_fields_load():
    scenario = _load(planning="  planning: {slots: 24, maxMovesPerSlot: 5}")
    assert (scenario.planning.slots, scenario.planning.max_moves_per_slot) == (24, 5)


def test_an_override_is_what_the_plan_costs_and_the_validator_recomputes():
    from builders import make_catalog

    from placement.analysis.validate import check
    from placement.solver.solve import solve

    doc = "    egress:\n      aws: {internetPerGb: 1.0}\n      gcp: {internetPerGb: 1.0}"
    catalog = make_catalog(("aws", "eu-west-1", 1.0), ("gcp", "europe-west4", 1.0))
    embedded = solve(_load(), catalog)
    overridden_scenario = _load(doc)
    overridden = solve(overridden_scenario, catalog)
    # 3 GB/h leave wherever the replicas are: at $1/GB instead of the embedded $0.09 (aws) or $0.12 (gcp)
    assert overridden.hourly_usd.egress == pytest.approx(3.0)
    assert embedded.hourly_usd.egress == pytest.approx(3 * 0.09)
    assert check(overridden, overridden_scenario, catalog) == []
