"""The plan report's solver line: which status and which gap it speaks of.

`status` is the allocation model's (replicas on fluid prices); `gap` is the node-true objective's
against the node-aware bound, which also counts packing loss. The line names both, so a plan that
is "optimal" with a 12 % gap does not read as a contradiction.
"""

from __future__ import annotations

import dataclasses
import re

from builders import make_catalog, make_cluster, make_scenario, make_workload

from placement.plan import Plan
from placement.report.plan import to_table_text
from placement.solver.solve import solve

CATALOG = make_catalog(("aws", "eu-west-1", 1.0))
IE = make_cluster("ie", region="eu-west-1", country="IE", lat=53.35, lon=-6.26)


def _solver_line(plan: Plan) -> str:
    lines = [line for line in to_table_text(plan).splitlines() if line.startswith("solver ")]
    assert len(lines) == 1
    return lines[0]


def test_the_solver_line_names_the_allocation_status_and_the_node_aware_gap() -> None:
    plan = solve(make_scenario([IE], [make_workload(replicas=4, cpu=1.0, memory_gib=2.0)]), CATALOG)
    s = plan.solver
    line = _solver_line(plan)
    model_gap = (s.model_objective - s.model_bound) / s.model_objective
    assert f"allocation {s.status} (model gap {model_gap:.3%})" in line
    assert f"node-true objective {s.objective:.4f} vs node-aware bound {s.bound:.4f}: gap {s.gap:.3%}" in line


def test_a_plan_without_the_model_section_still_reports_its_gap() -> None:
    plan = solve(make_scenario([IE], [make_workload(replicas=3)]), CATALOG)
    older = Plan.from_json(
        plan.to_json() | {"solver": {k: v for k, v in plan.to_json()["solver"].items() if k != "model"}}
    )
    assert older.solver.model_objective is None
    line = _solver_line(older)
    assert "model gap" not in line
    assert re.search(r"allocation \w+, [\d.]+ s; node-true objective", line)


def test_a_long_solver_line_is_not_cut() -> None:
    plan = solve(make_scenario([IE], [make_workload(replicas=2)]), CATALOG)
    slow = dataclasses.replace(plan, solver=dataclasses.replace(plan.solver, backend="x" * 80))
    assert _solver_line(slow).endswith(f"gap {slow.solver.gap:.3%}")
