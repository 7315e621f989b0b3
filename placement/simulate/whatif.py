"""What-if analysis: scenario and catalog transforms, parameter sweeps and Pareto frontiers.

Every transform is a pure function returning a new `Scenario` or `Catalog` (inputs are never
changed), so they compose and can be handed to `sweep` or to the simulator:

- `price_shock(catalog, +30, cloud="aws")` — prices × 1.30 for matching offers (cloud, region,
  family, capacity type);
- `outage(scenario, cloud="gcp", region="europe-west4")` — the matching clusters disappear (with
  today's replicas there and their measured latencies);
- `residency_change(scenario, ["DE"], workloads=["payments/*"])` — a new residency rule;
- `traffic_multiplier(scenario, 20)` — every (or some) workload's replicas × factor, rounded up;
- `add_provider(scenario, catalog, ...)` — a new provider or private base capacity: one cluster
  plus on-demand offers priced per vCPU-hour and GiB-hour (`pricing.adjust` private capacity).

`sweep` solves one plan per parameter value; `latency_frontier` and `risk_frontier` are sweeps of
the latency rules and of the spot risk aversion, and `pareto` keeps the non-dominated points.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from placement.errors import PlacementError
from placement.load.scenario import demo_scenario_path
from placement.load.scenario import load_scenario as parse_scenario_file
from placement.plan import Assignment, Plan
from placement.scenario import Cluster, Scenario
from placement.solver.milp import DEFAULT_BACKEND
from pricing import CapacityType, Catalog

Transform = Callable[[Scenario, Catalog, Any], tuple[Scenario, Catalog]]


# -- the demo -------------------------------------------------------------------------------------------
def demo_scenario() -> Scenario:
    """The packaged demo fleet (3 clouds, 11 clusters, 24 workloads)."""
    return parse_scenario_file(demo_scenario_path())


def load_scenario(path: str | Path) -> Scenario:
    """A scenario YAML as `placement plan --scenario` reads it: parsed, forecast-driven demand sized."""
    from placement.load.demand import resolve_demand

    return resolve_demand(parse_scenario_file(path))


def scenario_catalog(scenario: Scenario, *, source: str | None = None) -> Catalog:
    """The catalog `placement plan` would use for the scenario (offline for `source: embedded`)."""
    from placement.load.catalog import catalog_for

    return catalog_for(scenario, source=source).catalog


def plan(
    scenario: Scenario, catalog: Catalog, *, time_limit_s: float | None = None, backend: str = DEFAULT_BACKEND
) -> Plan:
    """`placement.solver.solve.solve`, re-exported for notebooks."""
    from placement.solver.solve import solve

    return solve(scenario, catalog, time_limit_s=time_limit_s, backend=backend)


# -- transforms ---------------------------------------------------------------------------------------
def price_shock(
    catalog: Catalog,
    percent: float,
    *,
    cloud: str | None = None,
    region: str | None = None,
    family: str | None = None,
    capacity_type: CapacityType | str | None = None,
) -> Catalog:
    """Prices of matching offers × (1 + percent/100); `percent` > −100 (−20 is a 20 % cut)."""
    if not percent > -100:
        raise PlacementError(f"price shock {percent:+g}%: a price cannot fall by 100% or more")
    kind = None if capacity_type is None else CapacityType(capacity_type)
    factor = 1.0 + percent / 100.0

    def hit(o: Any) -> bool:
        return (
            (cloud is None or o.cloud == cloud)
            and (region is None or o.region == region)
            and (family is None or o.family.lower() == family.lower())
            and (kind is None or o.capacity_type == kind)
        )

    matched = [hit(o) for o in catalog]
    if not any(matched):
        scope = (
            ", ".join(
                f"{k}={v}"
                for k, v in (("cloud", cloud), ("region", region), ("family", family), ("capacity_type", kind))
                if v is not None
            )
            or "everything"
        )
        raise PlacementError(
            f"price shock: no offer matches {scope}; clouds in the catalog: {', '.join(sorted(catalog.clouds()))}"
        )
    offers = [
        replace(o, hourly_usd=round(o.hourly_usd * factor, 9)) if m else o
        for o, m in zip(catalog, matched, strict=True)
    ]
    return Catalog(offers, fetched_at=catalog.fetched_at, schema_version=catalog.schema_version)


def outage(
    scenario: Scenario, *, cloud: str | None = None, region: str | None = None, clusters: Sequence[str] | None = None
) -> Scenario:
    """The scenario without the clusters of `cloud` (and `region`), or the named `clusters`."""
    if cloud is None and clusters is None:
        raise PlacementError("outage: name a cloud (optionally with a region) or clusters")
    gone = {
        c.name
        for c in scenario.clusters
        if (clusters is not None and c.name in clusters)
        or (cloud is not None and c.cloud == cloud and (region is None or c.region == region))
    }
    if not gone:
        where = ", ".join(clusters or []) or f"{cloud}{':' + region if region else ''}"
        known = ", ".join(f"{c.cloud}:{c.region}" for c in scenario.clusters)
        raise PlacementError(f"outage {where}: no such cluster in the fleet (it has {known})")
    if len(gone) == len(scenario.clusters):
        raise PlacementError("outage: that would take down every cluster in the fleet")
    workloads = tuple(
        replace(w, current={k: v for k, v in w.current.items() if k not in gone}) for w in scenario.workloads
    )
    latency = {u: {c: ms for c, ms in row.items() if c not in gone} for u, row in scenario.latency_matrix_ms.items()}
    kept = tuple(c for c in scenario.clusters if c.name not in gone)
    return replace(scenario, clusters=kept, workloads=workloads, latency_matrix_ms=latency)


def residency_change(
    scenario: Scenario, residency: Sequence[str] | None, *, workloads: Sequence[str] | None = None
) -> Scenario:
    """Set `residency` (None = anywhere) on the workloads matching the `namespace/name` globs (all if None)."""
    from placement.geo.jurisdictions import known_residency_code

    bad = [code for code in residency or () if not known_residency_code(code)]
    if bad:
        raise PlacementError(f"residency {bad}: use ISO 3166 country codes or groups such as EU, EEA, US")
    chosen = _select(scenario, workloads)
    rule = None if residency is None else tuple(residency)
    return replace(
        scenario, workloads=tuple(replace(w, residency=rule) if w.key in chosen else w for w in scenario.workloads)
    )


def traffic_multiplier(scenario: Scenario, factor: float, *, workloads: Sequence[str] | None = None) -> Scenario:
    """Replicas (and peak egress) × `factor`, rounded up, for the matching workloads (all if None)."""
    if not factor > 0:
        raise PlacementError(f"traffic factor {factor!r} must be > 0 (e.g. 20 for a 20× event)")
    chosen = _select(scenario, workloads)
    changed = tuple(
        replace(
            w, replicas=max(1, math.ceil(w.replicas * factor - 1e-9)), egress_gb_per_hour=w.egress_gb_per_hour * factor
        )
        if w.key in chosen
        else w
        for w in scenario.workloads
    )
    return replace(scenario, workloads=changed)


def add_provider(
    scenario: Scenario,
    catalog: Catalog,
    *,
    name: str,
    cloud: str,
    region: str,
    country: str,
    lat: float,
    lon: float,
    vcpu_hourly_usd: float,
    gib_hourly_usd: float,
    capacity_cpu: float | None = None,
    shapes: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[Scenario, Catalog]:
    """A new provider or private base capacity: one cluster (capped at `capacity_cpu` vCPUs) and its
    on-demand offers, priced per vCPU-hour and GiB-hour (`pricing.adjust` private capacity)."""
    from pricing.adjust import adjust

    if any(c.name == name for c in scenario.clusters):
        raise PlacementError(f"add_provider: cluster {name!r} already exists; pick another name")
    rule: dict[str, Any] = {
        "cloud": cloud,
        "region": region,
        "vcpuHourlyUsd": vcpu_hourly_usd,
        "gibHourlyUsd": gib_hourly_usd,
    }
    if shapes is not None:
        rule["shapes"] = list(shapes)
    cluster = Cluster(
        name=name,
        cloud=cloud,
        region=region,
        country=country.upper(),
        lat=lat,
        lon=lon,
        autoscaler="none",
        capacity_cpu=capacity_cpu,
    )
    return replace(scenario, clusters=(*scenario.clusters, cluster)), adjust(catalog, [rule])


def _select(scenario: Scenario, patterns: Sequence[str] | None) -> set[str]:
    if patterns is None:
        return {w.key for w in scenario.workloads}
    chosen = {w.key for w in scenario.workloads for p in patterns if fnmatch.fnmatchcase(w.key, p) or w.name == p}
    if not chosen:
        raise PlacementError(
            f"no workload matches {list(patterns)}; workloads look like "
            f"{', '.join(w.key for w in scenario.workloads[:3])}"
        )
    return chosen


# -- comparing plans ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Change:
    """How one workload's replicas in one cluster differ between two plans."""

    workload: str
    cluster: str
    before: tuple[int, int]  # (on-demand, spot)
    after: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two plans side by side: $/h before and after, and every changed assignment."""

    before_hourly_usd: float
    after_hourly_usd: float
    changes: tuple[Change, ...]
    unplaced_after: tuple[str, ...]

    @property
    def delta_fraction(self) -> float:
        base = self.before_hourly_usd
        return (self.after_hourly_usd - base) / base if base > 0 else 0.0


def compare(before: Plan, after: Plan) -> Comparison:
    """What changes from plan `before` to plan `after` (both are solver output)."""

    def table(p: Plan) -> dict[tuple[str, str], tuple[int, int]]:
        return {(a.workload, a.cluster): (a.on_demand, a.spot) for a in p.assignments}

    old, new = table(before), table(after)
    changes = tuple(
        Change(w, c, old.get((w, c), (0, 0)), new.get((w, c), (0, 0)))
        for w, c in sorted({*old, *new})
        if old.get((w, c), (0, 0)) != new.get((w, c), (0, 0))
    )
    return Comparison(
        before.hourly_usd.after, after.hourly_usd.after, changes, tuple(u.workload for u in after.unplaced)
    )


# -- sweeps and frontiers -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SweepPoint:
    """One solved variant: the parameter value, its plan and the figures frontiers are drawn from."""

    value: Any
    plan: Plan
    hourly_usd: float  # compute (the plan's node bill) + egress (money; the plan's risk term is not money)
    p95_rtt_ms: float  # over routed traffic (NaN when nothing is routed)
    reclaims_per_day: float  # expected spot replicas interrupted per day
    spot_share: float
    unplaced: int


def sweep(
    scenario: Scenario,
    catalog: Catalog,
    values: Iterable[Any],
    transform: Transform,
    *,
    time_limit_s: float | None = 10.0,
    backend: str = DEFAULT_BACKEND,
) -> list[SweepPoint]:
    """Solve `transform(scenario, catalog, value)` for each value (`placement.scaleout.sweep` fans this out)."""
    return [
        sweep_point(scenario, catalog, value, transform, time_limit_s=time_limit_s, backend=backend) for value in values
    ]


def sweep_point(
    scenario: Scenario,
    catalog: Catalog,
    value: Any,
    transform: Transform,
    *,
    time_limit_s: float | None = 10.0,
    backend: str = DEFAULT_BACKEND,
) -> SweepPoint:
    """One point of a sweep: `transform(scenario, catalog, value)`, solved and evaluated (pure)."""
    s, c = transform(scenario, catalog, value)
    return evaluate(s, c, plan(s, c, time_limit_s=time_limit_s, backend=backend), value)


def evaluate(scenario: Scenario, catalog: Catalog, solved: Plan, value: Any = None) -> SweepPoint:
    """The frontier figures of a solved plan. `hourly_usd` is the plan's node bill plus egress; a spot
    pod is reclaimed with its node, so reclaims use the interruption rate of the spot node type
    hosting the assignment's pods (`Assignment.instance_types`), else the fluid replica price's type."""
    from placement.simulate.interruptions import hourly_probability
    from placement.solver.node_types import NodeTypes
    from placement.solver.replica_price import ReplicaPricer

    pricer = ReplicaPricer(catalog, overhead_factor=scenario.planning.overhead_factor)
    node_types = NodeTypes(catalog)
    reclaims = 0.0
    for a in solved.assignments:
        if a.spot:
            cluster = scenario.cluster(a.cluster)
            hosting = a.instance_types.get(CapacityType.SPOT.value)
            rate = next(
                (t.interruption_rate for t in node_types.of(cluster, CapacityType.SPOT) if t.instance_type == hosting),
                None,
            )
            if rate is None:
                price = pricer.price(scenario.workload(a.workload), cluster, CapacityType.SPOT)
                rate = price.interruption_rate if price else 0.0
            reclaims += a.spot * hourly_probability(rate) * 24
    replicas = sum(a.replicas for a in solved.assignments)
    return SweepPoint(
        value,
        solved,
        solved.hourly_usd.compute + solved.hourly_usd.egress,
        plan_rtt_ms(solved, 95),
        reclaims,
        sum(a.spot for a in solved.assignments) / replicas if replicas else 0.0,
        len(solved.unplaced),
    )


def plan_rtt_ms(solved: Plan, percentile: float = 95) -> float:
    """Weighted percentile of RTT over the plan's routed traffic (NaN when nothing is routed)."""
    from placement.simulate.results import weighted_percentile

    if not solved.routing:
        return float("nan")
    return weighted_percentile(
        np.array([r.rtt_ms for r in solved.routing]), np.array([r.replicas for r in solved.routing]), percentile
    )


