"""`explain`: why a workload went where the plan put it, and what would change that.

For a placed workload, per chosen cluster and capacity type:
- its objective cost per replica-hour by part — compute (the replica price), egress (declared
  GB/h × the cluster's internet $/GB ÷ replicas), spot risk (riskAversion × interruption rate ×
  replica price) — as in the model (`placement.solver.formulation`), and the RTT from each user region;
- the next-cheapest allowed alternative of the same capacity type it beat, and by how much (or,
  when the alternative is cheaper, the rule that kept the workload off it);
- the price threshold that would move replicas away: the workload is re-solved alone (holding the
  rest of the plan fixed, `placement.analysis.isolate`) with that cluster's region's offers of that capacity
  type scaled by a multiplier; the smallest multiplier that takes replicas away from it is found by
  search and checked by one more solve at the value reported. When no rise up to `max_multiplier`
  moves it, the rules that need that cluster are named (`placement.analysis.conflicts` without it).

Clusters the workload may not use are listed with every rule that excludes them. Unplaced
workloads get their smallest conflicting rule set instead. Pure: data in, an `Explanation` out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from placement.analysis.conflicts import ConflictFinder, find_conflict
from placement.analysis.isolate import isolate
from placement.errors import PlacementError, did_you_mean
from placement.geo.egress import cluster_egress_usd_per_gb
from placement.geo.jurisdictions import residency_allows
from placement.plan import Assignment, Plan
from placement.scenario import Cluster, Scenario, Workload
from placement.solver.candidates import ClusterOption, rtt_ms, workload_options
from placement.solver.milp import DEFAULT_BACKEND
from placement.solver.replica_price import ReplicaPricer
from pricing import CapacityType, Catalog
from pricing.offer import ARCHITECTURES

_GRID = (1.02, 1.05, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0)
_BISECTIONS = 10


@dataclass(frozen=True, slots=True)
class ReplicaCost:
    """Objective $/h of one replica in one cluster and capacity type, by part, and its RTTs."""

    cluster: str
    capacity_type: str
    instance_type: str
    compute: float
    egress: float
    risk: float
    rtt_ms: Mapping[str, float]

    @property
    def total(self) -> float:
        return self.compute + self.egress + self.risk


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A cluster the workload may not use and every rule that excludes it."""

    cluster: str
    rules: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Flip:
    """What would move replicas off a chosen (cluster, capacity type): its prices × `multiplier`."""

    cluster: str
    capacity_type: str
    multiplier: float | None  # None: no rise up to the search's maximum moves them
    price_per_replica_usd: float | None  # compute $/replica-h at the threshold
    gains: tuple[tuple[str, str, int], ...] = ()  # (cluster, capacity type, +replicas) once it flips
    held_by: str = ""  # when multiplier is None: what keeps it there


@dataclass(frozen=True, slots=True)
class Choice:
    """One chosen (cluster, capacity type) with its cost, the alternative it beat, and its flip."""

    assignment: Assignment
    cost: ReplicaCost
    replicas: int
    rival: ReplicaCost | None
    why: str
    flip: Flip | None


@dataclass(frozen=True, slots=True)
class Explanation:
    workload: str
    replicas: int
    hourly_usd: float
    choices: tuple[Choice, ...] = ()
    unused: tuple[ReplicaCost, ...] = ()  # allowed but not chosen, cheapest first
    excluded: tuple[Exclusion, ...] = ()
    unplaced_reason: str | None = None
    unplaced_rules: tuple[str, ...] = ()

    @property
    def placed(self) -> bool:
        return self.unplaced_reason is None


def find_workload(scenario: Scenario, name: str) -> Workload:
    """A workload by ``namespace/name`` or bare name; an unknown one is an error with a did-you-mean."""
    try:
        return scenario.workload(name)
    except KeyError:
        keys = [w.key for w in scenario.workloads]
        names = keys + [w.name for w in scenario.workloads]
        close = did_you_mean(name, names)
        raise PlacementError(
            f"unknown workload {name!r}" + (close or f"; the scenario has: {', '.join(keys[:12])}")
        ) from None


