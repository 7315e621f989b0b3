"""`placement run`: the scheduled planner — the in-cluster CronJob's command (`placement.run.job`).

Thin: parse flags, build the injected dependencies (Kubernetes clients from the kubeconfig or the
service account, the price loader, the Pushgateway, a JSON-lines log on stdout), call
`placement.run.job.run`, exit with its code (0 ok, 1 internal error, 2 invalid input, 4 cluster or
apply failure, 5 guard tripped, 6 stale prices, 7 metrics not pushed; see `placement.run.job`).
"""

from __future__ import annotations

import argparse
import os
import uuid
from pathlib import Path
from typing import Any

from placement.cli.flags import add_prices_flag, add_solver_flags, time_limit_problem

DEFAULT_MAX_PRICE_AGE_H = 24.0
DEFAULT_MAX_COST_INCREASE_PCT = 10.0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run",
        help="the scheduled planner: load, refresh prices, plan, guard, apply (the CronJob)",
        description="Load the fleet (--policy: a policy file plus the clusters' placement.dev/ annotations; "
        "--scenario: a scenario file; default: the demo), refresh stale prices, plan, check the guards, then "
        "apply, diff (--dry-run) or write GitOps overlays (--output-dir). Logs are JSON lines on stdout; metrics "
        "go to a Pushgateway. Exit codes: 0 ok, 1 internal error, 2 invalid input, 4 cluster or apply failure, "
        "5 guard tripped, 6 stale prices, 7 metrics not pushed. A failed run changes nothing.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--policy",
        metavar="FILE",
        type=Path,
        help="policy file (Scenario YAML: clusters, userRegions, prices, planning), e.g. the mounted "
        "ConfigMap /etc/placement/policy.yaml; workloads come from Deployment annotations",
    )
    source.add_argument(
        "--scenario",
        "-f",
        metavar="FILE",
        type=Path,
        help="scenario file (local use); default: the packaged demo fleet",
    )
    kube = parser.add_argument_group("clusters")
    kube.add_argument(
        "--kubeconfig",
        metavar="FILE",
        help="kubeconfig with the fleet's contexts (default: $KUBECONFIG; in a pod, clusters without a "
        "context use the service account)",
    )
    kube.add_argument("--context", action="append", metavar="NAME", help="only clusters with this context (repeat)")
    kube.add_argument("--request-timeout", type=float, default=10.0, metavar="S", help="per request (default 10)")
    kube.add_argument("-n", "--namespace", help="with --policy: only Deployments in this namespace")
    kube.add_argument("-l", "--selector", help="with --policy: only Deployments with these labels (k=v,k2=v2)")
    act = parser.add_argument_group("what to do")
    act.add_argument(
        "--dry-run",
        nargs="?",
        const="client",
        choices=("client", "server"),
        metavar="client|server",
        help="plan and diff, change nothing: client (default) merges locally and needs only read RBAC; "
        "server asks the API server (dryRun=All, needs patch RBAC)",
    )
    act.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="GitOps: write kustomize overlays DIR/<cluster>/ instead of applying",
    )
    act.add_argument("--base", metavar="PATH", help="with --output-dir: a kustomize base per overlay ({cluster})")
    act.add_argument("--force-conflicts", action="store_true", help="take over fields other field managers own")
    act.add_argument(
        "--wait-timeout",
        type=float,
        default=300.0,
        metavar="S",
        help="seconds to wait for scaled-up Deployments to finish their rollout before scaling down (default 300)",
    )
    guards = parser.add_argument_group("guards (a tripped guard changes nothing; 'off' disables one)")
    guards.add_argument(
        "--max-moves",
        type=_limit(int),
        metavar="N",
        help="plan within N replica moves and refuse changes adding more (default: planning.maxMoves)",
    )
    guards.add_argument(
        "--max-cost-increase",
        type=_limit(float),
        default=DEFAULT_MAX_COST_INCREASE_PCT,
        metavar="PCT",
        help=f"refuse plans costing more than PCT%% above today (default {DEFAULT_MAX_COST_INCREASE_PCT:g})",
    )
    guards.add_argument(
        "--max-price-age",
        type=_limit(float),
        default=DEFAULT_MAX_PRICE_AGE_H,
        metavar="HOURS",
        help=f"refresh prices older than this; refuse to plan if that fails (default {DEFAULT_MAX_PRICE_AGE_H:g})",
    )
    guards.add_argument(
        "--allow-stale",
        action="store_true",
        help="plan with stale prices rather than fail (same as --max-price-age off)",
    )
    guards.add_argument(
        "--max-unplaced",
        type=_limit(int),
        default=0,
        metavar="N",
        help="refuse plans leaving more than N workloads unplaced (default 0)",
    )
    guards.add_argument(
        "--max-gap", type=_limit(float), metavar="RATIO", help="refuse plans with a larger optimality gap"
    )
    solve = parser.add_argument_group("planning")
    add_prices_flag(solve, help="price source (overrides prices.source); live refreshes the cache when stale")
    add_solver_flags(solve)
    metrics = parser.add_argument_group("metrics")
    metrics.add_argument(
        "--pushgateway",
        metavar="URL",
        default=os.environ.get("PLACEMENT_PUSHGATEWAY"),
        help="Prometheus Pushgateway, e.g. http://pushgateway.monitoring:9091 "
        "(default: $PLACEMENT_PUSHGATEWAY; none: no metrics)",
    )
    metrics.add_argument("--metrics-timeout", type=float, default=10.0, metavar="S", help="push timeout (default 10)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from placement.run.guards import GuardLimits
    from placement.run.job import APPLY, DRY_RUN, GITOPS, RunDeps, RunOptions
    from placement.run.job import run as run_once
    from placement.run.log import RunLog

    if args.dry_run and args.output_dir is not None:
        raise _invalid("--dry-run and --output-dir exclude each other: a dry run writes nothing")
    problem = time_limit_problem(args)
    if problem:
        raise _invalid(problem)
    mode = DRY_RUN if args.dry_run else GITOPS if args.output_dir is not None else APPLY
    max_age_s = None if args.max_price_age is None or args.allow_stale else args.max_price_age * 3600
    limits = GuardLimits(
        max_moves=args.max_moves,
        max_cost_increase_pct=args.max_cost_increase,
        max_price_age_s=max_age_s,
        max_unplaced=args.max_unplaced,
        max_gap=args.max_gap,
    )
    options = RunOptions(
        mode=mode,
        server_dry_run=args.dry_run == "server",
        output_dir=args.output_dir,
        base=args.base,
        limits=limits,
        time_limit_s=args.time_limit,
        backend=args.backend,
        force_conflicts=args.force_conflicts,
        wait_timeout_s=args.wait_timeout,
    )
    deps = RunDeps(
        load_fleet=lambda: _load_fleet(args, needs_clusters=mode != GITOPS),
        load_prices=lambda scenario, now: _load_prices(scenario, now, args.prices, max_age_s),
        log=RunLog(run_id=uuid.uuid4().hex[:12]),
        pushgateway=_pushgateway(args, mode),
    )
    return run_once(options, deps).exit_code


def _load_fleet(args: argparse.Namespace, *, needs_clusters: bool) -> Any:
    from placement.kube.client import connect_fleet
    from placement.load.scenario import demo_scenario_path
    from placement.run.fleet import fleet_from_file, fleet_from_policy

    def connect(clusters: Any) -> Any:
        return connect_fleet(
            list(clusters), kubeconfig=args.kubeconfig, contexts=args.context, timeout_s=args.request_timeout
        )

    if args.policy is not None:
        return fleet_from_policy(args.policy, connect, namespace=args.namespace, selector=args.selector)
    return fleet_from_file(args.scenario or demo_scenario_path(), connect if needs_clusters else None)


def _load_prices(scenario: Any, now: Any, source: str | None, max_age_s: float | None) -> Any:
    from placement.run.prices import load_run_prices

    return load_run_prices(scenario, now=now, source=source, max_age_s=max_age_s)


def _pushgateway(args: argparse.Namespace, mode: str) -> Any:
    if not args.pushgateway:
        return None
    from placement.run.pushgateway import Pushgateway

    try:
        return Pushgateway(args.pushgateway, grouping_key={"mode": mode}, timeout_s=args.metrics_timeout)
    except ValueError as error:
        raise _invalid(str(error)) from None


def _limit(kind: type) -> Any:
    """An argparse type: a number ≥ 0, or `off` (None: the guard is disabled)."""

    def parse(text: str) -> Any:
        if text.strip().lower() in ("off", "none"):
            return None
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number (or 'off')") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be ≥ 0 (or 'off')")
        return value

    return parse


def _invalid(message: str) -> Exception:
    from placement.errors import PlacementError

    return PlacementError(message)
