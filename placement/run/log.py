"""Structured run logs: one JSON object per line, for the CronJob's log collector.

Every line has `time` (RFC 3339, UTC), `level` (debug | info | warning | error), `event` (a dotted
name such as `prices.loaded`), the run's `runId`, and the event's own fields (camelCase, values
JSON-able; anything else is written with `str`). The stream and the clock are injected, so tests
read the lines back and a run's log is reproducible.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

LEVELS = ("debug", "info", "warning", "error")


class RunLog:
    """Writes JSON lines to `stream` (default stdout); `records` keeps what was written."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        run_id: str = "",
        clock: Callable[[], datetime] | None = None,
        logger: str = "placement.run.job",
    ) -> None:
        self._stream = stream
        self._clock = clock or (lambda: datetime.now(UTC))
        self.run_id = run_id
        self.logger = logger
        self.records: list[dict[str, Any]] = []

    def event(self, event: str, level: str = "info", **fields: Any) -> dict[str, Any]:
        """Write one line: the event, its level and fields. Returns the record."""
        if level not in LEVELS:
            raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
        record: dict[str, Any] = {
            "time": _rfc3339(self._clock()),
            "level": level,
            "logger": self.logger,
            "event": event,
        }
        if self.run_id:
            record["runId"] = self.run_id
        record.update(fields)
        self.records.append(record)
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write(json.dumps(record, default=str, separators=(",", ":")) + "\n")
        stream.flush()
        return record

    def info(self, event: str, **fields: Any) -> dict[str, Any]:
        return self.event(event, "info", **fields)

    def warning(self, event: str, **fields: Any) -> dict[str, Any]:
        return self.event(event, "warning", **fields)

    def error(self, event: str, **fields: Any) -> dict[str, Any]:
        return self.event(event, "error", **fields)

    def events(self, name: str) -> list[dict[str, Any]]:
        """The records written for one event name."""
        return [r for r in self.records if r["event"] == name]


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
