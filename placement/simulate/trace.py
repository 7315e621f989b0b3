"""Hourly traffic per workload: load traces (CSV or Prometheus), bind them to workloads, declare events.

A simulation runs on whole hours. Each workload gets one hourly load array: the first `history_h`
hours are history (what forecasters may look at before the run starts) and the next `hours` are
replayed. Load is in the trace's own unit (requests per 5 min, CPU %, passengers); `per_replica`
is the load one replica handles, so `replicas = ceil(load / per_replica)`.

When a trace is bound to a workload, `per_replica` is chosen so that the **peak of the history**
needs exactly the workload's declared `replicas` — the way an operator sizes a service from the
traffic they have seen. The replayed hours may then need more (growth, events) or fewer.

Sub-hourly samples are aggregated per hour with `how` (default `max`: a service must carry the
busiest 5 minutes of the hour, not the average); gaps are interpolated linearly.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from placement.errors import PlacementError
from placement.scenario import Scenario, Workload

AGGREGATIONS = ("max", "mean", "sum")


@dataclass(frozen=True, slots=True, eq=False)
class HourlySeries:
    """One trace on the hourly grid: values[k] is the load of hour `start + k h`."""

    start: datetime
    values: np.ndarray
    source: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class WorkloadTraffic:
    """A workload's hourly load (history then replayed hours) and the load one replica handles."""

    workload: str
    load: np.ndarray
    per_replica: float
    history_h: int
    source: str = ""
    start: datetime | None = None  # time of load[0]

    @property
    def hours(self) -> int:
        """Replayed hours (after the history)."""
        return len(self.load) - self.history_h

    def replicas(self) -> np.ndarray:
        """Replicas needed per hour over the whole array: ceil(load / per_replica), at least 0."""
        return np.ceil(np.clip(self.load, 0.0, None) / self.per_replica - 1e-9).astype(int)


@dataclass(frozen=True, slots=True)
class TrafficEvent:
    """Replayed hours [start_h, start_h + hours) carry `multiplier` × the trace's load.

    `declared` events are known ahead (a sale on the marketing calendar): forecasting strategies
    see them. `workloads` None means every workload; `ramp_h` hours ramp linearly in and out.
    """

    start_h: int
    hours: int
    multiplier: float
    workloads: tuple[str, ...] | None = None
    declared: bool = True
    ramp_h: int = 0
    name: str = "event"

    def __post_init__(self) -> None:
        if self.hours < 1 or self.start_h < 0:
            raise PlacementError(
                f"event {self.name!r}: start_h must be ≥ 0 and hours ≥ 1 (got {self.start_h}, {self.hours})"
            )
        if not self.multiplier > 0:
            raise PlacementError(f"event {self.name!r}: multiplier must be > 0 (got {self.multiplier!r})")

    def applies_to(self, workload: str) -> bool:
        return self.workloads is None or workload in self.workloads

    def factors(self, hours: int) -> np.ndarray:
        """Multiplier per replayed hour (1 outside the event)."""
        out = np.ones(hours)
        for k in range(self.start_h, min(self.start_h + self.hours, hours)):
            into, left = k - self.start_h + 1, self.start_h + self.hours - k
            ramp = min(1.0, into / (self.ramp_h + 1), left / (self.ramp_h + 1)) if self.ramp_h else 1.0
            out[k] = 1.0 + (self.multiplier - 1.0) * ramp
        return out


# -- loading ------------------------------------------------------------------------------------------
def to_hourly(frame: pd.DataFrame, *, how: str = "max") -> dict[str, HourlySeries]:
    """Each series of a long frame (`unique_id, ds, y`) on the hourly grid, gaps interpolated."""
    from forecasting import validate_frame

    if how not in AGGREGATIONS:
        raise PlacementError(f"how={how!r}: use one of {', '.join(AGGREGATIONS)}")
    checked = validate_frame(frame)
    out: dict[str, HourlySeries] = {}
    for uid, group in checked.groupby("unique_id", sort=True):
        hourly = group.set_index(group["ds"].dt.floor("h"))["y"].groupby(level=0).agg(how)
        grid = pd.date_range(hourly.index.min(), hourly.index.max(), freq="h")
        values = hourly.reindex(grid).interpolate(limit_direction="both").to_numpy(dtype=float)
        if not np.isfinite(values).any():
            raise PlacementError(f"series {uid!r} has no numeric samples")
        start = pd.Timestamp(grid[0]).to_pydatetime().replace(tzinfo=UTC)
        out[str(uid)] = HourlySeries(start=start, values=values, source=str(uid))
    return out


