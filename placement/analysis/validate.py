"""An independent checker of plans: every rule of the model, and every reported cost, recomputed.

Deliberately shares no code with the solver (`options`, `costing`, `model`, `greedy`, `solve`):
the node bill is recomputed from the catalog (each planned node group's type must be one the
cluster's autoscaler launches, priced as the catalog says) and every pool's pods are placed on
exactly its planned nodes (greedy fits, else an exact CP-SAT search); each rule is checked
directly on the plan's integers and routes. Shared *data* (region countries, the RTT estimate,
egress prices) is used as is. `check(plan, scenario, catalog)` returns the violations;
an empty list means the plan is valid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from placement.geo.egress import cluster_egress_usd_per_gb, egress_usd_per_gb
from placement.geo.jurisdictions import residency_allows
from placement.geo.latency import estimate_rtt_ms
from placement.plan import Assignment, Plan, Route
from placement.scenario import Cluster, Scenario, Workload
from pricing import CapacityType, Catalog
from pricing.nodes import allocatable, launchable, max_pods

_DEFAULT_RATE = 0.05  # same documented default as the pricing model (see placement.solver.replica_price)
_TOLERANCE = 1e-6

Add = Callable[[str, str, str], None]  # records one violation: rule, workload, message


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    workload: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.workload}: {self.message}"


def _allocatable(offer, cluster: Cluster):
    """What one node of `offer` gives pods in this cluster (node facts: `pricing.nodes`), or None when
    the cluster's autoscaler cannot launch it."""
    if not launchable(cluster.cloud, offer.instance_type, cluster.autoscaler) or offer.vcpus <= 0:
        return None
    slots = max_pods(cluster.cloud, offer.instance_type, offer.vcpus, cluster_max_pods=cluster.max_pods_per_node)
    ds = cluster.daemonsets
    room = allocatable(
        cluster.cloud,
        offer.instance_type,
        offer.vcpus,
        offer.memory_gib,
        max_pods=slots,
        daemonset_cpu=ds.cpu,
        daemonset_memory_gib=ds.memory_gib,
        daemonset_pods=ds.pods,
    )
    return room if room.cpu > 0 and room.memory_gib > 0 and room.pods > 0 else None


def _offers(catalog: Catalog, cluster: Cluster, kind: CapacityType):
    families = None if cluster.instance_families is None else {f.lower() for f in cluster.instance_families}
    for offer in catalog.in_region(cluster.cloud, cluster.region):
        if offer.capacity_type != kind or (families is not None and offer.family.lower() not in families):
            continue
        room = _allocatable(offer, cluster)
        if room is not None:
            yield offer, room


def _cheapest(
    catalog: Catalog, workload: Workload, cluster: Cluster, kind: CapacityType
) -> tuple[float, str, float] | None:
    """The fluid replica price on allocatable (the allocation model's currency, used for the risk term)."""
    best: tuple[float, str, float] | None = None
    for offer, room in _offers(catalog, cluster, kind):
        if room.cpu < workload.cpu - 1e-9 or room.memory_gib < workload.memory_gib - 1e-9:
            continue
        if offer.arch not in workload.architectures:
            continue
        share = max(workload.cpu / room.cpu, workload.memory_gib / room.memory_gib, 1 / room.pods)
        cost = offer.hourly_usd * share
        rate = _DEFAULT_RATE if offer.interruption_rate is None else offer.interruption_rate
        if best is None or (cost, offer.instance_type) < (best[0], best[1]):
            best = (cost, offer.instance_type, rate)
    return best


