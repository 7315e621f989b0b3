"""placement.scaleout: the sequential path against a local Ray on this machine, in the same run.
Prints figures; never run by the unit tests.

    .venv/bin/python bench/scaleout.py [--cpus 2] [--series 20000] [--series-per-task 1000] [--days 14]
                                       [--default-threads] [--skip-sweep] [--skip-forecast]

1. A what-if sweep of 64 scenarios on the packaged demo fleet (riskAversion 4 values × a price
   shock on every offer 4 values × traffic 4 values), `scaleout.grid_sweep`, time limit 10 s per plan.
2. A fleet forecast of 20,000 synthetic series (30-minute samples, daily and weekly cycles, noise,
   level shifts), fit + predict one day ahead in partitions of 1,000 series (`scaleout.forecast_series`,
   a lighter Forecaster than the default: 60 boosting rounds, 30,000 training rows per partition).

For each: wall seconds sequential and on Ray (`ray.init` and worker start-up shown apart), the
speed-up (target ≥ 1.7× on 2 cores; the sequential forecast runs with one OpenMP thread, as each
Ray worker does — with two threads on a busy 2-core machine it measured 3.4× slower; `--default-threads`
also times it with every thread, for reference), peak resident memory (this process and, on Ray, every Ray
process it started, sampled every 0.2 s), whether the results are identical, and per-task figures
(seconds inside the task, pickled sizes of the shared input, an item and a result) that the README's
plan for a 100-node cluster is computed from. The machine may be shared: figures vary run to run.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import pickle
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the packages, not bench/pricing.py
sys.path.remove(str(Path(__file__).resolve().parent)) if str(Path(__file__).resolve().parent) in sys.path else None

from forecasting import Forecaster  # noqa: E402
from placement import scaleout, whatif  # noqa: E402

AXES = [("risk", [0.0, 1.0, 10.0, 100.0]), ("shock", [-20.0, 0.0, 20.0, 50.0]), ("traffic", [0.5, 1.0, 2.0, 4.0])]


class PeakMemory:
    """Peak RSS (MiB) of this process plus its descendants (Ray's raylet, GCS and workers when local)."""

    def __init__(self, children: bool) -> None:
        self.children = children
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *(me.children(recursive=True) if self.children else [])]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak_mib = max(self.peak_mib, total / 2**20)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(work: Callable[[], Any], *, children: bool = True) -> tuple[Any, float, float]:
    with PeakMemory(children) as memory:
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
    return result, seconds, memory.peak_mib


