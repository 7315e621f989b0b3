"""Long frames: validation, the regular grid (gaps, jitter, aggregation), column naming, CSV input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting import ForecastError, interpolate_gaps, load_csv, quantile_column, regularize, validate_frame
from forecasting.frame import infer_step, steps_per_day, to_step

SHARED_TRAFFIC = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "traffic"


def frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


@pytest.mark.parametrize(
    ("quantile", "column"),
    [
        (0.5, "M"),  # the median is the bare alias, like statsforecast's point column
        (0.95, "M-hi-90"),  # upper edge of the central 90 % interval
        (0.05, "M-lo-90"),
        (0.975, "M-hi-95"),
        (0.9, "M-hi-80"),
    ],
)
def test_quantile_columns_follow_statsforecast_naming(quantile: float, column: str) -> None:
    assert quantile_column("M", quantile) == column


@pytest.mark.parametrize("quantile", [0.0, 1.0, 1.5, -0.1])
def test_quantile_outside_0_1_is_rejected(quantile: float) -> None:
    with pytest.raises(ForecastError, match="between 0 and 1"):
        quantile_column("M", quantile)


def test_validate_sorts_parses_and_converts_aware_times_to_utc() -> None:
    raw = frame([("b", "2025-01-01T01:00:00+02:00", 2), ("a", "2025-01-01 00:30", 1), ("a", "2025-01-01 00:00", 0)])
    out = validate_frame(raw)
    assert list(out["unique_id"]) == ["a", "a", "b"]
    assert list(out["ds"]) == [
        pd.Timestamp("2025-01-01 00:00"),
        pd.Timestamp("2025-01-01 00:30"),
        pd.Timestamp("2024-12-31 23:00"),
    ]
    assert out["y"].dtype == float


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (pd.DataFrame({"ds": ["2025-01-01"], "y": [1]}), "missing column"),
        (frame([("a", "2025-01-01", 1), ("a", "2025-01-01", 2)]), "two rows at"),
        (frame([("a", "not a time", 1)]), "unparseable timestamps"),
        (pd.DataFrame({"unique_id": ["a"], "ds": ["2025-01-01"], "y": ["lots"]}), "must be numeric"),
    ],
)
def test_bad_frames_raise_errors_naming_the_problem(raw: pd.DataFrame, message: str) -> None:
    with pytest.raises(ForecastError, match=message):
        validate_frame(raw)


def test_regularize_floors_jittered_samples_and_keeps_gaps_as_nan() -> None:
    raw = frame(
        [
            ("a", "2025-01-01 00:00:53", 1.0),  # jitter (NAB tweets sit at :53)
            ("a", "2025-01-01 00:05:53", 3.0),  # same 30-min slot: averaged
            ("a", "2025-01-01 01:31:00", 5.0),  # 00:30 and 01:00 missing
        ]
    )
    out = regularize(raw, "30min")
    assert list(out["ds"].dt.strftime("%H:%M")) == ["00:00", "00:30", "01:00", "01:30"]
    assert out["y"].iloc[0] == 2.0
    assert out["y"].iloc[1:3].isna().all()
    assert regularize(raw, "30min", how="sum")["y"].iloc[0] == 4.0


def test_interpolate_fills_inner_gaps_per_series() -> None:
    raw = frame([("a", "2025-01-01 00:00", 0.0), ("a", "2025-01-01 01:00", 2.0), ("b", "2025-01-01 00:00", 7.0)])
    out = interpolate_gaps(regularize(raw, "30min"))
    assert out[out.unique_id == "a"]["y"].tolist() == [0.0, 1.0, 2.0]
    assert out[out.unique_id == "b"]["y"].tolist() == [7.0]


def test_step_helpers() -> None:
    assert to_step("30min") == pd.Timedelta(minutes=30)
    assert steps_per_day(to_step("5min")) == 288
    with pytest.raises(ForecastError, match="not a duration"):
        to_step("soon")
    with pytest.raises(ForecastError, match="does not divide a day"):
        steps_per_day(to_step("7min"))
    assert infer_step(regularize(frame([("a", "2025-01-01 00:00", 1), ("a", "2025-01-01 00:05", 1)]), "5min")) == (
        pd.Timedelta(minutes=5)
    )


def test_csv_single_series_layout_uses_the_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "checkout.csv"
    path.write_text("timestamp,value\n2025-01-01 00:00:00,1.5\n2025-01-01 00:30:00,2.5\n")
    out = load_csv(path)
    assert out["unique_id"].unique().tolist() == ["checkout"]
    assert out["y"].tolist() == [1.5, 2.5]
    assert load_csv(path, unique_id="shop/checkout")["unique_id"].unique().tolist() == ["shop/checkout"]


def test_csv_long_layout_keeps_every_series(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("unique_id,ds,y\nb,2025-01-01 00:00,1\na,2025-01-01 00:00,2\na,2025-01-01 00:30,3\n")
    out = load_csv(path)
    assert out.groupby("unique_id").size().to_dict() == {"a": 2, "b": 1}
    assert load_csv(path, unique_id="b")["y"].tolist() == [1.0]
    with pytest.raises(ForecastError, match="no series 'c'"):
        load_csv(path, unique_id="c")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("time,count\n2025-01-01,1\n", "expected a header 'timestamp,value'"),
        ("timestamp,value\n", "has no rows"),
        ("timestamp,value\n2025-01-01,abc\n", "must be numeric"),
    ],
)
def test_bad_csv_files_name_the_file_and_the_fix(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ForecastError, match=message) as caught:
        load_csv(path)
    assert "bad.csv" in str(caught.value)


def test_missing_csv_file(tmp_path: Path) -> None:
    with pytest.raises(ForecastError, match="does not exist"):
        load_csv(tmp_path / "nope.csv")


@pytest.mark.skipif(not SHARED_TRAFFIC.is_dir(), reason="../shared/data/traffic is not available")
def test_real_traffic_files_load_and_regularize() -> None:
    nasa = load_csv(SHARED_TRAFFIC / "nasa_http_requests_5min.csv")  # ISO times with a -04:00 offset
    assert nasa["ds"].iloc[0] == pd.Timestamp("1995-07-01 04:00")  # converted to naive UTC
    grid = regularize(nasa, "30min")
    assert (grid["ds"].diff().dropna() == pd.Timedelta("30min")).all()
    assert grid["y"].isna().sum() > 100  # the documented log gap (28-31 July) stays visible
    tweets = regularize(load_csv(SHARED_TRAFFIC / "nab_twitter_volume_AMZN_5min.csv"), "30min")
    assert np.isfinite(tweets["y"]).mean() > 0.99
