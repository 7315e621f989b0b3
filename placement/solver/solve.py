"""`solve()`: the pure core — a scenario and a catalog in, a `Plan` out, within a hard time limit.

How it runs (the model itself is documented in `placement.solver.formulation`, the reasons and measurements
behind each step in docs/solver.md):
1. Price every allowed (workload, cluster, capacity type) and drop what a workload's own rules
   forbid (`placement.solver.candidates`); workloads left with nothing are `unplaced` with their reason.
2. **A plan at once**: the greedy cheapest-first placement of every workload, respecting cluster
   caps and the churn budget (`placement.solver.greedy`). Whatever the time limit leaves unsolved keeps it.
3. **Every workload's own optimum**, ignoring the resources workloads share (CPU caps, `maxMoves`):
   closed form where provable, else large LP batches whose integral workloads are proved optimal,
   else small MIPs (`placement.solver.independent`).
4. **Coupling only where it binds**: a workload whose own optimum uses no capped cluster and adds no
   replica is in *some* optimal plan with exactly that placement (swap it into any optimal plan: no
   dearer, and it frees resources), so it is final. The others form one coupled group; if their own
   optima fit the caps and budget together they are final too, else the group is solved by LP,
   then fix (`placement.solver.coupled`).
5. The time limit holds: each step checks the `Budget` before it starts, backends get a limit well
   inside what is left, and a step that does not finish leaves its workloads on the greedy plan
   (status `time_limit`). Replica counts become assignments, routes, costs, moves, bound and gap.

6. **Whole nodes** (model v2): every cluster × capacity-type pool's pods are packed onto the node
   types its autoscaler launches, the way Karpenter provisions them (`placement.solver.node_plan`,
   `placement.solver.packing`). The node bill is the plan's compute; today's replicas are packed
   the same way for `before`.

Two objectives are reported. The **allocation model** (replicas on fluid replica prices; steps 2–5)
has its own objective and bound (`SolverStats.model_objective`, `model_bound`): a lower bound on
placing the workloads the plan places — Σ of each placed workload's own lower bound (its LP value,
or its proved optimum), except for a coupled group that is placed whole, which contributes its LP
(or MIP) bound; workloads left on the greedy plan for lack of time contribute their closed-form
relaxation. `status` is that model's: `optimal` when its gap ≤ `relative_gap`, `feasible` when not,
`time_limit` when the budget cut any step short, `infeasible` when nothing is placed.

The plan's `objective` is **node-true** (node bill + egress + spot risk) and its `bound` is
node-aware: replica prices from per-pool dual prices of allocatable (a valid lower bound of any
node bill; `placement.solver.node_plan.node_bound_usd`) under the same closed-form relaxation, and
for small fleets prices from the joint LP of allocation and packing and a MIP that buys nodes whole
(`placement.solver.joint_prices`, `placement.solver.whole_nodes`). The `gap` between them is
packing loss and allocation gap together, honest about both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from placement.plan import Assignment, HourlyCost, Plan, Route, SolverStats, Unplaced
from placement.scenario import Planning, Scenario
from placement.solver.allocation import (
    Placement,
    capped_cpu,
    egress_floor_usd,
    placement_cost,
    placement_replicas_added,
)
from placement.solver.candidates import WorkloadOptions, all_options
from placement.solver.closed_form import lower_bound_usd
from placement.solver.coupled import solve_coupled
from placement.solver.deadline import Budget
from placement.solver.dominance import prune_all
from placement.solver.greedy import greedy, keep_current
from placement.solver.independent import Solved, solve_independent
from placement.solver.joint_prices import Pool, Shape, joint_prices
from placement.solver.milp import DEFAULT_BACKEND
from placement.solver.node_plan import (
    JOINT_WORK_FLOOR,
    JOINT_WORK_PER_WORKLOAD,
    NodePlan,
    dual_options,
    node_bound_usd,
    pattern_work,
    plan_nodes,
    pool_groups,
)
from placement.solver.plan_costs import CostParts, price_current, price_placement, replicas_added
from placement.solver.replica_price import ReplicaPricer
from placement.solver.whole_nodes import TIME_S as WHOLE_NODE_TIME_S
from placement.solver.whole_nodes import whole_node_bound_usd
from pricing import Catalog

# Reserve for building the Plan after the last solver step: packing every pool onto whole nodes
# (today's replicas too, for `before`) and the node-aware bound. Measured: 3,000 workloads with
# 19,559 replicas on 16 clusters take 1.3 s to assemble on this machine class.
_ASSEMBLY_S_PER_WORKLOAD = 1e-4
_ASSEMBLY_S_PER_REPLICA = 3e-5
#: The bound's packing LPs stop at this share of the time left (so a plan is deterministic unless
#: the time limit is close: the bound is then weaker, never wrong).
_PATTERNS_SHARE_OF_LEFT = 0.5
#: Out of time, the packing keeps its full effort if that is foreseen to take at most this share
#: of the time left to the limit, at `FULL_PACKING_S_PER_POD` per pod (measured: 19–25 µs on the
#: 1,000 × 20 bench fleets, synthetic and real catalogs; twice that kept for safety).
_PACKING_SHARE_OF_LEFT = 0.5
FULL_PACKING_S_PER_POD = 5e-5
#: The small-fleet bounds (under a time limit that allows the bound's packing LPs at all,
#: `pattern_work`): prices from the joint LP of allocation and packing
#: (`placement.solver.joint_prices`) for fleets placing at most `_JOINT_WORKLOADS_PER_LIMIT_S` ×
#: the time limit workloads (the joint LP is re-solved whole each round: it takes the time the user
#: gives, 100 workloads at 10 s, 600 at 60 s), and the whole-node MIP
#: (`placement.solver.whole_nodes`) for at most `_WHOLE_NODE_WORKLOADS` (beyond, pools are large and
#: it adds little). Measured (bench fleets, seed 7, 60 s): 20 × 4 gap 35.6 % → 9.8 %, 100 × 10
#: 16.8 % → 9.1 %, in 0.1–1.4 s more; 1,000 × 20 would go 11.7 % → 8.8 % in 18 s instead of 1.4.
_JOINT_WORKLOADS_PER_LIMIT_S = 10.0
_WHOLE_NODE_WORKLOADS = 100
#: `solve(node_bound=...)`: with the small-fleet bounds, or per-pool linear prices only.
NODE_BOUNDS = ("full", "linear")


def solve(
    scenario: Scenario,
    catalog: Catalog,
    *,
    time_limit_s: float | None = None,
    backend: str = DEFAULT_BACKEND,
    relative_gap: float = 1e-3,
    clock: Callable[[], float] = time.perf_counter,
    node_bound: str = "full",
) -> Plan:
    """Plan the scenario on the catalog's prices. Pure: no I/O, no printing (the steps are in the
    module docstring).

    Args:
        scenario: The planning input, with demand already sized: a forecast-driven workload needs
            `placement.load.demand.resolve_demand` first (unsized, it has 0 replicas and is skipped).
            Its `planning` gives the time limit, churn budget (`maxMoves`), risk aversion and
            overhead factor.
        catalog: The offers to price replicas and nodes from (`placement.load.catalog.catalog_for`,
            or any `pricing.Catalog`). A cluster whose region has no launchable offer fitting a
            workload is simply not a candidate for it.
        time_limit_s: Wall-clock seconds for the whole call, plan assembly included. Default: the
            scenario's `planning.timeLimitSeconds`. When it runs out, what is unsolved keeps the
            greedy plan and the status is `time_limit`; a plan is always returned.
        backend: The MIP backend, one of `placement.solver.milp.BACKENDS` (highs | scip | cp-sat;
            default `DEFAULT_BACKEND`); LP relaxations always run on HiGHS. The CLI's `--backend`
            restricts it to those names; another name fails (KeyError) when a MIP runs.
        relative_gap: The allocation model's relative gap, (objective − bound) / objective, at or
            below which the plan's status is `optimal` (above it: `feasible`).
        clock: Seconds as `time.perf_counter` counts them, for the time limit and the reported solver
            time; injectable so tests can make time run out.
        node_bound: "full" (default): small fleets also get the joint-LP prices and the
            whole-node MIP in their bound (`_JOINT_WORKLOADS_PER_LIMIT_S`, `_WHOLE_NODE_WORKLOADS`;
            about a second more on 100 workloads); "linear": per-pool linear prices only — for callers that
            solve many times and need the plan more than a tight bound (the simulator's hourly
            solves). Either bound is valid.

    Returns:
        A `Plan`: assignments (replicas per workload, cluster and capacity type), routes of each
        user region's traffic, whole node groups per pool, hourly costs before and after, `moves`
        (replicas added per cluster and capacity type), unplaced workloads with the rules that
        left them nowhere (data, not exceptions), price freshness, and `SolverStats` with status,
        objective, bound and gap.

    Raises:
        Nothing for an input it cannot place: an unplaceable workload is `Plan.unplaced`, and a
        scenario with nothing placeable is a plan with status `infeasible`. Broken inputs are
        refused earlier, by the loader (`InvalidScenario`).
    """
    if node_bound not in NODE_BOUNDS:
        raise ValueError(f"node_bound={node_bound!r}: one of {', '.join(NODE_BOUNDS)}")
    started = clock()
    planning = scenario.planning
    limit = planning.time_limit_s if time_limit_s is None else time_limit_s
    pricer = ReplicaPricer(catalog, overhead_factor=planning.overhead_factor)
    options = all_options(scenario, pricer)
    unplaced = [o.unplaced for o in options if o.unplaced is not None]
    placeable = [o for o in options if o.unplaced is None and o.workload.replicas > 0]
    reserve_s = sum(_ASSEMBLY_S_PER_WORKLOAD + _ASSEMBLY_S_PER_REPLICA * w.replicas for w in scenario.workloads)
    budget = Budget(limit, reserve_s=reserve_s, started=started, clock=clock)
    capacity = {c.name: c.capacity_cpu for c in scenario.clusters if c.capacity_cpu is not None}
    final, model_objective, model_bound, own_bounds = _solve_all(
        placeable, planning, capacity, budget, backend, relative_gap
    )
    placements: dict[str, Placement] = {}
    for wo, placement in zip(placeable, final, strict=True):
        if placement is None:
            unplaced.append(_unplaced(wo, capacity, planning.max_moves, budget.ran_out))
        else:
            placements[wo.workload.key] = placement
    model_gap = (
        0.0 if model_objective <= 0 else max(model_objective - model_bound, 0.0) / max(abs(model_objective), 1e-9)
    )
    if not placements and unplaced:
        status = "infeasible"
    elif budget.ran_out:
        status = "time_limit"
    else:
        status = "optimal" if model_gap <= relative_gap else "feasible"
    own = {wo.workload.key: b for wo, b in zip(placeable, own_bounds, strict=True)}

    def dual_bound(lower: list[WorkloadOptions]) -> float | None:
        """The allocation model's bound on lower-bound replica prices (all rules), if time allows and
        it places the same workloads as the plan."""
        if budget.expired():
            return None
        placed, _, bound, _ = _solve_all(lower, planning, capacity, budget, backend, relative_gap)
        same = {wo.workload.key for wo, p in zip(lower, placed, strict=True) if p is not None} == set(placements)
        return bound if same and not budget.ran_out else None

    return _plan(
        scenario,
        catalog,
        options,
        placements,
        unplaced,
        pricer,
        status,
        (model_objective, model_bound),
        own,
        dual_bound,
        backend,
        budget,
        limit,
        started,
        clock,
        node_bound == "full",
    )


def _solve_all(
    placeable: list[WorkloadOptions],
    planning: Planning,
    capacity: dict[str, float],
    budget: Budget,
    backend: str,
    relative_gap: float,
) -> tuple[list[Placement | None], float, float, list[float]]:
    """Final placements (None = unplaced), their objective, a lower bound (steps 2–4 above), and
    each workload's own lower bound (alone, on fluid prices)."""
    fallback = greedy(placeable, planning, capacity)
    if budget.expired():
        placed = [(wo, p) for wo, p in zip(placeable, fallback, strict=True) if p is not None]
        own_bounds = [lower_bound_usd(wo, planning) for wo in placeable]
        return (
            fallback,
            sum(placement_cost(wo, p, planning) for wo, p in placed),
            sum(b for b, p in zip(own_bounds, fallback, strict=True) if p is not None),
            own_bounds,
        )
    fallback_usd = [
        None if p is None else placement_cost(wo, p, planning) for wo, p in zip(placeable, fallback, strict=True)
    ]
    pruned = prune_all(placeable, planning, capacity)
    solved = solve_independent(
        pruned, planning, budget, backend=backend, relative_gap=relative_gap, cost_caps_usd=fallback_usd
    )
    churn = planning.max_moves is not None
    final: list[Placement | None] = list(fallback)
    bound = 0.0
    caps = dict(capacity)  # what the greedy placements kept for lack of time leave of caps and budget
    moves_left = planning.max_moves
    coupled: list[int] = []
    for index, (wo, own) in enumerate(zip(placeable, solved, strict=True)):
        if own is None:
            for name, cpu in capped_cpu(wo, fallback[index], capacity).items():
                caps[name] -= cpu
            moves_left = None if moves_left is None else moves_left - placement_replicas_added(wo, fallback[index])
            bound += lower_bound_usd(wo, planning) if fallback[index] is not None else 0.0
        elif _takes_shared(wo, own.placement, capacity, churn):
            coupled.append(index)
        else:
            final[index] = _cheaper(wo, own, fallback[index], capacity, churn, planning)
            bound += own.bound if final[index] is not None else 0.0
    if coupled:
        own_optima: list[Solved] = [solved[i] for i in coupled]  # type: ignore[misc]
        group = [pruned[i] for i in coupled]
        if _fits(group, [s.placement for s in own_optima], caps, moves_left):
            placements, group_bound = [s.placement for s in own_optima], sum(s.bound for s in own_optima)
        else:
            placements, group_bound = _solve_shared(
                group,
                [placeable[i] for i in coupled],
                [fallback[i] for i in coupled],
                own_optima,
                planning,
                caps,
                moves_left,
                budget,
                backend,
                relative_gap,
            )
        for index, placement in zip(coupled, placements, strict=True):
            final[index] = placement
        bound += group_bound
    objective = sum(placement_cost(wo, p, planning) for wo, p in zip(placeable, final, strict=True))
    own_bounds = [
        lower_bound_usd(wo, planning) if own is None else own.bound for wo, own in zip(placeable, solved, strict=True)
    ]
    return final, objective, min(bound, objective), own_bounds