def load_traces(path: str | Path, *, how: str = "max") -> dict[str, HourlySeries]:
    """Hourly series from a CSV file or every `*.csv` of a directory (via `forecasting.load_csv`).

    A `timestamp,value` file is one series named by its file stem; a `unique_id,ds,y` file holds
    any number of series named by `unique_id`.
    """
    from forecasting import ForecastError, load_csv

    where = Path(path)
    files = sorted(where.glob("*.csv")) if where.is_dir() else [where]
    if where.is_dir() and not files:
        raise PlacementError(f"--traces {str(where)!r}: the directory has no .csv files")
    out: dict[str, HourlySeries] = {}
    for file in files:
        try:
            frame = load_csv(file)
        except ForecastError as error:
            raise PlacementError(f"trace {str(file)!r}: {error}") from error
        for uid, series in to_hourly(frame, how=how).items():
            out[uid] = replace(series, source=f"{file.name}:{uid}" if uid != file.stem else file.name)
    return out


def load_prometheus_traces(
    client: object,
    query: str,
    *,
    start: datetime,
    end: datetime,
    id_labels: Sequence[str] | None = None,
    step: str = "5m",
    how: str = "max",
    counter: bool = False,
) -> dict[str, HourlySeries]:
    """Hourly series from a PromQL range query (via `forecasting.load_usage`, client injected)."""
    from forecasting import load_usage

    frame = load_usage(client, query, start=start, end=end, step=step, id_labels=id_labels, counter=counter)  # type: ignore[arg-type]
    return {uid: replace(s, source=f"prometheus {query!r} {uid}") for uid, s in to_hourly(frame, how=how).items()}


def match_traces(
    scenario: Scenario, series: Mapping[str, HourlySeries], assign: Mapping[str, str] | None = None
) -> dict[str, HourlySeries]:
    """Which series drives which workload: `assign` (workload → series id) first, then a series
    named like the workload (`namespace/name`, `namespace__name` or `name`). Unmatched workloads
    are left out (they run flat at their declared replicas)."""
    out: dict[str, HourlySeries] = {}
    for workload, sid in (assign or {}).items():
        scenario.workload(workload)  # KeyError → caller reports the unknown workload
        if sid not in series:
            raise PlacementError(f"trace for {workload!r}: no series {sid!r} (have {sorted(series)[:10]})")
        out[scenario.workload(workload).key] = series[sid]
    for w in scenario.workloads:
        if w.key in out:
            continue
        for name in (w.key, w.key.replace("/", "__"), f"{w.namespace}_{w.name}", w.name):
            if name in series:
                out[w.key] = series[name]
                break
    return out


# -- binding --------------------------------------------------------------------------------------------
def bind_traffic(
    scenario: Scenario,
    series: Mapping[str, HourlySeries],
    *,
    hours: int,
    history_h: int,
    offset_h: int = 0,
) -> dict[str, WorkloadTraffic]:
    """Every workload's traffic: its matched series (hours [offset_h, offset_h + history_h + hours)),
    or a flat load at its declared replicas when it has none."""
    if hours < 1 or history_h < 0 or offset_h < 0:
        raise PlacementError(
            f"hours={hours}, history_h={history_h}, offset_h={offset_h}: need hours ≥ 1 and the others ≥ 0"
        )
    need = history_h + hours
    out: dict[str, WorkloadTraffic] = {}
    for w in scenario.workloads:
        trace = series.get(w.key)
        if trace is None:
            out[w.key] = WorkloadTraffic(
                w.key, np.full(need, float(w.replicas)), 1.0, history_h, "flat at declared replicas"
            )
            continue
        if len(trace.values) < offset_h + need:
            raise PlacementError(
                f"trace {trace.source!r} for {w.key} has {len(trace.values)} hours; the run needs {offset_h + need} "
                f"(offset {offset_h} + history {history_h} + {hours} replayed): use fewer --hours or a longer trace"
            )
        load = np.asarray(trace.values[offset_h : offset_h + need], dtype=float)
        out[w.key] = _bound(w, load, history_h, trace.source, _shift(trace.start, offset_h))
    return out


def _bound(w: Workload, load: np.ndarray, history_h: int, source: str, start: datetime | None) -> WorkloadTraffic:
    basis = load[:history_h] if history_h > 0 else load
    peak = float(np.nanmax(basis)) if basis.size else 0.0
    if not peak > 0 or w.replicas <= 0:
        raise PlacementError(
            f"trace {source!r} for {w.key}: its history peaks at {peak:g}; "
            "a trace must carry some load (and the workload some replicas) to size replicas from"
        )
    return WorkloadTraffic(w.key, load, peak / w.replicas, history_h, source, start)


