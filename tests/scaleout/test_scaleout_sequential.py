"""placement.scaleout without Ray: the sequential runner gives what the pure functions give, keeps
going past a failed task (naming it), and partitions series deterministically."""

from __future__ import annotations

import pandas as pd
import pytest
from scaleout_builders import CATALOG, point_key, series_panel, small_scenario, tiny_forecaster

from placement import scaleout, whatif
from placement.analysis.price_of import price_of_rules
from placement.scaleout.runner import FanOut, Outcome


def test_a_sequential_sweep_is_whatif_sweep() -> None:
    scenario = small_scenario()
    points = scaleout.risk_frontier(scenario, CATALOG, aversions=(0.0, 10.0), time_limit_s=5).values()
    expected = whatif.risk_frontier(scenario, CATALOG, aversions=(0.0, 10.0), time_limit_s=5)
    assert [point_key(p) for p in points] == [point_key(p) for p in expected]


def test_a_grid_is_every_combination_in_axis_order() -> None:
    seen: list[str] = []
    fanout = scaleout.grid_sweep(
        small_scenario(),
        CATALOG,
        [("risk", [0.0, 5.0]), ("traffic", [1.0, 2.0])],
        time_limit_s=5,
        progress=lambda o: seen.append(o.label),
    )
    assert [p.value for p in fanout.values()] == [(0.0, 1.0), (0.0, 2.0), (5.0, 1.0), (5.0, 2.0)]
    assert seen == ["risk,traffic=(0, 1)", "risk,traffic=(0, 2)", "risk,traffic=(5, 1)", "risk,traffic=(5, 2)"]
    doubled = fanout.values()[1].plan
    assert sum(a.replicas for a in doubled.assignments) == 2 * sum(
        a.replicas for a in fanout.values()[0].plan.assignments
    )


def test_a_failed_task_is_reported_with_its_scenario_and_the_rest_complete() -> None:
    fanout = scaleout.sweep(small_scenario(), CATALOG, [0.0, -150.0, 20.0], whatif.shock_prices, time_limit_s=5)
    assert [o.ok for o in fanout.outcomes] == [True, False, True]
    (failed,) = fanout.failed
    assert failed.label == "shock_prices=-150"
    assert "PlacementError" in failed.error and "cannot fall by 100%" in failed.error and failed.exit_code == 2
    assert [p.value for p in fanout.succeeded] == [0.0, 20.0]
    with pytest.raises(scaleout.TasksFailed, match="shock_prices=-150: PlacementError"):
        fanout.values()


def test_price_of_rules_fanned_out_is_the_analysis() -> None:
    scenario = small_scenario()
    families = ("residency", "latency", "spot", "capacity")
    assert tuple(scaleout.price_of_rules(scenario, CATALOG, families, time_limit_s=5).values()) == price_of_rules(
        scenario, CATALOG, families, time_limit_s=5
    )


def test_partitions_are_contiguous_runs_of_sorted_series() -> None:
    panel = series_panel(7, days=1).sample(frac=1.0, random_state=1)  # shuffled rows
    parts = scaleout.partition_series(panel, 3)
    assert [sorted(p["unique_id"].unique()) for p in parts] == [
        ["svc-00", "svc-01", "svc-02"],
        ["svc-03", "svc-04", "svc-05"],
        ["svc-06"],
    ]
    assert sum(len(p) for p in parts) == len(panel)
    with pytest.raises(scaleout.forecasts.ForecastError, match="series_per_task"):
        scaleout.partition_series(panel, 0)


def test_one_partition_is_the_global_model() -> None:
    panel = series_panel(4, days=4)
    parts = scaleout.forecast_series(panel, forecaster=tiny_forecaster(), series_per_task=10).values()
    assert len(parts) == 1
    pd.testing.assert_frame_equal(scaleout.frame_of(parts), tiny_forecaster().fit(panel).predict())


def test_outcomes_keep_item_order_and_fanout_reports_every_failure() -> None:
    fanout = FanOut((Outcome("a", 1), Outcome("b", error="ValueError: no", exit_code=4), Outcome("c", 3)))
    assert fanout.succeeded == [1, 3] and [o.label for o in fanout.failed] == ["b"]
    with pytest.raises(scaleout.TasksFailed) as raised:
        fanout.values()
    assert raised.value.exit_code == 4 and "b: ValueError: no" in str(raised.value)


def test_no_runner_asked_for_is_sequential_and_needs_no_ray() -> None:
    assert isinstance(scaleout.runner_for(), scaleout.Sequential)
