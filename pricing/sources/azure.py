"""Azure prices from the Retail Prices API (no authentication), one region per call.

``GET {base_url}?api-version=2023-01-01-preview&$filter=priceType eq 'Consumption' and currencyCode eq 'USD'
and serviceFamily eq 'Compute' and serviceName eq 'Virtual Machines' and armRegionName eq '<region>'``,
then follow ``NextPageLink`` until it is empty (REFERENCE.md §4.3, the query Karpenter's Azure
provider uses). Items of Windows products and ``Low Priority`` meters are dropped; a ``skuName`` ending
in ``Spot`` is spot, the rest on-demand; both are keyed by ``armSkuName``. The API has no vCPU or memory
fields, so sizes are resolved by `AzureSizeSpecs` (a table, then the size name); unresolved sizes are
skipped and counted in `AzureSource.skipped_sizes`.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from pricing.errors import SourceFetchError
from pricing.offer import CapacityType, Offer, new_offer
from pricing.sources.azure_page import RetailItem, RetailPage, read_page
from pricing.sources.azure_sizes import AzureSizeSpecs, SizeSpec
from pricing.sources.http import HttpClient, PageError, UrllibClient
from pricing.sources.regions import region_hint
from pricing.sources.retry import OnRetry, RetryPolicy, TransientError

SOURCE = "azure:retail-prices"
DEFAULT_BASE_URL = "https://prices.azure.com/api/retail/prices"
API_VERSION = "2023-01-01-preview"
_REGION = re.compile(r"^[a-z0-9]+$")
_MAX_PAGES = 10_000
_UNKNOWN = SizeSpec(0.0, 0.0)  # a sentinel: this size was not looked up yet


class CurrencyError(ValueError):
    """An item priced in a currency other than USD."""


#: (armSkuName, capacity type) → (effectiveStartDate, hourly USD); the date is ISO text, compared as text.
MeterPrices = dict[tuple[str, CapacityType], tuple[str, float]]


def region_url(base_url: str, region: str) -> str:
    """The first page's URL for one region (filter values are case-sensitive in this API version)."""
    odata = (
        "priceType eq 'Consumption' and currencyCode eq 'USD' and serviceFamily eq 'Compute' "
        f"and serviceName eq 'Virtual Machines' and armRegionName eq '{region}'"
    )
    query = urllib.parse.urlencode({"api-version": API_VERSION, "$filter": odata}, quote_via=urllib.parse.quote)
    return f"{base_url}?{query}"


def parse_items(
    items: Iterable[RetailItem],
    *,
    region: str,
    into: MeterPrices | None = None,
) -> MeterPrices:
    """Linux pay-as-you-go hourly prices by (armSkuName, capacity type), merged into `into`.

    Duplicates keep the newest ``effectiveStartDate`` (then the lower price). Raises `CurrencyError` for
    a non-USD item. The cheapest rejections come first: about two thirds of a region's items are
    Windows or Low Priority meters.
    """
    prices: MeterPrices = {} if into is None else into
    spot, on_demand = CapacityType.SPOT, CapacityType.ON_DEMAND
    for item in items:
        if item.productName.endswith(" Windows"):
            continue
        sku_name = item.skuName
        if sku_name.endswith("Low Priority") or item.meterName.endswith("Low Priority"):
            continue
        if item.type != "Consumption" or item.armRegionName != region:
            continue
        if item.unitOfMeasure != "1 Hour" or item.tierMinimumUnits:
            continue
        arm_sku = item.armSkuName
        if not arm_sku:
            continue
        if item.currencyCode != "USD":
            raise CurrencyError(f"{arm_sku} is priced in {item.currencyCode}, not USD")
        hourly_usd = item.retailPrice
        if hourly_usd <= 0:
            continue
        key = (arm_sku, spot if sku_name.endswith(" Spot") else on_demand)
        effective = item.effectiveStartDate or ""
        known = prices.get(key)
        if known is None or effective > known[0] or (effective == known[0] and hourly_usd < known[1]):
            prices[key] = (effective, hourly_usd)
    return prices


class AzureSource:
    """`PriceSource` for Azure VMs via the Retail Prices API."""

    name = SOURCE
    cloud = "azure"
    regional = True

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        http: HttpClient | None = None,
        specs: Callable[[str], SizeSpec | None] | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or UrllibClient()
        self.specs = specs or AzureSizeSpecs()
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.skipped_sizes: set[str] = set()

    def fetch(self, regions: Sequence[str], *, on_retry: OnRetry | None = None) -> list[Offer]:
        offers: list[Offer] = []
        for region in regions:
            offers.extend(self.fetch_region(region, on_retry=on_retry))
        return offers

    def fetch_region(self, region: str, *, on_retry: OnRetry | None = None) -> list[Offer]:
        if not _REGION.match(region):
            raise SourceFetchError(
                SOURCE, region, "an Azure region name is lowercase letters and digits, e.g. westeurope"
            )
        as_of = self.clock()
        prices: MeterPrices = {}
        url: str | None = region_url(self.base_url, region)
        seen: set[str] = set()
        number = 0
        while url:
            number += 1
            if number > _MAX_PAGES or url in seen:
                raise SourceFetchError(SOURCE, region, f"page {number}: NextPageLink loops; giving up")
            seen.add(url)
            document = self._page(url, region, number, on_retry)
            try:
                parse_items(document.Items, region=region, into=prices)
            except CurrencyError as error:
                raise SourceFetchError(SOURCE, region, f"page {number}: {error}") from error
            url = document.NextPageLink or None
        offers = self._offers(region, prices, as_of)
        if not offers:
            raise SourceFetchError(
                SOURCE,
                region,
                f"no Linux VM prices returned ({number} page(s)){region_hint('azure', region)}; check the region name",
            )
        return offers

    def _page(self, url: str, region: str, number: int, on_retry: OnRetry | None) -> RetailPage:
        try:
            body = self.retry.call(
                lambda: self.http.get(url), what=f"{SOURCE} {region} page {number}", on_retry=on_retry
            )
            document = read_page(body)
        except (TransientError, PageError) as error:
            raise SourceFetchError(SOURCE, region, f"page {number}: {error}") from error
        currency = document.BillingCurrency
        if currency != "USD":
            raise SourceFetchError(SOURCE, region, f"page {number}: prices are in {currency}, not USD")
        return document

    def _offers(self, region: str, prices: MeterPrices, as_of: datetime) -> list[Offer]:
        offers: list[Offer] = []
        append = offers.append
        specs: dict[str, SizeSpec | None] = {}  # one lookup per size, shared by its on-demand and spot meters
        for (arm_sku, capacity), (_, hourly_usd) in prices.items():
            spec = specs.get(arm_sku, _UNKNOWN)
            if spec is _UNKNOWN:
                spec = specs[arm_sku] = self.specs(arm_sku)
            if spec is None:
                self.skipped_sizes.add(arm_sku)
                continue
            append(
                new_offer(
                    "azure",
                    region,
                    arm_sku,
                    capacity,
                    spec.vcpus,
                    spec.memory_gib,
                    hourly_usd,
                    SOURCE,
                    as_of,
                    None,
                    spec.gpus,
                )
            )
        return offers
