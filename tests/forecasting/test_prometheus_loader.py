"""The Prometheus loader against a real Prometheus server (see conftest.py), and against servers
that are down, slow or failing: every failure names the query and the URL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from forecast_builders import make_forecaster
from forecast_prometheus import GAP, RESET_AT, SKIP_ENV, PrometheusServer, binaries, checkout_rate, free_port
from prometheus_api_client import PrometheusConnect

from forecasting import PrometheusError, connect, demand_from_prometheus, load_usage
from forecasting.prometheus import counter_rate, series_id

RATE_QUERY = "sum by (namespace, deployment) (rate(http_requests_total[30m]))"
WORKLOAD = ("namespace", "deployment")


class CountingClient:
    """Wraps a real client and records each range request (to see the chunking)."""

    def __init__(self, inner: PrometheusConnect) -> None:
        self.inner = inner
        self.url = inner.url
        self.calls: list[tuple[datetime, datetime]] = []

    def custom_query_range(
        self, query: str, start_time: datetime, end_time: datetime, step: str, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        self.calls.append((start_time, end_time))
        return self.inner.custom_query_range(query, start_time=start_time, end_time=end_time, step=step, params=params)


def expected_checkout(ds: pd.Series) -> np.ndarray:
    """rate(...[30m]) at t averages the true rate over (t-30m, t]."""
    stamps = pd.to_datetime(ds).dt.tz_localize("UTC")
    offsets = [timedelta(minutes=m) for m in range(0, 30, 5)]
    return np.array([np.mean([checkout_rate(t.to_pydatetime() - o) for o in offsets]) for t in stamps])


def test_reads_one_series_per_workload_label_set(prometheus: PrometheusServer) -> None:
    frame = load_usage(
        PrometheusConnect(prometheus.url),
        RATE_QUERY,
        start=prometheus.start + timedelta(hours=1),
        end=prometheus.end,
        step="30m",
        id_labels=WORKLOAD,
    )
    assert sorted(frame["unique_id"].unique()) == ["shop/cart", "shop/checkout"]
    assert (frame.groupby("unique_id")["ds"].diff().dropna() == pd.Timedelta("30min")).all()
    checkout = frame[frame.unique_id == "shop/checkout"]
    reset_slot = (checkout["ds"] - pd.Timestamp(RESET_AT.replace(tzinfo=None))).abs() < pd.Timedelta("31min")
    np.testing.assert_allclose(checkout["y"][~reset_slot], expected_checkout(checkout["ds"][~reset_slot]), rtol=0.02)
    cart = frame[frame.unique_id == "shop/cart"].set_index("ds")["y"]
    in_gap = (cart.index >= pd.Timestamp(GAP[0].replace(tzinfo=None)) + pd.Timedelta("1h")) & (
        cart.index < pd.Timestamp(GAP[1].replace(tzinfo=None))
    )
    assert cart[in_gap].isna().all() and in_gap.sum() >= 8  # the gap is kept as missing slots
    np.testing.assert_allclose(cart[~in_gap].dropna(), 2.0, rtol=0.01)


def test_raw_counters_become_rates_across_a_counter_reset(prometheus: PrometheusServer) -> None:
    frame = load_usage(
        PrometheusConnect(prometheus.url),
        'http_requests_total{deployment="checkout"}',
        start=prometheus.start,
        end=prometheus.end,
        step="30m",
        id_labels=WORKLOAD,
        counter=True,
    )
    values = frame["y"].dropna()
    assert (values >= 0).all()  # a reset is not a huge negative rate
    expected = expected_checkout(frame.loc[values.index, "ds"])
    relative = np.abs(values.to_numpy() - expected) / expected
    assert float(np.median(relative)) < 0.01
    assert int((relative > 0.05).sum()) <= 1  # only the slot containing the reset undercounts


def test_long_ranges_are_chunked_without_gaps_or_duplicates(prometheus: PrometheusServer) -> None:
    start, end = prometheus.start + timedelta(hours=1), prometheus.start + timedelta(days=3)
    whole = load_usage(
        PrometheusConnect(prometheus.url), RATE_QUERY, start=start, end=end, step="30m", id_labels=WORKLOAD
    )
    counting = CountingClient(PrometheusConnect(prometheus.url))
    chunked = load_usage(counting, RATE_QUERY, start=start, end=end, step="30m", id_labels=WORKLOAD, max_points=40)
    assert len(counting.calls) == 4  # 143 slots, at most 40 per request
    for (_, previous_end), (next_start, _) in zip(counting.calls, counting.calls[1:], strict=False):
        assert next_start - previous_end == timedelta(minutes=30)
    pd.testing.assert_frame_equal(chunked, whole)


def test_default_ids_are_the_label_sets(prometheus: PrometheusServer) -> None:
    frame = load_usage(
        PrometheusConnect(prometheus.url),
        "cpu_usage_cores",
        start=prometheus.start,
        end=prometheus.start + timedelta(hours=5),
        step="1h",
    )
    assert frame["unique_id"].unique().tolist() == ['{deployment="checkout",namespace="shop"}']
    assert len(frame) == 6


def test_demand_from_prometheus_end_to_end(prometheus: PrometheusServer) -> None:
    demands = demand_from_prometheus(
        prometheus.url,
        RATE_QUERY,
        per_replica=4.0,
        quantile=0.95,
        headroom=0.1,
        history_days=7,
        id_labels=WORKLOAD,
        now=prometheus.end,
        forecaster=make_forecaster(),
    )
    assert sorted(demands) == ["shop/cart", "shop/checkout"]
    checkout = demands["shop/checkout"]
    assert checkout.peak_replicas == pytest.approx(np.ceil(20.0 * 1.1 / 4.0), abs=1)  # peak 20 req/s
    assert demands["shop/cart"].peak_replicas == 1
    assert prometheus.url in checkout.source and RATE_QUERY in checkout.source


def test_the_url_may_come_from_the_environment(prometheus: PrometheusServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_URL", prometheus.url)
    demands = demand_from_prometheus(
        "",
        'sum(rate(http_requests_total{deployment="cart"}[30m]))',
        per_replica=1.0,
        history_days=3,
        now=prometheus.end,
        workload="shop/cart",
        forecaster=make_forecaster(),
    )
    assert list(demands) == ["shop/cart"] and demands["shop/cart"].peak_replicas == 2  # 2 req/s, 1 per replica


def test_a_bad_query_is_an_input_error_naming_query_and_url(prometheus: PrometheusServer) -> None:
    bad = "sum(rate(http_requests_total[5m])"
    with pytest.raises(PrometheusError) as caught:
        load_usage(connect(prometheus.url), bad, start=prometheus.start, end=prometheus.end)
    message = str(caught.value)
    assert bad in message and prometheus.url in message and "parse error" in message
    assert caught.value.exit_code == 2


def test_an_empty_result_names_query_and_url(prometheus: PrometheusServer) -> None:
    with pytest.raises(PrometheusError, match="returned no series") as caught:
        load_usage(connect(prometheus.url), "no_such_metric_total", start=prometheus.start, end=prometheus.end)
    assert "no_such_metric_total" in str(caught.value) and prometheus.url in str(caught.value)


def test_a_server_that_is_down() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(PrometheusError, match="cannot connect") as caught:
        load_usage(connect(url, retries=0), "up", start=datetime(2025, 1, 1), end=datetime(2025, 1, 2))
    assert url in str(caught.value) and "'up'" in str(caught.value)
    assert caught.value.exit_code == 4


def test_a_slow_server_times_out(slow_server: str) -> None:
    with pytest.raises(PrometheusError, match="timed out") as caught:
        load_usage(
            connect(slow_server, timeout_s=0.3, retries=0), "up", start=datetime(2025, 1, 1), end=datetime(2025, 1, 2)
        )
    assert slow_server in str(caught.value)
    assert caught.value.exit_code == 4


def test_a_failing_server_reports_its_error(failing_server: str) -> None:
    with pytest.raises(PrometheusError, match="too many samples") as caught:
        load_usage(connect(failing_server, retries=0), "up", start=datetime(2025, 1, 1), end=datetime(2025, 1, 2))
    assert failing_server in str(caught.value) and caught.value.exit_code == 4


@pytest.mark.parametrize(
    ("labels", "id_labels", "expected"),
    [
        ({"namespace": "shop", "deployment": "checkout", "pod": "p1"}, ("namespace", "deployment"), "shop/checkout"),
        ({"__name__": "up", "job": "api", "instance": "a:1"}, None, '{instance="a:1",job="api"}'),
        ({}, None, "sum(rate(x[5m]))"),  # an aggregate without labels is named by its query
    ],
)
def test_series_id(labels: dict[str, str], id_labels: tuple[str, ...] | None, expected: str) -> None:
    assert series_id(labels, id_labels, "sum(rate(x[5m]))") == expected


def test_counter_rate_treats_a_drop_as_a_reset() -> None:
    rates = counter_rate(np.array([0.0, 60.0, 120.0, 30.0, 90.0]), np.array([0.0, 60.0, 120.0, 180.0, 240.0]))
    np.testing.assert_allclose(rates[1:], [1.0, 1.0, 0.5, 1.0])
    assert np.isnan(rates[0])


def test_connect_rejects_missing_or_odd_urls() -> None:
    with pytest.raises(PrometheusError, match="no Prometheus URL"):
        connect("")
    with pytest.raises(PrometheusError, match="http:// or https://"):
        connect("prometheus:9090")


def test_missing_binaries_fail_and_say_how_to_install_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv(SKIP_ENV, raising=False)
    with pytest.raises(pytest.fail.Exception, match="run `make test`"):
        binaries()
    monkeypatch.setenv(SKIP_ENV, "1")
    with pytest.raises(pytest.skip.Exception):
        binaries()
