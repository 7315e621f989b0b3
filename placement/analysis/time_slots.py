"""Time slots: a schedule of hourly plans that follows forecast demand with a churn limit per slot.

`plan_schedule` plans H hourly slots. A workload's demand in a slot is the most replicas its forecast
(`DemandSpec.replicas_by_slot`) needs in any forecast slot overlapping that hour; workloads with a
fixed `replicas` (or no forecast for that hour) keep their peak. Slot 0 is planned against today's
placement under `planning.maxMoves`, exactly like `placement plan`; each later slot is planned with
the previous slot's placement as `current` and `planning.maxMovesPerSlot` as the churn budget.

When a slot's demand equals the previous slot's and its solve is not cheaper beyond the solver's
optimality gap, the previous placement is kept as it is (0 moves): churn for solver noise helps nobody.

What counts as a move between slots: replicas started where the previous slot's placement, *scaled
in place to the new demand*, did not have them. Scaling a workload up where it already runs is not
churn (an HPA does that anyway); moving it, or growing it elsewhere, is. Because staying put (scaled)
always costs 0 moves, a slot is never infeasible for churn alone — only capacity can leave a workload
unplaced in a slot.

Rolling horizon, not one joint model: each slot is one call of the same `solve()` (with its
decomposition, bounds and fallbacks unchanged), every slot is a complete, valid plan a CronJob can
apply on its own, and each solve is the size of one plan rather than H times that. The price is
myopia: a slot does not move workloads early to be ready for a later peak, and with a tight churn
limit it can take several slots to reach the placement a joint H-slot model would pick at once. The
per-slot cost figures show what that costs; a joint multi-period model is future work.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from placement.plan import Plan
from placement.scenario import Replicas, Scenario, Workload
from placement.solver.milp import DEFAULT_BACKEND
from pricing import Catalog

SLOT_SECONDS = 3600
_MIN_SLOT_TIME_LIMIT_S = 2.0


@dataclass(frozen=True, slots=True)
class Slot:
    """One hour of the schedule: when it starts, the demand it was planned for, and its plan."""

    index: int
    starts_at: datetime
    demand: Mapping[str, int]  # workload -> replicas
    plan: Plan
    churn_limit: int | None


@dataclass(frozen=True, slots=True)
class Schedule:
    slots: tuple[Slot, ...]
    max_moves_per_slot: int | None
    slot_seconds: int = SLOT_SECONDS

    @property
    def unplaced(self) -> tuple[str, ...]:
        return tuple(sorted({u.workload for s in self.slots for u in s.plan.unplaced}))


def schedule_start(scenario: Scenario, now: datetime) -> datetime:
    """The first forecast slot's hour when workloads have forecasts, else the next full hour after `now`."""
    starts = [w.demand.slot_start for w in scenario.workloads if w.demand.slot_start is not None]
    if starts:
        return min(starts).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return hour if hour == now else hour + timedelta(hours=1)


def slot_demand(workload: Workload, starts_at: datetime, seconds: int = SLOT_SECONDS) -> int:
    """Replicas the workload needs in [starts_at, starts_at + seconds): its forecast's maximum over the
    forecast slots overlapping that window, or its peak `replicas` when it has no forecast there."""
    spec = workload.demand
    if not spec.replicas_by_slot or spec.slot_start is None or spec.slot_seconds <= 0:
        return workload.replicas
    begin = (starts_at - spec.slot_start).total_seconds()
    end = begin + seconds
    first = max(math.floor(begin / spec.slot_seconds), 0)
    last = min(math.ceil(end / spec.slot_seconds), len(spec.replicas_by_slot))
    if first >= last:
        return workload.replicas
    return max(spec.replicas_by_slot[first:last])


def carried_over(previous: Mapping[str, Replicas], before: int, after: int) -> dict[str, Replicas]:
    """The previous placement scaled in place to the new demand (ceil; never scaled down)."""
    if after <= before or before <= 0:
        return dict(previous)
    factor = after / before
    return {
        name: Replicas(math.ceil(r.on_demand * factor - 1e-9), math.ceil(r.spot * factor - 1e-9))
        for name, r in previous.items()
    }


