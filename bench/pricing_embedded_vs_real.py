"""How close is the embedded catalog to newer real price lists? Prints figures per cloud.

    .venv/bin/python bench/pricing_embedded_vs_real.py

Compares embedded offers (libcloud tables, 2025-03; spot from GCE preemptible / Azure low-priority
rows or the spot model) with public price lists in ../shared/data/prices:
* AWS: aws_ec2_us-east-2_catalog_2025-09.csv (us-east-2 only; ``linux_spot_min`` is the lowest
  zone's spot price at the snapshot);
* GCP: gcp_compute_instance_prices_2026-07-30.csv.gz (every region);
* Azure: azure_vm_prices_2026-05-20.csv.gz (every region).
For each cloud and capacity type: how many embedded offers have a counterpart (matched share), the
median of embedded / real − 1 and the share within ±10 %.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and bench/pricing.py would shadow
# the `pricing` package; drop that entry so `import pricing` finds the package.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import numpy as np
import pandas as pd

from pricing.embedded import load_embedded_catalog

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "prices"


def _real_aws() -> pd.DataFrame:
    rows = pd.read_csv(DATA / "aws_ec2_us-east-2_catalog_2025-09.csv")
    rows["region"] = "us-east-2"
    return pd.concat(
        [
            rows.assign(capacity_type="on-demand", real=rows["linux_ondemand_usd_per_hour"]),
            rows.assign(capacity_type="spot", real=rows["linux_spot_min_usd_per_hour"]),
        ]
    )[["instance_type", "region", "capacity_type", "real"]]


def _real_gcp() -> pd.DataFrame:
    rows = pd.read_csv(DATA / "gcp_compute_instance_prices_2026-07-30.csv.gz")
    rows = rows.rename(columns={"machine_type": "instance_type"})
    return pd.concat(
        [
            rows.assign(capacity_type="on-demand", real=rows["ondemand_usd_per_hour"]),
            rows.assign(capacity_type="spot", real=rows["spot_usd_per_hour"]),
        ]
    )[["instance_type", "region", "capacity_type", "real"]]


def _real_azure() -> pd.DataFrame:
    rows = pd.read_csv(DATA / "azure_vm_prices_2026-05-20.csv.gz").rename(
        columns={"InstanceType": "instance_type", "Region": "region"}
    )
    return pd.concat(
        [
            rows.assign(capacity_type="on-demand", real=rows["Price"]),
            rows.assign(capacity_type="spot", real=rows["SpotPrice"]),
        ]
    )[["instance_type", "region", "capacity_type", "real"]]


def compare(cloud: str, real: pd.DataFrame, ours: pd.DataFrame) -> None:
    ours = ours[ours["cloud"] == cloud]
    if cloud == "aws":
        ours = ours[ours["region"] == "us-east-2"]
    real = real.dropna(subset=["real"])
    real = real[real["real"] > 0].drop_duplicates(["instance_type", "region", "capacity_type"])
    merged = ours.merge(real, on=["instance_type", "region", "capacity_type"], how="left")
    for capacity_type, group in merged.groupby("capacity_type"):
        matched = group.dropna(subset=["real"])
        ratio = matched["hourly_usd"] / matched["real"] - 1
        sources = ", ".join(sorted(group["source"].unique()))
        print(
            f"{cloud:>6} {capacity_type:>10}: {len(matched):>6,}/{len(group):<6,} matched "
            f"({100 * len(matched) / max(len(group), 1):5.1f} %), median embedded/real − 1 = "
            f"{100 * np.median(ratio) if len(ratio) else float('nan'):+6.1f} %, within ±10 %: "
            f"{100 * np.mean(np.abs(ratio) <= 0.10) if len(ratio) else float('nan'):5.1f} %   [{sources}]"
        )


def main() -> int:
    if not DATA.exists():
        print(f"missing {DATA}: this benchmark needs ../shared/data", file=sys.stderr)
        return 1
    ours = load_embedded_catalog().to_frame()
    print(f"embedded catalog: {len(ours):,} offers, as of {ours['as_of'].min()}")
    compare("aws", _real_aws(), ours)
    compare("gcp", _real_gcp(), ours)
    compare("azure", _real_azure(), ours)
    return 0


if __name__ == "__main__":
    sys.exit(main())