def _solve_shared(
    group: list[WorkloadOptions],
    full: list[WorkloadOptions],
    fallback: list[Placement | None],
    own_optima: list[Solved],
    planning: Planning,
    caps: dict[str, float],
    moves_left: int | None,
    budget: Budget,
    backend: str,
    relative_gap: float,
) -> tuple[list[Placement | None], float]:
    """The coupled group's placements and lower bound: LP-then-fix, or its greedy placements if better or out of time.

    The greedy placements are always valid here: they are a subset of one greedy run over everything.
    """
    churn = moves_left is not None
    cost_caps = [_free_cost(wo, p, caps, churn, planning) for wo, p in zip(full, fallback, strict=True)]
    result = solve_coupled(
        group,
        planning,
        caps,
        moves_left,
        budget,
        backend=backend,
        relative_gap=relative_gap,
        cost_caps_usd=cost_caps,
        cost_scale_usd=sum(s.cost for s in own_optima),
    )
    greedy_key = (
        sum(p is None for p in fallback),
        sum(placement_cost(wo, p, planning) for wo, p in zip(full, fallback, strict=True)),
    )
    own_bound = sum(s.bound for s, p in zip(own_optima, fallback, strict=True) if p is not None)
    if result is None or (sum(p is None for p in result.placements), result.cost) > greedy_key:
        return fallback, own_bound if result is None or greedy_key[0] else max(result.bound, own_bound)
    own_bound = sum(s.bound for s, p in zip(own_optima, result.placements, strict=True) if p is not None)
    return result.placements, max(result.bound, own_bound)


