"""Fleet-wide forecasts partitioned by series: fit and predict one `Forecaster` per partition.

The series are sorted by `unique_id` and cut into contiguous partitions of `series_per_task`;
each task fits a copy of the (unfitted) `Forecaster` on its partition and predicts. The partition
is the unit of the model, on every runner: the sequential path runs the same partitions one after
another, so its forecasts are identical to a Ray run's, row for row. One partition (all the
series, when there are at most `series_per_task`) is exactly `Forecaster.fit(df).predict(h)`.

What travels: the long frame becomes one `SeriesTable` (its rows grouped by series in sorted-id
order, as flat columns: one pass over the ids on the driver, no string sort); each partition is a
slice of it (views, no copy) and is a task's item. A partition pickles as a few flat buffers (its
`ds` and `y`, and its thousand ids), so on Ray each goes into the object store as its task is
submitted — the first task starts while the others are still being put — and travels only to the
node that runs it; the worker reads it without a copy and builds its frame there.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting import DS, UNIQUE_ID, Forecaster, ForecastError, Y
from placement.scaleout.runner import FanOut, Progress, Runner, Sequential

#: Series per task by default: big enough that a task's fit amortises its start, small enough for
#: tens of tasks at 20k series.
SERIES_PER_TASK = 1000


@dataclass(frozen=True, slots=True)
class SeriesTable:
    """A long frame's rows grouped by series, in sorted-id order, as flat columns (`SeriesTable.of`).

    Series `i` is `ids[i]` (as the `Forecaster` names it: `str`) and its rows are
    `starts[i]:starts[i + 1]` of `ds` and `y`, in the frame's row order. `ds` and `y` are the
    frame's own values (the `Forecaster` parses and checks them), as numpy arrays when pandas holds
    them in one, so the table pickles as a few buffers that Ray maps into each worker without a copy.
    """

    ids: np.ndarray  # (n_series,) object: str ids, sorted
    starts: np.ndarray  # (n_series + 1,) int64: row offsets of each series in ds / y
    ds: Any  # (n_rows,) numpy array or pandas ExtensionArray
    y: Any  # (n_rows,)

    @classmethod
    def of(cls, history: pd.DataFrame) -> SeriesTable:
        """Group `history` (`unique_id, ds, y`; other columns are not used) by series. The cost on
        the driver is one pass over the ids (hashing one per run of equal ids), a sort of the
        distinct ids, and a reorder of `ds` and `y` unless the rows already come grouped by series
        in sorted-id order (as `regularize` and most loaders return them)."""
        missing = [c for c in (UNIQUE_ID, DS, Y) if c not in history.columns]
        if missing:
            raise ForecastError(
                f"the series frame needs columns {[UNIQUE_ID, DS, Y]}: missing {missing} "
                f"(got {list(map(str, history.columns))})"
            )
        column = history[UNIQUE_ID]
        raw, distinct = _factorize(column)
        if not pd.api.types.is_integer_dtype(column) and not all(isinstance(value, str) for value in distinct):
            raw, distinct = _factorize(column.astype(str))  # 1 and 1.0 are equal values but two ids, "1" and "1.0"
        names = np.array([str(value) for value in distinct], dtype=object)  # the ids as fit() names them
        ids, rank = np.unique(names, return_inverse=True)
        codes = rank.reshape(-1)[raw]
        starts = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(codes, minlength=len(ids)), out=starts[1:])
        ds, y = _values(history[DS]), _values(history[Y])
        if codes.size > 1 and bool((codes[1:] < codes[:-1]).any()):
            order = np.argsort(codes, kind="stable")  # grouped by series; each series' rows keep their order
            ds, y = ds.take(order), y.take(order)
        return cls(ids, starts, ds, y)

    @property
    def n_series(self) -> int:
        return len(self.ids)

    def partitions(self, series_per_task: int = SERIES_PER_TASK) -> list[SeriesTable]:
        """Contiguous runs of `series_per_task` series, in sorted-id order: each task's partition."""
        if series_per_task < 1:
            raise ForecastError(f"series_per_task={series_per_task!r}: use 1 or more series per task")
        return [self.part(first, first + series_per_task) for first in range(0, self.n_series, series_per_task)]

    def part(self, first: int, stop: int) -> SeriesTable:
        """Series `first` to `stop - 1` as a table of their own (views of this table's columns)."""
        stop = min(stop, self.n_series)
        begin, end = int(self.starts[first]), int(self.starts[stop])
        return SeriesTable(
            self.ids[first:stop], self.starts[first : stop + 1] - begin, self.ds[begin:end], self.y[begin:end]
        )

    def frame(self) -> pd.DataFrame:
        """The long frame (`unique_id, ds, y`) of every series of the table."""
        return pd.DataFrame({UNIQUE_ID: np.repeat(self.ids, np.diff(self.starts)), DS: self.ds, Y: self.y})

    def label(self) -> str:
        """`series <first id>..<last id>` (one id when the table holds one series)."""
        if self.n_series == 1:
            return f"series {self.ids[0]}"
        return f"series {self.ids[0]}..{self.ids[-1]}" if self.n_series else "no series"


