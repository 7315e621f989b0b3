"""Undo the last applied plan from the records placement left on the objects (`placement rollback`).

Every object placement applied carries `placement.dev/previous` (see `placement.patches.audit_record`). Rollback
finds those objects in each cluster, re-applies the recorded values — replica increases first,
then the rest, and deletes the NodePools placement created last — and the restored objects no
longer carry a record, so a rollback that stops part-way can simply be run again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from placement.errors import ApplyError, PlacementError
from placement.kube.api import ClusterApi
from placement.patches.audit_record import Restore, restore_from_record
from placement.patches.build import ObjectRef
from placement.patches.labels import PLAN_ID
from placement.patches.nodepools import POOL_NAMES

RECORDED_KINDS = (  # listed in every namespace
    ("apps/v1", "Deployment"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
)
POOL_KINDS = (  # placement's own pools, read by name: no `list` on other teams' pools needed
    ("karpenter.sh/v1", "NodePool"),
    ("karpenter.sh/v1beta1", "NodePool"),
    ("karpenter.sh/v1alpha5", "Provisioner"),
)


@dataclass(frozen=True, slots=True)
class Step:
    cluster: str
    ref: ObjectRef
    restore: Restore
    plan_id: str | None  # the plan being undone
    grows: bool  # restores a higher replica count


@dataclass
class RollbackReport:
    dry_run: bool
    done: list[Step] = field(default_factory=list)
    error: str | None = None

    def lines(self) -> list[str]:
        verb = "would restore" if self.dry_run else "restored"
        if not self.done and not self.error:
            return ["nothing to roll back: no object carries a placement record"]
        out = []
        for step in self.done:
            action = "delete" if step.restore.deletes else f"{verb} (plan {step.restore.plan_id or 'none'})"
            out.append(f"  {step.cluster}: {step.ref}: undo plan {step.plan_id} → {action}")
        if self.error:
            out.append(f"failed: {self.error}; run `placement rollback` again to finish")
        return out


class RollbackFailed(ApplyError):
    """A rollback stopped part-way (it can be re-run: restored objects carry no record)."""

    def __init__(self, report: RollbackReport) -> None:
        self.report = report
        super().__init__("\n".join(report.lines()))


def plan_rollback(apis: Mapping[str, ClusterApi], *, plan_id: str | None = None) -> list[Step]:
    """Every undo step, ordered: replica increases, other restores, deletions."""
    steps: list[Step] = []
    seen: set[tuple[str, str, str | None, str]] = set()  # a NodePool served at v1 and v1beta1 is one object
    for cluster, api in apis.items():
        for ref, obj in _recorded(api):
            annotations = (obj.get("metadata") or {}).get("annotations") or {}
            if plan_id is not None and annotations.get(PLAN_ID) != plan_id:
                continue
            restore = restore_from_record(ref, obj)
            if restore is None:
                continue
            identity = (cluster, ref.kind, ref.namespace, ref.name)
            if identity in seen:
                continue
            seen.add(identity)
            steps.append(Step(cluster, ref, restore, annotations.get(PLAN_ID), _grows(obj, restore)))
    return sorted(steps, key=lambda s: (s.restore.deletes, not s.grows))


def _recorded(api: ClusterApi) -> Iterator[tuple[ObjectRef, dict[str, Any]]]:
    """Every object placement may have applied, with its identity. List items carry no apiVersion
    or kind on a real server, so the identity is what was asked for, never read from the item."""
    for api_version, kind in RECORDED_KINDS:
        for obj in api.list(api_version, kind):
            meta = obj["metadata"]
            yield ObjectRef(api_version, kind, meta["name"], meta.get("namespace")), obj
    for api_version, kind in POOL_KINDS:
        for name in POOL_NAMES.values():
            ref = ObjectRef(api_version, kind, name)
            pool = api.get(ref)  # None when absent or when this Karpenter API is not served
            if pool is not None:
                yield ref, pool


def rollback(apis: Mapping[str, ClusterApi], *, plan_id: str | None = None, dry_run: bool = False) -> RollbackReport:
    report = RollbackReport(dry_run)
    for step in plan_rollback(apis, plan_id=plan_id):
        api = apis[step.cluster]
        try:
            if step.restore.body is None:
                api.delete(step.ref, dry_run=dry_run)
            else:
                api.apply(step.restore.body, force=True, dry_run=dry_run)
        except PlacementError as error:
            report.error = f"{step.cluster}: {step.ref}: {error}"
            raise RollbackFailed(report) from error
        report.done.append(step)
    return report


def _grows(live: Mapping[str, Any], restore: Restore) -> bool:
    if restore.body is None:
        return False
    spec, now = restore.body.get("spec") or {}, live.get("spec") or {}
    return any(key in spec and int(spec[key]) > int(now.get(key) or 0) for key in ("replicas", "minReplicas"))
