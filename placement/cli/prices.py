"""`placement prices`: look at price catalogs (``show``), fetch live prices (``refresh``), compare (``diff``).

Extending this group:
* a sub-command is one entry of `SUBCOMMANDS`: name → ``register(prices_subparsers)``, which adds
  its parser and sets ``func``;
* a catalog source for ``show --source`` (and any later sub-command that reads a catalog) is one
  entry of `CATALOG_LOADERS`: name → ``load(args) -> Catalog``. The ``--source`` choices are read
  from that dict when the parser is built.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from placement.cli import prices_diff, prices_refresh
from placement.cli.flags import add_output_flag
from placement.cli.prices_refresh import add_cache_dir_flag
from placement.errors import PlacementError, close_matches
from placement.report.console import plain_console
from pricing.catalog import Catalog, offer_to_row
from pricing.offer import CapacityType, Offer
from pricing.provenance import derivation

CatalogLoader = Callable[[argparse.Namespace], Catalog]
OUTPUTS = ("table", "json", "csv")
DEFAULT_TABLE_LIMIT = 200


def _load_embedded(args: argparse.Namespace) -> Catalog:
    from pricing.embedded import load_embedded_catalog

    return load_embedded_catalog()


def _load_file(args: argparse.Namespace) -> Catalog:
    from pricing.pricefile import load_price_file

    if args.file is None:
        raise PlacementError("--source file needs --file PATH: the price-file CSV to read")
    return load_price_file(Path(args.file))


def _max_age_s(args: argparse.Namespace) -> float | None:
    hours = getattr(args, "max_price_age", None)
    if hours is not None and hours < 0:
        raise PlacementError(f"--max-price-age must be 0 or more hours (got {hours:g})")
    return None if hours is None else hours * 3600


def _load_cached(args: argparse.Namespace, source: str) -> Catalog:
    """The cache (``cache``), or a refresh now saved to it (``live``); warnings go to stderr."""
    from placement.cli.prices_refresh import RichProgress
    from pricing.cache import default_cache_path, load_for_plan
    from pricing.refresh import assign_regions, live_refresher

    path = default_cache_path(cache_dir=getattr(args, "cache_dir", None))
    refresh = None
    if source == "live":
        clouds = [args.cloud] if getattr(args, "cloud", None) else None
        regions = [args.region] if getattr(args, "region", None) else None
        progress = RichProgress(transient=True) if sys.stderr.isatty() else None
        refresh = live_refresher(assign_regions(clouds, regions), progress=progress)
    loaded = load_for_plan(
        source, max_age_s=_max_age_s(args), allow_stale=getattr(args, "allow_stale", False), path=path, refresh=refresh
    )
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return loaded.catalog


#: Catalog sources for `--source`: name → loader.
CATALOG_LOADERS: dict[str, CatalogLoader] = {
    "embedded": _load_embedded,
    "file": _load_file,
    "cache": lambda args: _load_cached(args, "cache"),
    "live": lambda args: _load_cached(args, "live"),
}


# -- show --------------------------------------------------------------------------------------


def _register_show(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "show",
        help="list offers (instance type × region × capacity type) with their hourly price",
        description="List offers of a price catalog. --file alone reads a price file; with --source "
        "embedded it adds the file's offers to the embedded catalog (as prices.extra does).",
    )
    parser.add_argument(
        "--source",
        choices=tuple(CATALOG_LOADERS),
        help="catalog to show (default: embedded, or file when --file is given)",
    )
    parser.add_argument("--file", metavar="PATH", help="a price-file CSV (cloud,region,instance_type,...)")
    parser.add_argument("--cloud", help="only this cloud (aws, gcp, azure, or a custom provider)")
    parser.add_argument("--region", help="only this region, e.g. eu-west-1")
    parser.add_argument("--instance-type", metavar="TYPE", help="only this instance type, e.g. m7i.large")
    parser.add_argument("--capacity-type", choices=tuple(c.value for c in CapacityType), help="only on-demand or spot")
    add_output_flag(parser, OUTPUTS)
    parser.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=f"table rows to print (default {DEFAULT_TABLE_LIMIT}; 0 = all); json/csv print all",
    )
    add_cache_dir_flag(parser)
    parser.add_argument(
        "--max-price-age",
        type=float,
        metavar="HOURS",
        help="with --source cache|live: refuse cached prices older than this (default 7 days)",
    )
    parser.add_argument(
        "--allow-stale", action="store_true", help="with --source cache|live: show stale cached prices, with a warning"
    )
    parser.add_argument(
        "--adjust",
        action="append",
        metavar="RULE",
        help="a price adjustment, e.g. '{cloud: aws, discountPercent: 12}' (repeatable)",
    )
    parser.add_argument(
        "--scenario", metavar="FILE", type=Path, help="apply this scenario's prices.adjustments (before any --adjust)"
    )
    parser.set_defaults(func=run_show)


def run_show(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 0:
        raise PlacementError(f"--limit must be 0 (all) or more (got {args.limit})")
    source = args.source or ("file" if args.file else "embedded")
    catalog = CATALOG_LOADERS[source](args)
    if args.file and source != "file":
        catalog = catalog.merged(_load_file(args))
    rules = _adjustments(args)
    if rules:
        from pricing.adjust import adjust

        catalog = adjust(catalog, rules)
    shown = select(
        catalog,
        cloud=args.cloud,
        region=args.region,
        instance_type=args.instance_type,
        capacity_type=args.capacity_type,
    )
    if args.output == "json":
        sys.stdout.write(json.dumps(json_document(shown), indent=1) + "\n")
    elif args.output == "csv":
        sys.stdout.write(shown.to_csv())
    else:
        limit = DEFAULT_TABLE_LIMIT if args.limit is None else args.limit
        sys.stdout.write(table_text(shown, limit=limit, color=sys.stdout.isatty()))
    return 0


def _adjustments(args: argparse.Namespace) -> list[object]:
    """Rules from ``--scenario`` (its prices.adjustments) then each ``--adjust`` (a YAML/JSON mapping)."""
    import yaml

    rules: list[object] = []
    if getattr(args, "scenario", None) is not None:
        from placement.load.scenario import load_scenario

        rules.extend(load_scenario(args.scenario).prices.adjustments)
    for text in getattr(args, "adjust", None) or ():
        try:
            rules.append(yaml.safe_load(text))
        except yaml.YAMLError as error:
            raise PlacementError(
                f"--adjust {text!r}: not YAML/JSON ({error}); e.g. '{{cloud: aws, discountPercent: 12}}'"
            ) from error
    return rules


def select(
    catalog: Catalog,
    *,
    cloud: str | None = None,
    region: str | None = None,
    instance_type: str | None = None,
    capacity_type: str | None = None,
) -> Catalog:
    """Offers matching every given filter, sorted by cloud, region, price. Each filter value must exist in
    the catalog narrowed by the ones before it; otherwise `PlacementError` with the closest names."""
    offers: Iterable[Offer] = catalog.offers
    for field, value, flag in (
        ("cloud", cloud, "--cloud"),
        ("region", region, "--region"),
        ("instance_type", instance_type, "--instance-type"),
    ):
        if value is None:
            continue
        pool = list(offers)
        known = sorted({getattr(o, field) for o in pool})
        if value not in known:
            raise PlacementError(f"{flag} {value!r}: no offers{_scope(cloud, region, field)}{_hint(value, known)}")
        offers = [o for o in pool if getattr(o, field) == value]
    if capacity_type is not None:
        wanted = CapacityType(capacity_type)
        offers = [o for o in offers if o.capacity_type is wanted]
    ordered = sorted(offers, key=lambda o: (o.cloud, o.region, o.hourly_usd, o.instance_type, o.capacity_type.value))
    return Catalog(ordered, fetched_at=catalog.fetched_at, schema_version=catalog.schema_version)


def _scope(cloud: str | None, region: str | None, field: str) -> str:
    if field == "region" and cloud:
        return f" in cloud {cloud}"
    if field == "instance_type" and (cloud or region):
        return " in " + "/".join(v for v in (cloud, region) if v)
    return ""


def _hint(value: str, known: list[str]) -> str:
    close = close_matches(value, known, n=3)
    if close:
        return f"; did you mean {' or '.join(close)}?"
    if len(known) <= 12:
        return f"; known: {', '.join(known)}"
    return f"; {len(known)} known, e.g. {', '.join(known[:5])}"


def json_document(catalog: Catalog) -> dict[str, object]:
    """The catalog's JSON (loadable with `Catalog.from_json`) with each offer's price `derivation` in words."""
    document = catalog.to_json()
    for row, offer in zip(document["offers"], catalog.offers, strict=True):
        row["derivation"] = derivation(offer)
    return document


def table_text(catalog: Catalog, *, limit: int, color: bool) -> str:
    """A rich table of (at most `limit`, 0 = all) offers, with a footer saying what was left out."""
    from rich.table import Table

    rows = catalog.offers if limit == 0 else catalog.offers[:limit]
    table = Table(title=_title(catalog), title_justify="left", header_style="bold")
    for name, justify in (
        ("cloud", "left"),
        ("region", "left"),
        ("instance type", "left"),
        ("capacity", "left"),
        ("vCPUs", "right"),
        ("memory GiB", "right"),
        ("GPUs", "right"),
        ("$/h", "right"),
        ("price derivation", "left"),
        ("as of", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for offer in rows:
        row = offer_to_row(offer)
        table.add_row(
            offer.cloud,
            offer.region,
            offer.instance_type,
            offer.capacity_type.value,
            f"{offer.vcpus:g}",
            f"{offer.memory_gib:g}",
            str(offer.gpus or ""),
            f"{offer.hourly_usd:.4f}",
            derivation(offer),
            row["as_of"][:10],
        )
    buffer = io.StringIO()
    width = shutil.get_terminal_size((200, 24)).columns if color else 200
    console = plain_console(buffer, width=width, color=color)
    if catalog.offers:
        console.print(table)
    else:
        console.print("no offers match")
    if len(rows) < len(catalog):
        console.print(
            f"showing {len(rows):,} of {len(catalog):,} offers (cheapest first per region); narrow with "
            "--cloud/--region/--instance-type, use --limit 0 for all, or -o csv"
        )
    return buffer.getvalue()


def _title(catalog: Catalog) -> str:
    clouds = ", ".join(f"{c} {d:%Y-%m-%d}" for c, d in sorted(catalog.as_of().items()))
    return f"{len(catalog):,} offers" + (f" · prices as of {clouds}" if clouds else "")


# -- the group ---------------------------------------------------------------------------------

#: `placement prices` sub-commands: name → register(prices_subparsers).
SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "show": _register_show,
    "refresh": prices_refresh.register,
    "diff": prices_diff.register,
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "prices",
        help="show, refresh and compare price catalogs",
        description="Look at the offers placement plans with, fetch live prices into the cache, and compare catalogs.",
    )
    prices_sub = parser.add_subparsers(
        dest="prices_command", title="subcommands", required=True, metavar="{" + ",".join(SUBCOMMANDS) + "}"
    )
    for register_subcommand in SUBCOMMANDS.values():
        register_subcommand(prices_sub)


__all__ = ["CATALOG_LOADERS", "SUBCOMMANDS", "json_document", "register", "run_show", "select", "table_text"]
