"""Apply patches to clusters: all of a run or none of it.

`apply_patches` talks to clusters only through the `ClusterApi` protocol (the `kubernetes`-backed
`placement.kube.client.KubeClient`, or a fake in tests):

1. **Churn guard** — replicas added (Σ max(0, after − before) over workloads) must not exceed
   `max_moves`; otherwise nothing is touched.
2. **Preflight** — every object is read first: an unreachable cluster, a missing Deployment or HPA,
   or a scale-down that would leave a PodDisruptionBudget unsatisfiable stops the run before any
   write. The reads are also the snapshot a revert restores.
3. **Order** — capacity (NodePools) first, then scale-ups and in-place changes, then (after the
   scaled-up Deployments report their replicas available) the scale-downs: the new placement is up
   before the old one shrinks, so availability never dips below the workload's floor.
4. **Server-side apply** as field manager `placement`; conflicts are reported, `force` only on
   request; `dry_run` sends `dryRun=All`. Each body carries the plan id and a rollback record
   (`placement.patches.audit_record`).
5. **Revert** — if any step fails, every patch already applied in this run is undone in reverse
   order (recorded values re-applied, created objects deleted) and `ApplyFailed` says what was
   reverted and what could not be.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from placement.errors import ApplyError, PlacementError
from placement.kube.api import ClusterApi
from placement.live import LiveCluster
from placement.patches.audit_record import restore_from_live, with_record
from placement.patches.build import AUTOSCALER, CAPACITY, WORKLOAD, Patch

DEFAULT_WAIT_TIMEOUT_S = 300.0


class ChurnLimitExceeded(ApplyError):
    """The plan adds more replicas than the churn budget (`--max-moves`) allows."""

    exit_code = 2


@dataclass
class ApplyReport:
    """What a run did: applied patches, and on failure what was reverted or left behind."""

    plan_id: str
    dry_run: bool
    moves: int
    applied: list[Patch] = field(default_factory=list)
    reverted: list[Patch] = field(default_factory=list)
    revert_failures: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def clean(self) -> bool:
        """True when no cluster was left half-changed."""
        return not self.revert_failures

    def lines(self) -> list[str]:
        verb = "would apply" if self.dry_run else "applied"
        if self.error:
            out = [f"plan {self.plan_id}: failed after {len(self.applied)} change(s)"]
        else:
            out = [f"plan {self.plan_id}: {verb} {len(self.applied)} change(s), {self.moves} replica move(s)"]
        out += [f"  {verb} {p.cluster}: {p.ref}{_replicas(p)}" for p in self.applied if not self.error]
        if self.error:
            out.append(f"failed: {self.error}")
            out += [f"  reverted {p.cluster}: {p.ref}" for p in self.reverted]
            out += [f"  NOT reverted: {failure}" for failure in self.revert_failures]
            out.append(
                "every cluster is back as it was"
                if self.clean
                else "some changes could not be reverted (listed above): fix them by hand or run `placement rollback`"
            )
        return out

    def to_json(self) -> dict[str, Any]:
        def ref(p: Patch) -> dict[str, Any]:
            return {
                "cluster": p.cluster,
                "kind": p.ref.kind,
                "namespace": p.ref.namespace,
                "name": p.ref.name,
                "replicasBefore": p.replicas_before,
                "replicasAfter": p.replicas_after,
            }

        return {
            "planId": self.plan_id,
            "dryRun": self.dry_run,
            "moves": self.moves,
            "applied": [ref(p) for p in self.applied],
            "error": self.error,
            "reverted": [ref(p) for p in self.reverted],
            "revertFailures": list(self.revert_failures),
        }


class ApplyFailed(ApplyError):
    """An apply stopped part-way; the changes it made were reverted (see `report`)."""

    def __init__(self, cause: PlacementError, report: ApplyReport) -> None:
        self.cause = cause
        self.report = report
        super().__init__("\n".join(report.lines()))


def deployment_replicas_added(patches: Sequence[Patch]) -> int:
    """How many replicas the Deployments grow by, summed over (cluster, workload) patches: a shrink
    counts 0 and a change of the spot/on-demand mix inside one Deployment counts nothing.

    This is what `--max-moves` bounds at apply time and the `placement_moves` metric reports. It is
    not the solver's `placement.solver.plan_costs.replicas_added`, which counts per capacity type
    (an on-demand replica turned spot in the same cluster is one replica added there)."""
    return sum(max(0, (p.replicas_after or 0) - (p.replicas_before or 0)) for p in patches if p.role == WORKLOAD)


def check_churn(patches: Sequence[Patch], max_moves: int | None) -> int:
    moves = deployment_replicas_added(patches)
    if max_moves is not None and moves > max_moves:
        raise ChurnLimitExceeded(
            f"the plan adds {moves} replicas, more than --max-moves {max_moves} allows; nothing was changed. "
            "Re-plan with spec.planning.maxMoves set, or raise --max-moves"
        )
    return moves


def order_for_apply(patches: Sequence[Patch]) -> tuple[list[Patch], list[Patch]]:
    """(capacity, then scale-ups and in-place changes) and (scale-downs)."""
    capacity = [p for p in patches if p.role == CAPACITY]
    grow = [p for p in patches if p.role != CAPACITY and p.change != "down"]
    shrink = [p for p in patches if p.role != CAPACITY and p.change == "down"]
    return capacity + grow, shrink


def apply_patches(
    patches: Sequence[Patch],
    apis: Mapping[str, ClusterApi],
    *,
    plan_id: str,
    dry_run: bool = False,
    force: bool = False,
    max_moves: int | None = None,
    live: Mapping[str, LiveCluster] | None = None,
    wait_timeout_s: float = DEFAULT_WAIT_TIMEOUT_S,
    poll_s: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ApplyReport:
    """Apply every patch or none: churn guard, preflight, capacity and scale-ups, wait, scale-downs,
    and a revert of this run's changes on any failure (the steps are in the module docstring).

    Args:
        patches: The changes to make, from `placement.patches.build.to_patches` (or a plan file):
            one per object, each naming its cluster, object and body. Applied capacity first, then
            scale-ups and in-place changes, then scale-downs; their own order is kept within each step.
        apis: Cluster name → the `ClusterApi` to talk to it (`placement.kube.client.KubeClient`, or
            a fake in tests). Every patch's cluster must be here, else `ApplyError` before any write.
        plan_id: The plan's identity (`placement.patches.build.plan_id`), written on every object
            with the rollback record so `placement rollback --plan-id` can find this run's changes.
        dry_run: Send every apply with `dryRun=All`: the server validates, admits and merges but
            stores nothing; no waiting and no revert. The report then says "would apply".
        force: Take over fields another field manager owns (server-side apply `force=true`). Off by
            default: a conflict fails the run (and reverts it) naming the fields and their owner.
        max_moves: Churn budget: refuse, before any read, a run whose Deployments grow by more than
            this many replicas in total (`deployment_replicas_added`). None: no limit.
        live: What `placement.kube.read` learnt of each cluster (PodDisruptionBudgets per
            workload). With it the preflight refuses a scale-down that would leave a PDB
            unsatisfiable; None skips that check.
        wait_timeout_s: How long to wait, after the scale-ups, for their replicas to be available
            before the scale-downs start. When it runs out nothing is scaled down and the run is
            reverted (`ApplyFailed`).
        poll_s: Seconds between two reads of the scaled-up Deployments while waiting.
        sleep: Called to wait `poll_s` seconds; injectable so tests do not sleep.
        clock: Monotonic seconds, for the wait's deadline; injectable for tests.

    Returns:
        An `ApplyReport`: the plan id, whether it was a dry run, the replicas the Deployments grow
        by (`moves`) and the patches applied, in the order they were sent.

    Raises:
        ChurnLimitExceeded: The patches add more replicas than `max_moves` (exit 2); nothing was read
            or changed.
        ApplyError: The preflight refused the run (no connection for a cluster, an object that
            does not exist, a PDB a scale-down would break) or could not read a cluster
            (`ClusterError`, `ClusterUnreachable`); nothing was changed (exit 4).
        ApplyFailed: A step failed after some changes were made (a conflict, a rejected body, an
            unreachable server, the wait timing out, Ctrl-C): they were reverted in reverse order;
            `.report` lists what was applied, reverted and could not be reverted, `.cause` the first
            error (exit 4).
    """
    moves = check_churn(patches, max_moves)
    before = preflight(patches, apis, live)
    report = ApplyReport(plan_id, dry_run, moves)
    first, second = order_for_apply(patches)
    done: list[Patch] = []
    try:
        for patch in first:
            _apply_one(patch, apis, before, plan_id, force=force, dry_run=dry_run)
            done.append(patch)
        if not dry_run:
            wait_available(
                [p for p in first if p.role == WORKLOAD and p.change == "up"],
                apis,
                timeout_s=wait_timeout_s,
                poll_s=poll_s,
                sleep=sleep,
                clock=clock,
            )
        for patch in second:
            _apply_one(patch, apis, before, plan_id, force=force, dry_run=dry_run)
            done.append(patch)
    except (Exception, KeyboardInterrupt) as error:  # any failure: undo this run's changes, then report it
        cause = error if isinstance(error, PlacementError) else ApplyError(f"{type(error).__name__}: {error}")
        report.error = str(cause)
        if not dry_run:
            report.reverted, report.revert_failures = revert(done, apis, before)
        report.applied = done
        raise ApplyFailed(cause, report) from error
    report.applied = done
    return report


def preflight(
    patches: Sequence[Patch], apis: Mapping[str, ClusterApi], live: Mapping[str, LiveCluster] | None = None
) -> dict[tuple[str, str], dict[str, Any] | None]:
    """Read every object a patch touches; refuse the run on anything that would fail or harm."""
    problems: list[str] = []
    before: dict[tuple[str, str], dict[str, Any] | None] = {}
    for patch in patches:
        api = apis.get(patch.cluster)
        if api is None:
            raise ApplyError(f"no connection for cluster {patch.cluster}: give it a kube context in the scenario")
        current = api.get(patch.ref)
        before[_key(patch)] = current
        if current is None and patch.role in (WORKLOAD, AUTOSCALER):
            problems.append(
                f"{patch.cluster}: {patch.ref} does not exist; deploy {patch.workload} there first "
                "(placement moves replicas between clusters, it does not create workloads)"
            )
        problems.extend(_pdb_problems(patch, live))
    if problems:
        raise ApplyError("nothing was changed:\n  " + "\n  ".join(problems))
    return before


def wait_available(
    patches: Sequence[Patch],
    apis: Mapping[str, ClusterApi],
    *,
    timeout_s: float,
    poll_s: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> None:
    """Wait until each scaled-up Deployment reports its new replica count available."""
    deadline = clock() + timeout_s
    pending = list(patches)
    while pending:
        pending = [p for p in pending if not _available(p, apis[p.cluster].get(p.ref))]
        if not pending:
            return
        if clock() >= deadline:
            names = ", ".join(f"{p.cluster}: {p.ref} ({p.replicas_after} wanted)" for p in pending)
            raise ApplyError(
                f"scaled-up replicas not available after {timeout_s:g}s: {names}; the old placement "
                "was not scaled down (check pending pods and node capacity, or raise --wait-timeout)"
            )
        sleep(poll_s)


def revert(
    done: Sequence[Patch], apis: Mapping[str, ClusterApi], before: Mapping[tuple[str, str], dict[str, Any] | None]
) -> tuple[list[Patch], list[str]]:
    """Undo applied patches in reverse order; returns (reverted, failures)."""
    reverted: list[Patch] = []
    failures: list[str] = []
    for patch in reversed(done):
        restore = restore_from_live(patch.body, before[_key(patch)])
        try:
            if restore.deletes:
                apis[patch.cluster].delete(patch.ref)
            else:
                assert restore.body is not None
                apis[patch.cluster].apply(restore.body, force=True)
            reverted.append(patch)
        except Exception as error:  # keep undoing the rest; each failure is reported
            failures.append(f"{patch.cluster}: {patch.ref}: {error}")
    return reverted, failures


def _apply_one(
    patch: Patch,
    apis: Mapping[str, ClusterApi],
    before: Mapping[tuple[str, str], Any],
    plan_id: str,
    *,
    force: bool,
    dry_run: bool,
) -> dict[str, Any]:
    body = with_record(patch.body, before[_key(patch)], plan_id)
    return apis[patch.cluster].apply(body, force=force, dry_run=dry_run)


def _available(patch: Patch, current: dict[str, Any] | None) -> bool:
    """The Deployment's rollout is over at the new count (as `kubectl rollout status` judges it):
    the controller saw this generation, at least the wanted replicas run the new pod template and
    are available, and no pod of an older template is left. Available old-template pods do not
    count: a changed template (new affinity or spread) has its own pods to schedule, and until they
    run the old ones go away as the rollout proceeds. The API omits zero counts."""
    if current is None:
        return False
    status = current.get("status") or {}
    generation = int((current.get("metadata") or {}).get("generation", 0))
    wanted = patch.replicas_after or 0
    updated = int(status.get("updatedReplicas") or 0)
    return (
        int(status.get("observedGeneration", generation)) >= generation
        and updated >= wanted
        and int(status.get("availableReplicas") or 0) >= wanted
        and int(status.get("replicas") or 0) <= updated
    )


def _pdb_problems(patch: Patch, live: Mapping[str, LiveCluster] | None) -> list[str]:
    if patch.role != WORKLOAD or patch.change != "down" or not patch.replicas_after or live is None:
        return []
    cluster = live.get(patch.cluster)
    facts = cluster.workloads.get(patch.workload or "") if cluster else None
    if facts is None or facts.pdb_min_available is None or patch.replicas_after >= facts.pdb_min_available:
        return []
    return [
        f"{patch.cluster}: scaling {patch.workload} to {patch.replicas_after} leaves PodDisruptionBudget "
        f"{facts.pdb} (minAvailable {facts.pdb_min_available}) unsatisfiable, so its nodes could never drain; "
        f"lower the PDB or keep at least {facts.pdb_min_available} replicas in {patch.cluster}"
    ]


def _key(patch: Patch) -> tuple[str, str]:
    return patch.cluster, patch.ref.file_name()


def _replicas(patch: Patch) -> str:
    return f" (replicas {patch.replicas_before} → {patch.replicas_after})" if patch.change != "none" else ""
