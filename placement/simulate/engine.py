"""The hourly replay: decide → realize (delays, interruptions, autoscaling, caps) → serve → account.

For every strategy and every replayed hour t:

1. **Decide.** The strategy sees a `SlotView` (history before t, this hour's prices, last hour's
   placement, disrupted spot pools) and returns replicas per workload × cluster × capacity type.
   Replicas beyond a cluster's `capacity.cpu` stay pending (never run).
2. **Realize.** Replicas the decision keeps run from the start of the hour. Replicas it adds run
   from the start if the strategy pre-provisions, else after the provisioning delay. A spot pool
   with a reclaim event this hour loses some spot replicas (`InterruptionDraws`, the same events for
   every strategy); they come back as on-demand after the delay less the provider's interruption
   notice (replacements launch on the notice), and while the pool stays disrupted
   new spot launches there fall back to on-demand too. An in-cluster autoscaler (strategies with
   `autoscaling_headroom`) adds on-demand replicas, after the delay, when demand × (1 + headroom)
   exceeds the decision; they keep running into the next hour. So each hour has two phases:
   the first `delay` minutes with what was already running, then the rest with everything.
3. **Serve.** Each phase's capacity serves the hour's demand (`routing.route`: latency-aware,
   spill-over beyond the latency rule when near clusters are full).
4. **Account** (identical for every strategy):

   - **compute = the node bill** (model v2, node-true costs). Each hour, each (cluster, capacity
     type) pool's replicas that run in the hour — on-demand fallbacks for reclaimed or disrupted
     spot and autoscaled replicas in the on-demand pool; reclaimed spot replicas are not billed for
     the hour — are packed onto whole nodes of the types the cluster's autoscaler can launch, the
     way Karpenter provisions them (`placement.solver.node_plan.pool_packing`, the same packing
     `solve()` bills a plan with, substitutes admitted), at that hour's prices; compute = Σ nodes × hourly price.
     Granularity: **whole node-hours**. The clouds bill nodes per second (1-minute minimum), so a
     node running the whole hour costs one node-hour; we bill every node of the hour's packing for
     the whole hour, including nodes for replicas that arrive after the provisioning delay (this
     overstates them by at most delay/60 of a node-hour). Nodes are not tracked across hours: each
     hour is packed afresh, as if consolidation kept the pool tight (no cost for node churn).
     Packings are cached per (price version, pool, pool content), so identical pools cost one packing.
   - egress = served traffic × the workload's GB per replica-hour × the cloud's $/GB;
   - unserved = replica-hours of demand not served × the workload's priciest allowed on-demand
     **fluid replica price** (`ReplicaPricer`: the dominant share of the cheapest fitting node's
     allocatable) × `unserved_penalty_factor`. Unserved demand has no nodes to count, so it stays
     in the allocation model's per-replica currency.

   `StrategyResult.fluid_compute_usd` keeps the same replicas at fluid replica prices, as a
   diagnostic of what whole nodes add (never the reported cost).

The clairvoyant oracle skips step 2's delays and interruptions and has no autoscaler. Each hour it
runs `solve()`'s plan for exactly that hour's demand at that hour's prices (risk aversion 0), and
its compute is that plan's node bill (the same packing of the same pools). What is proven and what
is not, with node-true costs:

- **Proven** (the solver's node-aware bound, `placement.solver.node_plan`): per pool, prices y per
  pod shape with Σ y over any pattern of pods that fits a node of type t ≤ price(t), for every
  launchable type t (per-resource duals, or the pool's packing LP, `placement.solver.patterns`),
  make Σ y·pods a lower bound on the bill of *any* set of nodes holding those pods, so each hour's
  `plan.solver.bound` bounds the compute + egress of any placement of that hour's demand under the
  scenario's rules. Their sum (`Oracle.bound_usd`) is a lower bound for every strategy that serves
  all demand under those rules. One caveat: the model charges egress on every planned replica, the
  engine on served traffic, so in hours where a workload's on-demand floor (minAvailable) exceeds
  its demand the bound counts the floor replicas' egress, which nobody is billed (the compute half
  of the argument has no such caveat).
- **Not proven**: that the oracle's own cost is minimal. Its allocation is optimal on fluid replica
  prices and its pools are packed by a heuristic, so its node bill sits above that bound (by up to
  its worst gap, `Oracle.max_gap`), and another strategy's placement could in principle pack onto
  cheaper nodes. Single-region baselines also ignore latency and minClusters rules. So "no strategy
  costs less than the oracle" is checked, not proven: `SimulationResult.check_oracle_bound`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from placement.errors import PlacementError
from placement.geo.egress import cluster_egress_usd_per_gb
from placement.scenario import Replicas, Scenario
from placement.simulate.fleet import Fleet, WorkloadGeo
from placement.simulate.interruptions import InterruptionDraws, InterruptionModel
from placement.simulate.price_history import PriceHistory
from placement.simulate.protocol import Behaviour, Placement, SlotView, Strategy
from placement.simulate.results import LatencySamples, SimulationResult, StrategyResult
from placement.simulate.routing import Served, autoscale, route
from placement.simulate.trace import TrafficEvent, WorkloadTraffic, with_events
from placement.solver.node_plan import pool_packing
from placement.solver.packing import Packing, PodGroup
from placement.solver.replica_price import ReplicaPricer
from pricing import CapacityType, Catalog

Progress = Callable[[str, int], None]  # (strategy name, hour finished)
_Pool = tuple[str, CapacityType]  # (cluster name, capacity type)


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Run knobs: replayed hours (default: all the traffic has), provisioning delay, interruptions,
    the unserved-demand penalty factor, and whether to keep every hour's placement."""

    hours: int | None = None
    provision_delay_min: float = 5.0
    interruptions: InterruptionModel = field(default_factory=InterruptionModel)
    unserved_penalty_factor: float = 1.0
    keep_placements: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.provision_delay_min <= 60:
            raise PlacementError(f"provision_delay_min={self.provision_delay_min!r}: use minutes between 0 and 60")
        if self.unserved_penalty_factor < 0:
            raise PlacementError(f"unserved_penalty_factor={self.unserved_penalty_factor!r} must be ≥ 0")