def _free_cost(
    wo: WorkloadOptions, fallback: Placement | None, caps: dict[str, float], churn: bool, planning: Planning
) -> float | None:
    """The cost of a valid placement of the workload that takes no shared resource (greedy's or today's), if any."""
    costs = [
        placement_cost(wo, p, planning)
        for p in (fallback, keep_current(wo))
        if p is not None and not _takes_shared(wo, p, caps, churn)
    ]
    return min(costs, default=None)


def _takes_shared(wo: WorkloadOptions, placement: Placement | None, capacity: dict[str, float], churn: bool) -> bool:
    """Whether a placement takes CPU in a capped cluster, or adds replicas under a churn budget."""
    return bool(capped_cpu(wo, placement, capacity)) or (churn and placement_replicas_added(wo, placement) > 0)


def _cheaper(
    wo: WorkloadOptions,
    own: Solved,
    greedy_placement: Placement | None,
    capacity: dict[str, float],
    churn: bool,
    planning: Planning,
) -> Placement | None:
    """The model's placement, or the greedy one when that is cheaper and takes no shared resource either."""
    if own.proved or greedy_placement is None or own.placement is None:
        return own.placement
    if capped_cpu(wo, greedy_placement, capacity) or (churn and placement_replicas_added(wo, greedy_placement) > 0):
        return own.placement
    if placement_cost(wo, greedy_placement, planning) < own.cost - 1e-12:
        return greedy_placement
    return own.placement