def _shift(start: datetime, hours: int) -> datetime:
    return (pd.Timestamp(start) + pd.Timedelta(hours=hours)).to_pydatetime()


def with_events(traffic: Mapping[str, WorkloadTraffic], events: Sequence[TrafficEvent]) -> dict[str, WorkloadTraffic]:
    """Traffic with every event's multiplier applied to the replayed hours of the workloads it covers."""
    out: dict[str, WorkloadTraffic] = {}
    for key, t in traffic.items():
        load = t.load.copy()
        for event in events:
            if event.applies_to(key):
                load[t.history_h :] *= event.factors(t.hours)
        out[key] = replace(t, load=load)
    return out


def scaled(
    traffic: Mapping[str, WorkloadTraffic], factor: float, workloads: Sequence[str] | None = None
) -> dict[str, WorkloadTraffic]:
    """Traffic with the replayed hours multiplied by `factor` (history untouched): sustained growth."""
    if not factor > 0:
        raise PlacementError(f"traffic factor {factor!r} must be > 0")
    event = TrafficEvent(0, 10**9, factor, tuple(workloads) if workloads is not None else None, name="scale")
    return with_events(traffic, [event])


# -- synthetic traffic (the offline demo) ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SyntheticShape:
    """Daily/weekly shape of synthetic traffic: trough/peak ratio, weekend dip and noise."""

    daily_trough: float = 0.45  # load at the daily trough as a fraction of the peak
    weekend_dip: float = 0.15  # fraction lost on Saturday and Sunday
    noise: float = 0.06  # log-normal noise sigma per hour
    peak_local_hour: float = 20.0  # interactive traffic peaks in the users' evening
    batch_peak_utc_hour: float = 3.0  # workloads without users peak at night (batch)


def synthetic_traffic(
    scenario: Scenario,
    *,
    hours: int,
    history_h: int = 7 * 24,
    seed: int = 0,
    shape: SyntheticShape | None = None,
    start: datetime = datetime(2025, 3, 3, tzinfo=UTC),
) -> dict[str, WorkloadTraffic]:
    """Seeded diurnal traffic for every workload, peaking at its users' local evening.

    Load is in replicas (per_replica = 1) and the history's peak equals the declared replicas.
    Deterministic for a given seed; each workload has its own noise stream (by name, not order).
    """
    shape = shape or SyntheticShape()
    total = history_h + hours
    t = np.arange(total, dtype=float) + start.hour
    out: dict[str, WorkloadTraffic] = {}
    for w in scenario.workloads:
        rng = np.random.default_rng([seed, zlib.crc32(w.key.encode())])
        peak_utc = _peak_utc_hour(scenario, w, shape)
        daily = 0.5 * (1 + np.cos(2 * math.pi * (t - peak_utc) / 24.0))
        level = shape.daily_trough + (1 - shape.daily_trough) * daily
        weekday = (start.weekday() + (t // 24).astype(int)) % 7
        level = level * np.where(weekday >= 5, 1 - shape.weekend_dip, 1.0)
        level = level * np.exp(rng.normal(0.0, shape.noise, total))
        peak = float(level[:history_h].max()) if history_h else float(level.max())
        out[w.key] = WorkloadTraffic(w.key, level / peak * w.replicas, 1.0, history_h, f"synthetic seed {seed}", start)
    return out


def _peak_utc_hour(scenario: Scenario, w: Workload, shape: SyntheticShape) -> float:
    """The UTC hour of a workload's peak: its users' share-weighted local evening (by longitude)."""
    if not w.users:
        return shape.batch_peak_utc_hour
    east = north = 0.0
    for name, share in w.users.items():
        try:
            lon = scenario.user_region(name).lon
        except KeyError:
            continue
        angle = 2 * math.pi * (shape.peak_local_hour - lon / 15.0) / 24.0
        east += share * math.cos(angle)
        north += share * math.sin(angle)
    return (math.atan2(north, east) * 24.0 / (2 * math.pi)) % 24.0


__all__ = [
    "AGGREGATIONS",
    "HourlySeries",
    "SyntheticShape",
    "TrafficEvent",
    "WorkloadTraffic",
    "bind_traffic",
    "load_prometheus_traces",
    "load_traces",
    "match_traces",
    "scaled",
    "synthetic_traffic",
    "to_hourly",
    "with_events",
]
