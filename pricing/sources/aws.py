"""AWS prices: on-demand from the Price List Query API, spot per zone from EC2 spot price history.

Per region (REFERENCE.md §4.1-4.2):
1. ``pricing.get_products(ServiceCode="AmazonEC2", Filters=TERM_MATCH regionCode, operatingSystem=Linux,
   tenancy=Shared, preInstalledSw=NA, capacitystatus=Used, MaxResults=100)``, paged by ``NextToken``;
   gives the on-demand price and the specs (vCPUs, memory, GPUs) of each instance type.
2. ``ec2.describe_spot_price_history(StartTime=now, ProductDescriptions=["Linux/UNIX"], MaxResults=1000)``
   against that region's EC2 endpoint, paged; gives the current spot price per availability zone.
   Spot offers take their specs from step 1 (types without an on-demand product are dropped).
3. Optionally, interruption rates from a Spot Instance Advisor feed (`SpotAdvisor`).

Clients are injected (``pricing_client``, ``ec2_client_for(region)``), so tests pass moto or
botocore-Stubber clients. Every page goes through `RetryPolicy`: throttling codes, HTTP 429/5xx and
timeouts are retried with backoff and jitter; anything else fails the region with a `SourceFetchError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from pricing.errors import SourceFetchError
from pricing.offer import CapacityType, Offer, new_offer
from pricing.sources.aws_products import ProductError, ProductPrice, parse_products
from pricing.sources.aws_spot import SpotAdvisor, parse_spot_history
from pricing.sources.regions import region_hint
from pricing.sources.retry import OnRetry, RetryPolicy, TransientError

ON_DEMAND_SOURCE = "aws:pricing-api"
SPOT_SOURCE = "aws:spot-price-history"

_THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "EC2ThrottledException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalError",
    "InternalFailure",
    "Unavailable",
}
_MAX_PAGES = 10_000


def product_filters(region: str) -> list[dict[str, str]]:
    """The ``get_products`` filters for Linux, shared-tenancy, no-software, used-capacity prices."""
    wanted = {
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
    }
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in wanted.items()]


class AwsSource:
    """`PriceSource` for AWS EC2 (on-demand and spot)."""

    name = ON_DEMAND_SOURCE
    cloud = "aws"
    regional = True

    def __init__(
        self,
        *,
        pricing_client: Any,
        ec2_client_for: Callable[[str], Any] | None,
        advisor: SpotAdvisor | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        products_page_size: int = 100,
    ) -> None:
        self.pricing_client = pricing_client
        self.ec2_client_for = ec2_client_for  # None: on-demand only
        self.advisor = advisor
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.products_page_size = products_page_size

    @classmethod
    def from_environment(
        cls,
        *,
        advisor: SpotAdvisor | None = None,
        retry: RetryPolicy | None = None,
        pricing_region: str = "us-east-1",
        timeout_s: float = 30.0,
    ) -> AwsSource:
        """Clients from boto3's default credential chain (env, profile, IRSA, EKS Pod Identity).

        boto3's own retries are off (``total_max_attempts=1``) so throttling is retried, and counted, once:
        by `RetryPolicy`. ``AWS_ENDPOINT_URL_PRICING`` / ``AWS_ENDPOINT_URL_EC2`` redirect the calls.
        """
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=timeout_s, read_timeout=timeout_s
        )
        session = boto3.session.Session()
        lock = threading.Lock()
        clients: dict[str, Any] = {}

        def ec2_client_for(region: str) -> Any:
            with lock:  # creating clients from one session is not thread-safe; using them is
                if region not in clients:
                    clients[region] = session.client("ec2", region_name=region, config=config)
                return clients[region]

        with lock:
            pricing_client = session.client("pricing", region_name=pricing_region, config=config)
        return cls(pricing_client=pricing_client, ec2_client_for=ec2_client_for, advisor=advisor, retry=retry)

    # -- PriceSource -----------------------------------------------------------------------
    def fetch(self, regions: Sequence[str], *, on_retry: OnRetry | None = None) -> list[Offer]:
        offers: list[Offer] = []
        for region in regions:
            offers.extend(self.fetch_region(region, on_retry=on_retry))
        return offers

    def fetch_region(self, region: str, *, on_retry: OnRetry | None = None) -> list[Offer]:
        as_of = self.clock()
        try:
            products: dict[str, ProductPrice] = {}
            for page in self._product_pages(region, on_retry):
                for instance_type, price in parse_products(page, region=region).items():
                    known = products.get(instance_type)
                    if known is None or price.hourly_usd < known.hourly_usd:
                        products[instance_type] = price
        except ProductError as error:
            raise SourceFetchError(ON_DEMAND_SOURCE, region, str(error)) from error
        if not products:
            raise SourceFetchError(
                ON_DEMAND_SOURCE,
                region,
                f"no Linux on-demand prices returned{region_hint('aws', region)}; check the region name",
            )
        offers = [self._on_demand_offer(region, p, as_of) for p in products.values()]
        if self.ec2_client_for is not None:
            offers.extend(self._spot_offers(region, products, as_of, on_retry))
        return offers

    # -- on-demand ---------------------------------------------------------------------------
    def _product_pages(self, region: str, on_retry: OnRetry | None) -> Iterator[list[str]]:
        request: dict[str, Any] = {
            "ServiceCode": "AmazonEC2",
            "Filters": product_filters(region),
            "FormatVersion": "aws_v1",
            "MaxResults": self.products_page_size,
        }
        yield from self._pages(
            lambda r: self.pricing_client.get_products(**r),
            request,
            "PriceList",
            source=ON_DEMAND_SOURCE,
            region=region,
            on_retry=on_retry,
        )

    def _on_demand_offer(self, region: str, price: ProductPrice, as_of: datetime) -> Offer:
        return new_offer(
            cloud="aws",
            region=region,
            instance_type=price.instance_type,
            capacity_type=CapacityType.ON_DEMAND,
            vcpus=price.vcpus,
            memory_gib=price.memory_gib,
            gpus=price.gpus,
            hourly_usd=price.hourly_usd,
            source=ON_DEMAND_SOURCE,
            as_of=as_of,
        )

    # -- spot --------------------------------------------------------------------------------
    def _spot_offers(
        self, region: str, products: dict[str, ProductPrice], as_of: datetime, on_retry: OnRetry | None
    ) -> list[Offer]:
        assert self.ec2_client_for is not None
        client = self.ec2_client_for(region)
        request: dict[str, Any] = {"StartTime": as_of, "ProductDescriptions": ["Linux/UNIX"], "MaxResults": 1000}
        items: list[dict[str, Any]] = []
        for page in self._pages(
            lambda r: client.describe_spot_price_history(**r),
            request,
            "SpotPriceHistory",
            source=SPOT_SOURCE,
            region=region,
            on_retry=on_retry,
        ):
            items.extend(page)
        try:
            prices = parse_spot_history(items)
        except (KeyError, ValueError, TypeError) as error:
            raise SourceFetchError(SPOT_SOURCE, region, f"malformed spot price item: {error!r}") from error
        offers = []
        for (instance_type, zone), hourly_usd in prices.items():
            spec = products.get(instance_type)
            if spec is None or hourly_usd <= 0:
                continue
            rate = self.advisor.rate(region, instance_type) if self.advisor is not None else None
            offers.append(
                new_offer(
                    cloud="aws",
                    region=region,
                    zone=zone,
                    instance_type=instance_type,
                    capacity_type=CapacityType.SPOT,
                    vcpus=spec.vcpus,
                    memory_gib=spec.memory_gib,
                    gpus=spec.gpus,
                    hourly_usd=hourly_usd,
                    interruption_rate=rate,
                    source=SPOT_SOURCE,
                    as_of=as_of,
                )
            )
        return offers

    # -- paging and retries ------------------------------------------------------------------
    def _pages(
        self,
        call: Callable[[dict[str, Any]], dict[str, Any]],
        request: dict[str, Any],
        result_key: str,
        *,
        source: str,
        region: str,
        on_retry: OnRetry | None,
    ) -> Iterator[list[Any]]:
        token: str | None = None
        seen: set[str] = set()
        for number in range(1, _MAX_PAGES + 1):
            kwargs = dict(request, NextToken=token) if token else dict(request)
            what = f"{source} {region} page {number}"
            try:
                response = self.retry.call(lambda kw=kwargs: _classified(call, kw), what=what, on_retry=on_retry)
            except TransientError as error:
                raise SourceFetchError(source, region, f"page {number}: {error}") from error
            except NoCredentialsError as error:
                raise SourceFetchError(
                    source,
                    region,
                    "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run "
                    "with IRSA / EKS Pod Identity (needs pricing:GetProducts and ec2:DescribeSpotPriceHistory)",
                ) from error
            except ClientError as error:
                info = error.response.get("Error", {})
                raise SourceFetchError(
                    source, region, f"page {number}: {info.get('Code', 'error')}: {info.get('Message', error)}"
                ) from error
            except BotoCoreError as error:
                raise SourceFetchError(source, region, f"page {number}: {error}") from error
            page = response.get(result_key)
            if not isinstance(page, list):
                raise SourceFetchError(source, region, f"page {number}: response has no `{result_key}` list")
            yield page
            token = response.get("NextToken") or None
            if token is None:
                return
            if token in seen:
                raise SourceFetchError(source, region, f"page {number}: the API repeated a NextToken (paging loop)")
            seen.add(token)
        raise SourceFetchError(source, region, f"more than {_MAX_PAGES} pages; giving up")


def _classified(call: Callable[[dict[str, Any]], dict[str, Any]], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Run one API call, turning throttling, 5xx and timeouts into `TransientError`."""
    try:
        return call(kwargs)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0
        if code in _THROTTLING or status == 429 or status >= 500:
            message = error.response.get("Error", {}).get("Message", "")
            raise TransientError(f"{code or 'HTTP ' + str(status)}: {message}".rstrip(": ")) from error
        raise
    except (ConnectTimeoutError, ReadTimeoutError) as error:
        raise TransientError(f"timed out: {error}") from error
    except (EndpointConnectionError, ConnectionClosedError) as error:
        raise TransientError(f"connection failed: {error}") from error
    except ResponseParserError as error:  # a truncated or garbled body (often a proxy's 5xx page)
        raise TransientError(f"unreadable response: {str(error).splitlines()[0]}") from error
