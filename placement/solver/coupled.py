"""Solving workloads coupled by shared resources (cluster CPU caps, the churn budget): LP, then fix.

Small groups (≤ `DIRECT_MAX_WORKLOADS`) are solved as one MIP, exact up to the relative gap. Larger:
1. Solve the LP relaxation of the whole coupled model (HiGHS dual simplex). Its optimum is a valid
   lower bound for the group.
2. A basic LP optimum has at most one fractional workload per binding shared row beyond those the
   workload's own rules make fractional, and with the tightened formulation (`placement.solver.formulation`)
   those are few: every workload whose replicas are integral in the LP is fixed as it is.
3. The fractional rest is solved as one coupled MIP against what the fixed workloads leave of each
   cap and of the churn budget. If that leaves a workload unplaced that the LP placed, the fixed
   workloads that share its capped clusters are freed and the MIP is solved once more.

Fixing the integral workloads is a heuristic (the LP may have placed one of them where the integer
optimum would not), so the result is not proved optimal: its distance to the LP bound is the gap
`solve()` reports. On the bench fleets it is below 0.3 % of the group's cost.

This replaced LP shadow prices + priced independent batches + repair (the previous decomposition),
which on 5,000 × 40 fell back to one big MIP that overran its time and reported an 84 % gap: here
the MIP only ever sees the handful of fractional workloads, and the bound is the group's LP bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from placement.scenario import Planning
from placement.solver.allocation import Placement, capped_cpu, placement_cost, placement_replicas_added
from placement.solver.candidates import WorkloadOptions
from placement.solver.deadline import Budget
from placement.solver.formulation import build_group, is_integral, read_placement, unplaced_penalty
from placement.solver.greedy import greedy
from placement.solver.milp import DEFAULT_BACKEND

MAX_FREED_WORKLOADS = 400  # workloads freed for the second MIP at most
DIRECT_MAX_WORKLOADS = 50  # groups up to this size are solved as one MIP (exact); larger ones LP-then-fix


@dataclass(frozen=True, slots=True)
class CoupledResult:
    """Placements of the group (None = unplaced), their objective cost, a lower bound on the cost of placing
    at least those workloads, and whether that is proved within the gap."""

    placements: list[Placement | None]
    cost: float
    bound: float
    status: str  # optimal (cost within relative_gap of bound) | feasible


def solve_coupled(
    group: Sequence[WorkloadOptions],
    planning: Planning,
    capacity_cpu: dict[str, float],
    max_moves: int | None,
    budget: Budget,
    *,
    backend: str = DEFAULT_BACKEND,
    relative_gap: float = 1e-3,
    cost_caps_usd: Sequence[float | None] | None = None,
    cost_scale_usd: float | None = None,
) -> CoupledResult | None:
    """The group's plan against `capacity_cpu` and `max_moves` (what is left of them), or None if out of time.

    `cost_caps_usd`: per workload, the cost of a valid placement of it that takes no shared resource
    (None where there is none): no optimal plan spends more on it. `cost_scale_usd`: about what the
    group costs; MIPs stop within `relative_gap` of it (their objectives carry the unplaced
    penalties, so a gap relative to the objective would be far too loose).
    """
    if budget.expired():
        return None
    caps = list(cost_caps_usd) if cost_caps_usd is not None else [None] * len(group)
    milp, variables = build_group(
        group, planning, unplaced_slack=True, capacity_cpu=capacity_cpu, max_moves=max_moves, cost_caps_usd=caps
    )
    gap_usd = None if cost_scale_usd is None else relative_gap * cost_scale_usd
    if len(group) <= DIRECT_MAX_WORKLOADS:  # small: the whole coupled MIP, exact up to relative_gap
        whole = milp.solve(
            backend=backend,
            time_limit_s=budget.backend_limit_s(),
            relative_gap=relative_gap if gap_usd is None else 1e-9,
            absolute_gap=gap_usd,
        )
        budget.note(whole.status)
        if whole.status not in ("optimal", "feasible"):
            return None
        placements = [read_placement(v, whole.values) for v in variables]
        return _result(group, placements, whole.bound, planning, relative_gap)
    lp = milp.solve(time_limit_s=budget.backend_limit_s(), relax=True)
    budget.note(lp.status)
    if lp.status != "optimal":
        return None
    placements: list[Placement | None] = [None] * len(group)
    fractional: list[int] = []
    placed_in_lp = [lp.values[v.unplaced] < 0.5 for v in variables]  # type: ignore[index]
    for index, vars_ in enumerate(variables):
        if is_integral(vars_, lp.values):
            placements[index] = read_placement(vars_, lp.values)
        else:
            fractional.append(index)
    if fractional:
        fixed = _fix(group, planning, capacity_cpu, max_moves, placements, fractional, budget, backend, gap_usd, caps)
        if fixed is None:
            return None
        stuck = [i for i in fractional if fixed[1][i] is None and placed_in_lp[i]]
        if stuck and not budget.expired():
            freed = _neighbours(group, placements, stuck, capacity_cpu, max_moves is not None, set(fractional))
            again = (
                _fix(
                    group,
                    planning,
                    capacity_cpu,
                    max_moves,
                    placements,
                    fractional + freed,
                    budget,
                    backend,
                    gap_usd,
                    caps,
                )
                if freed
                else None
            )
            if again is not None and _value(group, placements, again[1], planning) < _value(
                group, placements, fixed[1], planning
            ):
                fixed = again
        for index, placement in fixed[1].items():
            placements[index] = placement
        _rescue(group, planning, capacity_cpu, max_moves, placements, [i for i in fractional if placed_in_lp[i]])
    bound = lp.bound
    lost = [i for i, p in enumerate(placements) if p is None]
    if any(lp.values[variables[i].unplaced] < 1 - 1e-6 for i in lost) and not budget.expired():  # type: ignore[index]
        # The LP placed (part of) a workload that the plan leaves out, so the LP bound minus its penalty is
        # weak: bound the placed workloads by their own LP, which every plan placing them all satisfies.
        bound = _placed_bound(group, placements, planning, capacity_cpu, max_moves, budget, caps)
        lost = []
    result = _result(group, placements, bound, planning, relative_gap, penalised=lost)
    return result


def _rescue(
    group: Sequence[WorkloadOptions],
    planning: Planning,
    capacity_cpu: dict[str, float],
    max_moves: int | None,
    placements: list[Placement | None],
    candidates: list[int],
) -> None:
    """Greedy placements, in what the others leave, for workloads the LP placed and the fix left out."""
    stuck = [i for i in candidates if placements[i] is None]
    if not stuck:
        return
    caps, moves = _left(group, placements, capacity_cpu, max_moves, set(stuck))
    found = greedy([group[i] for i in stuck], replace(planning, max_moves=moves), caps)
    for index, placement in zip(stuck, found, strict=True):
        placements[index] = placement


def _placed_bound(
    group: Sequence[WorkloadOptions],
    placements: list[Placement | None],
    planning: Planning,
    capacity_cpu: dict[str, float],
    max_moves: int | None,
    budget: Budget,
    caps: list[float | None],
) -> float:
    """The LP bound of placing exactly the placed workloads (others dropped), or −∞ if it is not solved in time.

    Any plan that places them all spends at least this on them: dropping the others only frees resources.
    """
    placed = [i for i, p in enumerate(placements) if p is not None]
    milp, _ = build_group(
        [group[i] for i in placed],
        planning,
        unplaced_slack=False,
        capacity_cpu=capacity_cpu,
        max_moves=max_moves,
        cost_caps_usd=[caps[i] for i in placed],
    )
    lp = milp.solve(time_limit_s=budget.backend_limit_s(), relax=True)
    budget.note(lp.status)
    return lp.bound if lp.status == "optimal" else -math.inf


def _result(
    group: Sequence[WorkloadOptions],
    placements: list[Placement | None],
    model_bound: float,
    planning: Planning,
    relative_gap: float,
    penalised: list[int] | None = None,
) -> CoupledResult:
    """The result, with a bound on the cost of any plan placing at least the workloads placed here.

    The model's bound B bounds cost + Σ penalty·z over all plans; a plan that leaves at most the set
    U unplaced pays at most Σ_U penalty, so its cost is at least B − Σ_U penalty. (`penalised`: the
    unplaced workloads whose penalty B carries, when not all of them.)
    """
    cost = sum(placement_cost(wo, p, planning) for wo, p in zip(group, placements, strict=True))
    lost = [i for i, p in enumerate(placements) if p is None] if penalised is None else penalised
    penalties = sum(unplaced_penalty(group[i], planning) for i in lost)
    bound = min(model_bound - penalties, cost) if math.isfinite(model_bound) else 0.0
    return CoupledResult(placements, cost, bound, "optimal" if cost - bound <= relative_gap * cost else "feasible")


def _value(
    group: Sequence[WorkloadOptions],
    placements: list[Placement | None],
    changes: dict[int, Placement | None],
    planning: Planning,
) -> float:
    """The model's objective (unplaced penalties included) of `placements` with `changes` applied."""
    total = 0.0
    for index, wo in enumerate(group):
        placement = changes[index] if index in changes else placements[index]
        total += unplaced_penalty(wo, planning) if placement is None else placement_cost(wo, placement, planning)
    return total


