"""Node patterns of one pool: the bin-packing LP (Gilmore–Gomory), valid per-shape prices, and a packing.

A *pattern* is a multiset of pod shapes that fits one node of one type (CPU, memory and pod slots of
its allocatable). The pool's packing LP chooses how many nodes of each pattern to run so that every
shape's pods are covered at least cost:

    min Σ_p price(p) λ_p   s.t.   Σ_p a[p, s] λ_p ≥ demand(s),  λ ≥ 0.

Its columns are generated (`placement.solver.knapsack`: an integer knapsack per type priced at the
LP's duals).
Two things come out:

- **Prices** y ≥ 0 per shape with Σ_s a[s] y_s ≤ price(t) for *every* pattern a that fits a type t.
  Any set of nodes holding pods of counts n then costs at least Σ_s n_s y_s (each node's price covers
  the prices of the pods it holds), whatever the allocation — so y are valid replica prices for the
  node-aware bound, and they see what per-core prices cannot: two 4-core pods never share an
  8-vCPU node whose allocatable is 7.71 cores. For the bound, y are *lifted* above given valid
  prices (per-resource duals) rather than taken from the LP's duals (`_lifted_prices`). Validity
  does not rest on convergence: the final prices are scaled by min_t price(t) / (an upper bound of
  the best pattern's value on t), from a knapsack search whose cut-off keeps its bound valid.
- **The LP's nodes** (λ per pattern): which types pack this pool well — tried as admitted sets by
  the Karpenter simulation (`placement.solver.node_plan`). The patterns themselves are not a
  packing any autoscaler reproduces, so the plan never bills them.

Pure; numpy, OR-Tools' GLOP for the LPs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from placement.solver.knapsack import Knapsacks, capacity_alone, greedy_pattern
from placement.solver.node_types import NodeType, undominated
from placement.solver.packing import PodGroup

_EPS = 1e-9
_IMPROVES = 1e-6  # relative: a column must beat its type's price by this much to enter
#: Column-generation rounds per pool, and types priced exactly per round (the most promising first).
MAX_ROUNDS = 40
TYPES_PER_ROUND = 6
#: Types whose knapsack is solved exactly per round when the greedy fill finds no column; and at
#: most this many in the final validity check (the others are bounded by resource prices).
EXACT_PER_ROUND = 8
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
        self.knapsacks = Knapsacks(types, shapes, fits, work_limit, work)
        self.columns: list[tuple[int, tuple[int, ...]]] = []
        for j, s in enumerate(shapes):
            alone = sorted(
                (price[i] / capacity_alone(t, s.cpu, s.memory_gib), i) for i, t in enumerate(types) if fits[i][j]
            )[:3]
            for _, i in alone:
                pattern = [0] * len(shapes)
                pattern[j] = capacity_alone(types[i], s.cpu, s.memory_gib)
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
    knapsacks: Knapsacks,
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
    knapsacks: Knapsacks,
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
                value, pattern = greedy_pattern(knapsacks.types[i], knapsacks.shapes, y, knapsacks.fits[i])
            if value > price[i] * (1 + _IMPROVES) and (i, pattern) not in seen:
                seen.add((i, pattern))
                columns.append((i, pattern))
                added += 1
                if added >= TYPES_PER_ROUND:
                    return added
        if added:
            return added
    return added


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
