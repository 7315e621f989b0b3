"""`placement run`: one scheduled planning run — the in-cluster CronJob's whole job.

Steps, each logged as a JSON line (`placement.run.log`):

1. **fleet** — the scenario from the policy file and the clusters' annotations (or a scenario file),
   with what each cluster runs now (`placement.run.fleet`);
2. **forecast** — forecast-driven demand is sized (`placement.load.demand.resolve_demand`; fixed
   replicas need nothing); the replicas the previous run planned are scored against what the
   forecast-driven workloads' traffic needed since (`placement.run.realized_demand`, `placement.run.forecast_error`);
3. **prices** — refreshed when stale, refused when still stale (`placement.run.prices`);
4. **plan** — `solve()` within the churn budget, then `to_patches()`;
5. **guard** — moves, cost increase, price age, solver status, unplaced workloads (`placement.run.guards`);
6. **act** — `apply`: server-side apply, all or nothing; `dry-run`: diff only (client-side merge, or a
   server-side dry run); `gitops`: write kustomize overlays;
7. **metrics** — pushed to the Pushgateway on success *and* on failure (`placement.run.metrics`).

A failing step stops the run before anything changes (an apply that fails part-way reverts itself),
and the run's exit code says why:

====  ======================================================================================
code  meaning
====  ======================================================================================
0     the run succeeded (changes applied, diffed or written)
1     unexpected internal error (a bug: the log has the traceback)
2     invalid input: policy, scenario, annotations or flags (the message names the field)
4     a cluster could not be read or changed (unreachable, RBAC, conflict); nothing left half-changed
5     a guard refused the plan (moves, cost increase, solver status, unplaced workloads)
6     prices are stale or unavailable and could not be refreshed
7     the run succeeded but its metrics could not be pushed to the Pushgateway
====  ======================================================================================

Everything with side effects is injected (`RunDeps`): the fleet loader (and so the Kubernetes
clients), the price loader, the Pushgateway, the clock, the log and the sleep between apply polls.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from placement.errors import ApplyError, PlacementError
from placement.exit_codes import ExitCode
from placement.kube.api import ClusterError
from placement.load.demand import Forecaster, resolve_demand
from placement.patches.build import Patch
from placement.plan import Plan
from placement.run.fleet import Fleet
from placement.run.forecast_error import ForecastCheck, forecast_error
from placement.run.guards import PRICES, GuardLimits, GuardTripped, check_plan, check_prices
from placement.run.log import RunLog
from placement.run.metrics import RunSummary, registry_for
from placement.run.prices import RunPrices, StalePrices
from placement.run.pushgateway import MetricsPushFailed, Pushgateway
from placement.run.realized_demand import Realized, realized_replicas
from placement.scenario import Scenario
from placement.solver.milp import DEFAULT_BACKEND
from pricing.errors import PricingError

APPLY, DRY_RUN, GITOPS = "apply", "dry-run", "gitops"
MODES = (APPLY, DRY_RUN, GITOPS)


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run: the mode, its settings, the guards and the solver's budget."""

    mode: str = APPLY
    server_dry_run: bool = False  # dry-run mode: ask the API server (needs `patch` RBAC) instead of merging locally
    output_dir: Path | None = None  # gitops mode
    base: str | None = None  # gitops mode: a kustomize base per overlay; {cluster} is replaced
    limits: GuardLimits = field(default_factory=GuardLimits)
    time_limit_s: float | None = None
    backend: str = DEFAULT_BACKEND
    force_conflicts: bool = False
    wait_timeout_s: float = 300.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        if self.mode == GITOPS and self.output_dir is None:
            raise ValueError("gitops mode needs output_dir (--output-dir DIR)")


