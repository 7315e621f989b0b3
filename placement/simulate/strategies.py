"""The five strategies a simulation compares, behind one protocol (`protocol.Strategy`).

- `PlannerStrategy` ("placement"): this planner. Every `replan_every_h` hours it forecasts each
  workload's demand for the next window (quantile + headroom, declared events included), puts the
  peak into the scenario and calls the same `solve()` as `placement plan`, at the hour's prices,
  with today's placement as `current`. Plans are rolled out ahead of the window; the in-cluster
  autoscaler covers what the forecast missed.
- `StaticOnDemand` ("static"): on-demand only, in each workload's home cluster, sized once for the
  peak demand of the run (the capacity plan of a fleet that never scales).
- `ReactiveOnDemand` ("reactive"): on-demand only, home cluster, sized each hour from the last
  hour's demand × (1 + headroom) (HPA + cluster autoscaler), no forecast.
- `SpotFirst` ("spot-first"): Karpenter-like. Home cluster, sized reactively like `reactive`, every
  replica above the on-demand floor (`minAvailable`) on the cheapest spot capacity up to the
  workload's `spot.maxFraction` (two Deployments, the usual Karpenter workaround); after an
  interruption the engine's fallback launches on-demand until the pool recovers.
- `Oracle` ("oracle"): clairvoyant reference. Each hour, `solve()`'s plan for that hour's realized
  demand at that hour's prices (riskAversion 0: it knows the future, so spot carries no risk),
  spared interruptions and provisioning delays. Its cost is the plan's node bill; the proven lower
  bound is the sum of the plans' node-aware bounds (`Oracle.bound_usd`; see `engine`).

Every strategy keeps the scenario's per-workload floors (minAvailable on-demand, spot.maxFraction);
the single-region baselines ignore minClusters and latency rules (they run where the workload runs
today), which the simulator then measures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from placement.plan import Plan
from placement.scenario import Replicas, Scenario, Workload
from placement.simulate.forecast import DemandForecast, SeasonalNaiveForecast, forecast_replicas
from placement.simulate.protocol import Behaviour, Placement, SlotView, Strategy
from pricing import CapacityType

Solver = Callable[..., Plan]
_KEEP = object()  # `resized(max_moves=...)` default: keep the scenario's churn budget


def _default_solver() -> Solver:
    from placement.solver.solve import solve

    return solve


class StaticOnDemand:
    """On-demand in the home cluster, sized for the run's peak demand, never changed."""

    behaviour = Behaviour(pre_provisioned=True)

    def __init__(self, name: str = "static") -> None:
        self.name = name
        self._placement: Placement | None = None

    def reset(self) -> None:
        self._placement = None

    def decide(self, view: SlotView) -> Placement:
        if self._placement is None:
            self._placement = {
                w.key: {view.fleet[w.key].home: Replicas(max(view.peak_demand(w.key), w.min_available, 1), 0)}
                for w in view.scenario.workloads
            }
        return self._placement


class ReactiveOnDemand:
    """On-demand in the home cluster, sized from last hour's demand × (1 + headroom)."""

    def __init__(self, *, headroom: float = 0.1, name: str = "reactive") -> None:
        self.name = name
        self.headroom = headroom
        self.behaviour = Behaviour(autoscaling_headroom=headroom)

    def decide(self, view: SlotView) -> Placement:
        out: dict[str, dict[str, Replicas]] = {}
        for w in view.scenario.workloads:
            size = max(_last_demand(view, w, self.headroom), w.min_available, 1)
            out[w.key] = {view.fleet[w.key].home: Replicas(size, 0)}
        return out


class SpotFirst:
    """Karpenter-like: home cluster, reactive sizing, spot above the on-demand floor up to maxFraction."""

    def __init__(self, *, headroom: float = 0.1, name: str = "spot-first") -> None:
        self.name = name
        self.headroom = headroom
        self.behaviour = Behaviour(autoscaling_headroom=headroom)

    def decide(self, view: SlotView) -> Placement:
        out: dict[str, dict[str, Replicas]] = {}
        for w in view.scenario.workloads:
            home = view.fleet[w.key].home
            size = max(_last_demand(view, w, self.headroom), w.min_available, 1)
            has_spot = w.spot_max_fraction > 0 and view.replica_price(w.key, home, CapacityType.SPOT) is not None
            spot = min(math.floor(w.spot_max_fraction * size + 1e-9), size - w.min_available) if has_spot else 0
            out[w.key] = {home: Replicas(size - max(spot, 0), max(spot, 0))}
        return out


