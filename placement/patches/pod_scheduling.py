"""Pod scheduling for one workload's spot/on-demand split in one cluster (pure).

The plan says "run `on_demand` replicas on on-demand nodes and `spot` on spot nodes". A single
Deployment cannot pin individual replicas, so the split is expressed with scheduling rules whose
worst case still keeps the on-demand floor — even if every spot node disappears:

- `on-demand-only` (spot = 0): required node affinity to on-demand nodes.
- `spot-preferred` (on-demand = 0): preferred spot affinity plus the spot toleration; losing the
  spot nodes lets the replicas fall back to on-demand nodes.
- `capacity-spread` (spot ≥ on-demand, and every node carries a capacity label): a topology spread
  over the two capacity domains with `maxSkew = spot − on_demand` and `minDomains: 2`, plus a
  preferred spot affinity. The spread keeps |spot − od| ≤ maxSkew, so with N replicas at least
  (N − maxSkew)/2 = on_demand run on on-demand nodes; `minDomains` keeps that true while the
  on-demand domain has no node yet. Pods already on on-demand nodes stay when spot nodes vanish.
- `slot-spread` (on-demand > spot on Karpenter): Karpenter's documented ratio split. Placement's
  NodePools label their nodes with capacity slots (`od-1..od-A`, `spot-1..spot-B`); the pod requires
  a subset of `a` on-demand and `b` spot slots and spreads over them with maxSkew 1 and
  `minDomains = a + b`, so on-demand slots hold a/(a+b) of the replicas at worst.
- `pinned-on-demand`: no exact rule exists (AKS node pools label only spot nodes; non-Karpenter
  platforms cannot get slots; or the spot share is below one slot): every replica runs on demand
  and a note says so. Over-provisioning on-demand never breaks the floor.

Each strategy's required terms also carry ``kubernetes.io/arch In <architectures>`` when the
workload does not run on every architecture (the default: amd64 only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from math import gcd
from typing import Any

from placement.patches.kube_features import KubeVersion, describe, has_match_label_keys, has_min_domains
from placement.patches.labels import ARCH, CAPACITY_SLOT, WORKLOAD, CapacityVocabulary
from placement.scenario import Replicas
from pricing.offer import ARCHITECTURES

DEFAULT_MAX_SLOTS = 8
SPOT_PREFERENCE_WEIGHT = 100
_LABEL_VALUE_MAX = 63


@dataclass(frozen=True, slots=True)
class Slots:
    """How many capacity slots of each type a workload's spread needs (a on-demand, b spot)."""

    on_demand: int
    spot: int


@dataclass(frozen=True, slots=True)
class PodScheduling:
    """The pod-template fields placement owns for one workload in one cluster."""

    strategy: str  # on-demand-only | spot-preferred | capacity-spread | slot-spread | pinned-on-demand
    placed: Replicas  # the split these rules hold at the target replica count
    labels: dict[str, str]
    node_affinity: dict[str, Any]
    tolerations: tuple[dict[str, Any], ...] = ()
    topology_spread: tuple[dict[str, Any], ...] = ()
    slots: Slots | None = None
    notes: tuple[str, ...] = field(default=())

    def template(self) -> dict[str, Any]:
        """`spec.template` fragment: labels and the scheduling fields placement owns."""
        spec: dict[str, Any] = {"affinity": {"nodeAffinity": self.node_affinity}}
        if self.tolerations:
            spec["tolerations"] = [dict(t) for t in self.tolerations]
        if self.topology_spread:
            spec["topologySpreadConstraints"] = [dict(t) for t in self.topology_spread]
        return {"metadata": {"labels": dict(self.labels)}, "spec": spec}


def workload_label_value(name: str) -> str:
    """A label value (≤ 63 chars) naming the workload; long names keep a hash suffix."""
    if len(name) <= _LABEL_VALUE_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: _LABEL_VALUE_MAX - 9].rstrip('-._')}-{digest}"


def slot_values(capacity: str, count: int) -> list[str]:
    prefix = "od" if capacity == "on-demand" else "spot"
    return [f"{prefix}-{i}" for i in range(1, count + 1)]


def worst_case_on_demand(on_demand_slots: int, spot_slots: int, replicas: int) -> int:
    """On-demand replicas when `replicas` spread with maxSkew 1 over a + b slots and every
    leftover replica lands on a spot slot."""
    domains = on_demand_slots + spot_slots
    per_domain, rest = divmod(replicas, domains)
    return on_demand_slots * per_domain + max(0, rest - spot_slots)


