"""Read usage history from Prometheus (the network edge of `forecasting`).

`load_usage(prom, query, start=, end=, step=)` runs a PromQL range query through an injected
prometheus-api-client `PrometheusConnect` (anything with `custom_query_range` and `url`), split
into chunks of at most `max_points` samples per series (Prometheus refuses more than 11,000), and
returns a long frame `unique_id, ds, y` on the `step` grid with NaN where samples are missing.
One series per label set: `unique_id` is built from `id_labels` (e.g. `("namespace",
"deployment")` → `shop/checkout`); series that share those labels are summed. With
`counter=True` raw counters are turned into per-second rates, tolerating counter resets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import numpy as np
import pandas as pd

from forecasting.errors import ForecastError, PrometheusError
from forecasting.frame import DS, UNIQUE_ID, Y, regularize, to_step

MAX_POINTS = 10_000  # per series per request; Prometheus' own limit is 11,000


class RangeQueryClient(Protocol):
    """The part of `prometheus_api_client.PrometheusConnect` the loader uses."""

    url: str

    def custom_query_range(
        self, query: str, start_time: datetime, end_time: datetime, step: str, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]: ...


def connect(url: str, *, timeout_s: float = 30.0, retries: int = 1) -> RangeQueryClient:
    """A `PrometheusConnect` for `url` with a request timeout and few retries (fail fast)."""
    if not url:
        raise PrometheusError("", "(no URL)", "no Prometheus URL given: pass e.g. http://prometheus:9090", exit_code=2)
    if not url.startswith(("http://", "https://")):
        raise PrometheusError("", url, "the URL must start with http:// or https://", exit_code=2)
    from prometheus_api_client import PrometheusConnect
    from urllib3.util.retry import Retry

    retry = Retry(total=retries, backoff_factor=0.2, status_forcelist=[502, 503, 504], allowed_methods=None)
    return PrometheusConnect(url=url.rstrip("/"), timeout=timeout_s, retry=retry)  # type: ignore[arg-type]


def series_id(labels: Mapping[str, str], id_labels: Sequence[str] | None, query: str) -> str:
    """The `unique_id` of a result series: `id_labels` values joined by '/', or (default) the label
    set in PromQL form `{a="1",b="2"}` without `__name__`; the query itself for an empty set."""
    if id_labels:
        return "/".join(str(labels.get(name, "")) for name in id_labels)
    shown = {k: v for k, v in labels.items() if k != "__name__"}
    if not shown:
        return query
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(shown.items())) + "}"


def counter_rate(values: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Per-second rate of a cumulative counter, element i covering (t[i-1], t[i]]; a drop is a
    reset, after which the counter counted up from zero. The first element is NaN."""
    increase = np.diff(values)
    reset = increase < 0
    increase[reset] = values[1:][reset]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = increase / np.diff(seconds)
    return np.concatenate([[np.nan], rate])


