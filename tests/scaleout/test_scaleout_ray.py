"""placement.scaleout on a local Ray (2 CPUs, one Ray for the module): a sweep, a seeds replay, a
forecast partition and price-of re-solves give exactly the sequential path's results, in the same
order; a task that raises comes back with its scenario and reason while the others complete."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pytest
from scaleout_builders import CATALOG, point_key, series_panel, small_scenario, tiny_forecaster

from placement import scaleout, simulate, whatif

ray = pytest.importorskip("ray")

from placement.scaleout.ray_runner import RayRunner  # noqa: E402  (only once ray imports)


@pytest.fixture(scope="module")
def runner() -> Iterator[RayRunner]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with RayRunner() as on_ray:  # joins the Ray above and leaves it to this fixture
            yield on_ray
    finally:
        ray.shutdown()


def test_a_sweep_on_ray_equals_the_sequential_sweep(runner: RayRunner) -> None:
    scenario = small_scenario()
    axes = [("risk", [0.0, 10.0]), ("latency", [1.0, 3.0]), ("traffic", [1.0, 2.0])]
    finished: list[str] = []
    on_ray = scaleout.grid_sweep(
        scenario, CATALOG, axes, time_limit_s=5, runner=runner, progress=lambda o: finished.append(o.label)
    )
    sequential = scaleout.grid_sweep(scenario, CATALOG, axes, time_limit_s=5)
    assert [point_key(p) for p in on_ray.values()] == [point_key(p) for p in sequential.values()]
    assert sorted(finished) == sorted(o.label for o in sequential.outcomes)  # progress: once per task
    assert runner.cpus == 2
    front = whatif.pareto(on_ray.values(), x=lambda p: p.reclaims_per_day, y=lambda p: p.hourly_usd)
    assert front and all(p in on_ray.values() for p in front)


def test_a_task_that_raises_is_reported_with_its_scenario_and_the_rest_complete(runner: RayRunner) -> None:
    scenario = small_scenario()
    fanout = scaleout.sweep(scenario, CATALOG, [0.0, -150.0, 20.0], whatif.shock_prices, time_limit_s=5, runner=runner)
    assert [o.label for o in fanout.outcomes] == ["shock_prices=0", "shock_prices=-150", "shock_prices=20"]
    (failed,) = fanout.failed
    assert (
        failed.label == "shock_prices=-150"
        and "cannot fall by 100%" in failed.error
        and "PlacementError" in failed.trace
    )
    expected = whatif.sweep(scenario, CATALOG, [0.0, 20.0], whatif.shock_prices, time_limit_s=5)
    assert [point_key(p) for p in fanout.succeeded] == [point_key(p) for p in expected]


def test_a_seeds_replay_on_ray_equals_each_seed_run_alone(runner: RayRunner) -> None:
    scenario = small_scenario()
    strategies = simulate.default_strategies(replan_every_h=3, time_limit_s=3)
    setup = scaleout.SeededReplay(hours=6, history_h=48, prices="synthetic", interruption_multiplier=50.0)
    replays = scaleout.replay_seeds(scenario, CATALOG, [3, 7], strategies, setup=setup, runner=runner)
    assert list(replays.values()) == [3, 7]
    for seed, result in replays.by_seed.items():
        alone = setup.run(scenario, CATALOG, seed, strategies)  # every strategy in one process, one run
        assert result.rows() == alone.rows()
        assert list(result.strategies) == [s.name for s in strategies]
        assert result.interruption_events == alone.interruption_events
    assert replays.by_seed[3].rows() != replays.by_seed[7].rows()  # the seed matters


def test_a_forecast_partitioned_on_ray_equals_the_sequential_partitions(runner: RayRunner) -> None:
    panel = series_panel(6, days=4)
    shuffled = panel.sample(frac=1.0, random_state=5)  # the tasks cut their partitions from one shared table
    on_ray = scaleout.forecast_series(shuffled, forecaster=tiny_forecaster(), series_per_task=3, runner=runner)
    sequential = scaleout.forecast_series(panel, forecaster=tiny_forecaster(), series_per_task=3)
    assert [o.label for o in on_ray.outcomes] == ["series svc-00..svc-02", "series svc-03..svc-05"]
    pd.testing.assert_frame_equal(scaleout.frame_of(on_ray.values()), scaleout.frame_of(sequential.values()))
    assert scaleout.frame_of(on_ray.values())["unique_id"].unique().tolist() == [f"svc-{i:02d}" for i in range(6)]


def test_price_of_rules_on_ray_equals_the_sequential_re_solves(runner: RayRunner) -> None:
    scenario = small_scenario()
    families = ("residency", "latency", "spot")
    on_ray = scaleout.price_of_rules(scenario, CATALOG, families, time_limit_s=5, runner=runner).values()
    assert on_ray == scaleout.price_of_rules(scenario, CATALOG, families, time_limit_s=5).values()


def test_the_cli_sweep_with_ray_prints_what_the_sequential_sweep_prints(
    runner: RayRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    from placement.cli import main

    argv = ["whatif", "--sweep", "risk=0,10", "--sweep", "shock=-150,0", "--time-limit", "3", "-o", "json"]
    assert main(argv) == 2  # the -150 % points fail: invalid input, named on stderr
    sequential = capsys.readouterr()
    assert main([*argv, "--ray"]) == 2
    on_ray = capsys.readouterr()
    assert json.loads(on_ray.out) == json.loads(sequential.out)
    assert "error: task risk,shock=(0, -150): PlacementError: price shock -150%" in on_ray.err
    assert [p["risk"] for p in json.loads(on_ray.out)["points"]] == [0, 10]
