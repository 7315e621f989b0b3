"""What the fleet offers each workload in a simulation: allowed clusters, RTTs, home cluster, spot rates.

Computed once per run from the scenario and the opening catalog, shared by the engine (routing,
residency checks) and the baseline strategies (the home cluster). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from placement.geo.jurisdictions import residency_allows
from placement.scenario import Scenario, Workload
from placement.solver.candidates import rtt_ms
from placement.solver.replica_price import DEFAULT_INTERRUPTION_RATE, ReplicaPricer
from pricing import CapacityType, Catalog


@dataclass(frozen=True, slots=True)
class WorkloadGeo:
    """One workload's view of the fleet."""

    workload: Workload
    allowed: frozenset[str]  # clusters whose country satisfies its residency
    rtt_ms: Mapping[tuple[str, str], float]  # (user region, cluster) -> RTT, for its user regions
    home: str  # where single-region baselines run it
    egress_gb_per_replica_hour: float  # GB leaving per replica-hour of served traffic

    def within_latency(self, user: str, cluster: str) -> bool:
        limit = self.workload.latency_ms
        return limit is None or self.rtt_ms[(user, cluster)] <= limit


class Fleet:
    """Per-workload `WorkloadGeo`s and per-cluster spot interruption rates for a scenario."""

    def __init__(self, scenario: Scenario, catalog: Catalog) -> None:
        self.scenario = scenario
        pricer = ReplicaPricer(catalog, overhead_factor=scenario.planning.overhead_factor)
        self.geo: dict[str, WorkloadGeo] = {w.key: _geo(scenario, w, pricer) for w in scenario.workloads}
        self.spot_rates: dict[str, float] = {c.name: _pool_rate(catalog, c.cloud, c.region) for c in scenario.clusters}

    def __getitem__(self, workload: str) -> WorkloadGeo:
        return self.geo[workload]


def _geo(scenario: Scenario, w: Workload, pricer: ReplicaPricer) -> WorkloadGeo:
    allowed = frozenset(c.name for c in scenario.clusters if residency_allows(c.country, w.residency))
    rtts = {(u, c.name): rtt_ms(scenario, u, c) for u in w.users for c in scenario.clusters}
    egress = w.egress_gb_per_hour / w.replicas if w.replicas > 0 else 0.0
    return WorkloadGeo(w, allowed, rtts, home_cluster(scenario, w, pricer, allowed), egress)


def home_cluster(scenario: Scenario, w: Workload, pricer: ReplicaPricer, allowed: frozenset[str]) -> str:
    """Where a single-region baseline runs a workload: where most of it runs today; without a
    current placement, the allowed cluster with the cheapest on-demand replica (any cluster when
    residency allows none).

    The cheapest fluid replica price (the dominant share of the cheapest fitting node's allocatable)
    chooses, not a node bill: the home cluster's nodes are shared with the other workloads placed
    there, so the per-replica share is what a replica adds to them. It only chooses; what the
    baseline then pays is the engine's node bill."""
    today = [(r.total, name) for name, r in w.current.items() if r.total > 0 and _exists(scenario, name)]
    if today:
        return min(today, key=lambda item: (-item[0], item[1]))[1]
    candidates = [c for c in scenario.clusters if c.name in allowed] or list(scenario.clusters)
    priced = []
    for c in candidates:
        price = pricer.price(w, c, CapacityType.ON_DEMAND)
        priced.append((price.hourly_usd if price else float("inf"), c.name))
    return min(priced)[1]


def _exists(scenario: Scenario, name: str) -> bool:
    try:
        scenario.cluster(name)
    except KeyError:
        return False
    return True


def _pool_rate(catalog: Catalog, cloud: str, region: str) -> float:
    """A region's spot pool rate: the median monthly interruption rate of its spot offers (0 without spot)."""
    rates = [
        DEFAULT_INTERRUPTION_RATE if o.interruption_rate is None else o.interruption_rate
        for o in catalog.in_region(cloud, region).of(CapacityType.SPOT)
    ]
    return float(np.median(rates)) if rates else 0.0


__all__ = ["Fleet", "WorkloadGeo", "home_cluster"]
