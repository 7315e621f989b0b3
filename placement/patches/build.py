"""Plan → per-cluster Kubernetes changes (pure): `to_patches(plan, scenario) -> list[Patch]`.

Each `Patch` is placement's complete server-side-apply intent for one object (an apply from the
same field manager that omits a field gives that field up, so one object never gets two patches):

- **workload** — the Deployment: the spot/on-demand scheduling (`placement.patches.pod_scheduling`) under
  `spec.template`, and `spec.replicas` only when no HPA scales it (never fighting an HPA); a
  workload leaving a cluster gets `spec.replicas: 0`, which also pauses its HPA. A workload moving
  into a cluster where its Deployment sits at 0 behind an HPA gets `spec.replicas` too: an HPA never
  scales a target up from zero, so setting the floor alone would leave it at zero.
- **autoscaler** — the HPA's `minReplicas`: the cluster's share is the floor the HPA scales from.
- **capacity** — on Karpenter clusters, placement's spot and on-demand pools
  (`placement.patches.nodepools`) in the version the cluster serves.

Workloads the plan leaves unplaced are not touched anywhere.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from placement.errors import InvalidPlan
from placement.live import LiveCluster, LiveWorkload
from placement.patches.labels import ON_DEMAND, PLAN_ID, SPOT, is_karpenter, vocabulary_for
from placement.patches.nodepools import (
    DEFAULT_HEADROOM_FRACTION,
    POOL_NAMES,
    NodeClassRef,
    karpenter_version,
    nodepool_manifest,
    pool_from_nodes,
    size_pool,
)
from placement.patches.pod_scheduling import DEFAULT_MAX_SLOTS, PodScheduling, pod_scheduling
from placement.plan import NodeGroup, Plan
from placement.scenario import Cluster, Replicas, Scenario, Workload

WORKLOAD, AUTOSCALER, CAPACITY = "workload", "autoscaler", "capacity"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Which object a patch is for."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    def file_name(self) -> str:
        """kubectl diff's name: `<group.>version.Kind.namespace.name`."""
        group = f"{self.group}." if self.group else ""
        return f"{group}{self.version}.{self.kind}.{self.namespace or ''}.{self.name}"

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass(frozen=True, slots=True)
class Patch:
    """Placement's server-side-apply body for one object in one cluster, and why."""

    cluster: str
    ref: ObjectRef
    body: Mapping[str, Any]
    role: str  # workload | autoscaler | capacity
    workload: str | None = None
    replicas_before: int | None = None
    replicas_after: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def change(self) -> str:
        """`up`, `down` or `none`: how the replica count this patch sets moves."""
        if self.replicas_before is None or self.replicas_after is None:
            return "none"
        if self.replicas_after > self.replicas_before:
            return "up"
        return "down" if self.replicas_after < self.replicas_before else "none"

    def manifest(self) -> dict[str, Any]:
        """A deep copy of the body, safe to modify."""
        return copy.deepcopy(dict(self.body))


@dataclass(frozen=True, slots=True)
class PatchOptions:
    """Knobs for `to_patches`: pool headroom, ratio-split slots, node sizes and node classes."""

    headroom_fraction: float = DEFAULT_HEADROOM_FRACTION
    max_slots: int = DEFAULT_MAX_SLOTS
    instance_sizes: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # type -> (vcpus, GiB)
    node_classes: Mapping[str, NodeClassRef] = field(default_factory=dict)  # cluster -> node class


def plan_id(plan: Plan) -> str:
    """A stable id for what a plan places (not when or how it was solved): `p-` + 12 hex."""
    rows = sorted(
        (a.workload, a.cluster, a.on_demand, a.spot, sorted(a.instance_types.items())) for a in plan.assignments
    )
    return "p-" + hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:12]


