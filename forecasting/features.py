"""Vectorised features for the global direct model, in mlforecast's vocabulary (lags, rolling
windows, calendar), computed for many series at once on a dense panel.

Series first go to *model space* (`to_model_space`): z = log1p(y / size), size = the series' mean,
so one model serves series of any size and multiplicative seasonality or a level shift becomes an
additive move. A *row* is (series i, origin o, horizon h): everything known at the end of slot
`o`, used to predict slot `T = o + h`. The target is the move `z[T] − L` from the current level
`L` (trailing mean at the origin). Features never read a slot after `o` — a lag `k` is used only
when `k ≥ h`, otherwise it is NaN (the gradient-boosting model takes NaN natively).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.frame import DS, UNIQUE_ID, Y

_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class Panel:
    """Series on one regular grid as a dense matrix, right-aligned: column `n_steps-1` is every
    series' own last slot. `values[i, j]` is NaN before series i starts and where samples are missing."""

    ids: np.ndarray  # (n,) unique_id per row, object
    values: np.ndarray  # (n, n_steps) float
    end_ns: np.ndarray  # (n,) int64: ds of each series' last slot, ns since the epoch
    first: np.ndarray  # (n,) column of each series' first slot
    step: pd.Timedelta

    @property
    def n_steps(self) -> int:
        return int(self.values.shape[1])

    def ds_ns(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Timestamps (int64 ns) of cells; columns ≥ n_steps are future slots."""
        return self.end_ns[rows] - (self.n_steps - 1 - cols).astype(np.int64) * int(self.step.value)


def to_panel(df: pd.DataFrame, step: pd.Timedelta, *, max_steps: int | None = None) -> Panel:
    """Build a `Panel` from a regularised long frame (see `frame.regularize`); keeps at most the
    last `max_steps` slots of each series."""
    ids, codes = np.unique(df[UNIQUE_ID].to_numpy(dtype=object), return_inverse=True)
    ds = df[DS].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    end_ns = np.full(len(ids), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(end_ns, codes, ds)
    back = (end_ns[codes] - ds) // int(step.value)
    n_steps = int(back.max()) + 1 if len(back) else 1
    if max_steps is not None:
        n_steps = min(n_steps, max_steps)
    keep = back < n_steps
    cols = n_steps - 1 - back[keep]
    values = np.full((len(ids), n_steps), np.nan)
    values[codes[keep], cols] = df[Y].to_numpy(dtype=float)[keep]
    first = np.full(len(ids), n_steps, dtype=np.int64)
    np.minimum.at(first, codes[keep], cols)
    return Panel(ids=ids, values=values, end_ns=end_ns, first=first, step=step)


def _rolling(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Trailing mean and std over `window` columns ending at each column (NaN-aware; NaN if empty)."""
    finite = np.isfinite(values)
    filled = np.where(finite, values, 0.0)
    zeros = np.zeros((values.shape[0], 1))
    s1 = np.concatenate([zeros, np.cumsum(filled, axis=1)], axis=1)
    s2 = np.concatenate([zeros, np.cumsum(filled * filled, axis=1)], axis=1)
    n = np.concatenate([zeros, np.cumsum(finite, axis=1)], axis=1)
    lo = np.maximum(np.arange(1, values.shape[1] + 1) - window, 0)
    hi = np.arange(1, values.shape[1] + 1)
    count = n[:, hi] - n[:, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (s1[:, hi] - s1[:, lo]) / count
        var = (s2[:, hi] - s2[:, lo]) / count - mean * mean
    mean[count == 0] = np.nan
    return mean, np.sqrt(np.clip(var, 0.0, None))


def to_model_space(panel: Panel) -> tuple[Panel, np.ndarray, np.ndarray]:
    """z = log1p(y / size) for series that never go negative, y / size for the others; returns the
    transformed panel, each series' size (mean |y|, 1 when zero) and whether it was logged."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        size = np.nanmean(np.abs(panel.values), axis=1)
    size = np.where(np.isfinite(size) & (size > 0), size, 1.0)
    logged = ~(np.nan_to_num(panel.values) < 0).any(axis=1)
    scaled = panel.values / size[:, None]
    values = np.where(logged[:, None], np.log1p(np.clip(scaled, 0.0, None)), scaled)
    return Panel(ids=panel.ids, values=values, end_ns=panel.end_ns, first=panel.first, step=panel.step), size, logged


def from_model_space(z: np.ndarray, size: np.ndarray, logged: np.ndarray) -> np.ndarray:
    """Inverse of `to_model_space` for predictions `z` (rows aligned with `size` and `logged`)."""
    size, logged = size.reshape(-1, *([1] * (z.ndim - 1))), logged.reshape(-1, *([1] * (z.ndim - 1)))
    return np.where(logged, size * np.expm1(np.clip(z, None, 50.0)), size * z)


class FeatureBuilder:
    """Precomputes rolling statistics of a model-space panel once; `rows()` then gathers feature
    matrices for any set of (series, origin, horizon) triples with pure index arithmetic."""

    def __init__(self, panel: Panel, *, season: int, horizon: int) -> None:
        self.panel = panel
        self.season = season  # slots per day
        self.week = 7 * season
        self.horizon = horizon
        self.pad = 2 * self.week + season  # left padding so the deepest lag never indexes < 0
        n = panel.values.shape[0]
        self.values = np.concatenate(
            [np.full((n, self.pad), np.nan), panel.values, np.full((n, horizon), np.nan)], axis=1
        )
        self._mean_short, _ = _rolling(self.values, 3)
        self._mean_recent, _ = _rolling(self.values, max(2, season // 8))
        self._mean_day, self._std_day = _rolling(self.values, season)
        self._mean_week, _ = _rolling(self.values, self.week)
        # How well "same slot yesterday" and "yesterday's level" would have done over the last week:
        # tells the model whether a series is seasonal or moves in level shifts.
        shifted = np.full_like(self.values, np.nan)
        shifted[:, season:] = self.values[:, :-season]
        self._error_seasonal, _ = _rolling(np.abs(self.values - shifted), self.week)
        shifted[:, season:] = self._mean_recent[:, :-season]
        self._error_level, _ = _rolling(np.abs(self.values - shifted), self.week)

    def names(self) -> list[str]:
        deltas = [f"delta_day{k}" for k in range(1, 8)] + ["delta_week2"]
        return [
            "horizon",
            "slot_of_day",
            "day_of_week",
            *deltas,
            "delta_median",
            "delta_mean",
            "level",
            "last",
            "mean_short",
            "mean_day",
            "std_day",
            "level_vs_day",
            "level_vs_week",
            "week_trend",
            "error_seasonal",
            "error_level",
        ]

    def rows(self, rows: np.ndarray, origins: np.ndarray, horizons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Feature matrix (len(rows), len(names())) and the current level `L` of each row.

        `delta_dayk` = z[T − k·day] − (level k days before the origin): how the series moved from
        origin to target k days ago — invariant to level shifts. Other level-like features are
        differences from `L`.
        """
        v, d, w = self.values, self.season, self.week
        o = origins + self.pad
        t = o + horizons
        recent = self._mean_recent
        level = recent[rows, o]
        level = np.where(np.isfinite(level), level, self._last_level(rows, o))

        def rel(matrix: np.ndarray, cols: np.ndarray, base: np.ndarray, valid: np.ndarray | bool = True) -> np.ndarray:
            return np.where(valid, matrix[rows, cols] - base, np.nan)

        deltas = [rel(v, t - k * d, recent[rows, o - k * d], k * d >= horizons) for k in range(1, 8)]
        deltas.append(rel(v, t - 2 * w, recent[rows, o - 2 * w], 2 * w >= horizons))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            stacked = np.stack(deltas[:7], axis=1)
            delta_median = np.nanmedian(stacked, axis=1)
            delta_mean = np.nanmean(stacked, axis=1)
        target_ns = self.panel.ds_ns(rows, t - self.pad)
        slot = (target_ns % _NS_PER_DAY) // int(self.panel.step.value)
        dow = (target_ns // _NS_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        columns = [
            horizons.astype(float),
            slot.astype(float),
            dow.astype(float),
            *deltas,
            delta_median,
            delta_mean,
            level,
            rel(v, o, level),
            rel(self._mean_short, o, level),
            rel(self._mean_day, o, level),
            self._std_day[rows, o],
            level - recent[rows, o - d],
            level - recent[rows, o - w],
            self._mean_week[rows, o] - self._mean_week[rows, o - w],
            self._error_seasonal[rows, o],
            self._error_level[rows, o],
        ]
        return np.stack(columns, axis=1), level

    def _last_level(self, rows: np.ndarray, o: np.ndarray) -> np.ndarray:
        """Fallback level where the recent window is empty: the trailing day's, else week's mean."""
        day = self._mean_day[rows, o]
        week = self._mean_week[rows, o]
        return np.where(np.isfinite(day), day, np.where(np.isfinite(week), week, 0.0))

    def target(self, rows: np.ndarray, origins: np.ndarray, horizons: np.ndarray, level: np.ndarray) -> np.ndarray:
        """`z[o + h] − level` for training rows."""
        return self.values[rows, origins + horizons + self.pad] - level
