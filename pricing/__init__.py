"""pricing: offers, catalogs and where prices come from. Never imports `placement` or `forecasting`."""

from pricing.catalog import Catalog
from pricing.errors import CatalogUnavailable, PriceFileError, PricingError, SourceError
from pricing.offer import CapacityType, Offer, instance_family

__all__ = [
    "CapacityType",
    "Catalog",
    "CatalogUnavailable",
    "Offer",
    "PriceFileError",
    "PricingError",
    "SourceError",
    "instance_family",
]