def _fits(
    group: Sequence[WorkloadOptions],
    placements: Sequence[Placement | None],
    caps: dict[str, float],
    moves_left: int | None,
) -> bool:
    """Whether these placements fit the caps and churn budget left, all together."""
    used: dict[str, float] = {}
    moves = 0
    for wo, placement in zip(group, placements, strict=True):
        for name, cpu in capped_cpu(wo, placement, caps).items():
            used[name] = used.get(name, 0.0) + cpu
        moves += placement_replicas_added(wo, placement)
    return all(cpu <= caps[name] + 1e-9 for name, cpu in used.items()) and (moves_left is None or moves <= moves_left)


def _unplaced(wo: WorkloadOptions, capacity: dict[str, float], max_moves: int | None, ran_out: bool) -> Unplaced:
    """Why a workload with allowed clusters ended up unplaced: shared caps, the churn budget, or its own rules."""
    capped = sorted(o.cluster.name for o in wo.options if o.cluster.name in capacity)
    parts, rules = [], []
    if capped:
        rules.append("capacity")
        parts.append(f"clusters {', '.join(capped)} are at their capacity.cpu caps")
    if max_moves is not None:
        rules.append("maxMoves")
        parts.append(f"the churn budget maxMoves={max_moves} is spent")
    if not parts:
        w = wo.workload
        own = [
            name
            for name, on in (
                ("spot.maxFraction", w.spot_max_fraction < 1),
                ("spot.maxClusterShare", w.spot_max_cluster_share is not None),
                ("minAvailable", w.min_available > 0),
                ("minClusters", w.min_clusters > 1),
                ("latencyMs", w.latency_ms is not None),
            )
            if on
        ]
        rules.extend(own)
        detail = (
            f"its rules {', '.join(own)} admit no placement together in its allowed clusters"
            if own
            else "no placement was found"
        )
        if ran_out:
            detail += " (the time limit cut the search short: raise timeLimitSeconds)"
        return Unplaced(wo.workload.key, detail, tuple(rules))
    uncapped = [o.cluster.name for o in wo.options if o.cluster.name not in capacity]
    tail = "" if not uncapped else f" (its other allowed clusters {', '.join(sorted(uncapped))} cannot take it alone)"
    return Unplaced(wo.workload.key, " and ".join(parts) + tail, tuple(rules))


