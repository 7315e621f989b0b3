"""Refresh: concurrency, retries counted, all-or-nothing, merge; and 3 clouds × 10 regions on local endpoints."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from builders import Fault, LocalAws, LocalClouds, make_offer

from pricing.cache import save_catalog
from pricing.catalog import Catalog
from pricing.errors import RefreshFailed, SourceError, SourceFetchError
from pricing.offer import CapacityType, Offer
from pricing.refresh import RefreshRequest, assign_regions, live_refresher, refresh_catalog
from pricing.sources import OnRetry, RetryEvent
from pricing.sources.aws import AwsSource
from pricing.sources.azure import AzureSource
from pricing.sources.gcp import GcpSource
from pricing.sources.http import UrllibClient
from pricing.sources.regions import DEFAULT_REGIONS
from pricing.sources.registry import SourceSettings
from pricing.sources.retry import RetryPolicy

NOW = datetime(2025, 6, 1, tzinfo=UTC)


class FakeSource:
    """A regional source whose regions answer with one offer, after `retries` retry events, or fail."""

    def __init__(
        self, cloud: str, *, fail: Sequence[str] = (), retries: int = 0, delay_s: float = 0.0, regional: bool = True
    ) -> None:
        self.name, self.cloud, self.regional = f"{cloud}:fake", cloud, regional
        self.fail, self.retries, self.delay_s = set(fail), retries, delay_s
        self.calls: list[tuple[str, ...]] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def fetch(self, regions: Sequence[str], *, on_retry: OnRetry | None = None) -> list[Offer]:
        with self._lock:
            self.calls.append(tuple(regions))
            self.threads.add(threading.current_thread().name)
        time.sleep(self.delay_s)
        for attempt in range(1, self.retries + 1):
            if on_retry:
                on_retry(RetryEvent(f"{self.name} {regions[0]}", attempt, "HTTP 429", 0.0))
        for region in regions:
            if region in self.fail:
                raise SourceFetchError(self.name, region, "HTTP 503 (gave up after 5 attempts)")
        return [make_offer(cloud=self.cloud, region=r, instance_type="t.1", hourly_usd=0.2, as_of=NOW) for r in regions]


def test_regional_sources_are_called_once_per_region_concurrently() -> None:
    aws = FakeSource("aws", delay_s=0.05, retries=1)
    gcp = FakeSource("gcp", regional=False)
    requests = [RefreshRequest(aws, ("a", "b", "c", "d")), RefreshRequest(gcp, ("x", "y"))]
    result = refresh_catalog(requests, max_workers=4)
    assert sorted(aws.calls) == [("a",), ("b",), ("c",), ("d",)] and gcp.calls == [("x", "y")]
    assert len(aws.threads) > 1
    assert result.catalog.regions() == {("aws", r) for r in "abcd"} | {("gcp", "x"), ("gcp", "y")}
    summary = {s.source: s for s in result.summaries}
    assert (summary["aws:fake"].offers, summary["aws:fake"].regions_ok, summary["aws:fake"].retries) == (4, 4, 4)
    assert summary["gcp:fake"].errors == () and summary["aws:fake"].duration_s > 0


def test_refreshed_regions_replace_old_offers_and_others_are_kept() -> None:
    old = Catalog(
        [
            make_offer(cloud="aws", region="a", instance_type="gone", as_of=datetime(2025, 1, 1, tzinfo=UTC)),
            make_offer(cloud="aws", region="z", instance_type="kept"),
            make_offer(cloud="gcp", region="a", instance_type="other-cloud"),
        ]
    )
    result = refresh_catalog([RefreshRequest(FakeSource("aws"), ("a",))], previous=old, clock=lambda: NOW)
    assert sorted((o.cloud, o.region, o.instance_type) for o in result.catalog) == [
        ("aws", "a", "t.1"),
        ("aws", "z", "kept"),
        ("gcp", "a", "other-cloud"),
    ]
    assert result.catalog.fetched_at == NOW


def test_any_failed_region_fails_the_whole_refresh_naming_source_and_region() -> None:
    progress = _Recorder()
    requests = [
        RefreshRequest(FakeSource("aws"), ("a", "b")),
        RefreshRequest(FakeSource("azure", fail=["w2"]), ("w1", "w2")),
    ]
    expected = r"cached catalog was left unchanged: azure:fake: region w2: HTTP 503"
    with pytest.raises(RefreshFailed, match=expected) as info:
        refresh_catalog(requests, fail_fast=False, progress=progress)
    summary = {s.source: s for s in info.value.summaries}  # type: ignore[attr-defined]
    assert summary["azure:fake"].regions_ok == 1 and summary["azure:fake"].errors
    assert summary["aws:fake"].regions_ok == 2
    assert progress.total == 4 and progress.steps == 4 and progress.finished


def test_fail_fast_stops_starting_new_regions() -> None:
    source = FakeSource("aws", fail=["r0"], delay_s=0.02)
    regions = tuple(f"r{i}" for i in range(20))
    with pytest.raises(RefreshFailed):
        refresh_catalog([RefreshRequest(source, regions)], max_workers=1)
    assert len(source.calls) < len(regions)


def test_an_offer_for_a_region_not_asked_for_is_an_error() -> None:
    class Stray(FakeSource):
        def fetch(self, regions: Sequence[str], *, on_retry: OnRetry | None = None) -> list[Offer]:
            return [make_offer(cloud="aws", region="elsewhere", as_of=NOW)]

    with pytest.raises(RefreshFailed, match="aws:fake: region elsewhere: returned an offer of aws/elsewhere"):
        refresh_catalog([RefreshRequest(Stray("aws"), ("a",))])


def test_a_source_bug_is_reported_with_source_and_region_not_a_traceback() -> None:
    class Buggy(FakeSource):
        def fetch(self, regions: Sequence[str], *, on_retry: OnRetry | None = None) -> list[Offer]:
            raise ZeroDivisionError("division by zero")

    with pytest.raises(RefreshFailed, match="aws:fake: region a: ZeroDivisionError: division by zero"):
        refresh_catalog([RefreshRequest(Buggy("aws"), ("a",))])


class _Recorder:
    def __init__(self) -> None:
        self.total, self.steps, self.finished = 0, 0, False
        self._lock = threading.Lock()

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, label: str, steps: int = 1) -> None:
        with self._lock:
            self.steps += steps

    def finish(self) -> None:
        self.finished = True


# == 3 clouds × 10 regions against local endpoints =====================================================
AWS_TYPES = [
    f"{fam}.{size}"
    for fam in ("m5", "c5", "r5", "m6i", "c6i", "r6i", "m7i", "c7i", "r7i", "t3")
    for size in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")
]
AZURE_SIZES = [
    f"Standard_{s}{n}{f}_v5"
    for s in ("D", "E")
    for f in ("s", "ds", "as", "ads", "ls")
    for n in (2, 4, 8, 16, 32, 48, 64)
] + [f"Standard_F{n}s_v2" for n in (2, 4, 8, 16, 32, 48, 64, 72)]
GCP_FAMILIES = {
    "n2": "N2",
    "n2d": "N2D AMD",
    "e2": "E2",
    "c2": "Compute optimized",
    "n1": "N1 Predefined",
    "c3": "C3",
    "t2d": "T2D AMD",
    "n4": "N4",
}


def aws_source(local: LocalAws, retry: RetryPolicy) -> AwsSource:
    """An `AwsSource` whose boto3 clients talk to the local endpoints."""
    config = Config(retries={"total_max_attempts": 1}, read_timeout=2, connect_timeout=2)
    kwargs = {"aws_access_key_id": "k", "aws_secret_access_key": "s", "config": config}
    pricing = boto3.client("pricing", region_name="us-east-1", endpoint_url=local.url("pricing"), **kwargs)
    ec2 = {
        r: boto3.client("ec2", region_name=r, endpoint_url=local.url("ec2"), **kwargs) for r in DEFAULT_REGIONS["aws"]
    }
    return AwsSource(pricing_client=pricing, ec2_client_for=ec2.__getitem__, retry=retry, clock=lambda: NOW)


@pytest.fixture
def local_clouds(httpserver: Any) -> dict[str, Any]:
    local = LocalClouds(httpserver, aws_types=AWS_TYPES, azure_sizes=AZURE_SIZES, gcp_families=GCP_FAMILIES)
    assert local.pages == {"aws": 3 + 2, "azure": 4, "gcp": 5}  # realistic page counts, paging exercised
    retry = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02)
    sources = {
        "aws": aws_source(local.aws, retry),
        "azure": AzureSource(
            base_url=local.azure.url(), http=UrllibClient(timeout_s=2), retry=retry, clock=lambda: NOW
        ),
        "gcp": GcpSource(
            api_key="k",
            base_url=httpserver.url_for("/"),
            http=UrllibClient(timeout_s=2),
            retry=retry,
            clock=lambda: NOW,
        ),
    }
    return {"aws": local.aws, "azure": local.azure, "gcp": local.gcp, "sources": sources}


def _requests(sources: dict[str, Any]) -> list[RefreshRequest]:
    return [RefreshRequest(sources[c], DEFAULT_REGIONS[c]) for c in ("aws", "azure", "gcp")]


def test_three_clouds_by_ten_regions_refresh_completely(local_clouds: dict[str, Any], tmp_path: Path) -> None:
    local_clouds["azure"].script["westeurope:2"][:0] = [Fault(429)]  # a throttle mid-refresh is absorbed
    local_clouds["aws"].faults[("pricing", "eu-west-1", "1")] = [Fault(500, '{"__type": "InternalError"}')]
    result = refresh_catalog(_requests(local_clouds["sources"]), max_workers=8)
    catalog = result.catalog
    for cloud in ("aws", "azure", "gcp"):
        assert {r for c, r in catalog.regions() if c == cloud} == set(DEFAULT_REGIONS[cloud])
    per_region = {(c, r): len(catalog.in_region(c, r)) for c, r in catalog.regions()}
    assert all(n == len(AWS_TYPES) * 4 for (c, _), n in per_region.items() if c == "aws")  # od + 3 zones of spot
    assert all(n == len(AZURE_SIZES) * 2 for (c, _), n in per_region.items() if c == "azure")
    assert {o.capacity_type for o in catalog} == {CapacityType.ON_DEMAND, CapacityType.SPOT}
    summary = {s.cloud: s for s in result.summaries}
    assert summary["azure"].retries == 1 and summary["aws"].retries == 1 and summary["gcp"].retries == 0
    assert all(s.regions_ok == 10 and not s.errors for s in result.summaries)
    save_catalog(catalog, tmp_path / "catalog.json")
    assert len(Catalog.load(tmp_path / "catalog.json")) == len(catalog)


EC2_UNAVAILABLE = (
    "<Response><Errors><Error><Code>Unavailable</Code><Message>try later</Message></Error></Errors>"
    "<RequestID>r</RequestID></Response>"
)


@pytest.mark.parametrize(
    ("cloud", "fault", "message"),
    [
        ("azure", ("japaneast:3", Fault(503)), r"azure:retail-prices: region japaneast: page 3: HTTP 503"),
        ("azure", ("uksouth:2", Fault(200, '{"Items": [{"arm')), r"region uksouth: page 2: malformed or truncated"),
        ("gcp", ("t3", Fault(500)), r"gcp:billing-catalog: region us-central1, .*: page 4: HTTP 500"),
        (
            "aws",
            (("ec2", "eu-north-1", "1"), Fault(503, EC2_UNAVAILABLE)),
            r"aws:spot-price-history: region eu-north-1: page 2: Unavailable: try later \(gave up after 3 attempts\)",
        ),
        (
            "aws",
            (("pricing", "us-east-2", "2"), Fault(400, '{"__type": "AccessDeniedException", "message": "no"}')),
            r"aws:pricing-api: region us-east-2: page 3: AccessDeniedException: no",
        ),
    ],
)
def test_a_fault_mid_refresh_fails_whole_and_leaves_the_cache_byte_identical(
    local_clouds: dict[str, Any], tmp_path: Path, cloud: str, fault: tuple[Any, Fault], message: str
) -> None:
    path = tmp_path / "catalog.json"
    save_catalog(Catalog([make_offer()], fetched_at=NOW), path)
    before = path.read_bytes()
    key, response = fault
    if cloud == "aws":
        local_clouds["aws"].faults[key] = [response] * 3  # every attempt
    else:
        local_clouds[cloud].script[key] = [response]
    with pytest.raises(RefreshFailed, match=message):
        result = refresh_catalog(_requests(local_clouds["sources"]), max_workers=8)
        save_catalog(result.catalog, path)  # never reached
    assert path.read_bytes() == before


# -- which regions a refresh asks of which cloud -----------------------------------------------------
def test_regions_are_assigned_to_the_cloud_that_knows_them() -> None:
    assert assign_regions(None, ["eu-west-1", "westeurope", "europe-west1"]) == {
        "aws": ("eu-west-1",),
        "azure": ("westeurope",),
        "gcp": ("europe-west1",),
    }
    assert assign_regions(["aws"], ["eu-west-99"]) == {"aws": ("eu-west-99",)}  # one cloud: asked as given
    assert assign_regions(["gcp"], None) == {"gcp": DEFAULT_REGIONS["gcp"]}
    with pytest.raises(SourceError, match="'mars-1' is not a known region of aws, gcp"):
        assign_regions(["aws", "gcp"], ["mars-1"])


def test_live_refresher_builds_sources_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_ENDPOINT_URL_PRICING": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)  # nothing listens on port 9: connection refused
    results: list[Any] = []
    settings = SourceSettings(retry=RetryPolicy(max_attempts=1), timeout_s=1)
    refresh = live_refresher({"aws": ("eu-west-1",)}, settings=settings, on_result=results.append)
    with pytest.raises(RefreshFailed, match=r"aws:pricing-api: region eu-west-1: page 1: connection failed"):
        refresh(None)
    assert results == []
