"""What-if sweeps, Pareto frontiers and price-of-rules re-solves as fan-outs.

Each task is one solve of the existing pure functions (`whatif.sweep_point`,
`analysis.price_of.price_of_family`); the scenario and catalog travel once as the shared input.
With the default runner (sequential) these return exactly what `whatif.sweep`, the frontiers and
`price_of_rules` return; with a `RayRunner` the same values, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from placement.analysis.price_of import RulePrice, price_of_family, workload_costs
from placement.plan import Plan
from placement.scaleout.runner import FanOut, Progress, Runner, Sequential
from placement.scenario import Scenario
from placement.simulate import whatif
from placement.simulate.whatif import SweepPoint, Transform
from placement.solver.milp import DEFAULT_BACKEND
from pricing import Catalog


@dataclass(frozen=True, slots=True)
class SweepInputs:
    """What every task of a sweep shares (put in the object store once)."""

    scenario: Scenario
    catalog: Catalog
    transform: Transform
    time_limit_s: float | None
    backend: str


def _sweep_task(shared: SweepInputs, value: Any) -> SweepPoint:
    return whatif.sweep_point(
        shared.scenario,
        shared.catalog,
        value,
        shared.transform,
        time_limit_s=shared.time_limit_s,
        backend=shared.backend,
    )


def sweep(
    scenario: Scenario,
    catalog: Catalog,
    values: Iterable[Any],
    transform: Transform,
    *,
    time_limit_s: float | None = 10.0,
    backend: str = DEFAULT_BACKEND,
    runner: Runner | None = None,
    progress: Progress | None = None,
) -> FanOut[SweepPoint]:
    """`whatif.sweep` as one task per value; `.values()` is the list `whatif.sweep` returns."""
    values = list(values)
    name = getattr(transform, "__name__", None) or ",".join(getattr(transform, "names", ())) or "value"
    labels = [f"{name}={_show(v)}" for v in values]
    shared = SweepInputs(scenario, catalog, transform, time_limit_s, backend)
    return (runner or Sequential()).map(_sweep_task, values, shared=shared, labels=labels, progress=progress)


def grid_sweep(
    scenario: Scenario, catalog: Catalog, axes: Sequence[tuple[str, Sequence[Any]]], **kwargs: Any
) -> FanOut[SweepPoint]:
    """Every combination of named parameters (`whatif.PARAMETERS`: latency, risk, shock, traffic),
    e.g. `[("risk", [0, 1, 10]), ("shock", [-20, 0, 30])]`; each point's value is a tuple in axis order."""
    grid = whatif.Grid(tuple(name for name, _ in axes))
    return sweep(scenario, catalog, whatif.grid_values([list(values) for _, values in axes]), grid, **kwargs)


def latency_frontier(
    scenario: Scenario, catalog: Catalog, factors: Iterable[float] = (0.6, 0.8, 1.0, 1.5, 2.0, 3.0), **kwargs: Any
) -> FanOut[SweepPoint]:
    """`whatif.latency_frontier` fanned out."""
    return sweep(scenario, catalog, factors, whatif.scale_latency, **kwargs)


def risk_frontier(
    scenario: Scenario, catalog: Catalog, aversions: Iterable[float] = (0.0, 1.0, 3.0, 10.0, 30.0, 100.0), **kwargs: Any
) -> FanOut[SweepPoint]:
    """`whatif.risk_frontier` fanned out."""
    return sweep(scenario, catalog, aversions, whatif.set_risk_aversion, **kwargs)


@dataclass(frozen=True, slots=True)
class PriceOfInputs:
    scenario: Scenario
    catalog: Catalog
    base: Plan
    base_costs: dict[str, float]
    time_limit_s: float | None
    backend: str
    top: int


def _price_of_task(shared: PriceOfInputs, family: str) -> RulePrice:
    return price_of_family(
        shared.scenario,
        shared.catalog,
        family,
        shared.base,
        base_costs=shared.base_costs,
        time_limit_s=shared.time_limit_s,
        backend=shared.backend,
        top=shared.top,
    )


def price_of_rules(
    scenario: Scenario,
    catalog: Catalog,
    families: Sequence[str],
    *,
    base: Plan | None = None,
    time_limit_s: float | None = None,
    backend: str = DEFAULT_BACKEND,
    top: int = 5,
    runner: Runner | None = None,
    progress: Progress | None = None,
) -> FanOut[RulePrice]:
    """`analysis.price_of.price_of_rules` with one re-solve per family as a task (the base is solved here)."""
    from placement.solver.solve import solve

    if base is None:
        base = solve(scenario, catalog, time_limit_s=time_limit_s, backend=backend)
    shared = PriceOfInputs(scenario, catalog, base, workload_costs(scenario, catalog, base), time_limit_s, backend, top)
    families = list(families)
    return (runner or Sequential()).map(
        _price_of_task, families, shared=shared, labels=[f"price of {f}" for f in families], progress=progress
    )


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)


__all__ = ["grid_sweep", "latency_frontier", "price_of_rules", "risk_frontier", "sweep"]
