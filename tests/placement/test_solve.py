"""solve() on small scenarios whose optimum is computed by hand.

Prices come from `tests.builders.price_from`: m5.large (2 vCPU, 8 GiB) 0.12 $/h, m5.xlarge 0.24,
m5.2xlarge 0.48 on demand, spot 30 % of that (× the region's scale). Node-true costs: a 1 CPU / 2 GiB
pod fits 1 per m5.large (1.73 allocatable cores after kube-reserved 0.07 and daemonsets 0.2), 3 per
m5.xlarge (3.72) and 7 per m5.2xlarge (7.71): four of them cost one xlarge + one large.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from builders import make_catalog, make_cluster, make_scenario, make_workload, user

from placement.analysis.validate import check
from placement.cli import main
from placement.plan import Plan
from placement.scenario import Planning
from placement.solver.solve import solve

CATALOG = make_catalog(("aws", "eu-west-1", 1.0), ("aws", "eu-central-1", 0.8), ("aws", "us-east-1", 0.5))
IE = make_cluster("ie", region="eu-west-1", country="IE", lat=53.35, lon=-6.26)
DE = make_cluster("de", region="eu-central-1", country="DE", lat=50.11, lon=8.68)
US = make_cluster("us", region="us-east-1", country="US", lat=38.9, lon=-77.0)


def replicas(plan: Plan, workload: str = "shop/web") -> dict[str, tuple[int, int]]:
    return {a.cluster: (a.on_demand, a.spot) for a in plan.for_workload(workload)}


def solved(scenario) -> Plan:
    plan = solve(scenario, CATALOG)
    assert check(plan, scenario, CATALOG) == []
    return plan


def test_everything_goes_to_the_cheapest_region_on_demand() -> None:
    plan = solved(make_scenario([IE, DE, US], [make_workload(replicas=4)]))
    assert replicas(plan) == {"us": (4, 0)}
    # 3 pods on an m5.xlarge + 1 on an m5.large, at the us scale 0.5: (0.24 + 0.12) × 0.5
    assert {(n.instance_type, n.count) for n in plan.nodes} == {("m5.xlarge", 1), ("m5.large", 1)}
    assert plan.hourly_usd.compute == pytest.approx((0.24 + 0.12) * 0.5)
    assert 0 < plan.solver.bound <= plan.solver.objective and plan.solver.gap < 0.5


def test_residency_restricts_clusters() -> None:
    plan = solved(make_scenario([IE, DE, US], [make_workload(replicas=4, residency=("EU",))]))
    assert replicas(plan) == {"de": (4, 0)}  # DE (0.8) beats IE (1.0); US is outside the EU


def test_spot_share_and_on_demand_floor() -> None:
    web = make_workload(replicas=4, spot_max_fraction=0.5, min_available=1)
    plan = solved(make_scenario([DE], [web]))
    assert replicas(plan) == {"de": (2, 2)}  # half spot at most; the floor (1) is not binding
    # two on-demand pods: one m5.xlarge or two m5.large (0.24 either way); two spot pods: 0.072 (× 0.8)
    assert plan.hourly_usd.compute == pytest.approx(0.8 * (0.24 + 0.072))
    # risk on the fluid spot replica price: the m5.2xlarge's 7.71 allocatable cores, 1 core per replica
    assert plan.hourly_usd.risk == pytest.approx(0.05 * 2 * 0.8 * 0.144 / 7.71, rel=1e-3)


def test_floor_binds_when_spot_could_take_more() -> None:
    plan = solved(make_scenario([DE], [make_workload(replicas=4, spot_max_fraction=1.0, min_available=3)]))
    assert replicas(plan) == {"de": (3, 1)}


def test_min_clusters_spreads_at_least_one_replica_to_the_next_cheapest() -> None:
    plan = solved(make_scenario([IE, DE], [make_workload(replicas=4, min_clusters=2)]))
    assert replicas(plan) == {"de": (3, 0), "ie": (1, 0)}


def test_latency_keeps_traffic_near_its_users() -> None:
    eu = user("eu", 50.1, 8.7)
    web = make_workload(replicas=4, users={"eu": 1.0}, latency_ms=40)
    plan = solved(make_scenario([IE, DE, US], [web], user_regions=[eu]))
    assert set(replicas(plan)) <= {"ie", "de"} and replicas(plan) == {"de": (4, 0)}
    assert all(r.rtt_ms <= 40 for r in plan.routing)


def test_latency_split_between_user_regions_rounds_up_per_cluster() -> None:
    users = [user("eu", 50.1, 8.7), user("us", 38.9, -77.0)]
    web = make_workload(replicas=3, users={"eu": 0.5, "us": 0.5}, latency_ms=40)
    plan = solved(make_scenario([DE, US], [web], user_regions=users))
    assert replicas(plan) == {"de": (2, 0), "us": (2, 0)}  # 1.5 replicas-worth each side → 2 + 2


def test_capacity_cap_overflows_to_the_next_cluster() -> None:
    capped = make_cluster("us", region="us-east-1", country="US", lat=38.9, lon=-77.0, capacity_cpu=2.0)
    plan = solved(make_scenario([capped, DE], [make_workload(replicas=4)]))
    assert replicas(plan) == {"us": (2, 0), "de": (2, 0)}


def test_capacity_can_leave_a_workload_unplaced_while_others_are_planned() -> None:
    capped = make_cluster("us", region="us-east-1", country="US", lat=38.9, lon=-77.0, capacity_cpu=4.0)
    big = make_workload("big", replicas=3, cpu=2.0)
    small = make_workload("small", replicas=2)
    plan = solved(make_scenario([capped], [big, small]))
    assert [u.workload for u in plan.unplaced] == ["shop/big"] and "capacity" in plan.unplaced[0].rules
    assert replicas(plan, "shop/small") == {"us": (2, 0)}


def test_churn_budget_limits_moves() -> None:
    web = make_workload(replicas=4, current={"ie": (4, 0)})
    scenario = make_scenario([IE, US], [web], planning=Planning(max_moves=2, time_limit_s=10))
    plan = solved(scenario)
    assert plan.moves == 2 and replicas(plan) == {"us": (2, 0), "ie": (2, 0)}
    free = solved(make_scenario([IE, US], [web]))
    assert free.moves == 4 and replicas(free) == {"us": (4, 0)}


def test_residency_that_matches_no_cluster_is_unplaced_with_its_rule() -> None:
    ch = make_workload("ch", residency=("CH",))
    plan = solved(make_scenario([IE, DE], [ch, make_workload()]))
    assert [u.workload for u in plan.unplaced] == ["shop/ch"]
    assert plan.unplaced[0].rules == ("residency",) and "residency [CH] leaves no cluster" in plan.unplaced[0].reason
    assert replicas(plan) == {"de": (4, 0)}


def test_residency_and_latency_together_name_the_nearest_cluster() -> None:
    far = user("far", 38.9, -77.0)
    web = make_workload(replicas=2, users={"far": 1.0}, latency_ms=40, residency=("DE",))
    plan = solved(make_scenario([DE, US], [web], user_regions=[far]))
    reason = plan.unplaced[0].reason
    assert plan.unplaced[0].rules == ("residency", "latency")
    assert "latency 40 ms from far leave no cluster" in reason and "de at" in reason


def test_savings_against_todays_placement() -> None:
    web = make_workload(replicas=4, current={"ie": (4, 0)})
    plan = solved(make_scenario([IE, US], [web]))
    assert plan.hourly_usd.before == pytest.approx(0.24 + 0.12)  # today's 4 pods on the same node model
    assert plan.savings() == pytest.approx(0.5)
    assert "today's replicas" in plan.before_basis


def test_bound_never_exceeds_objective_and_gap_is_reported() -> None:
    plan = solved(
        make_scenario([IE, DE, US], [make_workload(f"w{i}", replicas=3 + i, min_clusters=2) for i in range(5)])
    )
    assert 0 < plan.solver.bound <= plan.solver.objective + 1e-9
    assert plan.solver.gap == pytest.approx((plan.solver.objective - plan.solver.bound) / plan.solver.objective)
    assert math.isfinite(plan.solver.seconds)


def test_cli_exit_3_names_the_rule_and_plans_the_rest(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "residency-unplaced.yaml"
    code = main(["plan", "--scenario", str(example), "-o", "json"])
    out = capsys.readouterr().out
    plan = Plan.from_json(__import__("json").loads(out))
    assert code == 3
    assert [u.workload for u in plan.unplaced] == ["shop/ledger-ch"] and "residency [CH]" in plan.unplaced[0].reason
    assert {a.workload for a in plan.assignments} == {"shop/web"}


def test_min_clusters_beyond_latency_adds_standby_replicas_that_serve_no_traffic() -> None:
    """DESIGN "minClusters with latency": the second cluster minClusters asks for may lie outside
    latencyMs; it holds a replica as a standby and no user's traffic is routed there."""
    web = make_workload(replicas=4, users={"eu": 1.0}, latency_ms=40, min_clusters=2)
    plan = solved(make_scenario([IE, US], [web], user_regions=[user("eu", 51.5, -0.1)]))
    assert not plan.unplaced
    assert replicas(plan) == {"ie": (4, 0), "us": (1, 0)}
    assert {(r.users, r.cluster) for r in plan.routing} == {("eu", "ie")}
