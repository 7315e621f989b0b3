"""placement: cost-aware workload placement for multi-cloud Kubernetes fleets.

Public surface, loaded lazily so `import placement` stays light (no solver, no Kubernetes client):

- the contracts: `Scenario` and its parts (input), `Plan` and its parts (output), the errors;
- the verbs, in the order a plan is made: `load_scenario` (parse only), `resolve_demand` (run the
  forecasts a scenario asks for), `catalog_for` (the prices it needs), `solve` (pure), `to_patches`
  (pure), `apply_patches` (the only verb that changes clusters);
- the notebook facades `simulate` and `whatif`, and `scaleout` (the same sweeps, replays and forecasts
  fanned out over Ray tasks, sequential by default).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# name -> module that defines it (a module path alone: the name is that module)
_EXPORTS: dict[str, str] = {
    "ApplyError": "placement.errors",
    "InvalidPlan": "placement.errors",
    "InvalidScenario": "placement.errors",
    "PlacementError": "placement.errors",
    "Problem": "placement.errors",
    "Assignment": "placement.plan",
    "HourlyCost": "placement.plan",
    "Plan": "placement.plan",
    "Route": "placement.plan",
    "SolverStats": "placement.plan",
    "Unplaced": "placement.plan",
    "Cluster": "placement.scenario",
    "DemandSpec": "placement.scenario",
    "Planning": "placement.scenario",
    "PriceSettings": "placement.scenario",
    "Replicas": "placement.scenario",
    "Scenario": "placement.scenario",
    "UserRegion": "placement.scenario",
    "Workload": "placement.scenario",
    "load_scenario": "placement.load.scenario",
    "resolve_demand": "placement.load.demand",
    "catalog_for": "placement.load.catalog",
    "solve": "placement.solver.solve",
    "to_patches": "placement.patches.build",
    "apply_patches": "placement.kube.apply",
}
_MODULES: dict[str, str] = {
    "scaleout": "placement.scaleout",
    "simulate": "placement.simulate",
    "whatif": "placement.simulate.whatif",
}

__all__ = sorted([*_EXPORTS, *_MODULES])

if TYPE_CHECKING:
    from placement.errors import ApplyError, InvalidPlan, InvalidScenario, PlacementError, Problem
    from placement.kube.apply import apply_patches
    from placement.load.catalog import catalog_for
    from placement.load.demand import resolve_demand
    from placement.load.scenario import load_scenario
    from placement.patches.build import to_patches
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
    from placement.solver.solve import solve


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value: Any = import_module(_MODULES[name])
    elif name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'placement' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
