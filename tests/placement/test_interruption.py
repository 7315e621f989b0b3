"""Spot interruption rates: precedence (scenario > advisor > offer > documented default), loading, docs."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from builders import make_catalog, make_cluster, make_offer, make_scenario, make_workload

from placement.errors import InvalidScenario, PlacementError
from placement.load.catalog import catalog_for
from placement.load.scenario import parse_scenario
from placement.load.spot_rates import apply_interruption_rates, monthly_from_hourly, rule_for
from placement.scenario import InterruptionRate
from placement.solver.replica_price import DEFAULT_INTERRUPTION_RATE
from placement.solver.solve import solve
from pricing import CapacityType, Catalog
from pricing.sources.aws_spot import SpotAdvisor
from pricing.spot_model import DEFAULT_SPOT_MODEL, instance_category

ROOT = Path(__file__).resolve().parents[2]
ADVISOR_FILE = ROOT / ".." / "shared" / "data" / "prices" / "aws_spot_advisor_data_2025-06-28.json.gz"
SPOT = CapacityType.SPOT


def _spot(**overrides):
    return make_offer(capacity_type=SPOT, **overrides)


def test_most_specific_rule_wins():
    rules = [
        InterruptionRate("aws", 0.1),
        InterruptionRate("aws", 0.2, family="m5"),
        InterruptionRate("aws", 0.3, region="eu-west-1"),
        InterruptionRate("aws", 0.4, region="eu-west-1", family="M5"),
    ]
    assert rule_for(rules, _spot()).monthly == 0.4  # region + family (families compare case-insensitively)
    assert rule_for(rules, _spot(instance_type="c5.large")).monthly == 0.3  # region
    assert rule_for(rules, _spot(region="us-east-1")).monthly == 0.2  # family
    assert rule_for(rules, _spot(region="us-east-1", instance_type="c5.large")).monthly == 0.1  # cloud
    assert rule_for(rules, _spot(cloud="gcp", instance_type="n2-standard-2")) is None


def test_precedence_scenario_then_advisor_then_offer_then_default():
    advisor = SpotAdvisor({("eu-west-1", "c5.large"): 0.025, ("eu-west-1", "m5.xlarge"): 0.25})
    offers = [
        _spot(instance_type="c5.large", interruption_rate=0.9),  # the advisor beats the offer's own rate
        _spot(instance_type="m5.xlarge"),  # the scenario's rule beats the advisor
        _spot(instance_type="r5.large", interruption_rate=0.33),  # kept: nothing more authoritative
        _spot(instance_type="t3.large"),  # no rate anywhere: the documented AWS default
        _spot(cloud="private", region="dc1", instance_type="box-4"),  # custom cloud: none
        make_offer(instance_type="m5.xlarge"),  # on-demand: untouched
    ]
    rules = [InterruptionRate("aws", 0.5, region="eu-west-1", family="m5")]
    applied = apply_interruption_rates(Catalog(offers), rules, advisor=advisor)
    rates = [o.interruption_rate for o in applied.catalog]
    assert rates == [0.025, 0.5, 0.33, DEFAULT_SPOT_MODEL.interruption_rate("aws", "t3.large"), None, None]
    assert applied.counts == {"scenario": 1, "advisor": 1, "offer": 1, "default": 1, "none": 1}
    assert not applied.warnings


def test_unmatched_rule_warns_and_unchanged_catalog_is_returned_as_is():
    catalog = Catalog([_spot(interruption_rate=0.1)])
    applied = apply_interruption_rates(catalog, [InterruptionRate("gcp", 0.2, family="n2")])
    assert applied.catalog is catalog
    assert len(applied.warnings) == 1 and "{cloud=gcp, family=n2} matched no spot offer" in applied.warnings[0]


def test_monthly_from_hourly():
    assert monthly_from_hourly(0.0) == 0.0
    assert monthly_from_hourly(1.0) == 1.0
    assert monthly_from_hourly(0.001) == pytest.approx(1 - 0.999**730)
    with pytest.raises(ValueError, match="between 0 and 1"):
        monthly_from_hourly(1.5)


def test_a_risky_region_loses_its_spot_replicas():
    # eu-west-1 spot is 10% cheaper, but a 50%/month interruption rate there makes eu-central-1 win.
    catalog = make_catalog(("aws", "eu-west-1", 0.9), ("aws", "eu-central-1", 1.0))
    scenario = make_scenario(
        [make_cluster("dub"), make_cluster("fra", region="eu-central-1", country="DE", lat=50.11, lon=8.68)],
        [make_workload("batch", spot_max_fraction=1.0)],
    )
    assert {a.cluster for a in solve(scenario, catalog).assignments} == {"dub"}
    risky = apply_interruption_rates(catalog, [InterruptionRate("aws", 0.5, region="eu-west-1")]).catalog
    plan = solve(scenario, risky)
    assert {a.cluster for a in plan.assignments} == {"fra"}


SCENARIO = """
apiVersion: placement.dev/v1alpha1
kind: Scenario
metadata: {{name: rates}}
spec:
  prices:
{prices}
  clusters:
  - {{name: gcp-europe-west4, cloud: gcp, region: europe-west4}}
  workloads:
  - {{name: web, namespace: shop, resources: {{cpu: 500m, memory: 1Gi}}, demand: {{replicas: 2}}}}
