"""Region names the live sources know (from the region table), the default set a refresh covers, and "did you mean" hints."""

from __future__ import annotations

from pricing.errors import did_you_mean
from pricing.regions import region_names

#: Public regions with Linux compute list prices (names as each API writes them): every region of
#: the one region table (`pricing/data/regions.csv`, `pricing.regions`), so each has a country and coordinates.
KNOWN_REGIONS: dict[str, tuple[str, ...]] = region_names()

#: What `placement prices refresh` fetches when no `--regions` are given: ten busy regions per cloud.
DEFAULT_REGIONS: dict[str, tuple[str, ...]] = {
    "aws": (
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "ca-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-central-1",
        "eu-north-1",
        "ap-southeast-1",
        "ap-northeast-1",
    ),
    "azure": (
        "eastus",
        "eastus2",
        "westus2",
        "canadacentral",
        "westeurope",
        "northeurope",
        "uksouth",
        "germanywestcentral",
        "southeastasia",
        "japaneast",
    ),
    "gcp": (
        "us-central1",
        "us-east1",
        "us-west1",
        "northamerica-northeast1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "asia-southeast1",
        "asia-northeast1",
    ),
}


def region_hint(cloud: str, region: str) -> str:
    """`` (did you mean eu-west-1?)`` for a near miss of a known region, else an empty string."""
    known = KNOWN_REGIONS.get(cloud, ())
    if region in known:
        return ""
    close = did_you_mean(region, known, n=2, cutoff=0.75)
    if close:
        return f" ({close})"
    return f" ({region!r} is not a {cloud} region this tool knows)"
