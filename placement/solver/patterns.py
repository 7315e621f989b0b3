"""Node patterns of one pool: the bin-packing LP (Gilmore–Gomory), valid per-shape prices, and a packing.

A *pattern* is a multiset of pod shapes that fits one node of one type (CPU, memory and pod slots of
its allocatable). The pool's packing LP chooses how many nodes of each pattern to run so that every
shape's pods are covered at least cost:

    min Σ_p price(p) λ_p   s.t.   Σ_p a[p, s] λ_p ≥ demand(s),  λ ≥ 0.

Its columns are generated (`best_pattern`, an integer knapsack per type priced at the LP's duals).
Two things come out:

- **Prices** y ≥ 0 per shape with Σ_s a[s] y_s ≤ price(t) for *every* pattern a that fits a type t.
  Any set of nodes holding pods of counts n then costs at least Σ_s n_s y_s (each node's price covers
  the prices of the pods it holds), whatever the allocation — so y are valid replica prices for the
  node-aware bound, and they see what per-core prices cannot: two 4-core pods never share an
  8-vCPU node whose allocatable is 7.71 cores. For the bound, y are *lifted* above given valid
  prices (per-resource duals) rather than taken from the LP's duals (`_lifted_prices`). Validity
  does not rest on convergence: the final prices are scaled by min_t price(t) / (an upper bound of
  the best pattern's value on t), from a branch and bound whose cut-off keeps its bound valid.
- **The LP's nodes** (λ per pattern): which types pack this pool well — tried as admitted sets by
  the Karpenter simulation (`placement.solver.node_plan`). The patterns themselves are not a
  packing any autoscaler reproduces, so the plan never bills them.

Pure; numpy, OR-Tools' GLOP for the LPs. A knapsack search cut off is bounded by its LP relaxation
(`lp_knapsack_bound`, exact and ≈ 0.3 ms), and only where that is not tight enough by a longer search
and then CP-SAT.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from placement.solver.node_types import NodeType, undominated
from placement.solver.packing import PodGroup

_EPS = 1e-9
_IMPROVES = 1e-6  # relative: a column must beat its type's price by this much to enter
#: Branch-and-bound nodes per knapsack before its bound is taken as it stands (still valid).
KNAPSACK_NODES = 1500
#: CP-SAT's deterministic time (≈ seconds, but the same on every run, so plans are reproducible)
#: for bounding one knapsack whose search was cut off twice; its bound is valid whenever it stops.
KNAPSACK_BOUND_DETERMINISTIC = 0.2
#: Column-generation rounds per pool, and types priced exactly per round (the most promising first).
MAX_ROUNDS = 40
TYPES_PER_ROUND = 6
#: Types whose knapsack is solved exactly per round when the greedy fill finds no column; and at
#: most this many in the final validity check (the others are bounded by resource prices).
EXACT_PER_ROUND = 8
#: The knapsack's LP relaxation (`lp_knapsack_bound`) counted as this many search nodes of work
#: (about as long, measured: ≈ 0.3 ms for 30 shapes).
LP_BOUND_WORK = 100
EXACT_CHECKS = 40
#: Demand given to shapes the pool could take but does not hold (so they get a marginal price, not 0).
ABSENT_DEMAND = 1e-3
#: Weight of every shape, as a share of the mean demand, when prices are lifted above nominal ones.
LIFT_WEIGHT = 5.0


@dataclass(frozen=True, slots=True)
class PoolPatterns:
    """The packing LP of one pool: valid prices per shape, its value at them, and the LP's columns."""

    shapes: tuple[PodGroup, ...]  # demand in `count` (absent shapes: 0)
    prices_usd: tuple[float, ...]  # y per shape, valid for every pattern of every type
    bound_usd: float  # Σ demand × y: a lower bound of any node bill holding the demand
    columns: tuple[tuple[NodeType, tuple[int, ...]], ...]
    nodes: tuple[float, ...]  # λ per column in the last LP
    converged: bool  # no pattern left that improves the LP, and no scaling was needed
    work: int = 0  # knapsack search nodes visited (deterministic effort)


