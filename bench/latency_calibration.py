"""Calibrate `placement.geo.latency` (path inflation, base RTT) against measured inter-region RTTs.

    .venv/bin/python bench/latency_calibration.py [--tier PREMIUM|STANDARD|ALL] [--column avg_rtt|min_rtt]

Data (read from ../shared/data/latency, never copied):
* cross_cloud_rtt_ms_skyplane_2022-04.csv — ping RTTs between VMs in 69 AWS/Azure/GCP regions
  (GCP entries are zones: ``gcp:us-central1-a`` → region ``us-central1``);
* cloud_region_locations_2025-01.csv — region coordinates (regions listed at two metro points are
  averaged). That list places AWS us-west-1 at Hermiston, OR and us-west-2 at San Francisco
  (swapped); the last line of output repeats the error with our own regions.csv, which has them right.

Fit: rtt = base + distance_km × 2 × inflation / 200, minimising the mean absolute error (for each
slope on a grid the best base is the median residual). Prints the fitted constants, the error of
the fit and of the constants shipped in `placement.geo.latency`, and the same errors when the distance
comes from our own `pricing/data/regions.csv` instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from placement.geo import latency
from placement.geo.regions import lookup_region

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "latency"
RTT_CSV = DATA / "cross_cloud_rtt_ms_skyplane_2022-04.csv"
LOCATIONS_CSV = DATA / "cloud_region_locations_2025-01.csv"


def _region_of(endpoint: str) -> tuple[str, str]:
    cloud, name = endpoint.split(":", 1)
    if cloud == "gcp" and name[-2] == "-" and name[-1].isalpha():
        name = name[:-2]  # zone → region
    return cloud, name


def load_pairs(tier: str, column: str) -> pd.DataFrame:
    rtt = pd.read_csv(RTT_CSV)
    if tier != "ALL":
        rtt = rtt[(rtt["src_tier"] == tier) & (rtt["dst_tier"] == tier)]
    locations = pd.read_csv(LOCATIONS_CSV).dropna(subset=["region"])
    coords = locations.groupby(["cloud", "region"])[["latitude", "longitude"]].mean()
    rows = []
    for src, dst, value in zip(rtt["src_region"], rtt["dst_region"], rtt[column], strict=True):
        a, b = _region_of(src), _region_of(dst)
        if a not in coords.index or b not in coords.index:
            continue
        (lat1, lon1), (lat2, lon2) = coords.loc[a].to_numpy(), coords.loc[b].to_numpy()
        ours_a, ours_b = lookup_region(*a), lookup_region(*b)
        ours_km = (
            latency.great_circle_km(ours_a.lat, ours_a.lon, ours_b.lat, ours_b.lon)
            if ours_a is not None and ours_b is not None
            else np.nan
        )
        rows.append((src, dst, latency.great_circle_km(lat1, lon1, lat2, lon2), ours_km, float(value)))
    return pd.DataFrame(rows, columns=["src", "dst", "km", "our_km", "rtt_ms"])


def fit(km: np.ndarray, rtt: np.ndarray) -> tuple[float, float]:
    """(inflation, base_ms) minimising mean |rtt − model| on a 0.005 grid of inflation."""
    best = (np.inf, 1.0, 0.0)
    for inflation in np.arange(1.0, 3.0001, 0.005):
        slope = 2.0 * inflation / latency.FIBRE_KM_PER_MS
        base = float(np.median(rtt - slope * km))
        mae = float(np.mean(np.abs(rtt - (base + slope * km))))
        if mae < best[0]:
            best = (mae, float(inflation), base)
    return best[1], best[2]


def errors(km: np.ndarray, rtt: np.ndarray, inflation: float, base: float) -> str:
    predicted = np.array([latency.rtt_from_distance_ms(d, path_inflation=inflation, base_ms=base) for d in km])
    abs_err = np.abs(predicted - rtt)
    rel = abs_err / np.maximum(rtt, 1.0)
    return (
        f"median abs error {np.median(abs_err):.1f} ms, mean {np.mean(abs_err):.1f} ms, "
        f"p90 {np.percentile(abs_err, 90):.1f} ms, median rel {100 * np.median(rel):.0f} %, "
        f"within ±25 %: {100 * np.mean(rel <= 0.25):.0f} % of pairs"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="PREMIUM", choices=["PREMIUM", "STANDARD", "ALL"])
    parser.add_argument("--column", default="avg_rtt", choices=["avg_rtt", "min_rtt"])
    args = parser.parse_args(argv)
    if not RTT_CSV.exists() or not LOCATIONS_CSV.exists():
        print(f"missing {DATA}: this benchmark needs ../shared/data", file=sys.stderr)
        return 1
    pairs = load_pairs(args.tier, args.column)
    km, rtt = pairs["km"].to_numpy(), pairs["rtt_ms"].to_numpy()
    inflation, base = fit(km, rtt)
    print(
        f"pairs: {len(pairs):,} directed ({args.tier} tier, {args.column}), "
        f"{pairs['km'].min():.0f}–{pairs['km'].max():.0f} km"
    )
    print(
        f"fit:     PATH_INFLATION = {inflation:.3f}   BASE_RTT_MS = {base:.2f}   "
        f"(fibre {latency.FIBRE_KM_PER_MS:.0f} km/ms one way)"
    )
    print(f"         {errors(km, rtt, inflation, base)}")
    print(f"shipped: PATH_INFLATION = {latency.PATH_INFLATION:.3f}   BASE_RTT_MS = {latency.BASE_RTT_MS:.2f}")
    print(f"         {errors(km, rtt, latency.PATH_INFLATION, latency.BASE_RTT_MS)}")
    ours = pairs.dropna(subset=["our_km"])
    print(f"shipped constants, distances from pricing/data/regions.csv ({len(ours):,} pairs):")
    shipped = (latency.PATH_INFLATION, latency.BASE_RTT_MS)
    print(f"         {errors(ours['our_km'].to_numpy(), ours['rtt_ms'].to_numpy(), *shipped)}")
    for lo, hi in ((0, 1000), (1000, 3000), (3000, 8000), (8000, 21000)):
        band = pairs[(pairs["km"] >= lo) & (pairs["km"] < hi)]
        if len(band):
            print(
                f"  {lo:>5}–{hi:<5} km: {len(band):>5} pairs, "
                f"{errors(band['km'].to_numpy(), band['rtt_ms'].to_numpy(), *shipped)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
