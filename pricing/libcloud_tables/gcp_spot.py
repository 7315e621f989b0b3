"""The correction that makes libcloud's GCE preemptible prices true to 2026 Spot VM prices.

libcloud's table (2025-03) holds the old fixed *preemptible* unit prices. Google's Spot VM prices
move (up to once a month, per region) and had drifted far from them: on Google's price list of
2026-07-30 the embedded spot prices sat a median 32.6 % below the real ones (2,027 machine type ×
region pairs, every embedded GCP spot offer matched), and only 13.3 % were within ±10 %.

Model: ``spot hourly_usd = libcloud preemptible price × factor(family, region)``, where the factor is
the median ratio real / libcloud over the family's machine types in that region. One factor per
family × region, because Spot prices move per region (and not per family): a single global factor
(1.4847) leaves a median |error| of 22.7 % and a per-family one 23.9 %, a per-region one 13.6 %; the
family × region factor reproduces the list (median |error| 0.005 %, 95th percentile 0.12 %, worst
4.3 %: n2-highcpu-2 in asia-south1, where Google moved vCPU and memory prices apart). A pair the
table lacks falls back to the family's median factor, then to the global one.

Calibration: 2026-07-30, ``../shared/data/prices/gcp_compute_instance_prices_2026-07-30.csv.gz``
(Cyclenerd/google-cloud-pricing-cost-calculator ``pricing.yml`` @ fd66b26, Apache-2.0: Google Cloud
list prices from the Cloud Billing Catalog API), 2,027 matched rows over 101 family × region pairs.
Re-derive, and see before/after and how fast the factors age, with ``bench/gcp_spot_calibration.py``.

How long it stays true: GCP spot prices keep rising against the preemptible table (the median
ratio over the 13 embedded machine types of the weekly price history: 1.05 in 2023-Q3, 1.26 in
2025-Q1, 1.50 in 2026-Q3). Family × region factors fitted six months earlier (2026-01-29) scored a
median error of −17.6 % and median |error| of 17.8 % on 2026-07-30 (per-family factors: −14.8 % and
30.8 %); the family × region table has the lower median |error| at every horizon up to 12 months,
but all of them drift low as prices rise. Use cached or live prices (``placement prices refresh``)
when the spot mix matters, and re-derive the factors when new price lists land.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

CALIBRATED_SOURCE = "embedded:libcloud-gce-preemptible-calibrated"

# family → region → median(Google 2026-07-30 spot price / libcloud preemptible price) over the
# family's machine types there. Rows per family: c2 95, e2 308, n1 484, n2 551, n2d 589.
_FACTORS: dict[str, dict[str, float]] = {
    "c2": {
        "asia-east1": 1.3115,
        "asia-east2": 1.2124,
        "asia-northeast1": 1.0695,
        "asia-south1": 2.0964,
        "asia-southeast1": 2.2563,
        "asia-southeast2": 0.3907,
        "australia-southeast1": 2.3852,
        "europe-north1": 1.9437,
        "europe-west1": 2.1395,
        "europe-west2": 1.0365,
        "europe-west3": 1.0951,
        "europe-west4": 1.8856,
        "northamerica-northeast1": 0.8798,
        "southamerica-east1": 0.6328,
        "us-central1": 1.9729,
        "us-east4": 1.6494,
        "us-west2": 1.0053,
        "us-west3": 0.803,
        "us-west4": 1.1117,
    },
    "e2": {
        "asia-east1": 2.6134,
        "asia-east2": 0.9822,
        "asia-northeast1": 2.7603,
        "asia-northeast2": 1.2061,
        "asia-northeast3": 1.6462,
        "asia-south1": 3.4228,
        "asia-southeast1": 2.6065,
        "asia-southeast2": 1.0502,
        "australia-southeast1": 2.3308,
        "europe-north1": 1.265,
        "europe-west1": 2.3008,
        "europe-west2": 1.5855,
        "europe-west3": 2.4289,
        "europe-west4": 2.2668,
        "europe-west6": 1.7452,
        "northamerica-northeast1": 1.4101,
        "southamerica-east1": 0.9136,
        "us-central1": 2.8503,
        "us-east4": 2.7413,
        "us-west2": 1.4637,
        "us-west3": 1.2495,
        "us-west4": 0.602,
    },
    "n1": {
        "asia-east1": 0.9783,
        "asia-east2": 1.0209,
        "asia-northeast1": 1.5289,
        "asia-northeast2": 1.6198,
        "asia-northeast3": 1.7894,
        "asia-south1": 1.3734,
        "asia-southeast1": 0.9999,
        "asia-southeast2": 0.7468,
        "australia-southeast1": 1.6162,
        "europe-north1": 1.4847,
        "europe-west1": 1.981,
        "europe-west2": 1.3039,
        "europe-west3": 1.7579,
        "europe-west4": 2.7555,
        "europe-west6": 1.4027,
        "northamerica-northeast1": 2.5947,
        "southamerica-east1": 1.0467,
        "us-central1": 1.6752,
        "us-east4": 1.2793,
        "us-west2": 1.9201,
        "us-west3": 1.6664,
        "us-west4": 1.4197,
    },
    "n2": {
        "asia-east1": 1.6163,
        "asia-east2": 1.3156,
        "asia-northeast1": 1.0506,
        "asia-south1": 1.4111,
        "asia-southeast1": 1.6913,
        "asia-southeast2": 2.268,
        "australia-southeast1": 1.6673,
        "europe-north1": 1.9468,
        "europe-west1": 0.9068,
        "europe-west2": 0.8801,
        "europe-west3": 1.7314,
        "europe-west4": 1.5,
        "northamerica-northeast1": 1.3041,
        "southamerica-east1": 0.8821,
        "us-central1": 1.9602,
        "us-east4": 0.9957,
        "us-west2": 1.3506,
        "us-west3": 1.3962,
        "us-west4": 2.2313,
    },
    "n2d": {
        "asia-east1": 2.2818,
        "asia-east2": 1.3628,
        "asia-northeast1": 1.6875,
        "asia-south1": 1.2406,
        "asia-southeast1": 0.8925,
        "asia-southeast2": 1.2213,
        "australia-southeast1": 1.8839,
        "europe-north1": 1.3988,
        "europe-west1": 1.7937,
        "europe-west2": 1.741,
        "europe-west3": 2.6104,
        "europe-west4": 1.4442,
        "northamerica-northeast1": 2.2441,
        "southamerica-east1": 0.9363,
        "us-central1": 1.1961,
        "us-east4": 2.2178,
        "us-west2": 1.902,
        "us-west3": 1.1375,
        "us-west4": 1.0294,
    },
}
# Fallbacks: the family's median over all its rows, and the median over all 2,027 rows.
_FAMILY_FACTORS = {"c2": 1.2124, "e2": 1.6949, "n1": 1.5069, "n2": 1.4111, "n2d": 1.4442}
_OVERALL_FACTOR = 1.4847


@dataclass(frozen=True, slots=True)
class GceSpotCalibration:
    """Multiplicative correction of libcloud's GCE preemptible prices (module docstring).

    `by_family_region[family][region]`, else `by_family[family]`, else `overall`. Offers it prices
    carry `source`; a variant with other factors (``dataclasses.replace``) should get its own
    `source`, since `derivation` explains offers of `CALIBRATED_SOURCE` with the default factors.
    """

    by_family_region: Mapping[str, Mapping[str, float]]
    by_family: Mapping[str, float]
    overall: float
    calibrated_on: date
    rows: int
    source: str = CALIBRATED_SOURCE

    def factor(self, family: str, region: str) -> float:
        """Real 2026 spot price / libcloud preemptible price for `family` in `region`."""
        by_region = self.by_family_region.get(family)
        if by_region is not None and region in by_region:
            return by_region[region]
        return self.by_family.get(family, self.overall)

    def derivation(self, family: str, region: str) -> str:
        """How an offer of `family` in `region` was priced, in words (for ``placement prices show``)."""
        by_region = self.by_family_region.get(family)
        if by_region is not None and region in by_region:
            basis = f"{family} in {region}"
        elif family in self.by_family:
            basis = f"{family}'s median over its regions"
        else:
            basis = "median over all families"
        return (
            f"libcloud preemptible table × calibrated {self.calibrated_on:%Y} factor "
            f"{self.factor(family, region):.4f} ({basis}; Google list {self.calibrated_on:%Y-%m-%d})"
        )


DEFAULT_GCE_SPOT_CALIBRATION = GceSpotCalibration(
    by_family_region=MappingProxyType({f: MappingProxyType(rows) for f, rows in _FACTORS.items()}),
    by_family=MappingProxyType(_FAMILY_FACTORS),
    overall=_OVERALL_FACTOR,
    calibrated_on=date(2026, 7, 30),
    rows=2027,
)

__all__ = ["CALIBRATED_SOURCE", "DEFAULT_GCE_SPOT_CALIBRATION", "GceSpotCalibration"]
