"""`placement validate PLAN`: check a plan independently against its scenario (exit 0 valid, 1 not)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from placement.cli.flags import add_prices_flag, add_scenario_flag, load_from_args


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "validate",
        help="check a plan against its scenario's rules, recompute its costs and "
        "simulate the autoscaler on the NodePools it writes",
        description="Exit 0 when the plan satisfies every rule, its costs recompute and the "
        "provisioning check passes (every planned pod lands on the written NodePools and the node "
        "bill is within 5 %% of the plan's compute), 1 when violations are found (listed), 2 on "
        "invalid input.",
    )
    parser.add_argument("plan", metavar="PLAN", help="plan JSON or YAML from `placement plan -o json` ('-' = stdin)")
    add_scenario_flag(parser)
    add_prices_flag(parser, help="price source the plan was made with (default: the scenario's)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import yaml

    from placement.analysis.validate import check
    from placement.errors import InvalidPlan
    from placement.load.catalog import catalog_for
    from placement.plan import Plan

    try:
        text = sys.stdin.read() if args.plan == "-" else Path(args.plan).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidPlan(
            f"plan {args.plan} is not UTF-8 text (byte {error.start}): write it with `placement plan -o json`"
        ) from None
    except OSError as error:
        raise InvalidPlan(f"cannot read plan {args.plan}: {error.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            raise InvalidPlan(f"{args.plan} is neither JSON nor YAML: write it with `placement plan -o json`") from None
    try:
        plan = Plan.from_json(data)
    except InvalidPlan as error:
        raise InvalidPlan(f"plan {args.plan}: {error}") from None
    scenario = load_from_args(args)
    catalog = catalog_for(scenario, source=args.prices).catalog
    violations = [str(v) for v in check(plan, scenario, catalog)]
    provisioning = None
    if plan.nodes:  # a plan from before nodes were planned has no node bill to check
        from placement.analysis.provisioning import check_provisioning
        from placement.patches.build import to_patches

        provisioning = check_provisioning(plan, scenario, catalog, to_patches(plan, scenario))
        violations += [f"provisioning: {v}" for v in provisioning.violations]
    if provisioning is not None:
        print(provisioning.summary())
    if not violations:
        print(
            f"plan for {plan.scenario} is valid: {len(plan.assignments)} assignments, "
            f"{plan.hourly_usd.after:.4f} $/h recomputed"
        )
        return 0
    print(f"plan for {plan.scenario} has {len(violations)} violation(s):")
    for violation in violations:
        print(f"  {violation}")
    return 1
