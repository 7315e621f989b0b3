"""The exact optimum of an uncoupled workload without latency rules or a spread, with no model.

Applies to a workload that has no `users`/`latencyMs`, `minClusters` ≤ 1, and either no
`spot.maxClusterShare` or no reason to use spot, solved on its own (no capacity cap or churn
budget shared with others). Then clusters do not interact, and the optimum is:

    S* = min(⌊f·D⌋, D − minAvailable) spot replicas in the cheapest spot cluster if spot is cheaper
    there than on-demand in the cheapest on-demand cluster, else S* = 0; the other D − S* replicas
    on-demand in the cheapest on-demand cluster.

Proof. Costs are ≥ 0. (1) Some optimum has exactly D replicas: from any valid placement with
T > D, drop a spot replica if there is one (spot − 1 ≤ f·T − 1 ≤ f·(T − 1) since f ≤ 1) or else an
on-demand one (T − 1 ≥ D ≥ minAvailable); the result is still valid and no dearer. (2) With T = D
the rules reduce to spot ≤ S_max = min(⌊f·D⌋, D − minAvailable), and each replica's cost depends only
on its capacity type and cluster, so every on-demand replica goes to the cheapest on-demand price
and every spot replica to the cheapest spot price; the cost (D − S)·a* + S·b* is linear in S, so S is
0 or S_max. (3) Clusters without on-demand prices are options only when f = 1 and minAvailable = 0
(`placement.solver.candidates`), where S_max = D. ∎

It is the model's optimum (same objective: `replica_costs`), so the solver skips the MIP for such
workloads entirely; ties go to the cluster name that sorts first. For every other workload the same
formula, ignoring the rules it cannot handle, is a lower bound (`lower_bound_usd`): that is what a
workload left on the greedy plan for lack of time contributes to the reported bound.
"""

from __future__ import annotations

import math

from placement.scenario import Planning
from placement.solver.allocation import Placement, replica_costs
from placement.solver.candidates import WorkloadOptions


def closed_form(wo: WorkloadOptions, planning: Planning) -> tuple[Placement, float] | None:
    """The optimal placement and its cost, or None when the workload is not of the closed-form kind."""
    w = wo.workload
    if w.latency_ms is not None or w.min_clusters > 1:
        return None
    found = _relaxed(wo, planning)
    if found is None or (
        w.spot_max_cluster_share is not None
        and w.spot_max_cluster_share < 1.0
        and any(sp for _, sp in found[0].replicas.values())
    ):
        return None  # spot would have to spread over clusters: leave it to the model
    return found


def lower_bound_usd(wo: WorkloadOptions, planning: Planning) -> float:
    """A lower bound on the workload's cost in any valid plan: the closed form without the rules it skips.

    Dropping the latency routing, minClusters and spot.maxClusterShare only enlarges the set of valid
    placements, so the closed-form optimum of what is left is no dearer than any valid placement.
    """
    found = _relaxed(wo, planning)
    return 0.0 if found is None else found[1]


def _relaxed(wo: WorkloadOptions, planning: Planning) -> tuple[Placement, float] | None:
    w = wo.workload
    if not wo.options or w.replicas <= 0:
        return None
    best_od: tuple[float, str] = (math.inf, "")
    best_sp: tuple[float, str] = (math.inf, "")
    for option in wo.options:
        od, sp = replica_costs(option, w.replicas, w.egress_gb_per_hour, planning.risk_aversion)
        name = option.cluster.name
        if od is not None and (od, name) < best_od:
            best_od = (od, name)
        if sp is not None and (sp, name) < best_sp:
            best_sp = (sp, name)
    most_spot = max(min(math.floor(w.spot_max_fraction * w.replicas + 1e-9), w.replicas - w.min_available), 0)
    spot = most_spot if best_sp[0] < best_od[0] else 0
    on_demand = w.replicas - spot
    if on_demand and not math.isfinite(best_od[0]):
        return None  # cannot happen for options built by `placement.solver.candidates`; the model decides
    replicas: dict[str, tuple[int, int]] = {}
    if on_demand:
        replicas[best_od[1]] = (on_demand, 0)
    if spot:
        od_there, _ = replicas.get(best_sp[1], (0, 0))
        replicas[best_sp[1]] = (od_there, spot)
    cost = (on_demand * best_od[0] if on_demand else 0.0) + (spot * best_sp[0] if spot else 0.0)
    return Placement(replicas, {}), cost
