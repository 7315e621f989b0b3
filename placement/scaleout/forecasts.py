"""Fleet-wide forecasts partitioned by series: fit and predict one `Forecaster` per partition.

The series are sorted by `unique_id` and cut into contiguous partitions of `series_per_task`;
each task fits a copy of the (unfitted) `Forecaster` on its partition and predicts. The partition
is the unit of the model, on every runner: the sequential path runs the same partitions one after
another, so its forecasts are identical to a Ray run's, row for row. One partition (all the
series, when there are at most `series_per_task`) is exactly `Forecaster.fit(df).predict(h)`.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting import UNIQUE_ID, Forecaster, ForecastError
from placement.scaleout.runner import FanOut, Progress, Runner, Sequential

#: Series per task by default: big enough that a task's fit amortises its start, small enough for
#: tens of tasks at 20k series.
SERIES_PER_TASK = 1000


@dataclass(frozen=True, slots=True)
class PartitionForecast:
    """One partition's forecast frame (`unique_id, ds, <alias>...`) and its seasonal-naive series."""

    forecast: pd.DataFrame
    fallback_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ForecastInputs:
    forecaster: Forecaster
    h: int | None


def _forecast_task(shared: ForecastInputs, history: pd.DataFrame) -> PartitionForecast:
    model = copy.deepcopy(shared.forecaster)  # every partition starts from the same unfitted model
    forecast = model.fit(history).predict(shared.h)
    return PartitionForecast(forecast, model.fallback_ids)


def partition_series(history: pd.DataFrame, series_per_task: int = SERIES_PER_TASK) -> list[pd.DataFrame]:
    """The long frame cut into contiguous groups of `series_per_task` series, in sorted-id order."""
    if series_per_task < 1:
        raise ForecastError(f"series_per_task={series_per_task!r}: use 1 or more series per task")
    if UNIQUE_ID not in history.columns:
        raise ForecastError(f"the series frame needs a {UNIQUE_ID!r} column (got {list(map(str, history.columns))})")
    ids = history[UNIQUE_ID].astype(str).to_numpy()
    _, codes = np.unique(ids, return_inverse=True)
    part = codes // series_per_task
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(int(part.max(initial=-1)) + 2))
    return [history.iloc[order[a:b]].reset_index(drop=True) for a, b in itertools.pairwise(bounds) if b > a]


def forecast_series(
    history: pd.DataFrame,
    *,
    forecaster: Forecaster | None = None,
    h: int | None = None,
    series_per_task: int = SERIES_PER_TASK,
    runner: Runner | None = None,
    progress: Progress | None = None,
) -> FanOut[PartitionForecast]:
    """Fit and predict per partition of series (see the module docstring); `frame_of` joins the result."""
    model = forecaster or Forecaster()
    parts = partition_series(history, series_per_task)
    labels = [f"series {_first_last(p)}" for p in parts]
    return (runner or Sequential()).map(
        _forecast_task, parts, shared=ForecastInputs(model, h), labels=labels, progress=progress
    )


def frame_of(partitions: Sequence[PartitionForecast]) -> pd.DataFrame:
    """The partitions' forecasts as one frame, in sorted-id order."""
    if not partitions:
        raise ForecastError("no partition was forecast")
    return pd.concat([p.forecast for p in partitions], ignore_index=True)


def _first_last(part: pd.DataFrame) -> str:
    ids = part[UNIQUE_ID].astype(str)
    first, last = ids.min(), ids.max()
    return first if first == last else f"{first}..{last}"


__all__ = ["SERIES_PER_TASK", "PartitionForecast", "forecast_series", "frame_of", "partition_series"]
