"""`placement prices refresh`: fetch live prices into the cache file (all-or-nothing), with a summary.

Thin: parse flags, build the sources from the environment (`pricing.sources.registry`), call
`pricing.refresh.refresh_catalog`, write the cache atomically, print one line per source. On any
failed (source, region) nothing is written, the summary goes to stderr and the command exits 4
naming the source and region.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from placement.errors import PlacementError

if TYPE_CHECKING:
    from pricing.refresh import SourceSummary


def split_list(values: list[str] | None) -> list[str] | None:
    """``--x a,b --x c`` → ``[a, b, c]`` (None when the flag was not given)."""
    if not values:
        return None
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def add_cache_dir_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        help="where catalog.json lives (default: $PLACEMENT_CACHE_DIR, else "
        "$XDG_CACHE_HOME/placement, else ~/.cache/placement)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "refresh",
        help="fetch live prices (AWS, Azure, GCP) into the cache",
        description="Fetch live prices concurrently per region and write the cached catalog atomically. "
        "All or nothing: if any source/region fails, the cache is left unchanged and the command exits 4. "
        "Regions not fetched keep their cached offers.",
    )
    parser.add_argument(
        "--cloud",
        action="append",
        metavar="CLOUD",
        help="aws, azure and/or gcp (repeat or comma-separate; default: all three)",
    )
    parser.add_argument(
        "--regions",
        action="append",
        metavar="REGION[,REGION…]",
        help="regions to fetch (default: ten busy regions per cloud)",
    )
    add_cache_dir_flag(parser)
    parser.add_argument(
        "--spot-advisor",
        metavar="FILE",
        type=Path,
        help="AWS Spot Instance Advisor JSON (.json/.json.gz) for interruption rates",
    )
    parser.add_argument("--workers", type=int, default=8, metavar="N", help="concurrent requests (default 8)")
    parser.add_argument(
        "--attempts",
        type=int,
        default=5,
        metavar="N",
        help="tries per page on throttling, 5xx and timeouts, with backoff and jitter (default 5)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S", help="per-request timeout (default 30)")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )
    parser.set_defaults(func=run_refresh)


def run_refresh(args: argparse.Namespace) -> int:
    from pricing.cache import default_cache_path, read_catalog, save_catalog
    from pricing.errors import CatalogUnavailable, RefreshFailed
    from pricing.refresh import RefreshRequest, assign_regions, refresh_catalog
    from pricing.sources.registry import SourceSettings, build_source
    from pricing.sources.retry import RetryPolicy

    if args.workers < 1 or args.attempts < 1 or args.timeout <= 0:
        raise PlacementError("--workers and --attempts must be at least 1 and --timeout more than 0 seconds")
    plan = assign_regions(split_list(args.cloud), split_list(args.regions))
    path = default_cache_path(cache_dir=args.cache_dir)
    try:
        previous = read_catalog(path)
    except CatalogUnavailable:
        previous = None  # nothing cached yet, or unreadable: this refresh replaces it
    settings = SourceSettings(
        retry=RetryPolicy(max_attempts=args.attempts), spot_advisor=args.spot_advisor, timeout_s=args.timeout
    )
    requests = [RefreshRequest(build_source(cloud, settings), regions) for cloud, regions in plan.items()]
    show_bar = sys.stderr.isatty() if args.progress is None else args.progress
    progress = RichProgress() if show_bar else None
    try:
        result = refresh_catalog(requests, previous=previous, progress=progress, max_workers=args.workers)
    except RefreshFailed as failure:
        print(_summary_text(cast("Sequence[SourceSummary]", failure.summaries)), file=sys.stderr, end="")
        raise
    save_catalog(result.catalog, path)
    sys.stdout.write(_summary_text(result.summaries))
    fetched = sum(s.offers for s in result.summaries)
    print(f"wrote {len(result.catalog):,} offers ({fetched:,} fetched now) to {path}")
    return 0


def _summary_text(summaries: Sequence[SourceSummary]) -> str:
    """One line per source: offers, regions fetched / asked, retries, seconds, and ok or the errors."""
    lines = [f"{'source':<24} {'offers':>7}  {'regions':>7}  {'retries':>7}  {'seconds':>7}  status"]
    for s in summaries:
        status = "ok" if not s.errors else "; ".join(s.errors)
        lines.append(
            f"{s.source:<24} {s.offers:>7,}  {s.regions_ok:>3}/{s.regions_requested:<3}  "
            f"{s.retries:>7}  {s.duration_s:>7.1f}  {status}"
        )
    return "\n".join(lines) + "\n"


__all__ = ["add_cache_dir_flag", "register", "run_refresh", "split_list"]


class RichProgress:
    """A rich progress bar on stderr: one step per (source, region) fetched."""

    def __init__(self, *, console: Any = None, transient: bool = False) -> None:
        self._console = console
        self._transient = transient
        self._bar: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from placement.report.console import plain_console

        console = self._console or plain_console(stderr=True)
        self._bar = Progress(
            TextColumn("prices", style="bold"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}", markup=False),
            console=console,
            transient=self._transient,
        )
        self._bar.start()
        self._task = self._bar.add_task("starting", total=total)

    def advance(self, label: str, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=steps, description=label)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
