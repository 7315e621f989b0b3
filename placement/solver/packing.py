"""Whole nodes for a pool's pods, the way Karpenter provisions them (model v2, REFERENCE §10).

`provision` is the autoscaler simulation, used twice with the same rules: by the solver to choose
a pool's node types and counts, and by the provisioning check on the NodePools actually written
(`placement.analysis.provisioning`). Karpenter's behaviour, as simulated:

- pending pods are taken largest first (CPU, then memory); each goes on the first in-flight node
  claim that still has an admitted instance type holding all its pods, else opens a new claim whose
  options are the admitted types that hold it (and run one of its architectures);
- a claim's options narrow to the types that hold everything placed on it; when it launches, it
  takes the **cheapest** option (on-demand: lowest price; for spot, EC2 Fleet's
  price-capacity-optimized is approximated by the lowest price);
- NodePool limits count node **capacity**, pessimistically: opening a claim subtracts the largest
  capacity among its options, and types larger than what is left are not options. A pod no claim
  can take is left pending.

`pack_pool` chooses the admitted set for a pool (one primary type plus the smaller sizes of its
family for the tail, among the few primaries with the best fluid cost estimate) and returns the
cheapest simulated provisioning. Pure; groups of identical pods are placed in bulk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from placement.solver.node_types import NodeType

_EPS = 1e-9
#: Primary node types tried per pool (the best fluid estimates): measured, see docs/solver.md.
PRIMARY_CANDIDATES = 4


@dataclass(frozen=True, slots=True)
class PodGroup:
    """`count` identical pods of one workload (requests per pod) that run on `arches`."""

    key: str
    cpu: float
    memory_gib: float
    count: int
    arches: tuple[str, ...] = ("amd64",)


@dataclass(frozen=True, slots=True)
class LaunchedNode:
    """One node the simulation launches, with the pods it holds (workload key -> pods)."""

    node_type: NodeType
    pods: Mapping[str, int]
    cpu: float  # requested by its pods
    memory_gib: float
    pod_count: int


@dataclass(frozen=True, slots=True)
class Packing:
    """The nodes a pool launches and the pods left pending (workload key -> pods)."""

    nodes: tuple[LaunchedNode, ...] = ()
    pending: Mapping[str, int] = field(default_factory=dict)

    @property
    def hourly_usd(self) -> float:
        return sum(n.node_type.hourly_usd for n in self.nodes)

    @property
    def pending_pods(self) -> int:
        return sum(self.pending.values())

    def counts(self) -> dict[str, int]:
        """Instance type -> nodes launched."""
        out: dict[str, int] = {}
        for node in self.nodes:
            out[node.node_type.instance_type] = out.get(node.node_type.instance_type, 0) + 1
        return out


class _Claim:
    __slots__ = ("cpu", "memory_gib", "options", "pod_count", "pods")

    def __init__(self, options: list[NodeType]) -> None:
        self.options = options
        self.cpu = 0.0
        self.memory_gib = 0.0
        self.pod_count = 0
        self.pods: dict[str, int] = {}

    def room(self, node_type: NodeType, group: PodGroup) -> int:
        """How many more pods of `group` one node of `node_type` takes on top of this claim's pods."""
        if node_type.arch not in group.arches:
            return 0
        fits = node_type.pods - self.pod_count
        if group.cpu > 0:
            fits = min(fits, math.floor((node_type.cpu - self.cpu) / group.cpu + _EPS))
        if group.memory_gib > 0:
            fits = min(fits, math.floor((node_type.alloc_memory_gib - self.memory_gib) / group.memory_gib + _EPS))
        return max(fits, 0)

    def add(self, group: PodGroup, wanted: int) -> int:
        """Place up to `wanted` pods of `group` (narrowing the options to types that hold them); how many."""
        rooms = [self.room(t, group) for t in self.options]
        take = min(wanted, max(rooms, default=0))
        if take <= 0:
            return 0
        self.options = [t for t, r in zip(self.options, rooms, strict=True) if r >= take]
        self.cpu += take * group.cpu
        self.memory_gib += take * group.memory_gib
        self.pod_count += take
        self.pods[group.key] = self.pods.get(group.key, 0) + take
        return take

    def launch(self) -> LaunchedNode:
        cheapest = min(self.options, key=lambda t: (t.hourly_usd, t.instance_type))
        return LaunchedNode(cheapest, dict(self.pods), self.cpu, self.memory_gib, self.pod_count)