class PlannerStrategy:
    """This planner: forecast → `solve()` every `replan_every_h` hours (see the module docstring)."""

    def __init__(
        self,
        *,
        replan_every_h: int = 6,
        quantile: float | None = None,
        headroom: float = 0.1,
        forecast: DemandForecast | None = None,
        time_limit_s: float = 5.0,
        backend: str | None = None,
        autoscaling_headroom: float = 0.1,
        solver: Solver | None = None,
        name: str = "placement",
        node_bound: str = "linear",
    ) -> None:
        if replan_every_h < 1:
            raise ValueError(f"replan_every_h={replan_every_h}: plan at least once per hour-slot (≥ 1)")
        self.name = name
        self.replan_every_h = replan_every_h
        self.quantile = quantile
        self.headroom = headroom
        self.forecast = forecast or SeasonalNaiveForecast()
        self.time_limit_s = time_limit_s
        self.backend = backend
        self.node_bound = node_bound  # the plan's bound is not used here: the quick one (`solve()`)
        self.solver = solver or _default_solver()
        self.behaviour = Behaviour(pre_provisioned=True, autoscaling_headroom=autoscaling_headroom)
        self.solves = 0
        self.plans: list[tuple[int, Plan]] = []
        self._placement: Placement | None = None

    def reset(self) -> None:
        """Forget earlier runs (the engine calls this before each run)."""
        self.solves = 0
        self.plans = []
        self._placement = None

    def decide(self, view: SlotView) -> Placement:
        if self._placement is not None and view.hour % self.replan_every_h != 0:
            return self._placement
        scenario = view.scenario
        keys = [w.key for w in scenario.workloads]
        quantile = self.quantile if self.quantile is not None else scenario.planning.quantile
        sized = forecast_replicas(
            self.forecast,
            {k: view.load_history(k) for k in keys},
            {k: view.traffic(k).per_replica for k in keys},
            hour=view.hour,
            history_h={k: view.traffic(k).history_h for k in keys},
            horizon_h=self.replan_every_h,
            quantile=quantile,
            headroom=self.headroom,
            events=[e for e in view.declared_events if e.declared],
        )
        planned = resized(scenario, sized, current=view.deployed)
        plan = self.solver(
            planned,
            view.catalog,
            time_limit_s=self.time_limit_s,
            node_bound=self.node_bound,
            **_backend(self.backend),
        )
        self.solves += 1
        self.plans.append((view.hour, plan))
        self._placement = plan_placement(plan)
        return self._placement


