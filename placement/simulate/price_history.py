"""Prices that change over the simulated hours: a base catalog plus step changes → a `Catalog` per hour.

A change sets, from a given hour on, either the absolute `hourly_usd` of one offer (cloud, region,
instance type, capacity type; every zone) or a `factor` on the base price of every offer of a
(cloud, region, capacity type) — a regional spot "index". Absolute prices win over factors.
Prices are step functions: each holds until the next change of the same key.

Catalogs are built once per distinct step (a *version*) and cached, so hours between changes share
one `Catalog` object (and the simulator one set of replica prices). `transformed(fn)` applies a
catalog transform (a what-if price shock, say) to every version.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd

from placement.errors import PlacementError
from pricing import CapacityType, Catalog, Offer

FRAME_COLUMNS = ("time", "cloud", "region", "instance_type", "capacity_type", "hourly_usd")


@dataclass(frozen=True, slots=True)
class PriceChange:
    """From `hour` on: `hourly_usd` for one instance type, or `factor` × base for a whole region
    (`instance_type` None). Exactly one of the two is set."""

    hour: int
    cloud: str
    region: str
    capacity_type: CapacityType
    instance_type: str | None = None
    hourly_usd: float | None = None
    factor: float | None = None

    def __post_init__(self) -> None:
        if (self.hourly_usd is None) == (self.factor is None):
            raise PlacementError(f"price change at hour {self.hour}: give exactly one of hourly_usd and factor")
        if self.hourly_usd is not None and (self.instance_type is None or not self.hourly_usd > 0):
            raise PlacementError(f"price change at hour {self.hour}: hourly_usd needs an instance_type and a price > 0")
        if self.factor is not None and not self.factor > 0:
            raise PlacementError(f"price change at hour {self.hour}: factor must be > 0 (got {self.factor!r})")


CatalogTransform = Callable[[Catalog], Catalog]


class PriceHistory:
    """A `Catalog` for every simulated hour (see the module docstring)."""

    def __init__(
        self, base: Catalog, changes: Iterable[PriceChange] = (), transforms: Sequence[CatalogTransform] = ()
    ) -> None:
        self.base = base
        self.changes = tuple(sorted(changes, key=lambda c: c.hour))
        self.transforms = tuple(transforms)
        self._hours = sorted({c.hour for c in self.changes if c.hour > 0})
        self._cache: dict[int, Catalog] = {}

    def __repr__(self) -> str:
        return f"PriceHistory({len(self.base)} offers, {len(self.changes)} changes in {len(self._hours) + 1} versions)"

    @property
    def change_hours(self) -> tuple[int, ...]:
        """Hours (> 0) at which some price changes."""
        return tuple(self._hours)

    def version_at(self, hour: int) -> int:
        """Index of the price step in force at `hour` (0 = prices at the start)."""
        return bisect.bisect_right(self._hours, hour)

    def catalog_at(self, hour: int) -> Catalog:
        """The catalog in force at `hour`."""
        version = self.version_at(hour)
        if version not in self._cache:
            cutoff = self._hours[version - 1] if version else 0
            catalog = _apply(self.base, [c for c in self.changes if c.hour <= cutoff])
            for transform in self.transforms:
                catalog = transform(catalog)
            self._cache[version] = catalog
        return self._cache[version]

    def restricted(self, regions: set[tuple[str, str]]) -> PriceHistory:
        """The same history for offers of these (cloud, region) pairs only (a smaller, faster catalog)."""
        base = Catalog((o for o in self.base if (o.cloud, o.region) in regions), fetched_at=self.base.fetched_at)
        kept = [c for c in self.changes if (c.cloud, c.region) in regions]
        return PriceHistory(base, kept, self.transforms)

    def transformed(self, transform: CatalogTransform) -> PriceHistory:
        """The same history with `transform` applied to every hour's catalog (after the changes)."""
        return PriceHistory(self.base, self.changes, (*self.transforms, transform))

    # -- constructors ---------------------------------------------------------------------------------
    @classmethod
    def constant(cls, catalog: Catalog) -> PriceHistory:
        return cls(catalog)

    @classmethod
    def from_frame(
        cls, base: Catalog, frame: pd.DataFrame, *, start: datetime, hours: int, time_scale: float = 1.0
    ) -> PriceHistory:
        """Absolute price steps from a long frame with columns `FRAME_COLUMNS`.

        Row times map to hours as ``floor((time − start) / 1 h / time_scale)``: `time_scale` 7 replays a
        week of history per simulated day. Rows before `start` set the opening price (the last one
        wins); rows at or after `hours` are dropped; rows without a price are skipped.
        """
        missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
        if missing:
            raise PlacementError(f"price history frame lacks column(s) {missing}; it needs {list(FRAME_COLUMNS)}")
        if not time_scale > 0:
            raise PlacementError(f"time_scale={time_scale!r} must be > 0")
        times = pd.to_datetime(frame["time"], utc=True, format="mixed")
        origin = pd.Timestamp(start).tz_convert("UTC") if pd.Timestamp(start).tzinfo else pd.Timestamp(start, tz="UTC")
        offsets = ((times - origin) / pd.Timedelta(hours=1) / time_scale).to_numpy(dtype=float)
        prices = pd.to_numeric(frame["hourly_usd"], errors="coerce").to_numpy(dtype=float)
        keep = np.isfinite(prices) & (prices > 0) & (offsets < hours)
        order = np.argsort(offsets[keep], kind="stable")
        rows = frame.loc[keep].iloc[order]
        changes = [
            PriceChange(
                hour=max(0, math.floor(off)),
                cloud=str(r.cloud),
                region=str(r.region),
                capacity_type=CapacityType(str(r.capacity_type)),
                instance_type=str(r.instance_type),
                hourly_usd=float(p),
            )
            for r, off, p in zip(rows.itertuples(index=False), offsets[keep][order], prices[keep][order], strict=True)
        ]
        return cls(base, _without_repeats(_dedupe(changes)))

    @classmethod
    def synthetic_spot(
        cls,
        base: Catalog,
        *,
        hours: int,
        seed: int = 0,
        step_h: int = 6,
        volatility: float = 0.08,
        reversion: float = 0.2,
        low: float = 0.6,
        high: float = 1.8,
    ) -> PriceHistory:
        """A seeded spot market: every `step_h` hours each (cloud, region)'s spot prices move together by
        a mean-reverting log random walk (σ `volatility` per step), clipped to [low, high] × base."""
        if step_h < 1:
            raise PlacementError(f"step_h={step_h}: use 1 or more hours between spot price moves")
        rng = np.random.default_rng(seed)
        regions = sorted({(o.cloud, o.region) for o in base if o.capacity_type is CapacityType.SPOT})
        level = np.zeros(len(regions))
        changes: list[PriceChange] = []
        for hour in range(step_h, hours, step_h):
            level = (1 - reversion) * level + rng.normal(0.0, volatility, len(regions))
            factors = np.clip(np.exp(level), low, high)
            changes.extend(
                PriceChange(hour, cloud, region, CapacityType.SPOT, factor=float(f))
                for (cloud, region), f in zip(regions, factors, strict=True)
            )
        return cls(base, changes)