def to_patches(
    plan: Plan,
    scenario: Scenario,
    *,
    live: Mapping[str, LiveCluster] | None = None,
    options: PatchOptions | None = None,
) -> list[Patch]:
    """Every change the plan needs, cluster by cluster (scenario order), workloads then capacity.
    Pure: nothing is read or sent (the module docstring says what each kind of patch sets).

    Args:
        plan: The plan to carry out (`placement.solver.solve`, or `Plan.from_json` of a plan file).
            Its assignments give each workload's replicas per cluster and capacity type and the
            instance types they were priced on; its `nodes`, when present (node-true plans), size
            the Karpenter pools in whole nodes. Unplaced workloads are not touched anywhere.
        scenario: The scenario the plan was made from: its clusters (autoscaler, cloud's label
            vocabulary, `maxPodsPerNode`) and workloads (names, namespaces, architectures,
            `current`). Patches come in its cluster order, and within a cluster in its workload order.
        live: Cluster name → what `placement.kube.read` found there (`placement.live.LiveCluster`).
            It decides, per Deployment, whether an HPA owns the replica count (then its
            `minReplicas` is set instead of `spec.replicas`), what runs today (`replicas_before`,
            and which clusters a workload leaves), and the Kubernetes version the scheduling fields
            are written for. None: no workload has an HPA, today is the scenario's `current`, and
            the newest field forms are used (what `placement plan -o patches` shows offline).
        options: Knobs for the capacity patches and the spot/on-demand split (`PatchOptions`):
            `headroom_fraction` of pool limits above the plan (default 0.25), `max_slots` for a
            ratio split by topology spread (default 8), `instance_sizes` (type → vCPUs, GiB) for
            sizing pools of plans without nodes, and `node_classes` (cluster → the NodeClass its
            NodePools reference). None: the defaults.

    Returns:
        One `Patch` per object to change, each placement's whole server-side-apply intent for it:
        a `workload` patch per Deployment (scheduling, and `spec.replicas` unless an HPA scales
        it; 0 where a workload leaves), an `autoscaler` patch per HPA floor, and on Karpenter
        clusters a `capacity` patch per pool (spot, then on-demand). Each carries the plan id
        (`plan_id(plan)`), `replicas_before`/`replicas_after` for the churn guard and the apply
        order, and `notes` (e.g. an HPA `maxReplicas` that caps the plan). Empty when nothing changes.

    Raises:
        InvalidPlan: The plan does not belong to the scenario (a cluster or workload it does not
            have) or has negative replica counts (exit 2).
        ValueError: A Karpenter cluster's `autoscaler` names no Karpenter version the patches know,
            or `options.headroom_fraction` is negative.
    """
    options = options or PatchOptions()
    wanted = _wanted_by_cluster(plan, scenario)
    assigned = {key for _, key in wanted}  # workloads with an assignment somewhere
    identity = plan_id(plan)
    patches: list[Patch] = []
    for cluster in scenario.clusters:
        cluster_live = (live or {}).get(cluster.name)
        placed: list[tuple[Workload, PodScheduling, Mapping[str, str]]] = []
        for workload in scenario.workloads:
            target = _target(wanted, cluster, workload, cluster_live, assigned)
            if target is None:
                continue
            replicas, instance_types = target
            facts = cluster_live.workloads.get(workload.key) if cluster_live else None
            before = facts.replicas if facts else _current(workload, cluster.name)
            scheduling = pod_scheduling(
                vocabulary_for(cluster),
                replicas,
                workload_name=workload.name,
                slots_available=is_karpenter(cluster),
                max_slots=options.max_slots,
                architectures=workload.architectures,
                kubernetes_version=cluster_live.kubernetes_version if cluster_live else None,
            )
            patches.extend(_workload_patches(cluster, workload, replicas, before, scheduling, facts, identity))
            placed.append((workload, scheduling, instance_types))
        if is_karpenter(cluster):
            nodes = [n for n in plan.nodes if n.cluster == cluster.name]
            patches.extend(_capacity_patches(cluster, placed, nodes, options, identity, node_true=bool(plan.nodes)))
    return patches


def render_patches(patches: Sequence[Patch]) -> str:
    """Multi-document YAML of every patch (what `placement plan -o patches` prints)."""
    documents = []
    for patch in patches:
        header = [f"# cluster: {patch.cluster} · {patch.role} · {patch.ref}"]
        if patch.change != "none":
            header.append(f"# replicas: {patch.replicas_before} -> {patch.replicas_after}")
        header.extend(f"# note: {note}" for note in patch.notes)
        body = yaml.safe_dump(patch.manifest(), sort_keys=False, default_flow_style=False)
        documents.append("\n".join(header) + "\n" + body)
    return "---\n".join(documents)


def clusters_of(patches: Iterable[Patch]) -> list[str]:
    """Cluster names in first-seen order."""
    return list(dict.fromkeys(p.cluster for p in patches))


# -- internals ----------------------------------------------------------------------------------


def _wanted_by_cluster(plan: Plan, scenario: Scenario) -> dict[tuple[str, str], tuple[Replicas, dict[str, str]]]:
    clusters = {c.name for c in scenario.clusters}
    workloads = {w.key for w in scenario.workloads}
    wanted: dict[tuple[str, str], tuple[Replicas, dict[str, str]]] = {}
    for assignment in plan.assignments:
        if assignment.cluster not in clusters:
            raise InvalidPlan(
                f"plan assigns {assignment.workload} to cluster {assignment.cluster!r}, which scenario "
                f"{scenario.name!r} does not have; re-plan with this scenario or pass the scenario the plan came from"
            )
        if assignment.workload not in workloads:
            raise InvalidPlan(
                f"plan places workload {assignment.workload!r}, which scenario {scenario.name!r} does not have; "
                "re-plan with this scenario"
            )
        if assignment.on_demand < 0 or assignment.spot < 0:
            raise InvalidPlan(f"assignment {assignment.workload} @ {assignment.cluster}: replica counts must be ≥ 0")
        key = (assignment.cluster, assignment.workload)
        replicas, types = wanted.get(key, (Replicas(), {}))
        wanted[key] = (
            Replicas(replicas.on_demand + assignment.on_demand, replicas.spot + assignment.spot),
            {**types, **dict(assignment.instance_types)},
        )
    return wanted