def _check_nodes(
    add: Add,
    plan: Plan,
    scenario: Scenario,
    catalog: Catalog,
    clusters: dict[str, Cluster],
    workloads: dict[str, Workload],
) -> float:
    """The node bill: each planned node group's type, price and launchability, and every pool's pods
    placed on exactly its planned nodes (greedy fits, else an exact search).
    Returns Σ nodes × price."""
    bill = 0.0
    nodes: dict[tuple[str, str], list[tuple[str, float, object, str]]] = {}
    for n in plan.nodes:
        c = clusters.get(n.cluster)
        if c is None:
            add("nodes", "-", f"node group in unknown cluster {n.cluster!r}")
            continue
        kind = CapacityType(n.capacity_type)
        found = [(o, room) for o, room in _offers(catalog, c, kind) if o.instance_type == n.instance_type]
        if not found:
            add(
                "nodes",
                "-",
                f"{n.cluster} {n.capacity_type}: {n.instance_type} is not a type the cluster's "
                f"autoscaler {c.autoscaler} can launch there (or has no {n.capacity_type} price)",
            )
            continue
        offer, room = found[0]
        bill += n.count * offer.hourly_usd
        if not math.isclose(n.count * offer.hourly_usd, n.hourly_usd, rel_tol=1e-5, abs_tol=1e-5):
            add(
                "cost",
                "-",
                f"{n.cluster} {n.count}× {n.instance_type} cost {n.count * offer.hourly_usd:.6f} $/h, "
                f"plan says {n.hourly_usd:.6f}",
            )
        for _ in range(n.count):
            nodes.setdefault((n.cluster, n.capacity_type), []).append(
                (n.instance_type, offer.hourly_usd, room, offer.arch)
            )
    pods: dict[tuple[str, str], list[tuple[float, float, str, tuple[str, ...]]]] = {}
    for a in plan.assignments:
        w = workloads.get(a.workload)
        if w is None:
            continue
        for kind, count in (("on-demand", a.on_demand), ("spot", a.spot)):
            pods.setdefault((a.cluster, kind), []).extend([(w.cpu, w.memory_gib, w.key, w.architectures)] * count)
    for pool, items in sorted(pods.items()):
        # the planned nodes, largest first, and two greedy fits of the pods; where they leave pods over,
        # an exact search (a greedy fit is not Karpenter's order, and misses packings that exist)
        rooms = sorted(
            ((room.cpu, room.memory_gib, room.pods, arch) for _, _, room, arch in nodes.get(pool, [])),
            key=lambda b: (-b[0], -b[1]),
        )
        homeless = _homeless(items, rooms)
        if homeless:
            exact = _fits_exactly(items, rooms)
            if exact is None:
                add(
                    "nodes",
                    "-",
                    f"{pool[0]} {pool[1]}: could not place {homeless} of {len(items)} pods on the planned nodes "
                    f"(greedy fits), and an exact search ran out of time ({EXACT_FIT_TIME_S:g} s)",
                )
            elif not exact:
                add("nodes", "-", f"{pool[0]} {pool[1]}: {homeless} of {len(items)} pods do not fit the planned nodes")
    return bill


def _homeless(
    items: list[tuple[float, float, str, tuple[str, ...]]], rooms: list[tuple[float, float, int, str]]
) -> int:
    """Pods left over by the best of a few greedy fits: largest first (CPU, then memory), or pods that
    run on fewer architectures first; each goes on the first node with room, or on the node it
    leaves the least room on (its dominant share). Multi-arch pods taken early can use up the room
    single-arch pods need (measured: a pool of 291 pods on 43 nodes of two architectures left 23
    over by size alone, none with the constrained pods first), and the other way round elsewhere."""
    by_size = sorted(items, key=lambda p: (-p[0], -p[1]))
    constrained = sorted(items, key=lambda p: (len(p[3]), -p[0], -p[1]))
    least = len(items)
    for order in (by_size, constrained):
        for best in (False, True):
            least = min(least, _fit(order, rooms, best=best))
            if not least:
                return 0
    return least


def _fit(
    pods: list[tuple[float, float, str, tuple[str, ...]]], rooms: list[tuple[float, float, int, str]], *, best: bool
) -> int:
    bins = [list(room) for room in rooms]
    homeless = 0
    for cpu, memory, _key, arches in pods:
        fits = [b for b in bins if b[3] in arches and b[0] >= cpu - 1e-9 and b[1] >= memory - 1e-9 and b[2] >= 1]
        if not fits:
            homeless += 1
            continue
        b = fits[0]
        if best:
            b = min(fits, key=lambda r: max((r[0] - cpu) / max(r[0], 1e-9), (r[1] - memory) / max(r[1], 1e-9)))
        b[0] -= cpu
        b[1] -= memory
        b[2] -= 1
    return homeless


#: Seconds the exact fit search may take per pool (only where the greedy fits leave pods over).
EXACT_FIT_TIME_S = 10.0
_SCALE = 1_000_000  # requests and room in millionths of a core / GiB: integers for CP-SAT


