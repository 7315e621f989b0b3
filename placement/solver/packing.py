"""Whole nodes for a pool's pods, the way Karpenter provisions them (model v2, REFERENCE §10).

`provision` is the autoscaler simulation, used twice with the same rules: by the solver to choose
a pool's node types and counts, and by the provisioning check on the NodePools actually written
(`placement.analysis.provisioning`). Karpenter's behaviour, as simulated:

- pending pods are taken largest first (CPU, then memory); each goes on the in-flight node claim
  with the **fewest pods** (ties: the older claim) that still has an admitted instance type holding
  all its pods, else opens a new claim whose options are the admitted types that hold it (and run
  one of its architectures) — karpenter `scheduling/scheduler.go` `add` sorts `newNodeClaims` by
  pod count before trying them;
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

import numpy as np

from placement.solver.node_types import NodeType, fitting

_EPS = 1e-9
#: Primary node types tried per pool (the best fluid estimates): measured, see docs/solver.md.
PRIMARY_CANDIDATES = 4
LARGE_POOL_PODS = 200
#: Pools whose packing launches at most this many nodes also try their admitted sets without the
#: dearest sizes (`_capped`). Measured: the demo 6.23 → 5.71 $/h (8 or more: the same), the bench
#: fleets unchanged and no slower (see docs/solver.md).
CAPPED_NODES = 32


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


@dataclass(slots=True)
class _Owner:
    """A workload whose pods of one shape are being placed: its key and how many are left."""

    key: str
    left: int


class _Claim:
    __slots__ = ("cpu", "max_cpu", "max_memory_gib", "max_pods", "memory_gib", "options", "pod_count", "pods")

    def __init__(self, options: list[NodeType]) -> None:
        self.options = options
        self._limits()
        self.cpu = 0.0
        self.memory_gib = 0.0
        self.pod_count = 0
        self.pods: dict[str, int] = {}

    def room_for(self, group: PodGroup) -> int:
        """How many more pods of `group` the claim takes (its roomiest option)."""
        if (
            group.cpu > self.max_cpu - self.cpu + _EPS
            or group.memory_gib > self.max_memory_gib - self.memory_gib + _EPS
            or self.pod_count >= self.max_pods
        ):
            return 0
        return max((self.room(t, group) for t in self.options), default=0)

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

    def _limits(self) -> None:
        self.max_cpu = max(t.cpu for t in self.options)
        self.max_memory_gib = max(t.alloc_memory_gib for t in self.options)
        self.max_pods = max(t.pods for t in self.options)

    def add(self, group: PodGroup, wanted: int, owners: list[_Owner]) -> int:
        """Place up to `wanted` pods of `group` (narrowing the options to types that hold them); how many.
        `owners` (workloads with pods not yet placed, in order) says whose pods they are."""
        take = min(wanted, self.room_for(group))
        if take > 0:
            self.place(group, take, self.narrowed(group, take), owners)
        return max(take, 0)

    def state(self) -> tuple[int, float, float, int]:
        """What its room depends on: the options (by identity: copies share them) and what it holds."""
        return id(self.options), self.cpu, self.memory_gib, self.pod_count

    def narrowed(self, group: PodGroup, take: int) -> list[NodeType]:
        """The options that hold `take` more pods of `group` (the same list when all of them do)."""
        kept = [t for t in self.options if self.room(t, group) >= take]
        return self.options if len(kept) == len(self.options) else kept

    def place(self, group: PodGroup, take: int, options: list[NodeType], owners: list[_Owner]) -> None:
        """Put `take` pods of `group` on the claim, whose options become `options` (`narrowed`)."""
        if options is not self.options:
            self.options = options
            self._limits()
        self.cpu += take * group.cpu
        self.memory_gib += take * group.memory_gib
        self.pod_count += take
        self._own(take, owners)

    def copy(self, group: PodGroup, take: int, owners: list[_Owner]) -> _Claim:
        """A claim like this one (same options and requests) holding `take` more pods of `group`'s owners."""
        twin = _Claim.__new__(_Claim)
        twin.options = self.options
        twin.max_cpu, twin.max_memory_gib, twin.max_pods = self.max_cpu, self.max_memory_gib, self.max_pods
        twin.cpu, twin.memory_gib, twin.pod_count = self.cpu, self.memory_gib, self.pod_count
        twin.pods = {}
        twin._own(take, owners)
        return twin

    def _own(self, take: int, owners: list[_Owner]) -> None:
        left = take
        while left:
            owner = owners[0]
            moved = min(left, owner.left)
            self.pods[owner.key] = self.pods.get(owner.key, 0) + moved
            owner.left -= moved
            left -= moved
            if not owner.left:
                owners.pop(0)

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
    # identical pods of different workloads are one shape: placed in bulk, attributed in workload order
    shapes: dict[tuple[float, float, tuple[str, ...]], list[_Owner]] = {}
    for g in sorted((g for g in groups if g.count > 0), key=lambda g: g.key):
        shapes.setdefault((g.cpu, g.memory_gib, tuple(sorted(g.arches))), []).append(_Owner(g.key, g.count))
    if not shapes:
        return Packing()
    order = [
        (PodGroup("", cpu, memory, sum(o.left for o in owners), arches), owners)
        for (cpu, memory, arches), owners in sorted(shapes.items(), key=lambda s: (-s[0][0], -s[0][1], s[0][2]))
    ]
    smallest_cpu = min(g.cpu for g, _ in order)
    smallest_memory = min(g.memory_gib for g, _ in order)
    left_cpu = math.inf if cpu_limit is None else cpu_limit
    left_memory = math.inf if memory_limit_gib is None else memory_limit_gib
    claims: list[_Claim] = []
    open_claims: list[_Claim] = []
    pending: dict[str, int] = {}
    for group, owners in order:
        wanted = group.count
        if open_claims:
            wanted = _fill_in_flight(open_claims, group, wanted, owners)
            open_claims = _still_open(open_claims, smallest_cpu, smallest_memory)
        while wanted:
            options = [
                t
                for t in admitted
                if t.arch in group.arches
                and t.holds(group.cpu, group.memory_gib)
                and t.vcpus <= left_cpu + _EPS
                and t.memory_gib <= left_memory + _EPS
            ]
            if not options:
                for owner in owners:
                    pending[owner.key] = pending.get(owner.key, 0) + owner.left
                break
            claim = _Claim(options)
            take = claim.add(group, wanted, owners)
            wanted -= take
            charge_cpu = max(t.vcpus for t in claim.options)
            charge_memory = max(t.memory_gib for t in claim.options)
            left_cpu -= charge_cpu
            left_memory -= charge_memory
            # Every further claim for this shape starts the same way: open the full ones in bulk.
            copies = wanted // take
            if copies and cpu_limit is not None:
                copies = min(copies, int((left_cpu + _EPS) // charge_cpu))
            if copies and memory_limit_gib is not None:
                copies = min(copies, int((left_memory + _EPS) // charge_memory))
            same = [claim] + [claim.copy(group, take, owners) for _ in range(max(copies, 0))]
            wanted -= take * (len(same) - 1)
            left_cpu -= charge_cpu * (len(same) - 1)
            left_memory -= charge_memory * (len(same) - 1)
            claims.extend(same)
            if _can_grow(claim, smallest_cpu, smallest_memory):
                open_claims.extend(same)
    return Packing(tuple(c.launch() for c in claims), pending)


def _fill_in_flight(claims: list[_Claim], group: PodGroup, wanted: int, owners: list[_Owner]) -> int:
    """Place what the in-flight claims take of `wanted` pods of `group` (`_fewest_pods_first`); how
    many are still wanted. Claims in the same state (the bulk-opened copies) share their room and
    narrowed options, so each state's arithmetic is done once."""
    keep: list[list[NodeType]] = []  # the option lists keyed by id below stay alive (ids not reused)
    room_of: dict[tuple[int, float, float, int], int] = {}
    rooms = []
    for claim in claims:
        key = claim.state()
        room = room_of.get(key)
        if room is None:
            room = room_of[key] = claim.room_for(group)
            keep.append(claim.options)
        rooms.append(room)
    narrowed: dict[tuple[tuple[int, float, float, int], int], list[NodeType]] = {}
    for claim, take in zip(claims, _fewest_pods_first([c.pod_count for c in claims], rooms, wanted), strict=True):
        if take:
            key = (claim.state(), take)
            options = narrowed.get(key)
            if options is None:
                options = narrowed[key] = claim.narrowed(group, take)
                keep.append(options)
            claim.place(group, take, options, owners)
            wanted -= take
    return wanted


def _still_open(claims: list[_Claim], cpu: float, memory_gib: float) -> list[_Claim]:
    """The claims that can still take the smallest pod (`_can_grow`, once per claim state)."""
    keep: list[list[NodeType]] = []
    grows: dict[tuple[int, float, float, int], bool] = {}
    out = []
    for claim in claims:
        key = claim.state()
        can = grows.get(key)
        if can is None:
            can = grows[key] = _can_grow(claim, cpu, memory_gib)
            keep.append(claim.options)
        if can:
            out.append(claim)
    return out


def _fewest_pods_first(counts: Sequence[int], rooms: Sequence[int], wanted: int) -> list[int]:
    """How many of `wanted` identical pods each in-flight claim (its pods so far, its room for more)
    gets when every pod goes on the claim with the fewest pods that has room for it (ties: the
    earlier claim), in bulk: the claims are filled up to a common pod count (each within its room),
    the last pods one each in claim order."""
    tops = [n + r for n, r in zip(counts, rooms, strict=True)]
    spans: dict[tuple[int, int], int] = {}  # (pods, pods when full) -> claims
    for n, top in zip(counts, tops, strict=True):
        if top > n:
            spans[(n, top)] = spans.get((n, top), 0) + 1
    if not spans:
        return [0] * len(counts)

    def given(level: int) -> int:
        return sum(k * max(0, min(top, level) - n) for (n, top), k in spans.items())

    low, high = min(counts), max(tops)
    if given(high) <= wanted:  # room for fewer pods than wanted: every claim fills up
        return list(rooms)
    while low < high:  # the highest level every claim can be raised to within `wanted`
        middle = (low + high + 1) // 2
        low, high = (middle, high) if given(middle) <= wanted else (low, middle - 1)
    takes = [max(0, min(top, low) - n) for n, top in zip(counts, tops, strict=True)]
    left = wanted - sum(takes)
    for i, (n, top) in enumerate(zip(counts, tops, strict=True)):
        if not left:
            break
        if n <= low < top:  # at the common level with room for one more: the next pod goes here
            takes[i] += 1
            left -= 1
    return takes


def _can_grow(claim: _Claim, cpu: float, memory_gib: float) -> bool:
    if (
        claim.max_cpu - claim.cpu < cpu - _EPS
        or claim.max_memory_gib - claim.memory_gib < memory_gib - _EPS
        or claim.pod_count >= claim.max_pods
    ):
        return False
    return any(
        t.cpu - claim.cpu >= cpu - _EPS
        and t.alloc_memory_gib - claim.memory_gib >= memory_gib - _EPS
        and t.pods > claim.pod_count
        for t in claim.options
    )


def pack_pool(
    groups: Sequence[PodGroup],
    types: Sequence[NodeType],
    *,
    quick: bool = False,
    extra: Sequence[tuple[NodeType, ...]] = (),
) -> tuple[Packing, tuple[NodeType, ...]]:
    """The cheapest provisioning found for a pool's pods, and the admitted types that give it
    (`quick`: only the best-estimated primary, when the time limit has run out; `extra`: more
    admitted sets to try — one type is a primary, given the cheaper sizes of its family like the
    others; several are tried as they are)."""
    groups = [g for g in groups if g.count > 0]
    if not groups:
        return Packing(), ()
    shapes = merged_shapes(groups)
    best: tuple[Packing, tuple[NodeType, ...]] | None = None
    # Large pools pack close to their fluid estimate whichever primary leads: fewer candidates for them.
    tries = 1 if quick else PRIMARY_CANDIDATES if sum(g.count for g in groups) <= LARGE_POOL_PODS else 2
    candidates = _candidate_sets(shapes, types)[:tries]
    for more in extra:
        with_tail = (more[0], *_tail(more[0], shapes, types)) if len(more) == 1 else tuple(more)
        if with_tail not in candidates:
            candidates.append(with_tail)
    for admitted in candidates:
        tried = _completed(groups, shapes, types, provision(groups, admitted), admitted)
        if quick:
            tried = tried[:1]
        for packing, admitted in list(tried):
            if not quick and len(packing.nodes) <= CAPPED_NODES:
                tried += [(provision(groups, capped), capped) for capped in _capped(admitted, shapes)]
        for packing, admitted in tried:
            key = (packing.pending_pods, packing.hourly_usd)
            if best is None or key < (best[0].pending_pods, best[0].hourly_usd):
                best = (packing, admitted)
    if best is None:
        return Packing(pending={g.key: g.count for g in groups}), ()
    return best


def _completed(
    groups: Sequence[PodGroup],
    shapes: Sequence[PodGroup],
    types: Sequence[NodeType],
    packing: Packing,
    admitted: tuple[NodeType, ...],
) -> list[tuple[Packing, tuple[NodeType, ...]]]:
    """The packing on `admitted` with types added for the pods it leaves pending (another
    architecture, too big or too memory-hungry for the primary), so a pod is only left pending when
    no launchable type holds it: the best candidate set for those pods, then the cheapest type
    holding each pod still left. And a second way, when pods are left for their architecture and
    that set has larger types than they need: the cheapest type holding each at once. A claim one
    of those pods starts cannot launch the primary, yet takes the pods that could (multi-arch
    images) up to its own largest type: in a pool of 13,252 pods, the 4,836 amd64-only ones on
    c5a.16xlarge claims took the multi-arch ones off a1.4xlarge (142.91 $/h), where the cheapest
    type holding each gave 104.50."""
    if not packing.pending:
        return [(packing, admitted)]

    def left_of(done: Packing) -> list[PodGroup]:
        return [g for g in shapes if any(k in done.pending for k in g.key.split("\0"))]

    def snug(left: Sequence[PodGroup]) -> tuple[NodeType, ...]:
        return tuple(f[0] for g in left if (f := fitting(types, g.cpu, g.memory_gib, g.arches)))

    def wider(
        done: Packing, on: tuple[NodeType, ...], more: tuple[NodeType, ...]
    ) -> tuple[Packing, tuple[NodeType, ...]]:
        if set(more) <= set(on):
            return done, on
        on = tuple(dict.fromkeys((*on, *more)))
        return provision(groups, on), on

    left = left_of(packing)
    best_set = next(iter(_candidate_sets(left, types)), ())
    done, on = wider(packing, admitted, best_set)
    if done.pending:
        done, on = wider(done, on, snug(left_of(done)))
    out = [(done, on)]
    other_arch = bool(admitted) and any(admitted[0].arch not in g.arches for g in left)
    least = snug(left)
    if other_arch and least and max(t.vcpus for t in best_set or least) > max(t.vcpus for t in least):
        done, on = wider(packing, admitted, least)
        if on != out[0][1]:
            out.append((done, on))
    return out


def _capped(admitted: Sequence[NodeType], shapes: Sequence[PodGroup]) -> list[tuple[NodeType, ...]]:
    """The admitted set without its dearest sizes, one price level at a time, while every pod still
    fits a type left. Karpenter keeps adding pods to a claim while any admitted type holds them all,
    then launches the cheapest that does: with few nodes, the last claim — sized to what was left
    over — can cost more than two smaller nodes would (the demo: 9.5 cores on one 16-vCPU node
    instead of an 8- and a 4-vCPU node)."""
    out = []
    for price in sorted({t.hourly_usd for t in admitted})[:-1]:
        kept = tuple(t for t in admitted if t.hourly_usd <= price)
        if all(fitting(kept, s.cpu, s.memory_gib, s.arches) for s in shapes):
            out.append(kept)
    return out


def merged_shapes(groups: Sequence[PodGroup]) -> list[PodGroup]:
    """Groups of identical pods merged across workloads (keys joined by NUL): what the candidate search needs."""
    merged: dict[tuple[float, float, tuple[str, ...]], list[PodGroup]] = {}
    for g in groups:
        merged.setdefault((g.cpu, g.memory_gib, tuple(sorted(g.arches))), []).append(g)
    return [
        PodGroup("\0".join(g.key for g in same), cpu, memory, sum(g.count for g in same), arches)
        for (cpu, memory, arches), same in merged.items()
    ]


def _candidate_sets(shapes: Sequence[PodGroup], types: Sequence[NodeType]) -> list[tuple[NodeType, ...]]:
    """Admitted sets to try: a primary type (best fluid estimates over the shapes it runs, the others
    priced at their own best) plus the cheaper sizes of its family (for the last, part-full nodes)."""
    if not shapes or not types:
        return []
    cpu = np.array([t.cpu for t in types])[:, None]
    memory = np.array([t.alloc_memory_gib for t in types])[:, None]
    pods = np.array([t.pods for t in types], dtype=float)[:, None]
    price = np.array([t.hourly_usd for t in types])
    need_cpu = np.array([s.cpu for s in shapes])[None, :]
    need_memory = np.array([s.memory_gib for s in shapes])[None, :]
    count = np.array([s.count for s in shapes], dtype=float)[None, :]
    arch_ok = np.array([[t.arch in s.arches for s in shapes] for t in types])
    runs = arch_ok & (cpu >= need_cpu - _EPS) & (memory >= need_memory - _EPS)  # [type, shape]
    if not runs.any():
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        alone = price[:, None] * np.maximum(
            np.maximum(need_cpu * count / cpu, need_memory * count / memory), count / pods
        )
    alone = np.where(runs, alone, np.inf)
    best_alone = alone.min(axis=0)  # per shape: its own best fluid cost
    best_alone = np.where(np.isfinite(best_alone), best_alone, 0.0)  # no type holds it: pending anyway
    total_cpu = (runs * (need_cpu * count)).sum(axis=1)
    total_memory = (runs * (need_memory * count)).sum(axis=1)
    total_pods = (runs * count).sum(axis=1)
    fluid = price * np.maximum(np.maximum(total_cpu / cpu[:, 0], total_memory / memory[:, 0]), total_pods / pods[:, 0])
    others = np.where(runs, 0.0, best_alone[None, :]).sum(axis=1)
    score = np.where(runs.any(axis=1), fluid + others, np.inf)
    order = sorted(range(len(types)), key=lambda i: (score[i], types[i].hourly_usd, types[i].instance_type))
    sets = []
    for i in order[:PRIMARY_CANDIDATES]:
        if not np.isfinite(score[i]):
            break
        sets.append((types[i], *_tail(types[i], shapes, types)))
    return sets


def _tail(primary: NodeType, shapes: Sequence[PodGroup], types: Sequence[NodeType]) -> list[NodeType]:
    """The cheaper sizes of the primary's family that hold the smallest pod it runs (for the last,
    part-full node claims)."""
    runs = [s for s in shapes if primary.arch in s.arches and primary.holds(s.cpu, s.memory_gib)]
    if not runs:
        return []
    smallest_cpu = min(s.cpu for s in runs)
    smallest_memory = min(s.memory_gib for s in runs)
    return [
        t
        for t in types
        if t.family == primary.family
        and t.arch == primary.arch
        and t.hourly_usd < primary.hourly_usd
        and t.holds(smallest_cpu, smallest_memory)
    ]