def replica_cost(
    scenario: Scenario, workload: Workload, option: ClusterOption, capacity_type: CapacityType
) -> ReplicaCost | None:
    price = option.on_demand if capacity_type is CapacityType.ON_DEMAND else option.spot
    if price is None:
        return None
    egress = 0.0
    if workload.egress_gb_per_hour and workload.replicas:
        egress = workload.egress_gb_per_hour * cluster_egress_usd_per_gb(option.cluster) / workload.replicas
    risk = 0.0
    if capacity_type is CapacityType.SPOT:
        risk = scenario.planning.risk_aversion * price.interruption_rate * price.hourly_usd
    rtts = {u: rtt_ms(scenario, u, option.cluster) for u in workload.users}
    return ReplicaCost(
        option.cluster.name, capacity_type.value, price.instance_type, price.hourly_usd, egress, risk, rtts
    )


def explain_workload(
    scenario: Scenario,
    catalog: Catalog,
    plan: Plan,
    key: str,
    *,
    time_limit_s: float = 5.0,
    backend: str = DEFAULT_BACKEND,
    max_multiplier: float = _GRID[-1],
) -> Explanation:
    workload = find_workload(scenario, key)
    alone = isolate(scenario, plan, workload.key)
    pricer = ReplicaPricer(catalog, overhead_factor=scenario.planning.overhead_factor)
    excluded = _exclusions(alone, workload, pricer)
    assignments = plan.for_workload(workload.key)
    if not assignments:
        conflict = find_conflict(scenario, catalog, plan, workload.key, pricer=pricer, backend=backend)
        return Explanation(
            workload.key,
            workload.replicas,
            0.0,
            excluded=excluded,
            unplaced_reason=conflict.reason,
            unplaced_rules=conflict.families,
        )
    options = {o.cluster.name: o for o in workload_options(alone, workload, pricer).options}
    chosen = {a.cluster for a in assignments}
    costs = [
        c for o in options.values() for k in CapacityType if (c := replica_cost(alone, workload, o, k)) is not None
    ]
    unused = sorted((c for c in costs if c.cluster not in chosen), key=lambda c: (c.total, c.cluster))
    local = _regional(catalog, alone)
    searcher = _FlipSearch(alone, local, assignments, time_limit_s, backend, max_multiplier)
    choices = []
    for a in assignments:
        for kind, count in ((CapacityType.ON_DEMAND, a.on_demand), (CapacityType.SPOT, a.spot)):
            mine = replica_cost(alone, workload, options[a.cluster], kind) if count and a.cluster in options else None
            if mine is None:
                continue
            rival = next((c for c in unused if c.capacity_type == kind.value), None)
            why = _why(alone, workload, mine, rival, options)
            choices.append(Choice(a, mine, count, rival, why, searcher.flip(a.cluster, kind, mine.compute)))
    hourly = sum(a.hourly_usd for a in assignments)
    return Explanation(workload.key, workload.replicas, hourly, tuple(choices), tuple(unused), excluded)


def _why(
    scenario: Scenario,
    workload: Workload,
    mine: ReplicaCost,
    rival: ReplicaCost | None,
    options: Mapping[str, ClusterOption],
) -> str:
    if rival is None:
        others = [
            name
            for name, o in options.items()
            if name != mine.cluster
            and (o.on_demand if mine.capacity_type == CapacityType.ON_DEMAND.value else o.spot) is not None
        ]
        if others:
            return (
                f"every other allowed cluster offering {mine.capacity_type} ({', '.join(sorted(others))}) is used too"
            )
        return f"no other allowed cluster offers {mine.capacity_type} capacity for it"
    delta = rival.total - mine.total
    if delta >= 0:
        parts = ", ".join(
            f"{name} {getattr(rival, name) - getattr(mine, name):+.4f}"
            for name in ("compute", "egress", "risk")
            if abs(getattr(rival, name) - getattr(mine, name)) >= 5e-5
        )
        return f"${delta:.4f}/replica-h cheaper than {rival.cluster} ({parts or 'same parts'})"
    lost = sorted(set(options[mine.cluster].serves) - set(options[rival.cluster].serves))
    if lost and workload.latency_ms is not None:
        user = lost[0]
        return (
            f"{rival.cluster} is ${-delta:.4f}/replica-h cheaper but {rival.rtt_ms[user]:.0f} ms from {user} "
            f"(latencyMs {workload.latency_ms:g}); {mine.cluster} is {mine.rtt_ms[user]:.0f} ms"
        )
    rival_cluster = scenario.cluster(rival.cluster)
    if rival_cluster.capacity_cpu is not None and rival_cluster.capacity_cpu < workload.cpu * workload.replicas:
        return (
            f"{rival.cluster} is ${-delta:.4f}/replica-h cheaper but has only {rival_cluster.capacity_cpu:g} CPU "
            "left after the other workloads"
        )
    if scenario.planning.max_moves is not None:
        return f"{rival.cluster} is ${-delta:.4f}/replica-h cheaper but moving there would exceed the churn budget"
    return (
        f"{rival.cluster} is ${-delta:.4f}/replica-h cheaper per replica, but the whole placement is cheaper "
        f"this way (minClusters {workload.min_clusters}, spot share, routing)"
    )


