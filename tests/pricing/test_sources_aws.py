"""AWS source: Price List products (botocore Stubber: moto has no `pricing` service) + spot history (moto)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from builders import aws_product
from moto import mock_aws

from pricing.errors import SourceError, SourceFetchError
from pricing.offer import CapacityType
from pricing.sources.aws import AwsSource, product_filters
from pricing.sources.aws_products import ProductError, parse_product, parse_products
from pricing.sources.aws_spot import SpotAdvisor, bucket_midpoint, parse_spot_history
from pricing.sources.retry import NO_WAIT, RetryEvent

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "prices"
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)

#: A hand-written Spot Instance Advisor feed of the real file's shape (tiny).
ADVISOR_SAMPLE = {
    "instance_types": {"m5.large": {"emr": True, "cores": 2, "ram_gb": 8.0}},
    "ranges": [
        {"index": 0, "label": "<5%", "dots": 0, "max": 5},
        {"index": 1, "label": "5-10%", "dots": 1, "max": 11},
        {"index": 2, "label": "10-15%", "dots": 2, "max": 16},
        {"index": 3, "label": "15-20%", "dots": 3, "max": 22},
        {"index": 4, "label": ">20%", "dots": 4, "max": 100},
    ],
    "spot_advisor": {
        "us-east-1": {
            "Linux": {"m5.large": {"s": 61, "r": 1}, "c5.xlarge": {"s": 55, "r": 4}},
            "Windows": {"m5.large": {"s": 40, "r": 0}},
        },
    },
    "global_rate": "<10%",
}


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


# -- product parsing -------------------------------------------------------------------------------
def test_real_get_products_sample_parses_to_the_documented_price() -> None:
    sample = SHARED / "aws_api_samples" / "PricingGetProducts_m5.large.json"
    if not sample.exists():
        pytest.skip("../shared/data is not available")
    price = parse_product(sample.read_text(), region="us-east-1")  # pretty-printed, has Reserved terms too
    assert price is not None
    assert (price.instance_type, price.vcpus, price.memory_gib, price.hourly_usd) == ("m5.large", 2, 8, 0.096)


@pytest.mark.parametrize("indent", [None, 2])  # compact (fast path) and pretty-printed JSON must agree
def test_fast_and_full_parse_agree(indent: int | None) -> None:
    text = aws_product("p3.2xlarge", vcpu="8", memory="61 GiB", gpu="1", hourly="3.0600000000", indent=indent)
    price = parse_product(text, region="us-east-1")
    full = json.loads(text)["terms"]["OnDemand"]
    (term,) = full.values()
    (dimension,) = term["priceDimensions"].values()
    assert price is not None
    assert price.hourly_usd == float(dimension["pricePerUnit"]["USD"])
    assert (price.vcpus, price.memory_gib, price.gpus) == (8, 61, 1)


def test_a_brace_inside_an_attribute_value_is_read_correctly() -> None:
    text = aws_product("m5.large").replace('"location":"Somewhere"', '"location":"Some}where {x}"')
    assert json.loads(text)["product"]["attributes"]["location"] == "Some}where {x}"
    price = parse_product(text, region="us-east-1")
    assert price is not None and (price.vcpus, price.memory_gib, price.hourly_usd) == (2, 8, 0.096)


@pytest.mark.parametrize(
    ("product", "reason"),
    [
        (aws_product(os_name="Windows"), "another OS"),
        (aws_product(region="eu-west-1"), "another region"),
        (aws_product(hourly="0.0000000000"), "zero price (not offered)"),
        (aws_product(memory="NA"), "no memory figure"),
    ],
)
def test_products_that_are_not_priced_linux_instances_are_skipped(product: str, reason: str) -> None:
    assert parse_product(product, region="us-east-1") is None, reason


def test_price_in_another_currency_is_an_error_naming_it() -> None:
    with pytest.raises(ProductError, match=r"m5\.large is priced in CNY, not USD"):
        parse_product(aws_product(currency="CNY"), region="us-east-1")


def test_malformed_product_is_an_error() -> None:
    with pytest.raises(ProductError, match="malformed PriceList product"):
        parse_product(aws_product()[:200], region="us-east-1")


def test_duplicate_types_keep_the_lowest_price_and_memory_units_are_read() -> None:
    prices = parse_products(
        [
            aws_product("t3.nano", memory="0.5 GiB", hourly="0.0060"),
            aws_product("t3.nano", memory="0.5 GiB", hourly="0.0052"),
            aws_product("x2iedn.32xlarge", vcpu="128", memory="4,096 GiB", hourly="26.676"),
        ],
        region="us-east-1",
    )
    assert prices["t3.nano"].hourly_usd == 0.0052
    assert prices["t3.nano"].memory_gib == 0.5
    assert prices["x2iedn.32xlarge"].memory_gib == 4096


# -- spot history and advisor ----------------------------------------------------------------------
def test_spot_history_keeps_the_newest_linux_price_per_type_and_zone() -> None:
    items = [
        {
            "AvailabilityZone": "us-east-1a",
            "InstanceType": "m5.large",
            "ProductDescription": "Linux/UNIX",
            "SpotPrice": "0.040",
            "Timestamp": datetime(2025, 6, 1, 10, tzinfo=UTC),
        },
        {
            "AvailabilityZone": "us-east-1a",
            "InstanceType": "m5.large",
            "ProductDescription": "Linux/UNIX",
            "SpotPrice": "0.042",
            "Timestamp": datetime(2025, 6, 1, 11, tzinfo=UTC),
        },
        {
            "AvailabilityZone": "us-east-1b",
            "InstanceType": "m5.large",
            "ProductDescription": "Linux/UNIX (Amazon VPC)",
            "SpotPrice": "0.039",
            "Timestamp": "2006-01-02T15:04:05.999999999Z",
        },
        {
            "AvailabilityZone": "us-east-1a",
            "InstanceType": "m5.large",
            "ProductDescription": "Windows",
            "SpotPrice": "0.100",
            "Timestamp": datetime(2025, 6, 1, 12, tzinfo=UTC),
        },
    ]
    assert parse_spot_history(items) == {("m5.large", "us-east-1a"): 0.042, ("m5.large", "us-east-1b"): 0.039}


def test_real_spot_history_sample_gives_one_current_price_per_zone() -> None:
    sample = SHARED / "aws_api_samples" / "DescribeSpotPriceHistory_m5.large_us-east-1_2021-01.json"
    if not sample.exists():
        pytest.skip("../shared/data is not available")
    items = json.loads(sample.read_text())["SpotPriceHistory"]
    prices = parse_spot_history(items)
    zones = {i["AvailabilityZone"] for i in items}
    assert set(prices) == {("m5.large", z) for z in zones}
    for zone in zones:
        newest = max((i for i in items if i["AvailabilityZone"] == zone), key=lambda i: i["Timestamp"])
        assert prices[("m5.large", zone)] == float(newest["SpotPrice"])


@pytest.mark.parametrize(("label", "rate"), [("<5%", 0.025), ("5-10%", 0.075), ("15-20%", 0.175), (">20%", 0.25)])
def test_advisor_buckets_become_midpoint_rates(label: str, rate: float) -> None:
    assert bucket_midpoint(label) == pytest.approx(rate)


def test_advisor_sample_gives_linux_rates_only(tmp_path: Path) -> None:
    path = tmp_path / "advisor.json.gz"
    path.write_bytes(gzip.compress(json.dumps(ADVISOR_SAMPLE).encode()))
    advisor = SpotAdvisor.load(path)
    assert advisor.rate("us-east-1", "m5.large") == pytest.approx(0.075)  # r=1 → 5-10%, not the Windows r=0
    assert advisor.rate("us-east-1", "c5.xlarge") == pytest.approx(0.25)
    assert advisor.rate("eu-west-1", "m5.large") is None


def test_advisor_of_the_wrong_shape_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "advisor.json"
    path.write_text(json.dumps({"spot_advisor": {}}))
    with pytest.raises(SourceError, match="not a Spot Instance Advisor feed"):
        SpotAdvisor.load(path)


def test_real_advisor_file_loads() -> None:
    path = SHARED / "aws_spot_advisor_data_2025-06-28.json.gz"
    if not path.exists():
        pytest.skip("../shared/data is not available")
    advisor = SpotAdvisor.load(path)
    assert len(advisor) > 10_000
    assert advisor.rate("us-east-1", "m5.large") in {0.025, 0.075, 0.125, 0.175, 0.25}


# -- the source: Stubber for pricing, moto for EC2 --------------------------------------------------
def _pricing_client(pages: list[list[str]], region: str = "us-east-1") -> tuple[object, Stubber]:
    client = boto3.client("pricing", region_name="us-east-1")
    stubber = Stubber(client)
    for number, page in enumerate(pages):
        expected = {
            "ServiceCode": "AmazonEC2",
            "Filters": product_filters(region),
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        if number:
            expected["NextToken"] = f"token-{number}"
        response = {"PriceList": page, "FormatVersion": "aws_v1"}
        if number < len(pages) - 1:
            response["NextToken"] = f"token-{number + 1}"
        stubber.add_response("get_products", response, expected)
    stubber.activate()
    return client, stubber


PRODUCTS = [
    [aws_product("m5.large"), aws_product("c5.xlarge", vcpu="4", memory="8 GiB", hourly="0.17")],
    [aws_product("r5.large", memory="16 GiB", hourly="0.126"), aws_product("m5.large", os_name="Windows")],
]


def test_fetch_pages_products_and_prices_spot_per_zone_from_moto() -> None:
    client, stubber = _pricing_client(PRODUCTS)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        source = AwsSource(
            pricing_client=client,
            ec2_client_for=lambda _r: ec2,
            retry=NO_WAIT,
            clock=lambda: NOW,
            advisor=SpotAdvisor.from_json(ADVISOR_SAMPLE),
        )
        offers = source.fetch(["us-east-1"])
        offered = ec2.describe_instance_type_offerings(LocationType="availability-zone")["InstanceTypeOfferings"]
    stubber.assert_no_pending_responses()

    on_demand = {o.instance_type: o for o in offers if o.capacity_type is CapacityType.ON_DEMAND}
    assert {t: o.hourly_usd for t, o in on_demand.items()} == {"m5.large": 0.096, "c5.xlarge": 0.17, "r5.large": 0.126}
    assert all(o.source == "aws:pricing-api" and o.as_of == NOW and o.zone is None for o in on_demand.values())

    spot = [o for o in offers if o.capacity_type is CapacityType.SPOT]
    expected_zones = {(x["InstanceType"], x["Location"]) for x in offered if x["InstanceType"] in on_demand}
    assert {(o.instance_type, o.zone) for o in spot} == expected_zones
    assert expected_zones, "moto lists zones for these types"
    for offer in spot:  # specs come from the on-demand product, rates from the advisor
        spec = on_demand[offer.instance_type]
        assert (offer.vcpus, offer.memory_gib) == (spec.vcpus, spec.memory_gib)
        assert offer.source == "aws:spot-price-history"
        assert offer.interruption_rate == {"m5.large": 0.075, "c5.xlarge": 0.25}.get(offer.instance_type)


def test_throttling_is_retried_with_backoff_then_succeeds() -> None:
    client = boto3.client("pricing", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_client_error("get_products", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_client_error("get_products", service_error_code="ServiceUnavailable", http_status_code=503)
    stubber.add_response("get_products", {"PriceList": [aws_product()], "FormatVersion": "aws_v1"})
    stubber.activate()
    events: list[RetryEvent] = []
    source = AwsSource(pricing_client=client, ec2_client_for=None, retry=NO_WAIT, clock=lambda: NOW)
    offers = source.fetch(["us-east-1"], on_retry=events.append)
    assert [o.instance_type for o in offers] == ["m5.large"]
    assert [e.attempt for e in events] == [1, 2]
    assert "ThrottlingException" in events[0].reason


def test_persistent_5xx_fails_the_region_naming_source_region_and_attempts() -> None:
    client = boto3.client("pricing", region_name="us-east-1")
    stubber = Stubber(client)
    for _ in range(5):
        stubber.add_client_error("get_products", service_error_code="InternalError", http_status_code=500)
    stubber.activate()
    source = AwsSource(pricing_client=client, ec2_client_for=None, retry=NO_WAIT)
    expected = r"aws:pricing-api: region eu-west-1: page 1: .*gave up after 5 attempts"
    with pytest.raises(SourceFetchError, match=expected):
        source.fetch(["eu-west-1"])


def test_access_denied_is_not_retried() -> None:
    client = boto3.client("pricing", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_client_error(
        "get_products",
        service_error_code="AccessDeniedException",
        http_status_code=403,
        service_message="not authorized to perform pricing:GetProducts",
    )
    stubber.activate()
    events: list[RetryEvent] = []
    source = AwsSource(pricing_client=client, ec2_client_for=None, retry=NO_WAIT)
    with pytest.raises(SourceFetchError, match="AccessDeniedException: not authorized to perform pricing:GetProducts"):
        source.fetch(["us-east-1"], on_retry=events.append)
    assert events == []


def test_empty_region_is_an_error_with_a_hint() -> None:
    client, _ = _pricing_client([[]], region="eu-west-12")
    source = AwsSource(pricing_client=client, ec2_client_for=None, retry=NO_WAIT)
    with pytest.raises(SourceFetchError, match=r"region eu-west-12: no Linux on-demand prices.*did you mean"):
        source.fetch(["eu-west-12"])


def test_cny_region_is_an_error_naming_the_region() -> None:
    client, _ = _pricing_client([[aws_product(region="cn-north-1", currency="CNY")]], region="cn-north-1")
    source = AwsSource(pricing_client=client, ec2_client_for=None, retry=NO_WAIT)
    with pytest.raises(SourceFetchError, match=r"region cn-north-1: m5\.large is priced in CNY, not USD"):
        source.fetch(["cn-north-1"])
