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
# Node-true: four (1 CPU, 2 GiB) replicas fill an m5.xlarge (3) and an m5.large (1): $0.36/h on-demand
# in DE, $0.18/h in the US (scale 0.5); spot is 30 % of that. Spot risk is priced on the fluid replica
# price: 1 core of the m5.2xlarge's 7.71 allocatable (0.144 / 7.71 per spot replica in DE).
CATALOG = make_catalog(("aws", "eu-central-1", 1.0), ("aws", "us-east-1", 0.5))


def _scenario(**workload):
    return make_scenario(
        [make_cluster("fra", **FRA), make_cluster("iad", **IAD)],
        [make_workload("ledger", residency=("DE",), **workload)],
    )


def test_residency_price_is_hand_computed_and_equals_the_difference_of_two_solves():
    scenario = _scenario()
    (price,) = price_of_rules(scenario, CATALOG, ["residency"])
    base = solve(scenario, CATALOG, time_limit_s=5).solver.objective
    relaxed = solve(relax(scenario, "residency"), CATALOG, time_limit_s=5).solver.objective
    assert price.hourly_usd == pytest.approx(base - relaxed)
    assert price.hourly_usd == pytest.approx(0.36 - 0.18)
    assert price.fraction == pytest.approx(0.5)
    assert [(w.workload, round(w.hourly_usd, 9)) for w in price.workloads] == [("shop/ledger", 0.18)]


def test_spot_price_relaxes_the_cap_and_the_on_demand_floor():
    scenario = _scenario(spot_max_fraction=0.0, min_available=2)
    (price,) = price_of_rules(scenario, CATALOG, ["spot"])
    # Relaxed: all four replicas on spot in DE (residency still holds), priced with their risk.
    spot = 0.072 + 0.036 + 4 * 0.05 * 0.144 / 7.71  # an m5.xlarge and an m5.large on spot, plus risk
    assert price.relaxed_hourly_usd == pytest.approx(spot, rel=1e-3)
    assert price.hourly_usd == pytest.approx(0.36 - spot, rel=1e-3)


def test_unused_family_costs_nothing_and_is_not_resolved():
    scenario = _scenario()
    capacity, min_clusters = price_of_rules(scenario, CATALOG, ["capacity", "minClusters"])
    assert not capacity.used and capacity.hourly_usd == 0 and not min_clusters.used


def test_workloads_a_rule_makes_impossible_are_listed_not_priced():
    scenario = make_scenario(
        [make_cluster("fra", **FRA), make_cluster("iad", **IAD)],
        [make_workload("ledger", residency=("DE",)), make_workload("swiss", residency=("CH",))],
    )
    (price,) = price_of_rules(scenario, CATALOG, ["residency"])
    assert price.newly_placed == ("shop/swiss",)
    relaxed = relax(scenario, "residency")
    shared = workload_costs(relaxed, CATALOG, solve(relaxed, CATALOG, time_limit_s=5))
    # only the workload placed in both plans counts: ledger's $0.36 in DE against its share of the US nodes
    assert price.hourly_usd == pytest.approx(0.36 - shared["shop/ledger"])
    assert [w.workload for w in price.workloads] == ["shop/ledger"]


def test_min_clusters_and_capacity_prices_match_their_re_solves():
    scenario = make_scenario(
        [make_cluster("fra", capacity_cpu=2.0, **FRA), make_cluster("iad", **IAD), make_cluster("iad2", **IAD)],
        [
            make_workload("web", min_clusters=3, replicas=6),
            make_workload("api", egress_gb_per_hour=1.5, spot_max_fraction=0.5, min_clusters=2),
        ],
    )
    base = solve(scenario, CATALOG, time_limit_s=5)
    prices = {p.family: p for p in price_of_rules(scenario, CATALOG, ["minClusters", "capacity"], base=base)}
    for family in ("minClusters", "capacity"):
        relaxed = solve(relax(scenario, family), CATALOG, time_limit_s=5)
        assert prices[family].hourly_usd == pytest.approx(base.solver.objective - relaxed.solver.objective)
        assert prices[family].hourly_usd >= -1e-9
    # minClusters 3 forces web onto a node in the dearer DE cluster and api's minClusters 2 onto a second
    # US cluster's node: whole nodes make a spread rule cost more than one replica's price difference
    assert prices["minClusters"].hourly_usd > 0


def test_workload_costs_sum_to_the_solver_objective():
    scenario = make_scenario(
        [make_cluster("fra", **FRA), make_cluster("iad", **IAD)],
        [make_workload("a", egress_gb_per_hour=2.0, spot_max_fraction=0.5), make_workload("b", min_clusters=2)],
    )
    plan = solve(scenario, CATALOG, time_limit_s=5)
    costs = workload_costs(scenario, CATALOG, plan)
    assert sum(costs.values()) == pytest.approx(plan.solver.objective)
    # a: its share of the US nodes, egress 2 GB/h × $0.09, and the risk of its 2 spot replicas
    share = sum(a.hourly_usd for a in plan.for_workload("shop/a"))
    assert costs["shop/a"] == pytest.approx(share + 2.0 * 0.09 + 2 * 0.05 * 0.5 * 0.144 / 7.71, rel=1e-4)


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
    assert document["residency"]["hourlyUsd"] == pytest.approx(0.18)
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
