"""How each price was derived, in words (`pricing.provenance.derivation`)."""

from __future__ import annotations

import pytest

from pricing import CapacityType
from pricing.adjust import PRIVATE_SOURCE
from pricing.embedded import load_embedded_catalog
from pricing.libcloud_tables.gcp_spot import CALIBRATED_SOURCE, DEFAULT_GCE_SPOT_CALIBRATION
from pricing.provenance import SOURCE_DERIVATIONS, derivation
from pricing.spot_model import SPOT_MODEL_SOURCE
from tests.builders import make_offer


def test_every_embedded_offer_says_how_it_was_priced() -> None:
    words = {(o.cloud, o.capacity_type.value, o.source): derivation(o) for o in load_embedded_catalog()}
    assert all(not text.startswith("as given by") for text in words.values())  # every embedded source is known
    by_source = {source: text for (_, _, source), text in words.items()}
    assert by_source["embedded:libcloud-ec2"].startswith("libcloud on-demand table")
    assert by_source["embedded:libcloud-gce"].startswith("libcloud on-demand table")
    assert by_source["embedded:libcloud-azure"].startswith("libcloud on-demand table")
    assert by_source["embedded:libcloud-azure-lowpriority"].startswith("libcloud low-priority table")
    assert by_source[CALIBRATED_SOURCE].startswith("libcloud preemptible table × calibrated 2026 factor")
    assert by_source[SPOT_MODEL_SOURCE].startswith("spot model discount")


def test_gcp_spot_names_its_factor_family_and_region() -> None:
    offer = make_offer(
        cloud="gcp",
        region="asia-south1",
        instance_type="n2-standard-4",
        capacity_type=CapacityType.SPOT,
        source=CALIBRATED_SOURCE,
    )
    factor = DEFAULT_GCE_SPOT_CALIBRATION.factor("n2", "asia-south1")
    assert derivation(offer) == (
        f"libcloud preemptible table × calibrated 2026 factor {factor:.4f} (n2 in asia-south1; Google list 2026-07-30)"
    )


@pytest.mark.parametrize(
    ("cloud", "instance_type", "expected"),
    [
        (
            "aws",
            "m7i.large",
            "spot model discount of the on-demand price (m: 64.0 % off, AWS Spot Advisor 2025-06-28 median)",
        ),
        (
            "azure",
            "Standard_E4d_v4",
            "spot model discount of the on-demand price (e: 80.0 % off, Azure low-priority median)",
        ),
        ("onprem", "big", "spot model discount of the on-demand price"),  # no default discount for this cloud
    ],
)
def test_spot_model_offers_name_their_discount(cloud: str, instance_type: str, expected: str) -> None:
    offer = make_offer(
        cloud=cloud, instance_type=instance_type, capacity_type=CapacityType.SPOT, source=SPOT_MODEL_SOURCE
    )
    assert derivation(offer) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("file:private.csv", "as listed in the price file private.csv"),
        (PRIVATE_SOURCE, "price adjustment: private capacity priced per vCPU-hour and GiB-hour"),
        ("aws:pricing-api", "AWS Price List API (Linux, shared tenancy, on-demand)"),
        ("someone:else", "as given by someone:else"),
    ],
)
def test_other_sources(source: str, expected: str) -> None:
    assert derivation(make_offer(source=source)) == expected


def test_live_source_codes_match_the_sources() -> None:
    from pricing.sources import aws, azure, gcp

    for code in (aws.ON_DEMAND_SOURCE, aws.SPOT_SOURCE, gcp.SOURCE, azure.SOURCE):
        assert code in SOURCE_DERIVATIONS, code
