"""What changed between two catalogs, by how much, sorted by impact (pure).

Offers are matched on (cloud, region, zone, instance type, capacity type). A change's impact is the
absolute change in USD per node-hour (an added or removed offer counts its whole price), so the
changes that move a plan's bill most come first; ties go to the larger relative change, then by name.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from pricing.catalog import Catalog
from pricing.offer import Offer

OfferKey = tuple[str, str, str | None, str, str]


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class OfferChange:
    cloud: str
    region: str
    zone: str | None
    instance_type: str
    capacity_type: str
    kind: ChangeKind
    old_hourly_usd: float | None
    new_hourly_usd: float | None

    @property
    def delta_usd(self) -> float:
        return (self.new_hourly_usd or 0.0) - (self.old_hourly_usd or 0.0)

    @property
    def relative(self) -> float | None:
        """(new - old) / old for a changed price; None for added/removed offers."""
        if self.kind is not ChangeKind.CHANGED or not self.old_hourly_usd:
            return None
        return self.delta_usd / self.old_hourly_usd

    @property
    def impact_usd(self) -> float:
        return abs(self.delta_usd)

    @property
    def where(self) -> str:
        zone = f"/{self.zone}" if self.zone else ""
        return f"{self.cloud}/{self.region}{zone}"


@dataclass(frozen=True, slots=True)
class CloudDiffSummary:
    cloud: str
    changed: int
    up: int
    down: int
    added: int
    removed: int
    median_relative: float | None


@dataclass(frozen=True, slots=True)
class CatalogDiff:
    changes: tuple[OfferChange, ...]  # sorted by impact, largest first
    unchanged: int

    def __bool__(self) -> bool:
        return bool(self.changes)

    def by_cloud(self) -> tuple[CloudDiffSummary, ...]:
        clouds = sorted({c.cloud for c in self.changes})
        out = []
        for cloud in clouds:
            mine = [c for c in self.changes if c.cloud == cloud]
            changed = [c for c in mine if c.kind is ChangeKind.CHANGED]
            relatives = [c.relative for c in changed if c.relative is not None]
            out.append(
                CloudDiffSummary(
                    cloud=cloud,
                    changed=len(changed),
                    up=sum(1 for c in changed if c.delta_usd > 0),
                    down=sum(1 for c in changed if c.delta_usd < 0),
                    added=sum(1 for c in mine if c.kind is ChangeKind.ADDED),
                    removed=sum(1 for c in mine if c.kind is ChangeKind.REMOVED),
                    median_relative=statistics.median(relatives) if relatives else None,
                )
            )
        return tuple(out)


def _key(offer: Offer) -> OfferKey:
    return (offer.cloud, offer.region, offer.zone, offer.instance_type, offer.capacity_type.value)


def _index(offers: Iterable[Offer]) -> dict[OfferKey, float]:
    return {_key(o): o.hourly_usd for o in offers}


def _impact_order(c: OfferChange) -> tuple[float, float, str, str, str, str]:
    return (-c.impact_usd, -abs(c.relative or 0.0), c.cloud, c.region, c.zone or "", c.instance_type)


def diff_catalogs(old: Catalog, new: Catalog, *, min_relative: float = 0.0, tolerance_usd: float = 1e-9) -> CatalogDiff:
    """Every added, removed and re-priced offer; price changes below `min_relative` (e.g. 0.01) are ignored."""
    before, after = _index(old), _index(new)
    changes: list[OfferChange] = []
    unchanged = 0
    for key in before.keys() | after.keys():
        old_price, new_price = before.get(key), after.get(key)
        if old_price is None:
            kind = ChangeKind.ADDED
        elif new_price is None:
            kind = ChangeKind.REMOVED
        else:
            delta = abs(new_price - old_price)
            if delta <= tolerance_usd or (old_price and delta / old_price < min_relative):
                unchanged += 1
                continue
            kind = ChangeKind.CHANGED
        cloud, region, zone, instance_type, capacity = key
        changes.append(OfferChange(cloud, region, zone, instance_type, capacity, kind, old_price, new_price))
    changes.sort(key=_impact_order)

    return CatalogDiff(tuple(changes), unchanged)
