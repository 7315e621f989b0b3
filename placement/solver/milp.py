"""A minimal mixed-integer linear program built as flat arrays and solved through OR-Tools MathOpt.

Why not the `mathopt.Model` object API: building one Python object per variable and per term
dominates solve time at fleet scale (hundreds of thousands of variables). Here variables and the
constraint matrix are appended to plain lists (or whole numpy blocks) and handed to MathOpt as one
`ModelProto`, which then runs on HiGHS (default), SCIP or CP-SAT unchanged. No domain knowledge
lives here.

LP relaxations (`relax=True`) run HiGHS's dual simplex with presolve off: on our block-structured
models that is 1.7× faster than HiGHS's default (presolve + its choice of algorithm), and simplex
returns a *basic* optimum, which the LP-then-fix decomposition relies on (`placement.solver.coupled`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

INF = math.inf

BACKENDS = ("highs", "scip", "cp-sat")
#: The MIP backend of every verb unless one is asked for (LPs always run on HiGHS; docs/solver.md says why).
DEFAULT_BACKEND = "scip"


@dataclass(frozen=True, slots=True)
class MilpResult:
    """What a solve returned: status, values (by variable index), objective, dual bound, seconds."""

    status: str  # optimal | feasible | infeasible | no-solution
    values: np.ndarray
    objective: float
    bound: float
    seconds: float
    backend: str
    row_duals: dict[int, float] | None = None  # LP relaxations only: row index -> dual value


class Milp:
    """Variables with bounds and costs, rows `lower ≤ Σ a·x ≤ upper`, minimised."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[bool] = []
        self.cost: list[float] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self._rows: list[int] = []
        self._cols: list[int] = []
        self._coefs: list[float] = []

    @property
    def num_variables(self) -> int:
        return len(self.cost)

    @property
    def num_constraints(self) -> int:
        return len(self.row_lower)

    def variable(self, *, lower: float = 0.0, upper: float = INF, integer: bool = False, cost: float = 0.0) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        self.cost.append(cost)
        return len(self.cost) - 1

    def column(
        self, entries: Sequence[tuple[int, float]], *, cost: float = 0.0, lower: float = 0.0, upper: float = INF
    ) -> int:
        """A variable with its coefficients in rows already made (`entries`: row -> coefficient)."""
        column = self.variable(lower=lower, upper=upper, cost=cost)
        self._cells((row, column, coefficient) for row, coefficient in entries)
        return column

    def constraint(self, terms: Sequence[tuple[int, float]], *, lower: float = -INF, upper: float = INF) -> int:
        row = len(self.row_lower)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self._cells((row, column, coefficient) for column, coefficient in terms)
        return row

    def _cells(self, cells: Iterable[tuple[int, int, float]]) -> None:
        """Matrix entries (row, column, coefficient); zeros are left out."""
        for row, column, coefficient in cells:
            if coefficient:
                self._rows.append(row)
                self._cols.append(column)
                self._coefs.append(coefficient)

    def solve(
        self,
        *,
        backend: str = "highs",
        time_limit_s: float = 30.0,
        relative_gap: float = 1e-4,
        absolute_gap: float | None = None,
        hint: Sequence[float] | None = None,
        relax: bool = False,
        node_limit: int | None = None,
        heuristics: bool = True,
    ) -> MilpResult:
        """Solve with MathOpt on `backend`; never raises for infeasibility (it is a status).

        The MIP stops when either gap tolerance is met; `absolute_gap` is in objective units;
        `node_limit` caps the branch-and-bound nodes (a result that does not depend on the clock);
        `heuristics=False` when only the bound is wanted.
        """
        from ortools.math_opt import callback_pb2, model_parameters_pb2, parameters_pb2
        from ortools.math_opt.core.python import solver as core

        if relax:
            backend = "highs"  # the LP relaxations are always HiGHS simplex (basic solutions, row duals)
        solver_type = {
            "highs": parameters_pb2.SOLVER_TYPE_HIGHS,
            "scip": parameters_pb2.SOLVER_TYPE_GSCIP,
            "cp-sat": parameters_pb2.SOLVER_TYPE_CP_SAT,
        }[backend]
        started = time.perf_counter()
        n = self.num_variables
        if n == 0:
            return MilpResult("optimal", np.zeros(0), 0.0, 0.0, 0.0, backend)
        model = self._proto(relax)
        params = parameters_pb2.SolveParametersProto()
        params.time_limit.FromNanoseconds(int(max(time_limit_s, 0.01) * 1e9))
        if relax:
            params.lp_algorithm = parameters_pb2.LP_ALGORITHM_DUAL_SIMPLEX
            params.presolve = parameters_pb2.EMPHASIS_OFF
        else:
            params.relative_gap_tolerance = relative_gap
            if absolute_gap is not None:
                params.absolute_gap_tolerance = absolute_gap
            if node_limit is not None:
                params.node_limit = node_limit
            if not heuristics:
                params.heuristics = parameters_pb2.EMPHASIS_OFF
        if backend == "cp-sat":
            params.threads = 2
        model_params = model_parameters_pb2.ModelSolveParametersProto()
        if hint is not None and backend != "highs":
            solution_hint = model_params.solution_hints.add()
            solution_hint.variable_values.ids.extend(range(n))
            solution_hint.variable_values.values.extend(hint)
        if os.environ.get("PLACEMENT_DEBUG_MILP"):
            print(f"milp: {n} vars, {self.num_constraints} rows, integer={not relax}", flush=True)
        result = core.solve(
            model,
            solver_type,
            parameters_pb2.SolverInitializerProto(),
            params,
            model_params,
            None,
            callback_pb2.CallbackRegistrationProto(),
            None,
            None,
        )
        seconds = time.perf_counter() - started
        if os.environ.get("PLACEMENT_DEBUG_MILP"):
            print(f"milp: {seconds:.2f} s {result.termination.reason}", flush=True)
        return _result(result, n, seconds, backend, relax)

    def _proto(self, relax: bool) -> object:
        from ortools.math_opt import model_pb2

        n, m = self.num_variables, self.num_constraints
        model = model_pb2.ModelProto(name="placement")
        model.variables.ids.extend(range(n))
        model.variables.lower_bounds.extend(self.lower)
        model.variables.upper_bounds.extend(self.upper)
        model.variables.integers.extend([False] * n if relax else self.integer)
        model.objective.maximize = False
        cost = np.asarray(self.cost, dtype=float)
        nonzero = np.flatnonzero(cost)
        model.objective.linear_coefficients.ids.extend(nonzero.tolist())
        model.objective.linear_coefficients.values.extend(cost[nonzero].tolist())
        model.linear_constraints.ids.extend(range(m))
        model.linear_constraints.lower_bounds.extend(self.row_lower)
        model.linear_constraints.upper_bounds.extend(self.row_upper)
        rows = np.asarray(self._rows, dtype=np.int64)
        cols = np.asarray(self._cols, dtype=np.int64)
        order = np.lexsort((cols, rows))  # MathOpt wants the matrix in row-major order
        matrix = model.linear_constraint_matrix
        matrix.row_ids.extend(rows[order].tolist())
        matrix.column_ids.extend(cols[order].tolist())
        matrix.coefficients.extend(np.asarray(self._coefs, dtype=float)[order].tolist())
        return model