def plan_schedule(
    scenario: Scenario,
    catalog: Catalog,
    *,
    start: datetime,
    slots: int | None = None,
    max_moves_per_slot: int | None = None,
    time_limit_s: float | None = None,
    backend: str = DEFAULT_BACKEND,
) -> Schedule:
    """Plan `slots` hourly slots from `start` (defaults: `planning.slots`, `planning.maxMovesPerSlot`)."""
    from placement.solver.solve import solve

    count = slots or scenario.planning.slots
    if not count or count < 1:
        raise ValueError("plan_schedule needs slots ≥ 1 (set planning.slots or pass slots=)")
    limit = scenario.planning.max_moves_per_slot if max_moves_per_slot is None else max_moves_per_slot
    per_slot_s = (
        time_limit_s
        if time_limit_s is not None
        else max(scenario.planning.time_limit_s / count, _MIN_SLOT_TIME_LIMIT_S)
    )
    current = {w.key: dict(w.current) for w in scenario.workloads}
    previous_demand: dict[str, int] = {}
    planned: list[Slot] = []
    for index in range(count):
        starts_at = start + timedelta(seconds=SLOT_SECONDS * index)
        demand = {w.key: slot_demand(w, starts_at) for w in scenario.workloads}
        if index > 0:
            current = {key: carried_over(current[key], previous_demand[key], demand[key]) for key in current}
        churn = scenario.planning.max_moves if index == 0 else limit
        workloads = tuple(
            replace(
                w, replicas=demand[w.key], min_available=min(w.min_available, demand[w.key]), current=current[w.key]
            )
            for w in scenario.workloads
        )
        slot_scenario = replace(
            scenario, workloads=workloads, planning=replace(scenario.planning, max_moves=churn, time_limit_s=per_slot_s)
        )
        plan = solve(slot_scenario, catalog, time_limit_s=per_slot_s, backend=backend)
        if planned and demand == previous_demand and not _cheaper(plan, planned[-1].plan):
            plan = _unchanged(planned[-1].plan)  # same demand, no real saving: no churn for solver noise
        planned.append(Slot(index, starts_at, demand, plan, churn))
        placed = {a.workload for a in plan.assignments}
        current = {
            key: (
                {a.cluster: Replicas(a.on_demand, a.spot) for a in plan.for_workload(key)}
                if key in placed
                else current[key]
            )
            for key in current
        }
        previous_demand = demand
    return Schedule(tuple(planned), limit)


def _cheaper(plan: Plan, previous: Plan) -> bool:
    """True when `plan` places no fewer workloads and its objective beats `previous` beyond the solver's gap."""
    if len(plan.unplaced) != len(previous.unplaced):
        return len(plan.unplaced) < len(previous.unplaced)
    gap = max((g for g in (_noise(plan), _noise(previous)) if math.isfinite(g)), default=0.0)
    return plan.solver.objective < previous.solver.objective * (1.0 - gap)


def _noise(plan: Plan) -> float:
    """How far from optimal the solver left the allocation (its model's gap, not the node-aware gap,
    which also counts packing loss that no re-plan removes)."""
    stats = plan.solver
    if stats.model_objective is None or stats.model_bound is None:
        return stats.gap
    return (
        0.0
        if stats.model_objective <= 0
        else max(stats.model_objective - stats.model_bound, 0.0) / stats.model_objective
    )


def _unchanged(previous: Plan) -> Plan:
    """The previous slot's plan, kept as it is: nothing moves, and it costs what it cost."""
    return replace(previous, moves=0, hourly_usd=replace(previous.hourly_usd, before=previous.hourly_usd.after))


def schedule_json(schedule: Schedule) -> list[dict[str, Any]]:
    """The optional `schedule` field of Plan JSON: one entry per slot, in order (a CronJob applies the
    entry whose `startsAt` ≤ now < next `startsAt`)."""
    entries = []
    for slot in schedule.slots:
        document = slot.plan.to_json()
        entries.append(
            {
                "slot": slot.index,
                "startsAt": slot.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "demand": dict(slot.demand),
                "hourlyUsd": document["hourlyUsd"]["after"],
                "moves": slot.plan.moves,
                "churnLimit": slot.churn_limit,
                "assignments": document["assignments"],
                "unplaced": document["unplaced"],
            }
        )
    return entries


def with_schedule(document: Mapping[str, Any], schedule: Schedule) -> dict[str, Any]:
    """A Plan JSON document with `schedule` added (additive to the contract)."""
    return {**document, "schedule": schedule_json(schedule)}


def total_moves(slots: Sequence[Slot]) -> int:
    return sum(s.plan.moves for s in slots)