def scale_latency(scenario: Scenario, catalog: Catalog, factor: float) -> tuple[Scenario, Catalog]:
    """Every workload's latencyMs × factor (a `Transform` for `sweep`)."""
    workloads = tuple(
        replace(w, latency_ms=None if w.latency_ms is None else w.latency_ms * factor) for w in scenario.workloads
    )
    return replace(scenario, workloads=workloads), catalog


def set_risk_aversion(scenario: Scenario, catalog: Catalog, value: float) -> tuple[Scenario, Catalog]:
    """planning.riskAversion = value (a `Transform` for `sweep`)."""
    return replace(scenario, planning=replace(scenario.planning, risk_aversion=float(value))), catalog


def shock_prices(scenario: Scenario, catalog: Catalog, percent: float) -> tuple[Scenario, Catalog]:
    """Every price × (1 + percent/100) (a `Transform` for `sweep`; −100 % or less is an error)."""
    return scenario, price_shock(catalog, float(percent))


def scale_traffic(scenario: Scenario, catalog: Catalog, factor: float) -> tuple[Scenario, Catalog]:
    """Every workload's replicas × factor, rounded up (a `Transform` for `sweep`)."""
    return traffic_multiplier(scenario, float(factor)), catalog


#: The named sweep parameters (`Grid`, `placement whatif --sweep NAME=V1,V2,...`).
PARAMETERS: dict[str, Transform] = {
    "latency": scale_latency,
    "risk": set_risk_aversion,
    "shock": shock_prices,
    "traffic": scale_traffic,
}