def _fits_exactly(
    items: list[tuple[float, float, str, tuple[str, ...]]], rooms: list[tuple[float, float, int, str]]
) -> bool | None:
    """Whether every pod fits on the nodes (CP-SAT: how many pods of each shape on each node); None
    if neither proved in `EXACT_FIT_TIME_S`."""
    from ortools.sat.python import cp_model

    shapes: dict[tuple[float, float, tuple[str, ...]], int] = {}
    for cpu, memory, _key, arches in items:
        shapes[(cpu, memory, arches)] = shapes.get((cpu, memory, arches), 0) + 1
    model = cp_model.CpModel()
    on: dict[tuple[int, int], cp_model.IntVar] = {}
    for i, ((_cpu, _memory, arches), count) in enumerate(shapes.items()):
        for j, room in enumerate(rooms):
            if room[3] in arches:
                on[(i, j)] = model.NewIntVar(0, min(count, room[2]), f"x{i}_{j}")
        if not any(k == i for k, _ in on):
            return False  # no planned node runs these pods' architectures
        model.Add(sum(v for (k, _), v in on.items() if k == i) == count)
    for j, (cpu, memory, pods, _arch) in enumerate(rooms):
        here = [(shape, on[(i, j)]) for i, shape in enumerate(shapes) if (i, j) in on]
        model.Add(sum(math.ceil(shape[0] * _SCALE - 1e-3) * v for shape, v in here) <= math.floor(cpu * _SCALE + 1e-3))
        model.Add(
            sum(math.ceil(shape[1] * _SCALE - 1e-3) * v for shape, v in here) <= math.floor(memory * _SCALE + 1e-3)
        )
        model.Add(sum(v for _, v in here) <= pods)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = EXACT_FIT_TIME_S
    solver.parameters.num_workers = 1
    status = solver.Solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    return False if status == cp_model.INFEASIBLE else None


def _rtt(scenario: Scenario, user: str, cluster: Cluster) -> float:
    measured = scenario.latency_matrix_ms.get(user, {}).get(cluster.name)
    if measured is not None:
        return measured
    region = scenario.user_region(user)
    if cluster.lat is None or cluster.lon is None:
        return math.inf
    return estimate_rtt_ms(region.lat, region.lon, cluster.lat, cluster.lon)


def check(plan: Plan, scenario: Scenario, catalog: Catalog) -> list[Violation]:
    """All violations of the scenario's rules and all cost mismatches in `plan`.

    In a fixed order, one function per rule family: the plan's scenario; each assignment (references,
    replica signs, residency, a launchable price); the node bill; each workload (unplaced, the
    on-demand floor, spot, spread, demand and routes); cluster capacity; churn; the reported costs."""
    out: list[Violation] = []

    def add(rule: str, workload: str, message: str) -> None:
        out.append(Violation(rule, workload, message))

    clusters = {c.name: c for c in scenario.clusters}
    workloads = {w.key: w for w in scenario.workloads}
    _check_scenario(add, plan, scenario)
    by_workload, used_cpu, risk = _check_assignments(add, plan, scenario, catalog, clusters, workloads)
    compute = _check_nodes(add, plan, scenario, catalog, clusters, workloads)
    _check_bill(add, plan, compute)
    egress = _check_workloads(add, plan, scenario, clusters, workloads, by_workload)
    _check_capacity(add, used_cpu, clusters)
    _check_churn(add, plan, scenario, workloads)
    _check_costs(add, plan, compute=compute, risk=risk, egress=egress)
    return out


def _check_scenario(add: Add, plan: Plan, scenario: Scenario) -> None:
    if plan.scenario != scenario.name:
        add("scenario", "-", f"plan is for scenario {plan.scenario!r}, not {scenario.name!r}")


def _check_assignments(
    add: Add,
    plan: Plan,
    scenario: Scenario,
    catalog: Catalog,
    clusters: dict[str, Cluster],
    workloads: dict[str, Workload],
) -> tuple[dict[str, list[Assignment]], dict[str, float], float]:
    """Each assignment on its own, in plan order. Returns the assignments of each workload, the CPU
    used in each cluster and the spot risk ($/h) of the whole plan."""
    by_workload: dict[str, list[Assignment]] = {}
    used_cpu: dict[str, float] = {}
    risk = 0.0
    for a in plan.assignments:
        w, c = workloads.get(a.workload), clusters.get(a.cluster)
        if w is None or c is None:
            add("reference", a.workload, f"unknown workload or cluster {a.cluster!r}")
            continue
        by_workload.setdefault(a.workload, []).append(a)
        _check_reference(add, a, c)
        _check_residency(add, a, w, c)
        used_cpu[a.cluster] = used_cpu.get(a.cluster, 0.0) + w.cpu * (a.on_demand + a.spot)
        risk += _spot_risk(add, a, w, c, catalog, scenario)
    return by_workload, used_cpu, risk


def _check_reference(add: Add, a: Assignment, c: Cluster) -> None:
    """The assignment names its cluster's cloud and region, and no negative replicas."""
    if (a.cloud, a.region) != (c.cloud, c.region):
        add("reference", a.workload, f"{a.cluster} is {c.cloud}/{c.region}, plan says {a.cloud}/{a.region}")
    if a.on_demand < 0 or a.spot < 0:
        add("replicas", a.workload, f"negative replicas in {a.cluster}")


