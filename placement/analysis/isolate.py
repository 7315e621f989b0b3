"""One workload against the rest of a plan: the one-workload scenario it would be solved in alone.

Workloads are coupled only through shared resources: clusters' `capacity.cpu` and the churn budget
`maxMoves`. Holding every other workload where the plan put it, one workload sees the capacity and
the moves the others leave. Explanations (`placement.analysis.conflicts`, `placement.analysis.explain`) re-solve that
small scenario instead of the fleet. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from placement.plan import Assignment, Plan
from placement.scenario import Scenario
from placement.solver.plan_costs import replicas_added


def isolate(scenario: Scenario, plan: Plan, workload_key: str) -> Scenario:
    """A scenario holding only this workload, with the capacity and churn budget the others leave."""
    workload = scenario.workload(workload_key)
    others = [a for a in plan.assignments if a.workload != workload.key]
    used = cpu_used(scenario, others)
    clusters = tuple(
        replace(c, capacity_cpu=max(c.capacity_cpu - used.get(c.name, 0.0), 0.0)) if c.capacity_cpu is not None else c
        for c in scenario.clusters
    )
    planning = scenario.planning
    if planning.max_moves is not None:
        planning = replace(planning, max_moves=max(planning.max_moves - replicas_added(scenario, others), 0))
    return replace(scenario, workloads=(workload,), clusters=clusters, planning=planning)


def cpu_used(scenario: Scenario, assignments: Iterable[Assignment]) -> dict[str, float]:
    """CPU (cores) the assignments take in each cluster."""
    used: dict[str, float] = {}
    for a in assignments:
        used[a.cluster] = used.get(a.cluster, 0.0) + scenario.workload(a.workload).cpu * a.replicas
    return used
