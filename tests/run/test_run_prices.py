"""Prices for a run: fresh cache used as is, stale cache refreshed (and saved), stale and unrefreshable
refused with exit 6 and the cache untouched; embedded prices skip the stale guard."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from builders import AS_OF, make_catalog, make_cluster, make_scenario, make_workload

from placement.run.prices import StalePrices, load_run_prices
from placement.scenario import PriceSettings
from pricing import Catalog
from pricing.cache import read_catalog, save_catalog
from pricing.errors import RefreshFailed, SourceError

HOUR = 3600.0


def _scenario(source: str, **prices):
    return make_scenario([make_cluster("a")], [make_workload("web")], prices=PriceSettings(source=source, **prices))


def _fresh_catalog(hours_later: float) -> Catalog:
    old = make_catalog(("aws", "eu-west-1", 1.0))
    at = AS_OF + timedelta(hours=hours_later)
    return Catalog([replace(o, as_of=at) for o in old.offers], fetched_at=at)


class Refresher:
    def __init__(self, result: Catalog | Exception) -> None:
        self.result = result
        self.calls = 0

    def __call__(self, previous: Catalog | None) -> Catalog:
        self.calls += 1
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.fixture
def cache(tmp_path):
    path = tmp_path / "catalog.json"
    save_catalog(make_catalog(("aws", "eu-west-1", 1.0)), path)  # prices as of AS_OF
    return path


def test_fresh_cache_is_used_without_refreshing(cache) -> None:
    refresher = Refresher(RuntimeError("must not be called"))
    prices = load_run_prices(
        _scenario("live"), now=AS_OF + timedelta(hours=2), max_age_s=24 * HOUR, refresher=refresher, cache_path=cache
    )
    assert refresher.calls == 0 and not prices.refreshed and prices.guarded
    assert prices.ages_s(AS_OF + timedelta(hours=2)) == {"aws": 2 * HOUR}


def test_stale_cache_is_refreshed_and_saved(cache) -> None:
    now = AS_OF + timedelta(hours=30)
    refresher = Refresher(_fresh_catalog(29))
    prices = load_run_prices(_scenario("live"), now=now, max_age_s=24 * HOUR, refresher=refresher, cache_path=cache)
    assert refresher.calls == 1 and prices.refreshed
    assert prices.ages_s(now) == {"aws": HOUR}
    assert read_catalog(cache).as_of() == {"aws": AS_OF + timedelta(hours=29)}


def test_stale_cache_and_failed_refresh_is_refused_and_keeps_the_cache(cache) -> None:
    before = cache.read_bytes()
    failure = RefreshFailed((SourceError("aws:pricing-api", "AccessDenied"),))
    with pytest.raises(StalePrices) as raised:
        load_run_prices(
            _scenario("live"),
            now=AS_OF + timedelta(hours=30),
            max_age_s=24 * HOUR,
            refresher=Refresher(failure),
            cache_path=cache,
        )
    assert raised.value.exit_code == 6 and raised.value.ages_s == {"aws": 30 * HOUR}
    assert "1d 6h old (max 1d)" in str(raised.value) and "AccessDenied" in str(raised.value)
    assert cache.read_bytes() == before


def test_cache_source_never_refreshes(cache) -> None:
    refresher = Refresher(_fresh_catalog(29))
    with pytest.raises(StalePrices, match="placement prices refresh"):
        load_run_prices(
            _scenario("cache"),
            now=AS_OF + timedelta(hours=30),
            max_age_s=24 * HOUR,
            refresher=refresher,
            cache_path=cache,
        )
    assert refresher.calls == 0


def test_missing_cache_is_fetched(tmp_path) -> None:
    prices = load_run_prices(
        _scenario("live"),
        now=AS_OF + timedelta(hours=30),
        max_age_s=24 * HOUR,
        refresher=Refresher(_fresh_catalog(29)),
        cache_path=tmp_path / "none" / "catalog.json",
    )
    assert prices.refreshed and (tmp_path / "none" / "catalog.json").exists()


def test_adjustments_apply_to_refreshed_prices(cache) -> None:
    scenario = _scenario("live", adjustments=({"cloud": "aws", "discountPercent": 50},))
    plain = load_run_prices(_scenario("live"), now=AS_OF, max_age_s=HOUR, cache_path=cache)
    adjusted = load_run_prices(scenario, now=AS_OF, max_age_s=HOUR, cache_path=cache)
    cheapest = {o.instance_type + o.capacity_type: o.hourly_usd for o in plain.catalog.offers}
    assert all(
        o.hourly_usd == pytest.approx(cheapest[o.instance_type + o.capacity_type] / 2) for o in adjusted.catalog.offers
    )


def test_embedded_prices_are_not_guarded() -> None:
    prices = load_run_prices(_scenario("embedded"), now=AS_OF, max_age_s=HOUR)
    assert not prices.guarded and prices.catalog.offers
    assert any("stale-price guard does not apply" in w for w in prices.warnings)


def test_plan_and_run_price_the_same_scenario_identically(cache, monkeypatch) -> None:
    """One catalog path: the scenario's interruption rates (and files, adjustments) apply to cached
    prices in `placement run` exactly as in `placement plan` (run used to fall back to a flat 0.05)."""
    from placement.load.catalog import catalog_for
    from placement.scenario import InterruptionRate
    from placement.solver.solve import solve

    monkeypatch.setenv("PLACEMENT_CACHE_DIR", str(cache.parent))
    scenario = make_scenario(
        [make_cluster("a")],
        [make_workload("web", spot_max_fraction=0.8)],
        prices=PriceSettings(source="cache", interruption_rates=(InterruptionRate("aws", 0.31, "eu-west-1"),)),
    )
    planned = catalog_for(scenario, allow_stale=True).catalog
    run = load_run_prices(scenario, now=AS_OF + timedelta(hours=1), cache_path=cache).catalog
    key = lambda c: sorted((o.instance_type, o.capacity_type, o.hourly_usd, o.interruption_rate) for o in c)  # noqa: E731
    assert key(run) == key(planned)
    assert {o.interruption_rate for o in run if o.capacity_type == "spot"} == {0.31}
    assert solve(scenario, run).to_json()["hourlyUsd"] == solve(scenario, planned).to_json()["hourlyUsd"]
