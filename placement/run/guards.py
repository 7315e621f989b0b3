"""Guards a scheduled run checks before it changes anything (pure).

A run refuses its plan — changes nothing, exits non-zero and says which guard tripped — when:

- **moves**: the changes add more replicas than `max_moves` (the churn budget);
- **cost**: the plan costs more than `max_cost_increase_pct` percent above today's $/h;
- **prices**: any cloud's prices are older than `max_price_age_s` (not checked for the embedded
  list prices, which are old by design and chosen explicitly);
- **solver**: the solver's status is not an allowed one (an infeasible model), or its optimality
  gap is above `max_gap`;
- **unplaced**: more than `max_unplaced` workloads could not be placed.

Stale prices exit with `ExitCode.STALE_PRICES`; every other guard with `ExitCode.GUARD`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from placement.errors import PlacementError
from placement.exit_codes import ExitCode
from placement.plan import Plan

MOVES, COST, PRICES, SOLVER, UNPLACED = "moves", "cost", "prices", "solver", "unplaced"
GUARDS = (MOVES, COST, PRICES, SOLVER, UNPLACED)


@dataclass(frozen=True, slots=True)
class GuardLimits:
    """What a run tolerates. None switches a guard off."""

    max_moves: int | None = None
    max_cost_increase_pct: float | None = 10.0
    max_price_age_s: float | None = 24 * 3600.0
    max_unplaced: int | None = 0
    allowed_solver_statuses: tuple[str, ...] = ("optimal", "feasible", "time_limit")  # quality: the max-gap guard
    max_gap: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_moves", "max_cost_increase_pct", "max_price_age_s", "max_unplaced", "max_gap"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be ≥ 0 or None (off), got {value!r}")


@dataclass(frozen=True, slots=True)
class Trip:
    """One guard that refused the plan: which, the measured value, the limit, and why in words."""

    guard: str
    value: float
    limit: float
    message: str


class GuardTripped(PlacementError):
    """A guard refused the plan; nothing was changed. `trips` lists each guard and why."""

    def __init__(self, trips: Sequence[Trip]) -> None:
        self.trips = tuple(trips)
        self.exit_code = ExitCode.STALE_PRICES if any(t.guard == PRICES for t in self.trips) else ExitCode.GUARD
        lines = "\n".join(f"  {t.guard}: {t.message}" for t in self.trips)
        super().__init__(f"the plan was refused by {len(self.trips)} guard(s); nothing was changed:\n{lines}")


def check_prices(price_ages_s: Mapping[str, float], limits: GuardLimits) -> list[Trip]:
    """A trip per cloud whose prices are older than `max_price_age_s`."""
    if limits.max_price_age_s is None:
        return []
    return [
        Trip(
            PRICES,
            age,
            limits.max_price_age_s,
            f"{cloud} prices are {_hours(age)} old (limit {_hours(limits.max_price_age_s)}): refresh them "
            "(`placement prices refresh`, or prices.source: live with credentials) or raise --max-price-age",
        )
        for cloud, age in sorted(price_ages_s.items())
        if age > limits.max_price_age_s
    ]


def check_plan(plan: Plan, *, moves: int, limits: GuardLimits) -> list[Trip]:
    """The trips of the plan guards (moves, cost, solver, unplaced); empty when the plan may go ahead."""
    trips: list[Trip] = []
    if limits.max_moves is not None and moves > limits.max_moves:
        trips.append(
            Trip(
                MOVES,
                moves,
                limits.max_moves,
                f"the changes add {moves} replicas, more than --max-moves {limits.max_moves}; set "
                "spec.planning.maxMoves so the solver plans within the budget, or raise the limit",
            )
        )
    cost = plan.hourly_usd
    if limits.max_cost_increase_pct is not None and cost.before > 0:
        increase_pct = (cost.after - cost.before) / cost.before * 100
        if increase_pct > limits.max_cost_increase_pct:
            trips.append(
                Trip(
                    COST,
                    increase_pct,
                    limits.max_cost_increase_pct,
                    f"the plan costs ${cost.after:.2f}/h, {increase_pct:.1f}% above today's "
                    f"${cost.before:.2f}/h (limit {limits.max_cost_increase_pct:g}%): check demand and "
                    "prices, or raise --max-cost-increase",
                )
            )
    status = plan.solver.status
    if status not in limits.allowed_solver_statuses:
        trips.append(
            Trip(
                SOLVER,
                0.0,
                0.0,
                f"solver status is {status!r} (allowed: "
                f"{', '.join(limits.allowed_solver_statuses)}): the scenario's rules leave no plan",
            )
        )
    elif limits.max_gap is not None and plan.solver.gap > limits.max_gap:
        trips.append(
            Trip(
                SOLVER,
                plan.solver.gap,
                limits.max_gap,
                f"optimality gap {plan.solver.gap:.4f} is above --max-gap {limits.max_gap:g}: give the "
                "solver more time (spec.planning.timeLimitSeconds)",
            )
        )
    unplaced = len(plan.unplaced)
    if limits.max_unplaced is not None and unplaced > limits.max_unplaced:
        names = ", ".join(u.workload for u in plan.unplaced[:5]) + (" …" if unplaced > 5 else "")
        trips.append(
            Trip(
                UNPLACED,
                unplaced,
                limits.max_unplaced,
                f"{unplaced} workload(s) cannot be placed ({names}), more than --max-unplaced "
                f"{limits.max_unplaced}; `placement plan` explains each",
            )
        )
    return trips


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f}h"
