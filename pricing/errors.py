"""The pricing package's errors: one small hierarchy, each with a message that says how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(value: str, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Up to `n` choices closest to `value`, best first (difflib's similarity ratio ≥ `cutoff`): the
    one fuzzy match behind every "did you mean" in `pricing`."""
    return difflib.get_close_matches(value, sorted(set(choices)), n=n, cutoff=cutoff)


def did_you_mean(value: str, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6) -> str:
    """`did you mean x?` (or `x or y?` with n > 1) for the closest choices, else an empty string;
    the caller adds the separator its message uses."""
    close = close_matches(value, choices, n=n, cutoff=cutoff)
    return f"did you mean {' or '.join(close)}?" if close else ""


class PricingError(Exception):
    """Base class of every error raised by `pricing`."""


class CatalogUnavailable(PricingError):
    """No usable catalog: nothing cached, nothing embedded, and the fetch failed or was not allowed."""


class PriceFileError(PricingError):
    """A price file (CSV of offers) is malformed; the message names the file, line, column and fix."""

    exit_code = 2  # bad input, not a broken environment


class SourceError(PricingError):
    """A price source failed to fetch; carries the source name and the underlying cause."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


class SourceFetchError(SourceError):
    """A price source failed for one region (or page); names the source, the region and the cause."""

    def __init__(self, source: str, region: str | None, message: str) -> None:
        where = f"region {region}: " if region else ""
        super().__init__(source, f"{where}{message}")
        self.region = region
        self.detail = message


class RefreshFailed(PricingError):
    """A refresh had at least one failed source/region, so nothing was written (the cache is unchanged)."""

    exit_code = 4

    def __init__(self, failures: tuple[SourceError, ...], summaries: tuple[object, ...] = ()) -> None:
        lines = "; ".join(str(f) for f in failures)
        super().__init__(
            f"price refresh failed, the cached catalog was left unchanged: {lines}. "
            "Fix the cause (credentials, network, region names) and run `placement prices refresh` again"
        )
        self.failures = failures
        self.summaries = summaries


class AdjustmentError(PricingError):
    """A price adjustment rule is invalid; the message names the rule index, the field and the fix."""

    exit_code = 2