def simulate(
    scenario: Scenario,
    traffic: Mapping[str, WorkloadTraffic],
    prices: PriceHistory | Catalog,
    strategies: Sequence[Strategy],
    *,
    config: SimulationConfig | None = None,
    events: Sequence[TrafficEvent] = (),
    progress: Progress | None = None,
) -> SimulationResult:
    """Replay `traffic` (with `events`) under `prices` for each strategy; see the module docstring."""
    config = config or SimulationConfig()
    missing = [w.key for w in scenario.workloads if w.key not in traffic]
    if missing:
        raise PlacementError(f"no traffic for workload(s) {', '.join(missing)}: bind a trace to each (bind_traffic)")
    available = min(traffic[w.key].hours for w in scenario.workloads)
    hours = available if config.hours is None else config.hours
    if not 1 <= hours <= available:
        raise PlacementError(f"hours={hours}: the traffic covers 1..{available} replayed hours")
    names = [s.name for s in strategies]
    if len(set(names)) != len(names):
        raise PlacementError(f"strategy names must be unique, got {names}")
    history = prices if isinstance(prices, PriceHistory) else PriceHistory.constant(prices)
    history = history.restricted({(c.cloud, c.region) for c in scenario.clusters})
    ctx = _Context(scenario, with_events(traffic, events), history, config, hours, tuple(events))
    results = {}
    for strategy in strategies:
        reset = getattr(strategy, "reset", None)
        if callable(reset):
            reset()
        results[strategy.name] = _run(strategy, ctx, progress)
    return SimulationResult(scenario.name, hours, results, tuple(ctx.draws.events()))


