"""Retries with exponential backoff and jitter for one request (a page), not for a whole region.

Sources raise `TransientError` for throttling (HTTP 429, AWS ``Throttling``), server errors (5xx),
timeouts and dropped connections; `RetryPolicy.call` retries those, sleeping
``uniform(cap/2, cap)`` with ``cap = min(max_delay_s, base_delay_s * 2**(attempt-1))`` ("equal jitter",
AWS Architecture Blog, *Exponential Backoff and Jitter*), and honouring a server's ``Retry-After``.
Anything else propagates at once. The clock (`sleep`) and the randomness (`jitter`) are injected so
tests run instantly and deterministically.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class TransientError(Exception):
    """A failure worth retrying (throttled, 5xx, timeout, connection dropped)."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """One retry about to happen: what was being fetched, which attempt failed, why, and the wait."""

    what: str
    attempt: int
    reason: str
    delay_s: float


OnRetry = Callable[[RetryEvent], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry a transient failure."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("retry delays must be non-negative")

    def delay_s(self, attempt: int, retry_after_s: float | None = None) -> float:
        """The wait after failed attempt number `attempt` (1-based)."""
        cap = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        delay = cap / 2 + (cap / 2) * self.jitter()
        if retry_after_s is not None:
            delay = max(delay, min(retry_after_s, self.max_delay_s))
        return delay

    def call(self, fn: Callable[[], T], *, what: str, on_retry: OnRetry | None = None) -> T:
        """`fn()`, retried on `TransientError`; after the last attempt the error says how many were made."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                return fn()
            except TransientError as error:
                if attempt == self.max_attempts:
                    raise TransientError(
                        f"{error} (gave up after {attempt} attempt{'s' if attempt > 1 else ''})"
                    ) from error
                delay = self.delay_s(attempt, error.retry_after_s)
                if on_retry is not None:
                    on_retry(RetryEvent(what=what, attempt=attempt, reason=str(error), delay_s=delay))
                self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


NO_WAIT = RetryPolicy(sleep=lambda _s: None)
"""A policy that retries without sleeping (tests, benchmarks)."""
