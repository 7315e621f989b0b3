"""Fixtures for the forecasting tests: a real Prometheus server (session-wide) and misbehaving
HTTP servers; the machinery is in forecast_prometheus.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from forecast_prometheus import Misbehaving, PrometheusServer, running_prometheus, serve


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    with running_prometheus(tmp_path_factory.mktemp("prometheus")) as server:
        yield server


@pytest.fixture
def slow_server() -> Iterator[str]:
    """Answers every request correctly, but only after two seconds."""
    yield from serve(type("Slow", (Misbehaving,), {"delay_s": 2.0}))


@pytest.fixture
def failing_server() -> Iterator[str]:
    """Answers every request with HTTP 500 and a Prometheus-style error body."""
    body = b'{"status":"error","errorType":"internal","error":"query processing would load too many samples"}'
    yield from serve(type("Failing", (Misbehaving,), {"status": 500, "body": body}))
