"""The 2026 correction of libcloud's GCE preemptible prices: lookups, fallbacks, and (with
../shared/data) that the corrected embedded spot prices match Google's 2026-07-30 list."""

from __future__ import annotations

import csv
import gzip
import statistics
from datetime import date
from pathlib import Path

import pytest

from pricing.embedded import load_embedded_catalog
from pricing.libcloud_tables import load_libcloud_tables
from pricing.libcloud_tables.gcp import parse_gce_instances
from pricing.libcloud_tables.gcp_spot import CALIBRATED_SOURCE, DEFAULT_GCE_SPOT_CALIBRATION, GceSpotCalibration

SHARED_PRICES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "prices"
GOOGLE_LIST = SHARED_PRICES / "gcp_compute_instance_prices_2026-07-30.csv.gz"

CALIBRATION = GceSpotCalibration(
    by_family_region={"n2": {"europe-west1": 0.9, "us-central1": 2.0}},
    by_family={"n2": 1.4, "e2": 1.7},
    overall=1.5,
    calibrated_on=date(2026, 7, 30),
    rows=3,
)


@pytest.mark.parametrize(
    ("family", "region", "factor", "basis"),
    [
        ("n2", "us-central1", 2.0, "n2 in us-central1"),
        ("n2", "asia-south2", 1.4, "n2's median over its regions"),  # region not calibrated: the family's
        ("e2", "us-central1", 1.7, "e2's median over its regions"),
        ("c3", "us-central1", 1.5, "median over all families"),  # family not calibrated: overall
    ],
)
def test_factor_falls_back_from_family_region_to_family_to_overall(
    family: str, region: str, factor: float, basis: str
) -> None:
    assert CALIBRATION.factor(family, region) == factor
    words = CALIBRATION.derivation(family, region)
    assert f"factor {factor:.4f} ({basis}; Google list 2026-07-30)" in words
    assert words.startswith("libcloud preemptible table × calibrated 2026 factor")


def test_default_calibration_is_documented_and_sane() -> None:
    default = DEFAULT_GCE_SPOT_CALIBRATION
    assert default.calibrated_on == date(2026, 7, 30) and default.rows == 2027
    assert default.source == CALIBRATED_SOURCE
    factors = [f for rows in default.by_family_region.values() for f in rows.values()]
    assert len(factors) == 101
    assert all(0.2 < f < 4 for f in factors)
    assert set(default.by_family) == set(default.by_family_region) == {"c2", "e2", "n1", "n2", "n2d"}
    assert default.overall == pytest.approx(1.4847)


def test_every_embedded_gcp_spot_offer_is_corrected_and_stays_below_on_demand() -> None:
    gcp = load_embedded_catalog().of_cloud("gcp")
    spot = gcp.of("spot").offers
    assert spot and {o.source for o in spot} == {CALIBRATED_SOURCE}
    on_demand = {(o.region, o.instance_type): o.hourly_usd for o in gcp.of("on-demand")}
    assert all(o.hourly_usd < on_demand[(o.region, o.instance_type)] for o in spot)


def test_uncorrected_prices_are_still_available() -> None:
    tables = load_libcloud_tables()
    raw = parse_gce_instances(tables.compute["gce_instances"], tables.as_of, spot_calibration=None)
    corrected = {
        (o.region, o.instance_type, o.capacity_type): o.hourly_usd for o in load_embedded_catalog().of_cloud("gcp")
    }
    for offer in raw:
        factor = (
            1.0
            if offer.capacity_type == "on-demand"
            else DEFAULT_GCE_SPOT_CALIBRATION.factor(offer.family, offer.region)
        )
        assert corrected[(offer.region, offer.instance_type, offer.capacity_type)] == pytest.approx(
            offer.hourly_usd * factor, rel=1e-4, abs=1e-6
        )


# -- against Google's price list (skipped without ../shared/data) ----------------------------------


def _google_spot() -> dict[tuple[str, str], float]:
    if not GOOGLE_LIST.exists():
        pytest.skip(f"{GOOGLE_LIST} not present")
    with gzip.open(GOOGLE_LIST, "rt", newline="") as handle:
        return {
            (row["region"], row["machine_type"]): float(row["spot_usd_per_hour"])
            for row in csv.DictReader(handle)
            if row["spot_usd_per_hour"] and float(row["spot_usd_per_hour"]) > 0
        }


def _errors(prices: dict[tuple[str, str], float], real: dict[tuple[str, str], float]) -> list[float]:
    return [prices[key] / real[key] - 1 for key in prices if key in real]


def test_corrected_embedded_spot_prices_match_googles_2026_list() -> None:
    real = _google_spot()
    ours = {(o.region, o.instance_type): o.hourly_usd for o in load_embedded_catalog().of_cloud("gcp").of("spot")}
    errors = _errors(ours, real)
    assert len(errors) == len(ours) == 2027  # every embedded GCP spot offer has a price on the list
    assert abs(statistics.median(errors)) < 0.01
    assert statistics.median(abs(e) for e in errors) < 0.01
    assert sum(abs(e) <= 0.10 for e in errors) / len(errors) > 0.99


def test_uncorrected_preemptible_prices_were_a_third_too_low() -> None:
    real = _google_spot()
    tables = load_libcloud_tables()
    raw = {
        (o.region, o.instance_type): o.hourly_usd
        for o in parse_gce_instances(tables.compute["gce_instances"], tables.as_of, spot_calibration=None)
        if o.capacity_type == "spot"
    }
    errors = _errors(raw, real)
    assert len(errors) == 2027
    assert statistics.median(errors) == pytest.approx(-0.326, abs=0.005)  # what the calibration corrects
