"""Seasonal-naive forecasts with empirical quantiles: the fallback for series too short for the
global model, and a baseline anyone can reason about ("same slot yesterday")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def seasonal_naive(history: np.ndarray, h: int, season: int, quantiles: Sequence[float]) -> np.ndarray:
    """Quantile forecasts (h, len(quantiles)) repeating the last observed season.

    The point is the value one season back (the last observed value when the history is shorter
    than a season). Quantile q adds the empirical q-quantile of in-sample seasonal differences
    `y[t] - y[t-season]` minus their median (lag 1 when there is not more than a season; zero
    spread with fewer than 2 differences), so the median forecast is the point itself.
    Missing samples (NaN) are skipped; an empty history forecasts 0.
    """
    values = np.asarray(history, dtype=float)
    observed = values[np.isfinite(values)]
    if observed.size == 0:
        return np.zeros((h, len(quantiles)))
    lag = season if values.size > season else 1
    if values.size >= season and np.isfinite(values[-season:]).sum() >= max(1, season // 2):
        last = values[-season:]
        last = np.where(np.isfinite(last), last, np.nanmean(last))
        point = np.resize(last, h)
    else:
        point = np.full(h, observed[-1])
    diffs = values[lag:] - values[:-lag] if values.size > lag else np.zeros(0)
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size < 2:
        return np.repeat(point[:, None], len(quantiles), axis=1)
    spread = np.quantile(diffs, np.asarray(quantiles, dtype=float)) - np.median(diffs)
    return point[:, None] + spread[None, :]
