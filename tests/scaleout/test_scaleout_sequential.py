"""placement.scaleout without Ray: the sequential runner gives what the pure functions give, keeps
going past a failed task (naming it), and partitions series deterministically."""

from __future__ import annotations

import numpy as np
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


def test_a_series_table_groups_rows_by_sorted_id_and_keeps_each_series_rows_in_order() -> None:
    panel = series_panel(5, days=1).sample(frac=1.0, random_state=2)  # shuffled rows
    table = scaleout.SeriesTable.of(panel.assign(extra=1))  # other columns are not carried
    assert table.ids.tolist() == [f"svc-{i:02d}" for i in range(5)]
    assert table.starts.tolist() == [0, 48, 96, 144, 192, 240]  # 48 half-hours per series
    partitions = table.partitions(2)
    assert [p.ids.tolist() for p in partitions] == [["svc-00", "svc-01"], ["svc-02", "svc-03"], ["svc-04"]]
    assert [p.label() for p in partitions] == ["series svc-00..svc-01", "series svc-02..svc-03", "series svc-04"]
    assert partitions[1].starts.tolist() == [0, 48, 96] and np.shares_memory(partitions[1].y, table.y)  # views
    part = partitions[1].frame()
    expected = panel[panel["unique_id"].isin(["svc-02", "svc-03"])].sort_values("unique_id", kind="stable")
    assert part.columns.tolist() == ["unique_id", "ds", "y"]
    pd.testing.assert_frame_equal(part, expected.reset_index(drop=True))
    grouped = series_panel(5, days=1)
    assert np.shares_memory(scaleout.SeriesTable.of(grouped).y, grouped["y"].to_numpy())  # no reorder, no copy


def test_series_ids_are_grouped_by_their_text_as_the_forecaster_names_them() -> None:
    frame = pd.DataFrame({"unique_id": [10, 9, "9", 2, 10.0], "ds": pd.Timestamp("2025-01-01"), "y": 1.0})
    table = scaleout.SeriesTable.of(frame)
    assert table.ids.tolist() == ["10", "10.0", "2", "9"] and table.starts.tolist() == [0, 1, 2, 3, 5]
    with pytest.raises(scaleout.forecasts.ForecastError, match=r"missing \['y'\]"):
        scaleout.SeriesTable.of(frame.drop(columns="y"))
    assert scaleout.SeriesTable.of(frame.iloc[:0]).partitions(3) == []


def test_partitions_and_forecasts_do_not_depend_on_row_order() -> None:
    panel = series_panel(5, days=4)
    shuffled = panel.sample(frac=1.0, random_state=4)
    sorted_run = scaleout.forecast_series(panel, forecaster=tiny_forecaster(), series_per_task=2)
    shuffled_run = scaleout.forecast_series(shuffled, forecaster=tiny_forecaster(), series_per_task=2)
    from_table = scaleout.forecast_series(
        scaleout.SeriesTable.of(shuffled), forecaster=tiny_forecaster(), series_per_task=2
    )
    labels = ["series svc-00..svc-01", "series svc-02..svc-03", "series svc-04"]
    assert [o.label for o in sorted_run.outcomes] == [o.label for o in shuffled_run.outcomes] == labels
    expected = scaleout.frame_of(sorted_run.values())
    pd.testing.assert_frame_equal(scaleout.frame_of(shuffled_run.values()), expected)
    pd.testing.assert_frame_equal(scaleout.frame_of(from_table.values()), expected)
    first = panel[panel["unique_id"].isin(["svc-00", "svc-01"])]  # a partition is its series' own model
    pd.testing.assert_frame_equal(sorted_run.values()[0].forecast, tiny_forecaster().fit(first).predict())


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
