"""Seeded spot interruptions: rates, reproducibility, common random numbers across strategies."""

from __future__ import annotations

import pytest
from builders import make_catalog, make_cluster, make_scenario, make_workload
from sim_builders import Fixed, flat_traffic

from placement.errors import PlacementError
from placement.scenario import Replicas
from placement.simulate import InterruptionDraws, InterruptionModel, SimulationConfig, hourly_probability, simulate

POOLS = {"a": 0.25, "b": 0.05, "c": 0.0}


@pytest.mark.parametrize(
    ("monthly", "hourly"),
    [
        (0.0, 0.0),  # never reclaimed
        (1.0, 1.0),  # certainly reclaimed
        (0.25, 1 - 0.75 ** (1 / 730)),  # 25 % a month, compounded over 730 hours
    ],
)
def test_hourly_probability_compounds_the_monthly_rate(monthly: float, hourly: float) -> None:
    assert hourly_probability(monthly) == pytest.approx(hourly)


def test_event_probability_keeps_the_expected_loss_of_independent_reclaims() -> None:
    model = InterruptionModel(reclaim_fraction=0.5)
    assert model.event_probability(0.25) * 0.5 == pytest.approx(hourly_probability(0.25))
    assert InterruptionModel(rate_multiplier=3).event_probability(0.1) == pytest.approx(2 * hourly_probability(0.3))


def test_same_seed_same_draws_other_seed_other_draws() -> None:
    first = InterruptionDraws(InterruptionModel(seed=1, rate_multiplier=3), POOLS, 5000)  # a: ~19 events, b: ~2
    again = InterruptionDraws(InterruptionModel(seed=1, rate_multiplier=3), POOLS, 5000)
    other = InterruptionDraws(InterruptionModel(seed=2, rate_multiplier=3), POOLS, 5000)
    assert first.events() == again.events() and first.events()
    assert first.events() != other.events()
    assert all(cluster != "c" for _, cluster in first.events())  # a pool with rate 0 is never reclaimed
    assert sum(c == "a" for _, c in first.events()) > sum(c == "b" for _, c in first.events())


def test_reclaimed_counts_do_not_depend_on_the_order_of_questions() -> None:
    draws = InterruptionDraws(InterruptionModel(seed=3, rate_multiplier=200), POOLS, 200)
    hour, cluster = draws.events()[0]
    forward = [draws.reclaimed(hour, cluster, w, 10) for w in ("x", "y", "z")]
    backward = [draws.reclaimed(hour, cluster, w, 10) for w in ("z", "y", "x")][::-1]
    assert forward == backward and all(0 <= n <= 10 for n in forward)
    assert draws.reclaimed(hour, "c", "x", 10) == 0 and draws.reclaimed(hour, cluster, "x", 0) == 0


def test_disruption_lasts_its_hours_after_an_event() -> None:
    draws = InterruptionDraws(
        InterruptionModel(disruption_h=3, hourly_event_probability=lambda h, c: float(h == 5)), {"a": 0.1}, 20
    )
    assert [h for h in range(20) if draws.disrupted(h, "a")] == [5, 6, 7]


def test_no_rate_no_event_and_bad_knobs_are_refused() -> None:
    assert InterruptionDraws(InterruptionModel(rate_multiplier=0), POOLS, 1000).events() == []
    with pytest.raises(PlacementError, match="reclaim_fraction"):
        InterruptionModel(reclaim_fraction=0)
    with pytest.raises(PlacementError, match="rate_multiplier"):
        InterruptionModel(rate_multiplier=-1)


def test_every_strategy_in_a_run_faces_the_same_reclaims() -> None:
    catalog = make_catalog(("aws", "eu-west-1", 1.0))
    scenario = make_scenario([make_cluster("ie")], [make_workload(replicas=10, spot_max_fraction=1.0)])
    traffic = flat_traffic(scenario, {"shop/web": [10] * 48})
    storms = InterruptionModel(seed=5, disruption_h=1, hourly_event_probability=lambda h, c: float(h in (5, 20, 21)))
    config = SimulationConfig(interruptions=storms)
    a = Fixed({"shop/web": {"ie": Replicas(0, 10)}}, name="a")
    b = Fixed({"shop/web": {"ie": Replicas(0, 10)}}, name="b", autoscaling_headroom=0.2)
    result = simulate(scenario, traffic, catalog, [a, b], config=config)
    assert result.interruption_events and result["a"].reclaimed_replicas == result["b"].reclaimed_replicas > 0
    again = simulate(
        scenario, traffic, catalog, [Fixed({"shop/web": {"ie": Replicas(0, 10)}}, name="a")], config=config
    )
    assert again["a"].cost_usd == pytest.approx(result["a"].cost_usd)