class _Context:
    """Everything shared by the strategies of one run (prices, fleet, demand, draws)."""

    def __init__(
        self,
        scenario: Scenario,
        traffic: Mapping[str, WorkloadTraffic],
        history: PriceHistory,
        config: SimulationConfig,
        hours: int,
        events: tuple[TrafficEvent, ...],
    ) -> None:
        self.scenario, self.traffic, self.history, self.config, self.hours, self.events = (
            scenario,
            traffic,
            history,
            config,
            hours,
            events,
        )
        self.fleet = Fleet(scenario, history.catalog_at(0))
        self.draws = InterruptionDraws(config.interruptions, self.fleet.spot_rates, hours)
        self.replicas = {k: t.replicas() for k, t in traffic.items()}
        self.demand = {k: self.replicas[k][t.history_h : t.history_h + hours] for k, t in traffic.items()}
        self.peaks = {k: int(d.max(initial=0)) for k, d in self.demand.items()}
        self.caps = {c.name: c.capacity_cpu for c in scenario.clusters if c.capacity_cpu is not None}
        self.delay = config.provision_delay_min / 60.0
        notice = config.interruptions.notice_min
        self.back_after = {
            c.name: max(0.0, config.provision_delay_min - notice.get(c.cloud, 0.0)) / 60.0 for c in scenario.clusters
        }  # reclaimed replicas are back this far into the hour
        self._pricers: dict[int, ReplicaPricer] = {}
        self._penalty: dict[tuple[int, str], float] = {}
        self._packings: dict[tuple[object, ...], Packing] = {}

    def pricer(self, version: int, catalog: Catalog) -> ReplicaPricer:
        if version not in self._pricers:
            self._pricers[version] = ReplicaPricer(catalog, overhead_factor=self.scenario.planning.overhead_factor)
        return self._pricers[version]

    def price(self, pricer: ReplicaPricer, workload: str, cluster: str, kind: CapacityType) -> float:
        found = pricer.price(self.scenario.workload(workload), self.scenario.cluster(cluster), kind)
        if found is None:
            raise PlacementError(
                f"{workload} runs {kind.value} replicas in {cluster}, which has no {kind.value} price "
                "that fits it: check the strategy or the catalog"
            )
        return found.hourly_usd

    def packing(self, version: int, pricer: ReplicaPricer, pool: _Pool, pods: tuple[tuple[str, int], ...]) -> Packing:
        """The whole nodes one pool's running replicas (workload key, count) launch at this price version.

        Cached per identical pool content: strategies that keep a placement, and hours with the same
        demand, pack once. `pricer.node_types` is the price version's `NodeTypes`.
        """
        key = (version, pool, pods)
        found = self._packings.get(key)
        if found is None:
            name, kind = pool
            groups = []
            for workload, count in pods:
                w = self.scenario.workload(workload)
                groups.append(PodGroup(workload, w.cpu, w.memory_gib, count, w.architectures))
            found, _admitted = pool_packing(groups, pricer.node_types.of(self.scenario.cluster(name), kind))
            if found.pending:
                stuck = ", ".join(f"{k} ({n})" for k, n in sorted(found.pending.items()))
                raise PlacementError(
                    f"{stuck} run {kind.value} replicas in {name}, where no {kind.value} node type "
                    "the autoscaler can launch holds one: check the strategy or the catalog"
                )
            self._packings[key] = found
        return found

    def penalty(self, version: int, pricer: ReplicaPricer, workload: str) -> float:
        key = (version, workload)
        if key not in self._penalty:
            w = self.scenario.workload(workload)
            allowed = self.fleet[workload].allowed
            prices = [
                p.hourly_usd
                for c in self.scenario.clusters
                if c.name in allowed
                if (p := pricer.price(w, c, CapacityType.ON_DEMAND)) is not None
            ]
            if not prices:
                prices = [
                    p.hourly_usd
                    for c in self.scenario.clusters
                    if (p := pricer.price(w, c, CapacityType.ON_DEMAND)) is not None
                ] or [0.0]
            self._penalty[key] = max(prices) * self.config.unserved_penalty_factor
        return self._penalty[key]


@dataclass
class _Tally:
    compute: np.ndarray
    fluid: np.ndarray
    egress: np.ndarray
    unserved: np.ndarray
    rtt: list[float] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)
    user: list[str] = field(default_factory=list)
    beyond: list[bool] = field(default_factory=list)
    served_slots: int = 0
    slots: int = 0
    demand_rh: float = 0.0
    unserved_rh: float = 0.0
    residency: int = 0
    reclaimed: int = 0
    launched: int = 0
    replica_h: float = 0.0
    spot_h: float = 0.0
    node_h: float = 0.0
    placements: list[Placement] = field(default_factory=list)
    short: dict[str, np.ndarray] = field(default_factory=dict)  # workload -> unserved replica-hours per hour