def _fix(
    group: Sequence[WorkloadOptions],
    planning: Planning,
    capacity_cpu: dict[str, float],
    max_moves: int | None,
    placements: list[Placement | None],
    free: list[int],
    budget: Budget,
    backend: str,
    gap_usd: float | None,
    cost_caps_usd: list[float | None],
) -> tuple[str, dict[int, Placement | None]] | None:
    """MIP over the `free` workloads against what the other placements leave of the caps and budget.

    Returns the MIP status and the free workloads' placements, or None when it found nothing in time.
    """
    caps, moves = _left(group, placements, capacity_cpu, max_moves, set(free))
    sub = [group[i] for i in free]
    milp, variables = build_group(
        sub,
        planning,
        unplaced_slack=True,
        capacity_cpu=caps,
        max_moves=moves,
        cost_caps_usd=[cost_caps_usd[i] for i in free],
    )
    result = milp.solve(
        backend=backend,
        time_limit_s=budget.backend_limit_s(),
        relative_gap=1e-3 if gap_usd is None else 1e-9,
        absolute_gap=gap_usd,
    )
    budget.note(result.status)
    if result.status not in ("optimal", "feasible"):
        return None
    return result.status, {
        index: read_placement(vars_, result.values) for index, vars_ in zip(free, variables, strict=True)
    }


