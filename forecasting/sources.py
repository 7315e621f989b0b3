"""Demand straight from a traffic source: history → forecast → `Demand`, in one call.

These are what the placement scenario loader calls for `demand: {series: FILE, perReplica: N}`
and `demand: {promql: QUERY, perReplica: N}`. Each reads the history (I/O), fits a `Forecaster`
(or the one passed in) and converts the configured quantile with `to_demand`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from forecasting.demand import Demand, rename, to_demand
from forecasting.errors import ForecastError
from forecasting.events import Event
from forecasting.frame import UNIQUE_ID, validate_frame
from forecasting.model import Forecaster
from forecasting.prometheus import RangeQueryClient, connect, load_usage
from forecasting.series_csv import load_csv

PROMETHEUS_URL_ENV = "PROMETHEUS_URL"


def demand_from_series(
    source: pd.DataFrame | str | Path,
    *,
    per_replica: float,
    quantile: float = 0.95,
    horizon: int = 48,
    freq: str = "30min",
    headroom: float = 0.0,
    workload: str | None = None,
    events: Sequence[Event] = (),
    forecaster: Forecaster | None = None,
) -> dict[str, Demand]:
    """Demand per series of a long frame or a CSV file (`timestamp,value` or `unique_id,ds,y`).

    With `workload`, only that series is used (or the file's single series, renamed to it) and the
    result is keyed by `workload`. Otherwise keys are the series' `unique_id`s (a single-series CSV's
    id is its file stem).
    """
    if isinstance(source, pd.DataFrame):
        frame, label, own = validate_frame(source), "series frame", None
    else:
        frame, label, own = load_csv(source), f"series file {Path(source).name}", Path(source).stem
    frame = _select(frame, workload, label, own_name=own)
    model = forecaster or Forecaster(freq=freq, horizon=horizon, quantiles=(0.5, quantile), events=events)
    demands = to_demand(
        model.fit(frame).predict(horizon), quantile, per_replica, headroom, alias=model.alias, label=label
    )
    return _keyed(demands, workload)


def demand_from_prometheus(
    url: str,
    query: str,
    *,
    per_replica: float,
    quantile: float = 0.95,
    horizon: int = 48,
    freq: str = "30min",
    headroom: float = 0.0,
    history_days: float = 28.0,
    id_labels: Sequence[str] | None = None,
    counter: bool = False,
    workload: str | None = None,
    events: Sequence[Event] = (),
    now: datetime | None = None,
    client: RangeQueryClient | None = None,
    timeout_s: float = 30.0,
    forecaster: Forecaster | None = None,
) -> dict[str, Demand]:
    """Demand per series of a PromQL query over the last `history_days` (step = `freq`).

    `url` may be empty when `client` is given or `$PROMETHEUS_URL` is set. Raises `PrometheusError`
    (naming the query and URL) when the server is down, slow, rejects the query or returns nothing.
    """
    if client is None:
        client = connect(url or os.environ.get(PROMETHEUS_URL_ENV, ""), timeout_s=timeout_s)
    end = (now or datetime.now(UTC)).astimezone(UTC)
    frame = load_usage(
        client,
        query,
        start=end - timedelta(days=history_days),
        end=end,
        step=freq,
        id_labels=id_labels,
        counter=counter,
    )
    label = f"prometheus {client.url} {query!r}"
    frame = _select(frame, workload, label)
    model = forecaster or Forecaster(freq=freq, horizon=horizon, quantiles=(0.5, quantile), events=events)
    demands = to_demand(
        model.fit(frame).predict(horizon), quantile, per_replica, headroom, alias=model.alias, label=label
    )
    return _keyed(demands, workload)


def _select(frame: pd.DataFrame, workload: str | None, label: str, *, own_name: str | None = None) -> pd.DataFrame:
    """The rows of `workload`'s series: the one named after it, or the only one there is.

    With `own_name` (a file's stem: the id a `timestamp,value` file gets), a file's only series that
    is explicitly named for *another* workload is refused rather than used as this one's.
    """
    if workload is None:
        return frame
    ids = frame[UNIQUE_ID].unique()
    if workload in ids:
        return frame[frame[UNIQUE_ID] == workload]
    if len(ids) == 1:
        only = str(ids[0])
        if own_name is not None and only not in (own_name, workload.rpartition("/")[2]):
            raise ForecastError(
                f"{label} holds one series, {only!r}, named for something other than {workload!r}: "
                f"name it {workload} (unique_id) or point this workload at its own series"
            )
        return frame.assign(**{UNIQUE_ID: workload})
    raise ForecastError(f"{label} has no series {workload!r} (it has {sorted(map(str, ids))[:10]}); name one of them")


def _keyed(demands: dict[str, Demand], workload: str | None) -> dict[str, Demand]:
    if workload is None:
        return demands
    (only,) = demands.values()  # _select left exactly one series
    return {workload: rename(only, workload)}
