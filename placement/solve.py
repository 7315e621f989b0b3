"""`solve()`: the pure core — a scenario and a catalog in, a `Plan` out.

How it runs (the model itself is documented in `placement.model`):
1. Price every allowed (workload, cluster, capacity type) and drop what a workload's own rules
   forbid (`placement.options`); workloads left with nothing are `unplaced` with their reason.
2. Split workloads into groups that share no constraint: workloads that can reach the same
   capacity-capped cluster are coupled, and a churn budget (`maxMoves`) couples everything.
   Independent workloads are batched into models of bounded size.
3. Solve each group with MathOpt (HiGHS by default) within its share of the time limit; a group
   with no solution in time falls back to the greedy plan, and the better of the two is kept.
4. Turn replica counts into assignments, routes, costs, moves, bound and gap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from placement.costing import ReplicaPricer
from placement.greedy import GreedyPlacement, greedy
from placement.model import WorkloadVars, build_group, replica_costs
from placement.options import WorkloadOptions, all_options
from placement.plan import Assignment, HourlyCost, Plan, Route, SolverStats, Unplaced
from placement.plan_costs import price_current, price_placement
from placement.scenario import Scenario
from pricing import CapacityType, Catalog

_BATCH_VARIABLES = 300  # independent workloads per model: small models solve to optimality fast
_PRICED_DECOMPOSITION_MIN = 50  # coupled groups larger than this are decomposed with shadow prices


def solve(
    scenario: Scenario,
    catalog: Catalog,
    *,
    time_limit_s: float | None = None,
    backend: str = "highs",
    relative_gap: float = 1e-3,
) -> Plan:
    """Plan the scenario on the catalog's prices. Pure: no I/O, no printing."""
    started = time.perf_counter()
    planning = scenario.planning
    limit = planning.time_limit_s if time_limit_s is None else time_limit_s
    pricer = ReplicaPricer(catalog, overhead_factor=planning.overhead_factor)
    options = all_options(scenario, pricer)
    unplaced = [o.unplaced for o in options if o.unplaced is not None]
    placeable = [o for o in options if o.unplaced is None and o.workload.replicas > 0]
    capacity = {c.name: c.capacity_cpu for c in scenario.clusters if c.capacity_cpu is not None}
    groups = _groups(placeable, capacity, coupled_all=planning.max_moves is not None)

    placements: dict[str, GreedyPlacement] = {}
    objective = bound = 0.0
    statuses: set[str] = set()
    for index, (group, coupled) in enumerate(groups):
        remaining_s = max(limit - (time.perf_counter() - started), 0.05)
        share_s = remaining_s * _size(group) / max(sum(_size(g) for g, _ in groups[index:]), 1)
        result, value, group_bound, status = _solve_group(group, coupled, planning, capacity, share_s, backend,
                                                          relative_gap)
        statuses.add(status)
        objective += value
        bound += group_bound
        for wo, placement in zip(group, result, strict=True):
            if placement is None:
                unplaced.append(_capacity_unplaced(wo, capacity, planning.max_moves))
            else:
                placements[wo.workload.key] = placement
    status = "infeasible" if not placements and unplaced else (
        "optimal" if statuses <= {"optimal"} else "feasible")
    if not groups and not unplaced:
        status = "optimal"
    return _plan(scenario, catalog, options, placements, unplaced, pricer, status,
                 objective, bound, time.perf_counter() - started, backend)


def _size(group: Sequence[WorkloadOptions]) -> int:
    return sum(len(o.options) for o in group)