def _left(
    group: Sequence[WorkloadOptions],
    placements: list[Placement | None],
    capacity_cpu: dict[str, float],
    max_moves: int | None,
    skip: set[int],
) -> tuple[dict[str, float], int | None]:
    """What the placements (but those in `skip`) leave of each cap and of the churn budget."""
    caps = dict(capacity_cpu)
    moves = max_moves
    for index, placement in enumerate(placements):
        if index in skip or placement is None:
            continue
        for name, cpu in capped_cpu(group[index], placement, capacity_cpu).items():
            caps[name] -= cpu
        if moves is not None:
            moves -= placement_replicas_added(group[index], placement)
    return {k: max(v, 0.0) for k, v in caps.items()}, None if moves is None else max(moves, 0)


def _neighbours(
    group: Sequence[WorkloadOptions],
    placements: list[Placement | None],
    stuck: list[int],
    capacity_cpu: dict[str, float],
    churn: bool,
    taken: set[int],
) -> list[int]:
    """Fixed workloads that use a capped cluster a stuck workload could use (any mover, under churn)."""
    wanted = {o.cluster.name for i in stuck for o in group[i].options if o.cluster.name in capacity_cpu}
    freed = []
    for index, placement in enumerate(placements):
        if index in taken or placement is None:
            continue
        if wanted & set(capped_cpu(group[index], placement, capacity_cpu)) or (
            churn and placement_replicas_added(group[index], placement) > 0
        ):
            freed.append(index)
            if len(freed) >= MAX_FREED_WORKLOADS:
                break
    return freed
