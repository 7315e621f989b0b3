"""Rolling-origin backtests never see the future; metrics are computed as documented."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_builders import LastValue, generate_series, make_forecaster

from forecasting import Forecaster, ForecastError, cross_validation, evaluate, pinball, summarize
from forecasting.metrics import seasonal_scales

DAY = 48
FORECAST_COLUMNS = ["GlobalGBM", "GlobalGBM-hi-90"]


def test_backtests_never_use_data_after_the_cutoff() -> None:
    """Poison every sample after a window's cutoff: that window's forecasts must not change at all."""
    history = generate_series(4, days=16, seed=11)

    def small() -> Forecaster:
        return make_forecaster(max_train_rows=6_000, max_iter=25)

    clean = cross_validation(small(), history, h=DAY, n_windows=3)
    rng = np.random.default_rng(0)
    for cutoff in sorted(clean["cutoff"].unique()):
        poisoned = history.copy()
        after = poisoned["ds"] > cutoff
        poisoned.loc[after, "y"] = rng.uniform(1e6, 1e7, size=int(after.sum()))  # absurd future
        poisoned.loc[after & (rng.random(len(poisoned)) < 0.2), "y"] = np.nan  # and holes
        dirty = cross_validation(small(), poisoned, h=DAY, n_windows=3)
        before = clean["cutoff"] <= cutoff
        pd.testing.assert_frame_equal(
            dirty.loc[dirty["cutoff"] <= cutoff, ["unique_id", "ds", "cutoff", *FORECAST_COLUMNS]].reset_index(
                drop=True
            ),
            clean.loc[before, ["unique_id", "ds", "cutoff", *FORECAST_COLUMNS]].reset_index(drop=True),
        )
        later = dirty["cutoff"] > cutoff  # sanity: the poison is visible to windows that may see it
        if later.any():
            assert dirty.loc[later, "GlobalGBM"].max() > 1e5


def test_each_window_is_fitted_only_on_history_up_to_its_cutoff() -> None:
    history = generate_series(2, days=5, seed=12)
    model = LastValue()
    cv = cross_validation(model, history, h=6, n_windows=3, step_size=12)
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", "LastValue", "LastValue-hi-90"]
    assert len(cv) == 2 * 3 * 6
    cutoffs = sorted(cv["cutoff"].unique())
    assert np.diff(cutoffs).tolist() == [pd.Timedelta(hours=6).to_timedelta64()] * 2  # 12 slots apart
    assert cutoffs[-1] == history["ds"].max() - pd.Timedelta(hours=3)  # last window ends at the data's end
    assert [seen["ds"].max() for seen in model.seen] == cutoffs
    for (uid, cutoff), window in cv.groupby(["unique_id", "cutoff"]):
        last_known = history[(history.unique_id == uid) & (history.ds <= cutoff)]["y"].iloc[-1]
        assert (window["LastValue"] == last_known).all()
        assert (window["ds"] > cutoff).all()
        assert (window["ds"] <= cutoff + pd.Timedelta(hours=3)).all()


def test_series_ending_at_different_times_get_their_own_cutoffs() -> None:
    early = generate_series(1, days=3, seed=13)
    late = generate_series(1, days=3, seed=14, start=pd.Timestamp("2025-02-01")).assign(unique_id="late")
    cv = cross_validation(LastValue(), pd.concat([early, late]), h=4, n_windows=2)
    ends = cv.groupby("unique_id")["cutoff"].max()
    assert ends["late"] - ends["series-0"] == pd.Timestamp("2025-02-01") - pd.Timestamp("2025-01-06")


def test_bad_backtest_settings_are_clear_errors() -> None:
    history = generate_series(1, days=1, seed=15)
    with pytest.raises(ForecastError, match="at least 1"):
        cross_validation(LastValue(), history, h=0, n_windows=2)
    with pytest.raises(ForecastError, match="long enough"):
        cross_validation(LastValue(), history, h=DAY, n_windows=3)


@pytest.mark.parametrize(
    ("y", "prediction", "quantile", "loss"),
    [
        (10.0, 8.0, 0.9, 1.8),  # under-forecast costs q per unit
        (10.0, 12.0, 0.9, 0.2),  # over-forecast costs (1 - q) per unit
        (10.0, 10.0, 0.5, 0.0),
        (0.0, 4.0, 0.5, 2.0),  # the median's pinball loss is half the absolute error
    ],
)
def test_pinball_loss(y: float, prediction: float, quantile: float, loss: float) -> None:
    assert pinball(np.array([y]), np.array([prediction]), quantile)[0] == pytest.approx(loss)


def test_seasonal_scale_is_the_in_sample_seasonal_naive_mae_up_to_each_cutoff() -> None:
    ds = pd.date_range("2025-01-01", periods=6, freq="30min")
    history = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, 2.0, 4.0, 2.0, 7.0, 2.0]})
    cutoffs = pd.DataFrame({"unique_id": ["a", "a"], "cutoff": [ds[3], ds[5]]})
    scales = seasonal_scales(history, cutoffs, season=2)
    assert scales[("a", ds[3])] == pytest.approx((3 + 0) / 2)  # |4-1|, |2-2|
    assert scales[("a", ds[5])] == pytest.approx((3 + 0 + 3 + 0) / 4)  # + |7-4|, |2-2|


def test_evaluate_mase_pinball_and_coverage_by_hand() -> None:
    ds = pd.date_range("2025-01-01", periods=6, freq="30min")
    history = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, 2.0, 4.0, 2.0, 7.0, 2.0]})
    cv = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": ds[4:],
            "cutoff": ds[3],
            "y": [7.0, 2.0],
            "M": [6.0, 2.0],
            "M-hi-90": [6.5, 3.0],
        }
    )
    scores = evaluate(cv, history, models=["M"], quantiles=(0.5, 0.95), season=2)
    row = scores.iloc[0]
    scale = 1.5  # from the test above
    assert row["mase"] == pytest.approx((1.0 + 0.0) / 2 / scale)
    median_loss = [0.5, 0.0]
    upper_loss = [0.95 * 0.5, 0.05 * 1.0]
    assert row["pinball"] == pytest.approx(
        np.mean([np.mean([a, b]) for a, b in zip(median_loss, upper_loss, strict=True)]) / scale
    )
    assert row["coverage"] == pytest.approx(0.5)  # 7 > 6.5, 2 <= 3
    assert summarize(scores)["mase"].iloc[0] == pytest.approx(row["mase"])


def test_evaluate_names_missing_quantile_columns() -> None:
    cv = pd.DataFrame(
        {
            "unique_id": ["a"],
            "ds": [pd.Timestamp("2025-01-01")],
            "cutoff": [pd.Timestamp("2025-01-01")],
            "y": [1.0],
            "M": [1.0],
        }
    )
    with pytest.raises(ForecastError, match="M-hi-90"):
        evaluate(cv, cv[["unique_id", "ds", "y"]], models=["M"], quantiles=(0.5, 0.95), season=2)