class _Master:
    """The packing LP over the columns so far: min Σ price·λ s.t. Σ a·λ ≥ demand, λ ≥ 0 — one GLOP
    model, a variable per column added as they come (it re-solves from its last basis)."""

    def __init__(self, demand: np.ndarray) -> None:
        from ortools.linear_solver import pywraplp

        self._ok = pywraplp.Solver.OPTIMAL
        self._solver = pywraplp.Solver.CreateSolver("GLOP")
        self._rows = [self._solver.Constraint(float(d), self._solver.infinity()) for d in demand]
        self._objective = self._solver.Objective()
        self._objective.SetMinimization()
        self._columns: list = []

    def add(self, columns: Sequence[tuple[int, tuple[int, ...]]], price: np.ndarray) -> None:
        for i, pattern in columns[len(self._columns) :]:
            var = self._solver.NumVar(0.0, self._solver.infinity(), "")
            self._objective.SetCoefficient(var, float(price[i]))
            for row, count in zip(self._rows, pattern, strict=True):
                if count:
                    row.SetCoefficient(var, float(count))
            self._columns.append(var)

    def solve(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(λ per column, dual price ≥ 0 per shape), or None."""
        if self._solver.Solve() != self._ok:
            return None
        return (
            np.array([v.solution_value() for v in self._columns]),
            np.array([abs(r.dual_value()) for r in self._rows]),
        )


def _capacity(t: NodeType, cpu: float, memory_gib: float) -> int:
    """How many pods of one shape fit a node of `t` alone."""
    n = t.pods
    if cpu > 0:
        n = min(n, math.floor(t.cpu / cpu + _EPS))
    if memory_gib > 0:
        n = min(n, math.floor(t.alloc_memory_gib / memory_gib + _EPS))
    return max(n, 0)


class _Knapsacks:
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
            return 0.0, tuple(0 for _ in self.shapes), math.inf
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


class PoolColumns:
    """One pool's column generation, for a master LP held here (`pool_patterns`) or elsewhere
    (`placement.solver.joint_prices`): its undominated types, the shapes some type holds, the columns
    so far (each shape alone on its three cheapest types per pod to start), new columns priced at
    given duals, and valid prices from any y. `work_limit` caps the knapsack search nodes, counted
    in `work` (a one-item list) when pools share one budget."""

    def __init__(
        self,
        shapes: Sequence[PodGroup],
        types: Sequence[NodeType],
        work_limit: float = math.inf,
        work: list[int] | None = None,
    ) -> None:
        self.types = types = undominated(types)
        self.shapes = shapes = [
            s for s in shapes if any(t.arch in s.arches and t.holds(s.cpu, s.memory_gib) for t in types)
        ]
        fits = [[t.arch in s.arches and t.holds(s.cpu, s.memory_gib) for s in shapes] for t in types]
        self.price = price = np.array([t.hourly_usd for t in types])
        self.arrays = (
            np.array(fits, dtype=bool).reshape(len(types), len(shapes)),  # [type, shape]
            np.array([s.cpu for s in shapes]),
            np.array([s.memory_gib for s in shapes]),
            np.array([t.cpu for t in types]),
            np.array([t.alloc_memory_gib for t in types]),
            np.array([t.pods for t in types], dtype=float),
            price,
        )
        self.knapsacks = _Knapsacks(types, shapes, fits, work_limit, work)
        self.columns: list[tuple[int, tuple[int, ...]]] = []
        for j, s in enumerate(shapes):
            alone = sorted(
                (price[i] / _capacity(t, s.cpu, s.memory_gib), i) for i, t in enumerate(types) if fits[i][j]
            )[:3]
            for _, i in alone:
                pattern = [0] * len(shapes)
                pattern[j] = _capacity(types[i], s.cpu, s.memory_gib)
                self.columns.append((i, tuple(pattern)))
        self.seen = set(self.columns)

    def add_columns(self, y: np.ndarray, *, exact: bool = True) -> int:
        """Patterns worth more than their type's price at shape prices y, appended to `columns`."""
        return _add_columns(y, self.columns, self.seen, self.knapsacks, self.arrays, exact=exact)

    def valid(self, y: np.ndarray, least_scale: float = 0.0) -> tuple[np.ndarray, float] | None:
        """y scaled so that no pattern of any type is worth more than the type's price (a bound that
        holds whether or not the column generation converged), and the scale (1: y were valid).
        None as soon as the scale is known to be below `least_scale` (the scaled prices would be
        worth less than the caller's alternative: no need to finish the knapsacks)."""
        scale = 1.0
        promising, covers, quick = _promising(y, *self.arrays)
        for rank, i in enumerate(promising):
            upper = float(quick[i])  # resource-price bound; the knapsack's when it is searched and tighter
            if rank < EXACT_CHECKS and self.price[i] / upper < scale:
                if least_scale > 0:  # a pattern worth more than this makes the scale too small: stop at it
                    found, _, _ = self.knapsacks.best(i, y, covers, enough=self.price[i] / least_scale)
                    if found > self.price[i] / least_scale:
                        return None
                # a bound that leaves the scale as it is needs no tightening
                upper = min(upper, self.knapsacks.best(i, y, covers, settle=self.price[i] / scale)[2])
            if upper > self.price[i]:
                scale = min(scale, self.price[i] / upper)
                if scale < least_scale:
                    return None
        return y * scale * (1 - 1e-9), scale


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
        if fits[i] and values[i] > 0 and _capacity(t, shapes[i].cpu, shapes[i].memory_gib) > 0
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

    best_value = 0.0
    best = [0] * n
    chosen = [0] * n
    open_bound = 0.0  # the largest bound of subtrees left unexplored at the cut-off
    visited = 0  # search nodes expanded (the work counted)
    cap = node_cap
    found_enough = False

    def search(k: int, rc: float, rm: float, rp: int, value: float) -> None:
        nonlocal best_value, best, open_bound, visited, found_enough
        if value > best_value:
            best_value, best = value, chosen[:k] + [0] * (n - k)
            if value > enough:
                found_enough = True  # stop
                return
        if k == n or rp <= 0 or found_enough:
            return
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
        for q in range(max(most, 0), -1, -1):
            chosen[k] = q
            search(k + 1, rc - q * cpu[k], rm - q * mem[k], rp - q, value + q * val[k])
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


def pool_patterns(
    shapes: Sequence[PodGroup],
    types: Sequence[NodeType],
    *,
    max_rounds: int = MAX_ROUNDS,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    nominal_usd: Sequence[float] | None = None,
    priced: bool = True,
    work_limit: float = math.inf,
) -> PoolPatterns | None:
    """The packing LP of a pool holding `shapes` (their `count` is the demand; 0 = could come here),
    by column generation; None when no shape fits any type.

    `nominal_usd`: valid prices per shape to lift (see `_lifted_prices`) instead of the LP's own
    duals. `priced=False`: only the LP's nodes are wanted (a hint of which types pack well): no
    validity check of the prices (`prices_usd` and `bound_usd` are then not a bound). `work_limit`:
    knapsack search nodes to spend at most (deterministic); past it, resource-price bounds only."""
    pool = PoolColumns(shapes, types, work_limit)
    if not pool.shapes:
        return None
    shapes_index = {id(s): i for i, s in enumerate(shapes)}
    shapes = pool.shapes
    demand = np.array([s.count if s.count > 0 else ABSENT_DEMAND for s in shapes], dtype=float)
    columns, seen, knapsacks, arrays, price = pool.columns, pool.seen, pool.knapsacks, pool.arrays, pool.price
    y = np.zeros(len(shapes))
    lam = np.zeros(len(columns))
    converged = False
    master = _Master(demand)
    for _ in range(max_rounds if nominal_usd is None else 0):
        master.add(columns, price)
        solved = master.solve()
        if solved is None:
            break
        lam, y = solved
        if not _add_columns(y, columns, seen, knapsacks, arrays, exact=priced):
            converged = True
            break
        if deadline is not None and clock() > deadline:
            break
    if nominal_usd is not None:
        nominal = np.array([nominal_usd[shapes_index[id(s)]] for s in shapes])
        real = np.array([s.count for s in shapes], dtype=float)
        weights = real + LIFT_WEIGHT * max(real.mean(), 1.0)
        y = _lifted_prices(nominal, weights, columns, seen, knapsacks, arrays, max_rounds, deadline, clock)
    real = np.array([s.count for s in shapes], dtype=float)
    if not priced:
        prices, scale = y * (1 - 1e-9), 1.0
    else:
        # lifted prices are only worth finishing if, scaled, they can beat the nominal ones they lift
        fallback = np.zeros(len(shapes)) if nominal_usd is None else nominal
        lifted = float(real @ y)
        least = float(real @ fallback) / lifted if lifted > 0 else 0.0
        checked = pool.valid(y, least_scale=least)
        prices, scale = checked if checked is not None else (fallback, 0.0)
    return PoolPatterns(
        tuple(shapes),
        tuple(float(p) for p in prices),
        float(real @ prices),
        tuple((pool.types[i], p) for i, p in columns),
        tuple(float(x) for x in lam) + (0.0,) * (len(columns) - len(lam)),
        priced and converged and scale >= 1.0,
        knapsacks.work[0],
    )


def _lifted_prices(
    nominal: np.ndarray,
    weights: np.ndarray,
    columns: list[tuple[int, tuple[int, ...]]],
    seen: set[tuple[int, tuple[int, ...]]],
    knapsacks: _Knapsacks,
    arrays: tuple[np.ndarray, ...],
    max_rounds: int,
    deadline: float | None,
    clock: Callable[[], float],
) -> np.ndarray:
    """Prices y ≥ `nominal` (valid prices themselves, e.g. per-resource duals) lifted as far as the
    patterns allow, weighted by `weights`: max weights·y s.t. y·a ≤ price(t) for every pattern,
    columns generated as in `pool_patterns`. Unlike the packing LP's own duals (which price a shape
    the optimum over-covers at 0, and a re-solve of the allocation would move pods there for free),
    no shape is priced below its nominal price."""
    from ortools.linear_solver import pywraplp

    price = arrays[-1]
    # one GLOP model, a row per pattern added as the columns come (it re-solves from its last basis)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    ys = [solver.NumVar(float(low), solver.infinity(), "") for low in nominal]
    objective = solver.Objective()
    for var, weight in zip(ys, weights, strict=True):
        objective.SetCoefficient(var, float(weight))
    objective.SetMaximization()
    y = nominal.copy()
    rows = 0
    for _ in range(max_rounds):
        for i, pattern in columns[rows:]:
            row = solver.Constraint(-solver.infinity(), float(price[i]))
            for var, count in zip(ys, pattern, strict=True):
                if count:
                    row.SetCoefficient(var, float(count))
        rows = len(columns)
        if solver.Solve() != pywraplp.Solver.OPTIMAL:
            break
        y = np.maximum(np.array([var.solution_value() for var in ys]), nominal)
        if not _add_columns(y, columns, seen, knapsacks, arrays) or (deadline is not None and clock() > deadline):
            break
    return y


def _add_columns(
    y: np.ndarray,
    columns: list[tuple[int, tuple[int, ...]]],
    seen: set[tuple[int, tuple[int, ...]]],
    knapsacks: _Knapsacks,
    arrays: tuple[np.ndarray, ...],
    *,
    exact: bool = True,
) -> int:
    """Patterns worth more than their type's price at prices y, added to `columns` (the most promising
    types first, up to TYPES_PER_ROUND): a greedy fill first, the exact knapsack only when it finds none."""
    price = arrays[-1]
    promising, covers, _ = _promising(y, *arrays)
    added = 0
    for solved in (False, True) if exact else (False,):
        for i in promising[:EXACT_PER_ROUND] if solved else promising:
            if solved:
                value, pattern, _ = knapsacks.best(i, y, covers, enough=price[i] * (1 + _IMPROVES))
            else:
                value, pattern = _greedy_pattern(knapsacks.types[i], knapsacks.shapes, y, knapsacks.fits[i])
            if value > price[i] * (1 + _IMPROVES) and (i, pattern) not in seen:
                seen.add((i, pattern))
                columns.append((i, pattern))
                added += 1
                if added >= TYPES_PER_ROUND:
                    return added
        if added:
            return added
    return added


def _greedy_pattern(
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


def _promising(
    y: np.ndarray,
    fit: np.ndarray,
    s_cpu: np.ndarray,
    s_mem: np.ndarray,
    cap_cpu: np.ndarray,
    cap_mem: np.ndarray,
    cap_pods: np.ndarray,
    price: np.ndarray,
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Types whose best pattern could be worth more than their price at prices y, the most promising
    first. Quick upper bounds of a type's best pattern: the densest value per core, per GiB and per
    pod slot times the node's room; and λ·room for resource prices λ that cover every shape's value
    (`_resource_prices`, the LP relaxation of the knapsack on a grid of directions). Returns the
    types, the resource prices and the quick bound of every type."""
    with np.errstate(divide="ignore", invalid="ignore"):
        per_cpu = np.where(fit & (y > 0), np.where(s_cpu > 0, y / s_cpu, np.inf), 0.0).max(axis=1)
        per_mem = np.where(fit & (y > 0), np.where(s_mem > 0, y / s_mem, np.inf), 0.0).max(axis=1)
        per_pod = np.where(fit, y, 0.0).max(axis=1)
        upper = np.minimum(np.minimum(per_cpu * cap_cpu, per_mem * cap_mem), per_pod * cap_pods)
    covers = _resource_prices(y, s_cpu, s_mem, np.array([cap_cpu.mean(), cap_mem.mean(), cap_pods.mean()]))
    if len(covers):
        upper = np.minimum(upper, (covers @ np.vstack([cap_cpu, cap_mem, cap_pods])).min(axis=0))
    ratio = upper / price
    order = np.argsort(-ratio, kind="stable")
    return [int(i) for i in order if ratio[i] > 1 + _IMPROVES], covers, upper


def _resource_prices(y: np.ndarray, s_cpu: np.ndarray, s_mem: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Resource prices λ = (per core, per GiB, per pod slot) ≥ 0 with λ·requests(s) ≥ y_s for every
    shape, one per direction of a grid over the simplex (each scaled up until it covers every shape):
    any node's best pattern is worth at most λ·(its room)."""
    directions = _DIRECTIONS / scale
    weights = np.vstack([s_cpu, s_mem, np.ones_like(s_cpu)])  # [resource, shape]
    load = directions @ weights  # [direction, shape]
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(y[None, :] > 0, np.where(load > 0, y[None, :] / load, np.inf), 0.0).max(axis=1)
    ok = np.isfinite(need)
    return directions[ok] * need[ok, None] * (1 + 1e-12)


def _simplex_grid(step: int = 12) -> np.ndarray:
    points = [(i, j, step - i - j) for i in range(step + 1) for j in range(step + 1 - i)]
    return np.array(points, dtype=float) / step


_DIRECTIONS = _simplex_grid()
