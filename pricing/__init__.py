"""pricing: offers, catalogs, where prices come from, and what a node of each instance type gives pods.
Never imports `placement` or `forecasting`."""

from pricing.catalog import Catalog
from pricing.errors import CatalogUnavailable, PriceFileError, PricingError, SourceError
from pricing.nodes import (
    DEFAULT_DAEMONSET,
    DEFAULT_MAX_PODS,
    DaemonsetOverhead,
    NodeAllocatable,
    allocatable,
    launchable,
    max_pods,
)
from pricing.offer import CapacityType, Offer, instance_family

__all__ = [
    "DEFAULT_DAEMONSET",
    "DEFAULT_MAX_PODS",
    "CapacityType",
    "Catalog",
    "CatalogUnavailable",
    "DaemonsetOverhead",
    "NodeAllocatable",
    "Offer",
    "PriceFileError",
    "PricingError",
    "SourceError",
    "allocatable",
    "instance_family",
    "launchable",
    "max_pods",
]
