"""Forecasts the planner sizes by: seasonal-naive quantiles, declared events, the global model's refit cadence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from placement.simulate import GlobalModelForecast, SeasonalNaiveForecast, TrafficEvent, forecast_replicas

DAY = np.array([10.0] * 12 + [30.0] * 12)  # a quiet half-day, then a busy one


def test_seasonal_naive_repeats_yesterday_and_its_quantile_adds_the_day_over_day_spread() -> None:
    noisy = np.concatenate([DAY, DAY + 2, DAY - 2, DAY + 1])
    median = SeasonalNaiveForecast().predict({"w": noisy}, 24, 0.5)["w"]
    high = SeasonalNaiveForecast().predict({"w": noisy}, 24, 0.95)["w"]
    assert median == pytest.approx(DAY + 1)
    assert (high >= median).all() and high.max() > median.max()


def test_forecast_replicas_takes_the_window_peak_with_headroom_and_declared_events() -> None:
    history = np.tile(DAY, 3)
    sized = forecast_replicas(
        SeasonalNaiveForecast(),
        {"w": history},
        {"w": 5.0},
        hour=0,
        history_h={"w": 72},
        horizon_h=6,
        quantile=0.5,
        headroom=0.1,
    )
    assert sized == {"w": 3}  # ceil(10 × 1.1 / 5): the first six hours are quiet
    busy = forecast_replicas(
        SeasonalNaiveForecast(),
        {"w": history},
        {"w": 5.0},
        hour=0,
        history_h={"w": 72},
        horizon_h=6,
        quantile=0.5,
        headroom=0.1,
        events=[TrafficEvent(4, 2, 20.0)],
    )
    assert busy == {"w": 44}  # ceil(10 × 20 × 1.1 / 5) inside the declared event


def test_history_inside_a_past_event_is_divided_out_before_forecasting() -> None:
    replayed = np.concatenate([DAY[:6] * 20, DAY[6:]])  # yesterday's first six hours were a 20× event
    sized = forecast_replicas(
        SeasonalNaiveForecast(),
        {"w": np.concatenate([np.tile(DAY, 2), replayed])},
        {"w": 5.0},
        hour=24,
        history_h={"w": 48},
        horizon_h=6,
        quantile=0.5,
        headroom=0.0,
        events=[TrafficEvent(0, 6, 20.0)],
    )
    assert sized == {"w": 2}  # not 40: the event is over


class Duck:
    """A stand-in for forecasting.Forecaster: predicts each series' last value plus the step index."""

    alias = "Duck"

    def __init__(self, fits: list[int]) -> None:
        self.fits = fits

    def fit(self, df: pd.DataFrame) -> Duck:
        self.last = df.groupby("unique_id")["y"].last()
        self.end = df["ds"].max()
        self.fits.append(len(df))
        return self

    def predict(self, h: int) -> pd.DataFrame:
        rows = [
            {"unique_id": k, "ds": self.end + pd.Timedelta(hours=i + 1), "Duck": v + i, "Duck-hi-90": v + i + 0.5}
            for k, v in self.last.items()
            for i in range(h)
        ]
        return pd.DataFrame(rows)


def test_global_model_refits_on_its_cadence_and_reads_the_old_forecast_in_between() -> None:
    fits: list[int] = []
    model = GlobalModelForecast(refit_every_h=6, max_horizon_h=6, factory=lambda h, q: Duck(fits))
    base = np.arange(48.0)
    first = model.predict({"w": base}, 3, 0.95)["w"]
    later = model.predict({"w": np.arange(50.0)}, 3, 0.95)["w"]  # two hours later, no refit
    assert first == pytest.approx([47.5, 48.5, 49.5]) and later == pytest.approx([49.5, 50.5, 51.5])
    assert len(fits) == 1
    model.predict({"w": np.arange(54.0)}, 3, 0.95)
    assert len(fits) == 2
