"""Joint prices: the allocation model and every pool's packing LP solved as one LP, for the bound.

The node-aware bound (`placement.solver.node_plan.dual_options`) prices each pool's pod shapes from
that pool's own packing LP, weighted by the plan's demand there plus a flat weight for every shape
that could come. The allocation re-solved on those prices then moves pods to wherever their price
is low, and the bound falls far below any allocation's real packing: on a 20-workload bench fleet,
21.9 $/h where the plan's pools need 30.8 on the packing LP and the plan pays 33.9. Large fleets
barely notice (their pools hold many shapes, each priced near its marginal cost); small ones do.

Here the prices come from the joint LP, whose optimum is the best bound any per-pool linear prices
can give:

    min  Σ_p Σ_j price(t_j)·λ[p,j] + egress and spot risk of x
    s.t. every rule of the allocation model on x (`placement.solver.formulation`, relaxed)
         Σ_j a[j,s]·λ[p,j] ≥ Σ_{w of shape s} x[w,p]      for every pool p and shape s   (coverage)
         λ ≥ 0

columns (node patterns) generated per pool by the knapsacks of `placement.solver.patterns` at the
coverage rows' duals μ[p,s]. The duals become the pool's shape prices, scaled per pool until no
pattern of any type is worth more than the type's price (`PoolColumns.valid`), so they are valid
whether or not the column generation converged. The allocation model with every rule and integral
replicas, re-solved on them, and the whole-node MIP (`placement.solver.whole_nodes`) then give the
bound. For small fleets (`placement.solver.solve` decides): the joint LP is re-solved whole every round.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from placement.scenario import Planning
from placement.solver.candidates import WorkloadOptions
from placement.solver.formulation import build_beside_nodes
from placement.solver.milp import Milp
from placement.solver.node_types import NodeTypes
from placement.solver.packing import PodGroup
from placement.solver.patterns import PoolColumns

#: Column-generation rounds of the joint LP at most (each re-solves it whole: milliseconds on 20
#: workloads, ~75 ms on 300).
MAX_ROUNDS = 40

Pool = tuple[str, str]  # (cluster name, capacity type value)
Shape = tuple[float, float, tuple[str, ...]]  # (cpu, memory GiB, architectures)


def shape_of(wo: WorkloadOptions) -> Shape:
    w = wo.workload
    return (w.cpu, w.memory_gib, tuple(sorted(w.architectures)))


def joint_prices(
    options: Sequence[WorkloadOptions],
    node_types: NodeTypes,
    planning: Planning,
    capacity_cpu: dict[str, float],
    *,
    max_rounds: int = MAX_ROUNDS,
    work_limit: float = math.inf,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> dict[Pool, dict[Shape, float]] | None:
    """Valid per-pool shape prices from the joint LP of placing every one of `options` (module
    docstring), or None when the LP does not solve. `work_limit`: knapsack search nodes in all;
    no new round after `deadline` (`clock()` time): the prices are then weaker, never invalid."""
    if not options:
        return None
    milp, replicas = build_beside_nodes(options, planning, capacity_cpu)
    members: dict[Pool, dict[Shape, list[int]]] = {}
    for pool, index, col in replicas:
        members.setdefault(pool, {}).setdefault(shape_of(options[index]), []).append(col)
    clusters = {o.cluster.name: o.cluster for wo in options for o in wo.options}
    pools: dict[Pool, tuple[PoolColumns, list[int]]] = {}
    work = [0]
    for pool, by_shape in sorted(members.items()):
        shapes = [PodGroup("", cpu, memory_gib, 0, arches) for cpu, memory_gib, arches in by_shape]
        columns_of = PoolColumns(shapes, node_types.of(clusters[pool[0]], pool[1]), work_limit, work)
        held = {(s.cpu, s.memory_gib, s.arches) for s in columns_of.shapes}
        rows = []
        for shape, cols in by_shape.items():
            row = milp.constraint([(col, -1.0) for col in cols], lower=0.0)  # coverage: Σ a·λ − Σ x ≥ 0
            if shape in held:
                rows.append(row)
        pools[pool] = (columns_of, rows)
        _add_columns(milp, columns_of, rows, 0)
    duals: dict[int, float] = {}
    for _ in range(max_rounds):
        result = milp.solve(relax=True)
        if result.status != "optimal" or result.row_duals is None:
            return None
        duals = result.row_duals
        added = 0
        for columns_of, rows in pools.values():
            before = len(columns_of.columns)
            if columns_of.add_columns(_prices(duals, rows)):
                _add_columns(milp, columns_of, rows, before)
                added += 1
        if not added or (deadline is not None and clock() > deadline):
            break
    out: dict[Pool, dict[Shape, float]] = {}
    for pool, (columns_of, rows) in pools.items():
        valid, _ = columns_of.valid(_prices(duals, rows))
        out[pool] = {(s.cpu, s.memory_gib, s.arches): float(y) for s, y in zip(columns_of.shapes, valid, strict=True)}
    return out


def _prices(duals: dict[int, float], rows: Sequence[int]) -> np.ndarray:
    return np.array([max(duals.get(row, 0.0), 0.0) for row in rows])


def _add_columns(milp: Milp, columns_of: PoolColumns, rows: Sequence[int], start: int) -> None:
    """The pool's columns from `start` on, as λ variables of the joint LP."""
    for i, pattern in columns_of.columns[start:]:
        milp.column([(rows[j], float(a)) for j, a in enumerate(pattern) if a], cost=float(columns_of.price[i]))


__all__ = ["MAX_ROUNDS", "Pool", "Shape", "joint_prices", "shape_of"]