class Oracle:
    """Clairvoyant reference: each hour `solve()`'s plan for that hour's realized demand.

    `hourly_bound_usd[t]` is hour t's plan's node-aware lower bound (`plan.solver.bound`, compute +
    egress of any placement of that demand under the scenario's rules); `bound_usd` their sum.
    `node_bound`: `solve()`'s; "linear" by default (valid and quick: a run solves every hour), "full"
    adds the small-fleet bounds (about a second more per solve on 100 workloads, a tighter bound).
    """

    behaviour = Behaviour(pre_provisioned=True, clairvoyant=True)

    def __init__(
        self,
        *,
        time_limit_s: float = 20.0,
        backend: str | None = None,
        solver: Solver | None = None,
        name: str = "oracle",
        node_bound: str = "linear",
    ) -> None:
        self.name = name
        self.time_limit_s = time_limit_s
        self.backend = backend
        self.node_bound = node_bound
        self.solver = solver or _default_solver()
        self.solves = 0
        self.max_gap = 0.0  # worst relative optimality gap of its plans (how close to a true lower bound)
        self.hourly_bound_usd: list[float] = []
        self._memo: dict[tuple[object, ...], tuple[Placement, float]] = {}

    def reset(self) -> None:
        self.solves = 0
        self.max_gap = 0.0
        self.hourly_bound_usd = []
        self._memo = {}

    @property
    def bound_usd(self) -> float:
        """Σ of the hourly node-aware bounds: no strategy serving all demand under the rules pays less."""
        return float(sum(self.hourly_bound_usd))

    def decide(self, view: SlotView) -> Placement:
        demand = {w.key: view.demand_now(w.key) for w in view.scenario.workloads}
        key = (view.price_version, tuple(sorted(demand.items())))
        if key not in self._memo:
            scenario = resized(view.scenario, demand, current={}, risk_aversion=0.0, max_moves=None)
            plan = self.solver(
                scenario,
                view.catalog,
                time_limit_s=self.time_limit_s,
                node_bound=self.node_bound,
                **_backend(self.backend),
            )
            self.solves += 1
            self.max_gap = max(self.max_gap, plan.solver.gap)
            self._memo[key] = (plan_placement(plan), plan.solver.bound)
        placement, bound = self._memo[key]
        self.hourly_bound_usd.append(bound)
        return placement


# -- helpers ---------------------------------------------------------------------------------------------
def _backend(backend: str | None) -> dict[str, str]:
    """The solver backend argument: none means `solve()`'s own default."""
    return {} if backend is None else {"backend": backend}


def _last_demand(view: SlotView, w: Workload, headroom: float) -> int:
    history = view.demand_history(w.key)
    last = int(history[-1]) if len(history) else w.replicas
    return math.ceil(last * (1 + headroom) - 1e-9)


def resized(
    scenario: Scenario,
    replicas: dict[str, int],
    *,
    current: Placement,
    risk_aversion: float | None = None,
    max_moves: object = _KEEP,
) -> Scenario:
    """The scenario with each workload's replicas (and its peak egress, pro rata) set for one plan,
    `current` as today's placement; optionally another riskAversion / maxMoves. Replicas never go
    below the workload's on-demand floor (minAvailable): the floor runs whatever the demand."""
    workloads = []
    for w in scenario.workloads:
        n = max(replicas.get(w.key, w.replicas), w.min_available)
        egress = w.egress_gb_per_hour * n / w.replicas if w.replicas > 0 else w.egress_gb_per_hour
        today = {c: r for c, r in current.get(w.key, {}).items() if r.total > 0}
        workloads.append(replace(w, replicas=n, egress_gb_per_hour=egress, current=today))
    planning = scenario.planning
    if risk_aversion is not None:
        planning = replace(planning, risk_aversion=risk_aversion)
    if max_moves is not _KEEP:
        planning = replace(planning, max_moves=max_moves)
    return replace(scenario, workloads=tuple(workloads), planning=planning)


def plan_placement(plan: Plan) -> Placement:
    """A plan's assignments as a placement."""
    out: dict[str, dict[str, Replicas]] = {}
    for a in plan.assignments:
        if a.replicas:
            out.setdefault(a.workload, {})[a.cluster] = Replicas(a.on_demand, a.spot)
    return out


def default_strategies(
    *,
    replan_every_h: int = 6,
    forecast: DemandForecast | None = None,
    time_limit_s: float = 5.0,
    headroom: float = 0.1,
    backend: str | None = None,
) -> list[Strategy]:
    """The five strategies of a standard comparison, planner first and oracle last."""
    return [
        PlannerStrategy(
            replan_every_h=replan_every_h,
            forecast=forecast,
            time_limit_s=time_limit_s,
            headroom=headroom,
            autoscaling_headroom=headroom,
            backend=backend,
        ),
        StaticOnDemand(),
        ReactiveOnDemand(headroom=headroom),
        SpotFirst(headroom=headroom),
        Oracle(time_limit_s=max(time_limit_s, 10.0), backend=backend),
    ]


__all__ = [
    "Oracle",
    "PlannerStrategy",
    "ReactiveOnDemand",
    "SpotFirst",
    "StaticOnDemand",
    "default_strategies",
    "plan_placement",
    "resized",
]
