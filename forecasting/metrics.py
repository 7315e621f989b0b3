"""Forecast accuracy on cross-validation frames: MASE, pinball loss and quantile coverage.

Both MASE and the pinball loss are divided by the same per-(series, cutoff) scale: the in-sample
mean absolute error of the one-day seasonal-naive forecast on the history up to the cutoff. So a
MASE of 1.0 means "as good as repeating yesterday" would have been in sample, and both numbers
can be averaged across series of different sizes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.errors import ForecastError
from forecasting.frame import CUTOFF, DS, UNIQUE_ID, Y, quantile_column


def pinball(y: np.ndarray, prediction: np.ndarray, quantile: float) -> np.ndarray:
    """Elementwise pinball (quantile) loss of `prediction` for `quantile`."""
    diff = np.asarray(y, dtype=float) - np.asarray(prediction, dtype=float)
    return np.maximum(quantile * diff, (quantile - 1.0) * diff)


def seasonal_scales(history: pd.DataFrame, cutoffs: pd.DataFrame, season: int) -> pd.Series:
    """Mean |y[t] − y[t−season]| over each series' history up to each cutoff (slots on a regular grid).

    `history` is a regular long frame; `cutoffs` has `unique_id, cutoff`. Returns a Series indexed
    by (unique_id, cutoff); NaN where fewer than two seasonal pairs exist.
    """
    out = {}
    wanted = cutoffs.groupby(UNIQUE_ID, sort=False)[CUTOFF].unique()
    for uid, group in history.groupby(UNIQUE_ID, sort=False):
        if uid not in wanted.index:
            continue
        values = group[Y].to_numpy(dtype=float)
        stamps = group[DS].to_numpy(dtype="datetime64[ns]")
        diffs = np.abs(values[season:] - values[:-season]) if values.size > season else np.zeros(0)
        finite = np.isfinite(diffs)
        total = np.concatenate([[0.0], np.cumsum(np.where(finite, diffs, 0.0))])
        count = np.concatenate([[0], np.cumsum(finite)])
        for cutoff in wanted[uid]:
            end = int(np.searchsorted(stamps, np.datetime64(cutoff, "ns"), side="right"))
            pairs = max(end - season, 0)
            out[(uid, pd.Timestamp(cutoff))] = total[pairs] / count[pairs] if count[pairs] >= 2 else np.nan
    index = pd.MultiIndex.from_tuples(list(out), names=[UNIQUE_ID, CUTOFF])
    return pd.Series(list(out.values()), index=index, dtype=float, name="scale")


def evaluate(
    cv: pd.DataFrame,
    history: pd.DataFrame,
    *,
    models: Sequence[str],
    quantiles: Sequence[float],
    season: int,
    coverage_quantile: float = 0.95,
) -> pd.DataFrame:
    """Per series and model: `mase` (of the median column), `pinball` (mean over `quantiles`),
    `coverage` (share of actuals ≤ the `coverage_quantile` column), each averaged over cutoffs.

    `cv` is a cross-validation frame (`unique_id, ds, cutoff, y` + forecast columns named by
    `quantile_column(model, q)`); `history` the regular frame the windows were cut from.
    """
    needed = [quantile_column(m, q) for m in models for q in (*quantiles, coverage_quantile, 0.5)]
    missing = sorted({c for c in needed if c not in cv.columns})
    if missing:
        raise ForecastError(f"cross-validation frame lacks forecast columns {missing}; run it with those quantiles")
    scored = cv[cv[Y].notna()].copy()
    pairs = scored[[UNIQUE_ID, CUTOFF]].drop_duplicates()
    scales = seasonal_scales(history, pairs, season)
    scored = scored.join(scales, on=[UNIQUE_ID, CUTOFF])
    scored = scored[np.isfinite(scored["scale"]) & (scored["scale"] > 0)]
    rows = []
    for model in models:
        y = scored[Y].to_numpy()
        per_row = pd.DataFrame({UNIQUE_ID: scored[UNIQUE_ID].to_numpy(), CUTOFF: scored[CUTOFF].to_numpy()})
        per_row["mase"] = np.abs(y - scored[quantile_column(model, 0.5)].to_numpy()) / scored["scale"].to_numpy()
        losses = [pinball(y, scored[quantile_column(model, q)].to_numpy(), q) for q in quantiles]
        per_row["pinball"] = np.mean(losses, axis=0) / scored["scale"].to_numpy()
        per_row["coverage"] = (y <= scored[quantile_column(model, coverage_quantile)].to_numpy()).astype(float)
        by_window = per_row.groupby([UNIQUE_ID, CUTOFF], sort=True).mean()
        by_series = by_window.groupby(level=UNIQUE_ID, sort=True).mean().reset_index()
        by_series.insert(1, "model", model)
        rows.append(by_series)
    return pd.concat(rows, ignore_index=True)


def summarize(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric over series, one row per model (from `evaluate`)."""
    return scores.groupby("model", sort=False)[["mase", "pinball", "coverage"]].mean().reset_index()