def _target(
    wanted: Mapping[tuple[str, str], tuple[Replicas, dict[str, str]]],
    cluster: Cluster,
    workload: Workload,
    cluster_live: LiveCluster | None,
    assigned: Collection[str],
) -> tuple[Replicas, dict[str, str]] | None:
    """What the workload should run in the cluster; a placed workload that runs here today but
    has no assignment here is scaled to zero; None when there is nothing to change."""
    found = wanted.get((cluster.name, workload.key))
    if found is not None:
        return found
    placed_somewhere = workload.key in assigned
    if cluster_live is not None:
        runs_here = workload.key in cluster_live.workloads and cluster_live.workloads[workload.key].replicas > 0
    else:
        runs_here = _current(workload, cluster.name) > 0
    return (Replicas(), {}) if placed_somewhere and runs_here else None


def _current(workload: Workload, cluster: str) -> int:
    current = workload.current.get(cluster)
    return current.total if current else 0


def _metadata(name: str, namespace: str | None, identity: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    metadata["annotations"] = {PLAN_ID: identity}
    return metadata


def _workload_patches(
    cluster: Cluster,
    workload: Workload,
    replicas: Replicas,
    before: int,
    scheduling: PodScheduling,
    facts: LiveWorkload | None,
    identity: str,
) -> list[Patch]:
    total = replicas.total
    hpa = facts.hpa if facts else None
    spec: dict[str, Any] = {}
    if hpa is None or total == 0 or (before == 0 and facts is not None and facts.replicas == 0):
        spec["replicas"] = total  # with an HPA only to wake it from zero: from there it scales on its own
    if total > 0:
        spec["template"] = scheduling.template()
    ref = ObjectRef("apps/v1", "Deployment", workload.name, workload.namespace)
    body = {"apiVersion": ref.api_version, "kind": ref.kind, "metadata": _metadata(ref.name, ref.namespace, identity)}
    body["spec"] = spec
    notes = list(scheduling.notes)
    patches = []
    if hpa is not None and total > 0:
        floor, max_replicas = total, facts.hpa_max_replicas if facts else None
        if max_replicas is not None and floor > max_replicas:
            notes.append(f"HPA {hpa} maxReplicas={max_replicas} caps the plan's {total}; raise maxReplicas")
            floor = max_replicas
        hpa_ref = ObjectRef("autoscaling/v2", "HorizontalPodAutoscaler", hpa, workload.namespace)
        hpa_body = {
            "apiVersion": hpa_ref.api_version,
            "kind": hpa_ref.kind,
            "metadata": _metadata(hpa, workload.namespace, identity),
            "spec": {"minReplicas": floor},
        }
        hpa_before = facts.hpa_min_replicas if facts and facts.hpa_min_replicas is not None else before
        patches.append(Patch(cluster.name, hpa_ref, hpa_body, AUTOSCALER, workload.key, hpa_before, floor))
    patches.insert(0, Patch(cluster.name, ref, body, WORKLOAD, workload.key, before, total, tuple(notes)))
    return patches


def _capacity_patches(
    cluster: Cluster,
    placed: Sequence[tuple[Workload, PodScheduling, Mapping[str, str]]],
    nodes: Sequence[NodeGroup],
    options: PatchOptions,
    identity: str,
    *,
    node_true: bool,
) -> list[Patch]:
    """The cluster's spot and on-demand pools. A node-true plan (with `nodes`) admits its planned
    types and sizes limits in whole nodes (`pool_from_nodes`); a plan file from before nodes were
    planned is sized from its replicas as it was then (`size_pool`)."""
    karpenter_version(cluster)  # fails early, naming the cluster, on an unknown version
    slots = {ON_DEMAND: 0, SPOT: 0}
    demands: dict[str, list[tuple[int, float, float, str | None]]] = {ON_DEMAND: [], SPOT: []}
    for workload, scheduling, types in placed:
        if scheduling.slots is not None:
            slots[ON_DEMAND] = max(slots[ON_DEMAND], scheduling.slots.on_demand)
            slots[SPOT] = max(slots[SPOT], scheduling.slots.spot)
        for capacity, count in ((ON_DEMAND, scheduling.placed.on_demand), (SPOT, scheduling.placed.spot)):
            instance_type = types.get(capacity) or next(iter(types.values()), None)
            demands[capacity].append((count, workload.cpu, workload.memory_gib, instance_type))
    patches = []
    for capacity in (SPOT, ON_DEMAND):
        if node_true:
            pool = pool_from_nodes(
                POOL_NAMES[capacity],
                capacity,
                [n for n in nodes if n.capacity_type == capacity],
                headroom_fraction=options.headroom_fraction,
                slots=slots[capacity],
            )
        else:
            pool = size_pool(
                POOL_NAMES[capacity],
                capacity,
                demands[capacity],
                headroom_fraction=options.headroom_fraction,
                instance_sizes=options.instance_sizes,
                slots=slots[capacity],
                max_pods_per_node=cluster.max_pods_per_node,
            )
        body = nodepool_manifest(cluster, pool, options.node_classes.get(cluster.name))
        body["metadata"]["annotations"] = {PLAN_ID: identity}
        ref = ObjectRef(body["apiVersion"], body["kind"], pool.name)
        patches.append(Patch(cluster.name, ref, body, CAPACITY))
    return patches
