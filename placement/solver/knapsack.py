"""The knapsack of one node: the most a multiset of pod shapes can be worth on one node of a type.

Pods of several shapes (CPU, memory, one pod slot each) with a value each; one node of a type with
its allocatable room. `best_pattern` searches the integer knapsack by branch and bound and returns
the best pattern found and an upper bound of the best value — exact when the search finishes, and
still valid when it is cut off: then the LP relaxation bounds it (`lp_knapsack_bound`: three
resources, so its dual has three variables and is solved by enumerating vertices), and only where
that is not tight enough a ten times longer search and then CP-SAT. `Knapsacks` memoises the answers
of one pool and counts the work (search nodes) against a deterministic limit; `greedy_pattern` is
the fast fill used to price columns first.

Used by the pool's packing LP (`placement.solver.patterns`) to generate columns and to check that
per-shape prices are valid. Pure; numpy, and CP-SAT only for the last resort bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from placement.solver.node_types import NodeType
from placement.solver.packing import PodGroup

_EPS = 1e-9
#: Branch-and-bound nodes per knapsack before its bound is taken as it stands (still valid).
KNAPSACK_NODES = 1500
#: CP-SAT's deterministic time (≈ seconds, but the same on every run, so plans are reproducible)
#: for bounding one knapsack whose search was cut off twice; its bound is valid whenever it stops.
KNAPSACK_BOUND_DETERMINISTIC = 0.2
#: A search node with more children than this bounds them in one vectorised step (measured: a
#: 300-workload fleet of tiny pods on 110–737 pod slots spent 16 s in one knapsack bound call per child).
BATCHED_CHILDREN = 24
#: The knapsack's LP relaxation (`lp_knapsack_bound`) counted as this many search nodes of work
#: (about as long, measured: ≈ 0.3 ms for 30 shapes).
LP_BOUND_WORK = 100


def capacity_alone(t: NodeType, cpu: float, memory_gib: float) -> int:
    """How many pods of one shape fit a node of `t` alone."""
    n = t.pods
    if cpu > 0:
        n = min(n, math.floor(t.cpu / cpu + _EPS))
    if memory_gib > 0:
        n = min(n, math.floor(t.alloc_memory_gib / memory_gib + _EPS))
    return max(n, 0)


class Knapsacks:
    """Exact knapsack results of one pool, memoised per (type, prices): the last pricing round and
    the validity check ask the same questions."""

    def __init__(
        self,
        types: Sequence[NodeType],
        shapes: Sequence[PodGroup],
        fits: Sequence[Sequence[bool]],
        work_limit: float = math.inf,
        work: list[int] | None = None,
    ) -> None:
        self.types, self.shapes, self.fits = types, shapes, fits
        # search nodes visited (a deterministic measure of the effort), shared with other pools if given
        self.work = [0] if work is None else work
        self.work_limit = work_limit  # beyond it no more searches: nothing found, nothing bounded
        self._memo: dict[tuple[int, bytes], tuple[float, tuple[int, ...], float]] = {}

    def best(
        self, i: int, y: np.ndarray, covers: np.ndarray, enough: float = math.inf, settle: float = 0.0
    ) -> tuple[float, tuple[int, ...], float]:
        """The knapsack of type i at prices y; with `enough`, the first pattern worth more will do
        (such a result is not kept: its bound is unknown); with `settle`, an upper bound no higher
        is tight enough (no longer search for a better one)."""
        key = (i, y.tobytes())
        found = self._memo.get(key)
        out_of_work = self.work[0] >= self.work_limit
        if found is not None and found[2] > max(settle, found[0] * (1 + 1e-9)) and enough == math.inf:
            # kept from a search that settled for a looser bound: search again if work is left
            found = found if out_of_work else None
        if found is None and out_of_work:
            # no search left: no pattern; where a bound is wanted, the knapsack's LP relaxation (< 1 ms)
            return 0.0, tuple(0 for _ in self.shapes), self.relaxed(i, y) if enough == math.inf else math.inf
        if found is None:
            found = best_pattern(
                self.types[i],
                self.shapes,
                y,
                self.fits[i],
                KNAPSACK_NODES,
                [tuple(c) for c in covers],
                enough,
                self.work,
                settle,
            )
            if found[2] < math.inf:
                self._memo[key] = found
        return found

    def relaxed(self, i: int, y: np.ndarray) -> float:
        """The LP relaxation of type i's knapsack at prices y (`lp_knapsack_bound`)."""
        t = self.types[i]
        held = [
            j
            for j, s in enumerate(self.shapes)
            if self.fits[i][j] and y[j] > 0 and capacity_alone(t, s.cpu, s.memory_gib) > 0
        ]
        if not held:
            return 0.0
        return lp_knapsack_bound(
            (t.cpu, t.alloc_memory_gib, t.pods),
            [self.shapes[j].cpu for j in held],
            [self.shapes[j].memory_gib for j in held],
            [float(y[j]) for j in held],
        )