def _check_residency(add: Add, a: Assignment, w: Workload, c: Cluster) -> None:
    if w.residency is not None and not residency_allows(c.country, w.residency):
        add("residency", a.workload, f"{a.cluster} is in {c.country}, outside [{', '.join(w.residency)}]")


def _spot_risk(add: Add, a: Assignment, w: Workload, c: Cluster, catalog: Catalog, scenario: Scenario) -> float:
    """Each capacity type the assignment uses has a launchable instance type that holds a replica;
    returns the spot risk ($/h) of its spot replicas."""
    risk = 0.0
    for count, kind in ((a.on_demand, CapacityType.ON_DEMAND), (a.spot, CapacityType.SPOT)):
        if not count:
            continue
        best = _cheapest(catalog, w, c, kind)
        if best is None:
            add("price", a.workload, f"no launchable {kind.value} instance type holds it in {a.cluster}")
        elif kind is CapacityType.SPOT:
            risk += scenario.planning.risk_aversion * best[2] * best[0] * scenario.planning.overhead_factor * count
    return risk


def _check_bill(add: Add, plan: Plan, compute: float) -> None:
    """The assignments' cost shares add up to the node bill."""
    shares = sum(a.hourly_usd for a in plan.assignments)
    if not math.isclose(shares, compute, rel_tol=1e-4, abs_tol=1e-4):
        add("cost", "-", f"assignments add up to {shares:.6f} $/h, the node bill is {compute:.6f}")


def _check_workloads(
    add: Add,
    plan: Plan,
    scenario: Scenario,
    clusters: dict[str, Cluster],
    workloads: dict[str, Workload],
    by_workload: dict[str, list[Assignment]],
) -> float:
    """Each workload's rules, in scenario order. Returns the plan's egress ($/h)."""
    unplaced = {u.workload for u in plan.unplaced}
    routes: dict[str, list[Route]] = {}
    for r in plan.routing:
        routes.setdefault(r.workload, []).append(r)
    egress = 0.0
    for key, w in workloads.items():
        mine = by_workload.get(key, [])
        if key in unplaced:
            if mine:
                add("unplaced", key, "is listed as unplaced but has assignments")
            continue
        if w.replicas == 0:
            continue
        if not mine:
            add("demand", key, f"needs {w.replicas} replicas but has no assignment and is not listed as unplaced")
            continue
        _check_floor(add, w, mine)
        _check_spot(add, w, mine)
        _check_spread(add, w, mine)
        egress += _check_demand(add, scenario, w, mine, routes.get(key, []), clusters)
    return egress


def _check_floor(add: Add, w: Workload, mine: list[Assignment]) -> None:
    """minAvailable: the on-demand floor."""
    on_demand = sum(a.on_demand for a in mine)
    if on_demand < w.min_available:
        add("minAvailable", w.key, f"{on_demand} on-demand replicas < minAvailable {w.min_available}")


def _check_spot(add: Add, w: Workload, mine: list[Assignment]) -> None:
    """spot.maxFraction over the workload, spot.maxClusterShare per cluster."""
    total = sum(a.on_demand + a.spot for a in mine)
    spot = sum(a.spot for a in mine)
    if spot > w.spot_max_fraction * total + _TOLERANCE:
        add("spot", w.key, f"{spot} of {total} replicas on spot > maxFraction {w.spot_max_fraction:g}")
    if w.spot_max_cluster_share is not None:
        for a in mine:
            if a.spot > w.spot_max_cluster_share * spot + _TOLERANCE:
                add(
                    "spot",
                    w.key,
                    f"{a.spot} of its {spot} spot replicas in {a.cluster} > maxClusterShare "
                    f"{w.spot_max_cluster_share:g}",
                )


def _check_spread(add: Add, w: Workload, mine: list[Assignment]) -> None:
    """minClusters: present (with replicas) in enough clusters."""
    present = {a.cluster for a in mine if a.on_demand + a.spot > 0}
    if len(present) < w.min_clusters:
        add("minClusters", w.key, f"present in {len(present)} cluster(s) < minClusters {w.min_clusters}")


