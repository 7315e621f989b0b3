"""The region table: every cloud region the project knows, with its country and a coordinate.

`pricing/data/regions.csv` (sources in `pricing/data/REGIONS.md`) is the one hand-kept list of
regions. The live sources' known names (`pricing.sources.regions.KNOWN_REGIONS`) are derived from
it, and `placement.geo.regions` reads it for residency (country) and the latency estimate
(coordinates), so the two views cannot drift apart. `pricing` owns it because `pricing` never
imports `placement`.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

TABLE = "regions.csv"


@dataclass(frozen=True, slots=True)
class RegionRow:
    """One row of the table: a cloud region, its country (ISO 3166-1 alpha-2, upper case as written),
    a city coordinate and the city's name."""

    cloud: str
    name: str
    country: str
    lat: float
    lon: float
    city: str = ""


@functools.cache
def region_table() -> tuple[RegionRow, ...]:
    """Every row of the packaged table, in file order."""
    text = resources.files("pricing").joinpath("data", TABLE).read_text(encoding="utf-8")
    return parse_region_table(text)


def parse_region_table(text: str) -> tuple[RegionRow, ...]:
    """Rows from CSV text ``cloud,region,country,lat,lon,city`` (``#`` lines are comments)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return tuple(
        RegionRow(
            cloud=row["cloud"].strip(),
            name=row["region"].strip(),
            country=row["country"].strip().upper(),
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            city=(row.get("city") or "").strip(),
        )
        for row in csv.DictReader(io.StringIO("\n".join(lines)))
    )


def region_names() -> dict[str, tuple[str, ...]]:
    """cloud → its region names, in table order."""
    names: dict[str, list[str]] = {}
    for row in region_table():
        names.setdefault(row.cloud, []).append(row.name)
    return {cloud: tuple(regions) for cloud, regions in names.items()}


__all__ = ["TABLE", "RegionRow", "parse_region_table", "region_names", "region_table"]