@dataclass(frozen=True, slots=True)
class Grid:
    """A `Transform` over several named parameters at once: its values are tuples, one entry per
    parameter, applied in order (`grid_values` builds their Cartesian product)."""

    names: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = [n for n in self.names if n not in PARAMETERS]
        if unknown or not self.names:
            raise PlacementError(f"sweep parameter(s) {unknown or '[]'}: choose from {', '.join(PARAMETERS)}")

    def __call__(self, scenario: Scenario, catalog: Catalog, value: Sequence[Any]) -> tuple[Scenario, Catalog]:
        if len(value) != len(self.names):
            raise PlacementError(f"grid value {value!r}: needs one entry per parameter {list(self.names)}")
        for name, v in zip(self.names, value, strict=True):
            scenario, catalog = PARAMETERS[name](scenario, catalog, v)
        return scenario, catalog


def grid_values(axes: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The Cartesian product of the axes, first axis slowest (the order results come back in)."""
    import itertools

    return [tuple(v) for v in itertools.product(*axes)]


def latency_frontier(
    scenario: Scenario, catalog: Catalog, factors: Iterable[float] = (0.6, 0.8, 1.0, 1.5, 2.0, 3.0), **kwargs: Any
) -> list[SweepPoint]:
    """Cost vs latency: plans with every latency rule scaled by each factor."""
    return sweep(scenario, catalog, factors, scale_latency, **kwargs)


def risk_frontier(
    scenario: Scenario, catalog: Catalog, aversions: Iterable[float] = (0.0, 1.0, 3.0, 10.0, 30.0, 100.0), **kwargs: Any
) -> list[SweepPoint]:
    """Cost vs spot risk: plans at each risk aversion (higher → less spot, fewer reclaims, more $)."""
    return sweep(scenario, catalog, aversions, set_risk_aversion, **kwargs)


def pareto(points: Sequence[Any], x: Callable[[Any], float], y: Callable[[Any], float]) -> list[Any]:
    """The points no other point beats on both `x` and `y` (both minimised), sorted by x.

    Points with a NaN coordinate are dropped; of exact duplicates the first is kept.
    """
    pairs = [(float(x(p)), float(y(p)), i) for i, p in enumerate(points)]
    pairs = [t for t in pairs if not (math.isnan(t[0]) or math.isnan(t[1]))]
    front: list[Any] = []
    best_y = math.inf
    for _x, py, i in sorted(pairs, key=lambda t: (t[0], t[1], t[2])):
        if py < best_y:
            front.append(points[i])
            best_y = py
    return front


def assignment_table(solved: Plan) -> list[dict[str, Any]]:
    """A plan's assignments as plain rows (for a DataFrame or a printed table)."""

    def row(a: Assignment) -> dict[str, Any]:
        return {
            "workload": a.workload,
            "cluster": a.cluster,
            "cloud": a.cloud,
            "region": a.region,
            "on_demand": a.on_demand,
            "spot": a.spot,
            "hourly_usd": round(a.hourly_usd, 4),
        }

    return [row(a) for a in sorted(solved.assignments, key=lambda a: (a.workload, a.cluster))]


__all__ = [
    "PARAMETERS",
    "Change",
    "Comparison",
    "Grid",
    "SweepPoint",
    "Transform",
    "add_provider",
    "assignment_table",
    "compare",
    "demo_scenario",
    "demo_scenario_path",
    "evaluate",
    "grid_values",
    "latency_frontier",
    "load_scenario",
    "outage",
    "pareto",
    "plan",
    "plan_rtt_ms",
    "price_shock",
    "residency_change",
    "risk_frontier",
    "scale_latency",
    "scale_traffic",
    "scenario_catalog",
    "set_risk_aversion",
    "shock_prices",
    "sweep",
    "sweep_point",
    "traffic_multiplier",
]
