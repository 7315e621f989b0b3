"""The price of rules: each family's $/h is the difference of two solves (base − relaxed)."""

from __future__ import annotations

import json

import pytest
from builders import make_catalog, make_cluster, make_scenario, make_workload

from placement.analysis.price_of import price_of_json, price_of_rules, workload_costs
from placement.analysis.rules import FAMILIES, parse_families, relax
from placement.cli import main
from placement.errors import PlacementError
from placement.report.price_of import price_of_table_text
from placement.solver.solve import solve

FRA = dict(cloud="aws", region="eu-central-1", country="DE", lat=50.11, lon=8.68)
IAD = dict(cloud="aws", region="us-east-1", country="US", lat=38.9, lon=-77.0)
# A (1 CPU, 2 GiB) replica costs $0.06/h on-demand in DE, $0.03/h in the US (scale 0.5); spot is 30%.
CATALOG = make_catalog(("aws", "eu-central-1", 1.0), ("aws", "us-east-1", 0.5))
RISK = 1.05  # spot objective factor: 1 + riskAversion (1) × default interruption rate (0.05)


def _scenario(**workload):
    return make_scenario([make_cluster("fra", **FRA), make_cluster("iad", **IAD)],
                         [make_workload("ledger", residency=("DE",), **workload)])


def test_residency_price_is_hand_computed_and_equals_the_difference_of_two_solves():
    scenario = _scenario()
    (price,) = price_of_rules(scenario, CATALOG, ["residency"])
    base = solve(scenario, CATALOG, time_limit_s=5).solver.objective
    relaxed = solve(relax(scenario, "residency"), CATALOG, time_limit_s=5).solver.objective
    assert price.hourly_usd == pytest.approx(base - relaxed)
    assert price.hourly_usd == pytest.approx(4 * (0.06 - 0.03))
    assert price.fraction == pytest.approx(0.5)
    assert [(w.workload, round(w.hourly_usd, 9)) for w in price.workloads] == [("shop/ledger", 0.12)]


def test_spot_price_relaxes_the_cap_and_the_on_demand_floor():
    scenario = _scenario(spot_max_fraction=0.0, min_available=2)
    (price,) = price_of_rules(scenario, CATALOG, ["spot"])
    # Relaxed: all four replicas on spot in DE (residency still holds), priced with their risk.
    assert price.relaxed_hourly_usd == pytest.approx(4 * 0.018 * RISK)
    assert price.hourly_usd == pytest.approx(4 * 0.06 - 4 * 0.018 * RISK)


def test_unused_family_costs_nothing_and_is_not_resolved():
    scenario = _scenario()
    capacity, min_clusters = price_of_rules(scenario, CATALOG, ["capacity", "minClusters"])
    assert not capacity.used and capacity.hourly_usd == 0 and not min_clusters.used


def test_workloads_a_rule_makes_impossible_are_listed_not_priced():
    scenario = make_scenario([make_cluster("fra", **FRA), make_cluster("iad", **IAD)],
                             [make_workload("ledger", residency=("DE",)), make_workload("swiss", residency=("CH",))])
    (price,) = price_of_rules(scenario, CATALOG, ["residency"])
    assert price.newly_placed == ("shop/swiss",)
    assert price.hourly_usd == pytest.approx(0.12)  # only the workload placed in both plans counts


def test_min_clusters_and_capacity_prices_match_their_re_solves():
    scenario = make_scenario(
        [make_cluster("fra", capacity_cpu=2.0, **FRA), make_cluster("iad", **IAD),
         make_cluster("iad2", **IAD)],
        [make_workload("web", min_clusters=3, replicas=6),
         make_workload("api", egress_gb_per_hour=1.5, spot_max_fraction=0.5, min_clusters=2)],
    )
    base = solve(scenario, CATALOG, time_limit_s=5)
    prices = {p.family: p for p in price_of_rules(scenario, CATALOG, ["minClusters", "capacity"], base=base)}
    for family in ("minClusters", "capacity"):
        relaxed = solve(relax(scenario, family), CATALOG, time_limit_s=5)
        assert prices[family].hourly_usd == pytest.approx(base.solver.objective - relaxed.solver.objective)
        assert prices[family].hourly_usd >= -1e-9
    # minClusters 3 forces one web replica into the dearer DE cluster (0.06 − 0.03); api's minClusters 2 costs
    # nothing (two US clusters, same price).
    assert prices["minClusters"].hourly_usd == pytest.approx(0.03)


def test_workload_costs_sum_to_the_solver_objective():
    scenario = make_scenario([make_cluster("fra", **FRA), make_cluster("iad", **IAD)],
                             [make_workload("a", egress_gb_per_hour=2.0, spot_max_fraction=0.5),
                              make_workload("b", min_clusters=2)])
    plan = solve(scenario, CATALOG, time_limit_s=5)
    costs = workload_costs(scenario, CATALOG, plan)
    assert sum(costs.values()) == pytest.approx(plan.solver.objective)
    # a: 2 on-demand + 2 spot in the US; egress 2 GB/h × $0.09 spread over its 4 replicas.
    assert costs["shop/a"] == pytest.approx(2 * 0.03 + 2 * 0.009 * RISK + 2.0 * 0.09)


def test_family_names_are_checked():
    assert parse_families("residency, latency,residency") == ("residency", "latency")
    with pytest.raises(PlacementError, match='did you mean "minClusters"'):
        parse_families("minCluster")
    with pytest.raises(PlacementError, match="needs rule families"):
        parse_families(" , ")
    assert set(FAMILIES) >= {"residency", "latency", "minClusters", "spot", "capacity"}


def test_json_and_table():
    scenario = _scenario()
    prices = price_of_rules(scenario, CATALOG, ["residency", "capacity"])
    document = price_of_json(prices)
    assert list(document) == ["residency", "capacity"]
    assert document["residency"]["hourlyUsd"] == pytest.approx(0.12)
    assert document["capacity"]["used"] is False
    text = price_of_table_text(prices, width=160)
    assert "residency" in text and "(no such rule in the scenario)" in text


SCENARIO_YAML = """
apiVersion: placement.dev/v1alpha1
kind: Scenario
metadata: {name: price-of-test}
spec:
  clusters:
  - {name: aws-eu-central-1, cloud: aws, region: eu-central-1}
  - {name: aws-us-east-1, cloud: aws, region: us-east-1}
  workloads:
  - {name: web, namespace: shop, resources: {cpu: "1", memory: 2Gi}, demand: {replicas: 4}, residency: [DE]}
"""


def test_cli_adds_price_of_rules_to_plan_json(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO_YAML)
    assert main(["plan", "-f", str(path), "-o", "json", "--price-of", "residency,spot"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["kind"] == "Plan" and set(document["priceOfRules"]) == {"residency", "spot"}
    residency = document["priceOfRules"]["residency"]
    assert residency["hourlyUsd"] == pytest.approx(residency["baseHourlyUsd"] - residency["relaxedHourlyUsd"], abs=1e-5)
    assert residency["hourlyUsd"] > 0
    assert main(["plan", "-f", str(path), "--price-of", "residence"]) == 2
    assert 'did you mean "residency"' in capsys.readouterr().err
