"""solve() at scale: the time limit holds (always a valid plan), spot.maxClusterShare is enforced,
and the decomposition (closed form, dominance pruning, LP batches, coupled LP-then-fix) finds the
same optimum as one monolithic model on small scenarios.

Prices come from `tests.builders.price_from` (× the region's scale). The decomposition is about the
allocation model, so its figures are `SolverStats.model_objective` on fluid replica prices (below);
the plans' node bills are checked by the validator.
"""

from __future__ import annotations

import random
import time

import pytest
from builders import make_catalog, make_cluster, make_scenario, make_workload, user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placement.analysis.validate import check
from placement.plan import Plan
from placement.scenario import Planning
from placement.solver.allocation import Placement
from placement.solver.candidates import all_options
from placement.solver.closed_form import closed_form
from placement.solver.formulation import build_group
from placement.solver.greedy import greedy
from placement.solver.replica_price import ReplicaPricer
from placement.solver.solve import solve

# The allocation model's fluid replica prices (scale 1): a 1 CPU / 2 GiB replica takes 1/7.71 of an
# m5.2xlarge's allocatable cores (8 − kube-reserved 0.09 − daemonsets 0.2), the cheapest share.
OD_REPLICA = 0.48 / 7.71
SPOT_REPLICA = 0.144 / 7.71 * 1.05  # spot 30 % of on-demand, × (1 + risk 0.05) in the objective
CATALOG = make_catalog(("aws", "eu-west-1", 1.0), ("aws", "eu-central-1", 0.8), ("aws", "us-east-1", 0.5))
IE = make_cluster("ie", region="eu-west-1", country="IE", lat=53.35, lon=-6.26)
DE = make_cluster("de", region="eu-central-1", country="DE", lat=50.11, lon=8.68)
US = make_cluster("us", region="us-east-1", country="US", lat=38.9, lon=-77.0)
USERS = [user("eu", 50.1, 8.7), user("us", 40.7, -74.0), user("asia", 1.35, 103.8)]


def replicas(plan: Plan, workload: str = "shop/web") -> dict[str, tuple[int, int]]:
    return {a.cluster: (a.on_demand, a.spot) for a in plan.for_workload(workload)}


# --- spot.maxClusterShare -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["highs", "scip"])
def test_spot_share_per_cluster_spreads_spot_over_clusters(backend: str) -> None:
    # Without the rule all 4 replicas go spot in DE (cheapest). With at most half of the spot replicas
    # in one cluster: 2 spot in DE + 2 spot in IE (0.0189 × (2·0.8 + 2·1.0)) beats any mix with on-demand.
    alone = solve(make_scenario([IE, DE], [make_workload(replicas=4, spot_max_fraction=1.0)]), CATALOG, backend=backend)
    assert replicas(alone) == {"de": (0, 4)}
    scenario = make_scenario([IE, DE], [make_workload(replicas=4, spot_max_fraction=1.0, spot_max_cluster_share=0.5)])
    plan = solve(scenario, CATALOG, backend=backend)
    assert check(plan, scenario, CATALOG) == []
    assert replicas(plan) == {"de": (0, 2), "ie": (0, 2)}
    assert plan.solver.model_objective == pytest.approx(SPOT_REPLICA * (2 * 0.8 + 2 * 1.0))


def test_spot_share_below_one_half_with_two_clusters_leaves_only_on_demand() -> None:
    # Two clusters can each hold ≤ 0.4·S spot replicas: 0.8·S < S for any S > 0, so no spot at all.
    scenario = make_scenario([IE, DE], [make_workload(replicas=4, spot_max_fraction=1.0, spot_max_cluster_share=0.4)])
    plan = solve(scenario, CATALOG)
    assert replicas(plan) == {"de": (4, 0)}
    assert plan.solver.model_objective == pytest.approx(4 * OD_REPLICA * 0.8)


def test_spot_share_can_make_an_extra_replica_pay() -> None:
    # Three clusters, share 0.4: with 4 replicas at most 3 can be spot (⌊0.4·3⌋ = 1 per cluster), costing
    # 0.0189·(0.5 + 0.8 + 1.0) + 0.06·0.5 = 0.0735; with 5 all-spot replicas (2 US, 2 DE, 1 IE; ⌊0.4·5⌋ = 2)
    # it is 0.0189·(2·0.5 + 2·0.8 + 1.0) = 0.06804, so the optimum runs one replica more than the demand.
    scenario = make_scenario(
        [IE, DE, US], [make_workload(replicas=4, spot_max_fraction=1.0, spot_max_cluster_share=0.4)]
    )
    plan = solve(scenario, CATALOG)
    assert check(plan, scenario, CATALOG) == []
    assert replicas(plan) == {"us": (0, 2), "de": (0, 2), "ie": (0, 1)}
    assert plan.solver.model_objective == pytest.approx(SPOT_REPLICA * 3.6)


