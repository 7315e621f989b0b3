"""Model v1 of DESIGN.md, written into a `Milp` for one group of workloads.

Sets: workloads w (of this group), allowed clusters c of each w (see `options`), capacity types
k ∈ {od, spot}, user regions u.

Variables
  x[w,c,k] ∈ ℤ, 0 ≤ x ≤ D_w      replicas (only where k is priced and allowed)
  y[w,c]   ∈ {0,1}                 workload present in c (only when minClusters ≥ 2)
  r[w,u,c] ≥ 0                     replicas-worth of u's traffic served in c (latency rules only)
  z[w]     ∈ {0,1}                 workload left unplaced (only in coupled groups, big penalty)
  m[w,c,k] ≥ 0                     replicas added beyond today's (only with maxMoves)

Constraints
  demand     with latency: ∀u Σ_c r[w,u,c] + share_u·D·z ≥ share_u·D ;  ∀c Σ_u r[w,u,c] ≤ Σ_k x[w,c,k]
             without:      Σ_c,k x[w,c,k] + D·z ≥ D
  floor      Σ_c x[w,c,od] + minAvailable·z ≥ minAvailable
  spot share (1 − f_w)·Σ_c x[w,c,spot] − f_w·Σ_c x[w,c,od] ≤ 0
  spread     y ≤ Σ_k x[w,c,k] ≤ D·y ;  Σ_c y[w,c] + K·z ≥ K
  capacity   Σ_w cpu_w·Σ_k x[w,c,k] ≤ capacity.cpu(c)
  churn      x[w,c,k] − m[w,c,k] ≤ current[w,c,k] ;  Σ m ≤ maxMoves

Objective (USD per hour)
  Σ p[w,c,k]·x  +  riskAversion·Σ rate·p[w,c,spot]·x[spot]  +  Σ egress_gb/h·$/GB(c)/D·x  +  penalty·Σ z
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from placement.egress import egress_usd_per_gb
from placement.milp import INF, Milp
from placement.options import ClusterOption, WorkloadOptions
from placement.scenario import Planning


@dataclass(slots=True)
class WorkloadVars:
    """Indices of one workload's variables in the `Milp`."""

    options: WorkloadOptions
    on_demand: dict[str, int] = field(default_factory=dict)  # cluster -> x[od]
    spot: dict[str, int] = field(default_factory=dict)  # cluster -> x[spot]
    routes: dict[tuple[str, str], int] = field(default_factory=dict)  # (user, cluster) -> r
    unplaced: int | None = None


def replica_costs(option: ClusterOption, workload_replicas: int, egress_gb_per_hour: float, risk_aversion: float
                  ) -> tuple[float | None, float | None]:
    """Objective cost of one on-demand and one spot replica in this option (None: not offered)."""
    egress = 0.0
    if egress_gb_per_hour and workload_replicas:
        egress = egress_gb_per_hour * egress_usd_per_gb(option.cluster.cloud) / workload_replicas
    od = None if option.on_demand is None else option.on_demand.hourly_usd + egress
    sp = None
    if option.spot is not None:
        sp = option.spot.hourly_usd * (1.0 + risk_aversion * option.spot.interruption_rate) + egress
    return od, sp


def build_group(
    group: Sequence[WorkloadOptions],
    planning: Planning,
    *,
    coupled: bool,
    capacity_cpu: dict[str, float],
    cpu_prices: dict[str, float] | None = None,
    capacity_rows: dict[str, int] | None = None,
) -> tuple[Milp, list[WorkloadVars]]:
    """The model for a group of workloads (coupled ones get unplaced slacks and shared rows).

    `cpu_prices` adds a $/CPU-hour charge per cluster (capacity shadow prices, for decomposition);
    `capacity_rows` receives the row index of each cluster's capacity constraint.
    """
    milp = Milp()
    all_vars: list[WorkloadVars] = []
    cpu_terms: dict[str, list[tuple[int, float]]] = {}
    move_terms: list[tuple[int, float]] = []
    for wo in group:
        vars_ = _add_workload(milp, wo, planning, coupled, cpu_terms, move_terms)
        all_vars.append(vars_)
    if cpu_prices:
        for cluster, terms in cpu_terms.items():
            for col, cpu in terms:
                milp.cost[col] += cpu_prices.get(cluster, 0.0) * cpu
    for cluster, terms in cpu_terms.items():
        if cluster in capacity_cpu:
            row = milp.constraint(terms, upper=capacity_cpu[cluster])
            if capacity_rows is not None:
                capacity_rows[cluster] = row
    if planning.max_moves is not None and move_terms:
        milp.constraint(move_terms, upper=float(planning.max_moves))
    return milp, all_vars


