"""A real Prometheus Pushgateway (Debian `prometheus-pushgateway`) on a free loopback port.

`make test` installs the package when it is missing; without it these tests skip, saying so.
The admin API is on so each test can start from an empty gateway (`wipe`).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

BINARIES = ("prometheus-pushgateway", "pushgateway")


@dataclass
class Gateway:
    url: str

    def wipe(self) -> None:
        request = urllib.request.Request(f"{self.url}/api/v1/admin/wipe", method="PUT")
        with urllib.request.urlopen(request, timeout=5):
            pass

    def samples(self, job: str = "placement", **group: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """{(name, labels without the grouping ones): value} of one group, read from GET /metrics."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as response:
            text = response.read().decode()
        wanted = {"job": job, **group}
        out = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if all(sample.labels.get(k) == v for k, v in wanted.items()):
                    labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k not in (*wanted, "instance")))
                    out[(sample.name, labels)] = sample.value
        return out

    def value(
        self, name: str, job: str = "placement", labels: tuple[tuple[str, str], ...] = (), **group: str
    ) -> float | None:
        return self.samples(job, **group).get((name, labels))


def binary() -> str:
    found = next((shutil.which(b) for b in BINARIES if shutil.which(b)), None)
    if found is None:
        pytest.skip(
            "prometheus-pushgateway is not installed: `make test` installs it "
            "(or: apt-get install prometheus-pushgateway)"
        )
    return found


@contextlib.contextmanager
def running_gateway(workdir: Path) -> Iterator[Gateway]:
    executable = binary()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    log = (workdir / "pushgateway.log").open("w")
    process = subprocess.Popen(
        [executable, f"--web.listen-address=127.0.0.1:{port}", "--web.enable-admin-api"],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Pushgateway did not start: {(workdir / 'pushgateway.log').read_text()[-500:]}")
            time.sleep(0.05)
        yield Gateway(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
