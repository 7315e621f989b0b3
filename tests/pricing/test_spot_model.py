"""The spot-discount model: categories, fallbacks, and the modelled spot twin of an offer."""

from __future__ import annotations

import pytest

from pricing import CapacityType
from pricing.spot_model import ADVISOR_BUCKET_RATE, DEFAULT_SPOT_MODEL, SPOT_MODEL_SOURCE, SpotModel, instance_category
from tests.builders import make_offer


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
        on_demand.region, on_demand.vcpus, on_demand.memory_gib, on_demand.as_of)
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
