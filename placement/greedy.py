"""Greedy cheapest-first placement: the baseline the solver is measured against, and its fallback.

Per workload, in the order given: choose clusters by their cheapest replica cost (serving each
user region from its cheapest cluster within latency, spreading over minClusters), then turn the
cheapest-saving replicas into spot up to the workload's spot share while keeping the on-demand
floor. Cluster CPU caps are consumed as it goes; a workload that no longer fits is unplaced.
Always valid by construction, never optimal in general (no look-ahead, no joint trade-offs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from placement.model import replica_costs
from placement.options import ClusterOption, WorkloadOptions
from placement.scenario import Planning


@dataclass(frozen=True, slots=True)
class GreedyPlacement:
    """Per workload: cluster -> (on-demand, spot) replicas and routed traffic; or None if unplaced."""

    replicas: dict[str, tuple[int, int]]
    routes: dict[tuple[str, str], float]


def greedy(
    group: Sequence[WorkloadOptions], planning: Planning, capacity_cpu: dict[str, float]
) -> list[GreedyPlacement | None]:
    remaining = dict(capacity_cpu)
    return [_place(wo, planning, remaining) for wo in group]


def _blended(option: ClusterOption, wo: WorkloadOptions, planning: Planning) -> float:
    od, sp = replica_costs(option, wo.workload.replicas, wo.workload.egress_gb_per_hour, planning.risk_aversion)
    f = wo.workload.spot_max_fraction
    if od is None:
        return sp if sp is not None else math.inf
    return od if sp is None else (1 - f) * od + f * min(od, sp)


def _place(wo: WorkloadOptions, planning: Planning, remaining: dict[str, float]) -> GreedyPlacement | None:
    w = wo.workload
    if w.replicas == 0:
        return GreedyPlacement({}, {})

    def room(option: ClusterOption) -> float:
        cap = remaining.get(option.cluster.name)
        return math.inf if cap is None else math.floor(cap / w.cpu + 1e-9) if w.cpu > 0 else math.inf

    ranked = sorted(wo.options, key=lambda o: (_blended(o, wo, planning), o.cluster.name))
    totals: dict[str, int] = {}
    routes: dict[tuple[str, str], float] = {}
    if w.latency_ms is not None:
        need: dict[str, float] = {}
        for user, share in w.users.items():
            if share <= 0:
                continue
            serving = [o for o in ranked if user in o.serves and room(o) > 0]
            if not serving:
                return None
            best = serving[0].cluster.name
            need[best] = need.get(best, 0.0) + share * w.replicas
            routes[(user, best)] = routes.get((user, best), 0.0) + share * w.replicas
        totals = {c: math.ceil(v - 1e-9) for c, v in need.items()}
    else:
        totals = {ranked[0].cluster.name: w.replicas} if ranked and room(ranked[0]) > 0 else {}
        if not totals:
            usable = [o for o in ranked if room(o) > 0]
            if not usable:
                return None
            totals = {usable[0].cluster.name: w.replicas}
    for option in ranked:  # spread over minClusters: one replica each in the next cheapest clusters
        if len(totals) >= w.min_clusters:
            break
        if option.cluster.name not in totals and room(option) > 0:
            donor = max(totals, key=lambda c: totals[c])
            if totals[donor] > 1 and w.latency_ms is None:
                totals[donor] -= 1
            totals[option.cluster.name] = 1
    if len(totals) < w.min_clusters:
        return None
    by_name = {o.cluster.name: o for o in wo.options}
    for name, count in totals.items():
        if count > room(by_name[name]):
            return None
    split = _split_spot(wo, planning, totals, by_name)
    if split is None:
        return None
    for name, count in totals.items():
        if name in remaining:
            remaining[name] -= count * w.cpu
    return GreedyPlacement(split, routes)


def _split_spot(
    wo: WorkloadOptions, planning: Planning, totals: dict[str, int], by_name: dict[str, ClusterOption]
) -> dict[str, tuple[int, int]] | None:
    w = wo.workload
    total = sum(totals.values())
    budget = min(math.floor(w.spot_max_fraction * total + 1e-9), total - w.min_available)
    savings = []
    for name, count in totals.items():
        od, sp = replica_costs(by_name[name], w.replicas, w.egress_gb_per_hour, planning.risk_aversion)
        if sp is not None and (od is None or sp < od):
            savings.append((math.inf if od is None else od - sp, name, count))
    spot = dict.fromkeys(totals, 0)
    for _, name, count in sorted(savings, reverse=True):
        take = min(count, max(budget, 0))
        spot[name] = take
        budget -= take
    for name, count in totals.items():
        od, _ = replica_costs(by_name[name], w.replicas, w.egress_gb_per_hour, planning.risk_aversion)
        if od is None and spot[name] < count:
            return None  # an all-spot cluster could not take all its replicas as spot
    return {name: (count - spot[name], spot[name]) for name, count in totals.items()}
