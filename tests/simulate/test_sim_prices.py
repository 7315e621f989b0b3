"""Price histories: step changes per offer or per region, a catalog per hour, seeded synthetic spot markets."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from builders import make_catalog

from placement.errors import PlacementError
from placement.simulate import PriceChange, PriceHistory
from placement.simulate.whatif import price_shock
from pricing import CapacityType

BASE = make_catalog(("aws", "eu-west-1", 1.0), ("gcp", "europe-west4", 1.0))
SPOT = CapacityType.SPOT


def spot(catalog, cloud: str = "aws", instance: str = "m5.large") -> float:
    return catalog.where(cloud=cloud, instance_type=instance).price(instance, SPOT)


def test_prices_are_step_functions_and_exact_prices_win_over_regional_factors() -> None:
    history = PriceHistory(
        BASE,
        [
            PriceChange(5, "aws", "eu-west-1", SPOT, instance_type="m5.large", hourly_usd=0.05),
            PriceChange(3, "aws", "eu-west-1", SPOT, factor=2.0),
            PriceChange(9, "aws", "eu-west-1", SPOT, factor=0.5),
        ],
    )
    base = spot(BASE)
    assert [round(spot(history.catalog_at(h)), 6) for h in (0, 3, 4, 5, 9, 100)] == pytest.approx(
        [base, 2 * base, 2 * base, 0.05, 0.05, 0.05]
    )
    assert spot(history.catalog_at(9), instance="m5.xlarge") == pytest.approx(0.5 * spot(BASE, instance="m5.xlarge"))
    assert spot(history.catalog_at(9), "gcp") == spot(BASE, "gcp")  # other regions untouched
    assert history.catalog_at(6) is history.catalog_at(8)  # one catalog per step
    assert history.change_hours == (3, 5, 9) and history.version_at(4) == 1


def test_from_frame_maps_times_to_hours_with_a_time_scale_and_drops_repeats() -> None:
    frame = pd.DataFrame(
        {
            "time": ["2026-01-01", "2026-01-08", "2026-01-15", "2026-01-22", "2026-02-28"],
            "cloud": "aws",
            "region": "eu-west-1",
            "instance_type": "m5.large",
            "capacity_type": "spot",
            "hourly_usd": [0.03, 0.04, 0.04, None, 0.09],
        }
    )
    history = PriceHistory.from_frame(BASE, frame, start=datetime(2026, 1, 1, tzinfo=UTC), hours=48, time_scale=7)
    assert [(c.hour, c.hourly_usd) for c in history.changes] == [(0, 0.03), (24, 0.04)]  # a week per simulated day
    assert spot(history.catalog_at(23)) == 0.03 and spot(history.catalog_at(24)) == 0.04
    with pytest.raises(PlacementError, match="lacks column"):
        PriceHistory.from_frame(BASE, frame.drop(columns="region"), start=datetime(2026, 1, 1), hours=48)


def test_restricted_and_transformed_histories() -> None:
    history = PriceHistory(BASE, [PriceChange(2, "gcp", "europe-west4", SPOT, factor=3.0)])
    aws_only = history.restricted({("aws", "eu-west-1")})
    assert aws_only.base.clouds() == {"aws"} and aws_only.changes == ()
    doubled = history.transformed(lambda c: price_shock(c, 100))
    assert spot(doubled.catalog_at(5), "gcp") == pytest.approx(6 * spot(BASE, "gcp"))


def test_synthetic_spot_is_seeded_bounded_and_moves_only_spot() -> None:
    a = PriceHistory.synthetic_spot(BASE, hours=240, seed=3, step_h=6, volatility=0.5, low=0.7, high=1.4)
    b = PriceHistory.synthetic_spot(BASE, hours=240, seed=3, step_h=6, volatility=0.5, low=0.7, high=1.4)
    assert [(c.hour, c.factor) for c in a.changes] == [(c.hour, c.factor) for c in b.changes]
    assert {c.capacity_type for c in a.changes} == {SPOT}
    ratios = [spot(a.catalog_at(h)) / spot(BASE) for h in range(0, 240, 6)]
    assert min(ratios) >= 0.7 - 1e-9 and max(ratios) <= 1.4 + 1e-9 and len(set(ratios)) > 5
    od = a.catalog_at(120).price("m5.large", CapacityType.ON_DEMAND)
    assert od == BASE.price("m5.large", CapacityType.ON_DEMAND)


def test_a_change_needs_exactly_one_of_price_and_factor() -> None:
    with pytest.raises(PlacementError, match="exactly one"):
        PriceChange(1, "aws", "eu-west-1", SPOT, instance_type="m5.large", hourly_usd=0.1, factor=2.0)
    with pytest.raises(PlacementError, match="needs an instance_type"):
        PriceChange(1, "aws", "eu-west-1", SPOT, hourly_usd=0.1)
