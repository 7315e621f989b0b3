"""The spot-discount model: categories, fallbacks, and the modelled spot twin of an offer."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from pricing import CapacityType
from pricing.spot_model import (
    ADVISOR_BUCKET_RATE,
    DEFAULT_SPOT_MODEL,
    NO_SPOT_CATEGORIES,
    SPOT_MODEL_SOURCE,
    SpotModel,
    instance_category,
)
from tests.builders import make_offer

SHARED_PRICES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "prices"


@pytest.mark.parametrize(
    ("instance_type", "category"),
    [
        ("m7i.large", "m"),
        ("inf2.xlarge", "inf"),
        ("x2iedn.xlarge", "x"),
        ("n2-standard-4", "n"),
        ("Standard_D4s_v5", "d"),
        ("Standard_E64is_v3", "e"),
        ("u-6tb1.56xlarge", "u"),
        ("u-6tb1.metal", "u"),
        ("u7i-12tb.224xlarge", "u"),
        ("u7in-32tb.224xlarge", "u"),
        ("hpc7g.4xlarge", "hpc"),
        ("hpc6id.32xlarge", "hpc"),
        ("mac2-m2.metal", "mac"),
        ("mac1.metal", "mac"),
    ],
)
def test_instance_category(instance_type: str, category: str) -> None:
    assert instance_category(instance_type) == category


def test_category_entry_wins_over_the_cloud_default() -> None:
    model = SpotModel(discounts={"aws": {"*": 0.6, "x": 0.7}}, rates={"aws": {"*": 0.1, "x": 0.02}})
    assert model.discount("aws", "x2idn.large") == 0.7
    assert model.discount("aws", "m5.large") == 0.6
    assert model.interruption_rate("aws", "x2idn.large") == 0.02


def test_unknown_cloud_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no discount for cloud 'onprem'"):
        DEFAULT_SPOT_MODEL.discount("onprem", "big")


def test_spot_offer_keeps_the_shape_and_applies_the_discount() -> None:
    on_demand = make_offer(instance_type="c6i.xlarge", vcpus=4.0, memory_gib=8.0, hourly_usd=0.2)
    spot = DEFAULT_SPOT_MODEL.spot_offer(on_demand)
    assert spot.capacity_type is CapacityType.SPOT
    assert (spot.region, spot.vcpus, spot.memory_gib, spot.as_of) == (
        on_demand.region,
        on_demand.vcpus,
        on_demand.memory_gib,
        on_demand.as_of,
    )
    assert spot.hourly_usd == pytest.approx(0.2 * (1 - DEFAULT_SPOT_MODEL.discount("aws", "c6i.xlarge")))
    assert spot.source == SPOT_MODEL_SOURCE
    assert spot.interruption_rate in ADVISOR_BUCKET_RATE


def test_spot_offer_refuses_a_spot_input() -> None:
    with pytest.raises(ValueError, match="needs an on-demand offer"):
        DEFAULT_SPOT_MODEL.spot_offer(make_offer(capacity_type=CapacityType.SPOT))


def test_default_discounts_are_fractions_and_rates_are_monthly_fractions() -> None:
    for table in (DEFAULT_SPOT_MODEL.discounts, DEFAULT_SPOT_MODEL.rates):
        for per_cloud in table.values():
            assert "*" in per_cloud
            assert all(0.0 <= value < 1.0 for value in per_cloud.values())


@pytest.mark.parametrize(
    ("instance_type", "sold"),
    [
        ("hpc6a.48xlarge", False),
        ("hpc7g.16xlarge", False),
        ("mac2-m2.metal", False),
        ("mac2-m2pro.metal", False),
        ("u-3tb1.56xlarge", False),
        ("u-6tb1.metal", False),
        ("u7i-12tb.224xlarge", False),
        ("m7i.large", True),
        ("c6g.xlarge", True),
        ("m5.large", True),  # `m` is not `mac`
        ("h1.2xlarge", True),  # `h` is not `hpc`
        ("p5.48xlarge", True),
    ],
)
def test_aws_sells_spot_except_hpc_mac_and_high_memory(instance_type: str, sold: bool) -> None:
    assert DEFAULT_SPOT_MODEL.sells_spot("aws", instance_type) is sold


def test_no_spot_is_per_cloud() -> None:
    model = SpotModel(discounts={"gcp": {"*": 0.6}}, rates={"gcp": {"*": 0.1}}, no_spot={"gcp": frozenset({"m"})})
    assert not model.sells_spot("gcp", "m3-ultramem-32")
    assert model.sells_spot("aws", "m3-ultramem-32")
    assert DEFAULT_SPOT_MODEL.sells_spot("azure", "Standard_HB120rs_v3")  # only AWS has a no-spot list


def test_a_hand_made_model_keeps_the_no_spot_list_unless_lifted() -> None:
    model = SpotModel(discounts={"aws": {"*": 0.6}}, rates={"aws": {"*": 0.1}})
    assert not model.sells_spot("aws", "hpc6a.48xlarge")
    assert SpotModel(discounts={"aws": {"*": 0.6}}, rates={"aws": {"*": 0.1}}, no_spot={}).sells_spot(
        "aws", "hpc6a.48xlarge"
    )


@pytest.mark.parametrize("instance_type", ["hpc6a.48xlarge", "mac2-m2.metal", "u-6tb1.metal", "u7i-12tb.224xlarge"])
def test_spot_offer_refuses_a_type_without_a_spot_market(instance_type: str) -> None:
    on_demand = make_offer(instance_type=instance_type, vcpus=96.0, memory_gib=384.0, hourly_usd=2.88)
    with pytest.raises(ValueError, match=f"aws sells no spot capacity for instance type '{instance_type}'"):
        DEFAULT_SPOT_MODEL.spot_offer(on_demand)


def test_no_spot_categories_have_no_discount_row() -> None:
    for cloud, categories in NO_SPOT_CATEGORIES.items():
        assert not categories & set(DEFAULT_SPOT_MODEL.discounts.get(cloud, {})), cloud


# -- against the real AWS spot feeds (skipped without ../shared/data) ---------------------------


def _shared(name: str) -> Path:
    path = SHARED_PRICES / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


def _no_spot_hits(types: set[str]) -> set[str]:
    return {t for t in types if not DEFAULT_SPOT_MODEL.sells_spot("aws", t)}


def test_no_spot_types_are_absent_from_the_spot_advisor_rows() -> None:
    with gzip.open(_shared("aws_spot_advisor_flat_2025-06-28.csv.gz"), "rt", newline="") as handle:
        types = {row["instance_type"] for row in csv.DictReader(handle)}
    assert len(types) > 500
    assert _no_spot_hits(types) == set()


def test_no_spot_types_are_absent_from_real_spot_price_changes() -> None:
    with gzip.open(_shared("aws_spot_price_changes_2022-05-31_linux.csv.gz"), "rt", newline="") as handle:
        types = {row["instance_type"] for row in csv.DictReader(handle)}
    assert len(types) > 300
    assert _no_spot_hits(types) == set()


def test_the_advisor_knows_hpc_and_high_memory_types_but_lists_no_spot_for_them() -> None:
    feed = json.loads(gzip.decompress(_shared("aws_spot_advisor_data_2025-06-28.json.gz").read_bytes()))
    known = set(feed["instance_types"])
    with_spot = {t for by_os in feed["spot_advisor"].values() for rows in by_os.values() for t in rows}
    assert {"hpc6a.48xlarge", "u-6tb1.56xlarge"} <= known  # so their absence below is not ignorance
    assert _no_spot_hits(with_spot) == set()
