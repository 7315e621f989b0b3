"""A real Prometheus for the forecasting tests: backfilled history, binaries, server start/stop;
and tiny misbehaving HTTP servers (slow, failing). The fixtures are in conftest.py.

The history is eight days of series written as OpenMetrics and turned into TSDB blocks by
`promtool tsdb create-blocks-from openmetrics`. The Debian package `prometheus` provides both
binaries; `make test` installs it. Without them these tests fail (they are the loader's only check
against a real server) unless PLACEMENT_SKIP_PROMETHEUS=1.
"""

from __future__ import annotations

import contextlib
import http.server
import math
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

SKIP_ENV = "PLACEMENT_SKIP_PROMETHEUS"
START = datetime(2025, 1, 1, tzinfo=UTC)  # far in the past: nothing lands in the server's head block
DAYS = 8
SAMPLE_S = 300
RESET_AT = START + timedelta(days=3, hours=7)  # checkout pod b restarts: its counter starts again at 0
GAP = (START + timedelta(days=5, hours=2), START + timedelta(days=5, hours=8))  # cart sends nothing


def checkout_rate(moment: datetime) -> float:
    """Requests/s of deployment checkout (two pods): 10 + 5·sin(daily) on pod a, 5 on pod b."""
    day_fraction = (moment - START).total_seconds() / 86_400
    return 15.0 + 5.0 * math.sin(2 * math.pi * day_fraction)


@dataclass(frozen=True)
class PrometheusServer:
    url: str
    start: datetime
    end: datetime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binaries() -> tuple[str, str]:
    found = shutil.which("prometheus"), shutil.which("promtool")
    if all(found):
        return found  # type: ignore[return-value]
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"prometheus/promtool not installed and {SKIP_ENV}=1")
    pytest.fail(
        "the Prometheus loader tests need the `prometheus` and `promtool` binaries (Debian package "
        "`prometheus`): run `make test`, which installs them, or `apt-get install -y prometheus`; "
        f"set {SKIP_ENV}=1 to skip these tests",
        pytrace=False,
    )


def write_openmetrics(path: Path) -> None:
    """Eight days of samples every 5 minutes: two checkout pods (one counter reset), one cart pod
    (a six-hour gap), and a CPU gauge."""
    lines = ["# HELP http_requests_total Requests served.", "# TYPE http_requests_total counter"]
    counters = {"checkout-a": 0.0, "checkout-b": 0.0, "cart-a": 0.0}
    cpu = []
    for k in range(DAYS * 86_400 // SAMPLE_S):
        moment = START + timedelta(seconds=k * SAMPLE_S)
        stamp = int(moment.timestamp())
        counters["checkout-a"] += (checkout_rate(moment) - 5.0) * SAMPLE_S
        counters["checkout-b"] = 0.0 if moment == RESET_AT else counters["checkout-b"] + 5.0 * SAMPLE_S
        counters["cart-a"] += 2.0 * SAMPLE_S
        for pod in ("checkout-a", "checkout-b"):
            lines.append(
                f'http_requests_total{{namespace="shop",deployment="checkout",pod="{pod}"}} {counters[pod]:.1f} {stamp}'
            )
        if not GAP[0] <= moment < GAP[1]:
            lines.append(
                f'http_requests_total{{namespace="shop",deployment="cart",pod="cart-a"}} '
                f"{counters['cart-a']:.1f} {stamp}"
            )
        cpu.append(
            f'cpu_usage_cores{{namespace="shop",deployment="checkout"}} {checkout_rate(moment) / 30:.4f} {stamp}'
        )
    lines += ["# HELP cpu_usage_cores CPU cores in use.", "# TYPE cpu_usage_cores gauge", *cpu, "# EOF"]
    path.write_text("\n".join(lines) + "\n")


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode}:\n{log.read_text()[-2000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"prometheus at {url} not ready after {timeout_s:.0f}s:\n{log.read_text()[-2000:]}", pytrace=False)


@contextlib.contextmanager
def running_prometheus(root: Path) -> Iterator[PrometheusServer]:
    """Backfill the history under `root` and run Prometheus on a free loopback port until exit."""
    server_bin, promtool_bin = binaries()
    openmetrics = root / "history.om"
    write_openmetrics(openmetrics)
    data = root / "data"
    subprocess.run(
        [
            promtool_bin,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=2400h",
            str(openmetrics),
            str(data),
        ],
        check=True,
        capture_output=True,
    )
    config = root / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    url = f"http://127.0.0.1:{free_port()}"
    log = root / "prometheus.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                server_bin,
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                "--storage.tsdb.retention.time=100y",
                f"--web.listen-address={url.removeprefix('http://')}",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(url, process, log)
        yield PrometheusServer(url=url, start=START, end=START + timedelta(days=DAYS) - timedelta(seconds=SAMPLE_S))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Misbehaving(http.server.BaseHTTPRequestHandler):
    """An HTTP handler answering every GET after `delay_s` with `status` and `body`."""

    delay_s = 0.0
    status = 200
    body = b'{"status":"success","data":{"resultType":"matrix","result":[]}}'

    def do_GET(self) -> None:
        time.sleep(self.delay_s)
        try:
            self.send_response(self.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(self.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the point of the slow server)

    def log_message(self, *args: object) -> None:
        pass


def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
