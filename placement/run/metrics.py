"""What a run reports to Prometheus: a `RunSummary` → a dedicated `CollectorRegistry` (no I/O).

A successful run reports everything below; its push replaces the whole Pushgateway group, so a
failure from an earlier run disappears. A failed run reports only the run-status metrics (plus
price ages and tripped guards when known) and is pushed with POST, which replaces just those
names: the last success's timestamp and figures stay for dashboards and alerts.

=============================================  =========================================================
metric                                         meaning
=============================================  =========================================================
placement_last_run_timestamp_seconds           when the last run finished (every run)
placement_last_run_success                     1 when the last run succeeded, else 0
placement_last_run_exit_code                   the last run's exit code (see README: exit codes)
placement_run_duration_seconds                 how long the last run took
placement_last_success_timestamp_seconds       when the last successful run finished (success only)
placement_last_failure_timestamp_seconds       when the last failed run finished (failure only)
placement_run_failure{reason}                  1 for the failure's class (failure only)
placement_guard_tripped{guard}                 1 per guard that refused the plan (failure only)
placement_current_hourly_usd                   $/h of today's placement at the run's prices
placement_planned_hourly_usd                   $/h of the plan
placement_savings_hourly_usd                   current − planned $/h
placement_savings_ratio                        savings as a fraction of current $/h
placement_moves                                replicas the Deployment changes add (per cluster; spot/on-demand mix ignored)
placement_changes                              objects applied (apply), differing (dry run) or files written (gitops)
placement_unplaced_workloads                   workloads the plan could not place
placement_solver_gap_ratio                     the solver's relative optimality gap
placement_solver_seconds                       solver wall time
placement_solver_status{status}                1 for the solver's status
placement_price_age_seconds{cloud}             age of each cloud's oldest price
placement_prices_refreshed                     1 when this run refreshed the price cache
placement_forecast_error_ratio                 the previous horizon's forecast error (see placement.run.forecast_error)
placement_forecast_error_workloads             workloads that error covers
placement_forecast_replicas{workload}          peak replicas this run planned for (the next run's reference)
placement_plan_info{plan_id,scenario}          1, naming the plan in force
=============================================  =========================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Gauge

from placement.plan import Plan
from placement.run.forecast_error import ForecastCheck

JOB = "placement"
PREFIX = "placement_"
FORECAST_REPLICAS = "placement_forecast_replicas"
LAST_SUCCESS = "placement_last_success_timestamp_seconds"

_HELP = {
    "last_run_timestamp_seconds": "When the last placement run finished (Unix seconds).",
    "last_run_success": "1 when the last placement run succeeded, else 0.",
    "last_run_exit_code": "Exit code of the last placement run.",
    "run_duration_seconds": "Duration of the last placement run.",
    "last_success_timestamp_seconds": "When the last successful placement run finished (Unix seconds).",
    "last_failure_timestamp_seconds": "When the last failed placement run finished (Unix seconds).",
    "run_failure": "1 for the class of the last run's failure.",
    "guard_tripped": "1 for each guard that refused the last run's plan.",
    "current_hourly_usd": "Hourly cost in USD of the current placement at the run's prices.",
    "planned_hourly_usd": "Hourly cost in USD of the plan.",
    "savings_hourly_usd": "Current minus planned hourly cost in USD.",
    "savings_ratio": "Savings as a fraction of the current hourly cost.",
    "moves": "Replicas the plan's changes add where they were not before.",
    "changes": "Objects applied (apply), differing (dry run) or overlay files written (gitops).",
    "unplaced_workloads": "Workloads the plan could not place.",
    "solver_gap_ratio": "Relative optimality gap the solver reported.",
    "solver_seconds": "Solver wall time in seconds.",
    "solver_status": "1 for the solver's status.",
    "price_age_seconds": "Age of each cloud's oldest price in seconds.",
    "prices_refreshed": "1 when the run refreshed the price cache.",
    "forecast_error_ratio": "Weighted absolute percentage error of the previous run's planned replicas against what the traffic needed since.",
    "forecast_error_workloads": "Forecast-driven workloads the forecast error covers.",
    "forecast_replicas": "Peak replicas the run planned for, per workload.",
    "plan_info": "1, labelled with the plan in force.",
}


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Everything a run reports. `failure` is None on success, else the failure's class
    (invalid | cluster | prices | guard | apply | internal)."""

    mode: str
    started_at: datetime
    finished_at: datetime
    exit_code: int
    failure: str | None = None
    guards: tuple[str, ...] = ()
    plan: Plan | None = None
    plan_id: str | None = None
    moves: int | None = None
    changes: int | None = None
    price_ages_s: Mapping[str, float] = field(default_factory=dict)
    prices_refreshed: bool | None = None
    forecast: ForecastCheck | None = None
    forecast_replicas: Mapping[str, int] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.failure is None

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


def registry_for(summary: RunSummary) -> CollectorRegistry:
    """A fresh registry holding the summary's metrics (see the module table)."""
    registry = CollectorRegistry(auto_describe=True)
    made: dict[str, Gauge] = {}

    def gauge(name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        if name not in made:
            made[name] = Gauge(PREFIX + name, _HELP[name], labelnames=tuple(labels or ()), registry=registry)
        metric = made[name]
        (metric.labels(**labels) if labels else metric).set(float(value))

    finished = summary.finished_at.timestamp()
    gauge("last_run_timestamp_seconds", finished)
    gauge("last_run_success", 1 if summary.success else 0)
    gauge("last_run_exit_code", summary.exit_code)
    gauge("run_duration_seconds", summary.duration_s)
    for cloud, age in sorted(summary.price_ages_s.items()):
        gauge("price_age_seconds", age, {"cloud": cloud})
    if not summary.success:
        gauge("last_failure_timestamp_seconds", finished)
        gauge("run_failure", 1, {"reason": summary.failure or "internal"})
        for guard in summary.guards:
            gauge("guard_tripped", 1, {"guard": guard})
        return registry
    gauge("last_success_timestamp_seconds", finished)
    if summary.prices_refreshed is not None:
        gauge("prices_refreshed", 1 if summary.prices_refreshed else 0)
    plan = summary.plan
    if plan is not None:
        cost = plan.hourly_usd
        gauge("current_hourly_usd", cost.before)
        gauge("planned_hourly_usd", cost.after)
        gauge("savings_hourly_usd", cost.before - cost.after)
        gauge("savings_ratio", cost.savings_fraction)
        gauge("unplaced_workloads", len(plan.unplaced))
        gauge("solver_gap_ratio", plan.solver.gap)
        gauge("solver_seconds", plan.solver.seconds)
        gauge("solver_status", 1, {"status": plan.solver.status})
        gauge("plan_info", 1, {"plan_id": summary.plan_id or "", "scenario": plan.scenario})
    if summary.moves is not None:
        gauge("moves", summary.moves)
    if summary.changes is not None:
        gauge("changes", summary.changes)
    if summary.forecast is not None:
        gauge("forecast_error_ratio", summary.forecast.error_ratio)
        gauge("forecast_error_workloads", summary.forecast.workloads)
    for workload, replicas in sorted(summary.forecast_replicas.items()):
        gauge("forecast_replicas", replicas, {"workload": workload})
    return registry
