"""Traffic traces: hourly aggregation, matching series to workloads, binding replicas, events, synthetic demo."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import make_cluster, make_scenario, make_workload, user

from placement.errors import PlacementError
from placement.simulate import (
    HourlySeries,
    TrafficEvent,
    bind_traffic,
    load_prometheus_traces,
    load_traces,
    match_traces,
    scaled,
    synthetic_traffic,
    to_hourly,
    with_events,
)

START = datetime(2025, 1, 6, tzinfo=UTC)


def write_series(path: Path, values: list[float], *, step: str = "30min") -> Path:
    stamps = pd.date_range("2025-01-06", periods=len(values), freq=step)
    pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"), "value": values}).to_csv(path, index=False)
    return path


def test_sub_hourly_samples_become_the_hours_busiest_sample_and_gaps_are_interpolated() -> None:
    frame = pd.DataFrame(
        {
            "unique_id": "s",
            "ds": pd.to_datetime(["2025-01-06 00:00", "2025-01-06 00:30", "2025-01-06 02:10"]),
            "y": [3.0, 7.0, 11.0],
        }
    )
    (series,) = to_hourly(frame).values()
    assert list(series.values) == [7.0, 9.0, 11.0]  # hour 1 has no sample: halfway between 7 and 11
    assert list(to_hourly(frame, how="mean")["s"].values) == [5.0, 8.0, 11.0]
    with pytest.raises(PlacementError, match="how="):
        to_hourly(frame, how="median")


def test_a_directory_of_csvs_is_matched_to_workloads_by_name(tmp_path: Path) -> None:
    write_series(tmp_path / "shop__web.csv", [1, 2] * 24)
    write_series(tmp_path / "api.csv", [5] * 48)
    write_series(tmp_path / "nab_taxi.csv", [9] * 48)
    scenario = make_scenario([make_cluster("ie")], [make_workload("web"), make_workload("api"), make_workload("batch")])
    series = load_traces(tmp_path)
    assert sorted(series) == ["api", "nab_taxi", "shop__web"] and len(series["api"].values) == 24
    matched = match_traces(scenario, series, {"shop/batch": "nab_taxi"})
    assert {k: v.source for k, v in matched.items()} == {
        "shop/web": "shop__web.csv",
        "shop/api": "api.csv",
        "shop/batch": "nab_taxi.csv",
    }
    with pytest.raises(PlacementError, match="no series 'nope'"):
        match_traces(scenario, series, {"shop/web": "nope"})


def test_binding_sizes_per_replica_so_the_history_peak_needs_the_declared_replicas() -> None:
    scenario = make_scenario(
        [make_cluster("ie")], [make_workload("web", replicas=10), make_workload("flat", replicas=3)]
    )
    load = np.concatenate([np.linspace(10, 50, 24), np.full(6, 75.0)])  # history peaks at 50, the run reaches 75
    traffic = bind_traffic(scenario, {"shop/web": HourlySeries(START, load)}, hours=6, history_h=24)
    web = traffic["shop/web"]
    assert web.per_replica == pytest.approx(5.0) and web.hours == 6
    assert list(web.replicas()[-6:]) == [15] * 6  # growth beyond the declared peak shows up
    assert list(traffic["shop/flat"].replicas()) == [3] * 30  # no trace: flat at its declared replicas
    with pytest.raises(PlacementError, match="needs 40"):
        bind_traffic(scenario, {"shop/web": HourlySeries(START, load)}, hours=16, history_h=24)


def test_events_multiply_the_replayed_hours_with_linear_ramps() -> None:
    event = TrafficEvent(start_h=2, hours=5, multiplier=21.0, ramp_h=1)
    assert list(event.factors(8)) == [1, 1, 11, 21, 21, 21, 11, 1]
    scenario = make_scenario([make_cluster("ie")], [make_workload("web", replicas=2), make_workload("api", replicas=2)])
    traffic = synthetic_traffic(scenario, hours=8, history_h=24, seed=1)
    spiked = with_events(traffic, [TrafficEvent(3, 1, 10.0, workloads=("shop/web",))])
    ratio = spiked["shop/web"].load / traffic["shop/web"].load
    assert list(ratio[24:]) == pytest.approx([1, 1, 1, 10, 1, 1, 1, 1]) and list(ratio[:24]) == [1] * 24
    assert np.array_equal(spiked["shop/api"].load, traffic["shop/api"].load)
    assert scaled(traffic, 2.0)["shop/api"].load[24:] == pytest.approx(2 * traffic["shop/api"].load[24:])
    with pytest.raises(PlacementError, match="multiplier"):
        TrafficEvent(0, 1, 0.0)


def test_synthetic_traffic_is_seeded_peaks_at_declared_replicas_and_follows_users_evening() -> None:
    tokyo, london = user("tokyo", 35.7, 139.7), user("london", 51.5, -0.1)
    scenario = make_scenario(
        [make_cluster("ie")],
        [
            make_workload("jp", replicas=20, users={"tokyo": 1.0}),
            make_workload("uk", replicas=20, users={"london": 1.0}),
        ],
        user_regions=[tokyo, london],
    )
    a = synthetic_traffic(scenario, hours=48, history_h=72, seed=4)
    b = synthetic_traffic(scenario, hours=48, history_h=72, seed=4)
    assert np.array_equal(a["shop/jp"].load, b["shop/jp"].load)
    assert not np.array_equal(
        a["shop/jp"].load, synthetic_traffic(scenario, hours=48, history_h=72, seed=5)["shop/jp"].load
    )
    assert a["shop/jp"].load[:72].max() == pytest.approx(20.0)
    busiest = {k: int(np.argmax(t.load[:24])) for k, t in a.items()}  # UTC hour of the first day's peak
    assert abs(busiest["shop/jp"] - 11) <= 2 and abs(busiest["shop/uk"] - 20) <= 2  # 20:00 local time


class FakePrometheus:
    """Answers every range query with one 5-minute series per deployment (a stand-in for PrometheusConnect)."""

    url = "http://prometheus.test"

    def custom_query_range(self, query, start_time, end_time, step, params=None):
        seconds = int(step.rstrip("s"))
        stamps = range(int(start_time.timestamp()), int(end_time.timestamp()) + 1, seconds)
        return [
            {
                "metric": {"namespace": "shop", "deployment": name},
                "values": [[t, str(scale * (1 + (t // 3600) % 2))] for t in stamps],
            }
            for name, scale in (("web", 10), ("api", 3))
        ]


def test_prometheus_traces_are_hourly_per_label_set() -> None:
    series = load_prometheus_traces(
        FakePrometheus(),
        "sum by (namespace, deployment) (rate(http_requests_total[5m]))",
        start=START,
        end=START + pd.Timedelta(hours=5),
        id_labels=("namespace", "deployment"),
    )
    assert sorted(series) == ["shop/api", "shop/web"]
    assert list(series["shop/web"].values) == [10.0, 20.0, 10.0, 20.0, 10.0, 20.0]
    scenario = make_scenario([make_cluster("ie")], [make_workload("web", replicas=4)])
    assert match_traces(scenario, series)["shop/web"] is series["shop/web"]
