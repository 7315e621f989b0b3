"""The provisioning check: would the autoscaler, under the NodePools the plan writes, launch the
nodes the plan pays for and schedule every planned pod? (model v2, DESIGN.md)

For every Karpenter cluster, the NodePool (or v1alpha5 Provisioner) manifests of the plan's patches
are read back — admitted instance types (exact types, or families), capacity type, architectures
and capacity limits — and the planned pods of each pool are provisioned on them with the same
Karpenter simulation the solver uses (`placement.solver.packing.provision`: cheapest admitted type
that holds the pending batch, limits counted on node capacity). The check reports pods landed,
the node bill against the plan's compute, and a violation for each pod left pending, each admitted
type dearer for its pods than the plan's, and a bill more than `tolerance` away from the plan.
Clusters without Karpenter have no NodePool of ours: their pods are provisioned on a node pool of
the planned machine types without limits, and the report says so. Pure: plan, scenario, catalog and patches in, report out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from placement.patches.build import CAPACITY, Patch
from placement.patches.labels import (
    ARCH,
    AWS_INSTANCE_FAMILY,
    AZURE_SKU_SERIES,
    INSTANCE_TYPE,
    KARPENTER_CAPACITY_TYPE,
)
from placement.patches.nodepools import instance_family
from placement.plan import Plan
from placement.scenario import Scenario
from placement.solver.node_plan import pool_groups
from placement.solver.node_types import NodeType, NodeTypes
from placement.solver.packing import provision
from pricing import Catalog

#: The largest relative difference between the simulated node bill and the plan's compute.
DEFAULT_TOLERANCE = 0.05


@dataclass(frozen=True, slots=True)
class PoolCheck:
    cluster: str
    capacity_type: str
    pods: int
    landed: int
    planned_usd: float
    simulated_usd: float
    nodes: Mapping[str, int]  # instance type -> nodes the simulation launches
    checked: bool = True  # False: no NodePool to simulate (autoscaler gke/aks/none); planned nodes taken as is


@dataclass(frozen=True, slots=True)
class ProvisioningReport:
    pools: tuple[PoolCheck, ...]
    violations: tuple[str, ...]
    planned_usd: float
    simulated_usd: float
    tolerance: float = DEFAULT_TOLERANCE
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def pods(self) -> int:
        return sum(p.pods for p in self.pools)

    @property
    def landed(self) -> int:
        return sum(p.landed for p in self.pools)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def bill_ratio(self) -> float:
        return 1.0 if self.planned_usd <= 0 else self.simulated_usd / self.planned_usd

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "pods": self.pods,
            "landed": self.landed,
            "plannedComputeUsd": round(self.planned_usd, 6),
            "simulatedNodeBillUsd": round(self.simulated_usd, 6),
            "ratio": round(self.bill_ratio, 6),
            "tolerance": self.tolerance,
            "violations": list(self.violations),
            "notes": list(self.notes),
            "pools": [
                {
                    "cluster": p.cluster,
                    "capacityType": p.capacity_type,
                    "pods": p.pods,
                    "landed": p.landed,
                    "plannedUsd": round(p.planned_usd, 6),
                    "simulatedUsd": round(p.simulated_usd, 6),
                    "nodes": dict(p.nodes),
                    "checked": p.checked,
                }
                for p in self.pools
            ],
        }

    def summary(self) -> str:
        verdict = "ok" if self.ok else f"{len(self.violations)} violation(s)"
        return (
            f"provisioning check: {self.landed}/{self.pods} pods land, node bill {self.simulated_usd:.4f} $/h vs plan "
            f"compute {self.planned_usd:.4f} ({self.bill_ratio - 1:+.1%}) — {verdict}"
        )


def check_provisioning(
    plan: Plan,
    scenario: Scenario,
    catalog: Catalog,
    patches: Sequence[Patch],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    node_types: NodeTypes | None = None,
) -> ProvisioningReport:
    """Simulate the autoscaler on the written NodePools for the planned pods (module docstring)."""
    node_types = node_types or NodeTypes(catalog)
    pools_by_cluster = _nodepools(patches)
    groups = pool_groups(scenario, plan.assignments)
    planned: dict[tuple[str, str], float] = {}
    planned_types: dict[tuple[str, str], set[str]] = {}  # launched types and their substitutes
    launched_types: dict[tuple[str, str], set[str]] = {}
    for n in plan.nodes:
        planned[(n.cluster, n.capacity_type)] = planned.get((n.cluster, n.capacity_type), 0.0) + n.hourly_usd
        planned_types.setdefault((n.cluster, n.capacity_type), set()).update((n.instance_type, *n.substitutes))
        launched_types.setdefault((n.cluster, n.capacity_type), set()).add(n.instance_type)
    checks: list[PoolCheck] = []
    violations: list[str] = []
    notes: list[str] = []
    for (name, kind), pods in sorted(groups.items()):
        cluster = scenario.cluster(name)
        count = sum(g.count for g in pods)
        planned_usd = planned.get((name, kind), 0.0)
        manifest = pools_by_cluster.get(name, {}).get(kind)
        if manifest is None:
            if cluster.autoscaler.startswith("karpenter/"):
                violations.append(f"{name}/{kind}: {count} planned pods but no {kind} NodePool is written")
                checks.append(PoolCheck(name, kind, count, 0, planned_usd, 0.0, {}))
                continue
            # GKE / AKS / none: no NodePool of ours; a node pool of the planned machine types, unlimited
            admitted = [
                t for t in node_types.of(cluster, kind) if t.instance_type in planned_types.get((name, kind), ())
            ]
            cpu_limit = memory_limit = None
        else:
            admitted, cpu_limit, memory_limit = _admitted(manifest, node_types.of(cluster, kind), cluster.cloud)
        packing = provision(pods, admitted, cpu_limit=cpu_limit, memory_limit_gib=memory_limit)
        landed = count - packing.pending_pods
        checks.append(
            PoolCheck(
                name,
                kind,
                count,
                landed,
                planned_usd,
                packing.hourly_usd,
                packing.counts(),
                checked=manifest is not None,
            )
        )
        if packing.pending:
            violations.append(
                f"{name}/{kind}: {packing.pending_pods} of {count} planned pods stay Pending under the "
                f"NodePool ({', '.join(f'{k} {n}' for k, n in sorted(packing.pending.items()))})"
            )
        dearest = max(
            (t.hourly_usd for t in admitted if t.instance_type in launched_types.get((name, kind), ())), default=0.0
        )
        dearer = sorted(
            t.instance_type
            for t in admitted
            if t.hourly_usd > dearest + 1e-9 and t.instance_type not in launched_types.get((name, kind), ())
        )
        if dearer:
            violations.append(
                f"{name}/{kind}: the NodePool admits types dearer than planned: {', '.join(dearer[:5])}"
                + (f" and {len(dearer) - 5} more" if len(dearer) > 5 else "")
            )
    unchecked = sorted({c.cluster for c in checks if not c.checked})
    if unchecked:
        notes.append(
            "no Karpenter NodePool (node pools of the planned machine types simulated instead): " + ", ".join(unchecked)
        )
    planned_total = sum(c.planned_usd for c in checks)
    simulated_total = sum(c.simulated_usd for c in checks)
    if planned_total > 0 and abs(simulated_total - planned_total) > tolerance * planned_total:
        violations.append(
            f"the simulated node bill {simulated_total:.4f} $/h is {simulated_total / planned_total - 1:+.1%} "
            f"from the plan's compute {planned_total:.4f} $/h (tolerance {tolerance:.0%})"
        )
    return ProvisioningReport(tuple(checks), tuple(violations), planned_total, simulated_total, tolerance, tuple(notes))


def _nodepools(patches: Sequence[Patch]) -> dict[str, dict[str, Mapping[str, Any]]]:
    """cluster -> capacity type -> the pool's spec (NodePool template spec + limits, or Provisioner spec)."""
    out: dict[str, dict[str, Mapping[str, Any]]] = {}
    for patch in patches:
        if patch.role != CAPACITY:
            continue
        body = patch.body
        spec = body.get("spec") or {}
        if body.get("kind") == "Provisioner":
            requirements = spec.get("requirements") or []
            limits = (spec.get("limits") or {}).get("resources") or {}
        else:
            requirements = ((spec.get("template") or {}).get("spec") or {}).get("requirements") or []
            limits = spec.get("limits") or {}
        kinds = next((r.get("values") or [] for r in requirements if r.get("key") == KARPENTER_CAPACITY_TYPE), [])
        for kind in kinds:
            out.setdefault(patch.cluster, {})[kind] = {"requirements": requirements, "limits": limits}
    return out


def _admitted(
    pool: Mapping[str, Any], types: Sequence[NodeType], cloud: str
) -> tuple[list[NodeType], float | None, float | None]:
    from placement.load.quantity import parse_cpu, parse_memory_gib

    admitted = list(types)
    for requirement in pool["requirements"]:
        key, values = requirement.get("key"), set(requirement.get("values") or ())
        if requirement.get("operator") != "In":
            continue
        if key == INSTANCE_TYPE:
            admitted = [t for t in admitted if t.instance_type in values]
        elif key == ARCH:
            admitted = [t for t in admitted if t.arch in values]
        elif key in (AWS_INSTANCE_FAMILY, AZURE_SKU_SERIES):
            admitted = [t for t in admitted if instance_family(cloud, t.instance_type) in values]
    limits = pool["limits"]
    cpu = None if limits.get("cpu") is None else parse_cpu(limits["cpu"])
    memory = None if limits.get("memory") is None else parse_memory_gib(limits["memory"])
    return admitted, cpu, memory
