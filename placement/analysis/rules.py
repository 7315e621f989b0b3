"""Rules as scenario transforms: relaxed copies of a scenario, fleet-wide or one rule of one workload.

Both "what does this rule cost" (`placement.analysis.price_of`) and "which rules conflict"
(`placement.analysis.conflicts`) re-solve a scenario with some rules switched off. Switching a rule off is a
pure transform producing a new `Scenario` (``dataclasses.replace``), so the re-solve goes through the
one `solve()` with nothing special-cased. Rule families and what relaxing each one does:

| family           | relaxed to                                                               |
|------------------|--------------------------------------------------------------------------|
| residency        | residency omitted (anywhere)                                             |
| latency          | latencyMs omitted; per workload, one user region's RTTs taken as 0 ms    |
| instanceFamilies | clusters' instanceFamilies allow-lists omitted                           |
| capacity         | clusters' capacity.cpu caps omitted                                      |
| spot             | spot.maxFraction 1 and minAvailable 0 (spot caps and on-demand floors)   |
| minClusters      | minClusters 1                                                            |
| maxMoves         | planning.maxMoves omitted (no churn budget)                              |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from placement.errors import PlacementError, did_you_mean
from placement.scenario import Scenario, Workload

FAMILIES = ("residency", "latency", "instanceFamilies", "capacity", "spot", "minClusters", "maxMoves")


def parse_families(text: str, *, flag: str = "--price-of") -> tuple[str, ...]:
    """``"residency,latency"`` → the families, in order, each once; unknown names are an error."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise PlacementError(
            f"{flag} needs rule families, e.g. {flag} residency,latency (known: {', '.join(FAMILIES)})"
        )
    for name in names:
        if name not in FAMILIES:
            raise PlacementError(f"{flag}: unknown rule family {name!r}" + did_you_mean(name, FAMILIES))
    return tuple(dict.fromkeys(names))


def uses(scenario: Scenario, family: str) -> bool:
    """True when some workload or cluster of the scenario has a rule of this family."""
    w = scenario.workloads
    return {
        "residency": lambda: any(x.residency is not None for x in w),
        "latency": lambda: any(x.latency_ms is not None for x in w),
        "instanceFamilies": lambda: any(c.instance_families is not None for c in scenario.clusters),
        "capacity": lambda: any(c.capacity_cpu is not None for c in scenario.clusters),
        "spot": lambda: any(x.spot_max_fraction < 1.0 or x.min_available > 0 for x in w),
        "minClusters": lambda: any(x.min_clusters > 1 for x in w),
        "maxMoves": lambda: scenario.planning.max_moves is not None,
    }[family]()


def relax(scenario: Scenario, family: str) -> Scenario:
    """The scenario with one rule family switched off for every workload and cluster."""
    if family == "instanceFamilies":
        return replace(scenario, clusters=tuple(replace(c, instance_families=None) for c in scenario.clusters))
    if family == "capacity":
        return replace(scenario, clusters=tuple(replace(c, capacity_cpu=None) for c in scenario.clusters))
    if family == "maxMoves":
        return replace(scenario, planning=replace(scenario.planning, max_moves=None))
    changes = {
        "residency": {"residency": None},
        "latency": {"latency_ms": None},
        "spot": {"spot_max_fraction": 1.0, "min_available": 0},
        "minClusters": {"min_clusters": 1},
    }
    if family not in changes:
        raise ValueError(f"unknown rule family {family!r}; known: {', '.join(FAMILIES)}")
    return replace(scenario, workloads=tuple(replace(w, **changes[family]) for w in scenario.workloads))


# -- single rules of one workload ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of one workload: its family, what it is about (a user region for latency,
    `maxFraction` / `minAvailable` for spot) and how to say it."""

    family: str
    subject: str | None
    label: str


def workload_rules(scenario: Scenario, workload: Workload) -> tuple[Rule, ...]:
    """The rules that constrain this workload, finest grain: latency is one rule per user region."""
    rules: list[Rule] = []
    if workload.residency is not None:
        rules.append(Rule("residency", None, f"residency [{', '.join(workload.residency)}]"))
    if workload.latency_ms is not None:
        for user, share in workload.users.items():
            if share > 0:
                rules.append(Rule("latency", user, f"latency {workload.latency_ms:g} ms from {user}"))
    if any(c.instance_families is not None for c in scenario.clusters):
        rules.append(Rule("instanceFamilies", None, "the clusters' instanceFamilies"))
    if any(c.capacity_cpu is not None for c in scenario.clusters):
        rules.append(Rule("capacity", None, "capacity.cpu caps"))
    if workload.spot_max_fraction < 1.0:
        what = (
            "on-demand only (spot.maxFraction 0)"
            if workload.spot_max_fraction == 0
            else f"spot.maxFraction {workload.spot_max_fraction:g}"
        )
        rules.append(Rule("spot", "maxFraction", what))
    if workload.min_available > 0:
        rules.append(Rule("spot", "minAvailable", f"minAvailable {workload.min_available}"))
    if workload.min_clusters > 1:
        rules.append(Rule("minClusters", None, f"minClusters {workload.min_clusters}"))
    if scenario.planning.max_moves is not None:
        rules.append(Rule("maxMoves", None, f"the churn budget (maxMoves {scenario.planning.max_moves})"))
    return tuple(rules)


def relax_rules(scenario: Scenario, workload_key: str, rules: Iterable[Rule]) -> Scenario:
    """`scenario` with these rules of one workload switched off. Cluster-level rules (instanceFamilies,
    capacity) and maxMoves are switched off for the whole scenario: use it on a one-workload scenario."""
    workload = scenario.workload(workload_key)
    rules = tuple(rules)
    families = {r.family for r in rules}
    changes: dict[str, object] = {}
    if "residency" in families:
        changes["residency"] = None
    if any(r.family == "spot" and r.subject == "maxFraction" for r in rules):
        changes["spot_max_fraction"] = 1.0
    if any(r.family == "spot" and r.subject == "minAvailable" for r in rules):
        changes["min_available"] = 0
    if "minClusters" in families:
        changes["min_clusters"] = 1
    relaxed_users = {r.subject for r in rules if r.family == "latency" and r.subject is not None}
    matrix = scenario.latency_matrix_ms
    if relaxed_users:
        wanted = {u for u, share in workload.users.items() if share > 0}
        if wanted <= relaxed_users:
            changes["latency_ms"] = None
        else:  # these users' traffic may go anywhere: every cluster is 0 ms from them
            matrix = {**matrix, **{u: {c.name: 0.0 for c in scenario.clusters} for u in relaxed_users}}
    updated = replace(workload, **changes) if changes else workload
    clusters = scenario.clusters
    if "instanceFamilies" in families:
        clusters = tuple(replace(c, instance_families=None) for c in clusters)
    if "capacity" in families:
        clusters = tuple(replace(c, capacity_cpu=None) for c in clusters)
    planning = replace(scenario.planning, max_moves=None) if "maxMoves" in families else scenario.planning
    workloads = tuple(updated if w.key == workload.key else w for w in scenario.workloads)
    return replace(scenario, workloads=workloads, clusters=clusters, latency_matrix_ms=matrix, planning=planning)
