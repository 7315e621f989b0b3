"""Price adjustments: discounts, fixed prices, per-node fees and private capacity; errors name rule and field."""

from __future__ import annotations

from typing import Any

import pytest
from builders import AS_OF, make_offer

from pricing.adjust import DEFAULT_SHAPES, PRIVATE_SOURCE, Discount, Selector, adjust, parse_rules
from pricing.catalog import Catalog
from pricing.errors import AdjustmentError
from pricing.offer import CapacityType

CATALOG = Catalog(
    [
        make_offer(cloud="aws", region="eu-west-1", instance_type="m7i.large", hourly_usd=0.10),
        make_offer(cloud="aws", region="eu-west-1", instance_type="m7i.xlarge", hourly_usd=0.20),
        make_offer(cloud="aws", region="us-east-1", instance_type="m7i.large", hourly_usd=0.09),
        make_offer(
            cloud="aws",
            region="eu-west-1",
            instance_type="c7i.large",
            capacity_type=CapacityType.SPOT,
            hourly_usd=0.04,
            zone="eu-west-1a",
        ),
        make_offer(cloud="gcp", region="europe-west1", instance_type="n2-standard-2", hourly_usd=0.10),
    ],
    fetched_at=AS_OF,
)


def prices(catalog: Catalog) -> dict[tuple[str, str, str, str], float]:
    return {(o.cloud, o.region, o.instance_type, o.capacity_type.value): round(o.hourly_usd, 6) for o in catalog}


BASE = prices(CATALOG)


def changed(rules: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], float]:
    after = prices(adjust(CATALOG, rules))
    return {k: v for k, v in after.items() if BASE.get(k) != v}


def test_no_rules_is_the_same_catalog() -> None:
    assert prices(adjust(CATALOG, [])) == BASE


def test_cloud_discount_touches_that_cloud_only() -> None:
    assert changed([{"cloud": "aws", "discountPercent": 12}]) == {
        ("aws", "eu-west-1", "m7i.large", "on-demand"): 0.088,
        ("aws", "eu-west-1", "m7i.xlarge", "on-demand"): 0.176,
        ("aws", "us-east-1", "m7i.large", "on-demand"): 0.0792,
        ("aws", "eu-west-1", "c7i.large", "spot"): 0.0352,
    }


def test_discount_narrowed_by_family_region_and_capacity_type() -> None:
    rules = [
        {"cloud": "aws", "family": "M7I", "region": "eu-west-1", "capacityType": "on-demand", "discountPercent": 50}
    ]
    assert changed(rules) == {
        ("aws", "eu-west-1", "m7i.large", "on-demand"): 0.05,
        ("aws", "eu-west-1", "m7i.xlarge", "on-demand"): 0.1,
    }


def test_fixed_price_for_a_family_in_a_region() -> None:
    assert changed([{"cloud": "aws", "family": "m7i", "region": "eu-west-1", "hourlyUsd": 0.05}]) == {
        ("aws", "eu-west-1", "m7i.large", "on-demand"): 0.05,
        ("aws", "eu-west-1", "m7i.xlarge", "on-demand"): 0.05,
    }


def test_extra_fee_applies_to_every_node_and_rules_apply_in_order() -> None:
    after = prices(adjust(CATALOG, [{"cloud": "aws", "discountPercent": 10}, {"extraHourlyUsd": 0.01}]))
    assert after[("aws", "eu-west-1", "m7i.large", "on-demand")] == pytest.approx(0.10 * 0.9 + 0.01)
    assert after[("gcp", "europe-west1", "n2-standard-2", "on-demand")] == pytest.approx(0.11)
    reversed_order = prices(adjust(CATALOG, [{"extraHourlyUsd": 0.01}, {"cloud": "aws", "discountPercent": 10}]))
    assert reversed_order[("aws", "eu-west-1", "m7i.large", "on-demand")] == pytest.approx((0.10 + 0.01) * 0.9)


