"""What placements cost per hour: the plan's compute, egress and risk parts, and today's placement.

Kept apart from the solver so the numbers a plan reports are computed from its final integer
replica counts (not from solver objective values) with the same replica prices as the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from placement.geo.egress import cluster_egress_usd_per_gb
from placement.plan import Assignment, Route
from placement.scenario import Scenario
from placement.solver.replica_price import ReplicaPricer
from pricing import CapacityType


@dataclass(frozen=True, slots=True)
class CostParts:
    compute: float
    egress: float
    risk: float

    @property
    def total(self) -> float:
        return self.compute + self.egress + self.risk


def price_placement(
    scenario: Scenario, pricer: ReplicaPricer, assignments: Sequence[Assignment], routing: Sequence[Route]
) -> CostParts:
    """Compute $/h from the assignments; egress by served traffic share; risk on spot replicas."""
    compute = egress = risk = 0.0
    served: dict[tuple[str, str], float] = {}
    for route in routing:
        served[(route.workload, route.cluster)] = served.get((route.workload, route.cluster), 0.0) + route.replicas
    routed_workloads = {w for w, _ in served}  # a set: this loop runs per assignment on fleets of thousands
    totals: dict[str, int] = {}
    for a in assignments:
        totals[a.workload] = totals.get(a.workload, 0) + a.replicas
    for a in assignments:
        workload = scenario.workload(a.workload)
        cluster = scenario.cluster(a.cluster)
        compute += a.hourly_usd
        if a.spot:
            spot = pricer.price(workload, cluster, CapacityType.SPOT)
            if spot is not None:
                risk += scenario.planning.risk_aversion * spot.interruption_rate * spot.hourly_usd * a.spot
        if workload.egress_gb_per_hour:
            if a.workload in routed_workloads and workload.replicas:
                share = served.get((a.workload, a.cluster), 0.0) / workload.replicas
            else:
                share = a.replicas / max(totals[a.workload], 1)
            egress += workload.egress_gb_per_hour * share * cluster_egress_usd_per_gb(cluster)
    return CostParts(compute, egress, risk)


#: What `hourlyUsd.before` means when no cluster declares its current nodes (the report says it).
BEFORE_BASIS = "today's replicas packed on the same node model"


def price_current(
    scenario: Scenario, pricer: ReplicaPricer, *, quick: bool = False, hints: bool = False
) -> tuple[float, list[str], str]:
    """Today's $/h in the plan's currency, warnings, and its basis: the nodes each cluster runs today
    where known (`Cluster.current_nodes`: the scenario's `currentNodes`, or Node labels read by the
    fleet reader), else today's replicas packed onto whole nodes of the types the autoscaler
    launches, with the same effort as the plan's (`quick`, `hints`: `node_plan.plan_nodes`); plus
    egress and risk priced like the plan."""
    from placement.solver.node_plan import plan_nodes

    assignments: list[Assignment] = []
    warnings: list[str] = []
    known = {c.name for c in scenario.clusters if c.current_nodes}
    for workload in scenario.workloads:
        for name, today in workload.current.items():
            if today.total == 0:
                continue
            cluster = scenario.cluster(name)
            od = pricer.price(workload, cluster, CapacityType.ON_DEMAND)
            sp = pricer.price(workload, cluster, CapacityType.SPOT)
            if name not in known and ((today.on_demand and od is None) or (today.spot and sp is None)):
                warnings.append(
                    f"current replicas of {workload.key} in {name} have no price in the catalog; "
                    "they are left out of the 'before' cost"
                )
                continue
            assignments.append(
                Assignment(workload.key, name, cluster.cloud, cluster.region, today.on_demand, today.spot, {}, 0.0)
            )
    packed = [a for a in assignments if a.cluster not in known]
    nodes = plan_nodes(scenario, packed, pricer.node_types, quick=quick, hints=hints and not quick)
    priced = [replace(a, hourly_usd=nodes.shares.get((a.workload, a.cluster), (0.0, {}))[0]) for a in packed]
    compute = sum(a.hourly_usd for a in priced)
    for cluster in (c for c in scenario.clusters if c.name in known):
        for (instance_type, kind), count in sorted(cluster.current_nodes.items()):
            offer = (
                pricer.catalog.in_region(cluster.cloud, cluster.region)
                .of(kind)
                .where(instance_type=instance_type)
                .cheapest()
            )
            if offer is None:
                warnings.append(
                    f"today's {kind} nodes {instance_type} in {cluster.name} have no price in the catalog; "
                    "they are left out of the 'before' cost"
                )
                continue
            compute += count * offer.hourly_usd
    rest = price_placement(scenario, pricer, [replace(a, hourly_usd=0.0) for a in assignments], ())
    if not known:
        basis = BEFORE_BASIS
    elif known >= {a.cluster for a in assignments}:
        basis = "today's nodes (" + ", ".join(sorted(known)) + ")"
    else:
        basis = f"today's nodes in {', '.join(sorted(known))}; elsewhere {BEFORE_BASIS}"
    return compute + rest.egress + rest.risk, warnings, basis


def replicas_added(scenario: Scenario, assignments: Iterable[Assignment]) -> int:
    """Replicas added where they were not before, counted per cluster and capacity type: the churn
    measure of `spec.planning.maxMoves` and `Plan.moves` (an on-demand replica turned spot in the same
    cluster counts as one). `placement.solver.allocation.placement_replicas_added` is the same measure
    on one workload's `Placement`; `placement.kube.apply.deployment_replicas_added` is the apply-time
    count on Deployments, blind to capacity type."""
    total = 0
    for a in assignments:
        today = scenario.workload(a.workload).current.get(a.cluster)
        total += max(a.on_demand - (today.on_demand if today else 0), 0)
        total += max(a.spot - (today.spot if today else 0), 0)
    return total
