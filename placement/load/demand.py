"""Forecast-driven demand: `demand: {series: FILE | promql: QUERY, perReplica: N, headroom: H}`.

Two steps, kept apart so that parsing only parses:

1. `forecast_spec` (called by the scenario loader) reads the fields and checks them: no forecast
   runs, no Prometheus is asked; the workload's `replicas` stays 0 until step 2.
2. `resolve_demand(scenario, forecaster=...)` (called by the CLI, the CronJob and notebooks) runs the
   forecasts: the configured quantile's peak over the planning horizon, via `forecasting`'s
   `demand_from_series` / `demand_from_prometheus`, and records in words which forecast sized the
   workload (the plan's `demand`). A series that is missing or wrong is the field's problem (exit 2);
   an unreachable Prometheus is an environment failure (`ServiceFailed`, exit 4; 2 when other
   workloads' demand is also wrong). A forecast peaking above the replica cap is refused; one whose
   data ended before now is planned with a warning (replaying old traces is legitimate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from placement.errors import InvalidScenario, Problem, ServiceFailed, missing
from placement.load import limits
from placement.load.fields import FieldReader
from placement.scenario import DemandSpec, Scenario, Workload

DEFAULT_HEADROOM = 0.1


class ForecastDemand(Protocol):
    """What a forecaster returns per series: the peak replicas and, optionally, a per-slot profile."""

    peak_replicas: int


class Forecaster(Protocol):
    """How `resolve_demand` sizes a workload: ``forecaster(spec, workload=key, quantile=q)`` →
    ``{series id: ForecastDemand}``. The default asks the `forecasting` package; tests inject fakes."""

    def __call__(self, spec: DemandSpec, *, workload: str, quantile: float) -> Mapping[str, ForecastDemand]: ...


def forecast_spec(
    reader: FieldReader, data: Mapping[str, Any], path: str, *, base_dir: Path | None = None
) -> DemandSpec:
    """The demand spec of a forecast-driven workload, checked but not yet sized (problems go to `reader`)."""
    per_replica = reader.number(
        data, "perReplica", path, minimum=0.0, exclusive_minimum=True, hint="(requests/s or CPU one replica handles)"
    )
    if data.get("perReplica") is None:
        reader.problem(f"{path}.perReplica", missing(), "is required with series/promql (capacity of one replica)")
    headroom = reader.number(
        data,
        "headroom",
        path,
        default=DEFAULT_HEADROOM,
        minimum=0.0,
        maximum=limits.MAX_HEADROOM,
        hint="(e.g. 0.1 = 10%)",
    )
    series, promql = data.get("series"), data.get("promql")
    if series is not None and promql is not None:
        reader.problem(path, dict(data), "give either series or promql, not both")
        return DemandSpec()
    series_path = None
    if series is not None:
        series_path = Path(str(series))
        if base_dir is not None and not series_path.is_absolute():
            series_path = base_dir / series_path
        if not series_path.is_file():
            reader.problem(f"{path}.series", series, "file not found (paths are relative to the scenario file)")
    prometheus = data.get("prometheus")
    return DemandSpec(
        series=None if series is None else str(series),
        promql=None if promql is None else str(promql),
        per_replica=per_replica,
        headroom=float(headroom or 0.0),
        prometheus=None if prometheus is None else str(prometheus),
        series_path=series_path,
    )


def default_forecaster(spec: DemandSpec, *, workload: str, quantile: float) -> Mapping[str, ForecastDemand]:
    """Forecasts with the `forecasting` package: the series file, or the PromQL query on Prometheus."""
    from forecasting import demand_from_prometheus, demand_from_series

    assert spec.per_replica is not None
    if spec.series_path is not None:
        return demand_from_series(
            spec.series_path, per_replica=spec.per_replica, quantile=quantile, headroom=spec.headroom, workload=workload
        )
    return demand_from_prometheus(
        spec.prometheus or "",
        str(spec.promql),
        per_replica=spec.per_replica,
        quantile=quantile,
        headroom=spec.headroom,
        workload=workload,
    )


@dataclass(frozen=True, slots=True)
class _Sized:
    workload: Workload | None
    problem: Problem | None = None
    environment: bool = False  # the problem is a service failure (exit 4), not the input's


def resolve_demand(
    scenario: Scenario, *, forecaster: Forecaster | None = None, now: datetime | None = None
) -> Scenario:
    """The scenario with every forecast-driven workload sized (a no-op when none is).

    Every workload's problem is reported at once (`InvalidScenario`, exit 2). Environment failures
    (Prometheus down or slow: errors whose ``exit_code`` is 4) are `ServiceFailed` (exit 4), naming
    the field, when nothing else is wrong.
    """
    pending = [i for i, w in enumerate(scenario.workloads) if w.demand.needs_forecast]
    if not pending:
        return scenario
    run: Callable[..., Mapping[str, ForecastDemand]] = forecaster or default_forecaster
    workloads = list(scenario.workloads)
    problems: list[Problem] = []
    failures: list[Problem] = []
    for index in pending:
        sized = _size(
            workloads[index],
            f"spec.workloads[{index}].demand",
            run,
            scenario.planning.quantile,
            now or datetime.now(UTC),
        )
        if sized.problem is not None:
            (failures if sized.environment else problems).append(sized.problem)
        elif sized.workload is not None:
            workloads[index] = sized.workload
    if problems:
        raise InvalidScenario(f"scenario {scenario.name}", problems + failures)
    if failures:
        raise ServiceFailed(f"scenario {scenario.name}", failures)
    return replace(scenario, workloads=tuple(workloads))


def _size(
    workload: Workload, path: str, run: Callable[..., Mapping[str, ForecastDemand]], quantile: float, now: datetime
) -> _Sized:
    spec = workload.demand
    field = f"{path}.{'series' if spec.series is not None else 'promql'}"
    try:
        demands = run(spec, workload=workload.key, quantile=quantile)
    except Exception as error:  # the input's problem (2), or the server's failure (4)
        environment = getattr(error, "exit_code", None) == 4
        return _Sized(None, Problem(field, spec.series or spec.promql, str(error)), environment=environment)
    if not demands:
        return _Sized(None, Problem(field, spec.series or spec.promql, "the forecast returned no series"))
    demand = max(demands.values(), key=lambda d: d.peak_replicas)
    replicas = int(demand.peak_replicas)
    if replicas > limits.MAX_REPLICAS:
        return _Sized(
            None,
            Problem(
                field,
                spec.series or spec.promql,
                f"the forecast peaks at {replicas:,} replicas, above the cap of {limits.MAX_REPLICAS:,}: "
                f"check perReplica ({spec.per_replica:g}, the load one replica handles) against the "
                "series' unit",
            ),
        )
    if workload.min_available > replicas:
        return _Sized(
            None,
            Problem(
                f"{path[: -len('.demand')]}.minAvailable",
                workload.min_available,
                f"is above the forecast demand of {replicas} replicas: lower minAvailable",
            ),
        )
    sized = replace(
        spec,
        source=getattr(demand, "source", f"forecast q{quantile:g}"),
        replicas_by_slot=tuple(int(r) for r in getattr(demand, "replicas_by_slot", ())),
        slot_start=getattr(demand, "slot_start", None),
        slot_seconds=int(getattr(demand, "slot_seconds", 0)),
        warning=stale_warning(workload.key, field, demand, now),
    )
    return _Sized(replace(workload, replicas=replicas, demand=sized))


def stale_warning(workload: str, where: str, demand: Any, now: datetime) -> str:
    """A warning when the whole forecast lies in the past: the series ended before now − horizon.

    Such a plan is sized on the traffic of the day after the series ended, not of today; it is a
    warning (the plan is still made, and says so), not a refusal: replaying old traces is legitimate.
    """
    start, seconds, slots = (
        getattr(demand, "slot_start", None),
        getattr(demand, "slot_seconds", 0),
        getattr(demand, "replicas_by_slot", ()),
    )
    if start is None or not seconds or not slots:
        return ""
    end = start + timedelta(seconds=int(seconds) * len(slots))
    if end >= now:
        return ""
    age = now - start
    return (
        f"{workload}: {where} is forecast from data that ended {start:%Y-%m-%d %H:%M} UTC, "
        f"{age.days} days before now; the plan is sized for {start:%Y-%m-%d}, not today: refresh the series"
    )
