"""Unplaced explanations: the smallest set of a workload's rules that conflict, checked by re-solving."""

from __future__ import annotations

from itertools import combinations

import pytest
from builders import make_catalog, make_cluster, make_scenario, make_workload, offers_for, user

from placement.analysis.conflicts import ConflictFinder, explain_unplaced, find_conflict
from placement.analysis.isolate import isolate
from placement.analysis.rules import relax_rules, workload_rules
from placement.solver.solve import solve
from pricing import CapacityType, Catalog

FRA = dict(cloud="aws", region="eu-central-1", country="DE", lat=50.11, lon=8.68)
DUB = dict(cloud="aws", region="eu-west-1", country="IE", lat=53.35, lon=-6.26)
IAD = dict(cloud="aws", region="us-east-1", country="US", lat=38.9, lon=-77.0)
US_EAST = user("us-east", 38.9, -77.0)
CATALOG = make_catalog(("aws", "eu-central-1", 1.0), ("aws", "eu-west-1", 1.0), ("aws", "us-east-1", 1.0))


def _placed(scenario, catalog: Catalog, key: str) -> bool:
    plan = solve(scenario, catalog, time_limit_s=5)
    return bool(plan.for_workload(key)) and not any(u.workload == key for u in plan.unplaced)


def _assert_minimal_and_correct(scenario, catalog, key: str) -> tuple:
    """Independent of the finder: only the conflict's rules on → unplaced; any one of them off → placed;
    and no smaller set of the workload's rules is infeasible."""
    plan = solve(scenario, catalog, time_limit_s=5)
    conflict = find_conflict(scenario, catalog, plan, key)
    alone = isolate(scenario, plan, key)
    rules = workload_rules(alone, alone.workload(key))
    others_off = [r for r in rules if r not in conflict.rules]
    assert not _placed(relax_rules(alone, key, others_off), catalog, key)
    for rule in conflict.rules:
        assert _placed(relax_rules(alone, key, [*others_off, rule]), catalog, key), rule
    for size in range(1, len(conflict.rules)):
        for subset in combinations(rules, size):
            off = [r for r in rules if r not in subset]
            assert _placed(relax_rules(alone, key, off), catalog, key), subset
    return conflict


def test_residency_and_latency_conflict_names_the_nearest_allowed_cluster():
    scenario = make_scenario(
        [make_cluster("aws-fra", **FRA), make_cluster("aws-iad", **IAD)],
        [make_workload("api", residency=("DE",), users={"us-east": 1.0}, latency_ms=40)],
        user_regions=[US_EAST],
    )
    conflict = _assert_minimal_and_correct(scenario, CATALOG, "shop/api")
    assert conflict.families == ("residency", "latency")
    assert "residency [DE] and latency 40 ms from us-east leave no cluster" in conflict.reason
    assert "the nearest DE cluster to us-east is aws-fra at" in conflict.reason
    # the RTT quoted is above the limit (else the cluster would serve)
    ms = float(conflict.reason.rsplit(" at ", 1)[1].split(" ms")[0])
    assert ms > 40


def test_unrelated_rules_are_not_in_the_conflict():
    # minClusters 2 and a spot cap hold on their own; only residency [CH] is to blame.
    scenario = make_scenario(
        [make_cluster("aws-fra", **FRA), make_cluster("aws-dub", **DUB)],
        [make_workload("ledger", residency=("CH",), min_clusters=2, spot_max_fraction=0.5, min_available=1)],
    )
    conflict = _assert_minimal_and_correct(scenario, CATALOG, "shop/ledger")
    assert [r.family for r in conflict.rules] == ["residency"]
    assert conflict.reason == "residency [CH] leaves no cluster: the fleet has clusters only in DE, IE"


def test_capacity_conflict_counts_what_the_other_workloads_use():
    # Both workloads must stay in DE (one 8-CPU cluster); the second cannot fit next to the first.
    scenario = make_scenario(
        [make_cluster("aws-fra", capacity_cpu=8.0, **FRA), make_cluster("aws-dub", **DUB)],
        [make_workload("a", residency=("DE",), replicas=6), make_workload("b", residency=("DE",), replicas=4)],
    )
    plan = solve(scenario, CATALOG, time_limit_s=5)
    assert [u.workload for u in plan.unplaced] == ["shop/b"]
    conflict = _assert_minimal_and_correct(scenario, CATALOG, "shop/b")
    assert conflict.families == ("residency", "capacity")
    assert "4 × 1 = 4 CPU" in conflict.reason and "aws-fra 2" in conflict.reason
    explained = explain_unplaced(scenario, CATALOG, plan)
    assert explained.unplaced[0].reason == conflict.reason and explained.unplaced[0].rules == ("residency", "capacity")
    assert explained.assignments == plan.assignments


