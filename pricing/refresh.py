"""Refresh: fetch every (source, region) concurrently and assemble one complete catalog, or fail whole.

Each regional source is called once per region (GCP's single listing once for all its regions) on a
thread pool; every page inside is retried by the source's `RetryPolicy` (backoff + jitter on
throttling, 5xx and timeouts), and each retry is counted here through ``on_retry``. The result is
all-or-nothing: if any region of any source fails, `RefreshFailed` is raised (naming each failing
source and region, with the per-source summaries attached) and no new catalog exists, so the caller
writes nothing and the previous cache file stays byte-identical. On success the new offers replace
the previous catalog's offers of exactly the (cloud, region) pairs refreshed; other clouds and regions
keep their own ``source`` and ``as_of``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pricing.catalog import Catalog
from pricing.errors import RefreshFailed, SourceError, SourceFetchError
from pricing.offer import Offer
from pricing.sources import PriceSource
from pricing.sources.retry import RetryEvent


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    """Which regions to fetch from one source."""

    source: PriceSource
    regions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """How one source's part of a refresh went."""

    source: str
    cloud: str
    offers: int
    regions_ok: int
    regions_requested: int
    errors: tuple[str, ...]
    retries: int
    duration_s: float

    def line(self) -> str:
        status = "ok" if not self.errors else f"{len(self.errors)} error(s)"
        return (
            f"{self.source:<24} {self.offers:>7} offers  {self.regions_ok}/{self.regions_requested} regions  "
            f"{self.retries} retries  {self.duration_s:6.1f}s  {status}"
        )


@dataclass(frozen=True, slots=True)
class RefreshResult:
    catalog: Catalog
    summaries: tuple[SourceSummary, ...]


class Progress(Protocol):
    """Where a refresh reports progress (a rich bar in the CLI, nothing in tests)."""

    def start(self, total: int) -> None: ...
    def advance(self, label: str, steps: int = 1) -> None: ...
    def finish(self) -> None: ...


@dataclass
class _Tally:
    offers: list[Offer] = field(default_factory=list)
    regions_ok: int = 0
    errors: list[SourceError] = field(default_factory=list)
    retries: int = 0
    started: float | None = None
    finished: float | None = None


def refresh_catalog(
    requests: Sequence[RefreshRequest],
    *,
    previous: Catalog | None = None,
    max_workers: int = 8,
    progress: Progress | None = None,
    fail_fast: bool = True,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RefreshResult:
    """Fetch all requests concurrently; a complete merged catalog, or `RefreshFailed`."""
    tasks = [(i, batch) for i, r in enumerate(requests) for batch in _batches(r)]
    tallies = [_Tally() for _ in requests]
    lock = threading.Lock()

    def run(index: int, regions: tuple[str, ...]) -> None:
        request, tally = requests[index], tallies[index]

        def count_retry(_event: RetryEvent) -> None:
            with lock:
                tally.retries += 1

        begun = time.perf_counter()
        with lock:
            tally.started = begun if tally.started is None else min(tally.started, begun)
        try:
            offers = request.source.fetch(list(regions), on_retry=count_retry)
            _check(request.source, regions, offers)
        except SourceError as error:
            with lock:
                tally.errors.append(error)
            raise
        except Exception as error:  # a source bug must still name the source and region, never escape raw
            wrapped = SourceFetchError(request.source.name, ", ".join(regions), f"{type(error).__name__}: {error}")
            with lock:
                tally.errors.append(wrapped)
            raise wrapped from error
        finally:
            ended = time.perf_counter()
            with lock:
                tally.finished = ended if tally.finished is None else max(tally.finished, ended)
            if progress is not None:
                where = regions[0] if len(regions) == 1 else f"{len(regions)} regions"
                progress.advance(f"{request.source.name} {where}", len(regions))
        with lock:
            tally.offers.extend(offers)
            tally.regions_ok += len(regions)

    if progress is not None:
        progress.start(sum(len(batch) for _, batch in tasks))
    try:
        with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="price-refresh") as pool:
            futures: list[Future[Any]] = [pool.submit(run, i, batch) for i, batch in tasks]
            _done, pending = wait(futures, return_when=FIRST_EXCEPTION if fail_fast else ALL_COMPLETED)
            for future in pending:
                future.cancel()
    finally:
        if progress is not None:
            progress.finish()

    summaries = tuple(_summary(r, t) for r, t in zip(requests, tallies, strict=True))
    failures = tuple(e for t in tallies for e in t.errors)
    if failures:
        raise RefreshFailed(failures, summaries)
    fresh = [o for t in tallies for o in t.offers]
    return RefreshResult(merge_refreshed(previous, fresh, requests, fetched_at=clock()), summaries)


