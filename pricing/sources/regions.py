"""Region names the live sources know, the default set a refresh covers, and "did you mean" hints."""

from __future__ import annotations

from pricing.errors import did_you_mean

#: Public regions with Linux compute list prices (names as each API writes them).
KNOWN_REGIONS: dict[str, tuple[str, ...]] = {
    "aws": (
        "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
        "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
        "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
        "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
        "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    ),
    "azure": (
        "australiaeast", "australiasoutheast", "brazilsouth", "canadacentral", "canadaeast", "centralindia",
        "centralus", "eastasia", "eastus", "eastus2", "francecentral", "germanywestcentral", "italynorth",
        "japaneast", "japanwest", "koreacentral", "northcentralus", "northeurope", "norwayeast", "polandcentral",
        "southafricanorth", "southcentralus", "southeastasia", "spaincentral", "swedencentral",
        "switzerlandnorth", "uaenorth", "uksouth", "ukwest", "westcentralus", "westeurope", "westus",
        "westus2", "westus3",
    ),
    "gcp": (
        "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3",
        "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2", "australia-southeast1",
        "australia-southeast2", "europe-central2", "europe-north1", "europe-southwest1", "europe-west1",
        "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8", "europe-west9",
        "europe-west10", "europe-west12", "me-central1", "me-central2", "me-west1", "northamerica-northeast1",
        "northamerica-northeast2", "southamerica-east1", "southamerica-west1", "us-central1", "us-east1",
        "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3", "us-west4",
    ),
}

#: What `placement prices refresh` fetches when no `--regions` are given: ten busy regions per cloud.
DEFAULT_REGIONS: dict[str, tuple[str, ...]] = {
    "aws": (
        "us-east-1", "us-east-2", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-central-1",
        "eu-north-1", "ap-southeast-1", "ap-northeast-1",
    ),
    "azure": (
        "eastus", "eastus2", "westus2", "canadacentral", "westeurope", "northeurope", "uksouth",
        "germanywestcentral", "southeastasia", "japaneast",
    ),
    "gcp": (
        "us-central1", "us-east1", "us-west1", "northamerica-northeast1", "europe-west1", "europe-west2",
        "europe-west3", "europe-west4", "asia-southeast1", "asia-northeast1",
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