@dataclass(frozen=True, slots=True)
class PartitionForecast:
    """One partition's forecast frame (`unique_id, ds, <alias>...`) and its seasonal-naive series."""

    forecast: pd.DataFrame
    fallback_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ForecastInputs:
    forecaster: Forecaster
    h: int | None


def _forecast_task(shared: ForecastInputs, partition: SeriesTable) -> PartitionForecast:
    model = copy.deepcopy(shared.forecaster)  # every partition starts from the same unfitted model
    forecast = model.fit(partition.frame()).predict(shared.h)
    return PartitionForecast(forecast, model.fallback_ids)


def partition_series(history: pd.DataFrame, series_per_task: int = SERIES_PER_TASK) -> list[pd.DataFrame]:
    """The long frame cut into contiguous groups of `series_per_task` series, in sorted-id order:
    each partition's `unique_id, ds, y` rows, grouped by series (what each task fits on)."""
    return [partition.frame() for partition in SeriesTable.of(history).partitions(series_per_task)]


def forecast_series(
    history: pd.DataFrame | SeriesTable,
    *,
    forecaster: Forecaster | None = None,
    h: int | None = None,
    series_per_task: int = SERIES_PER_TASK,
    runner: Runner | None = None,
    progress: Progress | None = None,
) -> FanOut[PartitionForecast]:
    """Fit and predict per partition of series (see the module docstring); `frame_of` joins the result.
    `history` is a long frame, or its `SeriesTable` (made once, e.g. to count the partitions first)."""
    model = forecaster or Forecaster()
    table = history if isinstance(history, SeriesTable) else SeriesTable.of(history)
    partitions = table.partitions(series_per_task)
    labels = [partition.label() for partition in partitions]
    return (runner or Sequential()).map(
        _forecast_task, partitions, shared=ForecastInputs(model, h), labels=labels, progress=progress
    )


def frame_of(partitions: Sequence[PartitionForecast]) -> pd.DataFrame:
    """The partitions' forecasts as one frame, in sorted-id order."""
    if not partitions:
        raise ForecastError("no partition was forecast")
    return pd.concat([p.forecast for p in partitions], ignore_index=True)


def _factorize(ids: pd.Series) -> tuple[np.ndarray, Any]:
    """`pd.factorize(ids)` (missing ids kept as a value), hashing only the first row of each run of
    equal ids: a frame grouped by series costs one comparison per row and one hash per series."""
    values = ids.to_numpy()
    if values.size == 0:
        return np.zeros(0, dtype=np.intp), values
    try:
        heads = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
    except (TypeError, ValueError):  # ids that do not compare (pd.NA): hash every row
        return pd.factorize(values, use_na_sentinel=False)
    codes, distinct = pd.factorize(values[heads], use_na_sentinel=False)
    return np.repeat(codes, np.diff(np.append(heads, values.size))), distinct


def _values(column: pd.Series) -> Any:
    """The column's values without a copy: its numpy array when pandas holds one, else its ExtensionArray."""
    return column.to_numpy(copy=False) if isinstance(column.dtype, np.dtype) else column.array


__all__ = ["SERIES_PER_TASK", "PartitionForecast", "SeriesTable", "forecast_series", "frame_of", "partition_series"]
