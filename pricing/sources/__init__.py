"""Live price sources: one object per cloud API, each satisfying `PriceSource`.

``fetch(regions)`` is the network verb (STYLE.md §2.5); parsing is split into pure ``parse_*``
functions in each module so it can be tested and benchmarked on hand-written pages. Cloud SDKs are
imported only inside the source that needs them (``boto3`` in `pricing.sources.aws`).

A source that prices every region from one listing (GCP's SKU catalog) sets ``regional = False`` so
the refresh calls it once for all regions instead of once per region.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from pricing.offer import Offer
from pricing.sources.retry import OnRetry, RetryEvent, RetryPolicy, TransientError


@runtime_checkable
class PriceSource(Protocol):
    """Fetches the offers of some regions of one cloud."""

    name: str  # e.g. "aws:pricing-api"; every offer it returns carries a source starting with the cloud
    cloud: str  # "aws" | "azure" | "gcp"
    regional: bool  # True: the refresh calls fetch() once per region, concurrently

    def fetch(self, regions: Sequence[str], *, on_retry: OnRetry | None = None) -> list[Offer]:
        """All offers of `regions`; raises `pricing.errors.SourceFetchError` naming the failing region."""
        ...


__all__ = ["OnRetry", "PriceSource", "RetryEvent", "RetryPolicy", "TransientError"]
