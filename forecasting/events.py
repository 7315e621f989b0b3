"""Declared events: known spikes (sales days, launches) with an expected traffic multiplier.

History inside an event is divided by its multiplier before fitting (so one sale does not teach
the model a new normal), and forecasts inside a future event are multiplied by it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import ForecastError


@dataclass(frozen=True, slots=True)
class Event:
    """Traffic in [start, end) is expected to be `multiplier` × normal; `unique_ids` None = every series."""

    name: str
    start: datetime
    end: datetime
    multiplier: float
    unique_ids: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.multiplier > 0:
            raise ForecastError(f"event {self.name!r}: multiplier must be > 0 (got {self.multiplier!r})")
        if not _naive_utc(self.end) > _naive_utc(self.start):
            raise ForecastError(f"event {self.name!r}: end {self.end} must be after start {self.start}")


def _naive_utc(moment: datetime | str) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def multipliers(events: Sequence[Event], ids: np.ndarray, ds: np.ndarray) -> np.ndarray:
    """The product of the multipliers of every event covering each (ids[k], ds[k]); 1.0 elsewhere."""
    out = np.ones(len(ds), dtype=float)
    stamps = np.asarray(ds, dtype="datetime64[ns]")
    for event in events:
        inside = (stamps >= _naive_utc(event.start).to_datetime64()) & (stamps < _naive_utc(event.end).to_datetime64())
        if event.unique_ids is not None:
            inside &= np.isin(ids, np.asarray(event.unique_ids, dtype=object))
        out[inside] *= event.multiplier
    return out


def events_from_records(records: Iterable[Mapping[str, Any]]) -> tuple[Event, ...]:
    """Build events from dicts with `name, start, end, multiplier` and optional `unique_ids`."""
    events = []
    for number, record in enumerate(records, start=1):
        try:
            ids = record.get("unique_ids")
            if isinstance(ids, str):
                ids = tuple(part for part in ids.replace(";", ",").split(",") if part.strip())
            events.append(
                Event(
                    name=str(record.get("name") or f"event {number}"),
                    start=_naive_utc(record["start"]).to_pydatetime(),
                    end=_naive_utc(record["end"]).to_pydatetime(),
                    multiplier=float(record["multiplier"]),
                    unique_ids=tuple(str(i).strip() for i in ids) if ids else None,
                )
            )
        except KeyError as error:
            raise ForecastError(
                f"event {number}: missing field {error.args[0]!r} (need start, end, multiplier)"
            ) from error
        except (TypeError, ValueError) as error:
            raise ForecastError(f"event {number}: {error}") from error
    return tuple(events)


def load_events(path: str | Path) -> tuple[Event, ...]:
    """Read an events CSV with header `name,start,end,multiplier[,unique_ids]`."""
    file = Path(path)
    if not file.is_file():
        raise ForecastError(f"events file {str(file)!r} does not exist: a CSV 'name,start,end,multiplier'")
    frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    return events_from_records(frame.to_dict("records"))