@dataclass
class RunDeps:
    """The run's side effects, injected."""

    load_fleet: Callable[[], Fleet]
    load_prices: Callable[[Scenario, datetime], RunPrices]
    log: RunLog
    pushgateway: Pushgateway | None = None
    forecaster: Forecaster | None = None  # sizes forecast-driven demand (default: the forecasting package)
    realized: Callable[[Scenario, datetime, datetime], Realized] = field(
        default=lambda scenario, since, until: realized_replicas(scenario, since=since, until=until)
    )
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run did, for the CLI and tests."""

    exit_code: int
    summary: RunSummary
    plan: Plan | None = None
    patches: tuple[Patch, ...] = ()
    diff: str = ""


@dataclass
class _Progress:
    """What the run has learned so far (so a failure still reports it)."""

    plan: Plan | None = None
    plan_id: str | None = None
    patches: tuple[Patch, ...] = ()
    moves: int | None = None
    changes: int | None = None
    diff: str = ""
    price_ages_s: dict[str, float] = field(default_factory=dict)
    prices_refreshed: bool | None = None
    forecast: ForecastCheck | None = None
    forecast_replicas: dict[str, int] = field(default_factory=dict)


def run(options: RunOptions, deps: RunDeps) -> RunResult:
    """One run (see the module docstring). Never raises for a failed run: the exit code says it."""
    started = deps.clock()
    log = deps.log
    log.info("run.started", mode=options.mode, serverDryRun=options.server_dry_run if options.mode == DRY_RUN else None)
    progress = _Progress()
    failure: str | None = None
    guards: tuple[str, ...] = ()
    exit_code = ExitCode.OK
    try:
        _steps(options, deps, progress)
    except GuardTripped as error:
        failure = PRICES if error.exit_code == ExitCode.STALE_PRICES else "guard"
        guards = tuple(dict.fromkeys(t.guard for t in error.trips))
        exit_code = error.exit_code
        for trip in error.trips:
            log.error("guard.tripped", guard=trip.guard, value=trip.value, limit=trip.limit, message=trip.message)
    except (PlacementError, PricingError) as error:
        failure, exit_code = _classify(error)
        if isinstance(error, StalePrices):
            progress.price_ages_s = error.ages_s
        log.error("run.failed", reason=failure, exitCode=exit_code, error=str(error))
    except Exception as error:  # a bug: report it like any failure (metrics included), with the traceback in the log
        failure, exit_code = "internal", ExitCode.INTERNAL
        log.error(
            "run.failed",
            reason=failure,
            exitCode=exit_code,
            error=f"{type(error).__name__}: {error}",
            traceback=traceback.format_exc(),
        )
    summary = RunSummary(
        mode=options.mode,
        started_at=started,
        finished_at=deps.clock(),
        exit_code=exit_code,
        failure=failure,
        guards=guards,
        plan=progress.plan,
        plan_id=progress.plan_id,
        moves=progress.moves,
        changes=progress.changes,
        price_ages_s=progress.price_ages_s,
        prices_refreshed=progress.prices_refreshed,
        forecast=progress.forecast,
        forecast_replicas=progress.forecast_replicas,
    )
    exit_code = _push(summary, deps)
    log.info(
        "run.finished",
        exitCode=exit_code,
        success=failure is None and exit_code == ExitCode.OK,
        durationSeconds=round(summary.duration_s, 3),
    )
    return RunResult(exit_code, replace(summary, exit_code=exit_code), progress.plan, progress.patches, progress.diff)


def _steps(options: RunOptions, deps: RunDeps, progress: _Progress) -> None:
    from placement.kube.apply import deployment_replicas_added
    from placement.patches.build import PatchOptions, plan_id, to_patches
    from placement.patches.nodepools import instance_sizes
    from placement.solver.solve import solve

    log = deps.log
    fleet = deps.load_fleet()
    scenario = resolve_demand(fleet.scenario, forecaster=deps.forecaster)
    for note in fleet.notes:
        log.warning("policy.override", message=note)
    for note in fleet.daemonsets:
        log.info("cluster.daemonsets", message=note)
    forecast_driven = sorted(w.key for w in scenario.workloads if w.demand.series or w.demand.promql)
    log.info(
        "scenario.loaded",
        scenario=scenario.name,
        clusters=[c.name for c in scenario.clusters],
        workloads=len(scenario.workloads),
        forecastDriven=forecast_driven,
        connected=sorted(fleet.apis),
    )
    progress.forecast_replicas = {w.key: w.replicas for w in scenario.workloads}
    progress.forecast = _forecast_check(scenario, deps)

    prices = deps.load_prices(scenario, deps.clock())
    progress.price_ages_s = prices.ages_s(deps.clock())
    progress.prices_refreshed = prices.refreshed
    log.info(
        "prices.loaded",
        source=prices.source,
        refreshed=prices.refreshed,
        offers=len(prices.catalog.offers),
        ageSeconds={k: round(v) for k, v in progress.price_ages_s.items()},
    )
    for warning in prices.warnings:
        log.warning("prices.warning", message=warning)
    if prices.guarded and (stale := check_prices(progress.price_ages_s, options.limits)):
        raise GuardTripped(stale)

    scenario = _within_budget(scenario, options.limits.max_moves)
    plan = solve(scenario, prices.catalog, time_limit_s=options.time_limit_s, backend=options.backend)
    if prices.warnings:
        plan = replace(plan, warnings=plan.warnings + prices.warnings)
    live = {name: cluster for name, cluster in fleet.live.items() if name in fleet.apis} if fleet.apis else None
    patches = to_patches(
        plan, scenario, live=live, options=PatchOptions(instance_sizes=instance_sizes(prices.catalog.offers))
    )
    if fleet.apis:
        patches = [p for p in patches if p.cluster in fleet.apis]
    progress.plan, progress.plan_id, progress.patches = plan, plan_id(plan), tuple(patches)
    progress.moves = deployment_replicas_added(patches)
    cost = plan.hourly_usd
    log.info(
        "plan.solved",
        planId=progress.plan_id,
        status=plan.solver.status,
        gap=plan.solver.gap,
        solverSeconds=round(plan.solver.seconds, 3),
        currentHourlyUsd=round(cost.before, 4),
        plannedHourlyUsd=round(cost.after, 4),
        moves=progress.moves,
        changes=len(patches),
        unplaced=len(plan.unplaced),
    )
    for item in plan.unplaced:
        log.warning("plan.unplaced", workload=item.workload, reason=item.reason)
    trips = check_plan(plan, moves=progress.moves, limits=options.limits)
    if trips:
        raise GuardTripped(trips)
    _act(options, deps, fleet, progress, live)


def _act(options: RunOptions, deps: RunDeps, fleet: Fleet, progress: _Progress, live: Mapping[str, Any] | None) -> None:
    log, patches, identity = deps.log, list(progress.patches), progress.plan_id or ""
    if options.mode == GITOPS:
        from placement.patches.gitops import write_overlays

        assert options.output_dir is not None
        bases = {p.cluster: options.base.replace("{cluster}", p.cluster) for p in patches} if options.base else None
        written = write_overlays(patches, options.output_dir, bases=bases)
        for directory in dict.fromkeys(path.parent for path in written):
            log.info(
                "overlay.written",
                directory=str(directory),
                files=[path.name for path in written if path.parent == directory],
            )
        progress.changes = len(written)
        return
    if options.mode == DRY_RUN:
        if options.server_dry_run:
            from placement.kube.diff import diff_patches

            report = diff_patches(patches, fleet.apis, plan_id=identity, force=options.force_conflicts, live=live)
        else:
            from placement.kube.diff import client_diff

            report = client_diff(patches, fleet.apis, plan_id=identity, live=live)
        for text in report.diffs:
            log.info("diff", object=text.split("\n", 1)[0].rsplit(" ", 1)[-1], diff=text)
        progress.changes, progress.diff = len(report.diffs), report.text()
        log.info("dry-run.done", compared=report.compared, differing=len(report.diffs))
        return
    from placement.kube.apply import ApplyFailed, apply_patches

    try:
        applied = apply_patches(
            patches,
            fleet.apis,
            plan_id=identity,
            force=options.force_conflicts,
            max_moves=options.limits.max_moves,
            live=live,
            wait_timeout_s=options.wait_timeout_s,
            sleep=deps.sleep,
        )
    except ApplyFailed as error:
        for patch in error.report.reverted:
            log.warning("change.reverted", cluster=patch.cluster, object=str(patch.ref))
        for failure in error.report.revert_failures:
            log.error("change.not-reverted", message=failure)
        raise
    for patch in applied.applied:
        log.info(
            "change.applied",
            cluster=patch.cluster,
            object=str(patch.ref),
            role=patch.role,
            replicasBefore=patch.replicas_before,
            replicasAfter=patch.replicas_after,
        )
    progress.changes = len(applied.applied)


def _forecast_check(scenario: Scenario, deps: RunDeps) -> ForecastCheck | None:
    """Score the previous run's planned replicas against the traffic since (None when there is nothing to score)."""
    log = deps.log
    if deps.pushgateway is None:
        return None
    if not any(w.demand.series or w.demand.promql for w in scenario.workloads):
        log.info("forecast.unscored", message="no forecast-driven workloads (demand: series or promql)")
        return None
    try:
        previous = deps.pushgateway.previous_run()
    except MetricsPushFailed as error:
        log.warning("forecast.unscored", message=str(error))
        return None
    if previous is None:
        log.info("forecast.unscored", message="no previous successful run on the Pushgateway")
        return None
    realized = deps.realized(scenario, previous.finished_at, deps.clock())
    for note in realized.notes:
        log.warning("forecast.unread", message=note)
    check = forecast_error(previous.forecast_replicas, realized.replicas)
    if check is None:
        log.info("forecast.unscored", message="no forecast-driven workload both planned before and seen since")
    else:
        log.info(
            "forecast.scored",
            errorRatio=round(check.error_ratio, 4),
            workloads=check.workloads,
            plannedReplicas=check.planned_replicas,
            neededReplicas=check.needed_replicas,
            since=previous.finished_at.isoformat(),
        )
    return check


