"""How far the previous run's demand forecast was from what the workloads turned out to need (pure).

Each run records, per workload, the peak replicas it planned for (`placement_forecast_replicas`
on the Pushgateway). The next run compares those with the replicas the clusters run now — what the
Deployments' autoscalers settled on over the previous horizon — as a weighted absolute percentage
error: Σ|forecast − observed| / Σ observed over the workloads both know. 0 is a perfect forecast;
0.25 means the forecast missed by a quarter of the observed replicas. A floor placement set (HPA
`minReplicas`) keeps replicas from falling below the forecast, so over-forecasts show only where
the workload has no autoscaler; under-forecasts always show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from placement.live import LiveCluster


@dataclass(frozen=True, slots=True)
class ForecastCheck:
    """The previous horizon's forecast error and how many workloads it covers."""

    error_ratio: float
    workloads: int
    forecast_replicas: float
    observed_replicas: float


def observed_replicas(live: Mapping[str, LiveCluster]) -> dict[str, int]:
    """Per workload, the replicas the clusters run now (ready pods, else `spec.replicas`), summed."""
    totals: dict[str, int] = {}
    for cluster in live.values():
        for key, workload in cluster.workloads.items():
            count = workload.running.total or workload.replicas
            totals[key] = totals.get(key, 0) + count
    return totals


def forecast_error(previous: Mapping[str, float], observed: Mapping[str, float]) -> ForecastCheck | None:
    """The weighted absolute percentage error of `previous` against `observed`; None when they share
    no workload or nothing was observed."""
    common = sorted(set(previous) & set(observed))
    forecast = sum(float(previous[k]) for k in common)
    actual = sum(float(observed[k]) for k in common)
    if not common or actual <= 0:
        return None
    miss = sum(abs(float(previous[k]) - float(observed[k])) for k in common)
    return ForecastCheck(miss / actual, len(common), forecast, actual)
