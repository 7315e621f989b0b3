"""Demand forecasts for forecasting strategies: hourly load histories in, quantile forecasts out.

`DemandForecast.predict(histories, horizon_h, quantile)` returns, per workload, the `quantile`
forecast of its hourly load for the next `horizon_h` hours. Two implementations:

- `SeasonalNaiveForecast`: `forecasting.seasonal_naive` ("same hour yesterday" plus the empirical
  spread of day-over-day changes) — instant, and the forecasting package's own fallback;
- `GlobalModelForecast`: the `forecasting.Forecaster` global quantile model, refitted every
  `refit_every_h` hours on all workloads at once (slow: seconds to minutes per fit).

`forecast_replicas` turns a forecast into the replicas a plan sizes for, with declared events
divided out of the history and multiplied into the forecast (as `forecasting.events` does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from placement.errors import PlacementError
from placement.simulate.trace import TrafficEvent


class DemandForecast(Protocol):
    """Quantile forecasts of hourly load."""

    def predict(
        self, histories: Mapping[str, np.ndarray], horizon_h: int, quantile: float
    ) -> dict[str, np.ndarray]: ...


class SeasonalNaiveForecast:
    """`forecasting.seasonal_naive` per workload on the last `window_days` of hourly history."""

    def __init__(self, *, season_h: int = 24, window_days: int = 28) -> None:
        if season_h < 1 or window_days < 1:
            raise PlacementError(f"season_h={season_h}, window_days={window_days}: both must be ≥ 1")
        self.season_h = season_h
        self.window_h = window_days * 24

    def predict(self, histories: Mapping[str, np.ndarray], horizon_h: int, quantile: float) -> dict[str, np.ndarray]:
        from forecasting import seasonal_naive

        return {
            key: seasonal_naive(np.asarray(h[-self.window_h :], dtype=float), horizon_h, self.season_h, (quantile,))[
                :, 0
            ]
            for key, h in histories.items()
        }


class GlobalModelForecast:
    """A `forecasting.Forecaster` fitted on every workload's history, refitted every `refit_every_h` hours.

    Between refits, the forecast made at the last fit is read at the right offset, so a replan never
    sees data newer than its fit. `factory(horizon)` builds the model (inject a fake in tests).
    """

    def __init__(
        self,
        *,
        refit_every_h: int = 24,
        max_horizon_h: int = 48,
        factory: Callable[[int, float], Any] | None = None,
        start: datetime = datetime(2025, 1, 1, tzinfo=UTC),
    ) -> None:
        self.refit_every_h = refit_every_h
        self.max_horizon_h = max_horizon_h
        self.factory = factory or _default_factory
        self.start = start
        self._fit_length: int | None = None
        self._forecast: dict[str, np.ndarray] = {}
        self._quantile: float | None = None

    def predict(self, histories: Mapping[str, np.ndarray], horizon_h: int, quantile: float) -> dict[str, np.ndarray]:
        length = min(len(h) for h in histories.values())
        since_fit = None if self._fit_length is None else length - self._fit_length
        if (
            since_fit is None
            or quantile != self._quantile
            or since_fit >= self.refit_every_h
            or since_fit + horizon_h > self.refit_every_h + self.max_horizon_h
        ):
            self._refit(histories, quantile)
        offset = length - (self._fit_length or length)
        return {key: self._forecast[key][offset : offset + horizon_h] for key in histories}

    def _refit(self, histories: Mapping[str, np.ndarray], quantile: float) -> None:
        import pandas as pd

        from forecasting import quantile_column

        horizon = self.refit_every_h + self.max_horizon_h
        frames = [
            pd.DataFrame(
                {
                    "unique_id": key,
                    "ds": pd.date_range(self.start, periods=len(h), freq="h").tz_localize(None),
                    "y": np.asarray(h, dtype=float),
                }
            )
            for key, h in histories.items()
        ]
        model = self.factory(horizon, quantile)
        forecast = model.fit(pd.concat(frames, ignore_index=True)).predict(horizon)
        column = quantile_column(model.alias, quantile)
        self._forecast = {
            str(k): g.sort_values("ds")[column].to_numpy(dtype=float) for k, g in forecast.groupby("unique_id")
        }
        self._fit_length = min(len(h) for h in histories.values())
        self._quantile = quantile


def _default_factory(horizon: int, quantile: float) -> Any:
    from forecasting import Forecaster

    return Forecaster(freq="1h", horizon=horizon, quantiles=(0.5, quantile), max_iter=50, max_train_rows=30_000)


def forecast_replicas(
    forecast: DemandForecast,
    histories: Mapping[str, np.ndarray],
    per_replica: Mapping[str, float],
    *,
    hour: int,
    history_h: Mapping[str, int],
    horizon_h: int,
    quantile: float,
    headroom: float,
    events: Sequence[TrafficEvent] = (),
) -> dict[str, int]:
    """Peak replicas per workload over the next `horizon_h` hours from replayed hour `hour` on:
    ceil(max quantile forecast × event multipliers × (1 + headroom) / per_replica), at least 1."""
    from forecasting import replicas_needed

    deflated = {key: _deflate(np.asarray(h, dtype=float), key, history_h[key], events) for key, h in histories.items()}
    predicted = forecast.predict(deflated, horizon_h, quantile)
    out: dict[str, int] = {}
    for key, values in predicted.items():
        factors = np.ones(horizon_h)
        for event in events:
            if event.applies_to(key):
                factors *= event.factors(hour + horizon_h)[hour:]
        load = np.asarray(values, dtype=float)[:horizon_h] * factors[: len(values)]
        out[key] = int(replicas_needed(load, per_replica[key], headroom, min_replicas=1).max(initial=1))
    return out


def _deflate(history: np.ndarray, key: str, history_h: int, events: Sequence[TrafficEvent]) -> np.ndarray:
    """History with declared events divided out (replayed hours only; events never cover the history)."""
    replayed = len(history) - history_h
    if replayed <= 0:
        return history
    out = history.copy()
    for event in events:
        if event.applies_to(key):
            out[history_h:] /= event.factors(replayed)
    return out


__all__ = ["DemandForecast", "GlobalModelForecast", "SeasonalNaiveForecast", "forecast_replicas"]
