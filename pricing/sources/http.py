"""A tiny HTTPS GET client for the price APIs that need no SDK (Azure, GCP), on the stdlib.

Sources take an `HttpClient` argument so tests can pass another one; the default `UrllibClient`
speaks real HTTP, which is what the tests exercise against a local pytest-httpserver. It classifies
failures: `TransientError` (429, 5xx, timeouts, dropped connections; retried by `RetryPolicy`) versus
`PageError` (any other HTTP status), which fails the region at once. Bodies are returned as bytes;
`decode_json` turns a body into JSON (or a `PageError` for a malformed or truncated page), and
`decoding_page` wraps a typed (msgspec) decode the same way.
"""

from __future__ import annotations

import contextlib
import gc
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import msgspec

from pricing.sources.retry import TransientError

USER_AGENT = "placement-prices/0.1 (+https://github.com/placement)"


class PageError(Exception):
    """A response that retrying will not fix: a 4xx status, or a malformed / truncated JSON body."""


class HttpClient(Protocol):
    """GET a URL and return the response body."""

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> bytes: ...


class UrllibClient:
    """`HttpClient` on `urllib.request` with a per-request timeout."""

    def __init__(self, *, timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> bytes:
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        request = urllib.request.Request(url, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise _classify_status(error) from error
        except TimeoutError as error:
            raise TransientError(f"timed out after {self.timeout_s:g}s") from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise TransientError(f"timed out after {self.timeout_s:g}s") from error
            raise TransientError(f"cannot connect: {error.reason}") from error
        except (http.client.IncompleteRead, http.client.RemoteDisconnected, ConnectionError) as error:
            raise TransientError(f"connection dropped mid-response: {type(error).__name__}") from error
        return body


try:  # optional: orjson decodes large price pages 2-4x faster; the result is the same
    from orjson import loads
except ImportError:  # pragma: no cover - depends on the environment
    loads = json.loads


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while one page is decoded: a page of 5,000 GCP SKUs is
    ~100k small acyclic objects, and the collections their allocation would trigger cost more than
    the decoding (measured in bench/pricing.py). The state found is restored, so concurrent decoders
    leave the collector enabled once all are done."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def decode_json(body: bytes) -> Any:
    """Parse a response body, turning a malformed or truncated document into a `PageError`
    (with the collector paused, `_collector_paused`)."""
    with _collector_paused():
        try:
            return loads(body)
        except ValueError as error:  # orjson.JSONDecodeError is a json.JSONDecodeError too
            position = getattr(error, "pos", None)
            where = f" at byte {position} of {len(body)}" if position is not None else ""
            raise PageError(f"malformed or truncated JSON page{where}: {error}") from error


@contextlib.contextmanager
def decoding_page(body: bytes, *, kind: str) -> Iterator[None]:
    """Around a msgspec decode of one `kind` page (e.g. "Retail Prices"): the collector is paused
    (`_collector_paused`) and a malformed, truncated or wrongly shaped page becomes a `PageError`."""
    with _collector_paused():
        try:
            yield
        except msgspec.ValidationError as error:
            raise PageError(f"not a {kind} page: {error}") from error
        except msgspec.DecodeError as error:
            raise PageError(f"malformed or truncated JSON page ({len(body)} bytes): {error}") from error


def _classify_status(error: urllib.error.HTTPError) -> Exception:
    status = error.code
    if status == 429 or status >= 500:
        return TransientError(f"HTTP {status} {error.reason}", retry_after_s=_retry_after_s(error.headers))
    try:
        snippet = error.read(300).decode("utf-8", "replace").strip()
    except OSError:
        snippet = ""
    hint = {
        400: "the request was rejected; check the region name and filter",
        401: "not authenticated; check the API key or token",
        403: "forbidden; check the credentials' permissions (and that the API is enabled)",
        404: "not found; check the base URL",
    }.get(status, "unexpected status")
    return PageError(f"HTTP {status} ({hint}){': ' + snippet if snippet else ''}")


def _retry_after_s(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