def _add_workload(
    milp: Milp,
    wo: WorkloadOptions,
    planning: Planning,
    coupled: bool,
    cpu_terms: dict[str, list[tuple[int, float]]],
    move_terms: list[tuple[int, float]],
) -> WorkloadVars:
    w = wo.workload
    demand = float(w.replicas)
    ub = max(demand, float(w.min_clusters), 1.0)
    result = WorkloadVars(options=wo)
    worst = 0.0
    per_cluster: list[tuple[ClusterOption, list[int]]] = []
    for option in wo.options:
        name = option.cluster.name
        od_cost, sp_cost = replica_costs(option, w.replicas, w.egress_gb_per_hour, planning.risk_aversion)
        columns: list[int] = []
        if od_cost is not None:
            result.on_demand[name] = milp.variable(upper=ub, integer=True, cost=od_cost)
            columns.append(result.on_demand[name])
            worst = max(worst, od_cost)
        if sp_cost is not None:
            result.spot[name] = milp.variable(upper=ub, integer=True, cost=sp_cost)
            columns.append(result.spot[name])
            worst = max(worst, sp_cost)
        per_cluster.append((option, columns))
        cpu_terms.setdefault(name, []).extend((col, w.cpu) for col in columns)
        if planning.max_moves is not None:
            current = w.current.get(name)
            for col, today in ((result.on_demand.get(name), current.on_demand if current else 0),
                               (result.spot.get(name), current.spot if current else 0)):
                if col is not None:
                    move = milp.variable()
                    milp.constraint([(col, 1.0), (move, -1.0)], upper=float(today))
                    move_terms.append((move, 1.0))
    if coupled:
        # Leaving a workload unplaced must never be cheaper than placing it at its worst price.
        result.unplaced = milp.variable(upper=1.0, integer=True, cost=1000.0 * (ub * worst + 1.0))
    z = result.unplaced

    def with_slack(terms: list[tuple[int, float]], rhs: float) -> list[tuple[int, float]]:
        return [*terms, (z, rhs)] if z is not None else terms

    if w.latency_ms is not None:
        for user, share in w.users.items():
            if share <= 0:
                continue
            terms = []
            for option, _ in per_cluster:
                if user in option.serves:
                    col = milp.variable()
                    result.routes[(user, option.cluster.name)] = col
                    terms.append((col, 1.0))
            milp.constraint(with_slack(terms, share * demand), lower=share * demand)
        for option, columns in per_cluster:
            served = [(col, 1.0) for (u, c), col in result.routes.items() if c == option.cluster.name]
            milp.constraint(served + [(col, -1.0) for col in columns], upper=0.0)
    else:
        everything = [(col, 1.0) for _, columns in per_cluster for col in columns]
        milp.constraint(with_slack(everything, demand), lower=demand)
    if w.min_available > 0:
        floor = [(col, 1.0) for col in result.on_demand.values()]
        milp.constraint(with_slack(floor, float(w.min_available)), lower=float(w.min_available))
    if result.spot and w.spot_max_fraction < 1.0:
        f = w.spot_max_fraction
        terms = [(col, 1.0 - f) for col in result.spot.values()] + [(col, -f) for col in result.on_demand.values()]
        milp.constraint(terms, upper=0.0)
    if w.min_clusters >= 2 and demand > 0:
        presence = []
        for _, columns in per_cluster:
            y = milp.variable(upper=1.0, integer=True)
            presence.append((y, 1.0))
            milp.constraint([(y, 1.0)] + [(col, -1.0) for col in columns], upper=0.0)
            milp.constraint([(col, 1.0) for col in columns] + [(y, -ub)], upper=0.0)
        k = float(w.min_clusters)
        milp.constraint(with_slack(presence, k), lower=k)
    return result


__all__ = ["INF", "WorkloadVars", "build_group", "replica_costs"]
