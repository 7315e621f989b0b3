"""The pool's packing LP (`placement.solver.patterns`): its prices are a valid lower bound of any
node bill (checked against every pattern, enumerated by brute force), and they see what per-core
prices cannot (two 4-core pods never share an 8-vCPU node)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from builders import make_cluster, make_node_type, make_offer, make_scenario, make_workload, patterns_of

from placement.load.catalog import catalog_for
from placement.load.demand import resolve_demand
from placement.load.scenario import demo_scenario_path, load_scenario
from placement.solver.candidates import all_options
from placement.solver.node_plan import (
    PATTERN_WORK,
    PATTERN_WORK_AT_MIN,
    PATTERN_WORK_PER_WORKLOAD,
    _slot_bound,
    dual_options,
    dual_prices,
    pattern_work,
    pool_groups,
    pool_packing,
)
from placement.solver.node_types import NodeType
from placement.solver.packing import LARGE_POOL_PODS, PodGroup, provision
from placement.solver.patterns import PoolColumns, pool_patterns
from placement.solver.replica_price import ReplicaPricer
from placement.solver.solve import solve
from pricing import Catalog


def assert_valid(prices: tuple[float, ...], shapes: list[PodGroup], types: list[NodeType]) -> None:
    for t in types:
        for counts in patterns_of(t, shapes):
            worth = sum(c * y for c, y in zip(counts, prices, strict=True))
            assert worth <= t.hourly_usd * (1 + 1e-9), (t.instance_type, counts, worth)


def test_two_4_core_pods_never_share_an_8_vcpu_node() -> None:
    big = make_node_type("std-8", 7.71, 25.4, 0.40)
    shapes = [PodGroup("a", 4.0, 8.0, 10)]
    lp = pool_patterns(shapes, [big])
    assert lp is not None
    assert lp.bound_usd == pytest.approx(10 * 0.40, rel=1e-6)  # one node per pod
    cores = dual_prices([big], (40.0, 80.0, 10.0))
    assert 10 * (4 * cores[0] + 8 * cores[1] + cores[2]) < 0.55 * lp.bound_usd  # per-core prices see ~half


def test_three_3_cpu_pods_on_4_vcpu_nodes_are_priced_a_node_each() -> None:
    small = make_node_type("m5-xlarge", 3.72, 13.5, 0.192)
    lp = pool_patterns([PodGroup("a", 3.0, 4.0, 3)], [small])
    assert lp is not None and lp.bound_usd == pytest.approx(3 * 0.192, rel=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_prices_are_valid_for_every_pattern_of_every_type(seed: int) -> None:
    rng = random.Random(seed)
    types = [
        make_node_type(
            f"t{i}-x", rng.choice([1.9, 3.7, 7.7]), rng.choice([3.5, 7.5, 14.0, 28.0]), rng.uniform(0.05, 0.5), pods=8
        )
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


@pytest.mark.parametrize("seed", range(20))
def test_per_resource_prices_are_feasible_and_reach_the_lp_optimum(seed: int) -> None:
    from scipy.optimize import linprog

    rng = random.Random(seed)
    types = [
        make_node_type(
            f"t{i}-x",
            rng.uniform(1.5, 190.0),
            rng.uniform(1.0, 700.0),
            rng.uniform(0.01, 9.0),
            pods=rng.choice([26, 58, 110, 234, 737]),
        )
        for i in range(rng.randint(1, 60))
    ]
    demand = (rng.uniform(1, 5000), rng.uniform(1, 20000), float(rng.randint(1, 3000)))
    pi = dual_prices(types, demand)
    assert min(pi) >= 0
    for t in types:
        assert pi[0] * t.cpu + pi[1] * t.alloc_memory_gib + pi[2] * t.pods <= t.hourly_usd * (1 + 1e-9)
    rows = [[t.cpu, t.alloc_memory_gib, t.pods] for t in types]
    best = linprog([-x for x in demand], A_ub=rows, b_ub=[t.hourly_usd for t in types])
    assert sum(p * x for p, x in zip(pi, demand, strict=True)) >= -best.fun * (1 - 1e-3)


def test_prices_worth_less_than_the_alternative_are_given_up_early() -> None:
    types = [make_node_type("std-x", 3.7, 14.0, 0.2, pods=8), make_node_type("cpu-x", 7.7, 14.0, 0.3, pods=8)]
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


def test_large_pools_of_tiny_pods_try_the_packing_lps_types_together() -> None:
    # Tiny pods run out of pod slots before CPU or memory: the cheapest node per slot (c5n-l) holds
    # the tiniest, a roomier one (c5ad-xl, same 106 slots) those it cannot take 106 of. Karpenter
    # admitting both launches whichever holds each claim; one type alone (the fluid primary) pays
    # more. Pools above `LARGE_POOL_PODS` get this hint only when slot-bound (`_slot_bound`).
    roomy = make_node_type("c5ad-xl", 3.72, 5.37, 0.206, pods=106)
    slots = make_node_type("c5n-l", 1.73, 2.83, 0.129, pods=106)
    big = make_node_type("c5ad-4xl", 15.7, 22.0, 0.824, pods=234)
    types = sorted([roomy, slots, big], key=lambda t: t.hourly_usd)
    pods = [PodGroup("tiny", 0.005, 0.016, 3000), PodGroup("small", 0.04, 0.03, 1500)]
    assert sum(g.count for g in pods) > LARGE_POOL_PODS and _slot_bound(pods, types)
    alone, _ = pool_packing(pods, types, hints=False)
    hinted, admitted = pool_packing(pods, types, hints=True)
    assert alone.pending == hinted.pending == {}
    assert hinted.hourly_usd < 0.9 * alone.hourly_usd
    assert {t.instance_type for t in admitted} >= {"c5n-l", "c5ad-xl"}
    # pods that fill CPU first are not slot-bound: no LP for them, the packing as without hints
    wide = [PodGroup("wide", 0.5, 1.0, 600)]
    assert not _slot_bound(wide, types)
    assert pool_packing(wide, types, hints=True)[0].hourly_usd == pool_packing(wide, types, hints=False)[0].hourly_usd
