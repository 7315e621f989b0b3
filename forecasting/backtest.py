"""Rolling-origin cross-validation that never sees the future.

Window k of `n_windows` cuts each series at its own cutoff (its last slot minus
`h + (n_windows-1-k)·step_size` slots), fits a fresh model on the rows at or before the cutoff
only — later rows are not passed in at all — and forecasts the next `h` slots. The result is
statsforecast's cross-validation frame: `unique_id, ds, cutoff, y` plus the model's columns.
"""

from __future__ import annotations

from typing import Protocol, Self

import pandas as pd

from forecasting.errors import ForecastError
from forecasting.frame import CUTOFF, DS, UNIQUE_ID, Y, infer_step, regularize, to_step, validate_frame


class ForecastModel(Protocol):
    """What `cross_validation` needs from a model (duck-typed, like statsforecast's models)."""

    alias: str

    def fit(self, df: pd.DataFrame) -> Self: ...

    def predict(self, h: int) -> pd.DataFrame: ...


def cutoffs(df: pd.DataFrame, *, h: int, n_windows: int, step_size: int, step: pd.Timedelta) -> pd.DataFrame:
    """`unique_id, window, cutoff` for every series of a regular frame (window 0 is the oldest)."""
    ends = df.groupby(UNIQUE_ID, sort=True)[DS].max()
    starts = df.groupby(UNIQUE_ID, sort=True)[DS].min()
    rows = []
    for window in range(n_windows):
        back = h + (n_windows - 1 - window) * step_size
        cut = ends - back * step
        valid = cut >= starts
        rows.append(pd.DataFrame({UNIQUE_ID: ends.index[valid], "window": window, CUTOFF: cut[valid].to_numpy()}))
    return pd.concat(rows, ignore_index=True)


def cross_validation(
    model: ForecastModel,
    df: pd.DataFrame,
    *,
    h: int,
    n_windows: int = 7,
    step_size: int | None = None,
    freq: str | pd.Timedelta | None = None,
) -> pd.DataFrame:
    """Backtest `model` on `df` (long frame) over `n_windows` rolling origins `step_size` slots apart
    (default `h`). The model is refitted for every window on history up to that window's cutoff."""
    if h < 1 or n_windows < 1:
        raise ForecastError(f"h={h} and n_windows={n_windows} must both be at least 1")
    step_size = h if step_size is None else int(step_size)
    if step_size < 1:
        raise ForecastError(f"step_size={step_size} must be at least 1")
    step = to_step(freq) if freq is not None else infer_step(validate_frame(df))
    frame = regularize(df, step)
    cuts = cutoffs(frame, h=h, n_windows=n_windows, step_size=step_size, step=step)
    results = []
    for window, group in cuts.groupby("window", sort=True):
        cut_of = group.set_index(UNIQUE_ID)[CUTOFF]
        known = frame[frame[UNIQUE_ID].isin(cut_of.index)]
        known = known[known[DS] <= known[UNIQUE_ID].map(cut_of)]
        if known[Y].notna().sum() == 0:
            continue
        forecast = model.fit(known).predict(h)
        forecast = forecast.assign(**{CUTOFF: forecast[UNIQUE_ID].map(cut_of)})
        forecast = forecast[(forecast[DS] > forecast[CUTOFF]) & (forecast[DS] <= forecast[CUTOFF] + h * step)]
        results.append(forecast.assign(window=window))
    if not results:
        raise ForecastError(
            f"no series is long enough for {n_windows} windows of h={h}: use fewer windows or a smaller h"
        )
    out = pd.concat(results, ignore_index=True)
    out = out.merge(frame, on=[UNIQUE_ID, DS], how="left")
    columns = [c for c in out.columns if c not in (UNIQUE_ID, DS, CUTOFF, Y, "window")]
    return out[[UNIQUE_ID, DS, CUTOFF, Y, *columns]].sort_values([UNIQUE_ID, CUTOFF, DS], ignore_index=True)