def best_pattern(
    t: NodeType,
    shapes: Sequence[PodGroup],
    values: Sequence[float],
    fits: Sequence[bool],
    node_cap: int,
    resource_prices: Sequence[tuple[float, float, float]] = (),
    enough: float = math.inf,
    work: list[int] | None = None,
    settle: float = 0.0,
) -> tuple[float, tuple[int, ...], float]:
    """Integer knapsack on one node of `t`: the best pattern found, its value, and an upper bound of
    the best value (exact when the search finished within `node_cap` nodes). `resource_prices`:
    (per core, per GiB, per pod slot) prices that cover every shape's value, each bounding what
    any room can still hold (`_resource_prices`). The search stops at the first pattern worth more
    than `enough` (its upper bound is then unknown: infinite). A search cut off is bounded by the
    knapsack's LP relaxation (`lp_knapsack_bound`); only when that is above `settle` (and no more
    than a bound is wanted: `enough` infinite) is a ten times longer search spent, then CP-SAT."""
    items = [
        i
        for i in range(len(shapes))
        if fits[i] and values[i] > 0 and capacity_alone(t, shapes[i].cpu, shapes[i].memory_gib) > 0
    ]
    if not items:
        return 0.0, tuple(0 for _ in shapes), 0.0
    # densest first: value per dominant share of the node
    items.sort(key=lambda i: -values[i] / t.share(shapes[i].cpu, shapes[i].memory_gib))
    cpu = [shapes[i].cpu for i in items]
    mem = [shapes[i].memory_gib for i in items]
    val = [values[i] for i in items]
    n = len(items)
    # suffix maxima of value per unit of each resource: value + Σ_dim ratio × room bounds what is left
    per_cpu = [0.0] * (n + 1)
    per_mem = [0.0] * (n + 1)
    per_pod = [0.0] * (n + 1)
    # and per unit of a surrogate resource (the sum of the shares of the node each pod takes)
    per_share = [0.0] * (n + 1)
    share = [c / t.cpu + m / t.alloc_memory_gib + 1 / t.pods for c, m in zip(cpu, mem, strict=True)]
    for k in range(n - 1, -1, -1):
        per_cpu[k] = max(per_cpu[k + 1], val[k] / cpu[k] if cpu[k] > 0 else math.inf)
        per_mem[k] = max(per_mem[k + 1], val[k] / mem[k] if mem[k] > 0 else math.inf)
        per_pod[k] = max(per_pod[k + 1], val[k])
        per_share[k] = max(per_share[k + 1], val[k] / share[k])

    def room(ratio: float, left: float) -> float:
        return ratio * left if left > 0 else (math.inf if ratio == math.inf else 0.0)

    covers = sorted(resource_prices, key=lambda p: p[0] * t.cpu + p[1] * t.alloc_memory_gib + p[2] * t.pods)[:3]
    inv_cpu, inv_mem, inv_pods = 1 / t.cpu, 1 / t.alloc_memory_gib, 1 / t.pods

    def bound(k: int, rc: float, rm: float, rp: int) -> float:
        rc = rc if rc > 0 else 0.0
        rm = rm if rm > 0 else 0.0
        best = min(room(per_cpu[k], rc), room(per_mem[k], rm), rp * per_pod[k])
        surrogate = (rc * inv_cpu + rm * inv_mem + rp * inv_pods) * per_share[k]
        if surrogate < best:
            best = surrogate
        for a, b, c in covers:
            cover = a * rc + b * rm + c * rp
            if cover < best:
                best = cover
        return best

    def bounds(k: int, rc: np.ndarray, rm: np.ndarray, rp: np.ndarray) -> np.ndarray:
        """`bound` for many rooms at once (the same arithmetic, element by element)."""
        rc = np.where(rc > 0, rc, 0.0)
        rm = np.where(rm > 0, rm, 0.0)
        with np.errstate(invalid="ignore"):
            by_cpu = np.where(rc > 0, per_cpu[k] * rc, math.inf if per_cpu[k] == math.inf else 0.0)
            by_mem = np.where(rm > 0, per_mem[k] * rm, math.inf if per_mem[k] == math.inf else 0.0)
        best = np.minimum(np.minimum(by_cpu, by_mem), rp * per_pod[k])
        best = np.minimum(best, (rc * inv_cpu + rm * inv_mem + rp * inv_pods) * per_share[k])
        for a, b, c in covers:
            best = np.minimum(best, a * rc + b * rm + c * rp)
        return best

    best_value = 0.0
    best = [0] * n
    chosen = [0] * n
    open_bound = 0.0  # the largest bound of subtrees left unexplored at the cut-off
    visited = 0  # search nodes expanded (the work counted)
    cap = node_cap
    found_enough = False

    def search(k: int, rc: float, rm: float, rp: int, value: float, limit: float | None = None) -> None:
        nonlocal best_value, best, open_bound, visited, found_enough
        if value > best_value:
            best_value, best = value, chosen[:k] + [0] * (n - k)
            if value > enough:
                found_enough = True  # stop
                return
        if k == n or rp <= 0 or found_enough:
            return
        if limit is None:
            limit = value + bound(k, rc, rm, rp)
        if limit <= best_value * (1 + 1e-12):
            return
        visited += 1
        if visited > cap:
            open_bound = max(open_bound, limit)
            return
        most = rp
        if cpu[k] > 0:
            most = min(most, math.floor(rc / cpu[k] + _EPS))
        if mem[k] > 0:
            most = min(most, math.floor(rm / mem[k] + _EPS))
        if k + 1 == n:  # the children are leaves, worth less the fewer pods: only the first can count
            q = max(most, 0)
            chosen[k] = q
            search(n, rc - q * cpu[k], rm - q * mem[k], rp - q, value + q * val[k])
        elif most <= BATCHED_CHILDREN:
            for q in range(max(most, 0), -1, -1):
                chosen[k] = q
                search(k + 1, rc - q * cpu[k], rm - q * mem[k], rp - q, value + q * val[k])
        else:
            # Many children (small pods on a large node): their bounds at once, and a call only for
            # those a search would not drop at its first look — the same search, far fewer calls.
            counts = np.arange(most, -1, -1)
            rcs, rms, rps = rc - counts * cpu[k], rm - counts * mem[k], rp - counts
            values = value + counts * val[k]
            limits = values + bounds(k + 1, rcs, rms, rps)
            for q, child_rc, child_rm, child_rp, child_value, child_limit in zip(
                counts.tolist(), rcs.tolist(), rms.tolist(), rps.tolist(), values.tolist(), limits.tolist(), strict=True
            ):
                if child_rp > 0 and child_value <= best_value and child_limit <= best_value * (1 + 1e-12):
                    continue  # the child would return at once
                chosen[k] = q
                search(k + 1, child_rc, child_rm, child_rp, child_value, child_limit if child_rp > 0 else None)
        chosen[k] = 0

    def pattern_of(counts: list[int]) -> list[int]:
        pattern = [0] * len(shapes)
        for slot, i in enumerate(items):
            pattern[i] = counts[slot]
        return pattern

    if enough < math.inf:  # pricing: no search where even the LP relaxation is worth no more than `enough`
        relaxed = lp_knapsack_bound((t.cpu, t.alloc_memory_gib, t.pods), cpu, mem, val)
        if work is not None:
            work[0] += LP_BOUND_WORK
        if relaxed <= enough:
            return 0.0, tuple(0 for _ in shapes), relaxed
    search(0, t.cpu, t.alloc_memory_gib, t.pods, 0.0)
    upper = best_value
    if open_bound > best_value * (1 + 1e-9) and best_value <= enough:  # cut off: the LP relaxation bounds the rest
        upper = max(best_value, min(open_bound, lp_knapsack_bound((t.cpu, t.alloc_memory_gib, t.pods), cpu, mem, val)))
        if work is not None:
            work[0] += LP_BOUND_WORK
        if upper > max(settle, best_value * (1 + 1e-9)) and enough == math.inf:
            # a tighter bound wanted: ten times longer, then CP-SAT bounds what is still open
            if work is not None:
                work[0] += visited
            cap, visited, open_bound = 10 * node_cap, 0, 0.0
            search(0, t.cpu, t.alloc_memory_gib, t.pods, 0.0)
            upper = max(best_value, min(upper, open_bound)) if open_bound else best_value
            if upper > best_value * (1 + 1e-9):
                upper = min(upper, _knapsack_bound(t, cpu, mem, val))
    if work is not None:
        work[0] += visited
    pattern = [0] * len(shapes)
    for slot, i in enumerate(items):
        pattern[i] = best[slot]
    if best_value > enough:
        return best_value, tuple(pattern), math.inf
    return best_value, tuple(pattern), max(best_value, upper)


