"""The forecast error of the previous horizon: a run plans a forecast-driven workload, the traffic then
arrives, and the next run scores the replicas it planned against what that traffic needed — pushed
to a real Pushgateway and read back."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from builders import make_cluster, make_scenario, make_workload
from run_pushgateway import running_gateway

from placement.run.fleet import Fleet
from placement.run.guards import GuardLimits
from placement.run.job import GITOPS, RunDeps, RunOptions, run
from placement.run.log import RunLog
from placement.run.prices import load_run_prices
from placement.run.pushgateway import Pushgateway
from placement.run.realized_demand import realized_replicas
from placement.scenario import DemandSpec

HISTORY_END = datetime(2025, 1, 20, tzinfo=UTC)
GROUP = {"mode": "gitops", "test": "forecast"}
PLANNED = 22  # the replicas the first run plans for shop/web (what its forecast sized)


def _scenario(directory, planned: int = PLANNED):
    """shop/web sized from traffic.csv (10 req/s per replica); shop/api fixed at 3 replicas: nothing to score.
    Built directly, so the test exercises the scoring, not the (slow) forecaster."""
    web = make_workload(
        "web",
        cpu=0.5,
        memory_gib=1.0,
        replicas=planned,
        demand=DemandSpec(series="traffic.csv", per_replica=10.0, source="test forecast"),
    )
    api = make_workload("api", cpu=0.5, memory_gib=1.0, replicas=3, demand=DemandSpec(replicas=3))
    return make_scenario([make_cluster("aws-eu-west-1")], [web, api], base_dir=directory)


def _history(directory) -> None:
    """Two weeks of 30-minute traffic for shop/web around 100 req/s with a daily cycle, up to HISTORY_END."""
    rng = np.random.default_rng(7)
    ds = pd.date_range(HISTORY_END - timedelta(days=14), HISTORY_END, freq="30min", inclusive="left", tz="UTC")
    y = 100.0 * (1.0 + 0.3 * np.sin(2 * np.pi * np.arange(len(ds)) / 48)) * rng.lognormal(0.0, 0.1, len(ds))
    pd.DataFrame({"unique_id": "shop/web", "ds": ds, "y": y}).to_csv(directory / "traffic.csv", index=False)


def _arrive(directory, hours: int, level: float) -> None:
    """Traffic after HISTORY_END: `level` req/s flat, then one spike to 2 × level."""
    ds = pd.date_range(HISTORY_END, HISTORY_END + timedelta(hours=hours), freq="30min", inclusive="right", tz="UTC")
    y = np.full(len(ds), level)
    y[len(ds) // 2] = 2 * level
    pd.DataFrame({"unique_id": "shop/web", "ds": ds, "y": y}).to_csv(
        directory / "traffic.csv", mode="a", header=False, index=False
    )


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with running_gateway(tmp_path_factory.mktemp("pushgateway")) as running:
        yield running


def _run(tmp_path, gateway, at: datetime):
    scenario = _scenario(tmp_path)
    deps = RunDeps(
        load_fleet=lambda: Fleet(scenario),
        load_prices=lambda s, now: load_run_prices(s, now=now),
        log=RunLog(io.StringIO()),
        pushgateway=Pushgateway(gateway.url, grouping_key=GROUP),
        clock=lambda: at,
    )
    options = RunOptions(mode=GITOPS, output_dir=tmp_path / "out", limits=GuardLimits(max_price_age_s=None))
    return run(options, deps), deps.log


def test_the_next_run_scores_the_previous_forecast(tmp_path, gateway) -> None:
    gateway.wipe()
    _history(tmp_path)
    first, log = _run(tmp_path, gateway, HISTORY_END)
    assert first.exit_code == 0 and first.summary.forecast is None
    assert [r["message"] for r in log.events("forecast.unscored")] == ["no previous successful run on the Pushgateway"]
    assert gateway.value("placement_forecast_replicas", labels=(("workload", "shop/web"),), **GROUP) == PLANNED

    _arrive(tmp_path, hours=12, level=150.0)  # peak 300 req/s → 30 replicas of 10 req/s
    second, log = _run(tmp_path, gateway, HISTORY_END + timedelta(hours=12))
    assert second.exit_code == 0
    check = second.summary.forecast
    assert check is not None and check.workloads == 1  # api's fixed demand is not a forecast
    assert (check.planned_replicas, check.needed_replicas) == (PLANNED, 30)
    assert check.error_ratio == pytest.approx(8 / 30)
    assert gateway.value("placement_forecast_error_ratio", **GROUP) == pytest.approx(8 / 30)
    assert log.events("forecast.scored")[0]["neededReplicas"] == 30


def test_realized_replicas_read_the_window(tmp_path) -> None:
    _history(tmp_path)
    _arrive(tmp_path, hours=6, level=41.0)
    scenario = _scenario(tmp_path)
    since = HISTORY_END
    assert realized_replicas(scenario, since=since, until=since + timedelta(hours=6)).replicas == {
        "shop/web": math.ceil(82 / 10)
    }
    empty = realized_replicas(scenario, since=since + timedelta(days=1), until=since + timedelta(days=2))
    assert empty.replicas == {} and "no traffic samples" in empty.notes[0]
    (tmp_path / "traffic.csv").unlink()
    missing = realized_replicas(scenario, since=since, until=since + timedelta(hours=6))
    assert missing.replicas == {} and "does not exist" in missing.notes[0]


class FakePrometheus:
    url = "http://prometheus.test"

    def __init__(self, values: list[float], start: datetime) -> None:
        self.values, self.start = values, start

    def custom_query_range(self, query, start_time, end_time, step, params=None):
        points = [[(self.start + timedelta(minutes=5 * i)).timestamp(), str(v)] for i, v in enumerate(self.values)]
        return [{"metric": {"namespace": "shop", "deployment": "api"}, "values": points}]


def test_realized_replicas_from_prometheus() -> None:
    api = make_workload(
        "api", replicas=4, demand=DemandSpec(promql="sum(rate(http_requests_total[5m]))", per_replica=25.0)
    )
    scenario = make_scenario([make_cluster("a")], [api])
    start = HISTORY_END
    realized = realized_replicas(
        scenario,
        since=start - timedelta(minutes=1),
        until=start + timedelta(hours=1),
        prometheus=FakePrometheus([10.0, 60.0, 130.0, 40.0], start),
    )
    assert realized.replicas == {"shop/api": math.ceil(130 / 25)}