def _plan(
    scenario: Scenario,
    catalog: Catalog,
    options: list[WorkloadOptions],
    placements: dict[str, Placement],
    unplaced: list[Unplaced],
    pricer: ReplicaPricer,
    status: str,
    model: tuple[float, float],
    own_bounds: dict[str, float],
    dual_bound: Callable[[list[WorkloadOptions]], float | None],
    backend: str,
    budget: Budget,
    time_limit_s: float,
    started: float,
    clock: Callable[[], float],
    small_fleet_bounds: bool,
) -> Plan:
    """The Plan: replica counts packed onto whole nodes (the node bill is the compute), node-aware bound and gap."""
    quick = status == "time_limit"
    work = pattern_work(time_limit_s)  # 0 under 10 s: no packing LPs (nor their hints) at all
    # Out of time, the packing (of the plan and of today's replicas) still gets its full effort when
    # that is foreseen to take at most half the time left to the limit (a small fleet after a slow
    # backend: the demo under CP-SAT packs 17 % cheaper so); else one admitted set per pool.
    pods = sum(od + sp for p in placements.values() for od, sp in p.replicas.values()) + sum(
        today.total for w in scenario.workloads for today in w.current.values()
    )
    left_s = started + time_limit_s - clock()
    quick_packing = quick and FULL_PACKING_S_PER_POD * pods > _PACKING_SHARE_OF_LEFT * left_s
    assignments, routing, nodes, after = _on_nodes(scenario, options, placements, pricer, quick_packing, hints=work > 0)
    before, warnings, before_basis = price_current(scenario, pricer, quick=quick_packing, hints=work > 0)
    objective = after.total
    placeable = [wo for wo in options if wo.unplaced is None and wo.workload.replicas > 0]
    placed = [wo for wo in placeable if wo.workload.key in placements]
    deep = small_fleet_bounds and not quick and work > 0
    joint = deep and len(placed) <= _JOINT_WORKLOADS_PER_LIMIT_S * time_limit_s
    small = deep and len(placed) <= _WHOLE_NODE_WORKLOADS
    capacity = {c.name: c.capacity_cpu for c in scenario.clusters if c.capacity_cpu is not None}
    deadline = clock() + _PATTERNS_SHARE_OF_LEFT * budget.left_s()
    given = (
        joint_prices(
            placed,
            pricer.node_types,
            scenario.planning,
            capacity,
            work_limit=pattern_work(
                time_limit_s, len(placed), per_workload=JOINT_WORK_PER_WORKLOAD, floor=JOINT_WORK_FLOOR
            ),
            deadline=deadline,
            clock=clock,
        )
        if joint
        else None
    )
    by_pool = pool_groups(scenario, assignments)

    def lower_options(given: Mapping[Pool, Mapping[Shape, float]] | None) -> list[WorkloadOptions]:
        return dual_options(
            placeable,
            pricer.node_types,
            by_pool,
            patterns=not quick,
            deadline=deadline,
            clock=clock,
            work_limit=pattern_work(time_limit_s, len(placed)),
            given=given,
        )

    def bound_on(lower: list[WorkloadOptions]) -> float:
        return max(
            node_bound_usd(placeable, lower, own_bounds, placements, scenario.planning), dual_bound(lower) or 0.0
        )

    lower = lower_options(given)
    bound = bound_on(lower)
    if given is not None and not small:
        # The joint prices are the best linear bound once their column generation converges; on
        # real catalogs it often does not, and scaled until valid they can bound less than the
        # per-pool prices (a 300 × 12 fleet: 275.5 against 287.2 $/h). Both are valid: the better
        # counts. (Fleets small enough for the whole-node MIP keep the joint prices: the MIP on
        # them is their bound, and was the better one on every small fleet measured.)
        alone = lower_options(None)
        if (by_alone := bound_on(alone)) > bound:
            bound, lower = by_alone, alone
    egress_floor = egress_floor_usd(placeable, placements)  # the lower options carry no egress
    if small and not budget.expired():
        lower_of = {wo.workload.key: lo for wo, lo in zip(placeable, lower, strict=True)}
        whole = whole_node_bound_usd(
            placed,
            [lower_of[wo.workload.key] for wo in placed],
            pricer.node_types,
            scenario.planning,
            capacity,
            time_limit_s=min(WHOLE_NODE_TIME_S, 0.5 * budget.left_s()),
        )
        bound = max(bound, whole or 0.0)
    bound = min(bound + egress_floor, objective)
    pending = nodes.pending
    if pending:
        warnings.append(
            "pods no launchable node type can hold: " + ", ".join(f"{k} ({n})" for k, n in sorted(pending.items()))
        )
    gap = 0.0 if objective <= 0 else max(objective - bound, 0.0) / max(abs(objective), 1e-9)
    moves = replicas_added(scenario, assignments)
    return Plan(
        scenario=scenario.name,
        prices_as_of={
            cloud: moment.strftime("%Y-%m-%dT%H:%M:%SZ") for cloud, moment in sorted(catalog.as_of().items())
        },
        solver=SolverStats(backend, status, clock() - started, objective, bound, gap, *model),
        hourly_usd=HourlyCost(
            before=before, after=after.total, compute=after.compute, egress=after.egress, risk=after.risk
        ),
        assignments=tuple(assignments),
        routing=tuple(routing),
        unplaced=tuple(sorted(unplaced, key=lambda u: u.workload)),
        moves=moves,
        warnings=tuple(warnings) + tuple(w.demand.warning for w in scenario.workloads if w.demand.warning),
        demand={w.key: w.demand.source or f"replicas: {w.replicas}" for w in scenario.workloads},
        nodes=nodes.groups,
        before_basis=before_basis,
    )


