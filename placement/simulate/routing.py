"""Serving one hour of a workload's traffic from the capacity it has, and what an autoscaler adds.

Routing models a latency-aware global load balancer with spill-over. Demand is in replicas-worth:
user region u brings share_u × D. First every user region is served from clusters within the
workload's `latencyMs`, nearest first, the most constrained regions (fewest such clusters) first;
what is left spills to the nearest clusters with spare capacity, whatever their RTT (served, but
slow: counted as a latency violation). Workloads without users are served from any capacity.

`autoscale` is the in-cluster autoscaler (HPA + node autoscaler) reacting within the hour: the
replicas, per cluster, needed on top of `capacity` to serve demand × (1 + headroom), added where the
short users' traffic lands (the nearest cluster the workload already runs in).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from placement.simulate.fleet import WorkloadGeo

EPS = 1e-9
SERVED_TOLERANCE = 1e-6  # replicas-worth left over below this counts as served (LP round-off)


@dataclass(frozen=True, slots=True)
class Served:
    """Where one hour's traffic was served: (user region or None, cluster) → replicas-worth."""

    flows: Mapping[tuple[str | None, str], float]
    unserved: float  # replicas-worth of demand nobody served
    unserved_by_user: Mapping[str | None, float]

    def by_cluster(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for (_, cluster), amount in self.flows.items():
            out[cluster] = out.get(cluster, 0.0) + amount
        return out


def user_demand(geo: WorkloadGeo, demand: float) -> dict[str | None, float]:
    """Demand per user region (shares normalised); one `None` entry for workloads without users."""
    shares = {u: s for u, s in geo.workload.users.items() if s > 0}
    total = sum(shares.values())
    if not shares or total <= 0:
        return {None: float(demand)}
    return {u: demand * s / total for u, s in shares.items()}


def route(geo: WorkloadGeo, demand: float, capacity: Mapping[str, float]) -> Served:
    """Serve `demand` (replicas-worth) from `capacity` (replicas per cluster); see the module docstring."""
    wanted = user_demand(geo, demand)
    spare = {c: float(n) for c, n in capacity.items() if n > EPS}
    flows: dict[tuple[str | None, str], float] = {}
    if None in wanted:
        total = sum(spare.values())
        served = min(wanted[None], total)
        for cluster, n in spare.items():
            if total > 0 and served > 0:
                flows[(None, cluster)] = served * n / total
        left = wanted[None] - served if wanted[None] - served > SERVED_TOLERANCE else 0.0
        return Served(flows, left, {None: left})
    left = dict(wanted)

    def fill(user: str, clusters: list[str]) -> None:
        for cluster in sorted(clusters, key=lambda c: (geo.rtt_ms[(user, c)], c)):
            if left[user] <= EPS:
                return
            take = min(left[user], spare[cluster])
            if take > EPS:
                flows[(user, cluster)] = flows.get((user, cluster), 0.0) + take
                spare[cluster] -= take
                left[user] -= take

    def near(user: str) -> list[str]:
        return [c for c in spare if geo.within_latency(user, c)]

    for user in sorted(left, key=lambda u: (len(near(u)), u)):  # most constrained first
        fill(user, near(user))
    reachable = {u: [c for c in capacity if capacity[c] > EPS and geo.within_latency(u, c)] for u in left}
    if sum(1 for u in left if reachable[u]) > 1 and any(left[u] > EPS and reachable[u] for u in left):
        # Greedy left someone short within the latency rule; another split of that capacity may serve
        # everyone: route exactly.
        flows, spare, left = _within_latency_exact(geo, wanted, capacity)
    for user in sorted(left):  # spill-over beyond the latency rule
        fill(user, [c for c in spare if spare[c] > EPS])
    unserved = {u: v if v > SERVED_TOLERANCE else 0.0 for u, v in left.items()}
    return Served(flows, sum(unserved.values()), unserved)


def _within_latency_exact(
    geo: WorkloadGeo, wanted: Mapping[str | None, float], capacity: Mapping[str, float]
) -> tuple[dict[tuple[str | None, str], float], dict[str, float], dict[str | None, float]]:
    """The most traffic servable within the latency rule, at the least total RTT (a transportation LP)."""
    from scipy.optimize import linprog

    clusters = [c for c, n in capacity.items() if n > EPS]
    pairs = [(u, c) for u in wanted if u is not None for c in clusters if geo.within_latency(u, c)]
    spare = {c: float(n) for c, n in capacity.items() if n > EPS}
    if not pairs:
        return {}, spare, dict(wanted)
    scale = max(geo.rtt_ms[p] for p in pairs) * len(pairs) + 1.0
    cost = [-1.0 + geo.rtt_ms[p] / scale for p in pairs]  # serve as much as possible, then the nearest
    rows, bounds = [], []
    for u in wanted:
        rows.append([1.0 if p[0] == u else 0.0 for p in pairs])
        bounds.append(wanted[u])
    for c in clusters:
        rows.append([1.0 if p[1] == c else 0.0 for p in pairs])
        bounds.append(spare[c])
    solution = linprog(cost, A_ub=rows, b_ub=bounds, bounds=(0, None), method="highs")
    flows: dict[tuple[str | None, str], float] = {}
    left = dict(wanted)
    for (u, c), amount in zip(pairs, solution.x if solution.success else [0.0] * len(pairs), strict=True):
        if amount > EPS:
            flows[(u, c)] = amount
            spare[c] -= amount
            left[u] -= amount
    return flows, spare, left


def autoscale(
    geo: WorkloadGeo,
    demand: float,
    capacity: Mapping[str, float],
    headroom: float,
    room: Mapping[str, float] | None = None,
) -> dict[str, int]:
    """Replicas per cluster an autoscaler adds on top of `capacity` to serve demand × (1 + headroom).

    Added only in clusters where the workload already has replicas (an HPA scales an existing
    Deployment), nearest to the short user region (any present cluster for workloads without
    users), and never beyond `room` (replicas that still fit under a cluster's CPU cap).
    """
    present = [c for c, n in capacity.items() if n > EPS]
    if not present or demand <= 0:
        return {}
    need = demand * (1.0 + headroom)
    short = route(geo, need, capacity)
    if short.unserved <= EPS:
        return {}
    wanted: dict[str, float] = {}
    for user, amount in short.unserved_by_user.items():
        if amount <= EPS:
            continue
        if user is None:
            target = max(present, key=lambda c: (capacity[c], c))
        else:
            within = [c for c in present if geo.within_latency(user, c)] or present
            target = min(within, key=lambda c: (geo.rtt_ms[(user, c)], c))
        wanted[target] = wanted.get(target, 0.0) + amount
    out: dict[str, int] = {}
    for cluster, amount in wanted.items():
        n = math.ceil(amount - 1e-6)
        if room is not None:
            n = min(n, max(int(room.get(cluster, n)), 0))
        if n > 0:
            out[cluster] = n
    return out


__all__ = ["Served", "autoscale", "route", "user_demand"]
