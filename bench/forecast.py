"""The forecaster against statsforecast peers on real traffic, and its speed. Prints figures; never
run by the unit tests.

    .venv/bin/python bench/forecast.py [--skip-peers] [--skip-timing] [--timing-series 1000]

1. Accuracy: every series in ../shared/data/traffic (NAB + NASA), resampled to 30 minutes (mean of
   the samples in each slot; the few empty slots linearly interpolated so that every model sees the
   same gap-free input), 7 rolling origins one day apart, horizon one day (48 slots). In the same
   run, with the same windows: statsforecast SeasonalNaive(one week), MSTL(day, week) and
   AutoETS(day) (their q0.95 is the upper edge of the 90 % interval). Per series and on average:
   MASE of the median (scaled by the in-sample one-day seasonal-naive MAE up to each cutoff),
   coverage of q0.95 (share of actuals ≤ it) and pinball loss over q0.5 and q0.95 (same scale).
   Targets: mean MASE ≤ 0.85 × the best peer's mean; mean q0.95 coverage within [0.93, 0.97].
2. Timing: fit + predict (one day ahead, q0.5 and q0.95) for 1,000 synthetic series × 28 days of
   30-minute history (daily and weekly cycles, noise, a few level shifts). Target ≤ 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import forecasting as fc

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "traffic"
FREQ, HORIZON, WINDOWS, SEASON = "30min", 48, 7, 48
QUANTILES = (0.5, 0.95)
PEERS = ("SeasonalNaive", "MSTL", "AutoETS")


def load_traffic(directory: Path) -> pd.DataFrame:
    frames = [fc.load_csv(path) for path in sorted(directory.glob("*.csv"))]
    return fc.interpolate_gaps(fc.regularize(pd.concat(frames, ignore_index=True), FREQ))


def run_ours(history: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    started = time.perf_counter()
    model = fc.Forecaster(freq=FREQ, horizon=HORIZON, quantiles=QUANTILES)
    cv = fc.cross_validation(model, history, h=HORIZON, n_windows=WINDOWS, freq=FREQ)
    return cv, time.perf_counter() - started


def run_peers(history: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL, AutoETS, SeasonalNaive

    models = {
        "SeasonalNaive": SeasonalNaive(season_length=7 * SEASON),
        "MSTL": MSTL(season_length=[SEASON, 7 * SEASON]),
        "AutoETS": AutoETS(season_length=SEASON),
    }
    merged, seconds = None, {}
    for name, model in models.items():
        started = time.perf_counter()
        engine = StatsForecast(models=[model], freq=FREQ, n_jobs=min(2, os.cpu_count() or 1))
        cv = engine.cross_validation(df=history, h=HORIZON, n_windows=WINDOWS, step_size=HORIZON, level=[90])
        seconds[name] = time.perf_counter() - started
        cv = cv.drop(columns=[c for c in cv.columns if c.endswith("-lo-90")])
        merged = cv if merged is None else merged.merge(cv.drop(columns="y"), on=["unique_id", "ds", "cutoff"])
        print(f"  {name}: {seconds[name]:.0f} s", file=sys.stderr, flush=True)
    assert merged is not None
    return merged, seconds


def accuracy(history: pd.DataFrame, with_peers: bool) -> bool:
    print(f"1. accuracy on {history['unique_id'].nunique()} series, {WINDOWS} windows × {HORIZON} slots of {FREQ}")
    ours, ours_s = run_ours(history)
    models = ["GlobalGBM"]
    cv = ours
    seconds = {"GlobalGBM": ours_s}
    if with_peers:
        peers, peer_s = run_peers(history)
        cv = ours.merge(peers.drop(columns="y"), on=["unique_id", "ds", "cutoff"], how="inner")
        if len(cv) != len(ours):
            raise SystemExit(f"windows differ: ours {len(ours)} rows, joined {len(cv)}")
        models += list(PEERS)
        seconds.update(peer_s)
    scores = fc.evaluate(cv, history, models=models, quantiles=QUANTILES, season=SEASON, coverage_quantile=0.95)
    print_scores(scores, models)
    means = fc.summarize(scores).set_index("model")
    print("\n   backtest wall time (7 fits each): " + ", ".join(f"{m} {seconds[m]:.0f} s" for m in models))
    ours_mase, coverage = means.loc["GlobalGBM", "mase"], means.loc["GlobalGBM", "coverage"]
    ok = 0.93 <= coverage <= 0.97
    print(f"   target coverage of q0.95 in [0.93, 0.97]: {coverage:.3f} -> {'OK' if ok else 'MISSED'}")
    if with_peers:
        best = means.loc[list(PEERS), "mase"].idxmin()
        ratio = ours_mase / means.loc[best, "mase"]
        ok_ratio = ratio <= 0.85
        print(
            f"   target mean MASE ≤ 0.85 × best peer ({best} {means.loc[best, 'mase']:.3f}): "
            f"{ours_mase:.3f} = {ratio:.3f} × -> {'OK' if ok_ratio else 'MISSED'}"
        )
        ok &= ok_ratio
    return bool(ok)


def print_scores(scores: pd.DataFrame, models: list[str]) -> None:
    wide = scores.pivot(index="unique_id", columns="model", values=["mase", "coverage", "pinball"])
    width = max(len(str(uid)) for uid in wide.index) + 2
    header = f"   {'series':<{width}}" + "".join(f"{m[:13]:>14}" for m in models)
    for metric in ("mase", "coverage", "pinball"):
        print(f"\n   {metric.upper()}" + ("  (q0.95)" if metric == "coverage" else ""))
        print(header)
        for uid in wide.index:
            print(f"   {uid:<{width}}" + "".join(f"{wide.loc[uid, (metric, m)]:>14.3f}" for m in models))
        print(f"   {'mean':<{width}}" + "".join(f"{wide[(metric, m)].mean():>14.3f}" for m in models))


def synthetic(n_series: int, days: int, seed: int = 0) -> pd.DataFrame:
    """Traffic-like series: level × daily cycle × weekend dip × noise, a tenth with a level shift."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2025-01-06", periods=days * SEASON, freq=FREQ)
    day = ((ds - ds.normalize()) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    level = 10 ** rng.uniform(0.5, 4.0, size=(n_series, 1))
    daily = 1.0 + 0.6 * np.sin(2 * np.pi * day[None, :] + rng.uniform(0, 2 * np.pi, size=(n_series, 1)))
    weekly = np.where(np.asarray(ds.day_of_week >= 5)[None, :], rng.uniform(0.5, 1.0, size=(n_series, 1)), 1.0)
    shift = np.where(
        (rng.random((n_series, 1)) < 0.1) & (np.arange(ds.size)[None, :] > rng.integers(0, ds.size, (n_series, 1))),
        rng.uniform(0.5, 2.0, size=(n_series, 1)),
        1.0,
    )
    y = level * daily * weekly * shift * rng.lognormal(0.0, 0.15, size=(n_series, ds.size))
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:04d}" for i in range(n_series)], ds.size),
            "ds": np.tile(ds.to_numpy(), n_series),
            "y": y.ravel(),
        }
    )


def timing(n_series: int, repeats: int) -> bool:
    frame = synthetic(n_series, days=28)
    print(
        f"\n2. timing: fit + predict, {n_series} series × 28 days of {FREQ} ({len(frame):,} rows), "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    walls = []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        forecast = fc.Forecaster(freq=FREQ, horizon=HORIZON, quantiles=QUANTILES).fit(frame).predict()
        walls.append(time.perf_counter() - started)
        print(f"   run: {walls[-1]:.1f} s wall, {time.process_time() - cpu:.1f} s CPU, {len(forecast):,} forecast rows")
    best = min(walls)
    print(f"   target fit + predict ≤ 30 s: best {best:.1f} s -> {'OK' if best <= 30 else 'MISSED'}")
    return best <= 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--skip-peers", action="store_true", help="only this forecaster (no statsforecast)")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--timing-series", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2, help="timing runs; the best counts (shared machine)")
    args = parser.parse_args()
    ok = True
    if args.data.is_dir():
        ok &= accuracy(load_traffic(args.data), with_peers=not args.skip_peers)
    else:
        print(f"1. accuracy: skipped, {args.data} does not exist")
    if not args.skip_timing:
        ok &= timing(args.timing_series, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