def merge_refreshed(
    previous: Catalog | None, fresh: Sequence[Offer], requests: Sequence[RefreshRequest], *, fetched_at: datetime
) -> Catalog:
    """`fresh` plus the previous offers of every (cloud, region) that was not refreshed."""
    replaced = {(r.source.cloud, region) for r in requests for region in r.regions}
    kept = [o for o in (previous or ()) if (o.cloud, o.region) not in replaced]
    return Catalog([*kept, *fresh], fetched_at=fetched_at)


def _batches(request: RefreshRequest) -> list[tuple[str, ...]]:
    if not request.regions:
        return []
    if request.source.regional:
        return [(region,) for region in request.regions]
    return [tuple(request.regions)]


def _check(source: PriceSource, regions: tuple[str, ...], offers: Sequence[Offer]) -> None:
    """A source must return offers of its own cloud and of the regions asked for."""
    wanted = set(regions)
    for offer in offers:
        if offer.cloud != source.cloud or offer.region not in wanted:
            raise SourceFetchError(
                source.name, offer.region, f"returned an offer of {offer.cloud}/{offer.region}, which was not asked for"
            )


def _summary(request: RefreshRequest, tally: _Tally) -> SourceSummary:
    duration = (tally.finished - tally.started) if tally.started is not None and tally.finished is not None else 0.0
    return SourceSummary(
        source=request.source.name,
        cloud=request.source.cloud,
        offers=len(tally.offers),
        regions_ok=tally.regions_ok,
        regions_requested=len(request.regions),
        errors=tuple(str(e) for e in tally.errors),
        retries=tally.retries,
        duration_s=duration,
    )


def assign_regions(clouds: Sequence[str] | None, regions: Sequence[str] | None) -> dict[str, tuple[str, ...]]:
    """cloud → regions to refresh, from ``--cloud`` / ``--regions``-style lists.

    No clouds: aws, azure and gcp. No regions: each cloud's `DEFAULT_REGIONS`. With one cloud, every
    region is asked of it (the source says if one does not exist); with several, each region goes to
    the cloud that knows its name, and an unknown name is an error asking for ``--cloud``.
    """
    from pricing.sources.regions import DEFAULT_REGIONS, KNOWN_REGIONS
    from pricing.sources.registry import FACTORIES

    chosen = list(dict.fromkeys(clouds or FACTORIES))
    unknown = [c for c in chosen if c not in FACTORIES]
    if unknown:
        raise SourceError(
            unknown[0], f"no live price source for cloud {unknown[0]!r}; choose from {', '.join(sorted(FACTORIES))}"
        )
    if not regions:
        return {c: DEFAULT_REGIONS[c] for c in chosen}
    wanted = list(dict.fromkeys(regions))
    if len(chosen) == 1:
        return {chosen[0]: tuple(wanted)}
    out: dict[str, list[str]] = {c: [] for c in chosen}
    for region in wanted:
        owners = [c for c in chosen if region in KNOWN_REGIONS.get(c, ())]
        if not owners:
            raise SourceError(
                "refresh",
                f"region {region!r} is not a known region of {', '.join(chosen)}: "
                "name its cloud with --cloud to fetch it anyway",
            )
        out[owners[0]].append(region)
    return {c: tuple(r) for c, r in out.items() if r}


def live_refresher(
    regions: Mapping[str, Sequence[str]] | None = None,
    *,
    settings: Any = None,
    progress: Progress | None = None,
    max_workers: int = 8,
    on_result: Callable[[RefreshResult], None] | None = None,
) -> Callable[[Catalog | None], Catalog]:
    """A `pricing.cache.Refresher` that fetches `regions` (cloud → regions; default: every cloud's
    default regions) from the live sources built from the environment (`pricing.sources.registry`).
    Sources are built when it is called, so a missing credential or file fails the refresh, not setup."""

    def refresh(previous: Catalog | None) -> Catalog:
        from pricing.sources.registry import build_source

        plan = dict(regions) if regions is not None else assign_regions(None, None)
        requests = [RefreshRequest(build_source(cloud, settings), tuple(rs)) for cloud, rs in plan.items() if rs]
        result = refresh_catalog(requests, previous=previous, progress=progress, max_workers=max_workers)
        if on_result is not None:
            on_result(result)
        return result.catalog

    return refresh