def test_greedy_keeps_the_spot_share_per_cluster() -> None:
    scenario = make_scenario([IE, DE], [make_workload(replicas=4, spot_max_fraction=1.0, spot_max_cluster_share=0.5)])
    options = all_options(scenario, ReplicaPricer(CATALOG))
    (placement,) = greedy(options, scenario.planning, {})
    assert placement is not None
    spot = sum(sp for _, sp in placement.replicas.values())
    assert all(sp <= 0.5 * spot for _, sp in placement.replicas.values())  # greedy keeps it all in DE: no spot


# --- the time limit -------------------------------------------------------------------------------


def fleet(workloads: int, clusters: int, seed: int = 3, caps: int = 2, max_moves: int | None = None):
    """A generated fleet: clusters in EU/US regions with random price scales, workloads with random rules."""
    rng = random.Random(seed)
    regions = [
        (
            f"r{i}",
            ("DE", "IE", "FR", "US", "US", "CA")[i % 6],
            (50.0, 53.0, 48.8, 39.0, 37.0, 45.0)[i % 6],
            (8.7, -6.3, 2.3, -77.0, -122.0, -75.0)[i % 6],
        )
        for i in range(clusters)
    ]
    catalog = make_catalog(*[("aws", name, rng.uniform(0.6, 1.4)) for name, *_ in regions])
    capped = set(rng.sample(range(clusters), caps))
    cluster_list = [
        make_cluster(
            f"c{i}",
            region=name,
            country=country,
            lat=lat,
            lon=lon,
            capacity_cpu=rng.choice([8.0, 16.0, 40.0]) if i in capped else None,
        )
        for i, (name, country, lat, lon) in enumerate(regions)
    ]
    workload_list = []
    for i in range(workloads):
        count = rng.randint(1, 12)
        users = rng.choice([{}, {}, {"eu": 1.0}, {"eu": 0.3, "us": 0.7}, {"eu": 0.5, "us": 0.25, "asia": 0.25}])
        workload_list.append(
            make_workload(
                f"w{i}",
                cpu=rng.choice([0.25, 0.5, 1.0, 2.0]),
                memory_gib=rng.choice([0.5, 2.0, 4.0]),
                replicas=count,
                spot_max_fraction=rng.choice([0.0, 0.5, 0.8, 1.0]),
                min_available=rng.randint(0, count // 3),
                min_clusters=rng.choice([1, 1, 2, 3]),
                residency=rng.choice([None, None, ("EU",), ("US",)]),
                users=users,
                latency_ms=rng.choice([60.0, 120.0, 250.0]) if users else None,
                spot_max_cluster_share=rng.choice([None, None, None, 0.5]),
                egress_gb_per_hour=rng.choice([0.0, 0.0, 3.0]),
                current={f"c{rng.randrange(clusters)}": (count, 0)},
            )
        )
    scenario = make_scenario(
        cluster_list, workload_list, user_regions=USERS, planning=Planning(time_limit_s=30, max_moves=max_moves)
    )
    return scenario, catalog


def test_the_time_limit_holds_on_a_fleet_too_big_for_it() -> None:
    scenario, catalog = fleet(3000, 16)
    limit_s = 0.5
    started = time.perf_counter()
    plan = solve(scenario, catalog, time_limit_s=limit_s)
    wall_s = time.perf_counter() - started
    # The unlimited solve takes several seconds here; the limit cuts it and the greedy plan fills in.
    assert plan.solver.status == "time_limit"
    assert plan.solver.seconds <= limit_s + 1.5 and wall_s <= limit_s + 1.5  # generous: shared machines
    assert len(plan.assignments) > 0 and plan.solver.bound <= plan.solver.objective
    assert check(plan, scenario, catalog) == []


class ExpiringClock:
    """A clock that stands still for `reads` reads, then jumps an hour ahead (time is up from then on)."""

    def __init__(self, reads: int) -> None:
        self.reads = reads

    def __call__(self) -> float:
        self.reads -= 1
        return 0.0 if self.reads >= 0 else 3600.0


@pytest.mark.parametrize("max_moves", [None, 25])
@pytest.mark.parametrize("reads", [1, 2, 3, 4, 5, 6, 7, 9, 10_000])
def test_time_running_out_at_any_step_still_gives_a_valid_plan(reads: int, max_moves: int | None) -> None:
    scenario, catalog = fleet(60, 6, seed=reads, max_moves=max_moves)
    plan = solve(scenario, catalog, clock=ExpiringClock(reads))
    assert check(plan, scenario, catalog) == [], plan.to_json()
    assert plan.solver.bound <= plan.solver.objective + 1e-9
    if reads < 3:  # out of time before the first model: the greedy plan, and a time_limit status
        assert plan.solver.status == "time_limit"
    if reads == 10_000:  # time never runs out: the allocation is proved optimal (the node-aware gap adds packing)
        stats = plan.solver
        assert stats.status == "optimal" and stats.model_objective - stats.model_bound <= 1e-3 * stats.model_objective


def test_out_of_time_before_any_solver_step_returns_the_greedy_plan() -> None:
    scenario, catalog = fleet(60, 6)
    plan = solve(scenario, catalog, clock=ExpiringClock(1))  # the start time, then time is up
    options = [o for o in all_options(scenario, ReplicaPricer(catalog)) if o.unplaced is None]
    capacity = {c.name: c.capacity_cpu for c in scenario.clusters if c.capacity_cpu is not None}
    expected = {wo.workload.key: p for wo, p in zip(options, greedy(options, scenario.planning, capacity), strict=True)}
    assert plan.solver.status == "time_limit"
    for key, placement in expected.items():
        assert replicas(plan, key) == ({} if placement is None else placement.replicas)
    unlimited = solve(scenario, catalog)
    assert unlimited.solver.status == "optimal"
    assert (len(unlimited.unplaced), unlimited.solver.model_objective) < (
        len(plan.unplaced),
        plan.solver.model_objective,
    )


# --- decomposition = one monolithic model -----------------------------------------------------------


def monolithic(scenario, catalog) -> tuple[float, bool]:
    """The optimum of one model of every workload (no pruning, closed form or batches), and whether all are placed."""
    options = [
        o for o in all_options(scenario, ReplicaPricer(catalog)) if o.unplaced is None and o.workload.replicas > 0
    ]
    capacity = {c.name: c.capacity_cpu for c in scenario.clusters if c.capacity_cpu is not None}
    milp, variables = build_group(
        options, scenario.planning, unplaced_slack=True, capacity_cpu=capacity, max_moves=scenario.planning.max_moves
    )
    result = milp.solve(backend="scip", time_limit_s=20, relative_gap=1e-9)
    assert result.status == "optimal"
    return result.objective, all(result.values[v.unplaced] < 0.5 for v in variables)  # type: ignore[index]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    workloads=st.integers(1, 12),
    caps=st.integers(0, 2),
    churn=st.sampled_from([None, 0, 6, 30]),
)
def test_decomposition_finds_the_monolithic_optimum(seed: int, workloads: int, caps: int, churn: int | None) -> None:
    scenario, catalog = fleet(workloads, 5, seed=seed, caps=caps, max_moves=churn)
    optimum, all_placed = monolithic(scenario, catalog)
    plan = solve(scenario, catalog, relative_gap=1e-9)
    assert check(plan, scenario, catalog) == []
    if all_placed:
        assert plan.solver.model_objective == pytest.approx(optimum, rel=1e-6, abs=1e-9)
        assert plan.solver.model_bound <= optimum + 1e-6


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_closed_form_equals_the_workloads_own_model(seed: int) -> None:
    scenario, catalog = fleet(8, 5, seed=seed, caps=0)
    for wo in all_options(scenario, ReplicaPricer(catalog)):
        exact = closed_form(wo, scenario.planning) if wo.unplaced is None else None
        if exact is None:
            continue
        milp, _ = build_group([wo], scenario.planning, unplaced_slack=False, capacity_cpu={})
        result = milp.solve(backend="scip", relative_gap=1e-9)
        assert exact[1] == pytest.approx(result.objective, rel=1e-9, abs=1e-12)
        assert (
            isinstance(exact[0], Placement)
            and sum(od + sp for od, sp in exact[0].replicas.values()) == wo.workload.replicas
        )
