"""`Catalog`: an immutable collection of offers with query verbs, and its on-disk forms.

Read like Karpenter's `Offerings`: `in_region`, `of`, `fitting`, `cheapest`, `price`. A catalog is
never mutated; every verb returns a new catalog (or a value).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pricing.offer import CapacityType, Offer

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1

#: The price-file columns of DESIGN.md (required first, then optional), plus provenance.
PRICE_FILE_REQUIRED = ("cloud", "region", "instance_type", "capacity_type", "vcpus", "memory_gib", "hourly_usd")
PRICE_FILE_OPTIONAL = ("zone", "gpus", "interruption_rate", "as_of")
CSV_COLUMNS = (*PRICE_FILE_REQUIRED, "zone", "gpus", "interruption_rate", "source", "as_of")


class Catalog:
    """An immutable collection of `Offer` rows plus the schema version and when it was assembled."""

    __slots__ = ("_by_region", "_offers", "fetched_at", "schema_version")

    def __init__(
        self,
        offers: Iterable[Offer],
        *,
        fetched_at: datetime | None = None,
        schema_version: int = SCHEMA_VERSION,
    ) -> None:
        self._offers: tuple[Offer, ...] = tuple(offers)
        self._by_region: dict[tuple[str, str], tuple[Offer, ...]] | None = None
        self.fetched_at = fetched_at or datetime.now(UTC)
        self.schema_version = schema_version

    # -- collection protocol -------------------------------------------------------------
    @property
    def offers(self) -> tuple[Offer, ...]:
        return self._offers

    def __len__(self) -> int:
        return len(self._offers)

    def __iter__(self) -> Iterator[Offer]:
        return iter(self._offers)

    def __repr__(self) -> str:
        return f"Catalog({len(self._offers)} offers, clouds={sorted(self.clouds())})"

    def _derive(self, offers: Iterable[Offer]) -> Catalog:
        return Catalog(offers, fetched_at=self.fetched_at, schema_version=self.schema_version)

    # -- query verbs ---------------------------------------------------------------------
    def in_region(self, cloud: str, region: str) -> Catalog:
        """Offers of one cloud region (all zones)."""
        if self._by_region is None:
            index: dict[tuple[str, str], list[Offer]] = {}
            for offer in self._offers:
                index.setdefault((offer.cloud, offer.region), []).append(offer)
            self._by_region = {key: tuple(rows) for key, rows in index.items()}
        return self._derive(self._by_region.get((cloud, region), ()))

    def of(self, capacity_type: CapacityType | str) -> Catalog:
        """Offers of one capacity type."""
        wanted = CapacityType(capacity_type)
        return self._derive(o for o in self._offers if o.capacity_type == wanted)

    def of_cloud(self, cloud: str) -> Catalog:
        return self._derive(o for o in self._offers if o.cloud == cloud)

    def fitting(self, cpu: float, memory_gib: float) -> Catalog:
        """Offers on which one replica of (cpu, memory_gib) fits."""
        return self._derive(o for o in self._offers if o.fits(cpu, memory_gib))

    def in_families(self, families: Iterable[str] | None) -> Catalog:
        """Offers whose instance family is in `families` (None keeps everything)."""
        if families is None:
            return self
        allowed = {f.lower() for f in families}
        return self._derive(o for o in self._offers if o.family.lower() in allowed)

    def where(self, **equals: object) -> Catalog:
        """Offers whose attributes equal the given values, e.g. ``where(instance_type="m5.large")``."""
        return self._derive(o for o in self._offers if all(getattr(o, k) == v for k, v in equals.items()))

    def cheapest(self) -> Offer | None:
        """The lowest-priced offer (ties broken by instance type name), or None when empty."""
        if not self._offers:
            return None
        return min(self._offers, key=lambda o: (o.hourly_usd, o.instance_type))

    def price(self, instance_type: str, capacity_type: CapacityType | str, *, zone: str | None = None) -> float | None:
        """Hourly USD of an instance type (lowest across zones unless `zone` is given), or None."""
        wanted = CapacityType(capacity_type)
        prices = [
            o.hourly_usd
            for o in self._offers
            if o.instance_type == instance_type and o.capacity_type == wanted and (zone is None or o.zone == zone)
        ]
        return min(prices) if prices else None

    def clouds(self) -> set[str]:
        return {o.cloud for o in self._offers}

    def regions(self) -> set[tuple[str, str]]:
        return {(o.cloud, o.region) for o in self._offers}

    def as_of(self) -> dict[str, datetime]:
        """Per cloud, the oldest `as_of` of its offers (what a plan's `pricesAsOf` reports)."""
        oldest: dict[str, datetime] = {}
        for o in self._offers:
            if o.cloud not in oldest or o.as_of < oldest[o.cloud]:
                oldest[o.cloud] = o.as_of
        return oldest

    def sources(self) -> set[str]:
        return {o.source for o in self._offers}

    def merged(self, other: Catalog) -> Catalog:
        """This catalog plus `other`'s offers (an offer of `other` replaces the same key here)."""

        def key(o: Offer) -> tuple[str, str, str | None, str, str]:
            return (o.cloud, o.region, o.zone, o.instance_type, o.capacity_type.value)

        rows = {key(o): o for o in self._offers}
        rows.update((key(o), o) for o in other._offers)
        return Catalog(rows.values(), fetched_at=min(self.fetched_at, other.fetched_at))

    # -- frames and files ----------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([offer_to_row(o) for o in self._offers], columns=list(CSV_COLUMNS))

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for offer in self._offers:
            writer.writerow(offer_to_row(offer))
        return buffer.getvalue()

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": self.schema_version,
            "fetchedAt": _iso(self.fetched_at),
            "offers": [offer_to_row(o) for o in self._offers],
        }

    def save(self, path: Path) -> None:
        """Write the catalog as schema-versioned JSON (atomic: temp file then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), separators=(",", ":")))
        tmp.replace(path)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Catalog:
        version = data.get("schemaVersion")
        if version != SCHEMA_VERSION:
            from pricing.errors import CatalogUnavailable

            raise CatalogUnavailable(
                f"catalog schema version {version!r} is not {SCHEMA_VERSION}: run `placement prices refresh`"
            )
        return cls(
            (offer_from_row(row) for row in data["offers"]),
            fetched_at=datetime.fromisoformat(data["fetchedAt"]),
        )

    @classmethod
    def load(cls, path: Path) -> Catalog:
        return cls.from_json(json.loads(path.read_text()))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def offer_to_row(offer: Offer) -> dict[str, Any]:
    """An offer as a flat row with the CSV/JSON column names (plain Python values)."""
    return {
        "cloud": offer.cloud,
        "region": offer.region,
        "instance_type": offer.instance_type,
        "capacity_type": offer.capacity_type.value,
        "vcpus": offer.vcpus,
        "memory_gib": offer.memory_gib,
        "hourly_usd": offer.hourly_usd,
        "zone": offer.zone or "",
        "gpus": offer.gpus,
        "interruption_rate": "" if offer.interruption_rate is None else offer.interruption_rate,
        "source": offer.source,
        "as_of": _iso(offer.as_of),
    }


def offer_from_row(row: dict[str, Any]) -> Offer:
    """Inverse of `offer_to_row` (trusted input: our own files)."""
    rate = row.get("interruption_rate")
    return Offer(
        cloud=row["cloud"],
        region=row["region"],
        instance_type=row["instance_type"],
        capacity_type=CapacityType(row["capacity_type"]),
        vcpus=float(row["vcpus"]),
        memory_gib=float(row["memory_gib"]),
        hourly_usd=float(row["hourly_usd"]),
        zone=row.get("zone") or None,
        gpus=int(row.get("gpus") or 0),
        interruption_rate=None if rate in (None, "") else float(rate),
        source=row["source"],
        as_of=datetime.fromisoformat(str(row["as_of"]).replace("Z", "+00:00")),
    )


__all__ = [
    "CSV_COLUMNS",
    "PRICE_FILE_OPTIONAL",
    "PRICE_FILE_REQUIRED",
    "SCHEMA_VERSION",
    "Catalog",
    "offer_from_row",
    "offer_to_row",
]