def choose_slots(on_demand: int, spot: int, max_slots: int = DEFAULT_MAX_SLOTS) -> Slots | None:
    """The fewest slots (a on-demand, b spot) whose worst case keeps `on_demand` replicas on
    on-demand nodes while giving spot as many replicas as possible; None when no such pair exists."""
    if on_demand <= 0 or spot <= 0:
        return None
    divisor = gcd(on_demand, spot)
    exact = Slots(on_demand // divisor, spot // divisor)
    if exact.on_demand <= max_slots and exact.spot <= max_slots:
        return exact
    total = on_demand + spot
    best: tuple[int, int, Slots] | None = None
    for a in range(1, max_slots + 1):
        for b in range(1, max_slots + 1):
            worst = worst_case_on_demand(a, b, total)
            if worst < on_demand:
                continue
            rank = (worst, a + b)
            if best is None or rank < best[:2]:
                best = (*rank, Slots(a, b))
    if best is None or best[0] >= total:
        return None
    return best[2]


def pod_scheduling(
    vocabulary: CapacityVocabulary,
    wanted: Replicas,
    *,
    workload_name: str,
    slots_available: bool,
    max_slots: int = DEFAULT_MAX_SLOTS,
    architectures: Sequence[str] = ARCHITECTURES,
    kubernetes_version: KubeVersion | None = None,
) -> PodScheduling:
    """Scheduling rules that realise `wanted` on a platform with this capacity vocabulary.

    `slots_available` is True on Karpenter clusters, where placement's own NodePools can carry
    capacity slots. A workload that runs on some `architectures` only also gets a required
    ``kubernetes.io/arch`` term, so it never lands on a node its images cannot run on (the plan
    priced it on those architectures only).

    `kubernetes_version` (the cluster's, None when unknown) limits the rules to fields that version
    serves (`placement.patches.kube_features`): below 1.25 no spread strategy (they need
    `minDomains`), below 1.27 no `matchLabelKeys`.
    """
    scheduling = _capacity_scheduling(
        vocabulary,
        wanted,
        workload_name=workload_name,
        slots_available=slots_available,
        max_slots=max_slots,
        kubernetes_version=kubernetes_version,
    )
    if set(ARCHITECTURES) <= set(architectures):
        return scheduling
    arch = {"key": ARCH, "operator": "In", "values": [a for a in ARCHITECTURES if a in architectures]}
    return replace(scheduling, node_affinity=_require(scheduling.node_affinity, arch))


def _require(node_affinity: dict[str, Any], requirement: dict[str, Any]) -> dict[str, Any]:
    """`node_affinity` with `requirement` ANDed into every required term (one term when it had none)."""
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    terms = required["nodeSelectorTerms"] if required else [{"matchExpressions": []}]
    anded = [{**term, "matchExpressions": [*term.get("matchExpressions", []), requirement]} for term in terms]
    return {**node_affinity, "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": anded}}


def _capacity_scheduling(
    vocabulary: CapacityVocabulary,
    wanted: Replicas,
    *,
    workload_name: str,
    slots_available: bool,
    max_slots: int,
    kubernetes_version: KubeVersion | None = None,
) -> PodScheduling:
    label = workload_label_value(workload_name)
    spreads = has_min_domains(kubernetes_version)
    match_label_keys = has_match_label_keys(kubernetes_version)
    labels = {WORKLOAD: label}
    selector = {"matchLabels": {WORKLOAD: label}}
    on_demand_only = {"requiredDuringSchedulingIgnoredDuringExecution": _terms(vocabulary.on_demand_requirement())}
    spot_toleration = vocabulary.spot_toleration()
    tolerations = (spot_toleration,) if spot_toleration else ()
    prefer_spot = {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": SPOT_PREFERENCE_WEIGHT, "preference": {"matchExpressions": [vocabulary.spot_requirement()]}}
        ]
    }

    if wanted.spot == 0:
        return PodScheduling("on-demand-only", wanted, labels, on_demand_only)
    if wanted.on_demand == 0:
        return PodScheduling("spot-preferred", wanted, labels, prefer_spot, tolerations)
    if spreads and vocabulary.spread_key and wanted.spot >= wanted.on_demand:
        spread = _spread(vocabulary.spread_key, max(1, wanted.spot - wanted.on_demand), 2, selector, match_label_keys)
        return PodScheduling("capacity-spread", wanted, labels, prefer_spot, tolerations, (spread,))
    slots = choose_slots(wanted.on_demand, wanted.spot, max_slots) if slots_available and spreads else None
    if slots is not None:
        values = slot_values("on-demand", slots.on_demand) + slot_values("spot", slots.spot)
        affinity = {
            "requiredDuringSchedulingIgnoredDuringExecution": _terms(
                {"key": CAPACITY_SLOT, "operator": "In", "values": values}
            )
        }
        spread = _spread(CAPACITY_SLOT, 1, slots.on_demand + slots.spot, selector, match_label_keys)
        floor = worst_case_on_demand(slots.on_demand, slots.spot, wanted.total)
        placed = Replicas(on_demand=floor, spot=wanted.total - floor)
        notes = (
            ()
            if placed == wanted
            else (
                f"slot split {slots.on_demand}:{slots.spot} holds at least {floor} on-demand of {wanted.total} "
                f"(plan: {wanted.on_demand}); raise max slots for an exact split",
            )
        )
        return PodScheduling("slot-spread", placed, labels, affinity, tolerations, (spread,), slots, notes)
    reason = (
        f"a spread split needs topologySpreadConstraints minDomains (Kubernetes ≥ 1.25; the cluster runs "
        f"{describe(kubernetes_version)})"
        if not spreads
        else f"{vocabulary.platform} nodes carry no capacity label on on-demand nodes"
        if not vocabulary.spread_key
        else f"a {wanted.on_demand}:{wanted.spot} on-demand:spot split needs placement-owned Karpenter NodePools"
    )
    note = (
        f"all {wanted.total} replicas pinned to on-demand ({reason}); the plan's {wanted.spot} spot "
        "replicas run on demand, so the on-demand floor holds at a higher cost"
    )
    pinned = Replicas(on_demand=wanted.total, spot=0)
    return PodScheduling("pinned-on-demand", pinned, labels, on_demand_only, notes=(note,))


def _terms(*requirements: dict[str, Any]) -> dict[str, Any]:
    return {"nodeSelectorTerms": [{"matchExpressions": list(requirements)}]}


def _spread(
    key: str, max_skew: int, min_domains: int, selector: dict[str, Any], match_label_keys: bool = True
) -> dict[str, Any]:
    spread: dict[str, Any] = {
        "topologyKey": key,
        "maxSkew": max_skew,
        "minDomains": min_domains,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": selector,
    }
    if match_label_keys:  # count only the current ReplicaSet's pods (Kubernetes ≥ 1.27)
        spread["matchLabelKeys"] = ["pod-template-hash"]
    return spread
