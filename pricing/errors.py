"""The pricing package's errors: one small hierarchy, each with a message that says how to fix it."""

from __future__ import annotations


class PricingError(Exception):
    """Base class of every error raised by `pricing`."""


class CatalogUnavailable(PricingError):
    """No usable catalog: nothing cached, nothing embedded, and the fetch failed or was not allowed."""


class PriceFileError(PricingError):
    """A price file (CSV of offers) is malformed; the message names the file, line, column and fix."""


class SourceError(PricingError):
    """A price source failed to fetch; carries the source name and the underlying cause."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