def _dedupe(changes: list[PriceChange]) -> list[PriceChange]:
    """Keep the last change per (hour, key) (input sorted by time)."""
    last: dict[tuple[object, ...], PriceChange] = {}
    for c in changes:
        last[(c.hour, c.cloud, c.region, c.capacity_type, c.instance_type)] = c
    return list(last.values())


def _without_repeats(changes: list[PriceChange]) -> list[PriceChange]:
    """Drop changes that set the price a key already has (snapshots repeat unchanged prices)."""
    last: dict[tuple[object, ...], float | None] = {}
    out = []
    for c in sorted(changes, key=lambda c: c.hour):
        key = (c.cloud, c.region, c.capacity_type, c.instance_type)
        value = c.hourly_usd if c.hourly_usd is not None else c.factor
        if last.get(key) != value:
            out.append(c)
            last[key] = value
    return out


def _apply(base: Catalog, changes: Sequence[PriceChange]) -> Catalog:
    if not changes:
        return base
    absolute: dict[tuple[str, str, str, CapacityType], float] = {}
    factors: dict[tuple[str, str, CapacityType], float] = {}
    for c in changes:  # sorted by hour: later changes overwrite earlier ones
        if c.hourly_usd is not None and c.instance_type is not None:
            absolute[(c.cloud, c.region, c.instance_type, c.capacity_type)] = c.hourly_usd
        elif c.factor is not None:
            factors[(c.cloud, c.region, c.capacity_type)] = c.factor
    offers: list[Offer] = []
    for o in base:
        price = absolute.get((o.cloud, o.region, o.instance_type, o.capacity_type))
        if price is None:
            factor = factors.get((o.cloud, o.region, o.capacity_type))
            price = None if factor is None else o.hourly_usd * factor
        offers.append(o if price is None else replace(o, hourly_usd=round(price, 9)))
    return Catalog(offers, fetched_at=base.fetched_at, schema_version=base.schema_version)


__all__ = ["FRAME_COLUMNS", "CatalogTransform", "PriceChange", "PriceHistory"]
