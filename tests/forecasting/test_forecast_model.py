"""The global quantile forecaster: shape of its output, accuracy and calibration on synthetic
traffic, and the awkward cases (short histories, zeros, gaps, level shifts, declared events)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_builders import generate_series, make_forecaster

from forecasting import Event, Forecaster, ForecastError, NotFittedError, cross_validation, seasonal_naive

DAY = 48


@pytest.fixture(scope="module")
def traffic() -> pd.DataFrame:
    return generate_series(8, days=21, seed=1)


@pytest.fixture(scope="module")
def fitted(traffic: pd.DataFrame) -> Forecaster:
    return make_forecaster().fit(traffic)


def test_forecast_frame_has_one_row_per_series_and_slot_after_each_end(
    traffic: pd.DataFrame, fitted: Forecaster
) -> None:
    forecast = fitted.predict()
    assert list(forecast.columns) == ["unique_id", "ds", "GlobalGBM", "GlobalGBM-hi-90"]
    assert forecast.groupby("unique_id").size().to_dict() == dict.fromkeys(traffic["unique_id"].unique(), DAY)
    last = traffic.groupby("unique_id")["ds"].max()
    first = forecast.groupby("unique_id")["ds"].min()
    assert (first - last == pd.Timedelta("30min")).all()
    assert np.isfinite(forecast[["GlobalGBM", "GlobalGBM-hi-90"]].to_numpy()).all()
    assert len(fitted.predict(6)) == 6 * traffic["unique_id"].nunique()


def test_predict_before_fit_and_too_far_ahead_are_clear_errors(fitted: Forecaster) -> None:
    with pytest.raises(NotFittedError, match=r"call \.fit\(df\) before \.predict"):
        make_forecaster().predict()
    with pytest.raises(ForecastError, match="larger horizon"):
        fitted.predict(DAY + 1)


def test_quantiles_are_ordered_and_the_median_is_always_there(traffic: pd.DataFrame) -> None:
    model = make_forecaster(quantiles=(0.05, 0.95)).fit(traffic)
    forecast = model.predict()
    assert model.columns == ["GlobalGBM-lo-90", "GlobalGBM", "GlobalGBM-hi-90"]
    values = forecast[model.columns].to_numpy()
    assert (np.diff(values, axis=1) >= 0).all()


def test_median_beats_seasonal_naive_and_q95_covers_about_95_percent() -> None:
    history = generate_series(12, days=28, seed=2, noise=0.15)
    cv = cross_validation(make_forecaster(), history, h=DAY, n_windows=3)
    naive_abs_errors = []
    for (uid, cutoff), window in cv.groupby(["unique_id", "cutoff"]):
        past = history[(history.unique_id == uid) & (history.ds <= cutoff)]["y"].to_numpy()
        naive = seasonal_naive(past, DAY, DAY, (0.5,))[:, 0]
        naive_abs_errors.append(np.abs(window["y"].to_numpy() - naive))
    scale = cv.groupby("unique_id")["y"].transform("mean")
    model_error = float((np.abs(cv["y"] - cv["GlobalGBM"]) / scale).mean())
    naive_error = float((np.concatenate(naive_abs_errors) / scale.to_numpy()).mean())
    assert model_error < 0.8 * naive_error  # the weekend dip fools "same slot yesterday", not the model
    coverage = float((cv["y"] <= cv["GlobalGBM-hi-90"]).mean())
    assert 0.90 <= coverage <= 0.99


def test_short_histories_fall_back_to_seasonal_naive(traffic: pd.DataFrame) -> None:
    young = traffic[traffic.unique_id == "series-0"].tail(DAY).assign(unique_id="new-service")
    model = make_forecaster().fit(pd.concat([traffic, young]))
    assert model.fallback_ids == ("new-service",)
    forecast = model.predict()
    median = forecast[forecast.unique_id == "new-service"]["GlobalGBM"].to_numpy()
    np.testing.assert_allclose(median, young["y"].to_numpy())  # yesterday, repeated


def test_only_short_histories_still_forecast() -> None:
    tiny = generate_series(2, days=1.5, seed=3)
    model = make_forecaster().fit(tiny)
    assert set(model.fallback_ids) == {"series-0", "series-1"}
    assert np.isfinite(model.predict()["GlobalGBM-hi-90"]).all()


def test_all_zero_series_forecast_zero(traffic: pd.DataFrame) -> None:
    idle = traffic[traffic.unique_id == "series-0"].assign(unique_id="idle", y=0.0)
    forecast = make_forecaster().fit(pd.concat([traffic, idle])).predict()
    idle_forecast = forecast[forecast.unique_id == "idle"][["GlobalGBM", "GlobalGBM-hi-90"]].to_numpy()
    np.testing.assert_allclose(idle_forecast, 0.0, atol=1e-9)


def test_gaps_are_tolerated_and_barely_move_the_forecast(traffic: pd.DataFrame, fitted: Forecaster) -> None:
    rng = np.random.default_rng(4)
    holed = traffic[rng.random(len(traffic)) > 0.1]  # 10 % of samples lost
    outage = (holed.ds >= holed.ds.max() - pd.Timedelta(days=3)) & (holed.ds < holed.ds.max() - pd.Timedelta(days=2))
    holed = holed[~outage]  # and a whole day of nothing, three days ago
    gapped = make_forecaster().fit(holed).predict()
    full = fitted.predict()
    assert np.isfinite(gapped["GlobalGBM"]).all()
    relative = np.abs(gapped["GlobalGBM"].to_numpy() - full["GlobalGBM"].to_numpy()) / full["GlobalGBM"].mean()
    assert float(np.median(relative)) < 0.1


def test_level_shifts_are_followed() -> None:
    history = generate_series(10, days=21, seed=5, noise=0.05)
    next_day = generate_series(10, days=22, seed=5, noise=0.0).query("ds > @history.ds.max()")  # noise-free truth
    end = history.ds.max()
    shifted_ids = ["series-0", "series-3", "series-6"]
    for k, uid in enumerate(shifted_ids):  # doubled traffic from a few days ago (a new tenant, a deploy)
        since = end - pd.Timedelta(days=3 + 2 * k)
        history.loc[(history.unique_id == uid) & (history.ds > since), "y"] *= 2.0
    forecast = make_forecaster().fit(history).predict()
    for uid in shifted_ids:
        expected = 2.0 * next_day[next_day.unique_id == uid]["y"].mean()
        predicted = forecast[forecast.unique_id == uid]["GlobalGBM"].mean()
        assert predicted == pytest.approx(expected, rel=0.15), uid  # the new level, not the old (half of it)


def test_declared_future_event_multiplies_the_forecast_inside_it_only(
    traffic: pd.DataFrame, fitted: Forecaster
) -> None:
    end = traffic.ds.max()
    sale = Event(
        "sale",
        start=(end + pd.Timedelta(hours=6)).to_pydatetime(),
        end=(end + pd.Timedelta(hours=12)).to_pydatetime(),
        multiplier=3.0,
    )
    with_event = make_forecaster(events=[sale]).fit(traffic).predict()
    plain = fitted.predict()
    inside = (plain.ds >= sale.start) & (plain.ds < sale.end)
    ratio = with_event["GlobalGBM-hi-90"].to_numpy() / plain["GlobalGBM-hi-90"].to_numpy()
    np.testing.assert_allclose(ratio[inside.to_numpy()], 3.0)
    np.testing.assert_allclose(ratio[~inside.to_numpy()], 1.0)


def test_a_declared_past_event_is_not_learned_as_the_new_normal() -> None:
    history = generate_series(6, days=21, seed=6, noise=0.05)
    end = history.ds.max()
    start, stop = end - pd.Timedelta(hours=12), end + pd.Timedelta(minutes=30)
    spike = (history.ds >= start) & (history.ds < stop)
    normal_next_day = generate_series(6, days=22, seed=6, noise=0.0).query("ds > @end")
    history.loc[spike, "y"] *= 4.0  # the last half-day was a sale
    sale = Event("sale", start=start.to_pydatetime(), end=stop.to_pydatetime(), multiplier=4.0)
    forecast = make_forecaster(events=[sale]).fit(history).predict()
    merged = forecast.merge(normal_next_day, on=["unique_id", "ds"])
    ratio = merged.groupby("unique_id").apply(lambda g: g["GlobalGBM"].mean() / g["y"].mean(), include_groups=False)
    assert ratio.between(0.8, 1.25).all(), ratio.to_dict()


def test_same_seed_same_forecast(traffic: pd.DataFrame, fitted: Forecaster) -> None:
    again = make_forecaster().fit(traffic).predict()
    pd.testing.assert_frame_equal(again, fitted.predict())


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ForecastError, match="between 0 and 1"):
        make_forecaster(quantiles=(0.5, 1.2))
    with pytest.raises(ForecastError, match="horizon"):
        make_forecaster(horizon=0)
    with pytest.raises(ForecastError, match="does not divide a day"):
        make_forecaster(freq="7min")
    with pytest.raises(ForecastError, match="no series"):
        make_forecaster().fit(pd.DataFrame({"unique_id": ["a"], "ds": ["2025-01-01"], "y": [np.nan]}))