def synthetic_series(n: int, days: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    steps = 48 * days
    t = np.arange(steps)
    base = rng.lognormal(3.0, 1.0, size=(n, 1))
    daily = 1 + 0.5 * np.sin(2 * np.pi * (t[None, :] / 48) + rng.uniform(0, 2 * np.pi, (n, 1)))
    weekly = 1 + 0.2 * np.sin(2 * np.pi * (t[None, :] / (48 * 7)))
    shift = np.where(
        t[None, :] >= rng.integers(steps // 2, steps, (n, 1)), rng.choice([1.0, 1.5], (n, 1), p=[0.8, 0.2]), 1.0
    )
    y = base * daily * weekly * shift * rng.lognormal(0, 0.1, (n, steps))
    ds = pd.date_range("2025-01-01", periods=steps, freq="30min")
    ids = np.array([f"ns-{i // 50:04d}/svc-{i:05d}" for i in range(n)], dtype=object)
    return pd.DataFrame({"unique_id": np.repeat(ids, steps), "ds": np.tile(ds, n), "y": y.ravel()})


def clock(finished: list[float]) -> Callable[[Any], None]:
    """A progress callback that appends the seconds since it was made, once per finished task."""
    started = time.perf_counter()
    return lambda _: finished.append(time.perf_counter() - started)


def pickled_kib(value: Any) -> float:
    return len(pickle.dumps(value, protocol=5)) / 1024


def describe_tasks(name: str, fanout: Any, shared: Any, item: Any) -> dict[str, Any]:
    seconds = fanout.task_seconds
    result = next(o.value for o in fanout.outcomes if o.ok)
    row = {
        "bench": name,
        "tasks": len(seconds),
        "task_s_mean": statistics.fmean(seconds),
        "task_s_max": max(seconds),
        "shared_kib": pickled_kib(shared),
        "item_kib": pickled_kib(item),
        "result_kib": pickled_kib(result),
    }
    print(
        f"  per task: {row['task_s_mean']:.2f} s mean, {row['task_s_max']:.2f} s max (inside the task); pickled: "
        f"shared input {row['shared_kib']:,.0f} KiB (once), item {row['item_kib']:,.1f} KiB, result {row['result_kib']:,.1f} KiB"
    )
    return row


def plan_figure(row: dict[str, Any], cpus_per_node: int = 16, nodes: int = 100) -> str:
    cpus = cpus_per_node * nodes
    per_cpu_tasks = row["tasks"] / cpus
    return (
        f"  on {nodes} nodes × {cpus_per_node} CPUs: ≈ {row['task_s_mean'] * max(1.0, per_cpu_tasks):.1f} s of task time "
        f"for these {row['tasks']} tasks (one wave); 100× as many tasks ≈ {row['task_s_mean'] * 100 * row['tasks'] / cpus:.0f} s"
    )


def bench_sweep(runner: Any) -> tuple[dict[str, Any], float, float]:
    scenario = whatif.demo_scenario()
    catalog = whatif.scenario_catalog(scenario)
    n = int(np.prod([len(v) for _, v in AXES]))
    print(
        f"\n== what-if sweep: {n} scenarios on the demo fleet ({len(scenario.workloads)} workloads, "
        f"{len(scenario.clusters)} clusters, {len(catalog):,} offers)"
    )
    sequential, seq_s, seq_mib = timed(
        lambda: scaleout.grid_sweep(scenario, catalog, AXES, time_limit_s=10), children=False
    )
    print(f"  sequential: {seq_s:.1f} s, peak RSS {seq_mib:,.0f} MiB (this process)")
    on_ray, ray_s, ray_mib = timed(lambda: scaleout.grid_sweep(scenario, catalog, AXES, time_limit_s=10, runner=runner))
    print(
        f"  Ray (cold workers: includes their start and imports): {ray_s:.1f} s, peak RSS {ray_mib:,.0f} MiB (all Ray processes)"
    )
    warm, warm_s, _ = timed(lambda: scaleout.grid_sweep(scenario, catalog, AXES, time_limit_s=10, runner=runner))
    print(f"  Ray (warm workers): {warm_s:.1f} s")
    print(f"  speed-up: {seq_s / ray_s:.2f}× cold, {seq_s / warm_s:.2f}× warm")
    same = (
        [_key(p) for p in sequential.values()] == [_key(p) for p in on_ray.values()] == [_key(p) for p in warm.values()]
    )
    print(f"  identical results (every plan, in order): {same}")
    row = describe_tasks(
        "sweep",
        on_ray,
        scaleout.sweeps.SweepInputs(scenario, catalog, whatif.Grid(("risk",)), 10.0, "x"),
        (0.0, 0.0, 1.0),
    )
    print(plan_figure(row))
    return row, seq_s / ray_s, seq_s / warm_s


def bench_forecast(
    runner: Any, n: int, per_task: int, days: int, default_threads: bool
) -> tuple[dict[str, Any], float, float]:
    history = synthetic_series(n, days)
    model = Forecaster(freq="30min", horizon=48, quantiles=(0.5, 0.95), max_iter=60, max_train_rows=30_000)
    started = time.perf_counter()
    table = scaleout.SeriesTable.of(history)
    table_s = time.perf_counter() - started
    partitions = table.partitions(per_task)
    print(
        f"\n== forecast: {n:,} series × {days} days of 30 min ({len(history):,} rows), {len(partitions)} partitions of "
        f"{per_task:,} series, one day ahead"
    )
    print(f"  grouping the rows by series (SeriesTable.of, on the driver in every run): {table_s:.2f} s")
    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime, so that threadpool_limits sees it)
    from threadpoolctl import threadpool_limits

    def forecast(on: Any = None, progress: Any = None) -> Any:
        return scaleout.forecast_series(
            history, forecaster=model, series_per_task=per_task, runner=on, progress=progress
        )

    if default_threads:
        _, default_s, _ = timed(forecast, children=False)
        print(f"  sequential, default OpenMP threads ({os.cpu_count()}): {default_s:.1f} s")
    with threadpool_limits(1):  # one OpenMP thread, as each Ray worker has: on a busy machine more threads thrash
        sequential, seq_s, seq_mib = timed(forecast, children=False)
    print(f"  sequential, one OpenMP thread: {seq_s:.1f} s, peak RSS {seq_mib:,.0f} MiB (this process)")
    runs = []
    for what in ("cold workers: their first forecast, with its imports", "warm workers"):
        finished: list[float] = []  # seconds from the start at which each task came back
        on_ray, ray_s, ray_mib = timed(functools.partial(forecast, runner, clock(finished)))
        print(
            f"  Ray ({what}): {ray_s:.1f} s, peak RSS {ray_mib:,.0f} MiB (all Ray processes); tasks finished from "
            f"{finished[0]:.1f} s to {finished[-1]:.1f} s, the last two {finished[-1] - finished[-2]:.1f} s apart"
        )
        runs.append((on_ray, ray_s))
    (on_ray, cold_s), (warm, warm_s) = runs
    print(f"  speed-up over one OpenMP thread: {seq_s / cold_s:.2f}× cold, {seq_s / warm_s:.2f}× warm")
    if default_threads:
        print(f"  speed-up over the default threads: {default_s / cold_s:.2f}× cold, {default_s / warm_s:.2f}× warm")
    expected = scaleout.frame_of(sequential.values())
    same = expected.equals(scaleout.frame_of(on_ray.values())) and expected.equals(scaleout.frame_of(warm.values()))
    print(f"  identical forecasts (every row): {same}")
    row = describe_tasks("forecast", warm, scaleout.forecasts.ForecastInputs(model, None), partitions[0])
    print(plan_figure(row))
    return row, seq_s / cold_s, seq_s / warm_s


def _key(p: Any) -> tuple[Any, ...]:
    document = p.plan.to_json()
    document["solver"].pop("seconds", None)
    return p.value, document, p.hourly_usd, p.unplaced


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray (default 2)")
    parser.add_argument("--series", type=int, default=20_000)
    parser.add_argument("--series-per-task", type=int, default=1000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--skip-forecast", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument(
        "--default-threads",
        action="store_true",
        help="also time the sequential forecast with every OpenMP thread (only on an idle machine: "
        "with other work on the cores, the threads' spinning made it take many minutes)",
    )
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} (shared: figures vary)"
    )
    started = time.perf_counter()
    with scaleout.runner_for(ray=True, num_cpus=args.cpus) as runner:
        runner.connect()
        print(f"ray.init (local, {args.cpus} CPUs): {time.perf_counter() - started:.1f} s")
        results = []
        if not args.skip_sweep:
            _, cold, warm = bench_sweep(runner)
            results.append(f"sweep {cold:.2f}× cold / {warm:.2f}× warm")
        if not args.skip_forecast:
            _, cold, warm = bench_forecast(runner, args.series, args.series_per_task, args.days, args.default_threads)
            results.append(f"forecast {cold:.2f}× cold / {warm:.2f}× warm")
    print(f"\nspeed-up on {args.cpus} CPUs (target ≥ 1.7×): {'; '.join(results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