def _run(strategy: Strategy, ctx: _Context, progress: Progress | None) -> StrategyResult:
    """Replay every hour for one strategy: decide, realize, serve, account (module docstring)."""
    scenario, behaviour = ctx.scenario, strategy.behaviour
    clairvoyant = behaviour.clairvoyant
    tally = _Tally(np.zeros(ctx.hours), np.zeros(ctx.hours), np.zeros(ctx.hours), np.zeros(ctx.hours))
    state = _State()
    for t in range(ctx.hours):
        version, catalog = ctx.history.version_at(t), ctx.history.catalog_at(t)
        pricer = ctx.pricer(version, catalog)
        disrupted = (
            frozenset()
            if clairvoyant
            else frozenset(c.name for c in scenario.clusters if ctx.draws.disrupted(t, c.name))
        )
        view = SlotView(
            t,
            scenario,
            ctx.fleet,
            catalog,
            version,
            state.deployed,
            disrupted,
            ctx.events,
            pricer,
            ctx.traffic,
            ctx.replicas,
            ctx.peaks,
            clairvoyant,
        )
        target = _capped(scenario, _checked(scenario, strategy.decide(view), strategy.name), ctx.caps)
        room = _room(scenario, target, ctx.caps)
        hour = _State()
        pools: dict[_Pool, list[tuple[str, int]]] = {}  # the hour's running replicas per pool, in workload order
        for w in scenario.workloads:
            key, geo, demand = w.key, ctx.fleet[w.key], float(ctx.demand[w.key][t])
            tgt = target.get(key, {})
            ready, reclaimed_here = _realize(ctx, behaviour, t, key, tgt, disrupted, state, hour)
            base = {c: float(r.total) for c, r in tgt.items()}
            extras: dict[str, int] = {}
            if behaviour.autoscaling_headroom is not None and not clairvoyant:
                fits = {c: math.floor(spare / w.cpu + 1e-9) for c, spare in room.items()}
                extras = autoscale(geo, demand, base, behaviour.autoscaling_headroom, fits)
                for c, n in extras.items():
                    if c in room:
                        room[c] -= n * w.cpu
            full = {c: base.get(c, 0.0) + extras.get(c, 0) for c in {*base, *extras}}
            phases = _phases(
                geo, demand, ready, reclaimed_here, full, 0.0 if clairvoyant else ctx.delay, ctx.back_after
            )
            realized = {
                c: Replicas(r.on_demand + hour.fallback[(key, c)] + extras.get(c, 0), r.spot - hour.fallback[(key, c)])
                for c, r in tgt.items()
            }
            realized.update({c: Replicas(n, 0) for c, n in extras.items() if c not in tgt})
            _account(tally, ctx, t, version, pricer, key, demand, phases, realized, reclaimed_here, state, pools)
            hour.running[key] = {c: r.total for c, r in realized.items()}
            hour.extras[key] = extras
            hour.deployed[key] = {c: r for c, r in realized.items() if r.total}
        _bill(tally, ctx, t, version, pricer, pools)
        state = _State({k: dict(v) for k, v in target.items()}, hour.running, hour.extras, hour.fallback, hour.deployed)
        if ctx.config.keep_placements:
            tally.placements.append(state.deployed)
        if progress is not None:
            progress(strategy.name, t)
    return _result(strategy, ctx, tally)


@dataclass
class _State:
    """What one hour leaves the next: targets, running replicas, autoscaled extras, spot fallbacks, deployed."""

    target: dict[str, dict[str, Replicas]] = field(default_factory=dict)
    running: dict[str, dict[str, int]] = field(default_factory=dict)
    extras: dict[str, dict[str, int]] = field(default_factory=dict)
    fallback: dict[tuple[str, str], int] = field(default_factory=dict)
    deployed: dict[str, dict[str, Replicas]] = field(default_factory=dict)


