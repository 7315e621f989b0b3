"""`placement.scaleout`: sweeps, replays, price-of-rules re-solves and fleet forecasts as fan-outs.

    from placement import scaleout, whatif

    with scaleout.runner_for(ray=True) as runner:          # local Ray; ray=False (default): sequential
        points = scaleout.risk_frontier(scenario, catalog, runner=runner).values()
    whatif.pareto(points, x=lambda p: p.reclaims_per_day, y=lambda p: p.hourly_usd)

Every function maps an existing pure function over tasks (`whatif.sweep_point`,
`analysis.price_of.price_of_family`, `simulate`, `Forecaster.fit/predict`) and returns a `FanOut`:
each task's `Outcome` (value or the reason it failed, and its seconds) in item order, so a Ray run
gives the same values in the same order as the sequential run. Large shared inputs (scenario,
catalog) are put in Ray's object store once; a forecast task's item is its partition of the
`SeriesTable` (flat columns, read without a copy). `ray` is imported only by `ray_runner`, and only when
a Ray runner is asked for: without Ray installed everything here runs sequentially.
"""

from placement.scaleout.choice import INSTALL_RAY, RayNotInstalled, runner_for
from placement.scaleout.forecasts import (
    SERIES_PER_TASK,
    PartitionForecast,
    SeriesTable,
    forecast_series,
    frame_of,
    partition_series,
)
from placement.scaleout.replays import Replays, SeededReplay, merge, replay_seeds
from placement.scaleout.runner import FanOut, Outcome, Progress, Runner, Sequential, TasksFailed
from placement.scaleout.sweeps import grid_sweep, latency_frontier, price_of_rules, risk_frontier, sweep
from placement.simulate.whatif import pareto

__all__ = [
    "INSTALL_RAY",
    "SERIES_PER_TASK",
    "FanOut",
    "Outcome",
    "PartitionForecast",
    "Progress",
    "RayNotInstalled",
    "Replays",
    "Runner",
    "SeededReplay",
    "Sequential",
    "SeriesTable",
    "TasksFailed",
    "forecast_series",
    "frame_of",
    "grid_sweep",
    "latency_frontier",
    "merge",
    "pareto",
    "partition_series",
    "price_of_rules",
    "replay_seeds",
    "risk_frontier",
    "runner_for",
    "sweep",
]
