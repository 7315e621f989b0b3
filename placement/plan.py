"""The output contract: `Plan` (placement.dev/v1alpha1), exactly the JSON of DESIGN.md.

A plan is a plain value: `to_json()` / `from_json()` round-trip it so `plan` and `apply` (or
`validate`) can run as separate steps. Field names in JSON are camelCase as in the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from placement.errors import InvalidPlan
from placement.scenario import API_VERSION


@dataclass(frozen=True, slots=True)
class Assignment:
    """Replicas of one workload in one cluster, split by capacity type, and what they cost."""

    workload: str
    cluster: str
    cloud: str
    region: str
    on_demand: int
    spot: int
    instance_types: Mapping[str, str]  # capacity type value -> instance type the price came from
    hourly_usd: float

    @property
    def replicas(self) -> int:
        return self.on_demand + self.spot


@dataclass(frozen=True, slots=True)
class Route:
    """Replicas-worth of one user region's traffic served by one cluster, and its RTT."""

    workload: str
    users: str
    cluster: str
    replicas: float
    rtt_ms: float


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A workload that could not be placed, the rule families that left no option, and why."""

    workload: str
    reason: str
    rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SolverStats:
    """What the solver reports: backend, status, time, objective, best bound and relative gap."""

    backend: str
    # the allocation model's status: optimal (replica allocation proved within the relative gap on
    # fluid replica prices) | feasible | time_limit (a valid plan cut short) | infeasible | no-workloads
    status: str
    seconds: float
    objective: float  # node-true: the node bill + egress + spot risk
    bound: float  # node-aware lower bound (dual prices per pool; placement.solver.node_plan)
    gap: float  # (objective - bound) / objective: packing loss and allocation gap together
    model_objective: float | None = None  # the allocation model's objective on fluid replica prices
    model_bound: float | None = None  # and its bound


@dataclass(frozen=True, slots=True)
class HourlyCost:
    """$/h before (current placement) and after (plan), and the plan's parts."""

    before: float
    after: float
    compute: float
    egress: float = 0.0
    risk: float = 0.0

    @property
    def savings_fraction(self) -> float:
        return 0.0 if self.before <= 0 else (self.before - self.after) / self.before


