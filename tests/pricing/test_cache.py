"""The on-disk catalog: location, atomic writes, freshness, last-good fallback."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from builders import make_offer

from pricing.cache import (
    catalog_age,
    default_cache_dir,
    default_cache_path,
    format_age,
    load_catalog,
    load_for_plan,
    read_catalog,
    save_catalog,
)
from pricing.catalog import Catalog
from pricing.errors import CatalogUnavailable, SourceFetchError
from pricing.offer import CapacityType
from pricing.refresh import RefreshRequest, refresh_catalog
from pricing.sources import OnRetry

NOW = datetime(2025, 6, 10, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=3)


def catalog_at(moment: datetime, *, price: float = 0.1, clouds: tuple[str, ...] = ("aws",)) -> Catalog:
    offers = [make_offer(cloud=c, region="r1", instance_type=f"{c}.t1", hourly_usd=price, as_of=moment) for c in clouds]
    return Catalog(offers, fetched_at=moment)


@pytest.fixture
def cached(tmp_path: Path) -> Path:
    path = tmp_path / "placement" / "catalog.json"
    save_catalog(catalog_at(OLD, clouds=("aws", "azure")), path)
    return path


def test_cache_location_precedence(tmp_path: Path) -> None:
    assert default_cache_dir({"PLACEMENT_CACHE_DIR": "/x/c", "XDG_CACHE_HOME": "/y"}) == Path("/x/c")
    assert default_cache_dir({"XDG_CACHE_HOME": "/y"}) == Path("/y/placement")
    assert default_cache_dir({}) == Path.home() / ".cache" / "placement"
    assert default_cache_path({}, cache_dir=tmp_path) == tmp_path / "catalog.json"


def test_save_then_read_round_trips_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    original = Catalog(
        [
            make_offer(),
            make_offer(instance_type="m5.xlarge", capacity_type=CapacityType.SPOT, zone="a", interruption_rate=0.075),
        ],
        fetched_at=NOW,
    )
    path = tmp_path / "deep" / "catalog.json"
    save_catalog(original, path)
    assert read_catalog(path).offers == original.offers
    assert json.loads(path.read_text())["schemaVersion"] == 1
    assert [p.name for p in path.parent.iterdir()] == ["catalog.json"]


class _Exploding(Catalog):
    def to_json(self) -> dict:  # type: ignore[override]
        raise RuntimeError("disk full")


def test_a_failed_write_leaves_the_previous_file_byte_identical(cached: Path) -> None:
    before = cached.read_bytes()
    with pytest.raises(RuntimeError):
        save_catalog(_Exploding([]), cached)
    assert cached.read_bytes() == before
    assert [p.name for p in cached.parent.iterdir()] == ["catalog.json"]


def test_fresh_cache_is_returned_without_refreshing(cached: Path) -> None:
    calls: list[object] = []
    loaded = load_catalog(cached, max_age=timedelta(days=7), refresh=calls.append, now=NOW)  # type: ignore[arg-type]
    assert calls == [] and not loaded.stale and not loaded.warnings and not loaded.refreshed
    assert loaded.prices_as_of == {"aws": OLD, "azure": OLD}


def test_stale_cache_is_refreshed_and_saved(cached: Path) -> None:
    previous: list[Catalog | None] = []

    def refresh(old: Catalog | None) -> Catalog:
        previous.append(old)
        return catalog_at(NOW, price=0.2)

    loaded = load_catalog(cached, max_age=timedelta(days=1), refresh=refresh, now=NOW)
    assert loaded.refreshed and not loaded.stale
    assert previous[0] is not None and len(previous[0]) == 2  # the refresher sees the last good catalog
    assert [o.hourly_usd for o in read_catalog(cached)] == [0.2]


def _failing(_old: Catalog | None) -> Catalog:
    raise SourceFetchError("aws:pricing-api", "eu-west-1", "page 2: HTTP 503 (gave up after 5 attempts)")


def test_failed_refresh_with_allow_stale_keeps_the_last_good_copy_and_says_so(cached: Path) -> None:
    before = cached.read_bytes()
    loaded = load_catalog(cached, max_age=timedelta(days=1), refresh=_failing, allow_stale=True, now=NOW)
    assert loaded.stale and not loaded.refreshed
    assert loaded.catalog.offers == Catalog.load(cached).offers
    (warning,) = loaded.warnings
    assert "prices are 3d old (max 1d)" in warning
    assert "aws:pricing-api: region eu-west-1: page 2: HTTP 503" in warning
    assert "2025-06-07T12:00:00Z" in warning
    assert cached.read_bytes() == before


def test_failed_refresh_without_allow_stale_is_a_clear_error(cached: Path) -> None:
    before = cached.read_bytes()
    expected = r"3d old .* refresh failed: aws:pricing-api: region eu-west-1.*--allow-stale"
    with pytest.raises(CatalogUnavailable, match=expected):
        load_catalog(cached, max_age=timedelta(days=1), refresh=_failing, now=NOW)
    assert cached.read_bytes() == before


def test_stale_without_refresh_is_an_error_unless_allowed(cached: Path) -> None:
    with pytest.raises(CatalogUnavailable, match=r"prices are 3d old \(max 12h\): run `placement prices refresh`"):
        load_catalog(cached, max_age=timedelta(hours=12), now=NOW)
    loaded = load_catalog(cached, max_age=timedelta(hours=12), allow_stale=True, now=NOW)
    assert loaded.stale and "--allow-stale" in loaded.warnings[0]


def test_missing_cache_says_how_to_get_prices(tmp_path: Path) -> None:
    expected = r"no cached price catalog .*placement prices refresh.*--prices embedded"
    with pytest.raises(CatalogUnavailable, match=expected):
        load_catalog(tmp_path / "none.json", max_age=timedelta(days=1), now=NOW)


def test_missing_cache_is_fetched_when_a_refresh_is_given(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    loaded = load_catalog(path, max_age=timedelta(days=1), refresh=lambda _old: catalog_at(NOW), now=NOW)
    assert loaded.refreshed and path.exists()


def test_missing_cache_and_failed_refresh_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogUnavailable, match=r"no cached price catalog .* and the refresh failed: aws:pricing-api"):
        load_catalog(tmp_path / "none.json", max_age=timedelta(days=1), refresh=_failing, allow_stale=True, now=NOW)


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is corrupt"), (json.dumps({"schemaVersion": 99, "offers": []}), "schema version 99 is not 1")],
)
def test_unreadable_cache_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(content)
    with pytest.raises(CatalogUnavailable, match=message):
        load_catalog(path, max_age=timedelta(days=1), now=NOW)


def test_age_is_that_of_the_oldest_price() -> None:
    mixed = Catalog([make_offer(as_of=OLD), make_offer(cloud="gcp", as_of=NOW)], fetched_at=NOW)
    assert catalog_age(mixed, NOW) == timedelta(days=3)


@pytest.mark.parametrize(("seconds", "text"), [(30, "30s"), (600, "10m"), (3 * 3600 + 60, "3h 1m"), (2 * 86400, "2d")])
def test_ages_read_like_people_write_them(seconds: int, text: str) -> None:
    assert format_age(timedelta(seconds=seconds)) == text


# -- a plan never silently mixes fresh and failed sources ------------------------------------------
class _Source:
    def __init__(self, cloud: str, *, fail: bool) -> None:
        self.name, self.cloud, self.regional, self.fail = f"{cloud}:test", cloud, True, fail

    def fetch(self, regions: list[str], *, on_retry: OnRetry | None = None) -> list:
        if self.fail:
            raise SourceFetchError(self.name, regions[0], "HTTP 503 (gave up after 5 attempts)")
        return [
            make_offer(cloud=self.cloud, region=r, instance_type=f"{self.cloud}.t1", hourly_usd=0.5, as_of=NOW)
            for r in regions
        ]


def test_one_failed_source_means_no_fresh_offers_are_used_at_all(cached: Path) -> None:
    before = cached.read_bytes()
    requests = [
        RefreshRequest(_Source("aws", fail=False), ("r1",)),
        RefreshRequest(_Source("azure", fail=True), ("r1",)),
    ]

    def refresh(old: Catalog | None) -> Catalog:
        return refresh_catalog(requests, previous=old).catalog

    loaded = load_catalog(cached, max_age=timedelta(days=1), refresh=refresh, allow_stale=True, now=NOW)
    assert {(o.cloud, o.hourly_usd, o.as_of) for o in loaded.catalog} == {("aws", 0.1, OLD), ("azure", 0.1, OLD)}
    assert "azure:test: region r1: HTTP 503" in loaded.warnings[0]
    assert cached.read_bytes() == before


# -- what `prices.source: cache | live` gets ---------------------------------------------------------
def test_plan_cache_source_never_refreshes_and_uses_the_default_max_age(cached: Path) -> None:
    loaded = load_for_plan("cache", path=cached, refresh=_failing, now=NOW)  # 3 days old < 7 days default
    assert loaded.catalog.offers == Catalog.load(cached).offers and not loaded.warnings
    with pytest.raises(CatalogUnavailable, match="max 1d"):
        load_for_plan("cache", path=cached, max_age_s=86_400, now=NOW)


def test_plan_live_source_refreshes_even_a_fresh_cache(cached: Path) -> None:
    loaded = load_for_plan("live", path=cached, refresh=lambda _old: catalog_at(NOW, price=0.3), now=NOW)
    assert loaded.refreshed and {o.hourly_usd for o in read_catalog(cached)} == {0.3}


def test_plan_live_source_falls_back_to_a_fresh_enough_cache_with_a_warning(cached: Path) -> None:
    before = cached.read_bytes()
    loaded = load_for_plan("live", path=cached, refresh=_failing, now=NOW)  # cache 3 days old, within 7 days
    assert not loaded.stale and "refresh failed (aws:pricing-api: region eu-west-1" in loaded.warnings[0]
    assert cached.read_bytes() == before
    with pytest.raises(CatalogUnavailable, match="refresh failed"):
        load_for_plan("live", path=cached, refresh=_failing, max_age_s=3600, now=NOW)


def test_plan_rejects_other_sources(cached: Path) -> None:
    with pytest.raises(ValueError, match="not 'embedded'"):
        load_for_plan("embedded", path=cached)