def test_private_capacity_adds_priced_shapes() -> None:
    rule = {
        "cloud": "private",
        "region": "dc1",
        "vcpuHourlyUsd": 0.02,
        "gibHourlyUsd": 0.003,
        "shapes": [
            {"name": "std-4", "vcpus": 4, "memoryGib": 16},
            {"name": "gpu-8", "vcpus": 8, "memoryGib": 64, "gpus": 1},
        ],
        "gpuHourlyUsd": 0.5,
    }
    out = adjust(CATALOG, [rule])
    private = {o.instance_type: o for o in out if o.cloud == "private"}
    assert private["std-4"].hourly_usd == pytest.approx(4 * 0.02 + 16 * 0.003)
    assert private["gpu-8"].hourly_usd == pytest.approx(8 * 0.02 + 64 * 0.003 + 0.5) and private["gpu-8"].gpus == 1
    assert all(
        o.region == "dc1"
        and o.capacity_type is CapacityType.ON_DEMAND
        and o.source == PRIVATE_SOURCE
        and o.as_of == AS_OF
        for o in private.values()
    )
    assert len(out) == len(CATALOG) + 2


def test_private_capacity_default_shapes_and_later_rules_see_them() -> None:
    out = adjust(
        CATALOG,
        [
            {"cloud": "private", "region": "dc1", "vcpuHourlyUsd": 0.02, "gibHourlyUsd": 0.0},
            {"cloud": "private", "discountPercent": 50},
        ],
    )
    private = sorted((o.vcpus, o.hourly_usd) for o in out if o.cloud == "private")
    assert private == [(s.vcpus, pytest.approx(s.vcpus * 0.01)) for s in DEFAULT_SHAPES]


def test_input_catalog_is_not_mutated_and_rule_objects_are_accepted() -> None:
    out = adjust(CATALOG, [Discount(Selector(cloud="gcp"), 10)])
    assert prices(CATALOG) == BASE
    assert prices(out)[("gcp", "europe-west1", "n2-standard-2", "on-demand")] == 0.09


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"cloud": "aws", "discount": 12}], r"\[0\]\.discount: unknown field; did you mean discountPercent"),
        ([{"cloud": "aws"}], r"adjustments\[0\]: no action"),
        ([{"cloud": "aws", "discountPercent": 10, "extraHourlyUsd": 1}], r"one action per rule, got discountPercent"),
        ([{}, {"cloud": "aws", "discountPercent": 120}], r"\[1\]\.discountPercent: 120 is out of range"),
        ([{"cloud": "aws", "discountPercent": "12%"}], r"\[0\]\.discountPercent: expected a number, got '12%'"),
        ([{"discountPercent": 12}], r"adjustments\[0\]\.cloud: required for a discount"),
        ([{"cloud": "aws", "hourlyUsd": 0.05}], r"\[0\]: a fixed hourlyUsd needs `family` or `instanceType`"),
        (
            [{"cloud": "aws", "capacityType": "reserved", "discountPercent": 5}],
            r"adjustments\[0\]\.capacityType: 'reserved' is not on-demand or spot",
        ),
        ([{"cloud": "private", "vcpuHourlyUsd": 0.02, "gibHourlyUsd": 0.003}], r"adjustments\[0\]\.region: required"),
        ([{"cloud": "private", "region": "dc1", "gibHourlyUsd": 0.003}], r"\[0\]\.vcpuHourlyUsd: expected a number"),
        (
            [
                {
                    "cloud": "private",
                    "region": "dc1",
                    "vcpuHourlyUsd": 0.02,
                    "gibHourlyUsd": 0.003,
                    "shapes": [{"name": "a", "vcpus": 0, "memoryGib": 4}],
                }
            ],
            r"\[0\]\.shapes\[0\]\.vcpus: 0 is out of range",
        ),
        (["aws -12%"], r"adjustments\[0\]: expected a mapping"),
        ([{"extraHourlyUsd": True}], r"adjustments\[0\]\.extraHourlyUsd: expected a number, got True"),
    ],
)
def test_bad_rules_name_the_rule_index_and_field(rules: list[Any], message: str) -> None:
    with pytest.raises(AdjustmentError, match=message) as info:
        parse_rules(rules)
    assert info.value.exit_code == 2  # type: ignore[attr-defined]


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(AdjustmentError) as info:
        parse_rules(
            [
                {"cloud": "aws", "discountPercent": -1},
                {"cloud": "aws", "hourlyUsd": 0.1, "family": "m7i", "regoin": "x"},
            ]
        )
    assert "adjustments[0].discountPercent" in str(info.value) and "adjustments[1].regoin" in str(info.value)
