"""`placement.run.pushgateway` against a real Prometheus Pushgateway on loopback: pushes read back over
HTTP, a failure push keeps the last success's figures, the forecast reads back, and a dead gateway
is a clear `MetricsPushFailed`."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from builders import make_assignment, make_plan
from run_pushgateway import running_gateway

from placement.plan import HourlyCost
from placement.run.metrics import RunSummary, registry_for
from placement.run.pushgateway import MetricsPushFailed, Pushgateway

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with running_gateway(tmp_path_factory.mktemp("pushgateway")) as running:
        yield running


@pytest.fixture(autouse=True)
def _empty(gateway):
    gateway.wipe()


def _success(at: datetime, planned: float) -> RunSummary:
    plan = make_plan(
        make_assignment("shop/web", "a", 2), hourly_usd=HourlyCost(before=10.0, after=planned, compute=planned)
    )
    return RunSummary(
        mode="apply",
        started_at=at - timedelta(seconds=5),
        finished_at=at,
        exit_code=0,
        plan=plan,
        plan_id="p-1",
        moves=2,
        changes=3,
        forecast_replicas={"shop/web": 6},
    )


def test_push_and_read_back(gateway) -> None:
    Pushgateway(gateway.url, grouping_key={"mode": "apply"}).push(registry_for(_success(START, 7.5)))
    samples = gateway.samples(mode="apply")
    assert samples[("placement_planned_hourly_usd", ())] == 7.5
    assert samples[("placement_last_success_timestamp_seconds", ())] == START.timestamp()
    assert samples[("placement_forecast_replicas", (("workload", "shop/web"),))] == 6.0
    assert ("push_time_seconds", ()) in samples  # the gateway's own stamp: the group exists
    assert gateway.samples(mode="dry-run") == {}  # groups are separate


def test_a_failure_keeps_the_last_success(gateway) -> None:
    group = Pushgateway(gateway.url, grouping_key={"mode": "apply"})
    group.push(registry_for(_success(START, 7.5)))
    failed = RunSummary(
        mode="apply",
        started_at=START + timedelta(hours=1),
        finished_at=START + timedelta(hours=1),
        exit_code=6,
        failure="prices",
        price_ages_s={"aws": 90000.0},
    )
    group.push(registry_for(failed), replace=False)
    samples = gateway.samples(mode="apply")
    assert samples[("placement_last_run_success", ())] == 0.0
    assert samples[("placement_last_run_exit_code", ())] == 6.0
    assert samples[("placement_run_failure", (("reason", "prices"),))] == 1.0
    assert samples[("placement_last_success_timestamp_seconds", ())] == START.timestamp()
    assert samples[("placement_planned_hourly_usd", ())] == 7.5
    # the next success replaces the whole group: the failure is gone
    group.push(registry_for(_success(START + timedelta(hours=2), 7.0)))
    samples = gateway.samples(mode="apply")
    assert samples[("placement_last_run_success", ())] == 1.0
    assert not any(name == "placement_run_failure" for name, _ in samples)


def test_previous_run_reads_the_group(gateway) -> None:
    group = Pushgateway(gateway.url.removeprefix("http://"), grouping_key={"mode": "apply"})  # host:port works too
    assert group.previous_run() is None
    group.push(registry_for(_success(START, 7.5)))
    Pushgateway(gateway.url, grouping_key={"mode": "dry-run"}).push(
        registry_for(
            RunSummary(
                mode="dry-run", started_at=START, finished_at=START, exit_code=0, forecast_replicas={"shop/web": 99}
            )
        )
    )
    previous = group.previous_run()
    assert previous is not None and previous.forecast_replicas == {"shop/web": 6.0}
    assert previous.finished_at == START
    failed = RunSummary(
        mode="apply", started_at=START, finished_at=START + timedelta(hours=1), exit_code=5, failure="guard"
    )
    group.push(registry_for(failed), replace=False)
    assert group.previous_run() == previous  # the last *successful* run


def test_an_unreachable_gateway_is_named() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    group = Pushgateway(dead, timeout_s=2)
    with pytest.raises(MetricsPushFailed, match=f"Pushgateway {dead} failed") as raised:
        group.push(registry_for(_success(START, 1.0)))
    assert raised.value.exit_code == 7
    with pytest.raises(MetricsPushFailed, match="reading metrics"):
        group.previous_run()


def test_empty_url_is_refused() -> None:
    with pytest.raises(ValueError, match="--pushgateway"):
        Pushgateway(" ")
