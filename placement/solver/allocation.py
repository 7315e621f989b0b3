"""One workload's placement — replicas per cluster and capacity type, plus routed traffic — and
what it costs and consumes. The common currency of the greedy baseline, the closed form, the
models and `solve()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from placement.geo.egress import cluster_egress_usd_per_gb
from placement.scenario import Planning, Workload
from placement.solver.candidates import ClusterOption, WorkloadOptions


@dataclass(frozen=True, slots=True)
class Placement:
    """Per workload: cluster -> (on-demand, spot) replicas and routed traffic (user, cluster) -> replicas."""

    replicas: dict[str, tuple[int, int]]
    routes: dict[tuple[str, str], float]


def replica_costs(
    option: ClusterOption, workload_replicas: int, egress_gb_per_hour: float, risk_aversion: float
) -> tuple[float | None, float | None]:
    """Objective cost of one on-demand and one spot replica in this option (None: not offered)."""
    egress = 0.0
    if egress_gb_per_hour and workload_replicas:
        egress = egress_gb_per_hour * cluster_egress_usd_per_gb(option.cluster) / workload_replicas
    od = None if option.on_demand is None else option.on_demand.hourly_usd + egress
    sp = None
    if option.spot is not None:
        sp = option.spot.hourly_usd * (1.0 + risk_aversion * option.spot.interruption_rate) + egress
    return od, sp


def without_compute(option: ClusterOption, risk_aversion: float) -> ClusterOption:
    """The option with only what a plan charges besides its node bill (`replica_costs` of it): egress
    and the spot risk, which `placement.solver.plan_costs` takes on the fluid replica price."""
    on_demand = None if option.on_demand is None else replace(option.on_demand, hourly_usd=0.0)
    spot = option.spot
    if spot is not None:
        rate = spot.interruption_rate
        spot = replace(spot, hourly_usd=risk_aversion * rate * spot.hourly_usd / (1.0 + risk_aversion * rate))
    return replace(option, on_demand=on_demand, spot=spot)


def beside_nodes(wo: WorkloadOptions, risk_aversion: float) -> WorkloadOptions:
    """The workload as the bound's node-count models see it (`placement.solver.joint_prices`,
    `placement.solver.whole_nodes`): its options charge only the spot risk — compute is the nodes',
    and egress is counted once, as `egress_floor_usd`."""
    return replace(
        wo,
        workload=without_egress(wo.workload),
        options=tuple(without_compute(o, risk_aversion) for o in wo.options),
    )


def without_egress(workload: Workload) -> Workload:
    """The workload with no egress in the model: the bound adds `egress_floor_usd` instead."""
    return workload if not workload.egress_gb_per_hour else replace(workload, egress_gb_per_hour=0.0)


def egress_floor_usd(options: Sequence[WorkloadOptions], placed: Iterable[str]) -> float:
    """The least egress any plan placing the `placed` workloads pays: each workload's GB/h at the
    cheapest $/GB of the clusters that can serve its traffic (for each user region of a latency
    rule, the clusters within reach; else any allowed cluster). The model charges egress per
    replica, the plan by the traffic each cluster serves (`placement.solver.plan_costs`), and
    replicas beyond the demand (minClusters, standby clusters beyond latencyMs) serve none: so the
    model's egress can exceed what the plan pays, and the bound counts this floor instead."""
    placed = set(placed)
    total = 0.0
    for wo in options:
        w = wo.workload
        if w.key not in placed or not w.egress_gb_per_hour or not wo.options:
            continue
        rate = {o.cluster.name: cluster_egress_usd_per_gb(o.cluster) for o in wo.options}
        cheapest = min(rate.values())
        shares = {u: share for u, share in w.users.items() if share > 0} if w.latency_ms is not None else {}
        if shares:
            reach = {
                u: min((rate[o.cluster.name] for o in wo.options if u in o.serves), default=cheapest) for u in shares
            }
            cheapest = sum(shares[u] * reach[u] for u in shares)  # the plan's egress: Σ_u share × its clusters'
        total += w.egress_gb_per_hour * cheapest
    return total


def placement_cost(wo: WorkloadOptions, placement: Placement | None, planning: Planning) -> float:
    """The objective value (USD/h: compute + spot risk + egress) of one workload's placement; 0 if unplaced."""
    if placement is None:
        return 0.0
    w = wo.workload
    total = 0.0
    by_name = {o.cluster.name: o for o in wo.options}
    for name, (od, sp) in placement.replicas.items():
        od_cost, sp_cost = replica_costs(by_name[name], w.replicas, w.egress_gb_per_hour, planning.risk_aversion)
        total += od * (od_cost or 0.0) + sp * (sp_cost or 0.0)
    return total


def placement_replicas_added(wo: WorkloadOptions, placement: Placement | None) -> int:
    """Replicas added where they were not before, per cluster and capacity type (the churn measure of
    `maxMoves`, as `placement.solver.plan_costs.replicas_added` counts it on a plan's assignments)."""
    if placement is None:
        return 0
    moves = 0
    for name, (od, sp) in placement.replicas.items():
        today = wo.workload.current.get(name)
        moves += max(od - (today.on_demand if today else 0), 0) + max(sp - (today.spot if today else 0), 0)
    return moves


def capped_cpu(wo: WorkloadOptions, placement: Placement | None, capacity_cpu: dict[str, float]) -> dict[str, float]:
    """CPU this placement takes in each capacity-capped cluster it uses."""
    if placement is None:
        return {}
    return {
        name: wo.workload.cpu * (od + sp)
        for name, (od, sp) in placement.replicas.items()
        if name in capacity_cpu and od + sp
    }
