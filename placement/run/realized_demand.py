"""What forecast-driven workloads actually needed since the previous run (reads their traffic source).

For each workload whose demand is a traffic series (`demand.series`) or a PromQL query
(`demand.promql`), the same source the forecast came from is read again over (since, until], and
its peak divided by `perReplica` (rounded up) is the replicas the traffic really needed. Workloads
with a fixed replica count have no forecast to score and are left out, as are sources that cannot be
read now (each is named in the notes). Queries go to `$PROMETHEUS_URL` unless a client is given.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from placement.scenario import Scenario, Workload

PROMETHEUS_STEP = "5m"


@dataclass(frozen=True, slots=True)
class Realized:
    """Per workload, the replicas its traffic needed at peak; notes say what could not be read."""

    replicas: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def realized_replicas(scenario: Scenario, *, since: datetime, until: datetime, prometheus: Any = None) -> Realized:
    """Peak replicas needed in (since, until] for every forecast-driven workload (see the module doc)."""
    from forecasting import ForecastError, PrometheusError

    replicas: dict[str, int] = {}
    notes: list[str] = []
    for workload in scenario.workloads:
        spec = workload.demand
        if spec.per_replica is None or not (spec.series or spec.promql):
            continue
        try:
            peak = _peak(workload, scenario.base_dir, since, until, prometheus)
        except (ForecastError, PrometheusError, OSError, ValueError) as error:
            notes.append(f"{workload.key}: {error}")
            continue
        if peak is None:
            notes.append(f"{workload.key}: no traffic samples between the previous run and now")
            continue
        replicas[workload.key] = math.ceil(max(peak, 0.0) / spec.per_replica)
    return Realized(replicas, tuple(notes))


def _peak(workload: Workload, base_dir: Path | None, since: datetime, until: datetime, prometheus: Any) -> float | None:
    import pandas as pd

    from forecasting import DS, UNIQUE_ID, Y, load_csv, load_usage

    spec = workload.demand
    if spec.series:
        path = Path(spec.series)
        frame = load_csv(path if path.is_absolute() or base_dir is None else base_dir / path)
    else:
        if prometheus is None:
            from forecasting import connect

            prometheus = connect(os.environ.get("PROMETHEUS_URL", ""))
        frame = load_usage(prometheus, str(spec.promql), start=since, end=until, step=PROMETHEUS_STEP)
    ids = frame[UNIQUE_ID].astype(str).unique()
    if workload.key in ids:
        frame = frame[frame[UNIQUE_ID].astype(str) == workload.key]
    elif len(ids) != 1:
        raise ValueError(f"the source has no series {workload.key!r} (it has {sorted(ids)[:5]})")
    stamps = pd.to_datetime(frame[DS], utc=True)
    window = frame[(stamps > pd.Timestamp(since)) & (stamps <= pd.Timestamp(until))]
    return None if window.empty else float(window[Y].max())
