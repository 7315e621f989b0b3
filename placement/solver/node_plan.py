"""From replica counts to the node bill: the whole nodes each cluster × capacity-type pool launches.

Model v2 (DESIGN.md): the allocation model decides replicas per (workload, cluster, capacity type)
on fluid replica prices; here every pool's pods are packed onto whole nodes of the types its
autoscaler can launch, the way Karpenter provisions them (`placement.solver.packing`). The plan's
compute is Σ nodes × price; each assignment carries its pods' share of its pool's nodes (by the
dominant share each pod takes of its node), so assignments sum to the node bill.

The node-aware lower bound: for each pool, dual prices π = (per allocatable core, per GiB, per pod
slot) with π·allocatable(t) ≤ price(t) for every type t the pool can launch. Any set of nodes that
holds pods with requests r costs at least Σ π·r (each node's price covers π of its allocatable, which
covers its pods' requests), so replica prices π·r_w are a valid lower bound of any plan's node bill,
and the closed-form relaxation on them (`lower_bound_usd`) bounds what placing each workload can
cost. π is chosen per pool by a 3-variable LP maximising π·(the pool's demand in the plan).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from placement.plan import Assignment, NodeGroup
from placement.scenario import Cluster, Planning, Scenario
from placement.solver.allocation import replica_costs, without_egress
from placement.solver.candidates import ClusterOption, WorkloadOptions
from placement.solver.closed_form import lower_bound_usd
from placement.solver.node_types import NodeType, NodeTypes, substitutes
from placement.solver.packing import LARGE_POOL_PODS, Packing, PodGroup, merged_shapes, pack_pool, provision
from placement.solver.patterns import pool_patterns
from placement.solver.replica_price import ReplicaPrice
from pricing import CapacityType

Pool = tuple[str, str]  # (cluster name, capacity type value)
#: Column-generation rounds of the packing LP whose node types are tried as admitted sets, when a
#: plan asks for them (`plan_nodes(hints=True)`: `solve()` does under time limits that allow the
#: bound's LPs, `pattern_work` > 0), in pools of at most `LARGE_POOL_PODS` pods. Measured (bench
#: fleets at 60 s, the demo at 10 s): node-true objective 20 × 4 −8.3 % / −4.9 % / −4.6 % (seeds 7 / 1 / 2),
#: 60 × 8 −1.6 %, 100 × 10 −0.4 % / −0.5 %, the demo −0.3 %, same solve times. On every pool,
#: 1,000 × 20 was 0.1 % cheaper but 0.24 s slower (1.35 → 1.59 s of its 2 s); large pools only,
#: 0.004 % and 0.02 s. Off in the simulator's hourly packings: the what-if notebook took 61 s
#: instead of 32 s with them.
HINT_ROUNDS = 4
#: Knapsack search nodes the bound's packing LPs may visit per plan (largest pools first), counting
#: each LP relaxation of a knapsack as `knapsack.LP_BOUND_WORK`: a deterministic limit, so the same
#: inputs give the same bound; it changes the bound, never the plan. At most `PATTERN_WORK`, by the
#: plan's time limit: none under `PATTERN_MIN_LIMIT_S` (what-if and simulation solves, 3–5 s, dozens
#: per run), `PATTERN_WORK_AT_MIN` at it, `PATTERN_WORK_PER_LIMIT_S` more per second beyond (the
#: what-if notebook, 72 hourly solves of 3 s and its oracle's of 10 s, took 62 s instead of 33 s
#: with 20k per second of every limit); and at most `PATTERN_WORK_PER_WORKLOAD` per placed workload
#: (at least `PATTERN_WORK_AT_MIN`), `POOL_PATTERN_WORK` per pool. Measured (one run each, 60 s
#: limit): the bench fleets' pools converge within 10k nodes each (1,000 × 20 used 156k in all,
#: bound 812.93 at any limit from 150k; 5,000 × 40 lost 0.5 points of gap at 10k per pool, none at
#: 25k); on real catalogs (a generated 1,000 × 20 fleet on the embedded AWS / GCP / Azure prices,
#: 100–619 undominated types per pool, 26–737 pod slots) the lifted LPs rarely converge and barely
#: move the bound (780.3–782.3 $/h from 0 to 1M nodes) while 1M nodes took 4.4 s of a 5.9 s
#: solve; at 150k with 25k per pool it solved in 2.3 s.
PATTERN_WORK = 1_000_000
PATTERN_MIN_LIMIT_S = 10.0
PATTERN_WORK_AT_MIN = 50_000
PATTERN_WORK_PER_LIMIT_S = 20_000
PATTERN_WORK_PER_WORKLOAD = 150
#: ... and for the joint prices of small fleets (`placement.solver.joint_prices`, one LP over every
#: pool): per placed workload, at least `JOINT_WORK_FLOOR`. Measured at a 60 s limit (bench/solve.py
#: generators, seed 7): 100 × 10 on the embedded catalogs 6.9 s at 1M nodes, 3.4 s at 300k, the same
#: bound (113.99); synthetic 100 × 10 the same bound at 300k, 13 % lower at 100k; 20 × 4 embedded
#: 7.9 s / gap 5.5 % at 1M, 2.9 s / 6.8 % at 400k, 1.6 s / 7.1 % at 200k, 1.1 s / 9.9 % at 60k.
JOINT_WORK_PER_WORKLOAD = 3_000
JOINT_WORK_FLOOR = 200_000
POOL_PATTERN_WORK = 25_000


@dataclass(frozen=True, slots=True)
class PoolNodes:
    """One pool's packing and the types its NodePool admits."""

    cluster: Cluster
    capacity_type: str
    packing: Packing
    admitted: tuple[NodeType, ...]


