"""GCP prices from the Cloud Billing Catalog API: per-vCPU and per-GiB SKUs composed into machine types.

``GET {base_url}/v1/services/6F81-5844-456A/skus?currencyCode=USD&pageSize=5000[&pageToken=…]`` with an
API key (``key=``) or an OAuth bearer token (scope ``cloud-billing.readonly``), following
``nextPageToken`` (REFERENCE.md §4.4). The listing covers every region at once, so this source is not
regional: one listing per refresh, then each requested region is composed from it.

A SKU counts when ``category.resourceFamily == "Compute"``, ``usageType`` is ``OnDemand`` or
``Preemptible`` (Spot), its description reads ``[Spot Preemptible ]<family> [Instance ](Core|Ram) running in
<area>`` and does not mention Custom, Sole Tenancy, Commitment, Extended or Premium
(`pricing.sources.gcp_skus`, which also leaves the other SKUs of a page undecoded). Its regions are its
``serviceRegions`` (never the area words). Price = ``int(units) + nanos/1e9`` of the first tier of the
newest ``pricingInfo``. A machine type's hourly price = vCPUs × core price + GiB × RAM price, for the
shapes in `pricing.sources.gcp_shapes.SHAPES`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pricing.errors import SourceFetchError
from pricing.offer import CapacityType, Offer, new_offer
from pricing.sources.gcp_shapes import SHAPES
from pricing.sources.gcp_skus import read_page, sku_family
from pricing.sources.http import HttpClient, PageError, UrllibClient
from pricing.sources.regions import region_hint
from pricing.sources.retry import OnRetry, RetryPolicy, TransientError

SOURCE = "gcp:billing-catalog"
DEFAULT_BASE_URL = "https://cloudbilling.googleapis.com"
COMPUTE_SERVICE = "6F81-5844-456A"
_USAGE = {"OnDemand": CapacityType.ON_DEMAND, "Preemptible": CapacityType.SPOT}
_UNITS = {"Core": "h", "Ram": "GiBy.h"}
_MAX_PAGES = 10_000

#: (region, family, capacity type) → [USD per vCPU-hour, USD per GiB-hour]
Rates = dict[tuple[str, str, CapacityType], list[float | None]]


class CurrencyError(ValueError):
    """A SKU priced in a currency other than USD."""


def parse_skus(skus: Iterable[Mapping[str, Any]], *, regions: Iterable[str], into: Rates | None = None) -> Rates:
    """Per-vCPU and per-GiB rates by (region, family, capacity type) for the wanted regions.

    The first SKU seen for a key wins. Raises `CurrencyError` for a non-USD price and `KeyError` /
    `TypeError` for a SKU missing required fields.
    """
    wanted = set(regions)
    rates: Rates = {} if into is None else into
    for sku in skus:
        description = sku.get("description", "")
        if " running in " not in description:  # cheapest rejection first: most SKUs are not per-core/per-GiB
            continue
        category = sku["category"]
        if category.get("resourceFamily") != "Compute":
            continue
        capacity = _USAGE.get(category.get("usageType", ""))
        if capacity is None:
            continue
        parsed = sku_family(description)
        if parsed is None:
            continue
        family, resource = parsed
        if family not in SHAPES:
            continue
        in_regions = wanted.intersection(sku.get("serviceRegions") or ())
        if not in_regions:
            continue
        price = _unit_price(sku, expected_unit=_UNITS[resource])
        if price is None:
            continue
        slot = 0 if resource == "Core" else 1
        for region in in_regions:
            pair = rates.setdefault((region, family, capacity), [None, None])
            if pair[slot] is None:
                pair[slot] = price
    return rates


def _unit_price(sku: Mapping[str, Any], *, expected_unit: str) -> float | None:
    infos = sku.get("pricingInfo") or []
    if not infos:
        return None
    expression = infos[-1]["pricingExpression"]
    if expression.get("usageUnit") != expected_unit:
        return None
    tiers = [t for t in expression.get("tieredRates", ()) if float(t.get("startUsageAmount", 0)) == 0]
    if not tiers:
        return None
    unit_price = tiers[-1]["unitPrice"]
    currency = unit_price.get("currencyCode", "USD")
    if currency != "USD":
        what = f"SKU {sku.get('skuId', '?')} ({sku.get('description', '')})"
        raise CurrencyError(f"{what} is priced in {currency}, not USD")
    return int(unit_price.get("units") or 0) + int(unit_price.get("nanos") or 0) / 1e9


def compose(rates: Rates, *, as_of: datetime) -> list[Offer]:
    """Machine-type offers from per-vCPU and per-GiB rates (families with both rates only)."""
    offers: list[Offer] = []
    append = offers.append
    for (region, family, capacity), (core, ram) in rates.items():
        if core is None or ram is None:
            continue
        for shape in SHAPES[family]:
            hourly_usd = round(shape.vcpus * core + shape.memory_gib * ram, 9)
            append(
                new_offer(
                    "gcp", region, shape.name, capacity, float(shape.vcpus), shape.memory_gib, hourly_usd, SOURCE, as_of
                )
            )
    return offers


class GcpSource:
    """`PriceSource` for Compute Engine machine types via the Cloud Billing Catalog API."""

    name = SOURCE
    cloud = "gcp"
    regional = False

    def __init__(
        self,
        *,
        api_key: str | None = None,
        token_provider: Callable[[], str] | None = None,
        base_url: str = DEFAULT_BASE_URL,
        http: HttpClient | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        page_size: int = 5000,
    ) -> None:
        self.api_key = api_key
        self.token_provider = token_provider
        self.base_url = base_url.rstrip("/")
        self.http = http or UrllibClient()
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.page_size = page_size

    def fetch(self, regions: Sequence[str], *, on_retry: OnRetry | None = None) -> list[Offer]:
        where = ", ".join(regions)
        if self.api_key is None and self.token_provider is None:
            raise SourceFetchError(
                SOURCE,
                where,
                "no credentials: set PLACEMENT_GCP_API_KEY (an API key with the Cloud Billing API enabled) or use "
                "application default credentials / GKE Workload Identity; or leave GCP out with --cloud aws,azure",
            )
        as_of = self.clock()
        rates: Rates = {}
        for number, skus in enumerate(self._pages(where, on_retry), start=1):
            try:
                parse_skus(skus, regions=regions, into=rates)
            except CurrencyError as error:
                raise SourceFetchError(SOURCE, where, f"page {number}: {error}") from error
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
                raise SourceFetchError(
                    SOURCE, where, f"page {number}: malformed SKU ({type(error).__name__}: {error})"
                ) from error
        offers = compose(rates, as_of=as_of)
        covered = {o.region for o in offers}
        for region in regions:
            if region not in covered:
                raise SourceFetchError(
                    SOURCE,
                    region,
                    f"no machine-type prices could be composed (no per-vCPU and per-GiB SKUs list this region)"
                    f"{region_hint('gcp', region)}",
                )
        return offers

    def _pages(self, where: str, on_retry: OnRetry | None) -> Iterable[list[Mapping[str, Any]]]:
        token: str | None = None
        seen: set[str] = set()
        for number in range(1, _MAX_PAGES + 1):
            url, headers = self._request(token)
            try:
                body = self.retry.call(
                    lambda u=url, h=headers: self.http.get(u, h), what=f"{SOURCE} page {number}", on_retry=on_retry
                )
                skus, token = read_page(body)
            except (TransientError, PageError) as error:
                raise SourceFetchError(SOURCE, where, f"page {number}: {error}") from error
            yield skus
            if token is None:
                return
            if token in seen:
                raise SourceFetchError(SOURCE, where, f"page {number}: the API repeated a nextPageToken (paging loop)")
            seen.add(token)
        raise SourceFetchError(SOURCE, where, f"more than {_MAX_PAGES} pages; giving up")

    def _request(self, token: str | None) -> tuple[str, dict[str, str]]:
        query: dict[str, str] = {"currencyCode": "USD", "pageSize": str(self.page_size)}
        if token:
            query["pageToken"] = token
        headers: dict[str, str] = {}
        if self.api_key is not None:
            query["key"] = self.api_key
        elif self.token_provider is not None:
            headers["Authorization"] = f"Bearer {self.token_provider()}"
        url = f"{self.base_url}/v1/services/{COMPUTE_SERVICE}/skus?{urllib.parse.urlencode(query)}"
        return url, headers
