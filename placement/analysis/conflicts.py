"""Why a workload cannot be placed: the smallest set of its rules that conflict, found by re-checking.

For an unplaced workload, every rule that constrains it is listed at its finest grain (residency,
latency per user region, the clusters' instanceFamilies, capacity caps, spot cap and on-demand floor,
minClusters, the churn budget; `placement.analysis.rules.workload_rules`). A subset of rules is *feasible*
when the workload, alone with the capacity and churn budget the rest of the plan leaves
(`placement.analysis.isolate`), can be placed with only those rules on and the others relaxed:

- rules that act on the workload alone are checked with `placement.solver.candidates.workload_options`, the
  solver's own filter (residency, fit, latency reachability, minClusters);
- when capacity caps or the churn budget are among the rules, the one-workload scenario is solved
  with `solve()` — the same model the plan came from.

The search looks for an infeasible subset of minimum size (subsets by increasing size; with more than
`_EXHAUSTIVE_MAX` rules, a deletion filter, which returns an irreducible set). Every rule in the
answer is needed: drop any one and the workload fits. The reason names the rules and the fact that
decides it, computed from the data (the nearest allowed cluster's RTT, the CPU left, ...).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from placement.analysis.isolate import isolate
from placement.analysis.rules import Rule, relax_rules, workload_rules
from placement.plan import Plan, Unplaced
from placement.scenario import Scenario
from placement.solver.candidates import ClusterOption, WorkloadOptions, rtt_ms, workload_options
from placement.solver.milp import DEFAULT_BACKEND
from placement.solver.replica_price import ReplicaPricer
from pricing import Catalog

_ALTERNATIVES_SHOWN = 2  # other minimum conflicts named in the reason (all are in `Conflict.alternatives`)
_EXHAUSTIVE_MAX = 10  # 2^10 subsets at most; beyond, a deletion filter (linear in the rules)
# Which rule's data the reason is told from, when several conflict (the most telling first).
_FOCUS = (
    "latency",
    "minClusters",
    "capacity",
    "maxMoves",
    "minAvailable",
    "maxFraction",
    "instanceFamilies",
    "residency",
)


@dataclass(frozen=True, slots=True)
class Conflict:
    """The rules of one workload that cannot all hold, and why in words. No rules: even with every
    rule relaxed nothing fits (its resources), or it fits and the solver did not place it in time."""

    workload: str
    rules: tuple[Rule, ...]
    reason: str
    feasible_alone: bool = False
    alternatives: tuple[tuple[Rule, ...], ...] = ()  # other conflicting sets of the same (minimum) size

    @property
    def families(self) -> tuple[str, ...]:
        if not self.rules:
            return ("solver",) if self.feasible_alone else ("resources",)
        return tuple(dict.fromkeys(r.family for r in self.rules))

    def to_unplaced(self) -> Unplaced:
        return Unplaced(self.workload, self.reason, self.families)


class ConflictFinder:
    """Feasibility checks of one workload's rule subsets (memoised) in its one-workload scenario."""

    def __init__(
        self,
        alone: Scenario,
        catalog: Catalog,
        *,
        pricer: ReplicaPricer | None = None,
        time_limit_s: float = 5.0,
        backend: str = DEFAULT_BACKEND,
    ) -> None:
        if len(alone.workloads) != 1:
            raise ValueError("ConflictFinder needs a one-workload scenario (see placement.analysis.isolate)")
        self.alone = alone
        self.workload = alone.workloads[0]
        self.catalog = catalog
        self.pricer = pricer or ReplicaPricer(catalog, overhead_factor=alone.planning.overhead_factor)
        self.rules = workload_rules(alone, self.workload)
        self._time_limit_s = time_limit_s
        self._backend = backend
        self._memo: dict[frozenset[Rule], bool] = {}

    def options(self, active: frozenset[Rule]) -> WorkloadOptions:
        """The workload's options with only `active` rules on."""
        relaxed = relax_rules(self.alone, self.workload.key, [r for r in self.rules if r not in active])
        return workload_options(relaxed, relaxed.workloads[0], self.pricer)

    def feasible(self, active: frozenset[Rule]) -> bool:
        if active not in self._memo:
            self._memo[active] = self._check(active)
        return self._memo[active]

    def _check(self, active: frozenset[Rule]) -> bool:
        options = self.options(active)
        if options.unplaced is not None:
            return False
        families = {r.family for r in active}
        capped = "capacity" in families and any(o.cluster.capacity_cpu is not None for o in options.options)
        if not capped and "maxMoves" not in families:
            return True  # the solver's own filter passed and nothing else couples: it can be placed
        from placement.solver.solve import solve

        relaxed = relax_rules(self.alone, self.workload.key, [r for r in self.rules if r not in active])
        plan = solve(relaxed, self.catalog, time_limit_s=self._time_limit_s, backend=self._backend)
        return not plan.unplaced and bool(plan.assignments)

    def smallest_conflicts(self) -> list[tuple[Rule, ...]] | None:
        """Every infeasible rule set of minimum size (one irreducible set when there are more than
        `_EXHAUSTIVE_MAX` rules); ``[()]`` when nothing fits even relaxed; None when it is feasible."""
        everything = frozenset(self.rules)
        if self.feasible(everything):
            return None
        if not self.feasible(frozenset()):
            return [()]
        if len(self.rules) <= _EXHAUSTIVE_MAX:
            for size in range(1, len(self.rules) + 1):
                found = [s for s in combinations(self.rules, size) if not self.feasible(frozenset(s))]
                if found:
                    return found
        kept = list(self.rules)  # deletion filter: drop each rule the conflict survives without
        for rule in list(kept):
            trial = frozenset(r for r in kept if r != rule)
            if not self.feasible(trial):
                kept.remove(rule)
        return [tuple(kept)]

    def conflict(self) -> Conflict:
        found = self.smallest_conflicts()
        key = self.workload.key
        if found is None:
            return Conflict(
                key,
                (),
                "it fits in the capacity and churn budget the rest of the plan leaves, but the "
                "solver did not place it within its time limit: raise --time-limit",
                feasible_alone=True,
            )
        rules, *alternatives = found
        if not rules:
            return Conflict(key, (), self._resources_reason())
        reason = self._reason(rules)
        if alternatives:
            reason += "; so do " + "; ".join(
                _joined([r.label for r in alt]) for alt in alternatives[:_ALTERNATIVES_SHOWN]
            )
            if len(alternatives) > _ALTERNATIVES_SHOWN:
                reason += f" (and {len(alternatives) - _ALTERNATIVES_SHOWN} more sets)"
        return Conflict(key, rules, reason, alternatives=tuple(alternatives))

    # -- reasons --------------------------------------------------------------------------------
    def _resources_reason(self) -> str:
        w = self.workload
        return (
            f"resources cpu={w.cpu:g} memory={w.memory_gib:g}Gi fit no priced instance type in any cluster of "
            "the fleet, even with every rule relaxed (check the resources and the price source)"
        )

    def _reason(self, rules: tuple[Rule, ...]) -> str:
        focus = min(rules, key=lambda r: _FOCUS.index(_focus_name(r)))
        others = tuple(r for r in rules if r != focus)
        candidates = self.options(frozenset(others)).options
        labels = [r.label for r in others] + [focus.label]
        joined = _joined(labels)
        blocking = _focus_name(focus) in ("latency", "residency", "instanceFamilies", "maxFraction", "minAvailable")
        verb = (
            ("leaves no cluster" if len(labels) == 1 else "leave no cluster")
            if blocking
            else ("cannot hold" if len(labels) == 1 else "cannot all hold")
        )
        return f"{joined} {verb}: {self._evidence(focus, others, candidates)}"

    def _evidence(self, focus: Rule, others: tuple[Rule, ...], candidates: Sequence[ClusterOption]) -> str:
        w = self.workload
        names = ", ".join(o.cluster.name for o in candidates) or "none"
        meet = _meeting(others)
        name = _focus_name(focus)
        if name == "latency":
            user = str(focus.subject)
            nearest = min(candidates, key=lambda o: rtt_ms(self.alone, user, o.cluster))
            ms = rtt_ms(self.alone, user, nearest.cluster)
            limit = w.latency_ms
            if limit is not None and ms <= limit:  # some clusters are near enough: the conflict is with the others
                within = sorted(o.cluster.name for o in candidates if rtt_ms(self.alone, user, o.cluster) <= limit)
                return f"only {', '.join(within)} {'is' if len(within) == 1 else 'are'} within {limit:g} ms of {user}{meet}"
            if len(others) == 1 and others[0].family == "residency" and self.workload.residency:
                return f"the nearest {'/'.join(self.workload.residency)} cluster to {user} is {nearest.cluster.name} at {ms:.0f} ms"
            return f"the nearest cluster{_meeting(others, plural=False)} to {user} is {nearest.cluster.name} at {ms:.0f} ms"
        if name == "minClusters":
            return f"only {len(candidates)} cluster(s){meet or ' in the fleet can take it'}: {names}"
        if name == "capacity":
            left = [self.alone.cluster(o.cluster.name) for o in candidates]
            free = ", ".join(f"{c.name} {c.capacity_cpu:g}" for c in left if c.capacity_cpu is not None) or "none"
            return (
                f"it needs {w.replicas} × {w.cpu:g} = {w.cpu * w.replicas:g} CPU, and the capped clusters{meet} "
                f"have this much CPU left after the other workloads: {free}"
            )
        if name == "maxMoves":
            running = sum(r.total for r in w.current.values())
            return (
                f"the churn budget has {self.alone.planning.max_moves} move(s) left after the other workloads, "
                f"and it needs {w.replicas} replicas of which {running} run today"
            )
        if name in ("maxFraction", "minAvailable"):
            spot_only = [o.cluster.name for o in candidates if o.on_demand is None]
            return f"the clusters{meet} offer only spot capacity that fits it: {', '.join(spot_only) or names}"
        if name == "instanceFamilies":
            lists = "; ".join(
                f"{c.name} [{', '.join(c.instance_families)}]"
                for c in self.alone.clusters
                if c.instance_families is not None
            )
            return (
                f"no allowed family has an instance type with ≥ {w.cpu:g} vCPU and ≥ {w.memory_gib:g} GiB in the "
                f"clusters{meet} (allow-lists: {lists})"
            )
        if not others:
            return f"the fleet has clusters only in {', '.join(sorted({c.country for c in self.alone.clusters}))}"
        return f"the clusters{meet} are in {', '.join(sorted({o.cluster.country for o in candidates}))}"


