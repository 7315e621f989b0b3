"""`placement explain WORKLOAD`: why the plan put a workload where it did, and what would change it."""

from __future__ import annotations

import argparse
import json
import sys

from placement.cli.flags import (
    add_output_flag,
    add_prices_flag,
    add_scenario_flag,
    add_solver_flags,
    load_from_args,
    time_limit_problem,
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "explain",
        help="explain one workload's placement: costs, alternatives, exclusions, price thresholds",
        description="Plan the scenario, then explain WORKLOAD: for each chosen cluster the per-replica cost it "
        "beat the next-cheapest allowed alternative by, the clusters its rules exclude and why, and the price "
        "rise that would move it. For an unplaced workload, the smallest set of its rules that conflict. "
        "Exit 0 placed, 3 unplaced, 2 invalid input (e.g. an unknown workload).",
    )
    parser.add_argument("workload", metavar="WORKLOAD", help="namespace/name (or a unique name)")
    add_scenario_flag(parser)
    add_output_flag(parser, ("table", "json"))
    add_prices_flag(parser)
    add_solver_flags(parser, time_limit_help="solver time limit in seconds for the plan")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from placement.analysis.explain import explain_workload, find_workload
    from placement.load.catalog import catalog_for
    from placement.report.explanation import explanation_json, explanation_text
    from placement.solver.solve import solve

    problem = time_limit_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    scenario = load_from_args(args)
    workload = find_workload(scenario, args.workload)  # before solving: an unknown name fails fast
    catalog = catalog_for(scenario, source=args.prices).catalog
    plan = solve(scenario, catalog, time_limit_s=args.time_limit, backend=args.backend)
    explanation = explain_workload(scenario, catalog, plan, workload.key, backend=args.backend)
    if args.output == "json":
        sys.stdout.write(json.dumps(explanation_json(explanation), indent=2) + "\n")
    else:
        sys.stdout.write(explanation_text(explanation, color=sys.stdout.isatty()))
    return 0 if explanation.placed else 3
