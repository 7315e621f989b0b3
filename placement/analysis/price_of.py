"""The price of rules: what each rule family costs, as the difference of two solves.

For each family (residency, latency, minClusters, spot, capacity, instanceFamilies, maxMoves; see
`placement.analysis.rules`), the scenario is re-solved with that family switched off for every workload and
cluster, and the rule's price is

    price(family) = Σ over workloads placed in both plans of  cost_base(w) − cost_relaxed(w)

where cost(w) is the workload's $/h as the solver's objective counts it: replica prices, plus egress
per replica (declared GB/h × the serving cluster's $/GB ÷ demand), plus spot risk (riskAversion ×
interruption rate × spot price). When both plans place the same workloads this is exactly
`base.solver.objective − relaxed.solver.objective`, never negative at optimality (a relaxation cannot
cost more). It can differ slightly from the difference of `hourlyUsd.after`, whose egress follows the
routed traffic rather than the replicas. Workloads the relaxed plan places but the base plan cannot
are listed (`newly_placed`) rather than counted: a rule that makes a workload impossible has no
finite price. A solve that stops within its optimality gap can shift a price by up to `gap`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from placement.analysis.rules import relax, uses
from placement.geo.egress import cluster_egress_usd_per_gb
from placement.plan import Plan
from placement.scenario import Scenario
from placement.solver.milp import DEFAULT_BACKEND
from placement.solver.replica_price import ReplicaPricer
from pricing import CapacityType, Catalog


@dataclass(frozen=True, slots=True)
class WorkloadPrice:
    """What one family of rules costs one workload ($/h, base − relaxed)."""

    workload: str
    hourly_usd: float


@dataclass(frozen=True, slots=True)
class RulePrice:
    """What one rule family costs the fleet, its top workloads, and what relaxing it would place."""

    family: str
    hourly_usd: float
    base_hourly_usd: float  # objective $/h of the base plan
    relaxed_hourly_usd: float  # objective $/h of the relaxed plan
    used: bool  # False: no workload or cluster has a rule of this family (price 0, nothing re-solved)
    workloads: tuple[WorkloadPrice, ...] = ()  # the costliest, largest first
    newly_placed: tuple[str, ...] = ()
    gap: float = 0.0  # the larger relative optimality gap of the two solves

    @property
    def fraction(self) -> float:
        """The price as a share of the base plan's $/h."""
        return 0.0 if self.base_hourly_usd <= 0 else self.hourly_usd / self.base_hourly_usd


def workload_costs(scenario: Scenario, catalog: Catalog, plan: Plan) -> dict[str, float]:
    """Node-true $/h of each placed workload: its share of its pools' node bills, egress, and spot risk
    (as the plan's objective counts them, so the workloads add up to it)."""
    pricer = ReplicaPricer(catalog, overhead_factor=scenario.planning.overhead_factor)
    costs: dict[str, float] = {}
    for a in plan.assignments:
        workload, cluster = scenario.workload(a.workload), scenario.cluster(a.cluster)
        cost = a.hourly_usd
        if (
            workload.egress_gb_per_hour
            and workload.replicas
            and not any(r.workload == a.workload for r in plan.routing)
        ):
            cost += a.replicas * workload.egress_gb_per_hour * cluster_egress_usd_per_gb(cluster) / workload.replicas
        if a.spot:
            sp = pricer.price(workload, cluster, CapacityType.SPOT)
            if sp is not None:
                cost += a.spot * scenario.planning.risk_aversion * sp.interruption_rate * sp.hourly_usd
        costs[a.workload] = costs.get(a.workload, 0.0) + cost
    for r in plan.routing:  # routed workloads pay egress for the traffic each cluster serves
        workload = scenario.workload(r.workload)
        if workload.egress_gb_per_hour and workload.replicas:
            costs[r.workload] = costs.get(r.workload, 0.0) + (
                workload.egress_gb_per_hour
                * r.replicas
                / workload.replicas
                * cluster_egress_usd_per_gb(scenario.cluster(r.cluster))
            )
    return costs


def price_of_rules(
    scenario: Scenario,
    catalog: Catalog,
    families: Sequence[str],
    *,
    base: Plan | None = None,
    time_limit_s: float | None = None,
    backend: str = DEFAULT_BACKEND,
    top: int = 5,
) -> tuple[RulePrice, ...]:
    """Re-solve with each family relaxed and price it against `base` (solved here when not given)."""
    from placement.solver.solve import solve

    if base is None:
        base = solve(scenario, catalog, time_limit_s=time_limit_s, backend=backend)
    base_costs = workload_costs(scenario, catalog, base)
    return tuple(
        price_of_family(
            scenario, catalog, family, base, base_costs=base_costs, time_limit_s=time_limit_s, backend=backend, top=top
        )
        for family in families
    )


def price_of_family(
    scenario: Scenario,
    catalog: Catalog,
    family: str,
    base: Plan,
    *,
    base_costs: Mapping[str, float] | None = None,
    time_limit_s: float | None = None,
    backend: str = DEFAULT_BACKEND,
    top: int = 5,
) -> RulePrice:
    """One family's price: re-solve with it relaxed and compare with `base` (pure; one task of a fan-out)."""
    from placement.solver.solve import solve

    if base_costs is None:
        base_costs = workload_costs(scenario, catalog, base)
    base_total = sum(base_costs.values())
    if not uses(scenario, family):
        return RulePrice(family, 0.0, base_total, base_total, used=False)
    relaxed_scenario = relax(scenario, family)
    relaxed = solve(relaxed_scenario, catalog, time_limit_s=time_limit_s, backend=backend)
    relaxed_costs = workload_costs(relaxed_scenario, catalog, relaxed)
    common = base_costs.keys() & relaxed_costs.keys()
    deltas = sorted(
        (WorkloadPrice(k, base_costs[k] - relaxed_costs[k]) for k in common), key=lambda p: (-p.hourly_usd, p.workload)
    )
    return RulePrice(
        family=family,
        hourly_usd=sum(p.hourly_usd for p in deltas),
        base_hourly_usd=base_total,
        relaxed_hourly_usd=sum(relaxed_costs.values()),
        used=True,
        workloads=tuple(p for p in deltas[:top] if p.hourly_usd > 1e-9),
        newly_placed=tuple(sorted(relaxed_costs.keys() - base_costs.keys())),
        gap=max((g for g in (base.solver.gap, relaxed.solver.gap) if math.isfinite(g)), default=0.0),
    )


def price_of_json(prices: Sequence[RulePrice]) -> dict[str, Any]:
    """The optional `priceOfRules` field of Plan JSON: family → its price (additive to the contract)."""
    return {
        p.family: {
            "hourlyUsd": round(p.hourly_usd, 6),
            "fraction": round(p.fraction, 6),
            "baseHourlyUsd": round(p.base_hourly_usd, 6),
            "relaxedHourlyUsd": round(p.relaxed_hourly_usd, 6),
            "used": p.used,
            "gap": round(p.gap, 6),
            "topWorkloads": [{"workload": w.workload, "hourlyUsd": round(w.hourly_usd, 6)} for w in p.workloads],
            "newlyPlaced": list(p.newly_placed),
        }
        for p in prices
    }


def with_price_of(document: Mapping[str, Any], prices: Sequence[RulePrice]) -> dict[str, Any]:
    """A Plan JSON document with `priceOfRules` added."""
    return {**document, "priceOfRules": price_of_json(prices)}