@dataclass(frozen=True, slots=True)
class NodePlan:
    pools: Mapping[Pool, PoolNodes]
    groups: tuple[NodeGroup, ...]
    # (workload, cluster) -> (its share of the pool bills $/h, capacity type -> type hosting most of its pods)
    shares: Mapping[tuple[str, str], tuple[float, dict[str, str]]]

    @property
    def hourly_usd(self) -> float:
        return sum(g.hourly_usd for g in self.groups)

    @property
    def pending(self) -> dict[str, int]:
        """Workload key -> pods no launchable node could take."""
        out: dict[str, int] = {}
        for pool in self.pools.values():
            for key, count in pool.packing.pending.items():
                out[key] = out.get(key, 0) + count
        return out


def pool_groups(scenario: Scenario, assignments: Iterable[Assignment]) -> dict[Pool, list[PodGroup]]:
    """Each pool's pods, grouped by workload."""
    pools: dict[Pool, list[PodGroup]] = {}
    for a in assignments:
        workload = scenario.workload(a.workload)
        for kind, count in ((CapacityType.ON_DEMAND.value, a.on_demand), (CapacityType.SPOT.value, a.spot)):
            if count:
                pools.setdefault((a.cluster, kind), []).append(
                    PodGroup(a.workload, workload.cpu, workload.memory_gib, count, workload.architectures)
                )
    return pools


def plan_nodes(
    scenario: Scenario,
    assignments: Sequence[Assignment],
    node_types: NodeTypes,
    *,
    quick: bool = False,
    hints: bool = False,
) -> NodePlan:
    """Pack every pool of the assignments onto whole nodes (see the module docstring); `quick` tries
    one admitted set per pool and no packing LP (out of time); `hints` also tries the types of the
    pool's packing LP (`HINT_ROUNDS`)."""
    pools: dict[Pool, PoolNodes] = {}
    groups: list[NodeGroup] = []
    usd_by: dict[tuple[str, str], float] = {}
    types_by: dict[tuple[str, str], dict[str, str]] = {}
    for (name, kind), pods in sorted(pool_groups(scenario, assignments).items()):
        cluster = scenario.cluster(name)
        packing, admitted = pool_packing(pods, node_types.of(cluster, kind), quick=quick, hints=hints)
        pools[(name, kind)] = PoolNodes(cluster, kind, packing, admitted)
        groups.extend(node_groups(name, kind, packing, admitted))
        shapes = {g.key: (g.cpu, g.memory_gib) for g in pods}
        for key, usd, by_type in _pod_shares(packing, shapes):
            usd_by[(key, name)] = usd_by.get((key, name), 0.0) + usd
            types_by.setdefault((key, name), {})[kind] = max(by_type, key=lambda t: (by_type[t], t))
    return NodePlan(pools, tuple(groups), {k: (usd, types_by[k]) for k, usd in usd_by.items()})