def lp_knapsack_bound(
    room: tuple[float, float, float], cpu: Sequence[float], mem: Sequence[float], val: Sequence[float]
) -> float:
    """The LP relaxation of the knapsack on one node's `room` (cores, GiB, pod slots): an upper bound
    of any pattern's value, exact in the limit of many small pods (large nodes). By its dual,
    min λ·room over λ ≥ 0 with λ·(cpu, mem, 1) ≥ val for every shape: three variables, so the
    optimum is a vertex where three of these rows are tight — every triple is solved at once
    (Cramer's rule). The best λ is scaled up to cover every row exactly, so rounding never makes the
    bound invalid. Shapes whose row another implies (no smaller in any resource, worth no more) are
    dropped first."""
    shapes = np.column_stack([cpu, mem, np.ones(len(val))])
    worth = np.asarray(val, dtype=float)
    implied = ((shapes[None, :, :] <= shapes[:, None, :]).all(axis=2) & (worth[None, :] >= worth[:, None])).copy()
    np.fill_diagonal(implied, False)
    same = (shapes[None, :, :] == shapes[:, None, :]).all(axis=2) & (worth[None, :] == worth[:, None])
    implied &= ~np.triu(same)  # of identical rows keep the first
    kept = ~implied.any(axis=1)
    rows = np.vstack([shapes[kept], np.eye(3)])  # tight shape rows, then λ_k ≥ 0
    rhs = np.concatenate([worth[kept], np.zeros(3)])
    picks = _triples(len(rows))
    a, b, c = rows[picks[:, 0]], rows[picks[:, 1]], rows[picks[:, 2]]  # [triple, 3]
    bc, ca, ab = np.cross(b, c), np.cross(c, a), np.cross(a, b)
    det = (a * bc).sum(axis=1)
    ok = np.abs(det) > 1e-12
    if not ok.any():
        return math.inf
    lam = (
        rhs[picks[ok, 0], None] * bc[ok] + rhs[picks[ok, 1], None] * ca[ok] + rhs[picks[ok, 2], None] * ab[ok]
    ) / det[ok, None]
    covered = (lam >= -1e-12).all(axis=1) & (lam @ shapes.T >= worth * (1 - 1e-9) - 1e-12).all(axis=1)
    if not covered.any():
        return math.inf
    lam = np.maximum(lam[covered], 0.0)
    best = lam[int(np.argmin(lam @ np.asarray(room)))]
    load = shapes @ best
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(worth > 0, np.where(load > 0, worth / load, np.inf), 0.0).max(initial=1.0)
    return float(best @ np.asarray(room) * max(need, 1.0))


