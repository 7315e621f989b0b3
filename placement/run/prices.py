"""Prices for a scheduled run: refresh them when stale, refuse to plan on stale ones.

`prices.source` keeps its meaning, with one difference from `placement plan`: `live` refreshes
only when the cached catalog is older than the run's max age (a CronJob firing hourly does not
refetch every cloud every hour), and saves the refresh to the cache. `cache` never touches the
network. When the prices are stale and no refresh succeeds the run stops with `StalePrices`
(exit 6) — it never plans on stale prices silently. `embedded` and `file` load as `placement
plan` loads them; the embedded list prices are old by design, so the stale-price guard skips them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from placement.errors import PlacementError
from placement.exit_codes import ExitCode
from placement.load.catalog import catalog_for, scenario_regions, with_scenario_prices
from placement.scenario import Scenario
from pricing import Catalog
from pricing.cache import Refresher, format_age, load_catalog
from pricing.errors import CatalogUnavailable

_NO_LIMIT = timedelta(days=365 * 100)


class StalePrices(PlacementError):
    """The prices are stale (or missing) and could not be refreshed; nothing was planned.
    `ages_s` holds the cached prices' age per cloud, when there is a cached copy."""

    exit_code = ExitCode.STALE_PRICES

    def __init__(self, message: str, ages_s: dict[str, float] | None = None) -> None:
        super().__init__(message)
        self.ages_s = dict(ages_s or {})


@dataclass(frozen=True, slots=True)
class RunPrices:
    """The catalog a run plans with, where it came from, and whether the stale guard applies."""

    catalog: Catalog
    source: str
    refreshed: bool = False
    warnings: tuple[str, ...] = ()
    guarded: bool = True  # False for embedded list prices

    def ages_s(self, now: datetime) -> dict[str, float]:
        """Per cloud, how old its oldest price is, in seconds."""
        return {cloud: max(0.0, (now - as_of).total_seconds()) for cloud, as_of in sorted(self.catalog.as_of().items())}


def load_run_prices(
    scenario: Scenario,
    *,
    now: datetime,
    source: str | None = None,
    max_age_s: float | None = None,
    refresher: Refresher | None = None,
    cache_path: Path | None = None,
) -> RunPrices:
    """The scenario's catalog for a run (see the module docstring). `refresher` replaces the live
    sources (default: `pricing.refresh.live_refresher` over the scenario's regions)."""
    chosen = source or scenario.prices.source
    if chosen not in ("cache", "live"):
        loaded = catalog_for(scenario, source=chosen)
        warnings = loaded.warnings
        if chosen == "embedded":
            warnings += (
                "embedded list prices: the stale-price guard does not apply; use prices.source: live "
                "for current prices",
            )
        return RunPrices(loaded.catalog, chosen, warnings=warnings, guarded=chosen != "embedded")
    refresh = None
    if chosen == "live":
        if refresher is None:
            from pricing.refresh import live_refresher

            refresher = live_refresher(scenario_regions(scenario))
        refresh = refresher
    max_age = _NO_LIMIT if max_age_s is None else timedelta(seconds=max_age_s)
    try:
        cached = load_catalog(cache_path, max_age=max_age, refresh=refresh, now=now)
    except CatalogUnavailable as error:
        limit = "" if max_age_s is None else f" (max age {format_age(max_age)})"
        raise StalePrices(f"no fresh prices{limit}: {error}", _cached_ages(cache_path, now)) from error
    catalog, warnings = with_scenario_prices(cached.catalog, scenario.prices)
    return RunPrices(catalog, chosen, refreshed=cached.refreshed, warnings=tuple(cached.warnings) + warnings)


def _cached_ages(path: Path | None, now: datetime) -> dict[str, float]:
    """Per cloud, how old the cached prices are (empty when there is no readable cache)."""
    from pricing.cache import default_cache_path, read_catalog

    try:
        catalog = read_catalog(path or default_cache_path())
    except CatalogUnavailable:
        return {}
    return RunPrices(catalog, "cache").ages_s(now)