def _result(result: object, n: int, seconds: float, backend: str, relax: bool = False) -> MilpResult:
    from ortools.math_opt import result_pb2

    reason = result.termination.reason  # type: ignore[attr-defined]
    bounds = result.termination.objective_bounds  # type: ignore[attr-defined]
    if reason in (result_pb2.TERMINATION_REASON_INFEASIBLE, result_pb2.TERMINATION_REASON_INFEASIBLE_OR_UNBOUNDED):
        return MilpResult("infeasible", np.zeros(0), INF, INF, seconds, backend)
    solutions = [s for s in result.solutions if s.HasField("primal_solution")]  # type: ignore[attr-defined]
    if not solutions:
        return MilpResult("no-solution", np.zeros(0), INF, bounds.dual_bound, seconds, backend)
    primal = solutions[0].primal_solution
    values = np.zeros(n)
    ids = np.asarray(primal.variable_values.ids, dtype=np.int64)
    values[ids] = np.asarray(primal.variable_values.values, dtype=float)
    status = "optimal" if reason == result_pb2.TERMINATION_REASON_OPTIMAL else "feasible"
    bound = bounds.dual_bound if math.isfinite(bounds.dual_bound) else -INF
    duals = None
    if relax and solutions[0].HasField("dual_solution"):
        dual = solutions[0].dual_solution.dual_values
        duals = dict(zip(dual.ids, dual.values, strict=True))
        if status == "optimal":
            bound = primal.objective_value
    return MilpResult(status, values, primal.objective_value, bound, seconds, backend, duals)