def pool_packing(
    pods: Sequence[PodGroup], types: Sequence[NodeType], *, quick: bool = False, hints: bool = False
) -> tuple[Packing, tuple[NodeType, ...]]:
    """A pool's cheapest packing found by the Karpenter simulation (`pack_pool`), re-run on what its
    NodePool admits (`_with_substitutes`): the nodes a plan bills, and the types the NodePool lists.
    With `hints`, the types the pool's packing LP runs (`HINT_ROUNDS`) are among the admitted sets tried.

    The LP's own patterns, rounded to whole nodes, pack within 0.1 % of the LP on the bench fleets,
    but no autoscaler or scheduler reproduces them (Karpenter fills its largest admitted type; a
    plain first fit of the pods onto those nodes leaves up to 11 % of them Pending), so they are
    not a bill any cluster pays: they only serve the bound."""
    large = sum(g.count for g in pods) > LARGE_POOL_PODS
    if quick:
        packing, admitted = pack_pool(pods, types, quick=True)
    elif not hints or not HINT_ROUNDS or (large and not _slot_bound(pods, types)):
        packing, admitted = pack_pool(pods, types)
    else:
        used = _lp_types(pods, types)
        # the LP's types together (Karpenter launches the cheapest that holds each claim), and — in
        # pools up to `LARGE_POOL_PODS` — each alone; larger pools get the hint only when slot-bound
        # (cheap-per-slot types beside roomy ones), and only the types together
        together = [tuple(used)] if len(used) > 1 else []
        packing, admitted = pack_pool(pods, types, extra=together + ([] if large else [(t,) for t in used]))
    return _with_substitutes(pods, types, packing, admitted)


def _lp_types(pods: Sequence[PodGroup], types: Sequence[NodeType]) -> list[NodeType]:
    """The types the pool's packing LP runs after `HINT_ROUNDS` rounds, cheapest first."""
    patterns = pool_patterns(merged_shapes(pods), types, max_rounds=HINT_ROUNDS, priced=False)
    if patterns is None:
        return []
    return sorted(
        {t for (t, _), n in zip(patterns.columns, patterns.nodes, strict=True) if n > 1e-6},
        key=lambda t: (t.hourly_usd, t.instance_type),
    )


def _slot_bound(pods: Sequence[PodGroup], types: Sequence[NodeType]) -> bool:
    """Whether the pool's average pod needs less CPU and memory than a median type has per pod slot:
    its nodes fill their pod slots first (tiny pods; AWS's ENI-limited slots)."""
    count = sum(g.count for g in pods)
    if not count or not types:
        return False
    cpu = sum(g.cpu * g.count for g in pods) / count
    memory_gib = sum(g.memory_gib * g.count for g in pods) / count
    per_slot_cpu = float(np.median([t.cpu / t.pods for t in types]))
    per_slot_memory = float(np.median([t.alloc_memory_gib / t.pods for t in types]))
    return cpu < per_slot_cpu and memory_gib < per_slot_memory


def _with_substitutes(
    pods: Sequence[PodGroup], types: Sequence[NodeType], packing: Packing, admitted: tuple[NodeType, ...]
) -> tuple[Packing, tuple[NodeType, ...]]:
    """The packing re-run on what the NodePool will admit — the launched types and their
    `substitutes` — until that set is stable, so the plan pays exactly what the provisioning check
    simulates (never more: a substitute is as roomy and no dearer)."""
    for _ in range(3):
        launched = {n.node_type.instance_type: n.node_type for n in packing.nodes}
        written = {s.instance_type: s for t in launched.values() for s in substitutes(t, types)} | launched
        if set(written) == {t.instance_type for t in admitted} or set(written) == set(launched):
            # nothing to add: as before substitutes, the NodePool admits the launched types
            return packing, admitted
        candidate = tuple(sorted(written.values(), key=lambda t: (t.hourly_usd, t.instance_type)))
        again = provision(pods, candidate)
        if again.pending or again.hourly_usd > packing.hourly_usd + 1e-9:
            break
        packing, admitted = again, candidate
    # not stable (not expected): admit exactly the launched types, as the check will
    launched = {n.node_type.instance_type: n.node_type for n in packing.nodes}
    exact = tuple(sorted(launched.values(), key=lambda t: (t.hourly_usd, t.instance_type)))
    return provision(pods, exact), exact


