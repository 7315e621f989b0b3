"""`placement diff | apply | rollback | scenario export`: the commands that touch clusters.

Thin: parse kubectl-style flags, load the scenario and plan, connect, call `placement.kube.diff`,
`placement.kube.apply`, `placement.kube.rollback`, `placement.patches.gitops` or `placement.kube.scenario_export`, print.
Exit codes: diff 0 no changes / 1 changes; apply 0 ok / 3 some workloads unplaced; any error > 1
(2 invalid input or churn budget exceeded, 4 cluster or apply failure, nothing left half-changed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from placement.cli.flags import add_scenario_flag, load_from_args
from placement.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    diff = sub.add_parser(
        "diff",
        help="show what apply would change (like kubectl diff)",
        description="Server-side dry-run every change and print a unified diff per object. "
        "Exit 0: no differences, 1: differences, >1: error.",
    )
    _inputs(diff)
    _kube(diff)
    diff.add_argument("--force-conflicts", action="store_true", help="diff as if taking over conflicting fields")
    diff.set_defaults(func=run_diff)

    apply = sub.add_parser(
        "apply",
        help="apply a plan with server-side apply (or write GitOps overlays)",
        description="Apply the plan's changes: capacity first, scale-ups, then scale-downs; "
        "all or nothing (a failure reverts what this run applied).",
    )
    _inputs(apply)
    _kube(apply)
    apply.add_argument(
        "--dry-run",
        choices=("none", "server", "client"),
        default="none",
        help="server: send with dryRun=All; client: print the patches only",
    )
    apply.add_argument(
        "--force-conflicts",
        action="store_true",
        help="take over fields another field manager owns (server-side apply force)",
    )
    apply.add_argument("--max-moves", type=int, metavar="N", help="refuse plans that add more than N replicas")
    apply.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="write kustomize overlays DIR/<cluster>/ instead of touching clusters",
    )
    apply.add_argument(
        "--base",
        metavar="PATH",
        help="with --output-dir: a kustomize base each overlay includes; {cluster} is replaced",
    )
    apply.add_argument(
        "--wait-timeout",
        type=float,
        default=300.0,
        metavar="S",
        help="seconds to wait for scaled-up Deployments to finish their rollout before scaling down (default 300)",
    )
    apply.add_argument("-o", "--output", choices=("text", "json"), default="text")
    apply.set_defaults(func=run_apply)

    rollback = sub.add_parser("rollback", help="undo the last applied plan from the records on the objects")
    _scenario_or_policy(rollback, "the clusters to roll back")
    _kube(rollback)
    rollback.add_argument("--plan-id", help="only undo objects this plan id last changed")
    rollback.add_argument("--dry-run", choices=("none", "server"), default="none")
    rollback.set_defaults(func=run_rollback)


def register_export(scenario: argparse._SubParsersAction) -> None:
    """`placement scenario export` (the `scenario` group itself is `placement.cli.scenario`)."""
    export = scenario.add_parser(
        "export",
        help="read the fleet from clusters and write it as a scenario",
        description="Read clusters (nodes, Karpenter CRDs, Deployments with placement.dev/ "
        "annotations, HPAs, PDBs, pods) and print the scenario YAML. --scenario FILE "
        "supplies user regions, prices, planning and the clusters' contexts.",
    )
    source = export.add_mutually_exclusive_group()
    source.add_argument("--scenario", "-f", metavar="FILE", type=Path, help="base scenario (optional)")
    source.add_argument(
        "--policy",
        metavar="FILE",
        type=Path,
        help="the CronJob's fleet policy as the base (what `placement run --policy` plans from)",
    )
    _kube(export)
    export.add_argument("-n", "--namespace", help="only this namespace")
    export.add_argument("-l", "--selector", help="only Deployments with these labels (k=v,k2=v2)")
    export.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    export.set_defaults(func=run_export)


def _scenario_or_policy(parser: argparse.ArgumentParser, what: str) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--scenario",
        "-f",
        metavar="FILE",
        type=Path,
        help=f"scenario YAML naming {what}; default: the packaged demo fleet",
    )
    source.add_argument(
        "--policy",
        metavar="FILE",
        type=Path,
        help=f"the CronJob's fleet policy naming {what} (as `placement run --policy`)",
    )


def _inputs(parser: argparse.ArgumentParser) -> None:
    add_scenario_flag(parser)
    parser.add_argument(
        "--plan",
        type=Path,
        metavar="FILE",
        help="plan JSON from `placement plan -o json` (default: solve the scenario now)",
    )


def _kube(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    parser.add_argument(
        "--context",
        action="append",
        metavar="NAME",
        help="kube context; repeat for several (default: each scenario cluster's context)",
    )
    parser.add_argument("--request-timeout", type=float, default=10.0, metavar="S", help="per request (default 10)")


# -- commands ----------------------------------------------------------------------------------------


def run_diff(args: argparse.Namespace) -> int:
    from placement.kube.diff import diff_patches

    scenario = load_from_args(args)
    apis = _connect(scenario, args)
    live = _live(apis, scenario)
    _, patches, identity = _plan_and_patches(args, scenario, live, apis)
    report = diff_patches(patches, apis, plan_id=identity, force=args.force_conflicts, live=live)
    sys.stdout.write(report.text())
    return report.exit_code


def run_apply(args: argparse.Namespace) -> int:
    from placement.kube.apply import apply_patches, check_churn
    from placement.patches.build import render_patches

    scenario = load_from_args(args)
    if args.output_dir is not None or args.dry_run == "client":
        plan, patches, identity = _plan_and_patches(args, scenario, None, None)
        check_churn(patches, args.max_moves)
        if args.dry_run == "client":
            sys.stdout.write(render_patches(patches))
        else:
            from placement.patches.gitops import write_overlays

            bases = {p.cluster: args.base.replace("{cluster}", p.cluster) for p in patches} if args.base else None
            for path in write_overlays(patches, args.output_dir, bases=bases):
                print(path)
        return ExitCode.UNPLACED if plan.unplaced else 0
    apis = _connect(scenario, args)
    live = _live(apis, scenario)
    plan, patches, identity = _plan_and_patches(args, scenario, live, apis)
    report = apply_patches(
        patches,
        apis,
        plan_id=identity,
        dry_run=args.dry_run == "server",
        force=args.force_conflicts,
        max_moves=args.max_moves,
        live=live,
        wait_timeout_s=args.wait_timeout,
    )
    if args.output == "json":
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(report.lines()))
    for item in plan.unplaced:
        print(f"unplaced: {item.workload}: {item.reason}", file=sys.stderr)
    return ExitCode.UNPLACED if plan.unplaced else 0


def run_rollback(args: argparse.Namespace) -> int:
    from placement.kube.rollback import rollback

    if args.policy is not None:
        from placement.kube.client import connect_fleet
        from placement.run.fleet import policy_clusters, read_policy

        apis = connect_fleet(
            policy_clusters(read_policy(args.policy)),
            kubeconfig=args.kubeconfig,
            contexts=args.context,
            timeout_s=args.request_timeout,
        )
    else:
        apis = _connect(load_from_args(args), args)
    report = rollback(apis, plan_id=args.plan_id, dry_run=args.dry_run == "server")
    print("\n".join(report.lines()))
    return 0


def run_export(args: argparse.Namespace) -> int:
    import yaml

    from placement.kube.client import connect, current_context
    from placement.kube.scenario_export import build, daemonset_notes, read_fleet, scenario_document
    from placement.scenario import Cluster

    if args.policy is not None:
        return _export_policy(args)
    base = None
    if args.scenario is not None:
        from placement.load.yaml_doc import load_yaml

        scenario = load_from_args(args)  # every problem of the file at once, before any cluster is contacted
        base = load_yaml(args.scenario.read_bytes().decode("utf-8-sig"))[0]
        apis = _connect(scenario, args)
        contexts = {c.name: c.context for c in scenario.clusters}
    else:
        names = args.context or [current_context(args.kubeconfig) or "in-cluster"]
        clusters = [
            Cluster(name=n, cloud="", region="", country="", context=None if n == "in-cluster" else n) for n in names
        ]
        apis = {c.name: connect(c, kubeconfig=args.kubeconfig, timeout_s=args.request_timeout) for c in clusters}
        contexts = {c.name: c.context for c in clusters}
    observed = read_fleet(apis, contexts=contexts, namespace=args.namespace, selector=args.selector, base=base)
    document = scenario_document(observed, base=base)
    build(document, base_dir=args.scenario.parent if args.scenario else None)  # validate like the YAML path
    for note in daemonset_notes(observed, base=base):
        print(f"note: {note}", file=sys.stderr)
    if args.output == "json":
        print(json.dumps(document, indent=2))
    else:
        sys.stdout.write(yaml.safe_dump(document, sort_keys=False))
    return 0


def _export_policy(args: argparse.Namespace) -> int:
    """The scenario `placement run --policy` would plan from: the policy's settings and the clusters."""
    import yaml

    from placement.kube.client import connect_fleet
    from placement.kube.scenario_export import build, daemonset_notes, read_fleet, scenario_document
    from placement.run.fleet import merge_policy, policy_clusters, read_policy

    policy = read_policy(args.policy)
    clusters = policy_clusters(policy)
    apis = connect_fleet(clusters, kubeconfig=args.kubeconfig, contexts=args.context, timeout_s=args.request_timeout)
    observed = read_fleet(
        apis,
        contexts={c.name: c.context for c in clusters},
        namespace=args.namespace,
        selector=args.selector,
        base=policy,
    )
    document, notes = merge_policy(scenario_document(observed, base=policy), policy)
    build(document, base_dir=args.policy.parent, source=f"{args.policy} + live clusters")
    for note in [*notes, *daemonset_notes(observed, base=policy)]:
        print(f"note: {note}", file=sys.stderr)
    if args.output == "json":
        print(json.dumps(document, indent=2))
    else:
        sys.stdout.write(yaml.safe_dump(document, sort_keys=False))
    return 0


