"""Re-derive the GCP spot correction in `pricing.libcloud_tables.gcp_spot` and print how good it is.

    .venv/bin/python bench/gcp_spot_calibration.py [--literal]

Reads ../shared/data/prices:
* gcp_compute_instance_prices_2026-07-30.csv.gz: Google's list of 2026-07-30 (every machine type and
  region). The factors are fitted here: median(real spot / libcloud preemptible price) per family ×
  region, per family and overall, over the embedded GCP spot offers that have a real spot price.
* gcp_spot_ondemand_price_history_weekly.csv.gz: weekly snapshots since 2022 of 18 machine types (13
  of them embedded): factors fitted at an older snapshot, scored on the newest, say how fast they age.

Prints: rows matched; before (uncorrected preemptible) and after (embedded, corrected) the median
error (embedded / real − 1), median |error| and share within ±10 %, for each model shape (global,
per family, per region, per family × region); the ageing table; whether the factors in the code
match a fresh fit (``--literal`` prints the fitted table as a Python literal).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and bench/pricing.py would shadow
# the `pricing` package; drop that entry so `import pricing` finds the package.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import numpy as np
import pandas as pd

from pricing.catalog import Catalog
from pricing.libcloud_tables import load_libcloud_tables
from pricing.libcloud_tables.gcp import parse_gce_instances
from pricing.libcloud_tables.gcp_spot import DEFAULT_GCE_SPOT_CALIBRATION

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "prices"
PRICES = DATA / "gcp_compute_instance_prices_2026-07-30.csv.gz"
HISTORY = DATA / "gcp_spot_ondemand_price_history_weekly.csv.gz"
KEYS = ["instance_type", "region"]


def _spot_frame(calibrated: bool) -> pd.DataFrame:
    tables = load_libcloud_tables()
    calibration = DEFAULT_GCE_SPOT_CALIBRATION if calibrated else None
    offers = parse_gce_instances(tables.compute.get("gce_instances", {}), tables.as_of, spot_calibration=calibration)
    frame = Catalog(offers).of("spot").to_frame()[[*KEYS, "hourly_usd"]]
    frame["family"] = frame["instance_type"].str.split("-").str[0]
    return frame


def _matched(ours: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    merged = ours.merge(real[[*KEYS, "spot_usd_per_hour"]], on=KEYS)
    merged = merged[merged["spot_usd_per_hour"] > 0].dropna(subset=["spot_usd_per_hour"])
    return merged.assign(ratio=merged["spot_usd_per_hour"] / merged["hourly_usd"])


def _line(name: str, predicted: pd.Series, real: pd.Series) -> str:
    error = predicted.to_numpy() / real.to_numpy() - 1
    return (
        f"{name:<34} rows {len(error):>5,}  median error {100 * np.median(error):+6.1f} %  "
        f"median |error| {100 * np.median(np.abs(error)):5.1f} %  within ±10 % {100 * np.mean(np.abs(error) <= 0.1):5.1f} %"
    )


def _fit(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    return frame.groupby(keys)["ratio"].median()


def _predict(frame: pd.DataFrame, factors: pd.Series, keys: list[str]) -> pd.Series:
    index = pd.MultiIndex.from_frame(frame[keys]) if len(keys) > 1 else pd.Index(frame[keys[0]])
    return frame["hourly_usd"] * np.asarray(factors.reindex(index), dtype=float)


def calibration_report(real: pd.DataFrame) -> pd.DataFrame:
    raw = _matched(_spot_frame(calibrated=False), real)
    print(
        f"Google price list 2026-07-30 vs embedded GCP spot ({len(raw):,} matched machine type × region rows, "
        f"{raw.groupby(['family', 'region']).ngroups} family × region pairs)"
    )
    print(_line("before: libcloud preemptible", raw["hourly_usd"], raw["spot_usd_per_hour"]))
    print(_line("global factor", raw["hourly_usd"] * raw["ratio"].median(), raw["spot_usd_per_hour"]))
    for keys in (["family"], ["region"], ["family", "region"]):
        print(_line(f"per {' × '.join(keys)} factor", _predict(raw, _fit(raw, keys), keys), raw["spot_usd_per_hour"]))
    after = _matched(_spot_frame(calibrated=True), real)
    print(_line("after: embedded (code's factors)", after["hourly_usd"], after["spot_usd_per_hour"]))
    return raw


def ageing_report(history: pd.DataFrame) -> None:
    raw = _spot_frame(calibrated=False)
    frame = raw.merge(history.rename(columns={"machine_type": "instance_type"}), on=KEYS)
    frame = frame[frame["spot_usd_per_hour"] > 0].dropna(subset=["spot_usd_per_hour"])
    frame = frame.assign(
        ratio=frame["spot_usd_per_hour"] / frame["hourly_usd"], snapshot_date=pd.to_datetime(frame["snapshot_date"])
    )
    newest_date = frame["snapshot_date"].max()
    newest = frame[frame["snapshot_date"] == newest_date]
    print(
        f"\nageing: factors fitted at an older weekly snapshot, scored on {newest_date:%Y-%m-%d} "
        f"({newest['instance_type'].nunique()} machine types, {len(newest):,} rows)"
    )
    for months in (0, 1, 3, 6, 12):
        fitted_at = frame.loc[
            frame["snapshot_date"] <= newest_date - pd.DateOffset(months=months), "snapshot_date"
        ].max()
        train = frame[frame["snapshot_date"] == fitted_at]
        for keys in (["family"], ["family", "region"]):
            predicted = _predict(newest, _fit(train, keys), keys)
            usable = predicted.notna()
            print(
                _line(
                    f"{months:>2} months ({fitted_at:%Y-%m-%d}) per {' × '.join(keys)}",
                    predicted[usable],
                    newest.loc[usable, "spot_usd_per_hour"],
                )
            )
    by_quarter = frame.groupby(frame["snapshot_date"].dt.to_period("Q"))["ratio"].median()
    print(
        "median real spot / libcloud preemptible by quarter:",
        ", ".join(f"{quarter} {ratio:.2f}" for quarter, ratio in by_quarter.items()),
    )


def compare_with_code(raw: pd.DataFrame, *, literal: bool) -> int:
    fitted = _fit(raw, ["family", "region"]).round(4)
    code = DEFAULT_GCE_SPOT_CALIBRATION
    differing = [
        (f, r, v, code.by_family_region.get(f, {}).get(r))
        for (f, r), v in fitted.items()
        if code.by_family_region.get(f, {}).get(r) != v
    ]
    family = _fit(raw, ["family"]).round(4).to_dict()
    overall = round(float(raw["ratio"].median()), 4)
    print(
        f"\ncode: {sum(len(v) for v in code.by_family_region.values())} family × region factors, calibrated "
        f"{code.calibrated_on}, {code.rows:,} rows; fresh fit: {len(fitted)} factors, {len(raw):,} rows; "
        f"differing: {len(differing)}; per family {family} (code {dict(code.by_family)}); overall {overall} "
        f"(code {code.overall})"
    )
    for row in differing[:10]:
        print("  differs:", row)
    if literal:
        for fam, rows in fitted.groupby(level=0):
            print(f'    "{fam}": {{' + ", ".join(f'"{r}": {v}' for (_, r), v in rows.items()) + "},")
    return 0 if not differing else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--literal", action="store_true", help="print the fitted factors as a Python literal")
    args = parser.parse_args()
    if not PRICES.exists():
        print(f"missing {PRICES}: this benchmark needs ../shared/data", file=sys.stderr)
        return 1
    raw = calibration_report(pd.read_csv(PRICES).rename(columns={"machine_type": "instance_type"}))
    if HISTORY.exists():
        ageing_report(pd.read_csv(HISTORY))
    return compare_with_code(raw, literal=args.literal)


if __name__ == "__main__":
    sys.exit(main())