def node_groups(cluster: str, kind: str, packing: Packing, admitted: Sequence[NodeType] = ()) -> list[NodeGroup]:
    """The packing's nodes as contract `NodeGroup`s, one per instance type, each with the admitted
    types that are `substitutes` for it."""
    by_type: dict[str, list] = {}
    for node in packing.nodes:
        by_type.setdefault(node.node_type.instance_type, []).append(node)
    out = []
    for name, nodes in sorted(by_type.items()):
        t = nodes[0].node_type
        n = len(nodes)
        out.append(
            NodeGroup(
                cluster,
                kind,
                name,
                n,
                n * t.hourly_usd,
                t.vcpus,
                t.memory_gib,
                sum(x.cpu for x in nodes) / (n * t.cpu),
                sum(x.memory_gib for x in nodes) / (n * t.alloc_memory_gib),
                sum(x.pod_count for x in nodes) / (n * t.pods),
                tuple(s.instance_type for s in substitutes(t, admitted) if s.instance_type not in by_type),
            )
        )
    return out


def _pod_shares(
    packing: Packing, shapes: Mapping[str, tuple[float, float]]
) -> Iterable[tuple[str, float, dict[str, int]]]:
    """Per workload: its share of the pool's node bill and pods per instance type."""
    usd: dict[str, float] = {}
    types: dict[str, dict[str, int]] = {}
    for node in packing.nodes:
        t = node.node_type
        # each pod's weight on its node: its dominant share of the node's allocatable
        weights = {key: count * t.share(*shapes[key]) for key, count in node.pods.items()}
        total = sum(weights.values())
        for key, weight in weights.items():
            usd[key] = usd.get(key, 0.0) + t.hourly_usd * weight / total
            types.setdefault(key, {})
            types[key][t.instance_type] = types[key].get(t.instance_type, 0) + node.pods[key]
    for key in sorted(usd):
        yield key, usd[key], types[key]


# -- the node-aware lower bound ---------------------------------------------------------------------


def _simplex_grid(step: int = 20) -> np.ndarray:
    points = [(i, j, step - i - j) for i in range(step + 1) for j in range(step + 1 - i)]
    return np.array(points, dtype=float) / step


_DIRECTIONS = _simplex_grid()


#: Finer grids around the best direction, each `_REFINE_BY` times narrower: the grid's π·demand came
#: within 0–1.5 % of the exact LP's (max π·demand s.t. π·allocatable(t) ≤ price(t)) on the embedded
#: catalogs' pools; two refinements close it to ≈ 0.01 %.
_REFINEMENTS = 2
_REFINE_BY = 10.0


def _local_grid(center: np.ndarray, span: float, step: int = 20) -> np.ndarray:
    """A simplex grid of directions within `span` of `center` (clipped to the simplex)."""
    offsets = (_simplex_grid(step) - 1.0 / 3.0) * 3.0 * span  # centred on 0, sums to 0
    points = np.maximum(center[None, :] + offsets, 0.0)
    return points / points.sum(axis=1, keepdims=True)


def dual_prices(types: Sequence[NodeType], demand: tuple[float, float, float]) -> tuple[float, float, float]:
    """Dual prices π ≥ 0 with π·allocatable(t) ≤ price(t) for every type, chosen to make π·demand large.

    Any direction π̂ ≥ 0 scaled by min_t price(t) / (π̂·allocatable(t)) is feasible, so whatever
    direction is chosen the bound stays valid; the best of a grid over the simplex of directions
    (cores, GiB, pod slots, normalised by the demand) is taken, then the best of two finer grids
    around it — no LP solver needed, within ≈ 0.01 % of the LP's optimum."""
    if not types:
        return (0.0, 0.0, 0.0)
    a = np.array([[t.cpu, t.alloc_memory_gib, t.pods] for t in types], dtype=float)
    b = np.array([t.hourly_usd for t in types], dtype=float)
    d = np.maximum(np.array(demand, dtype=float), 1e-9)
    grid, span = _DIRECTIONS, 1.0
    for _ in range(1 + _REFINEMENTS):
        weights = grid / d  # so each grid point weighs the demand's own proportions
        loads = weights @ a.T  # [direction, type]
        with np.errstate(divide="ignore"):
            scale = np.min(np.where(loads > 0, b / loads, np.inf), axis=1)
        scale = np.where(np.isfinite(scale), scale, 0.0)
        values = (weights @ d) * scale
        best = int(np.argmax(values))
        pi = weights[best] * scale[best] * (1 - 1e-9)
        # the next grid: finer, around the best point (kept on the simplex)
        span /= _REFINE_BY
        grid = _local_grid(grid[best], span)
    return (float(pi[0]), float(pi[1]), float(pi[2]))