# -- plumbing -----------------------------------------------------------------------------------------


def _connect(scenario: Any, args: argparse.Namespace) -> dict[str, Any]:
    from placement.kube.client import connect_fleet

    return connect_fleet(
        list(scenario.clusters), kubeconfig=args.kubeconfig, contexts=args.context, timeout_s=args.request_timeout
    )


def _live(apis: dict[str, Any], scenario: Any) -> dict[str, Any]:
    from placement.errors import ApplyError
    from placement.kube.scenario_export import read_live

    live = read_live(apis, scenario)
    for name, cluster in live.items():
        declared = scenario.cluster(name).autoscaler
        if cluster.autoscaler != declared and (
            declared.startswith("karpenter/") or cluster.autoscaler.startswith("karpenter/")
        ):
            raise ApplyError(
                f"cluster {name}: the scenario says autoscaler {declared} but the cluster serves "
                f"{cluster.autoscaler}; fix clusters[].autoscaler (see `placement scenario export`)"
            )
    return live


def _plan_and_patches(args: argparse.Namespace, scenario: Any, live: Any, apis: Any) -> tuple[Any, list[Any], str]:
    from placement.patches.build import PatchOptions, plan_id, to_patches
    from placement.patches.nodepools import instance_sizes

    catalog = None
    if args.plan is not None:
        plan = _read_plan(args.plan)
    else:
        from placement.kube.scenario_export import with_live_current
        from placement.load.catalog import catalog_for
        from placement.solver.solve import solve

        catalog = catalog_for(scenario).catalog
        plan = solve(with_live_current(scenario, live) if live else scenario, catalog)
    if catalog is None:
        from placement.errors import PlacementError
        from placement.load.catalog import catalog_for
        from pricing.errors import PricingError

        try:
            catalog = catalog_for(scenario).catalog
        except (PlacementError, PricingError, OSError) as error:  # sizes only refine pool limits: say so, go on
            print(f"warning: no node sizes for NodePool limits ({error})", file=sys.stderr)
    options = PatchOptions(instance_sizes=instance_sizes(catalog.offers) if catalog is not None else {})
    if live is not None and apis is not None:
        live = {name: cluster for name, cluster in live.items() if name in apis}
    patches = to_patches(plan, scenario, live=live, options=options)
    if apis is not None:
        patches = [p for p in patches if p.cluster in apis]
    return plan, patches, plan_id(plan)


def _read_plan(path: Path) -> Any:
    from placement.errors import InvalidPlan
    from placement.plan import Plan

    try:
        return Plan.from_json(json.loads(path.read_bytes().decode("utf-8-sig")))
    except InvalidPlan as error:
        raise InvalidPlan(f"{path}: {error}") from None
    except FileNotFoundError:
        raise InvalidPlan(f"{path}: file not found; write one with `placement plan -o json > {path}`") from None
    except OSError as error:
        raise InvalidPlan(f"{path}: cannot read the plan ({error.strerror or error})") from None
    except ValueError as error:
        raise InvalidPlan(f"{path}: not JSON ({error}); write one with `placement plan -o json`") from None
