"""Builders for the forecasting tests: a seeded synthetic traffic generator, a small fast
`Forecaster`, and a trivial duck model (`LastValue`) for orchestration tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecasting import Forecaster, quantile_column

START = pd.Timestamp("2025-01-06")  # a Monday


def generate_series(
    n_series: int = 4,
    *,
    days: float = 21,
    freq: str = "30min",
    seed: int = 0,
    noise: float = 0.1,
    weekend_factor: float = 0.7,
    start: pd.Timestamp = START,
) -> pd.DataFrame:
    """Long frame of `n_series` traffic-like series: level × daily cycle × weekend dip × noise.

    Levels are spread over three orders of magnitude; the daily peak falls at a different hour per
    series; noise is multiplicative log-normal with sigma `noise`. Deterministic for a seed.
    """
    rng = np.random.default_rng(seed)
    step = pd.Timedelta(freq)
    n_steps = int(pd.Timedelta(days=days) / step)
    ds = pd.DatetimeIndex(start + step * np.arange(n_steps))
    day_fraction = ((ds - ds.normalize()) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    weekend = np.asarray(ds.day_of_week >= 5)
    level = 10 ** rng.uniform(0.5, 3.5, size=(n_series, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n_series, 1))
    daily = 1.0 + 0.6 * np.sin(2 * np.pi * day_fraction[None, :] + phase)
    weekly = np.where(weekend[None, :], weekend_factor, 1.0)
    y = level * daily * weekly * rng.lognormal(0.0, noise, size=(n_series, n_steps))
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"series-{i}" for i in range(n_series)], n_steps),
            "ds": np.tile(ds.to_numpy(), n_series),
            "y": y.ravel(),
        }
    )


def make_forecaster(**overrides: Any) -> Forecaster:
    """A `Forecaster` sized for unit tests (fewer rows and trees; same code paths)."""
    settings: dict[str, Any] = {
        "freq": "30min",
        "horizon": 48,
        "quantiles": (0.5, 0.95),
        "max_train_rows": 20_000,
        "max_iter": 60,
    }
    settings.update(overrides)
    return Forecaster(**settings)


class LastValue:
    """Duck model: repeats each series' last value; q0.95 is 10 % above it. Records what it saw."""

    alias = "LastValue"

    def __init__(self) -> None:
        self.seen: list[pd.DataFrame] = []
        self._last: pd.DataFrame | None = None
        self._step = pd.Timedelta("30min")

    def fit(self, df: pd.DataFrame) -> LastValue:
        self.seen.append(df.copy())
        known = df.dropna(subset=["y"]).sort_values(["unique_id", "ds"])
        self._last = known.groupby("unique_id").tail(1).reset_index(drop=True)
        return self

    def predict(self, h: int) -> pd.DataFrame:
        assert self._last is not None, "fit first"
        rows = []
        for _, last in self._last.iterrows():
            for k in range(1, h + 1):
                rows.append(
                    {
                        "unique_id": last["unique_id"],
                        "ds": last["ds"] + k * self._step,
                        self.alias: last["y"],
                        quantile_column(self.alias, 0.95): 1.1 * last["y"],
                    }
                )
        return pd.DataFrame(rows)
