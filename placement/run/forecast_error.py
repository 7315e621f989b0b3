"""How far the previous run's sized demand was from what the traffic then needed (pure).

Each run records, per workload, the peak replicas it planned for (`placement_forecast_replicas` on
the Pushgateway). The next run reads the forecast-driven workloads' traffic since then
(`placement.run.realized_demand`) and scores the record as a weighted absolute percentage error:
Σ|planned − needed| / Σ needed over the workloads both know. 0 is a perfect forecast; 0.25 means it
missed by a quarter of the replicas needed. The planned replicas include the workload's headroom
(10 % unless set), so a perfect forecast of the peak scores about the headroom: watch the trend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ForecastCheck:
    """The previous horizon's forecast error and how many workloads it covers."""

    error_ratio: float
    workloads: int
    planned_replicas: float
    needed_replicas: float


def forecast_error(previous: Mapping[str, float], observed: Mapping[str, float]) -> ForecastCheck | None:
    """The weighted absolute percentage error of `previous` (planned) against `observed` (needed);
    None when they share no workload or nothing was needed."""
    common = sorted(set(previous) & set(observed))
    forecast = sum(float(previous[k]) for k in common)
    actual = sum(float(observed[k]) for k in common)
    if not common or actual <= 0:
        return None
    miss = sum(abs(float(previous[k]) - float(observed[k])) for k in common)
    return ForecastCheck(miss / actual, len(common), forecast, actual)