def node_bound_usd(
    options: Sequence[WorkloadOptions],
    lower_options: Sequence[WorkloadOptions],
    own_bounds: Mapping[str, float],
    placed: Iterable[str],
    planning: Planning,
) -> float:
    """A lower bound on the node-true objective of placing the `placed` workloads (module docstring).

    Per workload, the larger of two valid bounds of its cheapest placement on dual prices: the
    closed-form relaxation on them, and ρ × its own lower bound on fluid prices (`own_bounds`, with
    every rule of its own), where ρ ≤ 1 is the smallest ratio of dual to fluid cost over all its
    options — every placement's dual cost is at least ρ × its fluid cost. `lower_options` are
    `options` on dual prices (`dual_options`).
    """
    placed = set(placed)
    total = 0.0
    for wo, lower in zip(options, lower_options, strict=True):
        if wo.workload.key not in placed or not wo.options:
            continue
        w = wo.workload
        ratio = 1.0
        for option, priced in zip(wo.options, lower.options, strict=True):
            for fluid_usd, dual_usd in zip(
                replica_costs(option, w.replicas, w.egress_gb_per_hour, planning.risk_aversion),
                replica_costs(priced, w.replicas, w.egress_gb_per_hour, planning.risk_aversion),
                strict=True,
            ):
                if fluid_usd and dual_usd is not None:
                    ratio = min(ratio, dual_usd / fluid_usd)
        own = 0.0 if w.egress_gb_per_hour else ratio * own_bounds.get(w.key, 0.0)
        total += max(lower_bound_usd(lower, planning), own)
    return total


def pattern_work(
    time_limit_s: float,
    workloads: int | None = None,
    *,
    per_workload: int = PATTERN_WORK_PER_WORKLOAD,
    floor: int = PATTERN_WORK_AT_MIN,
) -> int:
    """Knapsack search nodes the node-aware bound may spend under a plan's time limit, for a fleet
    placing `workloads` (deterministic; see `PATTERN_WORK`)."""
    if time_limit_s < PATTERN_MIN_LIMIT_S:
        return 0
    more = PATTERN_WORK_PER_LIMIT_S * (time_limit_s - PATTERN_MIN_LIMIT_S)
    by_limit = min(PATTERN_WORK, PATTERN_WORK_AT_MIN + more)
    if workloads is not None:
        by_limit = min(by_limit, max(floor, per_workload * workloads))
    return int(by_limit)