def _within_budget(scenario: Scenario, max_moves: int | None) -> Scenario:
    """The scenario with the run's churn budget as `planning.maxMoves` (the tighter one wins)."""
    if max_moves is None:
        return scenario
    current = scenario.planning.max_moves
    budget = max_moves if current is None else min(current, max_moves)
    return replace(scenario, planning=replace(scenario.planning, max_moves=budget))


def _classify(error: PlacementError | PricingError) -> tuple[str, int]:
    """(failure class, exit code) of a known error."""
    if isinstance(error, StalePrices):
        return PRICES, error.exit_code
    code = int(getattr(error, "exit_code", 4 if isinstance(error, PricingError) else 2))
    if isinstance(error, PricingError):
        return ("invalid" if code == 2 else PRICES), code
    if isinstance(error, ClusterError):
        return "cluster", code
    if isinstance(error, ApplyError):
        return ("guard" if code == 2 else "apply"), code
    return "invalid", code


def _push(summary: RunSummary, deps: RunDeps) -> int:
    """Push the summary's metrics; the run's exit code, or `ExitCode.METRICS` when a successful run's push fails."""
    log, gateway = deps.log, deps.pushgateway
    if gateway is None:
        log.info("metrics.skipped", message="no Pushgateway configured (--pushgateway or $PLACEMENT_PUSHGATEWAY)")
        return summary.exit_code
    try:
        gateway.push(registry_for(summary), replace=summary.success)
    except MetricsPushFailed as error:
        log.error("metrics.push-failed", error=str(error))
        return ExitCode.METRICS if summary.exit_code == ExitCode.OK else summary.exit_code
    log.info(
        "metrics.pushed",
        gateway=gateway.url,
        job=gateway.job,
        group=gateway.grouping_key,
        replaced="group" if summary.success else "failure metrics",
    )
    return summary.exit_code
