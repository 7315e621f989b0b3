"""placement: cost-aware workload placement for multi-cloud Kubernetes fleets.

Public surface: the Scenario input contract, the Plan output contract, and the pure `solve()`.
"""

from placement.errors import ApplyError, InvalidPlan, InvalidScenario, PlacementError, Problem
from placement.plan import Assignment, HourlyCost, Plan, Route, SolverStats, Unplaced
from placement.scenario import (
    Cluster,
    DemandSpec,
    Planning,
    PriceSettings,
    Replicas,
    Scenario,
    UserRegion,
    Workload,
)

__all__ = [
    "ApplyError",
    "Assignment",
    "Cluster",
    "DemandSpec",
    "HourlyCost",
    "InvalidPlan",
    "InvalidScenario",
    "PlacementError",
    "Plan",
    "Planning",
    "PriceSettings",
    "Problem",
    "Replicas",
    "Route",
    "Scenario",
    "SolverStats",
    "Unplaced",
    "UserRegion",
    "Workload",
]
