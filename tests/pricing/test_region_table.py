"""One region table (`pricing/data/regions.csv`): the live sources' region names and the planner's
region facts are two views of it and cannot drift apart."""

from __future__ import annotations

from pathlib import Path

from placement.geo.regions import all_regions, lookup_region
from pricing.embedded import load_embedded_catalog
from pricing.regions import parse_region_table, region_names, region_table
from pricing.sources.regions import DEFAULT_REGIONS, KNOWN_REGIONS, region_hint
from pricing.sources.registry import FACTORIES

ROOT = Path(__file__).resolve().parents[2]


def test_every_region_a_live_source_refreshes_has_a_country_and_coordinates() -> None:
    for view in (KNOWN_REGIONS, DEFAULT_REGIONS):
        for cloud, names in view.items():
            for name in names:
                region = lookup_region(cloud, name)
                assert region is not None, f"{cloud}/{name} has no row in pricing/data/regions.csv"
                assert region.country and region.city and (region.lat, region.lon) != (0.0, 0.0)


def test_the_live_sources_know_exactly_the_table() -> None:
    assert region_names() == KNOWN_REGIONS
    assert {(r.cloud, r.name) for r in all_regions()} == {(c, n) for c, ns in KNOWN_REGIONS.items() for n in ns}
    assert set(KNOWN_REGIONS) == set(FACTORIES)  # every live cloud has regions, and only those


def test_every_embedded_region_is_known_to_the_live_sources() -> None:
    missing = sorted((c, r) for c, r in load_embedded_catalog().regions() if r not in KNOWN_REGIONS.get(c, ()))
    assert missing == []


def test_a_region_once_missing_from_the_live_list_is_known_now() -> None:
    assert region_hint("azure", "francesouth") == ""  # priced in the embedded catalog all along
    assert region_hint("gcp", "europe-north2") == ""
    assert region_hint("azure", "francesouht") == " (did you mean francesouth?)"


def test_there_is_one_region_table() -> None:
    tables = sorted(
        str(p.relative_to(ROOT))
        for package in ("placement", "pricing", "forecasting")
        for p in (ROOT / package).rglob("regions*.csv")
    )
    assert tables == ["pricing/data/regions.csv"]
    assert len({(r.cloud, r.name) for r in region_table()}) == len(region_table())


def test_parse_reads_comments_quotes_and_a_missing_city() -> None:
    rows = parse_region_table(
        '# note\ncloud,region,country,lat,lon,city\ngcp,us-central1,us,41.26,-95.86,"Council Bluffs, Iowa"\n'
        "aws,eu-west-1,IE,53.35,-6.26,\n"
    )
    assert [(r.cloud, r.name, r.country, r.city) for r in rows] == [
        ("gcp", "us-central1", "US", "Council Bluffs, Iowa"),
        ("aws", "eu-west-1", "IE", ""),
    ]