class _FlipSearch:
    """Finds the smallest price multiplier on a chosen (cluster, capacity type) that moves replicas away."""

    def __init__(
        self,
        alone: Scenario,
        catalog: Catalog,
        assignments: tuple[Assignment, ...],
        time_limit_s: float,
        backend: str,
        max_multiplier: float,
    ) -> None:
        self.alone, self.catalog = alone, catalog
        self.reference = {
            (a.cluster, k): n
            for a in assignments
            for k, n in ((CapacityType.ON_DEMAND.value, a.on_demand), (CapacityType.SPOT.value, a.spot))
        }
        self.time_limit_s, self.backend, self.max_multiplier = time_limit_s, backend, max_multiplier

    def _solve(self, cluster: Cluster, kind: CapacityType, multiplier: float) -> dict[tuple[str, str], int] | None:
        from placement.solver.solve import solve

        scaled = scale_prices(self.catalog, cluster.cloud, cluster.region, kind, multiplier)
        plan = solve(self.alone, scaled, time_limit_s=self.time_limit_s, backend=self.backend)
        if plan.unplaced:
            return None
        return {
            (a.cluster, k): n
            for a in plan.assignments
            for k, n in ((CapacityType.ON_DEMAND.value, a.on_demand), (CapacityType.SPOT.value, a.spot))
        }

    def _moves(self, cluster: Cluster, kind: CapacityType, multiplier: float) -> dict[tuple[str, str], int] | None:
        """The re-solved counts when replicas leave (cluster, kind) at this multiplier, else None."""
        counts = self._solve(cluster, kind, multiplier)
        if counts is None or counts.get((cluster.name, kind.value), 0) >= self.reference[(cluster.name, kind.value)]:
            return None
        return counts

    def flip(self, name: str, kind: CapacityType, compute: float) -> Flip:
        cluster = self.alone.cluster(name)
        lo, hi, counts = 1.0, None, None
        for step in (m for m in _GRID if m <= self.max_multiplier):
            counts = self._moves(cluster, kind, step)
            if counts is not None:
                hi = step
                break
            lo = step
        if hi is None or counts is None:
            return Flip(name, kind.value, None, None, held_by=self._held_by(cluster))
        for _ in range(_BISECTIONS):
            middle = (lo + hi) / 2
            found = self._moves(cluster, kind, middle)
            if found is not None:
                hi, counts = middle, found
            else:
                lo = middle
        shown = _round_up(hi)
        if shown != hi and (found := self._moves(cluster, kind, shown)) is not None:
            hi, counts = shown, found
        gains = tuple(
            sorted(
                (c, k, n - self.reference.get((c, k), 0))
                for (c, k), n in counts.items()
                if n > self.reference.get((c, k), 0)
            )
        )
        return Flip(name, kind.value, hi, compute * hi, gains)

    def _held_by(self, cluster: Cluster) -> str:
        workloads = tuple(
            replace(w, current={k: v for k, v in w.current.items() if k != cluster.name}) for w in self.alone.workloads
        )
        without = replace(
            self.alone, workloads=workloads, clusters=tuple(c for c in self.alone.clusters if c.name != cluster.name)
        )
        conflict = ConflictFinder(
            without, self.catalog, time_limit_s=self.time_limit_s, backend=self.backend
        ).conflict()
        if conflict.feasible_alone:
            return f"no price rise up to {self.max_multiplier:g}× moves its replicas elsewhere"
        return f"it is needed: without {cluster.name}, {conflict.reason}"