def dual_options(
    options: Sequence[WorkloadOptions],
    node_types: NodeTypes,
    pods: Mapping[Pool, Sequence[PodGroup]],
    *,
    patterns: bool = True,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    work_limit: int = PATTERN_WORK,
    given: Mapping[Pool, Mapping[tuple[float, float, tuple[str, ...]], float]] | None = None,
) -> list[WorkloadOptions]:
    """The workloads' options on valid lower-bound replica prices: the allocation model on these
    prices bounds every node-true plan from below, with all its rules.

    Per pool, whichever of two valid price vectors is worth more on the plan's own pods there: the
    per-resource dual prices π (`dual_prices`, π·requests) or, with `patterns`, the packing LP's
    per-shape prices (`placement.solver.patterns`), computed over every shape that could come to
    the pool (its demand in the plan, or a token demand), largest pools first until `deadline`
    (`clock()` time). Each pool's bill is bounded by its own vector, so the choice is free per pool:
    `given` valid prices per pool and shape (`placement.solver.joint_prices`) replace both."""
    universe: dict[Pool, dict[tuple[float, float, tuple[str, ...]], int]] = {}
    for wo in options:
        w = wo.workload
        shape = (w.cpu, w.memory_gib, tuple(sorted(w.architectures)))
        for option in wo.options:
            for kind, price in ((CapacityType.ON_DEMAND, option.on_demand), (CapacityType.SPOT, option.spot)):
                if price is not None:
                    universe.setdefault((option.cluster.name, kind.value), {}).setdefault(shape, 0)
    clusters = {o.cluster.name: o.cluster for wo in options for o in wo.options}
    prices: dict[Pool, dict[tuple[float, float, tuple[str, ...]], float]] = {}
    worth: dict[Pool, float] = {}
    for pool, shapes in sorted(universe.items()):
        for g in pods.get(pool, ()):
            key = (g.cpu, g.memory_gib, tuple(sorted(g.arches)))
            shapes[key] = shapes.get(key, 0) + g.count
        types = node_types.of(clusters[pool[0]], pool[1])
        cores = sum(c * n for (c, _, _), n in shapes.items())
        gib = sum(m * n for (_, m, _), n in shapes.items())
        count = sum(shapes.values())
        pi = dual_prices(types, (cores, gib, float(count)) if count else _unit_demand(shapes))
        prices[pool] = {key: pi[0] * key[0] + pi[1] * key[1] + pi[2] for key in shapes}
        worth[pool] = sum(prices[pool][k] * n for k, n in shapes.items())
    work = 0
    for pool, by_shape in (given or {}).items():
        if pool in prices:
            prices[pool] = {key: by_shape.get(key, 0.0) for key in prices[pool]}
            worth[pool] = 0.0  # no packing LP of its own
    for pool in sorted(worth, key=lambda p: (-worth[p], p)) if patterns else ():
        if not worth[pool] or work >= work_limit or (deadline is not None and clock() > deadline):
            break
        shapes, by_pi = universe[pool], prices[pool]
        lp = pool_patterns(
            [PodGroup("", c, m, n, a) for (c, m, a), n in shapes.items()],
            node_types.of(clusters[pool[0]], pool[1]),
            nominal_usd=[by_pi[k] for k in shapes],
            deadline=deadline,
            clock=clock,
            work_limit=min(POOL_PATTERN_WORK, work_limit - work),
        )
        work += lp.work if lp is not None else 0
        if lp is not None and lp.bound_usd > worth[pool]:
            by_lp = {
                (g.cpu, g.memory_gib, tuple(sorted(g.arches))): y for g, y in zip(lp.shapes, lp.prices_usd, strict=True)
            }
            prices[pool] = {key: by_lp.get(key, 0.0) for key in shapes}
    # Options are shared between workloads of one shape and rules (`placement.solver.candidates`):
    # price each shared option once.
    seen: dict[int, ClusterOption] = {}
    out = []
    for wo in options:
        w = wo.workload
        shape = (w.cpu, w.memory_gib, tuple(sorted(w.architectures)))
        priced = []
        for option in wo.options:
            lower = seen.get(id(option))
            if lower is None:
                lower = seen[id(option)] = replace(
                    option,
                    on_demand=_bound_price(option.on_demand, prices.get((option.cluster.name, "on-demand")), shape),
                    spot=_bound_price(option.spot, prices.get((option.cluster.name, "spot")), shape),
                )
            priced.append(lower)
        out.append(replace(wo, workload=without_egress(w), options=tuple(priced)))
    return out


def _unit_demand(shapes: Mapping[tuple[float, float, tuple[str, ...]], int]) -> tuple[float, float, float]:
    """A demand direction for a pool the plan leaves empty: one pod of each shape that could come."""
    return (sum(c for c, _, _ in shapes), sum(m for _, m, _ in shapes), float(len(shapes)))


def _bound_price(
    price: ReplicaPrice | None,
    lower_usd: Mapping[tuple[float, float, tuple[str, ...]], float] | None,
    shape: tuple[float, float, tuple[str, ...]],
) -> ReplicaPrice | None:
    """The replica price `lower_usd[shape]` in place of `price`, with the spot risk the plan charges:
    risk aversion × rate × the fluid price (`placement.solver.plan_costs`), not × the lower price —
    the rate is scaled so that `replica_costs` gives y + risk aversion × rate × p."""
    if price is None or lower_usd is None:
        return None
    y = lower_usd[shape]
    if y <= 0:  # nothing to scale: a free replica, and no risk charged (still a lower bound)
        return ReplicaPrice(0.0, price.instance_type, 0.0)
    return ReplicaPrice(y, price.instance_type, price.interruption_rate * price.hourly_usd / y)
