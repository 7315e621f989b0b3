"""`Offer` and `new_offer`, the fast constructor the price parsers use."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from pricing.offer import CapacityType, Offer, new_offer

AS_OF = datetime(2026, 1, 2, tzinfo=UTC)
FULL = (
    "aws",
    "us-east-1",
    "p5.48xlarge",
    CapacityType.SPOT,
    192.0,
    2048.0,
    55.04,
    "aws:test",
    AS_OF,
    "us-east-1a",
    8,
    "h100",
    0.12,
)


@pytest.mark.parametrize("arguments", [FULL, FULL[:9], FULL[:11]])
def test_new_offer_builds_the_same_offer_as_the_constructor(arguments: tuple[object, ...]) -> None:
    fast, slow = new_offer(*arguments), Offer(*arguments)  # type: ignore[arg-type]
    assert fast == slow and hash(fast) == hash(slow)
    assert dataclasses.astuple(fast) == dataclasses.astuple(slow)
    assert dataclasses.replace(fast, hourly_usd=1.0) == dataclasses.replace(slow, hourly_usd=1.0)


def test_new_offer_builds_a_frozen_offer_with_defaults() -> None:
    offer = new_offer("gcp", "us-central1", "n2-standard-4", CapacityType.ON_DEMAND, 4.0, 16.0, 0.19, "gcp:test", AS_OF)
    assert (offer.zone, offer.gpus, offer.gpu_type, offer.interruption_rate) == (None, 0, None, None)
    assert offer.family == "n2"
    with pytest.raises(dataclasses.FrozenInstanceError):
        offer.hourly_usd = 0.0  # type: ignore[misc]


def test_keyword_arguments_work_as_in_the_constructor() -> None:
    keywords = {f.name: value for f, value in zip(dataclasses.fields(Offer), FULL, strict=True)}
    assert new_offer(**keywords) == Offer(**keywords)  # type: ignore[arg-type]