def _realize(
    ctx: _Context,
    behaviour: Behaviour,
    t: int,
    key: str,
    tgt: Mapping[str, Replicas],
    disrupted: frozenset[str],
    previous: _State,
    hour: _State,
) -> tuple[dict[str, float], dict[str, int]]:
    """Per cluster: replicas ready from the start of the hour and spot replicas reclaimed in it; records
    this hour's on-demand fallbacks for reclaimed or disrupted spot in `hour.fallback`."""
    clairvoyant = behaviour.clairvoyant
    ready: dict[str, float] = {}
    reclaimed_here: dict[str, int] = {}
    for c, r in tgt.items():
        fb = rec = 0
        if c in disrupted and r.spot:
            before = previous.target.get(key, {}).get(c, Replicas()).spot if t else r.spot
            fb = min(r.spot, previous.fallback.get((key, c), 0) + max(0, r.spot - before))
            if ctx.draws.event(t, c):
                rec = ctx.draws.reclaimed(t, c, key, r.spot - fb)
                fb = min(r.spot, fb + rec)
        hour.fallback[(key, c)] = fb
        reclaimed_here[c] = rec
        carried = previous.extras.get(key, {}).get(c, 0)
        if clairvoyant or behaviour.pre_provisioned or t == 0:  # the run starts with its first decision running
            ready[c] = r.total + (0 if clairvoyant else carried)
        else:
            ready[c] = min(previous.running.get(key, {}).get(c, 0), r.total + carried)
    return ready, reclaimed_here


def _account(
    tally: _Tally,
    ctx: _Context,
    t: int,
    version: int,
    pricer: ReplicaPricer,
    key: str,
    demand: float,
    phases: Sequence[tuple[float, Served]],
    realized: Mapping[str, Replicas],
    reclaimed_here: Mapping[str, int],
    previous: _State,
    pools: dict[_Pool, list[tuple[str, int]]],
) -> None:
    """One workload's hour in the tally (identical for every strategy): pods per pool, unserved penalty,
    egress and latency samples, served slots, launches and replica-hours."""
    geo = ctx.fleet[key]
    unserved_rh = sum(weight * served.unserved for weight, served in phases)
    for c, r in sorted(realized.items()):
        for kind, count in ((CapacityType.ON_DEMAND, r.on_demand), (CapacityType.SPOT, r.spot)):
            if count:
                pools.setdefault((c, kind), []).append((key, count))
                tally.fluid[t] += count * ctx.price(pricer, key, c, kind)
    tally.residency += any(r.total and c not in geo.allowed for c, r in realized.items())
    tally.unserved[t] += unserved_rh * (ctx.penalty(version, pricer, key) if unserved_rh > 0 else 0.0)
    for weight, served in phases:
        for (user, c), amount in served.flows.items():
            price = cluster_egress_usd_per_gb(ctx.scenario.cluster(c))
            tally.egress[t] += weight * amount * geo.egress_gb_per_replica_hour * price
            if user is not None:
                tally.rtt.append(geo.rtt_ms[(user, c)])
                tally.weight.append(weight * amount)
                tally.user.append(user)
                tally.beyond.append(not geo.within_latency(user, c))
    if unserved_rh > 0:
        tally.short.setdefault(key, np.zeros(ctx.hours))[t] = unserved_rh
    tally.slots += 1
    tally.served_slots += unserved_rh <= 1e-6
    tally.demand_rh += demand
    tally.unserved_rh += unserved_rh
    tally.reclaimed += sum(reclaimed_here.values())
    before_total = {c: r.total for c, r in previous.deployed.get(key, {}).items()}
    tally.launched += sum(max(0, r.total - before_total.get(c, 0)) for c, r in realized.items())
    tally.launched += sum(reclaimed_here.values())
    tally.replica_h += sum(r.total for r in realized.values())
    tally.spot_h += sum(r.spot for r in realized.values())


def _bill(
    tally: _Tally,
    ctx: _Context,
    t: int,
    version: int,
    pricer: ReplicaPricer,
    pools: Mapping[_Pool, list[tuple[str, int]]],
) -> None:
    """The hour's compute: every pool's running replicas on whole nodes, one node-hour each."""
    for pool, pods in sorted(pools.items(), key=lambda item: (item[0][0], item[0][1].value)):
        packing = ctx.packing(version, pricer, pool, tuple(pods))
        tally.compute[t] += packing.hourly_usd
        tally.node_h += len(packing.nodes)


