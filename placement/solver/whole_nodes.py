"""The whole-node bound: a lower bound of the node-true objective that buys nodes whole.

The node-aware bound of `placement.solver.node_plan` prices pods linearly (per-resource and
packing-LP prices per pool). That is strong where pools are large, and weak where they are small:
two 0.5-core pods in a pool whose cheapest node holding them costs $0.086/h are charged a sliver of a
32-vCPU node. Small fleets — the demo, a team's few dozen services — are mostly small pools. For
them this module solves the allocation model with every rule (`placement.solver.formulation`)
joined to integer node counts per pool:

Variables (besides the allocation's)
  n[p,t] ∈ ℤ≥0   nodes of type t in pool p = (cluster, capacity type), t among the pool's
                 undominated launchable types (`node_types.undominated`)

Constraints, per pool p, with x[w,p] the replicas of workload w there
  fit       for every set H of types that holds some pod shape (architecture and size), and each of
            CPU, memory and pod slots d:  Σ_{t∈H} alloc_d(t)·n[p,t] ≥ Σ_{w: holders(w) ⊆ H} r_d(w)·x[w,p]
            (pods that only fit types in H are on nodes of types in H)
  patterns  Σ_t price(t)·n[p,t] ≥ Σ_w y_w·x[w,p]   (y: the pool's valid lower-bound replica prices,
            `node_plan.dual_options` — what per-pod patterns say that capacities cannot)

Objective: Σ price(t)·n[p,t] + the spot risk (on the fluid replica price, as
`placement.solver.plan_costs` charges it); no egress — the caller adds the least any plan pays
(`allocation.egress_floor_usd`: the model's per-replica egress can exceed a plan's).

Validity: take any node-true plan of these workloads. Swap each of its nodes for an undominated type
that dominates it (no dearer, at least as much room, same architecture): its pods still fit, and the
bill does not rise. The counts n of the result satisfy *fit* (a pod sits on a type that holds it)
and *patterns* (every node's price covers the y of the pods it holds), and its replicas satisfy every
rule of the allocation model; so the MIP's optimum, and any dual bound of it, is at most that plan's
objective. SCIP's root node (cuts on the node counts) is the bound used: on the demo 6.19 $/h where
the linear prices gave 5.61 (the plan: 7.00); on 1,000 × 20 (pools of ~100 nodes) it adds 0.1 %,
so only small fleets run it (`placement.solver.solve` decides). 20 or 200 branch-and-bound nodes
instead of the root moved the demo's and the case-study fleets' bounds by at most 0.3 %. The search
is limited to the root (`NODE_LIMIT`), so the bound does not depend on the clock; `TIME_S` only guards a slow machine (a cut-off root gives a
weaker bound, never a wrong one).
"""

from __future__ import annotations

from collections.abc import Sequence

from placement.scenario import Planning
from placement.solver.candidates import WorkloadOptions
from placement.solver.formulation import build_beside_nodes
from placement.solver.milp import Milp
from placement.solver.node_types import NodeType, NodeTypes, undominated
from pricing import CapacityType

#: Branch-and-bound nodes: the root only (its cuts are most of the gain; deterministic).
NODE_LIMIT = 1
#: At most this long (seconds), and at most half the time left. Measured: the demo's root, 0.8 s.
TIME_S = 3.0


def whole_node_bound_usd(
    options: Sequence[WorkloadOptions],
    lower: Sequence[WorkloadOptions],
    node_types: NodeTypes,
    planning: Planning,
    capacity_cpu: dict[str, float],
    *,
    time_limit_s: float,
) -> float | None:
    """A lower bound on the objective of any node-true plan placing all of `options` (module
    docstring); `lower` are the same workloads on valid lower-bound replica prices
    (`node_plan.dual_options`). None when the solver proves nothing (no bound within the time)."""
    if not options or time_limit_s <= 0:
        return None
    milp, replicas = build_beside_nodes(options, planning, capacity_cpu)
    pools: dict[tuple[str, str], list[tuple[int, WorkloadOptions, float]]] = {}
    for (name, kind), index, col in replicas:
        priced = next(o for o in lower[index].options if o.cluster.name == name)
        price = priced.on_demand if kind == CapacityType.ON_DEMAND.value else priced.spot
        pools.setdefault((name, kind), []).append((col, options[index], 0.0 if price is None else price.hourly_usd))
    clusters = {o.cluster.name: o.cluster for wo in options for o in wo.options}
    for (name, kind), members in sorted(pools.items()):
        _add_pool(milp, undominated(node_types.of(clusters[name], kind)), members)
    result = milp.solve(
        backend="scip",  # HiGHS took 10 s for the demo's root, SCIP 0.8 s
        time_limit_s=time_limit_s,
        node_limit=NODE_LIMIT,
        heuristics=False,
    )
    if result.status == "infeasible" or result.bound == float("-inf"):
        return None
    return float(result.bound)


def _add_pool(milp: Milp, types: Sequence[NodeType], members: Sequence[tuple[int, WorkloadOptions, float]]) -> None:
    """Node counts of one pool and its fit and pattern rows (module docstring)."""
    counts = {t.instance_type: milp.variable(integer=True, cost=t.hourly_usd) for t in types}
    by_holders: dict[frozenset[str], list[tuple[int, float, float]]] = {}
    for col, wo, _ in members:
        w = wo.workload
        holders = frozenset(
            t.instance_type for t in types if t.arch in w.architectures and t.holds(w.cpu, w.memory_gib)
        )
        by_holders.setdefault(holders, []).append((col, w.cpu, w.memory_gib))
    for holders in by_holders:
        pods = [pod for other, group in by_holders.items() if other <= holders for pod in group]
        room = [t for t in types if t.instance_type in holders]
        for dim in range(3):
            terms = [(counts[t.instance_type], (t.cpu, t.alloc_memory_gib, float(t.pods))[dim]) for t in room]
            terms += [(col, -(cpu, memory_gib, 1.0)[dim]) for col, cpu, memory_gib in pods]
            milp.constraint(terms, lower=0.0)
    milp.constraint(
        [(counts[t.instance_type], t.hourly_usd) for t in types] + [(col, -y) for col, _, y in members if y > 0],
        lower=0.0,
    )


__all__ = ["NODE_LIMIT", "TIME_S", "whole_node_bound_usd"]