def _focus_name(rule: Rule) -> str:
    return str(rule.subject) if rule.family == "spot" else rule.family


def _meeting(others: tuple[Rule, ...], *, plural: bool = True) -> str:
    """``" that meet residency [EU] and minClusters 2"`` (empty when there are no other rules)."""
    if not others:
        return ""
    return f" that {'meet' if plural else 'meets'} {_joined([r.label for r in others])}"


def _joined(labels: Sequence[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def find_conflict(
    scenario: Scenario,
    catalog: Catalog,
    plan: Plan,
    workload_key: str,
    *,
    pricer: ReplicaPricer | None = None,
    time_limit_s: float = 5.0,
    backend: str = DEFAULT_BACKEND,
) -> Conflict:
    """The smallest conflicting rule set of one workload, against the rest of `plan`."""
    alone = isolate(scenario, plan, workload_key)
    return ConflictFinder(alone, catalog, pricer=pricer, time_limit_s=time_limit_s, backend=backend).conflict()


def explain_unplaced(
    scenario: Scenario,
    catalog: Catalog,
    plan: Plan,
    *,
    limit: int = 200,
    budget_s: float = 15.0,
    time_limit_s: float = 5.0,
    backend: str = DEFAULT_BACKEND,
) -> Plan:
    """`plan` with each unplaced workload's reason and rules replaced by its smallest conflict.

    At most `limit` workloads are analysed, within about `budget_s` seconds in all; the rest keep the
    solver's reason (and a warning says so), so a fleet where thousands cannot be placed still gets
    its plan quickly.
    """
    if not plan.unplaced:
        return plan
    started = time.perf_counter()
    pricer = ReplicaPricer(catalog, overhead_factor=scenario.planning.overhead_factor)
    explained = []
    for index, u in enumerate(plan.unplaced):
        if index >= limit or time.perf_counter() - started > budget_s:
            explained.append(u)
            continue
        left_s = max(budget_s - (time.perf_counter() - started), 0.1)
        explained.append(
            find_conflict(
                scenario,
                catalog,
                plan,
                u.workload,
                pricer=pricer,
                time_limit_s=min(time_limit_s, left_s),
                backend=backend,
            ).to_unplaced()
        )
    analysed = sum(1 for old, new in zip(plan.unplaced, explained, strict=True) if old is not new)
    warnings = plan.warnings
    if analysed < len(plan.unplaced):
        warnings += (
            f"{len(plan.unplaced) - analysed} unplaced workload(s) keep the solver's reason: the search "
            f"for conflicting rules stopped after {analysed} (limit {limit}, {budget_s:g} s)",
        )
    return replace(plan, unplaced=tuple(explained), warnings=warnings)