def _result(strategy: Strategy, ctx: _Context, tally: _Tally) -> StrategyResult:
    latency = LatencySamples(
        np.asarray(tally.rtt, dtype=float),
        np.asarray(tally.weight, dtype=float),
        np.asarray(tally.user, dtype=object),
        np.asarray(tally.beyond, dtype=bool),
    )
    return StrategyResult(
        name=strategy.name,
        compute_usd=tally.compute,
        egress_usd=tally.egress,
        unserved_usd=tally.unserved,
        slots=tally.slots,
        served_slots=tally.served_slots,
        demand_replica_hours=tally.demand_rh,
        unserved_replica_hours=tally.unserved_rh,
        latency=latency,
        residency_violations=tally.residency,
        reclaimed_replicas=tally.reclaimed,
        launched_replicas=tally.launched,
        replica_hours=tally.replica_h,
        spot_replica_hours=tally.spot_h,
        solves=int(getattr(strategy, "solves", 0)),
        placements=tuple(tally.placements),
        unserved_by_workload={k: tally.short.get(k, np.zeros(ctx.hours)) for k in ctx.demand},
        node_hours=tally.node_h,
        fluid_compute_usd=tally.fluid,
    )


def _phases(
    geo: WorkloadGeo,
    demand: float,
    ready: Mapping[str, float],
    reclaimed: Mapping[str, int],
    full: Mapping[str, float],
    delay_h: float,
    back_h: Mapping[str, float],
) -> list[tuple[float, Served]]:
    """The hour cut where capacity changes, each piece served: until `delay_h` the `ready` replicas
    (minus reclaimed ones until they are replaced, `back_h` into the hour), then `full` capacity."""
    if delay_h <= 0 or (dict(ready) == dict(full) and not any(reclaimed.values())):
        return [(1.0, route(geo, demand, full))]
    cuts = sorted({0.0, delay_h, 1.0, *(min(back_h[c], delay_h) for c, n in reclaimed.items() if n)})
    served: dict[tuple[tuple[str, float], ...], Served] = {}
    out = []
    for start, end in itertools.pairwise(cuts):
        early = {c: n - (reclaimed.get(c, 0) if start < back_h[c] else 0) for c, n in ready.items()}
        capacity = early if start < delay_h else dict(full)
        key = tuple(sorted(capacity.items()))
        if key not in served:
            served[key] = route(geo, demand, capacity)
        out.append((end - start, served[key]))
    return out


def _checked(scenario: Scenario, placement: Placement, strategy: str) -> dict[str, dict[str, Replicas]]:
    """The decision with zero entries dropped; unknown workloads/clusters or negative counts are errors."""
    out: dict[str, dict[str, Replicas]] = {}
    for key, clusters in placement.items():
        try:
            w = scenario.workload(key)
        except KeyError:
            raise PlacementError(f"strategy {strategy!r} placed unknown workload {key!r}") from None
        for name, r in clusters.items():
            try:
                scenario.cluster(name)
            except KeyError:
                raise PlacementError(f"strategy {strategy!r} placed {key} in unknown cluster {name!r}") from None
            if r.on_demand < 0 or r.spot < 0:
                raise PlacementError(f"strategy {strategy!r} placed negative replicas of {key} in {name}: {r}")
            if r.total:
                out.setdefault(w.key, {})[name] = r
    return out


def _capped(
    scenario: Scenario, target: dict[str, dict[str, Replicas]], caps: Mapping[str, float]
) -> dict[str, dict[str, Replicas]]:
    """Replicas that fit under each cluster's capacity.cpu (the rest stay pending: spot first, last workloads first)."""
    for cluster, cap in caps.items():
        users = [(scenario.workload(k), k) for k, cs in target.items() if cluster in cs]
        used = sum(w.cpu * target[k][cluster].total for w, k in users)
        for w, k in reversed(users):
            if used <= cap + 1e-9:
                break
            r = target[k][cluster]
            drop = min(r.total, int(np.ceil((used - cap) / w.cpu - 1e-9)))
            spot_drop = min(r.spot, drop)
            target[k][cluster] = Replicas(r.on_demand - (drop - spot_drop), r.spot - spot_drop)
            used -= drop * w.cpu
    return target


def _room(
    scenario: Scenario, target: Mapping[str, Mapping[str, Replicas]], caps: Mapping[str, float]
) -> dict[str, float]:
    """Spare CPU cores per capped cluster after the decision (what autoscaled replicas may still use)."""
    used = dict.fromkeys(caps, 0.0)
    for key, clusters in target.items():
        cpu = scenario.workload(key).cpu
        for name, r in clusters.items():
            if name in used:
                used[name] += cpu * r.total
    return {name: caps[name] - used[name] for name in caps}


__all__ = ["Progress", "SimulationConfig", "simulate"]