def _groups(
    placeable: list[WorkloadOptions], capacity: dict[str, float], *, coupled_all: bool
) -> list[tuple[list[WorkloadOptions], bool]]:
    """Coupled components (shared capped clusters, or everything under a churn budget), then batches."""
    if coupled_all:
        return [(placeable, True)] if placeable else []
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    free: list[WorkloadOptions] = []
    for wo in placeable:
        capped = [o.cluster.name for o in wo.options if o.cluster.name in capacity]
        if not capped:
            free.append(wo)
            continue
        for other in capped[1:]:
            parent[find(other)] = find(capped[0])
    components: dict[str, list[WorkloadOptions]] = {}
    for wo in placeable:
        capped = [o.cluster.name for o in wo.options if o.cluster.name in capacity]
        if capped:
            components.setdefault(find(capped[0]), []).append(wo)
    groups: list[tuple[list[WorkloadOptions], bool]] = [(members, True) for members in components.values()]
    batch: list[WorkloadOptions] = []
    for wo in free:
        batch.append(wo)
        if _size(batch) * 3 >= _BATCH_VARIABLES:
            groups.append((batch, False))
            batch = []
    if batch:
        groups.append((batch, False))
    return groups


def _solve_group(
    group: list[WorkloadOptions],
    coupled: bool,
    planning,
    capacity: dict[str, float],
    time_limit_s: float,
    backend: str,
    relative_gap: float,
) -> tuple[list[GreedyPlacement | None], float, float, str]:
    started = time.perf_counter()
    baseline = greedy(group, planning, capacity)
    baseline_cost = _objective(group, baseline, planning)
    baseline_lost = sum(p is None for p in baseline)
    if planning.max_moves is not None and _greedy_moves(group, baseline) > planning.max_moves:
        baseline_lost = len(group) + 1  # greedy knows no churn budget: never prefer it over the model
    if coupled and planning.max_moves is None and len(group) > _PRICED_DECOMPOSITION_MIN:
        priced = _solve_priced(group, planning, capacity, time_limit_s, backend, relative_gap)
        if priced is not None:
            placements, cost, bound = priced
            lost = sum(p is None for p in placements)
            if (lost, cost) <= (baseline_lost, baseline_cost + 1e-9):
                return placements, cost, min(bound, cost), "optimal" if cost - bound <= relative_gap * cost else "feasible"
        time_limit_s = max(time_limit_s - (time.perf_counter() - started), 0.05)
    milp, variables = build_group(group, planning, coupled=coupled, capacity_cpu=capacity)
    result = milp.solve(backend=backend, time_limit_s=time_limit_s, relative_gap=relative_gap)
    if result.status in ("optimal", "feasible"):
        placements = [_read(v, result.values) for v in variables]
        cost = _objective(group, placements, planning)
        lost = sum(p is None for p in placements)
        if (lost, cost) <= (baseline_lost, baseline_cost + 1e-9):
            return placements, cost, min(result.bound, cost), result.status
    # No solution in time (or worse than greedy): keep the greedy plan, bound from the solver if any.
    bound = result.bound if math.isfinite(result.bound) else 0.0
    return baseline, baseline_cost, min(bound, baseline_cost), "feasible"