def test_spot_only_region_conflicts_with_either_spot_rule():
    # DE offers only spot; an on-demand floor and a spot cap each need on-demand there: two conflicts.
    spot_only = [o for o in offers_for("aws", "eu-central-1") if o.capacity_type is CapacityType.SPOT]
    catalog = Catalog([*spot_only, *offers_for("aws", "eu-west-1")])
    scenario = make_scenario(
        [make_cluster("aws-fra", **FRA), make_cluster("aws-dub", **DUB)],
        [make_workload("w", residency=("DE",), spot_max_fraction=0.5, min_available=2)],
    )
    conflict = _assert_minimal_and_correct(scenario, catalog, "shop/w")
    assert conflict.families == ("residency", "spot")
    found = {frozenset((r.family, r.subject) for r in rules) for rules in (conflict.rules, *conflict.alternatives)}
    assert found == {
        frozenset({("residency", None), ("spot", "maxFraction")}),
        frozenset({("residency", None), ("spot", "minAvailable")}),
    }
    assert "offer only spot capacity that fits it: aws-fra" in conflict.reason
    assert "; so do residency [DE] and minAvailable 2" in conflict.reason


def test_instance_families_and_min_clusters():
    scenario = make_scenario(
        [
            make_cluster("aws-fra", instance_families=("c7i",), **FRA),
            make_cluster("aws-dub", **DUB),
            make_cluster("aws-iad", **IAD),
        ],
        [make_workload("eu", residency=("EU",), min_clusters=2)],
    )
    conflict = _assert_minimal_and_correct(scenario, CATALOG, "shop/eu")
    assert conflict.families == ("residency", "instanceFamilies", "minClusters")
    assert "only 1 cluster(s) that meet residency [EU] and the clusters' instanceFamilies: aws-dub" in conflict.reason


def test_nothing_fits_anywhere_is_a_resources_reason():
    scenario = make_scenario([make_cluster("aws-fra", **FRA)], [make_workload("huge", cpu=500.0, residency=("DE",))])
    plan = solve(scenario, CATALOG, time_limit_s=5)
    conflict = find_conflict(scenario, CATALOG, plan, "shop/huge")
    assert conflict.rules == () and conflict.families == ("resources",)
    assert "cpu=500" in conflict.reason


def test_churn_budget_conflict():
    scenario = make_scenario(
        [make_cluster("aws-fra", **FRA)],
        [make_workload("a", replicas=3, current={"aws-fra": (1, 0)})],
    )
    from dataclasses import replace

    scenario = replace(scenario, planning=replace(scenario.planning, max_moves=1))
    plan = solve(scenario, CATALOG, time_limit_s=5)
    assert plan.unplaced
    conflict = _assert_minimal_and_correct(scenario, CATALOG, "shop/a")
    assert conflict.families == ("maxMoves",)
    assert "1 move(s) left" in conflict.reason and "1 run today" in conflict.reason


def test_finder_needs_one_workload():
    scenario = make_scenario([make_cluster("aws-fra", **FRA)], [make_workload("a"), make_workload("b")])
    with pytest.raises(ValueError, match="one-workload"):
        ConflictFinder(scenario, CATALOG)


def test_limit_keeps_the_solver_reason_and_warns():
    scenario = make_scenario(
        [make_cluster("aws-fra", **FRA)], [make_workload("a", residency=("CH",)), make_workload("b", residency=("CH",))]
    )
    plan = solve(scenario, CATALOG, time_limit_s=5)
    explained = explain_unplaced(scenario, CATALOG, plan, limit=1)
    assert explained.unplaced[0].reason.startswith("residency [CH] leaves no cluster")
    assert explained.unplaced[1] == plan.unplaced[1]
    assert explained.warnings[-1].startswith("1 unplaced workload(s) keep the solver's reason")