_TRIPLES: dict[int, np.ndarray] = {}


def _triples(n: int) -> np.ndarray:
    """Every 3 of n indices, as an array [triple, 3] (kept per n)."""
    found = _TRIPLES.get(n)
    if found is None:
        from itertools import combinations

        found = _TRIPLES[n] = np.array(list(combinations(range(n), 3)), dtype=np.intp).reshape(-1, 3)
    return found


def _knapsack_bound(t: NodeType, cpu: Sequence[float], mem: Sequence[float], val: Sequence[float]) -> float:
    """An upper bound of the knapsack by CP-SAT, for the searches cut off: integer weights rounded
    down, room and values rounded up, so every pattern that fits is still feasible and worth no less."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    scale = 1e6 / max(val)
    counts = [model.NewIntVar(0, min(t.pods, *(math.floor(t.cpu / c + _EPS) for c in (x,) if c > 0)), "") for x in cpu]
    model.Add(sum(q * math.floor(c * 1000) for q, c in zip(counts, cpu, strict=True)) <= math.ceil(t.cpu * 1000))
    model.Add(
        sum(q * math.floor(m * 1024) for q, m in zip(counts, mem, strict=True)) <= math.ceil(t.alloc_memory_gib * 1024)
    )
    model.Add(sum(counts) <= t.pods)
    model.Maximize(sum(q * math.ceil(v * scale) for q, v in zip(counts, val, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = KNAPSACK_BOUND_DETERMINISTIC
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return math.inf
    return solver.BestObjectiveBound() / scale


def greedy_pattern(
    t: NodeType, shapes: Sequence[PodGroup], values: Sequence[float], fits: Sequence[bool]
) -> tuple[float, tuple[int, ...]]:
    """A good pattern on one node of `t`, fast: densest shapes first, as many as fit."""
    order = sorted(
        (i for i in range(len(shapes)) if fits[i] and values[i] > 0),
        key=lambda i: -values[i] / t.share(shapes[i].cpu, shapes[i].memory_gib),
    )
    cpu, memory, pods = t.cpu, t.alloc_memory_gib, t.pods
    pattern = [0] * len(shapes)
    value = 0.0
    for i in order:
        s = shapes[i]
        n = pods
        if s.cpu > 0:
            n = min(n, math.floor(cpu / s.cpu + _EPS))
        if s.memory_gib > 0:
            n = min(n, math.floor(memory / s.memory_gib + _EPS))
        if n > 0:
            pattern[i] = n
            value += n * values[i]
            cpu -= n * s.cpu
            memory -= n * s.memory_gib
            pods -= n
    return value, tuple(pattern)
