"""Forecast → replicas: arithmetic, the human `source`, errors, and the one-call entry points."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from forecast_builders import generate_series, make_forecaster

from forecasting import (
    Demand,
    Event,
    ForecastError,
    demand_from_series,
    events_from_records,
    load_events,
    replicas_needed,
    to_demand,
)


def forecast_frame(values: dict[str, list[float]], upper: float = 1.5) -> pd.DataFrame:
    rows = []
    for uid, series in values.items():
        for k, value in enumerate(series):
            rows.append(
                {
                    "unique_id": uid,
                    "ds": pd.Timestamp("2025-03-01 00:00") + k * pd.Timedelta("30min"),
                    "M": value,
                    "M-hi-90": upper * value,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("load", "per_replica", "headroom", "expected"),
    [
        (100.0, 10.0, 0.0, 10),  # exactly full replicas: no extra one
        (101.0, 10.0, 0.0, 11),  # any remainder needs one more
        (100.0, 10.0, 0.2, 12),  # 20 % headroom
        (0.0, 10.0, 0.0, 1),  # never below min_replicas
        (-5.0, 10.0, 0.0, 1),  # negative noise counts as no load
    ],
)
def test_replicas_needed(load: float, per_replica: float, headroom: float, expected: int) -> None:
    assert replicas_needed(pd.Series([load]).to_numpy(), per_replica, headroom)[0] == expected


def test_to_demand_sizes_each_slot_from_the_chosen_quantile() -> None:
    demands = to_demand(
        forecast_frame({"shop/checkout": [40.0, 80.0, 60.0], "shop/cart": [5.0, 5.0, 5.0]}),
        quantile=0.95,
        per_replica=20.0,
        headroom=0.1,
        label="series file traffic.csv",
    )
    checkout = demands["shop/checkout"]
    assert checkout.replicas_by_slot == (4, 7, 5)  # ceil(1.5 × load × 1.1 / 20)
    assert checkout.peak_replicas == 7
    assert checkout.quantile == 0.95
    assert checkout.slot_seconds == 1800
    assert checkout.slot_start == datetime(2025, 3, 1, tzinfo=UTC)
    assert checkout.horizon_end == datetime(2025, 3, 1, 1, 30, tzinfo=UTC)
    assert checkout.peak_load == pytest.approx(120.0)
    for words in ("series file traffic.csv", "forecast M q0.95", "'shop/checkout'", "peak 120", "7 replicas"):
        assert words in checkout.source
    assert demands["shop/cart"].replicas_by_slot == (1, 1, 1)
    median = to_demand(forecast_frame({"a": [40.0]}), quantile=0.5, per_replica=20.0)["a"]
    assert median.peak_replicas == 2


def test_demand_is_a_frozen_value() -> None:
    demand = to_demand(forecast_frame({"a": [1.0]}), quantile=0.5, per_replica=1.0)["a"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        demand.quantile = 0.9  # type: ignore[misc]
    assert isinstance(demand, Demand)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantile": 0.99, "per_replica": 1.0}, "no column 'M-hi-98'"),
        ({"quantile": 0.95, "per_replica": 0.0}, "per_replica=0.0 must be > 0"),
        ({"quantile": 0.95, "per_replica": 1.0, "headroom": -0.1}, "headroom"),
    ],
)
def test_to_demand_errors_name_the_fix(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ForecastError, match=message):
        to_demand(forecast_frame({"a": [1.0]}), **kwargs)  # type: ignore[arg-type]


def test_to_demand_needs_an_alias_when_several_models_are_present() -> None:
    frame = forecast_frame({"a": [1.0]}).assign(Other=1.0)
    with pytest.raises(ForecastError, match="pass alias="):
        to_demand(frame, quantile=0.5, per_replica=1.0)
    assert to_demand(frame, quantile=0.5, per_replica=1.0, alias="Other")["a"].peak_replicas == 1


def test_demand_from_a_single_series_csv_keyed_by_the_workload(tmp_path: Path) -> None:
    history = generate_series(1, days=14, seed=21)
    path = tmp_path / "checkout.csv"
    history.rename(columns={"ds": "timestamp", "y": "value"})[["timestamp", "value"]].to_csv(path, index=False)
    demands = demand_from_series(
        path, per_replica=50.0, quantile=0.95, headroom=0.1, workload="shop/checkout", forecaster=make_forecaster()
    )
    assert list(demands) == ["shop/checkout"]
    demand = demands["shop/checkout"]
    assert demand.workload == "shop/checkout"
    assert len(demand.replicas_by_slot) == 48
    upper_daily_peak = history["y"].tail(7 * 48).max()
    assert demand.peak_load == pytest.approx(upper_daily_peak, rel=0.5)
    assert "checkout.csv" in demand.source


def test_demand_from_a_long_frame_returns_every_series() -> None:
    history = generate_series(3, days=10, seed=22)
    demands = demand_from_series(history, per_replica=10.0, forecaster=make_forecaster())
    assert sorted(demands) == ["series-0", "series-1", "series-2"]
    with pytest.raises(ForecastError, match="no series 'shop/x'"):
        demand_from_series(history, per_replica=10.0, workload="shop/x", forecaster=make_forecaster())


def test_events_from_records_and_file(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "name,start,end,multiplier,unique_ids\nsale,2025-03-01,2025-03-02,3,a;b\nlaunch,2025-04-01,2025-04-01T06:00,2,\n"
    )
    sale, launch = load_events(path)
    assert sale == Event("sale", datetime(2025, 3, 1), datetime(2025, 3, 2), 3.0, ("a", "b"))
    assert launch.unique_ids is None and launch.multiplier == 2.0
    with pytest.raises(ForecastError, match="missing field 'multiplier'"):
        events_from_records([{"start": "2025-01-01", "end": "2025-01-02"}])
    with pytest.raises(ForecastError, match="must be after start"):
        events_from_records([{"start": "2025-01-02", "end": "2025-01-01", "multiplier": 2}])
    with pytest.raises(ForecastError, match="multiplier must be > 0"):
        events_from_records([{"start": "2025-01-01", "end": "2025-01-02", "multiplier": 0}])