def _round_up(multiplier: float) -> float:
    """Up to a whole percent above 10 %, else a tenth of a percent (so the figure shown still flips)."""
    percent = (multiplier - 1.0) * 100
    step = 1.0 if percent >= 10 else 0.1
    return 1.0 + math.ceil(percent / step - 1e-9) * step / 100


def scale_prices(catalog: Catalog, cloud: str, region: str, capacity_type: CapacityType, multiplier: float) -> Catalog:
    """The catalog with one region's offers of one capacity type priced × `multiplier` (pure)."""
    offers = [
        replace(o, hourly_usd=o.hourly_usd * multiplier)
        if o.cloud == cloud and o.region == region and o.capacity_type is capacity_type
        else o
        for o in catalog
    ]
    return Catalog(offers, fetched_at=catalog.fetched_at, schema_version=catalog.schema_version)


def _regional(catalog: Catalog, scenario: Scenario) -> Catalog:
    """Only the offers of the scenario's clusters' regions (what re-solves need; much smaller)."""
    offers = [o for c in {(c.cloud, c.region) for c in scenario.clusters} for o in catalog.in_region(*c)]
    return Catalog(offers, fetched_at=catalog.fetched_at, schema_version=catalog.schema_version)


def _exclusions(scenario: Scenario, workload: Workload, pricer: ReplicaPricer) -> tuple[Exclusion, ...]:
    """Every cluster the workload's rules exclude, with each rule that does (mirrors `placement.solver.candidates`)."""
    allowed = {o.cluster.name for o in workload_options(scenario, workload, pricer).options}
    result = []
    for cluster in scenario.clusters:
        found: list[tuple[str, str]] = []
        if workload.residency is not None and not residency_allows(cluster.country, workload.residency):
            found.append(("residency", f"in {cluster.country}, outside residency [{', '.join(workload.residency)}]"))
        od = pricer.price(workload, cluster, CapacityType.ON_DEMAND)
        spot = pricer.price(workload, cluster, CapacityType.SPOT) if workload.spot_max_fraction > 0 else None
        shape = f"cpu={workload.cpu:g} memory={workload.memory_gib:g}Gi"
        if od is None and spot is None:
            free = replace(cluster, instance_families=None)
            any_arch = replace(workload, architectures=ARCHITECTURES)
            if (
                cluster.instance_families is not None
                and pricer.price(workload, free, CapacityType.ON_DEMAND) is not None
            ):
                found.append(
                    (
                        "instanceFamilies",
                        f"instanceFamilies [{', '.join(cluster.instance_families)}] have no "
                        f"instance type that fits {shape}",
                    )
                )
            elif any_arch != workload and pricer.price(any_arch, cluster, CapacityType.ON_DEMAND) is not None:
                found.append(
                    (
                        "architectures",
                        f"no {'/'.join(workload.architectures)} instance type in "
                        f"{cluster.cloud}/{cluster.region} fits {shape} (its images' architectures)",
                    )
                )
            else:
                found.append(("resources", f"no priced instance type in {cluster.cloud}/{cluster.region} fits {shape}"))
        elif od is None and (workload.min_available > 0 or workload.spot_max_fraction < 1):
            found.append(("spot", "only spot capacity fits it, and minAvailable / spot.maxFraction need on-demand"))
        if cluster.capacity_cpu is not None and cluster.capacity_cpu < workload.cpu:
            found.append(
                ("capacity", f"{cluster.capacity_cpu:g} CPU left of its capacity.cpu after the other workloads")
            )
        if workload.latency_ms is not None:
            rtts = {u: rtt_ms(scenario, u, cluster) for u, share in workload.users.items() if share > 0}
            if all(ms > workload.latency_ms for ms in rtts.values()):
                far = ", ".join(f"{ms:.0f} ms from {u}" for u, ms in sorted(rtts.items()))
                found.append(("latency", f"{far}; latencyMs is {workload.latency_ms:g}"))
        if cluster.name not in allowed:
            found = found or [("other", "left out by the solver's option filter")]
            result.append(Exclusion(cluster.name, tuple(r for r, _ in found), tuple(t for _, t in found)))
    return tuple(result)
