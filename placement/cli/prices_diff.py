"""`placement prices diff OLD NEW`: what changed between two catalogs, largest hourly impact first.

OLD and NEW are each a catalog JSON (the cache file, or `prices show -o json`), a price-file CSV, or
the words ``embedded`` / ``cache``. Exit codes follow `kubectl diff`: 0 no change, 1 changes, >1 error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from placement.cli.flags import add_output_flag
from placement.cli.prices_refresh import add_cache_dir_flag
from placement.errors import PlacementError
from placement.exit_codes import ExitCode
from pricing.catalog import Catalog
from pricing.diff import CatalogDiff, diff_catalogs

DEFAULT_LIMIT = 30


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "diff",
        help="compare two catalogs (what changed, by how much, by impact)",
        description="Compare two catalogs offer by offer (cloud, region, zone, instance type, capacity type). "
        "OLD/NEW: a catalog JSON, a price-file CSV, `embedded` or `cache`. Exit 0 no change, 1 changes.",
    )
    parser.add_argument("old", metavar="OLD")
    parser.add_argument("new", metavar="NEW")
    parser.add_argument(
        "--min-change",
        type=float,
        default=0.0,
        metavar="PERCENT",
        help="ignore price changes smaller than this (default 0)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"changes to list in the table (default {DEFAULT_LIMIT}; 0 = all)",
    )
    add_output_flag(parser, ("table", "json"))
    add_cache_dir_flag(parser)
    parser.set_defaults(func=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    if args.min_change < 0 or args.limit < 0:
        raise PlacementError("--min-change and --limit must be 0 or more")
    old, new = load_any(args.old, args.cache_dir), load_any(args.new, args.cache_dir)
    diff = diff_catalogs(old, new, min_relative=args.min_change / 100)
    if args.output == "json":
        sys.stdout.write(json.dumps(_as_json(diff), indent=1) + "\n")
    else:
        sys.stdout.write(_table(diff, limit=args.limit))
    return ExitCode.CHANGES if diff else 0


def load_any(spec: str, cache_dir: Path | None) -> Catalog:
    """A catalog from ``embedded``, ``cache``, a ``.csv`` price file or a catalog JSON file."""
    from pricing.cache import default_cache_path, read_catalog

    if spec == "embedded":
        from pricing.embedded import load_embedded_catalog

        return load_embedded_catalog()
    if spec == "cache":
        return read_catalog(default_cache_path(cache_dir=cache_dir))
    path = Path(spec)
    if not path.is_file():
        raise PlacementError(f"{spec}: no such file; give a catalog JSON, a price-file CSV, `embedded` or `cache`")
    if path.suffix.lower() == ".csv":
        from pricing.pricefile import load_price_file

        return load_price_file(path)
    from pricing.errors import CatalogUnavailable

    try:
        return read_catalog(path)
    except CatalogUnavailable as error:  # a file the user named is input (exit 2), not the environment
        raise PlacementError(
            f"{spec}: not a price catalog ({error}); give a catalog JSON (the cache file or "
            "`placement prices show -o json`), a price-file CSV (.csv), `embedded` or `cache`"
        ) from None


def _as_json(diff: CatalogDiff) -> dict[str, object]:
    return {
        "unchanged": diff.unchanged,
        "clouds": [
            {
                "cloud": s.cloud,
                "changed": s.changed,
                "up": s.up,
                "down": s.down,
                "added": s.added,
                "removed": s.removed,
                "medianRelative": s.median_relative,
            }
            for s in diff.by_cloud()
        ],
        "changes": [
            {
                "cloud": c.cloud,
                "region": c.region,
                "zone": c.zone,
                "instanceType": c.instance_type,
                "capacityType": c.capacity_type,
                "kind": c.kind.value,
                "oldHourlyUsd": c.old_hourly_usd,
                "newHourlyUsd": c.new_hourly_usd,
                "deltaUsd": round(c.delta_usd, 9),
                "relative": c.relative,
            }
            for c in diff.changes
        ],
    }


def _table(diff: CatalogDiff, *, limit: int) -> str:
    if not diff:
        return f"no changes ({diff.unchanged:,} offers compared)\n"
    lines = [f"{'cloud':<8} {'changed':>8} {'up':>6} {'down':>6} {'added':>7} {'removed':>8} {'median change':>14}"]
    for s in diff.by_cloud():
        median = "" if s.median_relative is None else f"{s.median_relative:+.1%}"
        lines.append(f"{s.cloud:<8} {s.changed:>8,} {s.up:>6,} {s.down:>6,} {s.added:>7,} {s.removed:>8,} {median:>14}")
    lines.append("")
    shown = diff.changes if limit == 0 else diff.changes[:limit]
    lines.append(
        f"{'where':<34} {'instance type':<24} {'capacity':<9} {'old $/h':>10} {'new $/h':>10} {'Δ $/h':>10} {'Δ':>8}"
    )
    for c in shown:
        old = "-" if c.old_hourly_usd is None else f"{c.old_hourly_usd:.4f}"
        new = "-" if c.new_hourly_usd is None else f"{c.new_hourly_usd:.4f}"
        relative = c.kind.value if c.relative is None else f"{c.relative:+.1%}"
        lines.append(
            f"{c.where:<34} {c.instance_type:<24} {c.capacity_type:<9} {old:>10} {new:>10} "
            f"{c.delta_usd:>+10.4f} {relative:>8}"
        )
    if len(shown) < len(diff.changes):
        lines.append(f"… {len(diff.changes) - len(shown):,} more changes (--limit 0 for all, -o json for machines)")
    lines.append(f"{len(diff.changes):,} changes, {diff.unchanged:,} offers unchanged")
    return "\n".join(lines) + "\n"


__all__ = ["load_any", "register", "run_diff"]