def _solve_priced(
    group: list[WorkloadOptions],
    planning,
    capacity: dict[str, float],
    time_limit_s: float,
    backend: str,
    relative_gap: float,
) -> tuple[list[GreedyPlacement | None], float, float] | None:
    """Capacity-coupled groups, decomposed: LP shadow prices, independent solves, exact repair.

    1. Solve the LP relaxation of the whole group: its optimum is a valid lower bound, and the duals
       of the capacity rows are the $/CPU-hour each capped cluster is worth at the margin.
    2. Solve the workloads as independent batches with that price added to capped clusters (no
       capacity rows, so the batches are small and fast).
    3. Keep every workload that uses no over-full cluster; re-solve the rest exactly as one coupled
       model against the capacity that is left.
    Returns None when a step fails, and the caller solves the whole group directly.
    """
    started = time.perf_counter()
    rows: dict[str, int] = {}
    milp, _ = build_group(group, planning, coupled=True, capacity_cpu=capacity, capacity_rows=rows)
    lp = milp.solve(backend="highs", time_limit_s=time_limit_s / 3, relax=True)
    if lp.status != "optimal" or lp.row_duals is None:
        return None
    prices = {cluster: max(-lp.row_duals.get(row, 0.0), 0.0) for cluster, row in rows.items()}
    # Lagrangian bound: Σ batch bounds (priced) − Σ λ·cap is a valid lower bound for any λ ≥ 0.
    lagrangian = -sum(prices[c] * capacity[c] for c in prices)
    order = {wo.workload.key: i for i, wo in enumerate(group)}
    ordered: list[GreedyPlacement | None] = [None] * len(group)
    for batch, _ in _groups(group, {}, coupled_all=False):
        batch_milp, batch_vars = build_group(batch, planning, coupled=False, capacity_cpu={}, cpu_prices=prices)
        left = max(time_limit_s - (time.perf_counter() - started), 0.05)
        result = batch_milp.solve(backend=backend, time_limit_s=left / 2, relative_gap=relative_gap)
        if result.status not in ("optimal", "feasible"):
            return None
        lagrangian += result.bound
        for wo, v in zip(batch, batch_vars, strict=True):
            ordered[order[wo.workload.key]] = _read(v, result.values)
    used: dict[str, float] = {}
    for wo, placement in zip(group, ordered, strict=True):
        for name, (od, sp) in (placement.replicas.items() if placement else ()):
            used[name] = used.get(name, 0.0) + wo.workload.cpu * (od + sp)
    full = {name for name, cap in capacity.items() if used.get(name, 0.0) > cap + 1e-9}
    if full:
        stuck = [i for i, (wo, p) in enumerate(zip(group, ordered, strict=True))
                 if p is not None and full & set(p.replicas)]
        remaining = dict(capacity)
        for i, (wo, placement) in enumerate(zip(group, ordered, strict=True)):
            if i in stuck or placement is None:
                continue
            for name, (od, sp) in placement.replicas.items():
                if name in remaining:
                    remaining[name] -= wo.workload.cpu * (od + sp)
        sub = [group[i] for i in stuck]
        sub_milp, sub_vars = build_group(sub, planning, coupled=True, capacity_cpu=remaining)
        left = max(time_limit_s - (time.perf_counter() - started), 0.05)
        result = sub_milp.solve(backend=backend, time_limit_s=left, relative_gap=relative_gap)
        if result.status not in ("optimal", "feasible"):
            return None
        for i, v in zip(stuck, sub_vars, strict=True):
            ordered[i] = _read(v, result.values)
    return ordered, _objective(group, ordered, planning), max(lp.bound, lagrangian)


def _greedy_moves(group: Sequence[WorkloadOptions], placements: Sequence[GreedyPlacement | None]) -> int:
    moves = 0
    for wo, placement in zip(group, placements, strict=True):
        for name, (od, sp) in (placement.replicas.items() if placement else ()):
            today = wo.workload.current.get(name)
            moves += max(od - (today.on_demand if today else 0), 0) + max(sp - (today.spot if today else 0), 0)
    return moves


def _read(vars_: WorkloadVars, values: Sequence[float]) -> GreedyPlacement | None:
    if vars_.unplaced is not None and values[vars_.unplaced] > 0.5:
        return None
    replicas: dict[str, tuple[int, int]] = {}
    for name in {*vars_.on_demand, *vars_.spot}:
        od = round(values[vars_.on_demand[name]]) if name in vars_.on_demand else 0
        sp = round(values[vars_.spot[name]]) if name in vars_.spot else 0
        if od or sp:
            replicas[name] = (od, sp)
    routes = {key: values[col] for key, col in vars_.routes.items() if values[col] > 1e-6}
    return GreedyPlacement(replicas, routes)


