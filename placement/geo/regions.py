"""Cloud regions: where each one is (country, coordinates) and which jurisdiction groups it is in.

The table is `pricing/data/regions.csv` (read by `pricing.regions`), written by hand from the
providers' public region pages (sources in `pricing/data/REGIONS.md`). `pricing` owns it so the live
price sources derive their known region names from the same rows (`pricing.sources.regions.KNOWN_REGIONS`).
It covers every region of the embedded price catalog and every region a live source knows;
`tests/placement/test_regions.py` keeps it that way. A cluster's `country` in a scenario overrides it
(required for custom/private regions, which the table cannot know).

Residency helpers live in `placement.geo.jurisdictions` and are re-exported here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from placement.errors import close_matches
from placement.geo.jurisdictions import (
    GROUP_NAMES,
    GROUPS,
    ISO_COUNTRIES,
    groups_of,
    known_residency_code,
    residency_allows,
    suggest_residency_code,
)
from pricing.regions import TABLE, RegionRow, parse_region_table, region_table


@dataclass(frozen=True, slots=True)
class Region:
    """A cloud region: its country (ISO 3166-1 alpha-2), jurisdiction groups and a city coordinate."""

    cloud: str
    name: str
    country: str
    lat: float
    lon: float
    groups: tuple[str, ...] = ()
    city: str = ""


@functools.cache
def all_regions() -> tuple[Region, ...]:
    """Every region of the packaged table, in file order."""
    return _regions(region_table())


def parse_regions_csv(text: str) -> tuple[Region, ...]:
    """Regions from CSV text ``cloud,region,country,lat,lon,city`` (``#`` lines are comments)."""
    return _regions(parse_region_table(text))


def _regions(rows: tuple[RegionRow, ...]) -> tuple[Region, ...]:
    regions = []
    for row in rows:
        if row.country not in ISO_COUNTRIES:
            raise ValueError(f"{TABLE}: {row.cloud}/{row.name}: country {row.country!r} is not ISO 3166-1 alpha-2")
        regions.append(
            Region(
                cloud=row.cloud,
                name=row.name,
                country=row.country,
                lat=row.lat,
                lon=row.lon,
                groups=groups_of(row.country),
                city=row.city,
            )
        )
    return tuple(regions)


@functools.cache
def _index() -> dict[tuple[str, str], Region]:
    return {(r.cloud, r.name): r for r in all_regions()}


def lookup_region(cloud: str, region: str) -> Region | None:
    """The region ``(cloud, region)`` of the table, or None when it is not listed."""
    return _index().get((cloud, region))


def regions_of(cloud: str) -> tuple[Region, ...]:
    """All listed regions of one cloud (empty for an unknown or custom cloud)."""
    return tuple(r for r in all_regions() if r.cloud == cloud)


def clouds() -> tuple[str, ...]:
    """The clouds the table knows, sorted."""
    return tuple(sorted({r.cloud for r in all_regions()}))


def suggest_region(cloud: str, region: str) -> str | None:
    """The closest listed region name of `cloud` (``eu-west1`` → ``eu-west-1``), or None."""
    names = [r.name for r in regions_of(cloud)]
    matches = close_matches(region, names)
    return matches[0] if matches else None


__all__ = [
    "GROUPS",
    "GROUP_NAMES",
    "Region",
    "all_regions",
    "clouds",
    "known_residency_code",
    "lookup_region",
    "parse_regions_csv",
    "regions_of",
    "residency_allows",
    "suggest_region",
    "suggest_residency_code",
]