def provision(
    groups: Sequence[PodGroup],
    admitted: Sequence[NodeType],
    *,
    cpu_limit: float | None = None,
    memory_limit_gib: float | None = None,
) -> Packing:
    """Simulate the autoscaler launching nodes of the `admitted` types for the pending `groups`
    (module docstring), within the NodePool's capacity limits when given."""
    order = sorted((g for g in groups if g.count > 0), key=lambda g: (-g.cpu, -g.memory_gib, g.key))
    if not order:
        return Packing()
    smallest_cpu = min(g.cpu for g in order)
    smallest_memory = min(g.memory_gib for g in order)
    left_cpu = math.inf if cpu_limit is None else cpu_limit
    left_memory = math.inf if memory_limit_gib is None else memory_limit_gib
    claims: list[_Claim] = []
    open_claims: list[_Claim] = []
    pending: dict[str, int] = {}
    for group in order:
        wanted = group.count
        still_open = []
        for claim in open_claims:
            if wanted:
                wanted -= claim.add(group, wanted)
            if _can_grow(claim, smallest_cpu, smallest_memory):
                still_open.append(claim)
        open_claims = still_open
        while wanted:
            options = [t for t in admitted if t.arch in group.arches and t.holds(group.cpu, group.memory_gib)
                       and t.vcpus <= left_cpu + _EPS and t.memory_gib <= left_memory + _EPS]
            if not options:
                pending[group.key] = pending.get(group.key, 0) + wanted
                break
            claim = _Claim(options)
            wanted -= claim.add(group, wanted)
            left_cpu -= max(t.vcpus for t in claim.options)
            left_memory -= max(t.memory_gib for t in claim.options)
            claims.append(claim)
            if _can_grow(claim, smallest_cpu, smallest_memory):
                open_claims.append(claim)
    return Packing(tuple(c.launch() for c in claims), pending)


def _can_grow(claim: _Claim, cpu: float, memory_gib: float) -> bool:
    return any(t.cpu - claim.cpu >= cpu - _EPS and t.alloc_memory_gib - claim.memory_gib >= memory_gib - _EPS
               and t.pods > claim.pod_count for t in claim.options)


def fluid_usd(groups: Sequence[PodGroup], node_type: NodeType) -> float:
    """A node type's fluid cost for the groups it can run: price × the dominant share of their sum."""
    cpu = sum(g.cpu * g.count for g in groups)
    memory = sum(g.memory_gib * g.count for g in groups)
    pods = sum(g.count for g in groups)
    return node_type.hourly_usd * max(cpu / node_type.cpu, memory / node_type.alloc_memory_gib, pods / node_type.pods)


def pack_pool(groups: Sequence[PodGroup], types: Sequence[NodeType]) -> tuple[Packing, tuple[NodeType, ...]]:
    """The cheapest provisioning found for a pool's pods, and the admitted types that give it."""
    groups = [g for g in groups if g.count > 0]
    if not groups:
        return Packing(), ()
    best: tuple[Packing, tuple[NodeType, ...]] | None = None
    for admitted in _candidate_sets(groups, types):
        packing = provision(groups, admitted)
        if packing.pending:  # types for the groups the primary cannot run (another architecture, too big)
            left = [g for g in groups if g.key in packing.pending]
            extra = next(iter(_candidate_sets(left, types)), ())
            admitted = tuple(dict.fromkeys((*admitted, *extra)))
            packing = provision(groups, admitted)
        key = (packing.pending_pods, packing.hourly_usd)
        if best is None or key < (best[0].pending_pods, best[0].hourly_usd):
            best = (packing, admitted)
    if best is None:
        return Packing(pending={g.key: g.count for g in groups}), ()
    return best


def _candidate_sets(groups: Sequence[PodGroup], types: Sequence[NodeType]) -> list[tuple[NodeType, ...]]:
    """Admitted sets to try: a primary type (best fluid estimates over the groups it runs, the rest
    priced at their own best) plus the cheaper sizes of its family (for the last, part-full nodes)."""
    scored: list[tuple[float, NodeType, list[PodGroup]]] = []
    for node_type in types:
        runs = [g for g in groups if node_type.arch in g.arches and node_type.holds(g.cpu, g.memory_gib)]
        if not runs:
            continue
        scored.append((fluid_usd(runs, node_type), node_type, runs))
    if not scored:
        return []
    best_alone = {g.key: min((fluid_usd([g], t) for _, t, runs in scored if g in runs), default=math.inf)
                  for g in groups}
    ranked = sorted(scored, key=lambda s: (s[0] + sum(best_alone[g.key] for g in groups if g not in s[2]),
                                           s[1].hourly_usd, s[1].instance_type))
    sets = []
    for _, primary, runs in ranked[:PRIMARY_CANDIDATES]:
        smallest_cpu = min(g.cpu for g in runs)
        smallest_memory = min(g.memory_gib for g in runs)
        tails = [t for t in types if t.family == primary.family and t.arch == primary.arch
                 and t.hourly_usd < primary.hourly_usd and t.holds(smallest_cpu, smallest_memory)]
        sets.append((primary, *tails))
    return sets