def load_usage(
    prom: RangeQueryClient,
    query: str,
    *,
    start: datetime,
    end: datetime,
    step: str | timedelta = "30m",
    id_labels: Sequence[str] | None = None,
    counter: bool = False,
    max_points: int = MAX_POINTS,
) -> pd.DataFrame:
    """Run `query` over [start, end] every `step`; a long frame on the step grid (see module doc)."""
    step_td = to_step(step if isinstance(step, str) else pd.Timedelta(step))
    step_s = int(step_td.total_seconds())
    url = str(getattr(prom, "url", "prometheus"))
    if step_s < 1:
        raise ForecastError(f"step {step!r} must be at least one second")
    begin, finish = _utc(start), _utc(end)
    if finish <= begin:
        raise ForecastError(f"end {finish:%Y-%m-%d %H:%M} must be after start {begin:%Y-%m-%d %H:%M}")
    begin = datetime.fromtimestamp(begin.timestamp() // step_s * step_s, UTC)  # align to the step grid
    chunk = timedelta(seconds=step_s * (max(2, max_points) - 1))
    rows: list[pd.DataFrame] = []
    chunk_start = begin
    while chunk_start <= finish:
        chunk_end = min(chunk_start + chunk, finish)
        result = _query(prom, url, query, chunk_start, chunk_end, step_s)
        rows.extend(_parse(result, query, url, id_labels))
        chunk_start = chunk_end + timedelta(seconds=step_s)
    if not rows:
        raise PrometheusError(
            query,
            url,
            f"returned no series between {begin:%Y-%m-%d %H:%M} and {finish:%Y-%m-%d %H:%M} UTC: "
            "check the metric name and label matchers (try the query in the Prometheus UI)",
            exit_code=2,
        )
    raw = pd.concat(rows, ignore_index=True).drop_duplicates(["series", DS], keep="last")
    raw = raw.sort_values(["series", DS], kind="stable")
    if counter:
        raw[Y] = np.concatenate(
            [
                counter_rate(g[Y].to_numpy(float), g[DS].to_numpy("datetime64[ns]").astype(np.int64) / 1e9)
                for _, g in raw.groupby("series", sort=False)
            ]
        )
    summed = raw.groupby([UNIQUE_ID, DS], sort=True)[Y].sum(min_count=1).reset_index()
    return regularize(summed, step_td, how="sum")


def _query(prom: RangeQueryClient, url: str, query: str, start: datetime, end: datetime, step_s: int) -> Any:
    import requests
    from prometheus_api_client.exceptions import PrometheusApiClientException

    try:
        return prom.custom_query_range(query, start_time=start, end_time=end, step=f"{step_s}s")
    except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as error:
        if _timed_out(error):
            raise PrometheusError(
                query, url, "timed out: the server is slow or overloaded; narrow the range, or raise the timeout"
            ) from error
        raise PrometheusError(query, url, "cannot connect: is the server up and the URL right?") from error
    except requests.exceptions.RequestException as error:
        raise PrometheusError(query, url, f"request failed: {error}") from error
    except PrometheusApiClientException as error:
        text = str(error)
        bad_query = "400" in text.split("(")[0] or "bad_data" in text or "422" in text.split("(")[0]
        reason = _server_message(text)
        raise PrometheusError(
            query,
            url,
            f"the server rejected the query: {reason}" if bad_query else f"the server answered with an error: {reason}",
            exit_code=2 if bad_query else 4,
        ) from error
    except ValueError as error:  # a non-JSON body (a proxy's HTML error page)
        raise PrometheusError(query, url, f"the answer is not Prometheus JSON ({error})") from error


def _timed_out(error: Exception) -> bool:
    """requests reports a read timeout after urllib3 retries as a ConnectionError; look inside."""
    import requests
    from urllib3.exceptions import NewConnectionError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    reason = getattr(error.args[0], "reason", None) if error.args else None
    if isinstance(reason, NewConnectionError):  # "connection refused" (a ConnectTimeoutError subclass)
        return False
    return isinstance(error, requests.exceptions.Timeout) or isinstance(reason, Urllib3Timeout)


def _server_message(text: str) -> str:
    """Pull Prometheus' `"error":"..."` text out of the client's exception message when present."""
    marker = '"error":"'
    if marker in text:
        tail = text.split(marker, 1)[1]
        return tail.split('"', 1)[0].replace("\\\\", "\\").replace('\\"', '"')
    return text


def _parse(result: Any, query: str, url: str, id_labels: Sequence[str] | None) -> list[pd.DataFrame]:
    if not isinstance(result, list):
        raise PrometheusError(query, url, f"expected a matrix result (a list of series), got {type(result).__name__}")
    frames = []
    for number, series in enumerate(result):
        try:
            labels = series.get("metric", {}) or {}
            values = np.asarray(series["values"], dtype=object).reshape(-1, 2)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise PrometheusError(query, url, f"series {number} is not a range-query series ({error})") from error
        stamps = pd.to_datetime(values[:, 0].astype(float), unit="s")
        frames.append(
            pd.DataFrame(
                {
                    "series": series_id(labels, None, query),
                    UNIQUE_ID: series_id(labels, id_labels, query),
                    DS: stamps.astype("datetime64[ns]"),
                    Y: pd.to_numeric(pd.Series(values[:, 1].astype(str)), errors="coerce").to_numpy(float),
                }
            )
        )
    return frames


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