@dataclass(frozen=True, slots=True)
class NodeGroup:
    """Whole nodes of one instance type in one cluster's capacity-type pool: what the fleet pays.

    Utilisations are the pods' requests over the nodes' allocatable (CPU, memory, pod slots)."""

    cluster: str
    capacity_type: str  # on-demand | spot
    instance_type: str
    count: int
    hourly_usd: float  # count × the type's price
    vcpus: float  # capacity of one node (what NodePool limits count)
    memory_gib: float
    cpu_utilisation: float
    memory_utilisation: float
    pod_utilisation: float
    # types the NodePool also admits for these nodes: as much allocatable room, no more capacity, no
    # dearer (spot capacity from several types; the plan's packing already ran with them admitted)
    substitutes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """The whole proposal for a scenario."""

    scenario: str
    prices_as_of: Mapping[str, str]
    solver: SolverStats
    hourly_usd: HourlyCost
    assignments: tuple[Assignment, ...]
    routing: tuple[Route, ...] = ()
    unplaced: tuple[Unplaced, ...] = ()
    moves: int = 0
    warnings: tuple[str, ...] = ()
    demand: Mapping[str, str] = field(default_factory=dict)  # workload -> what sized it
    nodes: tuple[NodeGroup, ...] = ()  # the node bill: Σ hourly_usd == hourly_usd.compute
    before_basis: str = ""  # how `hourly_usd.before` was priced (today's nodes, or today's replicas on the node model)

    def savings(self) -> float:
        """Fraction of the current $/h this plan saves (0 when nothing runs today)."""
        return self.hourly_usd.savings_fraction

    def for_workload(self, key: str) -> tuple[Assignment, ...]:
        return tuple(a for a in self.assignments if a.workload == key)

    def decision(self) -> str:
        """`no-op` when nothing moves, `move` when replicas change cluster, else `resize`."""
        if self.moves == 0 and not self.unplaced:
            return "no-op"
        return "move" if self.moves else "resize"

    # -- JSON ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "apiVersion": API_VERSION,
            "kind": "Plan",
            "scenario": self.scenario,
            "pricesAsOf": dict(self.prices_as_of),
            "solver": {
                "backend": self.solver.backend,
                "status": self.solver.status,
                "seconds": round(self.solver.seconds, 3),
                "objective": _money(self.solver.objective),
                "bound": _money(self.solver.bound),
                "gap": round(self.solver.gap, 6),
                **(
                    {}
                    if self.solver.model_objective is None
                    else {
                        "model": {
                            "objective": _money(self.solver.model_objective),
                            "bound": _money(self.solver.model_bound or 0.0),
                        }
                    }
                ),
            },
            "hourlyUsd": {
                "before": _money(self.hourly_usd.before),
                "after": _money(self.hourly_usd.after),
                "compute": _money(self.hourly_usd.compute),
                "egress": _money(self.hourly_usd.egress),
                "risk": _money(self.hourly_usd.risk),
            },
            "assignments": [
                {
                    "workload": a.workload,
                    "cluster": a.cluster,
                    "cloud": a.cloud,
                    "region": a.region,
                    "onDemand": a.on_demand,
                    "spot": a.spot,
                    "instanceTypes": dict(a.instance_types),
                    "hourlyUsd": _money(a.hourly_usd),
                }
                for a in self.assignments
            ],
            "routing": [
                {
                    "workload": r.workload,
                    "users": r.users,
                    "cluster": r.cluster,
                    "replicas": round(r.replicas, 4),
                    "rttMs": round(r.rtt_ms, 1),
                }
                for r in self.routing
            ],
            "unplaced": [{"workload": u.workload, "reason": u.reason, "rules": list(u.rules)} for u in self.unplaced],
            "moves": self.moves,
            "warnings": list(self.warnings),
            "demand": dict(self.demand),
            "nodes": [
                {
                    "cluster": n.cluster,
                    "capacityType": n.capacity_type,
                    "instanceType": n.instance_type,
                    "count": n.count,
                    "hourlyUsd": _money(n.hourly_usd),
                    "vcpus": n.vcpus,
                    "memoryGib": round(n.memory_gib, 3),
                    "utilisation": {
                        "cpu": round(n.cpu_utilisation, 4),
                        "memory": round(n.memory_utilisation, 4),
                        "pods": round(n.pod_utilisation, 4),
                    },
                    "substitutes": list(n.substitutes),
                }
                for n in self.nodes
            ],
            "beforeBasis": self.before_basis,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        """Parse a plan document; a malformed one raises `InvalidPlan` naming the field."""
        if not isinstance(data, Mapping) or data.get("kind") != "Plan":
            raise InvalidPlan("not a Plan document: expected `kind: Plan` (write one with `placement plan -o json`)")
        try:
            solver = data["solver"]
            cost = data["hourlyUsd"]
            return cls(
                scenario=str(data["scenario"]),
                prices_as_of=dict(data.get("pricesAsOf") or {}),
                solver=SolverStats(
                    backend=str(solver["backend"]),
                    status=str(solver["status"]),
                    seconds=float(solver["seconds"]),
                    objective=float(solver["objective"]),
                    bound=float(solver["bound"]),
                    gap=float(solver["gap"]),
                    model_objective=None if "model" not in solver else float(solver["model"]["objective"]),
                    model_bound=None if "model" not in solver else float(solver["model"]["bound"]),
                ),
                hourly_usd=HourlyCost(
                    before=float(cost["before"]),
                    after=float(cost["after"]),
                    compute=float(cost["compute"]),
                    egress=float(cost.get("egress", 0.0)),
                    risk=float(cost.get("risk", 0.0)),
                ),
                assignments=tuple(
                    Assignment(
                        workload=str(a["workload"]),
                        cluster=str(a["cluster"]),
                        cloud=str(a["cloud"]),
                        region=str(a["region"]),
                        on_demand=int(a["onDemand"]),
                        spot=int(a["spot"]),
                        instance_types=dict(a.get("instanceTypes") or {}),
                        hourly_usd=float(a["hourlyUsd"]),
                    )
                    for a in data.get("assignments") or ()
                ),
                routing=tuple(
                    Route(
                        workload=str(r["workload"]),
                        users=str(r["users"]),
                        cluster=str(r["cluster"]),
                        replicas=float(r["replicas"]),
                        rtt_ms=float(r["rttMs"]),
                    )
                    for r in data.get("routing") or ()
                ),
                unplaced=tuple(
                    Unplaced(workload=str(u["workload"]), reason=str(u["reason"]), rules=tuple(u.get("rules") or ()))
                    for u in data.get("unplaced") or ()
                ),
                moves=int(data.get("moves", 0)),
                warnings=tuple(data.get("warnings") or ()),
                demand=dict(data.get("demand") or {}),
                nodes=tuple(
                    NodeGroup(
                        cluster=str(n["cluster"]),
                        capacity_type=str(n["capacityType"]),
                        instance_type=str(n["instanceType"]),
                        count=int(n["count"]),
                        hourly_usd=float(n["hourlyUsd"]),
                        vcpus=float(n["vcpus"]),
                        memory_gib=float(n["memoryGib"]),
                        cpu_utilisation=float((n.get("utilisation") or {}).get("cpu", 0.0)),
                        memory_utilisation=float((n.get("utilisation") or {}).get("memory", 0.0)),
                        pod_utilisation=float((n.get("utilisation") or {}).get("pods", 0.0)),
                        substitutes=tuple(str(t) for t in n.get("substitutes") or ()),
                    )
                    for n in data.get("nodes") or ()
                ),
                before_basis=str(data.get("beforeBasis") or ""),
            )
        except KeyError as error:
            raise InvalidPlan(
                f"plan field {error.args[0]!r} is missing; regenerate the plan with `placement plan -o json`"
            ) from error
        except (TypeError, ValueError, AttributeError) as error:
            raise InvalidPlan(
                f"plan field malformed ({error}); regenerate the plan with `placement plan -o json`"
            ) from error


def _money(value: float) -> float:
    return round(float(value), 6)
