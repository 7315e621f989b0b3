"""The pool's packing LP (`placement.solver.patterns`): its prices are a valid lower bound of any
node bill (checked against every pattern, enumerated by brute force), and they see what per-core
prices cannot (two 4-core pods never share an 8-vCPU node)."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from builders import make_cluster, make_offer, make_scenario, make_workload

from placement.load.catalog import catalog_for
from placement.load.demand import resolve_demand
from placement.load.scenario import demo_scenario_path, load_scenario
from placement.solver.candidates import all_options
from placement.solver.node_plan import (
    PATTERN_WORK,
    PATTERN_WORK_AT_MIN,
    PATTERN_WORK_PER_WORKLOAD,
    dual_options,
    dual_prices,
    pattern_work,
    pool_groups,
)
from placement.solver.node_types import NodeType
from placement.solver.packing import PodGroup, provision
from placement.solver.patterns import PoolColumns, best_pattern, lp_knapsack_bound, pool_patterns
from placement.solver.replica_price import ReplicaPricer
from placement.solver.solve import solve
from pricing import Catalog


def node(name: str, cpu: float, memory_gib: float, usd: float, pods: int = 110, arch: str = "amd64") -> NodeType:
    return NodeType(
        name, name.split("-")[0], arch, usd, math.ceil(cpu), math.ceil(memory_gib), cpu, memory_gib, pods, 0.05
    )


def patterns_of(t: NodeType, shapes: list[PodGroup]) -> list[tuple[int, ...]]:
    """Every multiset of the shapes that fits one node of `t` (brute force)."""
    limits = [
        min(t.pods, math.floor(t.cpu / s.cpu + 1e-9), math.floor(t.alloc_memory_gib / s.memory_gib + 1e-9))
        if t.arch in s.arches
        else 0
        for s in shapes
    ]
    return [
        counts
        for counts in itertools.product(*(range(n + 1) for n in limits))
        if t.holds(
            sum(c * s.cpu for c, s in zip(counts, shapes, strict=True)),
            sum(c * s.memory_gib for c, s in zip(counts, shapes, strict=True)),
            sum(counts),
        )
    ]


def assert_valid(prices: tuple[float, ...], shapes: list[PodGroup], types: list[NodeType]) -> None:
    for t in types:
        for counts in patterns_of(t, shapes):
            worth = sum(c * y for c, y in zip(counts, prices, strict=True))
            assert worth <= t.hourly_usd * (1 + 1e-9), (t.instance_type, counts, worth)


def test_two_4_core_pods_never_share_an_8_vcpu_node() -> None:
    big = node("std-8", 7.71, 25.4, 0.40)
    shapes = [PodGroup("a", 4.0, 8.0, 10)]
    lp = pool_patterns(shapes, [big])
    assert lp is not None
    assert lp.bound_usd == pytest.approx(10 * 0.40, rel=1e-6)  # one node per pod
    cores = dual_prices([big], (40.0, 80.0, 10.0))
    assert 10 * (4 * cores[0] + 8 * cores[1] + cores[2]) < 0.55 * lp.bound_usd  # per-core prices see ~half


def test_three_3_cpu_pods_on_4_vcpu_nodes_are_priced_a_node_each() -> None:
    small = node("m5-xlarge", 3.72, 13.5, 0.192)
    lp = pool_patterns([PodGroup("a", 3.0, 4.0, 3)], [small])
    assert lp is not None and lp.bound_usd == pytest.approx(3 * 0.192, rel=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_prices_are_valid_for_every_pattern_of_every_type(seed: int) -> None:
    rng = random.Random(seed)
    types = [
        node(f"t{i}-x", rng.choice([1.9, 3.7, 7.7]), rng.choice([3.5, 7.5, 14.0, 28.0]), rng.uniform(0.05, 0.5), pods=8)
        for i in range(rng.randint(1, 4))
    ]
    shapes = [
        PodGroup(
            f"s{j}", rng.choice([0.5, 1.0, 1.5, 2.0, 3.0]), rng.choice([0.5, 1.0, 2.0, 4.0, 8.0]), rng.randint(0, 40)
        )
        for j in range(rng.randint(1, 4))
    ]
    lp = pool_patterns(shapes, types)
    if lp is None:  # nothing fits anything: no prices to check
        assert not any(t.holds(s.cpu, s.memory_gib) for t in types for s in shapes)
        return
    kept = list(lp.shapes)
    assert_valid(lp.prices_usd, kept, types)
    # a lower bound of the real bill: no packing of the demand costs less
    packed = provision([s for s in kept if s.count], types)
    assert not packed.pending
    assert lp.bound_usd <= packed.hourly_usd * (1 + 1e-9)
    # lifted above per-resource prices: never below them, still valid
    demand = (sum(s.cpu * s.count for s in kept), sum(s.memory_gib * s.count for s in kept), sum(s.count for s in kept))
    pi = dual_prices(types, demand if demand[2] else (1.0, 1.0, 1.0))
    nominal = [pi[0] * s.cpu + pi[1] * s.memory_gib + pi[2] for s in kept]
    lifted = pool_patterns(kept, types, nominal_usd=nominal)
    assert lifted is not None
    assert all(y >= n * (1 - 1e-6) for y, n in zip(lifted.prices_usd, nominal, strict=True))
    assert_valid(lifted.prices_usd, kept, types)


def test_a_knapsack_search_cut_off_still_bounds_the_best_pattern() -> None:
    t = node("std-8", 7.71, 25.4, 0.40, pods=40)
    shapes = [
        PodGroup("a", 0.25, 0.5, 1),
        PodGroup("b", 0.5, 1.0, 1),
        PodGroup("c", 1.0, 4.0, 1),
        PodGroup("d", 2.0, 8.0, 1),
    ]
    values = [0.013, 0.027, 0.06, 0.11]
    exact_value, _, upper = best_pattern(t, shapes, values, [True] * 4, node_cap=10**6)
    assert upper == pytest.approx(exact_value)
    assert exact_value == pytest.approx(
        max(sum(c * v for c, v in zip(p, values, strict=True)) for p in patterns_of(t, shapes))
    )
    cut_value, _, cut_upper = best_pattern(t, shapes, values, [True] * 4, node_cap=3)
    assert cut_value <= exact_value + 1e-12
    assert cut_upper >= exact_value - 1e-12


@pytest.mark.parametrize("seed", range(40))
def test_the_knapsack_lp_relaxation_is_the_lp_optimum_and_bounds_every_pattern(seed: int) -> None:
    from scipy.optimize import linprog

    rng = random.Random(seed)
    n = rng.randint(1, 6)
    cpu = [rng.choice([0.1, 0.25, 0.5, 1.0, 2.0, 3.0]) for _ in range(n)]
    mem = [rng.choice([0.125, 0.5, 1.0, 2.0, 4.0, 8.0]) for _ in range(n)]
    val = [rng.uniform(0.001, 0.2) for _ in range(n)]
    if seed % 5 == 0:  # identical and implied rows (dropped before the vertices are solved)
        cpu, mem, val = cpu + cpu[:1] * 2, mem + mem[:1] * 2, [*val, val[0], val[0] / 2]
    t = node("t-x", rng.choice([1.9, 3.7, 7.7]), rng.choice([3.5, 7.5, 14.0]), 1.0, pods=rng.choice([4, 8, 29]))
    relaxed = lp_knapsack_bound((t.cpu, t.alloc_memory_gib, t.pods), cpu, mem, val)
    lp = linprog([-v for v in val], A_ub=[cpu, mem, [1.0] * len(val)], b_ub=[t.cpu, t.alloc_memory_gib, t.pods])
    assert relaxed == pytest.approx(-lp.fun, rel=1e-9)
    shapes = [PodGroup(f"s{i}", c, m, 1) for i, (c, m) in enumerate(zip(cpu, mem, strict=True))]
    best = max(sum(k * v for k, v in zip(p, val, strict=True)) for p in patterns_of(t, shapes))
    assert relaxed >= best * (1 - 1e-12)


def test_a_search_cut_off_settles_for_the_lp_relaxation_when_that_is_tight_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t = node("big-x", 95.5, 370.0, 2.0, pods=230)
    cpu = [0.25, 1.0, 3.0, 0.5, 2.0, 0.1, 1.5, 4.0]
    memory = [0.5, 4.0, 6.0, 2.0, 3.0, 0.25, 8.0, 9.0]
    values = [0.0051, 0.0213, 0.06, 0.0131, 0.0405, 0.0021, 0.0377, 0.0822]
    shapes = [PodGroup(f"s{i}", c, m, 1) for i, (c, m) in enumerate(zip(cpu, memory, strict=True))]
    relaxed = lp_knapsack_bound((t.cpu, t.alloc_memory_gib, t.pods), cpu, memory, values)
    fits = [True] * len(shapes)
    import placement.solver.patterns as patterns

    def no_cp_sat(*_: object) -> float:
        raise AssertionError("CP-SAT asked for a bound the LP relaxation settles")

    with monkeypatch.context() as m:
        m.setattr(patterns, "_knapsack_bound", no_cp_sat)
        value, _, upper = best_pattern(t, shapes, values, fits, node_cap=5, settle=relaxed)
        assert value <= upper <= relaxed * (1 + 1e-12)  # no longer search: the LP's bound will do
        # unsettled (no `settle`): the longer search, then CP-SAT, bound it more tightly
        with pytest.raises(AssertionError, match="CP-SAT"):
            best_pattern(t, shapes, values, fits, node_cap=5)
    _, _, tighter = best_pattern(t, shapes, values, fits, node_cap=5)
    assert tighter < upper
    exact, _, tight = best_pattern(t, shapes, values, fits, node_cap=10**6)
    assert tight == pytest.approx(exact)
    assert exact <= tighter * (1 + 1e-12) and exact <= upper * (1 + 1e-12)  # both still bounds
    # a pattern worth more than `enough`, found at once, counts the nodes searched, not the cap
    work = [0]
    best_pattern(t, shapes, values, fits, node_cap=1500, enough=0.5, work=work)
    assert 0 < work[0] < 1500


def test_prices_worth_less_than_the_alternative_are_given_up_early() -> None:
    types = [node("std-x", 3.7, 14.0, 0.2, pods=8), node("cpu-x", 7.7, 14.0, 0.3, pods=8)]
    shapes = [PodGroup("a", 1.0, 2.0, 10), PodGroup("b", 2.0, 8.0, 5)]
    pool = PoolColumns(shapes, types)
    lp = pool_patterns(shapes, types)
    assert lp is not None
    valid_y = np.array(lp.prices_usd)
    doubled = 2 * valid_y
    assert pool.valid(doubled, least_scale=0.9) is None  # worth less than 0.9 × doubled: given up
    scaled, scale = pool.valid(doubled)  # type: ignore[misc]
    assert scale <= 0.5 + 1e-9
    assert_valid(tuple(scaled), list(pool.shapes), types)


def test_the_plan_bound_sees_whole_nodes() -> None:
    # ten 4-core pods, 8-vCPU nodes of 7.71 allocatable cores: ten nodes whatever the allocation
    offers = [make_offer(instance_type="m5.2xlarge", vcpus=8.0, memory_gib=32.0, hourly_usd=0.384)]
    scenario = make_scenario([make_cluster("ie")], [make_workload(cpu=4.0, memory_gib=8.0, replicas=10)])
    plan = solve(scenario, Catalog(offers))
    assert [(n.instance_type, n.count) for n in plan.nodes] == [("m5.2xlarge", 10)]
    assert plan.solver.bound == pytest.approx(plan.solver.objective, rel=1e-6)
    assert plan.solver.gap == pytest.approx(0.0, abs=1e-6)


def _fleet() -> tuple:
    offers = [
        make_offer(instance_type="m5.xlarge", vcpus=4.0, memory_gib=16.0, hourly_usd=0.192),
        make_offer(instance_type="m5.2xlarge", vcpus=8.0, memory_gib=32.0, hourly_usd=0.384),
        make_offer(instance_type="c5.2xlarge", vcpus=8.0, memory_gib=16.0, hourly_usd=0.34),
    ]
    workloads = [
        make_workload("big", cpu=4.0, memory_gib=8.0, replicas=5),
        make_workload("mid", cpu=2.0, memory_gib=8.0, replicas=4),
        make_workload("small", cpu=0.5, memory_gib=1.0, replicas=9),
    ]
    return make_scenario([make_cluster("ie")], workloads), Catalog(offers)


def test_packing_prices_never_undercut_per_resource_prices_and_a_past_deadline_keeps_those() -> None:
    scenario, catalog = _fleet()
    plan = solve(scenario, catalog)
    pricer = ReplicaPricer(catalog)
    options = [o for o in all_options(scenario, pricer) if o.unplaced is None]
    pods = pool_groups(scenario, plan.assignments)
    per_resource = dual_options(options, pricer.node_types, pods, patterns=False)
    lifted = dual_options(options, pricer.node_types, pods)
    timed_out = dual_options(options, pricer.node_types, pods, deadline=0.0, clock=lambda: 1.0)

    def prices(opts: list) -> list[float]:
        return [o.on_demand.hourly_usd for wo in opts for o in wo.options]

    assert prices(timed_out) == prices(per_resource)
    assert all(b >= a * (1 - 1e-6) for a, b in zip(prices(per_resource), prices(lifted), strict=True))
    assert sum(prices(lifted)) > sum(prices(per_resource)) * 1.01  # the 4-core pods cost a whole node
    assert plan.solver.bound <= plan.solver.objective + 1e-9


def test_the_demo_plan_and_its_bound_are_the_same_on_every_run() -> None:
    # no wall-clock limit inside the bound's LPs (knapsack cut-offs are counted in nodes and in
    # CP-SAT's deterministic time): what-if sweeps and Ray fan-outs compare plans exactly
    scenario = resolve_demand(load_scenario(demo_scenario_path()))
    catalog = catalog_for(scenario).catalog
    first, second = solve(scenario, catalog), solve(scenario, catalog)
    assert first.solver.bound == second.solver.bound
    assert first.to_json()["nodes"] == second.to_json()["nodes"]
    assert first.solver.bound < first.solver.objective


def test_bound_work_grows_with_the_time_limit_and_is_capped() -> None:
    # short what-if/simulation solves spend nothing on the packing LPs; longer limits earn more, up to the cap
    assert pattern_work(3) == pattern_work(9.9) == 0
    assert 0 < pattern_work(10) < pattern_work(20) < pattern_work(40) <= PATTERN_WORK
    assert pattern_work(3600) == PATTERN_WORK
    # and by the fleet: at most a share per placed workload, never below the work at the minimum limit
    assert pattern_work(60, workloads=1_000) == 1_000 * PATTERN_WORK_PER_WORKLOAD < pattern_work(60)
    assert pattern_work(60, workloads=3) == PATTERN_WORK_AT_MIN
    assert pattern_work(5, workloads=10_000) == 0