def _check_demand(
    add: Add, scenario: Scenario, w: Workload, mine: list[Assignment], routes: list[Route], clusters: dict[str, Cluster]
) -> float:
    """Demand: enough replicas, or (with a latency rule) every user served within latencyMs by routes.
    Returns the workload's egress ($/h)."""
    if w.latency_ms is not None:
        return _check_routes(add, scenario, w, mine, routes, clusters)
    total = sum(a.on_demand + a.spot for a in mine)
    if total < w.replicas:
        add("demand", w.key, f"{total} replicas < demand {w.replicas}")
    if w.egress_gb_per_hour:
        return sum(
            w.egress_gb_per_hour * (a.on_demand + a.spot) / total * _egress_price(clusters, a.cluster, a.cloud)
            for a in mine
        )
    return 0.0


def _check_capacity(add: Add, used_cpu: dict[str, float], clusters: dict[str, Cluster]) -> None:
    for name, used in used_cpu.items():
        cap = clusters[name].capacity_cpu if name in clusters else None
        if cap is not None and used > cap + _TOLERANCE:
            add("capacity", "-", f"{name} uses {used:g} CPU > capacity.cpu {cap:g}")


def _check_churn(add: Add, plan: Plan, scenario: Scenario, workloads: dict[str, Workload]) -> None:
    """The plan's `moves` recomputed (replicas added per cluster and capacity type), and maxMoves."""
    moves = sum(
        max(a.on_demand - _today(workloads, a, "on_demand"), 0) + max(a.spot - _today(workloads, a, "spot"), 0)
        for a in plan.assignments
        if a.workload in workloads
    )
    if moves != plan.moves:
        add("moves", "-", f"plan reports {plan.moves} moves, recomputed {moves}")
    if scenario.planning.max_moves is not None and moves > scenario.planning.max_moves:
        add("maxMoves", "-", f"{moves} moves > maxMoves {scenario.planning.max_moves}")


def _check_costs(add: Add, plan: Plan, *, compute: float, risk: float, egress: float) -> None:
    """The plan's reported hourly costs against the recomputed ones."""
    cost = plan.hourly_usd
    for label, ours, theirs in (
        ("compute", compute, cost.compute),
        ("risk", risk, cost.risk),
        ("egress", egress, cost.egress),
        ("after", compute + risk + egress, cost.after),
    ):
        if not math.isclose(ours, theirs, rel_tol=1e-4, abs_tol=1e-4):
            add("cost", "-", f"hourlyUsd.{label} is {theirs:.6f}, recomputed {ours:.6f}")


def _today(workloads: dict[str, Workload], a: Assignment, kind: str) -> int:
    today = workloads[a.workload].current.get(a.cluster)
    return 0 if today is None else getattr(today, kind)


def _check_routes(
    add: Add, scenario: Scenario, w: Workload, mine: list[Assignment], routes: list[Route], clusters: dict[str, Cluster]
) -> float:
    """Latency routing: every user's share is served within latencyMs, by clusters with the replicas."""
    served_by: dict[str, float] = {}
    per_user: dict[str, float] = {}
    for r in routes:
        c = clusters.get(r.cluster)
        if c is None or r.users not in w.users:
            add("routing", w.key, f"route to unknown cluster or user region {r.cluster}/{r.users}")
            continue
        if r.replicas < -_TOLERANCE:
            add("routing", w.key, f"negative route {r.users} → {r.cluster}")
        rtt = _rtt(scenario, r.users, c)
        if r.replicas > _TOLERANCE and rtt > w.latency_ms + _TOLERANCE:
            add("latency", w.key, f"{r.users} served from {r.cluster} at {rtt:.0f} ms > latencyMs {w.latency_ms:g}")
        served_by[r.cluster] = served_by.get(r.cluster, 0.0) + r.replicas
        per_user[r.users] = per_user.get(r.users, 0.0) + r.replicas
    for user, share in w.users.items():
        need = share * w.replicas
        if per_user.get(user, 0.0) < need - 1e-4:
            add("demand", w.key, f"{user} gets {per_user.get(user, 0.0):.3f} replicas-worth < {need:.3f}")
    replicas = {a.cluster: a.on_demand + a.spot for a in mine}
    egress = 0.0
    for name, load in served_by.items():
        if load > replicas.get(name, 0) + 1e-4:
            add("routing", w.key, f"{name} serves {load:.3f} replicas-worth with {replicas.get(name, 0)} replicas")
        if w.egress_gb_per_hour and w.replicas:
            egress += w.egress_gb_per_hour * load / w.replicas * cluster_egress_usd_per_gb(clusters[name])
    return egress


def _egress_price(clusters: dict, name: str, cloud: str) -> float:
    """$/GB leaving cluster `name` (its override, else its cloud's price; the cloud's if it is unknown)."""
    return cluster_egress_usd_per_gb(clusters[name]) if name in clusters else egress_usd_per_gb(cloud)
