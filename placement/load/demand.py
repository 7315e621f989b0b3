"""Forecast-driven demand for a workload: `demand: {series: FILE | promql: QUERY, perReplica: N}`.

The scenario loader calls this for workloads whose demand is a traffic series rather than a fixed
replica count. It asks `forecasting` for the configured quantile's peak over the planning horizon
(`forecasting.demand_from_series` / `demand_from_prometheus`) and records, in words, which
forecast sized the workload (shown in the plan's `demand`). Failures are scenario problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from placement.errors import missing
from placement.load import limits
from placement.load.fields import FieldReader
from placement.scenario import DemandSpec

DEFAULT_HEADROOM = 0.1


def resolve_forecast_demand(
    reader: FieldReader,
    data: Mapping[str, Any],
    path: str,
    *,
    workload: str | None = None,
    quantile: float = 0.95,
    base_dir: Path | None = None,
    now: datetime | None = None,
) -> tuple[DemandSpec, int | None]:
    """The demand spec and peak replicas of one workload's forecast (problems go to `reader`).

    A series file or query may hold several series: the one whose id is `workload` (``ns/name``) is
    used, or the only one there is; anything else is this field's problem, naming the series found.
    `demand.prometheus` (a URL) overrides ``$PROMETHEUS_URL`` for the query.
    """
    per_replica = reader.number(data, "perReplica", path, minimum=0.0, exclusive_minimum=True,
                                hint="(requests/s or CPU one replica handles)")
    if data.get("perReplica") is None:
        reader.problem(f"{path}.perReplica", missing(), "is required with series/promql (capacity of one replica)")
    headroom = reader.number(data, "headroom", path, default=DEFAULT_HEADROOM, minimum=0.0, maximum=limits.MAX_HEADROOM,
                             hint="(e.g. 0.1 = 10%)")
    series, promql = data.get("series"), data.get("promql")
    if series is not None and promql is not None:
        reader.problem(path, dict(data), "give either series or promql, not both")
        return DemandSpec(), None
    if per_replica is None:
        return DemandSpec(), None
    try:
        import forecasting
    except ImportError as error:  # pragma: no cover - the package ships with placement
        reader.problem(path, dict(data), f"forecast-driven demand needs the forecasting package ({error})")
        return DemandSpec(), None
    function_name = "demand_from_series" if series is not None else "demand_from_prometheus"
    function = getattr(forecasting, function_name, None)
    if function is None:
        reader.problem(path, dict(data), f"this build of placement has no forecasting.{function_name}: "
                       "give `replicas: N` instead")
        return DemandSpec(), None
    try:
        if series is not None:
            source = Path(str(series))
            if base_dir is not None and not source.is_absolute():
                source = base_dir / source
            demands = function(source, per_replica=per_replica, quantile=quantile, headroom=headroom,
                               workload=workload)
        else:
            demands = function(str(data.get("prometheus") or ""), str(promql), per_replica=per_replica,
                               quantile=quantile, headroom=headroom, workload=workload)
    except Exception as error:  # any forecasting failure is this field's: the input's (2) or the server's (4)
        where = f"{path}.{'series' if series is not None else 'promql'}"
        if getattr(error, "exit_code", 2) == 4:
            reader.failure(where, series or promql, f"{error}")
        else:
            reader.problem(where, series or promql, f"{error}")
        return DemandSpec(), None
    if not demands:
        reader.problem(path, series or promql, "the forecast returned no series")
        return DemandSpec(), None
    demand = max(demands.values(), key=lambda d: d.peak_replicas)
    where = f"{path}.{'series' if series is not None else 'promql'}"
    if demand.peak_replicas > limits.MAX_REPLICAS:
        reader.problem(where, series or promql, f"the forecast peaks at {int(demand.peak_replicas):,} replicas, above "
                       f"the cap of {limits.MAX_REPLICAS:,}: check perReplica ({per_replica:g}, the load one replica "
                       "handles) against the series' unit")
        return DemandSpec(), None
    spec = DemandSpec(series=None if series is None else str(series), promql=promql, per_replica=per_replica,
                      source=getattr(demand, "source", f"forecast q{quantile:g}"),
                      replicas_by_slot=tuple(int(r) for r in getattr(demand, "replicas_by_slot", ())),
                      slot_start=getattr(demand, "slot_start", None), slot_seconds=int(getattr(demand, "slot_seconds", 0)),
                      warning=stale_warning(workload or path, where, demand, now or datetime.now(UTC)))
    return spec, int(demand.peak_replicas)


def stale_warning(workload: str, where: str, demand: Any, now: datetime) -> str:
    """A warning when the whole forecast lies in the past: the series ended before now − horizon.

    Such a plan is sized on the traffic of the day after the series ended, not of today; it is a
    warning (the plan is still made, and says so), not a refusal: replaying old traces is legitimate.
    """
    start, seconds, slots = getattr(demand, "slot_start", None), getattr(demand, "slot_seconds", 0), getattr(
        demand, "replicas_by_slot", ())
    if start is None or not seconds or not slots:
        return ""
    end = start + timedelta(seconds=int(seconds) * len(slots))
    if end >= now:
        return ""
    age = now - start
    return (f"{workload}: {where} is forecast from data that ended {start:%Y-%m-%d %H:%M} UTC, "
            f"{age.days} days before now; the plan is sized for {start:%Y-%m-%d}, not today: refresh the series")
