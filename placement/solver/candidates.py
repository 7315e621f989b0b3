"""Per-workload options: which clusters each workload may use, at what replica prices and RTTs.

This is where the rules that act on one workload alone are applied before any model is built
(residency, resources that fit, cluster capacity, latency reachability, minClusters), so the
solver only sees allowed pairs. A workload left with no option becomes an `Unplaced` entry whose
reason names the rule(s) that emptied its cluster set, computed from the data, not templated.
Pure: scenario and pricer in, options out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from placement.geo.jurisdictions import residency_allows
from placement.geo.latency import estimate_rtt_ms
from placement.plan import Unplaced
from placement.scenario import Cluster, Scenario, Workload
from placement.solver.replica_price import ReplicaPrice, ReplicaPricer
from pricing import CapacityType


@dataclass(frozen=True, slots=True)
class ClusterOption:
    """A cluster a workload may use, its replica prices and its RTT from each user region."""

    cluster: Cluster
    on_demand: ReplicaPrice | None
    spot: ReplicaPrice | None  # None when not offered or the workload takes no spot
    rtt_ms: Mapping[str, float]  # user region -> RTT, for the workload's user regions
    serves: frozenset[str]  # user regions whose latency rule this cluster meets


@dataclass(frozen=True, slots=True)
class WorkloadOptions:
    """A workload and its allowed clusters, or the reason it cannot be placed."""

    workload: Workload
    options: tuple[ClusterOption, ...]
    unplaced: Unplaced | None = None


def rtt_ms(scenario: Scenario, user: str, cluster: Cluster) -> float:
    """Measured RTT from `latency.matrixMs` when given, else the great-circle estimate."""
    measured = scenario.latency_matrix_ms.get(user, {}).get(cluster.name)
    if measured is not None:
        return float(measured)
    region = scenario.user_region(user)
    if cluster.lat is None or cluster.lon is None:
        return float("inf")
    return estimate_rtt_ms(region.lat, region.lon, cluster.lat, cluster.lon)


class _Shared:
    """Per-scenario lookups that every workload repeats (fleet-scale `all_options` is dominated by them):
    clusters a residency list allows, and RTT maps and served-user sets per cluster and user set."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._allowed: dict[tuple[str, ...], tuple[Cluster, ...]] = {}
        self._rtts: dict[tuple[str, tuple[str, ...]], Mapping[str, float]] = {}
        self._serves: dict[tuple[str, tuple[str, ...], float | None], frozenset[str]] = {}
        self._options: dict[tuple[object, ...], ClusterOption] = {}

    def allowed(self, residency: tuple[str, ...]) -> tuple[Cluster, ...]:
        found = self._allowed.get(residency)
        if found is None:
            found = self._allowed[residency] = tuple(
                c for c in self.scenario.clusters if residency_allows(c.country, residency)
            )
        return found

    def option(
        self, workload: Workload, cluster: Cluster, on_demand: ReplicaPrice | None, spot: ReplicaPrice | None
    ) -> ClusterOption:
        users = tuple(workload.users)
        # Prices come memoised from the pricer, so equal prices are the same objects: share the option.
        whole = (cluster.name, users, workload.latency_ms, id(on_demand), id(spot))
        found = self._options.get(whole)
        if found is not None and found.on_demand is on_demand and found.spot is spot:
            return found
        key = (cluster.name, users)
        rtts = self._rtts.get(key)
        if rtts is None:
            rtts = self._rtts[key] = {user: rtt_ms(self.scenario, user, cluster) for user in users}
        serve_key = (cluster.name, users, workload.latency_ms)
        serves = self._serves.get(serve_key)
        if serves is None:
            limit = workload.latency_ms
            serves = self._serves[serve_key] = frozenset(u for u, ms in rtts.items() if limit is None or ms <= limit)
        option = self._options[whole] = ClusterOption(
            cluster=cluster, on_demand=on_demand, spot=spot, rtt_ms=rtts, serves=serves
        )
        return option


