"""The catalog a scenario plans with: its price source, extra price files and adjustments.

This is an I/O edge (it reads price files, the cache, or the network); `solve()` only ever sees
the resulting `Catalog`. Returns warnings (stale cache, fallbacks) for the plan to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from placement.errors import PlacementError
from placement.scenario import PriceSettings, Scenario
from pricing import Catalog


@dataclass(frozen=True, slots=True)
class ScenarioCatalog:
    catalog: Catalog
    warnings: tuple[str, ...] = ()


def catalog_for(
    scenario: Scenario,
    *,
    source: str | None = None,
    max_age_s: float | None = None,
    allow_stale: bool = False,
) -> ScenarioCatalog:
    """Load the offers `scenario.prices` asks for (`source` overrides it, as `--prices` does)."""
    settings = scenario.prices
    chosen = source or settings.source
    warnings: list[str] = []
    if chosen == "embedded":
        from pricing.embedded import load_embedded_catalog

        catalog = load_embedded_catalog()
    elif chosen == "file":
        from pricing.pricefile import load_price_file

        if settings.file is None:
            raise PlacementError("prices.source is file but prices.file is not set: give an offers CSV path")
        catalog = load_price_file(settings.file)
    elif chosen in ("cache", "live"):
        from pricing.cache import load_for_plan

        loaded = load_for_plan(chosen, max_age_s=max_age_s, allow_stale=allow_stale, regions=scenario_regions(scenario))
        catalog, warnings = loaded.catalog, list(loaded.warnings)
    else:
        raise PlacementError(f"unknown price source {chosen!r}: use embedded, cache, live or file")
    catalog, scenario_warnings = with_scenario_prices(catalog, settings, base_is_file=chosen == "file")
    return ScenarioCatalog(catalog, tuple(warnings) + scenario_warnings)


def with_scenario_prices(
    catalog: Catalog, settings: PriceSettings, *, base_is_file: bool = False
) -> tuple[Catalog, tuple[str, ...]]:
    """`catalog` (from any source) with what the scenario adds to every source: its price file and
    extra files, its adjustments, then spot interruption rates (its rules, an advisor feed, else
    documented defaults). The one path for `placement plan` and `placement run` alike."""
    from pricing.pricefile import load_price_file

    files = ((settings.file,) if settings.file is not None and not base_is_file else ()) + tuple(settings.extra)
    for path in files:
        catalog = catalog.merged(load_price_file(path))
    if settings.adjustments:
        from pricing.adjust import adjust, parse_adjustments

        catalog = adjust(catalog, parse_adjustments(settings.adjustments))
    return _with_interruption_rates(catalog, settings)


def _with_interruption_rates(catalog: Catalog, settings: PriceSettings) -> tuple[Catalog, tuple[str, ...]]:
    """Spot interruption rates: the scenario's rules, an advisor feed, else documented defaults."""
    from placement.load.spot_rates import apply_interruption_rates

    advisor = None
    if settings.spot_advisor is not None:
        from pricing.errors import SourceError
        from pricing.sources.aws_spot import SpotAdvisor

        try:
            advisor = SpotAdvisor.load(settings.spot_advisor)
        except SourceError as error:
            raise PlacementError(
                f"spec.prices.spotAdvisor: {error} (got {settings.spot_advisor}); give the "
                "spot-advisor-data.json feed behind aws.amazon.com/ec2/spot/instance-advisor "
                "or remove spotAdvisor"
            ) from error
    applied = apply_interruption_rates(catalog, settings.interruption_rates, advisor=advisor)
    return applied.catalog, applied.warnings


def scenario_regions(scenario: Scenario) -> dict[str, list[str]]:
    """cloud → the regions the scenario's clusters are in (what a live refresh for it must fetch).

    Private and other non-public clouds are left out: their offers come from price files.
    """
    regions: dict[str, set[str]] = {}
    for cluster in scenario.clusters:
        if cluster.cloud in ("aws", "gcp", "azure"):
            regions.setdefault(cluster.cloud, set()).add(cluster.region)
    return {cloud: sorted(names) for cloud, names in sorted(regions.items())}