def _on_nodes(
    scenario: Scenario,
    options: list[WorkloadOptions],
    placements: dict[str, Placement],
    pricer: ReplicaPricer,
    quick: bool,
    *,
    hints: bool = False,
) -> tuple[list[Assignment], list[Route], NodePlan, CostParts]:
    """Placements as assignments and routes, packed onto whole nodes, and what they cost."""
    fluid: list[Assignment] = []
    routing: list[Route] = []
    for wo in options:
        placement = placements.get(wo.workload.key)
        if placement is None:
            continue
        by_name = {o.cluster.name: o for o in wo.options}
        for name in sorted(placement.replicas):
            od, sp = placement.replicas[name]
            option = by_name[name]
            fluid.append(
                Assignment(wo.workload.key, name, option.cluster.cloud, option.cluster.region, od, sp, {}, 0.0)
            )
        for (user, name), replicas in sorted(placement.routes.items()):
            routing.append(Route(wo.workload.key, user, name, replicas, by_name[name].rtt_ms[user]))
    nodes = plan_nodes(scenario, fluid, pricer.node_types, quick=quick, hints=hints and not quick)
    no_nodes: tuple[float, dict[str, str]] = (0.0, {})  # every pod of it pending (reported by the caller)
    assignments = [
        replace(
            a,
            hourly_usd=nodes.shares.get((a.workload, a.cluster), no_nodes)[0],
            instance_types=nodes.shares.get((a.workload, a.cluster), no_nodes)[1],
        )
        for a in fluid
    ]
    return assignments, routing, nodes, price_placement(scenario, pricer, assignments, routing)
