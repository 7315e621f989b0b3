"""Greedy cheapest-first placement: the baseline the solver is measured against, and its fallback.

Per workload, in the order given: choose clusters by their cheapest replica cost (serving each
user region from its cheapest cluster within latency, spreading over minClusters), then turn the
cheapest-saving replicas into spot up to the workload's spot share (and, with
`spot.maxClusterShare`, no more than that share of the spot replicas in any one cluster) while
keeping the on-demand floor. Cluster CPU caps and the churn budget (`maxMoves`) are consumed as it
goes; when the churn budget is spent a workload keeps today's placement if that is valid, and a
workload that no longer fits is unplaced. Always valid by construction, never optimal in
general (no look-ahead, no joint trade-offs). Linear in the number of options: it is the plan
`solve()` starts from and keeps for whatever the time limit leaves unsolved.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from placement.scenario import Planning
from placement.solver.allocation import Placement, placement_replicas_added, replica_costs
from placement.solver.candidates import ClusterOption, WorkloadOptions

GreedyPlacement = Placement  # the name this module has always exported


def greedy(
    group: Sequence[WorkloadOptions], planning: Planning, capacity_cpu: dict[str, float]
) -> list[Placement | None]:
    remaining = dict(capacity_cpu)
    moves_left = [planning.max_moves]
    return [_place(wo, planning, remaining, moves_left) for wo in group]


def _blended(option: ClusterOption, wo: WorkloadOptions, planning: Planning) -> float:
    od, sp = replica_costs(option, wo.workload.replicas, wo.workload.egress_gb_per_hour, planning.risk_aversion)
    f = wo.workload.spot_max_fraction
    if od is None:
        return sp if sp is not None else math.inf
    return od if sp is None else (1 - f) * od + f * min(od, sp)


def _place(
    wo: WorkloadOptions, planning: Planning, remaining: dict[str, float], moves_left: list[int | None]
) -> Placement | None:
    w = wo.workload
    if w.replicas == 0:
        return Placement({}, {})

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
    placement = Placement(split, routes)
    if moves_left[0] is not None:
        moves = placement_replicas_added(wo, placement)
        if moves > moves_left[0]:  # the churn budget is spent: today's placement, if valid, moves nothing
            placement = keep_current(wo)
            if placement is None or any(
                w.cpu * (od + sp) > remaining.get(name, math.inf) + 1e-9
                for name, (od, sp) in placement.replicas.items()
            ):
                return None
        moves_left[0] -= placement_replicas_added(wo, placement)
    for name, (od, sp) in placement.replicas.items():
        if name in remaining:
            remaining[name] -= (od + sp) * w.cpu
    return placement


def keep_current(wo: WorkloadOptions) -> Placement | None:
    """Today's placement of the workload if it meets all of its own rules in its allowed clusters, else None."""
    w = wo.workload
    by_name = {o.cluster.name: o for o in wo.options}
    replicas: dict[str, tuple[int, int]] = {}
    for name, today in w.current.items():
        if today.total == 0:
            continue
        option = by_name.get(name)
        if option is None or (today.on_demand and option.on_demand is None) or (today.spot and option.spot is None):
            return None
        replicas[name] = (today.on_demand, today.spot)
    total = sum(od + sp for od, sp in replicas.values())
    on_demand = sum(od for od, _ in replicas.values())
    spot = total - on_demand
    share = w.spot_max_cluster_share
    if (
        on_demand < w.min_available
        or spot > w.spot_max_fraction * total + 1e-9
        or len(replicas) < w.min_clusters
        or total < w.replicas
        or (share is not None and any(sp > share * spot + 1e-9 for _, sp in replicas.values()))
    ):
        return None
    routes: dict[tuple[str, str], float] = {}
    if w.latency_ms is not None:
        room = {name: float(od + sp) for name, (od, sp) in replicas.items()}
        for user, user_share in w.users.items():  # fill each user's traffic into serving clusters with room
            need = user_share * w.replicas
            for name in sorted(room, key=lambda n: -room[n]):
                if need <= 1e-9:
                    break
                if user in by_name[name].serves and room[name] > 1e-9:
                    take = min(need, room[name])
                    routes[(user, name)] = take
                    room[name] -= take
                    need -= take
            if need > 1e-6:
                return None
    return Placement(replicas, routes)


def _split_spot(
    wo: WorkloadOptions, planning: Planning, totals: dict[str, int], by_name: dict[str, ClusterOption]
) -> dict[str, tuple[int, int]] | None:
    """Most spot replicas (cheapest savings first) that the spot share, floor and per-cluster share allow."""
    w = wo.workload
    total = sum(totals.values())
    budget = min(math.floor(w.spot_max_fraction * total + 1e-9), total - w.min_available)
    savings = []
    spot_only = set()
    for name, count in totals.items():
        od, sp = replica_costs(by_name[name], w.replicas, w.egress_gb_per_hour, planning.risk_aversion)
        if od is None:
            spot_only.add(name)
        if sp is not None and (od is None or sp < od):
            savings.append((math.inf if od is None else od - sp, name, count))
    savings.sort(reverse=True)
    share = w.spot_max_cluster_share
    for wanted in range(max(budget, 0), -1, -1):
        cap = wanted if share is None else math.floor(share * wanted + 1e-9)
        spot = dict.fromkeys(totals, 0)
        left = wanted
        for _, name, count in savings:
            take = min(count, cap, left)
            spot[name] = take
            left -= take
        if any(spot[name] < totals[name] for name in spot_only):
            if share is None:
                return None  # an all-spot cluster could not take all its replicas as spot
            continue
        used = wanted - left
        if share is None or all(s <= share * used + 1e-9 for s in spot.values()):
            return {name: (count - spot[name], spot[name]) for name, count in totals.items()}
    return None
