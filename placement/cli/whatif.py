"""`placement whatif`: solve a scenario before and after transforms, print $/h and changed assignments.

    placement whatif --scenario FILE --shock aws:+30%            # prices of a cloud (or cloud/family, @spot)
    placement whatif --outage gcp:europe-west4                   # a region (or a whole cloud, or a cluster name)
    placement whatif --traffic 20x [--traffic 2x:shop/*]         # demand × N, optionally for a workload glob
    placement whatif --residency 'payments/*=DE'                 # a new residency rule (=any removes it)
    placement whatif --sweep risk=0,1,10 --sweep shock=-20,0,30   # a grid of plans (9), with Pareto marks
                     [--ray | --ray-address ADDRESS]              # ... as Ray tasks (placement.scaleout)

Transforms apply in the order: traffic, residency, outage, shock; a sweep starts from the result.
Exit 0 (2 on invalid input; with --sweep, a failed point prints its reason and exits 2 or 4).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from placement.cli.flags import (
    add_output_flag,
    add_prices_flag,
    add_ray_flags,
    add_scenario_flag,
    add_solver_flags,
    load_from_args,
    time_limit_problem,
)
from placement.errors import PlacementError

_PERCENT = re.compile(r"^([+-]?\d+(?:\.\d+)?)%$")
_FACTOR = re.compile(r"^(\d+(?:\.\d+)?)x$", re.IGNORECASE)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "whatif",
        help="what-if: price shocks, outages, traffic and residency changes",
        description="Solve the scenario as it is and after the given changes; print the "
        "$/h before and after and every assignment that changes.",
    )
    add_scenario_flag(parser)
    parser.add_argument(
        "--shock",
        action="append",
        default=[],
        metavar="TARGET:±N%",
        help="price shock, e.g. aws:+30%%, gcp@spot:+200%%, aws/m7i:-10%%, */n2:+50%%",
    )
    parser.add_argument(
        "--outage",
        action="append",
        default=[],
        metavar="CLOUD[:REGION]|CLUSTER",
        help="take clusters out, e.g. gcp:europe-west4, azure, aws-eu-west-1",
    )
    parser.add_argument(
        "--traffic", action="append", default=[], metavar="Nx[:GLOB]", help="demand multiplier, e.g. 20x or 1.5x:shop/*"
    )
    parser.add_argument(
        "--residency",
        action="append",
        default=[],
        metavar="GLOB=CODES",
        help="new residency rule, e.g. 'payments/*=DE' or 'shop/*=EU,CH' ('=any' removes it)",
    )
    parser.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="PARAM=V1,V2,...",
        help="solve a grid instead of one change: latency (× latencyMs), risk (riskAversion), "
        "shock (%% on every price), traffic (× replicas); repeat for a grid, e.g. risk=0,1,10",
    )
    add_prices_flag(parser)
    add_solver_flags(parser, time_limit_help="solver time limit per plan (10 s)", time_limit_default_s=10.0)
    add_ray_flags(parser)
    add_output_flag(parser, ("table", "json"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from placement.load.catalog import catalog_for
    from placement.simulate import whatif

    if not (args.shock or args.outage or args.traffic or args.residency or args.sweep):
        raise PlacementError(
            "nothing to compare: give at least one of --shock, --outage, --traffic, --residency, --sweep"
        )
    problem = time_limit_problem(args)
    if problem:
        raise PlacementError(problem)
    axes = [parse_sweep(spec) for spec in args.sweep]
    if (args.ray or args.ray_address) and not axes:
        raise PlacementError("--ray runs sweeps: add --sweep PARAM=V1,V2,... (one comparison is two solves)")
    scenario = load_from_args(args)
    catalog = catalog_for(scenario, source=args.prices).catalog
    changed, changed_catalog, applied = apply_specs(scenario, catalog, args)
    if axes:
        from placement.cli.whatif_sweep import run_sweep

        return run_sweep(changed, changed_catalog, axes, applied, args)
    before = whatif.plan(scenario, catalog, time_limit_s=args.time_limit, backend=args.backend)
    after = whatif.plan(changed, changed_catalog, time_limit_s=args.time_limit, backend=args.backend)
    comparison = whatif.compare(before, after)
    if args.output == "json":
        sys.stdout.write(json.dumps(to_json(comparison, applied), indent=1) + "\n")
    else:
        sys.stdout.write(to_table(comparison, applied, scenario.name))
    return 0


def apply_specs(scenario: Any, catalog: Any, args: argparse.Namespace) -> tuple[Any, Any, list[str]]:
    """Apply every --traffic, --residency, --outage and --shock, in that order; an error names its flag."""
    from placement.simulate import whatif

    applied: list[str] = []
    for spec in args.traffic:
        with _flag("--traffic", spec):
            factor, glob = parse_traffic(spec)
            scenario = whatif.traffic_multiplier(scenario, factor, workloads=None if glob is None else [glob])
        applied.append(f"traffic {spec}")
    for spec in args.residency:
        with _flag("--residency", spec):
            glob, codes = parse_residency(spec)
            scenario = whatif.residency_change(scenario, codes, workloads=[glob])
        applied.append(f"residency {spec}")
    for spec in args.outage:
        with _flag("--outage", spec):
            if spec in {c.name for c in scenario.clusters}:
                scenario = whatif.outage(scenario, clusters=[spec])
            else:
                cloud, _, region = spec.partition(":")
                scenario = whatif.outage(scenario, cloud=cloud, region=region or None)
        applied.append(f"outage {spec}")
    for spec in args.shock:
        with _flag("--shock", spec):
            percent, selector = parse_shock(spec)
            catalog = whatif.price_shock(catalog, percent, **selector)
        applied.append(f"shock {spec}")
    return scenario, catalog, applied


@contextmanager
def _flag(flag: str, spec: str) -> Iterator[None]:
    """Name the flag and its value in an error from the transform it asked for."""
    try:
        yield
    except PlacementError as error:
        if str(error).startswith(flag):
            raise
        raise PlacementError(f"{flag} {spec!r}: {error}") from None


def parse_shock(spec: str) -> tuple[float, dict[str, str]]:
    """`[cloud|*][/family][@capacity-type]:±N%` → (percent, price_shock keyword arguments)."""
    target, sep, amount = spec.rpartition(":")
    match = _PERCENT.match(amount.strip())
    if not sep or not match or not target:
        raise PlacementError(f"--shock {spec!r}: write TARGET:±N%, e.g. aws:+30%, gcp@spot:+200% or aws/m7i:-10%")
    selector: dict[str, str] = {}
    target, _, capacity = target.partition("@")
    if capacity:
        if capacity not in ("spot", "on-demand"):
            raise PlacementError(f"--shock {spec!r}: capacity type {capacity!r} must be spot or on-demand")
        selector["capacity_type"] = capacity
    cloud, _, family = target.partition("/")
    if cloud and cloud != "*":
        selector["cloud"] = cloud
    if family:
        selector["family"] = family
    return float(match.group(1)), selector


def parse_sweep(spec: str) -> tuple[str, list[float]]:
    """`PARAM=V1,V2,...` → (parameter, values); PARAM is one of `whatif.PARAMETERS`."""
    from placement.simulate.whatif import PARAMETERS

    name, sep, text = spec.partition("=")
    name = name.strip()
    if not sep or name not in PARAMETERS:
        raise PlacementError(
            f"--sweep {spec!r}: write PARAM=V1,V2,... with PARAM one of {', '.join(PARAMETERS)}, "
            "e.g. risk=0,1,10 or shock=-20,0,30"
        )
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise PlacementError(f"--sweep {spec!r}: values must be numbers, e.g. {name}=0.5,1,2") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise PlacementError(f"--sweep {spec!r}: give one or more finite numbers, e.g. {name}=0.5,1,2")
    return name, values


def parse_traffic(spec: str) -> tuple[float, str | None]:
    """`Nx[:GLOB]` → (factor, workload glob or None)."""
    amount, _, glob = spec.partition(":")
    match = _FACTOR.match(amount.strip())
    if not match or not float(match.group(1)) > 0:
        raise PlacementError(f"--traffic {spec!r}: write Nx or Nx:GLOB, e.g. 20x or 1.5x:shop/*")
    return float(match.group(1)), glob or None


def parse_residency(spec: str) -> tuple[str, list[str] | None]:
    """`GLOB=CODE[,CODE]` (or `GLOB=any`) → (glob, codes or None)."""
    glob, sep, codes = spec.partition("=")
    if not sep or not glob or not codes:
        raise PlacementError(
            f"--residency {spec!r}: write GLOB=CODES, e.g. 'payments/*=DE' or 'shop/*=EU,CH' or 'x=any'"
        )
    if codes.strip().lower() == "any":
        return glob, None
    return glob, [c.strip().upper() for c in codes.split(",") if c.strip()]


def to_json(comparison: Any, applied: list[str]) -> dict[str, Any]:
    return {
        "transforms": applied,
        "hourlyUsd": {
            "before": round(comparison.before_hourly_usd, 6),
            "after": round(comparison.after_hourly_usd, 6),
            "deltaFraction": round(comparison.delta_fraction, 6),
        },
        "changes": [
            {
                "workload": c.workload,
                "cluster": c.cluster,
                "before": {"onDemand": c.before[0], "spot": c.before[1]},
                "after": {"onDemand": c.after[0], "spot": c.after[1]},
            }
            for c in comparison.changes
        ],
        "unplaced": list(comparison.unplaced_after),
    }


def to_table(comparison: Any, applied: list[str], name: str) -> str:
    import io

    from rich.table import Table

    from placement.report.console import plain_console

    buffer = io.StringIO()
    console = plain_console(buffer, width=120)
    console.print(f"what-if on {name}: {'; '.join(applied)}")
    console.print(
        f"$/h before {comparison.before_hourly_usd:,.4f} → after {comparison.after_hourly_usd:,.4f} "
        f"({100 * comparison.delta_fraction:+.1f}%)"
    )
    table = Table(title=f"changed assignments ({len(comparison.changes)})", title_justify="left")
    for header in ("workload", "cluster", "before od/spot", "after od/spot"):
        table.add_column(header)
    for c in comparison.changes:
        table.add_row(c.workload, c.cluster, f"{c.before[0]}/{c.before[1]}", f"{c.after[0]}/{c.after[1]}")
    console.print(table)
    if comparison.unplaced_after:
        console.print(f"unplaced after: {', '.join(comparison.unplaced_after)}")
    return buffer.getvalue()