def _objective(group: Sequence[WorkloadOptions], placements: Sequence[GreedyPlacement | None], planning) -> float:
    total = 0.0
    for wo, placement in zip(group, placements, strict=True):
        if placement is None:
            continue
        by_name = {o.cluster.name: o for o in wo.options}
        for name, (od, sp) in placement.replicas.items():
            od_cost, sp_cost = replica_costs(by_name[name], wo.workload.replicas, wo.workload.egress_gb_per_hour,
                                             planning.risk_aversion)
            total += od * (od_cost or 0.0) + sp * (sp_cost or 0.0)
    return total


def _capacity_unplaced(wo: WorkloadOptions, capacity: dict[str, float], max_moves: int | None) -> Unplaced:
    capped = sorted(o.cluster.name for o in wo.options if o.cluster.name in capacity)
    parts, rules = [], []
    if capped:
        rules.append("capacity")
        parts.append(f"clusters {', '.join(capped)} are at their capacity.cpu caps")
    if max_moves is not None:
        rules.append("maxMoves")
        parts.append(f"the churn budget maxMoves={max_moves} is spent")
    uncapped = [o.cluster.name for o in wo.options if o.cluster.name not in capacity]
    tail = "" if not uncapped else f" (its other allowed clusters {', '.join(sorted(uncapped))} cannot take it alone)"
    return Unplaced(wo.workload.key, " and ".join(parts) + tail, tuple(rules))


def _plan(
    scenario: Scenario,
    catalog: Catalog,
    options: list[WorkloadOptions],
    placements: dict[str, GreedyPlacement],
    unplaced: list[Unplaced],
    pricer: ReplicaPricer,
    status: str,
    objective: float,
    bound: float,
    seconds: float,
    backend: str,
) -> Plan:
    assignments: list[Assignment] = []
    routing: list[Route] = []
    for wo in options:
        placement = placements.get(wo.workload.key)
        if placement is None:
            continue
        by_name = {o.cluster.name: o for o in wo.options}
        for name in sorted(placement.replicas):
            od, sp = placement.replicas[name]
            option = by_name[name]
            types = {}
            if od and option.on_demand:
                types[CapacityType.ON_DEMAND.value] = option.on_demand.instance_type
            if sp and option.spot:
                types[CapacityType.SPOT.value] = option.spot.instance_type
            hourly = od * (option.on_demand.hourly_usd if option.on_demand else 0.0) + sp * (
                option.spot.hourly_usd if option.spot else 0.0)
            assignments.append(Assignment(wo.workload.key, name, option.cluster.cloud, option.cluster.region,
                                          od, sp, types, hourly))
        for (user, name), replicas in sorted(placement.routes.items()):
            routing.append(Route(wo.workload.key, user, name, replicas, by_name[name].rtt_ms[user]))
    after = price_placement(scenario, pricer, assignments, routing)
    before, warnings = price_current(scenario, pricer)
    gap = 0.0 if objective <= 0 else max(objective - bound, 0.0) / max(abs(objective), 1e-9)
    moves = _moves(scenario, assignments)
    return Plan(
        scenario=scenario.name,
        prices_as_of={cloud: moment.strftime("%Y-%m-%dT%H:%M:%SZ") for cloud, moment in sorted(catalog.as_of().items())},
        solver=SolverStats(backend, status, seconds, objective, bound, gap),
        hourly_usd=HourlyCost(before=before, after=after.total, compute=after.compute, egress=after.egress,
                              risk=after.risk),
        assignments=tuple(assignments),
        routing=tuple(routing),
        unplaced=tuple(sorted(unplaced, key=lambda u: u.workload)),
        moves=moves,
        warnings=tuple(warnings),
        demand={w.key: w.demand.source or f"replicas: {w.replicas}" for w in scenario.workloads},
    )


def _moves(scenario: Scenario, assignments: Sequence[Assignment]) -> int:
    """Replicas added where they were not before, counted per cluster and capacity type."""
    moves = 0
    for a in assignments:
        today = scenario.workload(a.workload).current.get(a.cluster)
        moves += max(a.on_demand - (today.on_demand if today else 0), 0)
        moves += max(a.spot - (today.spot if today else 0), 0)
    return moves
