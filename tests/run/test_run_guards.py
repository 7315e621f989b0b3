"""The run's guards (pure): each trips exactly past its limit, says why, and picks the exit code."""

from __future__ import annotations

import pytest
from builders import make_assignment, make_plan

from placement.exit_codes import ExitCode
from placement.plan import HourlyCost, SolverStats, Unplaced
from placement.run.guards import (
    COST,
    MOVES,
    PRICES,
    SOLVER,
    UNPLACED,
    GuardLimits,
    GuardTripped,
    check_plan,
    check_prices,
)

OFF = GuardLimits(max_moves=None, max_cost_increase_pct=None, max_price_age_s=None, max_unplaced=None)


def _plan(before: float = 10.0, after: float = 8.0, status: str = "optimal", gap: float = 0.0, unplaced: int = 0):
    return make_plan(
        make_assignment("shop/web", "a", 2),
        hourly_usd=HourlyCost(before=before, after=after, compute=after),
        solver=SolverStats("highs", status, 0.1, after, after, gap),
        unplaced=tuple(Unplaced(f"shop/w{i}", "no cluster in CH") for i in range(unplaced)),
    )


def _guards(trips) -> list[str]:
    return [t.guard for t in trips]


@pytest.mark.parametrize(
    ("moves", "limit", "tripped"),
    [
        (5, 5, False),  # at the budget: allowed
        (6, 5, True),  # one over
        (500, None, False),  # no budget
    ],
)
def test_moves(moves, limit, tripped) -> None:
    trips = check_plan(_plan(), moves=moves, limits=GuardLimits(max_moves=limit))
    assert (MOVES in _guards(trips)) is tripped
    if tripped:
        assert f"add {moves} replicas" in trips[0].message and trips[0].limit == limit


@pytest.mark.parametrize(
    ("before", "after", "limit", "tripped"),
    [
        (10.0, 11.0, 10.0, False),  # +10 % exactly
        (10.0, 11.5, 10.0, True),  # +15 %
        (10.0, 7.0, 0.0, False),  # savings never trip
        (0.0, 5.0, 10.0, False),  # nothing runs today: no baseline to compare with
        (10.0, 50.0, None, False),  # guard off
    ],
)
def test_cost_increase(before, after, limit, tripped) -> None:
    trips = check_plan(_plan(before, after), moves=0, limits=GuardLimits(max_cost_increase_pct=limit))
    assert (COST in _guards(trips)) is tripped
    if tripped:
        assert trips[0].value == pytest.approx((after - before) / before * 100)
        assert "$11.50/h, 15.0% above today's $10.00/h" in trips[0].message


def test_solver_status_and_gap() -> None:
    assert _guards(check_plan(_plan(status="infeasible"), moves=0, limits=GuardLimits())) == [SOLVER]
    assert check_plan(_plan(status="feasible", gap=0.02), moves=0, limits=GuardLimits()) == []
    trips = check_plan(_plan(status="feasible", gap=0.02), moves=0, limits=GuardLimits(max_gap=0.01))
    assert _guards(trips) == [SOLVER] and "gap 0.0200" in trips[0].message


def test_unplaced_names_the_workloads() -> None:
    assert check_plan(_plan(unplaced=1), moves=0, limits=GuardLimits(max_unplaced=1)) == []
    (trip,) = check_plan(_plan(unplaced=2), moves=0, limits=GuardLimits(max_unplaced=1))
    assert trip.guard == UNPLACED and "shop/w0, shop/w1" in trip.message


def test_every_guard_off_passes_a_bad_plan() -> None:
    assert check_plan(_plan(0.0, 99.0, unplaced=3), moves=1000, limits=OFF) == []


def test_prices_per_cloud() -> None:
    limits = GuardLimits(max_price_age_s=3600)
    trips = check_prices({"aws": 7200.0, "gcp": 60.0, "azure": 3600.0}, limits)
    assert [(t.guard, t.value) for t in trips] == [(PRICES, 7200.0)]
    assert "aws prices are 2.0h old (limit 1.0h)" in trips[0].message
    assert check_prices({"aws": 1e9}, OFF) == []


def test_exit_code_is_stale_prices_when_prices_tripped() -> None:
    moves = check_plan(_plan(), moves=9, limits=GuardLimits(max_moves=1))
    assert GuardTripped(moves).exit_code == ExitCode.GUARD
    error = GuardTripped(moves + check_prices({"aws": 1e6}, GuardLimits()))
    assert error.exit_code == ExitCode.STALE_PRICES and "refused by 2 guard(s); nothing was changed" in str(error)


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="max_moves must be ≥ 0"):
        GuardLimits(max_moves=-1)
