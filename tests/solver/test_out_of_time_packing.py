"""A plan whose allocation ran out of time still packs its nodes with full effort when the time
left allows it, so its node bill and `before` do not depend on which step was slow.

Until this release a `time_limit` status (e.g. CP-SAT stopping at its limit on the demo, 2 s
before the plan's own) packed every pool on one admitted set: the demo's node bill rose from 5.69
to 6.65 $/h and its `before` from 14.72 to 16.00, for the same replicas. The full packing now runs
whenever it is foreseen to take at most half the time left (`solve.FULL_PACKING_S_PER_POD`).
"""

from __future__ import annotations

import pytest

import placement.solver.solve as solve_module
from placement.load.catalog import catalog_for
from placement.load.demand import resolve_demand
from placement.load.scenario import demo_scenario_path, load_scenario
from placement.solver.node_plan import plan_nodes
from placement.solver.replica_price import ReplicaPricer
from placement.solver.solve import solve


@pytest.fixture(scope="module")
def demo():
    scenario = resolve_demand(load_scenario(demo_scenario_path()))
    return scenario, catalog_for(scenario).catalog


def _allocation_out_of_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every allocation step ends as if its backend had stopped at its limit (same replicas)."""
    solve_all = solve_module._solve_all

    def cut(options, planning, capacity, budget, *args, **kwargs):
        out = solve_all(options, planning, capacity, budget, *args, **kwargs)
        budget.ran_out = True
        return out

    monkeypatch.setattr(solve_module, "_solve_all", cut)


def test_time_left_after_a_cut_allocation_still_buys_the_full_packing(demo, monkeypatch) -> None:
    scenario, catalog = demo
    full = solve(scenario, catalog)
    _allocation_out_of_time(monkeypatch)
    cut = solve(scenario, catalog)
    assert cut.solver.status == "time_limit" and full.solver.status == "optimal"
    assert [(a.workload, a.cluster, a.on_demand, a.spot) for a in cut.assignments] == [
        (a.workload, a.cluster, a.on_demand, a.spot) for a in full.assignments
    ]
    assert cut.hourly_usd.compute == pytest.approx(full.hourly_usd.compute)
    assert cut.hourly_usd.before == pytest.approx(full.hourly_usd.before)
    # and that is not a coincidence: one admitted set per pool packs the same replicas dearer
    quick = plan_nodes(scenario, cut.assignments, ReplicaPricer(catalog).node_types, quick=True)
    assert quick.hourly_usd > cut.hourly_usd.compute * 1.05


def test_without_the_time_the_packing_is_quick(demo, monkeypatch) -> None:
    scenario, catalog = demo
    _allocation_out_of_time(monkeypatch)
    monkeypatch.setattr(solve_module, "FULL_PACKING_S_PER_POD", 3600.0)  # foreseen far beyond any limit
    cut = solve(scenario, catalog)
    quick = plan_nodes(scenario, cut.assignments, ReplicaPricer(catalog).node_types, quick=True)
    assert cut.hourly_usd.compute == pytest.approx(quick.hourly_usd)
