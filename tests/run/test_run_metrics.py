"""What a run reports: metrics built from a summary, the forecast error, and the JSON-lines log."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from builders import make_assignment, make_plan

from placement.plan import HourlyCost, SolverStats, Unplaced
from placement.run.forecast_error import ForecastCheck, forecast_error
from placement.run.log import RunLog
from placement.run.metrics import RunSummary, registry_for

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _samples(registry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for m in registry.collect() for s in m.samples}


def _summary(**overrides) -> RunSummary:
    plan = make_plan(
        make_assignment("shop/web", "a", 2),
        hourly_usd=HourlyCost(before=10.0, after=7.5, compute=7.5),
        solver=SolverStats("highs", "optimal", 0.25, 7.5, 7.49, 0.001),
        unplaced=(Unplaced("shop/ledger", "no cluster in CH"),),
    )
    fields = dict(
        mode="apply",
        started_at=START,
        finished_at=START + timedelta(seconds=42),
        exit_code=0,
        plan=plan,
        plan_id="p-abc",
        moves=3,
        changes=5,
        price_ages_s={"aws": 120.0, "gcp": 30.0},
        prices_refreshed=True,
        forecast=ForecastCheck(0.2, 2, 12.0, 10.0),
        forecast_replicas={"shop/web": 6, "shop/api": 4},
    )
    fields.update(overrides)
    return RunSummary(**fields)


def test_a_successful_run_reports_the_plan() -> None:
    samples = _samples(registry_for(_summary()))
    finished = (START + timedelta(seconds=42)).timestamp()
    expected = {
        ("placement_last_success_timestamp_seconds", ()): finished,
        ("placement_last_run_success", ()): 1.0,
        ("placement_run_duration_seconds", ()): 42.0,
        ("placement_current_hourly_usd", ()): 10.0,
        ("placement_planned_hourly_usd", ()): 7.5,
        ("placement_savings_hourly_usd", ()): 2.5,
        ("placement_savings_ratio", ()): 0.25,
        ("placement_moves", ()): 3.0,
        ("placement_changes", ()): 5.0,
        ("placement_unplaced_workloads", ()): 1.0,
        ("placement_solver_gap_ratio", ()): 0.001,
        ("placement_solver_seconds", ()): 0.25,
        ("placement_solver_status", (("status", "optimal"),)): 1.0,
        ("placement_price_age_seconds", (("cloud", "aws"),)): 120.0,
        ("placement_price_age_seconds", (("cloud", "gcp"),)): 30.0,
        ("placement_prices_refreshed", ()): 1.0,
        ("placement_forecast_error_ratio", ()): 0.2,
        ("placement_forecast_replicas", (("workload", "shop/web"),)): 6.0,
        ("placement_plan_info", (("plan_id", "p-abc"), ("scenario", "test"))): 1.0,
    }
    assert {k: samples.get(k) for k in expected} == expected
    assert not any(name.startswith(("placement_last_failure", "placement_run_failure")) for name, _ in samples)


def test_a_failed_run_reports_only_its_status() -> None:
    summary = _summary(
        exit_code=5,
        failure="guard",
        guards=("moves", "cost"),
        plan=None,
        moves=None,
        changes=None,
        forecast=None,
        forecast_replicas={},
    )
    samples = _samples(registry_for(summary))
    assert samples[("placement_last_run_success", ())] == 0.0
    assert samples[("placement_last_run_exit_code", ())] == 5.0
    assert samples[("placement_run_failure", (("reason", "guard"),))] == 1.0
    assert samples[("placement_guard_tripped", (("guard", "moves"),))] == 1.0
    assert samples[("placement_price_age_seconds", (("cloud", "aws"),))] == 120.0
    # the last success's figures must survive the POST: none of them are in a failure push
    assert ("placement_last_success_timestamp_seconds", ()) not in samples
    assert not any(
        name.startswith(("placement_planned", "placement_forecast", "placement_moves")) for name, _ in samples
    )


@pytest.mark.parametrize(
    ("previous", "observed", "ratio"),
    [
        ({"w1": 10, "w2": 5}, {"w1": 10, "w2": 5}, 0.0),  # perfect
        ({"w1": 12, "w2": 5}, {"w1": 10, "w2": 10}, (2 + 5) / 20),  # weighted by observed replicas
        ({"w1": 10, "gone": 99}, {"w1": 8, "new": 3}, 2 / 8),  # only workloads both know
    ],
)
def test_forecast_error(previous, observed, ratio) -> None:
    check = forecast_error(previous, observed)
    assert check is not None and check.error_ratio == pytest.approx(ratio)


def test_no_common_workload_means_no_score() -> None:
    assert forecast_error({"w1": 3}, {"w2": 3}) is None
    assert forecast_error({"w1": 3}, {"w1": 0}) is None


def test_run_log_writes_one_json_object_per_line() -> None:
    stream = io.StringIO()
    log = RunLog(stream, run_id="r1", clock=lambda: START)
    log.info("plan.solved", planId="p-1", hourlyUsd={"after": 1.5})
    log.error("run.failed", error=ValueError("boom"))
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0] == {
        "time": "2026-03-01T12:00:00.000Z",
        "level": "info",
        "logger": "placement.run.job",
        "event": "plan.solved",
        "runId": "r1",
        "planId": "p-1",
        "hourlyUsd": {"after": 1.5},
    }
    assert lines[1]["level"] == "error" and lines[1]["error"] == "boom"
    assert log.events("run.failed") == [log.records[1]]
    with pytest.raises(ValueError, match="log level 'loud'"):
        log.event("x", "loud")
