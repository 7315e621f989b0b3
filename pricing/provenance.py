"""How each price was derived, in words: an offer's `source` code explained for people
(``placement prices show``). Pure; reads no data and imports no price source (the live sources pull
in cloud SDKs, so their codes are literals here, checked against the sources' constants by the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pricing.adjust import PRIVATE_SOURCE
from pricing.libcloud_tables import aws as libcloud_aws
from pricing.libcloud_tables import azure as libcloud_azure
from pricing.libcloud_tables import gcp as libcloud_gcp
from pricing.libcloud_tables.gcp_spot import DEFAULT_GCE_SPOT_CALIBRATION
from pricing.offer import Offer
from pricing.pricefile import FILE_SOURCE_PREFIX
from pricing.spot_model import DEFAULT_SPOT_MODEL, SPOT_MODEL_SOURCE, instance_category

#: source code → how its prices were derived (sources whose words depend on the offer are in `derivation`).
SOURCE_DERIVATIONS: Mapping[str, str] = MappingProxyType(
    {
        libcloud_aws.ON_DEMAND_SOURCE: "libcloud on-demand table (EC2 Linux list price)",
        libcloud_gcp.ON_DEMAND_SOURCE: "libcloud on-demand table (GCE vCPUs × per-vCPU + GiB × per-GiB price)",
        libcloud_gcp.SPOT_SOURCE: "libcloud preemptible table (GCE per-vCPU + per-GiB preemptible prices), uncorrected",
        libcloud_azure.ON_DEMAND_SOURCE: "libcloud on-demand table (Azure Linux pay-as-you-go)",
        libcloud_azure.SPOT_SOURCE: "libcloud low-priority table (Azure Linux low-priority price, sold as Spot)",
        SPOT_MODEL_SOURCE: "spot model discount of the on-demand price",
        "aws:pricing-api": "AWS Price List API (Linux, shared tenancy, on-demand)",
        "aws:spot-price-history": "EC2 spot price history (newest price per zone)",
        "gcp:billing-catalog": "Cloud Billing Catalog API (vCPUs × per-vCPU + GiB × per-GiB SKU price)",
        "azure:retail-prices": "Azure Retail Prices API (Linux, regular or Spot meter)",
        PRIVATE_SOURCE: "price adjustment: private capacity priced per vCPU-hour and GiB-hour",
    }
)


def derivation(offer: Offer) -> str:
    """How `offer`'s hourly price was derived, e.g. ``libcloud preemptible table × calibrated 2026
    factor 1.4111 (n2 in asia-south1; …)`` or ``spot model discount of the on-demand price (m: 64 %
    off; …)``. Offers of the default spot model's and GCE calibration's source codes are explained
    with the default figures (a variant made with other figures should carry its own source)."""
    source = offer.source
    if source == DEFAULT_GCE_SPOT_CALIBRATION.source:
        return DEFAULT_GCE_SPOT_CALIBRATION.derivation(offer.family, offer.region)
    if source == SPOT_MODEL_SOURCE:
        return _spot_model_derivation(offer)
    if source.startswith(FILE_SOURCE_PREFIX):
        return f"as listed in the price file {source.removeprefix(FILE_SOURCE_PREFIX)}"
    return SOURCE_DERIVATIONS.get(source, f"as given by {source}")


def _spot_model_derivation(offer: Offer) -> str:
    words = SOURCE_DERIVATIONS[SPOT_MODEL_SOURCE]
    try:
        discount = DEFAULT_SPOT_MODEL.discount(offer.cloud, offer.instance_type)
    except KeyError:  # a cloud the default model has no discount for
        return words
    basis = {"aws": "AWS Spot Advisor 2025-06-28 median", "azure": "Azure low-priority median"}.get(
        offer.cloud, "model"
    )
    category = instance_category(offer.instance_type)
    return f"{words} ({category}: {100 * discount:.1f} % off, {basis})"


__all__ = ["SOURCE_DERIVATIONS", "derivation"]
