"""The forecasting package's errors: one small hierarchy, each message says what to fix.

`exit_code` is what a command line should exit with: 2 for bad input, 4 for a broken
environment (a Prometheus server that is down, slow or answering with an error).
"""

from __future__ import annotations


class ForecastError(Exception):
    """Base class of every error raised by `forecasting` (bad series, bad arguments)."""

    exit_code = 2


class NotFittedError(ForecastError):
    """`predict` was called on a forecaster that has not been fitted yet."""

    def __init__(self, what: str = "Forecaster") -> None:
        super().__init__(f"{what} is not fitted: call .fit(df) before .predict(h)")


class PrometheusError(ForecastError):
    """A Prometheus range query failed or returned nothing; names the query and the server URL."""

    exit_code = 4

    def __init__(self, query: str, url: str, reason: str, *, exit_code: int = 4) -> None:
        self.query = query
        self.url = url
        self.reason = reason
        self.exit_code = exit_code  # 4: server down/slow/failing; 2: the query itself is wrong or empty
        super().__init__(f"prometheus query {query!r} at {url}: {reason}")
