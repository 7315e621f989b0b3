"""The Prometheus Pushgateway a scheduled run pushes its metrics to, and reads its last forecast from.

Pushes use `prometheus_client` with the run's own registry, job `placement` and a grouping key
(`mode`: apply | dry-run | gitops), never the default registry and never an `instance` label
(REFERENCE §5). `push(replace=True)` is HTTP PUT (the whole group is replaced: a successful run);
`replace=False` is POST (only the pushed names are replaced: a failed run keeps the last success's
figures). Prometheus must scrape the gateway with `honor_labels: true`.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import default_handler, push_to_gateway, pushadd_to_gateway
from prometheus_client.parser import text_string_to_metric_families

from placement.errors import PlacementError
from placement.exit_codes import ExitCode
from placement.run.metrics import FORECAST_REPLICAS, JOB, LAST_SUCCESS

ENV_PUSHGATEWAY = "PLACEMENT_PUSHGATEWAY"


class MetricsPushFailed(PlacementError):
    """The run's metrics could not be pushed (or read back) from the Pushgateway."""

    exit_code = ExitCode.METRICS


@dataclass(frozen=True, slots=True)
class PreviousRun:
    """The group's last successful run: when it finished and the replicas it planned per workload."""

    finished_at: datetime
    forecast_replicas: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample of the group, with its labels (the grouping labels included)."""

    name: str
    labels: Mapping[str, str]
    value: float


class Pushgateway:
    """One Pushgateway group: `url` (http://host:port or host:port), `job`, `grouping_key`."""

    def __init__(
        self,
        url: str,
        *,
        job: str = JOB,
        grouping_key: Mapping[str, str] | None = None,
        timeout_s: float = 10.0,
        handler: Callable[..., Callable[[], None]] = default_handler,
    ) -> None:
        if not url.strip():
            raise ValueError("the Pushgateway URL is empty: pass --pushgateway http://HOST:9091")
        self.url = url if "://" in url else f"http://{url}"
        self.job = job
        self.grouping_key = dict(grouping_key or {})
        self.timeout_s = timeout_s
        self._handler = handler

    def push(self, registry: CollectorRegistry, *, replace: bool = True) -> None:
        """Push the registry to the group (PUT when `replace`, else POST)."""
        send = push_to_gateway if replace else pushadd_to_gateway
        try:
            send(
                self.url,
                job=self.job,
                registry=registry,
                grouping_key=self.grouping_key,
                timeout=self.timeout_s,
                handler=self._handler,
            )
        except (OSError, urllib.error.URLError) as error:
            raise MetricsPushFailed(
                f"pushing metrics to the Pushgateway {self.url} failed: {_reason(error)}; "
                "check --pushgateway (or $PLACEMENT_PUSHGATEWAY) and that the gateway runs"
            ) from None

    def read_group(self) -> list[Sample]:
        """The samples the gateway holds for this group (GET /metrics)."""
        try:
            with urllib.request.urlopen(f"{self.url.rstrip('/')}/metrics", timeout=self.timeout_s) as response:
                text = response.read().decode("utf-8", errors="replace")
        except (OSError, urllib.error.URLError) as error:
            raise MetricsPushFailed(
                f"reading metrics from the Pushgateway {self.url} failed: {_reason(error)}"
            ) from None
        wanted = {"job": self.job, **self.grouping_key}
        samples = []
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if all(sample.labels.get(k) == v for k, v in wanted.items()):
                    samples.append(Sample(sample.name, dict(sample.labels), float(sample.value)))
        return samples

    def previous_run(self) -> PreviousRun | None:
        """The group's last successful run (None when the gateway has none)."""
        samples = self.read_group()
        finished = next((s.value for s in samples if s.name == LAST_SUCCESS), None)
        if finished is None:
            return None
        forecast = {
            s.labels["workload"]: s.value for s in samples if s.name == FORECAST_REPLICAS and "workload" in s.labels
        }
        return PreviousRun(datetime.fromtimestamp(finished, UTC), forecast)


def _reason(error: Any) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    reason = getattr(error, "reason", None)
    return str(reason if reason is not None else error)
