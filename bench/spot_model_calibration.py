"""Print the AWS Spot Advisor medians behind `pricing.spot_model` (savings %, interruption bucket).

    .venv/bin/python bench/spot_model_calibration.py

Reads ../shared/data/prices/aws_spot_advisor_flat_2025-06-28.csv.gz (Linux rows, every region) and
prints, per instance category, the median "savings over on-demand" and the median interruption
bucket, next to the literals in `pricing.spot_model.DEFAULT_SPOT_MODEL`.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and bench/pricing.py would shadow
# the `pricing` package; drop that entry so `import pricing` finds the package.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import pandas as pd

from pricing.spot_model import ADVISOR_BUCKET_RATE, DEFAULT_SPOT_MODEL, instance_category

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "prices"
ADVISOR = DATA / "aws_spot_advisor_flat_2025-06-28.csv.gz"


def main() -> int:
    if not ADVISOR.exists():
        print(f"missing {ADVISOR}: this benchmark needs ../shared/data", file=sys.stderr)
        return 1
    rows = pd.read_csv(ADVISOR)
    rows = rows[rows["os"] == "Linux"].copy()
    rows["category"] = rows["instance_type"].map(instance_category)
    print(
        f"AWS Spot Advisor 2025-06-28, Linux: {len(rows):,} rows; overall median savings "
        f"{rows['savings_vs_ondemand_pct'].median():.1f} %, "
        f"median bucket {rows['interruption_range_index'].median():.0f}"
    )
    stats = rows.groupby("category").agg(
        rows=("savings_vs_ondemand_pct", "size"),
        savings_pct=("savings_vs_ondemand_pct", "median"),
        bucket=("interruption_range_index", "median"),
    )
    print(f"{'category':>8} {'rows':>6} {'advisor %':>10} {'model %':>8} {'bucket':>7} {'model rate':>10}")
    for category, row in stats.sort_values("rows", ascending=False).iterrows():
        probe = f"{category}9.large"
        model_pct = 100 * DEFAULT_SPOT_MODEL.discount("aws", probe)
        model_rate = DEFAULT_SPOT_MODEL.interruption_rate("aws", probe)
        print(
            f"{category:>8} {int(row['rows']):>6} {row['savings_pct']:>10.1f} {model_pct:>8.1f} "
            f"{row['bucket']:>7.1f} {model_rate:>10.3f}"
        )
    print("bucket midpoints:", ADVISOR_BUCKET_RATE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