"""


def _load(prices: str, tmp_path: Path | None = None):
    return parse_scenario(SCENARIO.format(prices=prices), base_dir=tmp_path)


def test_loader_reads_rates_and_catalog_for_applies_them():
    scenario = _load(
        "    interruptionRates:\n    - {cloud: gcp, monthly: 0.3}\n"
        "    - {cloud: azure, region: westeurope, family: Dsv5, ratePerHour: 0.001}"
    )
    assert scenario.prices.interruption_rates[0] == InterruptionRate("gcp", 0.3)
    assert scenario.prices.interruption_rates[1].monthly == pytest.approx(monthly_from_hourly(0.001))
    catalog = catalog_for(scenario).catalog
    gcp_spot = [o for o in catalog.in_region("gcp", "europe-west4") if o.capacity_type is SPOT]
    assert gcp_spot and all(o.interruption_rate == 0.3 for o in gcp_spot)


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        (
            "    interruptionRates:\n    - {cloud: gpc, monthly: 0.1}",
            'interruptionRates[0].cloud: unknown cloud; did you mean "gcp"',
        ),
        ("    interruptionRates:\n    - {cloud: gcp, monthly: 0.1, ratePerHour: 0.1}", "give exactly one of `monthly`"),
        ("    interruptionRates:\n    - {cloud: gcp}", "give exactly one of `monthly`"),
        ("    interruptionRates:\n    - {cloud: gcp, monthly: 5}", "interruptionRates[0].monthly: must be at most 1"),
        (
            "    interruptionRates:\n    - {cloud: gcp, region: europe-west44, monthly: 0.1}",
            'unknown gcp region; did you mean "europe-west4"',
        ),
        ("    interruptionRates:\n    - {cloud: gcp, monthly: 0.1}\n    - {cloud: gcp, monthly: 0.2}", "duplicates"),
        ("    interruptionRates:\n    - {cloud: gcp, montly: 0.1}", 'unknown field; did you mean "monthly"'),
        ("    spotAdvisor: missing.json.gz", "spotAdvisor: file not found"),
    ],
)
def test_loader_errors_name_field_value_and_fix(prices, expected, tmp_path):
    with pytest.raises(InvalidScenario) as error:
        _load(prices, tmp_path)
    assert expected in str(error.value)


def test_docs_table_matches_the_code():
    text = (ROOT / "docs" / "spot-risk.md").read_text()
    rows = re.findall(r"^\| (\w[\w ]*?) \| ([^|]+?) \| +([\d.]+) \|", text, flags=re.M)
    table = {(cloud, category): float(rate) for cloud, category, rate in rows}
    for cloud, rates in DEFAULT_SPOT_MODEL.rates.items():
        for category, rate in rates.items():
            key = (
                cloud,
                "(any other)" if category == "*" and cloud == "aws" else "(all)" if category == "*" else category,
            )
            assert table.pop(key) == rate, key
    assert table.pop(("custom providers", "(all)")) == DEFAULT_INTERRUPTION_RATE
    assert not table, f"rows in docs/spot-risk.md that the code does not have: {table}"


@pytest.mark.skipif(not ADVISOR_FILE.exists(), reason="../shared/data is not available")
def test_real_advisor_feed_sets_rates_on_the_embedded_catalog(tmp_path):
    feed = json.loads(gzip.decompress(ADVISOR_FILE.read_bytes()))
    midpoint = {"<5%": 0.025, "5-10%": 0.075, "10-15%": 0.125, "15-20%": 0.175, ">20%": 0.25}
    labels = {r["index"]: r["label"] for r in feed["ranges"]}
    scenario = parse_scenario(
        SCENARIO.format(prices=f"    spotAdvisor: {ADVISOR_FILE}").replace(
            "gcp-europe-west4, cloud: gcp, region: europe-west4", "aws-us-east-1, cloud: aws, region: us-east-1"
        )
    )
    catalog = catalog_for(scenario).catalog
    checked = 0
    for offer in catalog.in_region("aws", "us-east-1"):
        entry = feed["spot_advisor"]["us-east-1"]["Linux"].get(offer.instance_type)
        if offer.capacity_type is SPOT and entry is not None:
            assert offer.interruption_rate == midpoint[labels[entry["r"]]], offer.instance_type
            checked += 1
    assert checked > 50
    assert instance_category("m7i.large") == "m"


def test_a_broken_advisor_feed_is_an_input_error_naming_the_field(tmp_path):
    (tmp_path / "feed.json").write_text('{"not": "a feed"}')
    scenario = _load("    spotAdvisor: feed.json", tmp_path)
    with pytest.raises(PlacementError, match=r"spec.prices.spotAdvisor: .*not a Spot Instance Advisor feed"):
        catalog_for(scenario)
