"""Forecast → replicas: the seam between `forecasting` and the planner (pure, no I/O).

`to_demand` turns a forecast frame into one `Demand` per series: replicas per slot
= ceil(quantile forecast × (1 + headroom) / per_replica), at least `min_replicas`. The planner sizes
a workload by `Demand.peak_replicas`; `Demand.source` says in words which forecast did it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from forecasting.errors import ForecastError
from forecasting.frame import CUTOFF, DS, UNIQUE_ID, Y, quantile_column


@dataclass(frozen=True, slots=True)
class Demand:
    """Replicas one workload needs per time slot, sized from a quantile forecast of its traffic."""

    workload: str
    quantile: float
    replicas_by_slot: tuple[int, ...]
    slot_start: datetime  # start of the first slot, tz-aware UTC
    slot_seconds: int
    source: str  # human text: which forecast, quantile and series sized it
    per_replica: float = 1.0  # load one replica handles, in the series' unit (requests/s, cores)
    headroom: float = 0.0  # extra fraction on top of the forecast (0.1 = 10 %)
    peak_load: float = 0.0  # the quantile forecast's peak, in the series' unit

    @property
    def peak_replicas(self) -> int:
        """The most replicas any slot needs: what the planner sizes the workload by."""
        return max(self.replicas_by_slot, default=0)

    @property
    def horizon_end(self) -> datetime:
        """End of the last slot."""
        return self.slot_start + timedelta(seconds=self.slot_seconds * len(self.replicas_by_slot))


def forecast_alias(forecast: pd.DataFrame) -> str:
    """The model alias of a forecast frame with exactly one model (its median column)."""
    point = [
        str(c) for c in forecast.columns if c not in (UNIQUE_ID, DS, CUTOFF, Y) and "-lo-" not in c and "-hi-" not in c
    ]
    if len(point) != 1:
        raise ForecastError(f"forecast frame has model columns {point}: pass alias= to choose one")
    return point[0]


def replicas_needed(load: np.ndarray, per_replica: float, headroom: float = 0.0, min_replicas: int = 1) -> np.ndarray:
    """ceil(load × (1 + headroom) / per_replica), never below `min_replicas` (negative load counts as 0)."""
    if not per_replica > 0:
        raise ForecastError(f"per_replica={per_replica!r} must be > 0 (the load one replica handles)")
    if not headroom >= 0:
        raise ForecastError(f"headroom={headroom!r} must be ≥ 0 (e.g. 0.1 for 10% extra)")
    needed = np.ceil(np.clip(load, 0.0, None) * (1.0 + headroom) / per_replica - 1e-9)
    return np.maximum(needed, min_replicas).astype(int)


def to_demand(
    forecast: pd.DataFrame,
    quantile: float,
    per_replica: float,
    headroom: float = 0.0,
    *,
    alias: str | None = None,
    min_replicas: int = 1,
    label: str = "",
) -> dict[str, Demand]:
    """One `Demand` per `unique_id` of `forecast` (a `Forecaster.predict` frame), keyed by it.

    `quantile` picks the column (`quantile_column(alias, quantile)`); `label` (e.g. the file or
    query the history came from) is put in each `Demand.source`.
    """
    alias = alias or forecast_alias(forecast)
    column = quantile_column(alias, quantile)
    if column not in forecast.columns:
        have = [c for c in forecast.columns if str(c).startswith(alias)]
        raise ForecastError(
            f"forecast has no column {column!r} for quantile {quantile:g} (it has {have}): "
            f"forecast with quantiles including {quantile:g}"
        )
    out: dict[str, Demand] = {}
    for uid, group in forecast.sort_values([UNIQUE_ID, DS]).groupby(UNIQUE_ID, sort=True):
        load = group[column].to_numpy(dtype=float)
        if not np.isfinite(load).all():
            raise ForecastError(f"forecast for series {uid!r} has missing values in {column!r}")
        stamps = pd.to_datetime(group[DS]).reset_index(drop=True)
        slot_seconds = int((stamps[1] - stamps[0]).total_seconds()) if len(stamps) > 1 else 0
        replicas = replicas_needed(load, per_replica, headroom, min_replicas)
        peak = int(np.argmax(load))
        start = _utc(stamps[0])
        source = (
            f"{label + ': ' if label else ''}forecast {alias} q{quantile:g} of series {uid!r}, "
            f"{len(load)} slots × {slot_seconds // 60} min from {start:%Y-%m-%d %H:%M} UTC; "
            f"peak {load[peak]:.4g} at {_utc(stamps[peak]):%Y-%m-%d %H:%M} UTC × {1 + headroom:g} headroom "
            f"/ {per_replica:g} per replica = {int(replicas.max())} replicas"
        )
        out[str(uid)] = Demand(
            workload=str(uid),
            quantile=float(quantile),
            replicas_by_slot=tuple(int(r) for r in replicas),
            slot_start=start,
            slot_seconds=slot_seconds,
            source=source,
            per_replica=float(per_replica),
            headroom=float(headroom),
            peak_load=float(load[peak]),
        )
    return out


def _utc(stamp: pd.Timestamp) -> datetime:
    moment = pd.Timestamp(stamp).to_pydatetime()
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def rename(demand: Demand, workload: str) -> Demand:
    """The same demand under another workload name (e.g. the series id → `namespace/name`)."""
    return replace(demand, workload=workload)


__all__ = ["Demand", "forecast_alias", "rename", "replicas_needed", "to_demand"]