def workload_options(scenario: Scenario, workload: Workload, pricer: ReplicaPricer) -> WorkloadOptions:
    """Apply the single-workload rules in order and explain the first one that leaves nothing."""
    return _workload_options(_Shared(scenario), workload, pricer)


def _workload_options(shared: _Shared, workload: Workload, pricer: ReplicaPricer) -> WorkloadOptions:
    scenario = shared.scenario
    clusters = scenario.clusters
    residency = workload.residency
    if residency is not None:
        clusters = shared.allowed(residency)
        if not clusters:
            present = sorted({c.country for c in scenario.clusters})
            return _unplaced(
                workload,
                ("residency",),
                f"residency [{', '.join(residency)}] leaves no cluster: "
                f"the fleet has clusters only in {', '.join(present)}",
            )
    priced: list[tuple[Cluster, ReplicaPrice | None, ReplicaPrice | None]] = []
    for cluster in clusters:
        on_demand = pricer.price(workload, cluster, CapacityType.ON_DEMAND)
        spot = pricer.price(workload, cluster, CapacityType.SPOT) if workload.spot_max_fraction > 0 else None
        if on_demand is None and (spot is None or workload.min_available > 0 or workload.spot_max_fraction < 1):
            continue  # without an on-demand price only an all-spot workload could run here
        if cluster.capacity_cpu is not None and cluster.capacity_cpu < workload.cpu:
            continue
        priced.append((cluster, on_demand, spot))
    if not priced:
        rules = ("residency", "resources") if residency is not None else ("resources",)
        scope = f"in the clusters residency [{', '.join(residency)}] allows" if residency else "in any cluster"
        only = workload.architectures[0] if len(workload.architectures) == 1 else None
        kind, check = (f"{only} ", f"architectures [{only}], ") if only else ("", "")
        return _unplaced(
            workload,
            rules,
            f"resources cpu={workload.cpu:g} memory={workload.memory_gib:g}Gi fit no "
            f"priced {kind}instance type {scope} (check {check}instanceFamilies, capacity.cpu and the "
            "price source)",
        )
    options = [shared.option(workload, cluster, od, sp) for cluster, od, sp in priced]
    if workload.latency_ms is not None:
        wanted = [u for u, share in workload.users.items() if share > 0]
        for user in wanted:
            if not any(user in o.serves for o in options):
                nearest = min(options, key=lambda o: o.rtt_ms[user])
                rules = ("residency", "latency") if residency is not None else ("latency",)
                which = f"residency [{', '.join(residency)}] and latency" if residency else "latency"
                scope = f"the nearest {'/'.join(residency)} cluster" if residency else "the nearest cluster"
                return _unplaced(
                    workload,
                    rules,
                    f"{which} {workload.latency_ms:g} ms from {user} leave no cluster: "
                    f"{scope} is {nearest.cluster.name} at {nearest.rtt_ms[user]:.0f} ms",
                )
        serving = [o for o in options if o.serves]
        # minClusters beyond what latency allows: the other clusters may hold standby replicas that
        # serve no traffic (DESIGN "minClusters with latency"); otherwise only serving clusters count.
        options = serving if len(serving) >= workload.min_clusters else options
    if workload.replicas > 0 and len(options) < workload.min_clusters:
        rules = (
            *tuple(
                r
                for r, on in (("residency", residency is not None), ("latency", workload.latency_ms is not None))
                if on
            ),
            "minClusters",
        )
        names = ", ".join(o.cluster.name for o in options)
        return _unplaced(
            workload,
            rules,
            f"minClusters {workload.min_clusters} but only {len(options)} cluster(s) meet its other rules: {names}",
        )
    return WorkloadOptions(workload=workload, options=tuple(options))


def _unplaced(workload: Workload, rules: tuple[str, ...], reason: str) -> WorkloadOptions:
    return WorkloadOptions(workload=workload, options=(), unplaced=Unplaced(workload.key, reason, rules))


def all_options(scenario: Scenario, pricer: ReplicaPricer) -> list[WorkloadOptions]:
    shared = _Shared(scenario)
    return [_workload_options(shared, w, pricer) for w in scenario.workloads]
