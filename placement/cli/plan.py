"""`placement plan`: solve a scenario and print the plan (table, JSON, YAML or patches)."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from dataclasses import replace

from placement.cli.flags import (
    add_output_flag,
    add_prices_flag,
    add_scenario_flag,
    add_solver_flags,
    load_from_args,
    time_limit_problem,
)
from placement.cli.plan_extras import PlanExtras
from placement.cli.plan_extras import add_flags as add_extra_flags
from placement.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "plan",
        help="plan placements for a scenario (dry run: changes nothing)",
        description="Solve the scenario and print the plan. Exit 0 when every workload is "
        "placed, 3 when some are unplaced, 2 on invalid input.",
    )
    add_scenario_flag(parser)
    add_output_flag(parser, ("table", "json", "yaml", "patches"))
    add_prices_flag(parser)
    add_solver_flags(parser)
    parser.add_argument(
        "--max-price-age",
        type=float,
        metavar="HOURS",
        help="refuse cached prices older than this (with --prices cache|live)",
    )
    parser.add_argument("--allow-stale", action="store_true", help="plan with stale cached prices, with a warning")
    add_extra_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from placement.analysis.conflicts import explain_unplaced
    from placement.load.catalog import catalog_for
    from placement.solver.solve import solve

    problem = time_limit_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    scenario = load_from_args(args)
    extras = PlanExtras.from_args(args, scenario)
    max_age_s = None if args.max_price_age is None else args.max_price_age * 3600
    loaded = catalog_for(scenario, source=args.prices, max_age_s=max_age_s, allow_stale=args.allow_stale)
    with _progress(f"solving {len(scenario.workloads)} workloads × {len(scenario.clusters)} clusters"):
        plan = solve(scenario, loaded.catalog, time_limit_s=args.time_limit, backend=args.backend)
        plan = explain_unplaced(scenario, loaded.catalog, plan, backend=args.backend)
        extras = extras.computed(scenario, loaded.catalog, plan, time_limit_s=args.time_limit, backend=args.backend)
    if loaded.warnings:
        plan = replace(plan, warnings=plan.warnings + loaded.warnings)
    if args.output != "patches":
        extras = replace(extras, provisioning=_provisioning(plan, scenario, loaded.catalog))
    sys.stdout.write(render(plan, scenario, args.output, catalog=loaded.catalog, extras=extras))
    return ExitCode.UNPLACED if plan.unplaced or extras.unplaced else 0


def render(plan, scenario, output: str, *, catalog=None, extras: PlanExtras | None = None) -> str:
    """The plan as text; `catalog` (the prices it was planned with) sizes the NodePool limits of patches;
    `extras` adds `priceOfRules` / `schedule` (JSON, YAML) or their tables."""
    from placement.report import plan as report

    extras = extras or PlanExtras()
    if output == "json":
        return extras.json_text(plan)
    if output == "yaml":
        return extras.yaml_text(plan)
    if output == "patches":
        from placement.patches.build import PatchOptions, render_patches, to_patches
        from placement.patches.nodepools import instance_sizes

        sizes = instance_sizes(catalog.offers) if catalog is not None else {}
        return render_patches(to_patches(plan, scenario, options=PatchOptions(instance_sizes=sizes)))
    color = sys.stdout.isatty()
    return report.to_table_text(plan, color=color) + extras.table_text(color=color)


def _provisioning(plan, scenario, catalog):
    """The provisioning check of the plan on the NodePools it writes (`placement.analysis.provisioning`)."""
    from placement.analysis.provisioning import check_provisioning
    from placement.patches.build import to_patches

    return check_provisioning(plan, scenario, catalog, to_patches(plan, scenario))


def _progress(message: str):
    """A spinner on stderr while the solver runs, only for people (a TTY)."""
    if not sys.stderr.isatty():
        return nullcontext()
    from placement.report.console import plain_console

    return plain_console(stderr=True).status(message)
