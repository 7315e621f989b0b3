"""Spot interruption rates on a catalog's spot offers, before `solve()` prices spot risk with them.

A rate is the fraction of spot capacity reclaimed per month (the AWS Spot Instance Advisor's unit).
The model charges ``riskAversion × rate × replica price`` per spot replica-hour (see `placement.solver.formulation`).
Which rate an offer gets, first match wins:

1. the scenario's `prices.interruptionRates` — the most specific rule for the offer's cloud:
   region and family, then region, then family, then the cloud alone;
2. the AWS Spot Instance Advisor feed named by `prices.spotAdvisor` (per region and instance type);
3. the rate the offer already carries (live AWS source with an advisor feed, a price file's
   `interruption_rate` column, or the embedded catalog's spot model);
4. the documented spot-model default of its cloud and instance category
   (`pricing.spot_model.DEFAULT_SPOT_MODEL`; see docs/spot-risk.md) — live GCP/Azure/AWS offers
   arrive without a rate, and get the same default the embedded catalog uses;
5. otherwise (custom providers) none: `placement.solver.replica_price.DEFAULT_INTERRUPTION_RATE` applies.

Pure: a catalog and rules in, a new catalog out (`Offer`s are replaced, never mutated).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from placement.scenario import InterruptionRate
from pricing import CapacityType, Catalog, Offer
from pricing.spot_model import DEFAULT_SPOT_MODEL, SpotModel

HOURS_PER_MONTH = 730.0  # the clouds' billing month (AWS, GCP and Azure all price a month as 730 h)


class RateLookup(Protocol):
    """Anything that knows an interruption rate by (region, instance type), like `SpotAdvisor`."""

    def rate(self, region: str, instance_type: str) -> float | None: ...


def monthly_from_hourly(rate_per_hour: float) -> float:
    """A per-node-hour reclaim probability as the fraction reclaimed over a 730-hour month."""
    if not 0.0 <= rate_per_hour <= 1.0:
        raise ValueError(f"rate_per_hour={rate_per_hour!r} must be a probability between 0 and 1")
    return 1.0 - (1.0 - rate_per_hour) ** HOURS_PER_MONTH


@dataclass(frozen=True, slots=True)
class AppliedRates:
    """The catalog with rates applied, how many spot offers took each kind of rate, and warnings."""

    catalog: Catalog
    counts: Mapping[str, int]  # "scenario" | "advisor" | "offer" | "default" | "none" -> spot offers
    warnings: tuple[str, ...] = ()


def rule_for(rules: Sequence[InterruptionRate], offer: Offer) -> InterruptionRate | None:
    """The most specific rule matching the offer (region+family > region > family > cloud), or None."""
    return _RuleIndex(rules).match(offer)


class _RuleIndex:
    def __init__(self, rules: Iterable[InterruptionRate]) -> None:
        self._by_key = {(r.cloud, r.region, r.family.lower() if r.family else None): r for r in rules}

    def match(self, offer: Offer) -> InterruptionRate | None:
        family = offer.family.lower()
        for key in (
            (offer.cloud, offer.region, family),
            (offer.cloud, offer.region, None),
            (offer.cloud, None, family),
            (offer.cloud, None, None),
        ):
            found = self._by_key.get(key)
            if found is not None:
                return found
        return None


def apply_interruption_rates(
    catalog: Catalog,
    rules: Sequence[InterruptionRate] = (),
    *,
    advisor: RateLookup | None = None,
    spot_model: SpotModel = DEFAULT_SPOT_MODEL,
) -> AppliedRates:
    """Set `interruption_rate` on every spot offer by the precedence in the module docstring."""
    index = _RuleIndex(rules)
    used: set[InterruptionRate] = set()
    counts = {"scenario": 0, "advisor": 0, "offer": 0, "default": 0, "none": 0}
    changed = False
    offers: list[Offer] = []
    for offer in catalog:
        if offer.capacity_type is not CapacityType.SPOT:
            offers.append(offer)
            continue
        rate, kind = _rate(offer, index, advisor, spot_model, used)
        counts[kind] += 1
        if rate != offer.interruption_rate:
            offer = dataclasses.replace(offer, interruption_rate=rate)
            changed = True
        offers.append(offer)
    warnings = tuple(
        f"prices.interruptionRates rule {_describe(r)} matched no spot offer in the catalog: check its cloud, "
        "region and family (families are written as in instanceFamilies, e.g. m7i, n2, Dsv5)"
        for r in rules
        if r not in used
    )
    result = (
        Catalog(offers, fetched_at=catalog.fetched_at, schema_version=catalog.schema_version) if changed else catalog
    )
    return AppliedRates(result, counts, warnings)


def _rate(
    offer: Offer, index: _RuleIndex, advisor: RateLookup | None, spot_model: SpotModel, used: set[InterruptionRate]
) -> tuple[float | None, str]:
    rule = index.match(offer)
    if rule is not None:
        used.add(rule)
        return rule.monthly, "scenario"
    if advisor is not None and offer.cloud == "aws":
        listed = advisor.rate(offer.region, offer.instance_type)
        if listed is not None:
            return listed, "advisor"
    if offer.interruption_rate is not None:
        return offer.interruption_rate, "offer"
    try:
        return spot_model.interruption_rate(offer.cloud, offer.instance_type), "default"
    except KeyError:
        return None, "none"


def _describe(rule: InterruptionRate) -> str:
    parts = [f"cloud={rule.cloud}"]
    if rule.region:
        parts.append(f"region={rule.region}")
    if rule.family:
        parts.append(f"family={rule.family}")
    return "{" + ", ".join(parts) + "}"
