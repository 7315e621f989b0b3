"""The spot/on-demand split as pod scheduling: each strategy, and a property check with an
independent model of kube-scheduler's topology spread that the on-demand floor always holds."""

from __future__ import annotations

import random

import pytest
from builders import make_cluster
from hypothesis import given, settings
from hypothesis import strategies as st

from placement.patches.labels import (
    AKS,
    CAPACITY_SLOT,
    EKS,
    GKE,
    KARPENTER,
    KARPENTER_AZURE,
    vocabulary_for,
)
from placement.patches.pod_scheduling import choose_slots, pod_scheduling, workload_label_value, worst_case_on_demand
from placement.scenario import Replicas


def _required(scheduling) -> list[dict]:
    terms = scheduling.node_affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert len(terms) == 1
    return terms[0]["matchExpressions"]


@pytest.mark.parametrize(
    ("vocabulary", "expected"),
    [
        (KARPENTER, {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}),
        (EKS, {"key": "eks.amazonaws.com/capacityType", "operator": "In", "values": ["ON_DEMAND"]}),
        # GKE and AKS label only spot nodes: on-demand means "not labelled spot"
        (GKE, {"key": "cloud.google.com/gke-spot", "operator": "NotIn", "values": ["true"]}),
        (AKS, {"key": "kubernetes.azure.com/scalesetpriority", "operator": "NotIn", "values": ["spot"]}),
    ],
)
def test_no_spot_requires_on_demand_nodes_with_each_platforms_label(vocabulary, expected) -> None:
    scheduling = pod_scheduling(vocabulary, Replicas(4, 0), workload_name="web", slots_available=False)
    assert scheduling.strategy == "on-demand-only"
    assert _required(scheduling) == [expected]
    assert scheduling.tolerations == ()


@pytest.mark.parametrize(
    ("vocabulary", "toleration"),
    [
        (KARPENTER, None),
        (GKE, {"key": "cloud.google.com/gke-spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"}),
        (
            AKS,
            {
                "key": "kubernetes.azure.com/scalesetpriority",
                "operator": "Equal",
                "value": "spot",
                "effect": "NoSchedule",
            },
        ),
    ],
)
def test_all_spot_prefers_spot_without_requiring_it_and_tolerates_the_spot_taint(vocabulary, toleration) -> None:
    scheduling = pod_scheduling(vocabulary, Replicas(0, 5), workload_name="web", slots_available=False)
    assert scheduling.strategy == "spot-preferred"
    # preferred, never required: if every spot node disappears the replicas fall back to on-demand
    assert "requiredDuringSchedulingIgnoredDuringExecution" not in scheduling.node_affinity
    preferred = scheduling.node_affinity["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert preferred["preference"]["matchExpressions"] == [vocabulary.spot_requirement()]
    assert list(scheduling.tolerations) == ([toleration] if toleration else [])


def test_vocabulary_follows_autoscaler_then_cloud() -> None:
    assert vocabulary_for(make_cluster("a", autoscaler="karpenter/v1beta1")) is KARPENTER
    assert vocabulary_for(make_cluster("z", cloud="azure", autoscaler="karpenter/v1")) is KARPENTER_AZURE
    assert vocabulary_for(make_cluster("e", autoscaler="none")) is EKS
    assert vocabulary_for(make_cluster("g", cloud="gcp", autoscaler="gke")) is GKE
    assert vocabulary_for(make_cluster("k", cloud="azure", autoscaler="aks")) is AKS


def test_spot_majority_spreads_over_capacity_with_the_skew_the_plan_needs() -> None:
    scheduling = pod_scheduling(KARPENTER, Replicas(3, 7), workload_name="web", slots_available=True)
    assert scheduling.strategy == "capacity-spread"
    (spread,) = scheduling.topology_spread
    assert spread["topologyKey"] == "karpenter.sh/capacity-type"
    assert (spread["maxSkew"], spread["minDomains"], spread["whenUnsatisfiable"]) == (4, 2, "DoNotSchedule")
    assert spread["labelSelector"] == {"matchLabels": {"placement.dev/workload": "web"}}
    assert scheduling.labels == {"placement.dev/workload": "web"}


def test_gke_spreads_on_the_provisioning_label_every_node_carries() -> None:
    scheduling = pod_scheduling(GKE, Replicas(2, 2), workload_name="web", slots_available=False)
    assert scheduling.topology_spread[0]["topologyKey"] == "cloud.google.com/gke-provisioning"


def test_on_demand_majority_on_karpenter_uses_capacity_slots() -> None:
    scheduling = pod_scheduling(KARPENTER, Replicas(6, 2), workload_name="web", slots_available=True)
    assert scheduling.strategy == "slot-spread"
    assert (scheduling.slots.on_demand, scheduling.slots.spot) == (3, 1)
    assert _required(scheduling) == [
        {"key": CAPACITY_SLOT, "operator": "In", "values": ["od-1", "od-2", "od-3", "spot-1"]}
    ]
    assert scheduling.placed == Replicas(6, 2)


@pytest.mark.parametrize(
    ("vocabulary", "wanted", "why"),
    [
        (AKS, Replicas(2, 5), "no capacity label on on-demand nodes"),  # AKS: regular nodes unlabelled
        (GKE, Replicas(5, 2), "needs placement-owned Karpenter NodePools"),  # no slots outside Karpenter
    ],
)
def test_without_an_exact_rule_every_replica_is_pinned_on_demand_with_a_note(vocabulary, wanted, why) -> None:
    scheduling = pod_scheduling(vocabulary, wanted, workload_name="web", slots_available=False)
    assert scheduling.strategy == "pinned-on-demand"
    assert scheduling.placed == Replicas(wanted.total, 0)
    assert why in scheduling.notes[0]
    assert _required(scheduling) == [vocabulary.on_demand_requirement()]


def test_long_names_become_valid_label_values() -> None:
    name = "x" * 80
    value = workload_label_value(name)
    assert len(value) <= 63 and value != workload_label_value("x" * 81)
    assert workload_label_value("web") == "web"


def test_choose_slots_approximates_conservatively_when_the_ratio_needs_too_many_slots() -> None:
    slots = choose_slots(13, 7, max_slots=8)  # the exact ratio 13:7 needs 13 on-demand slots
    assert slots is not None and slots.on_demand <= 8 and slots.spot <= 8
    assert worst_case_on_demand(slots.on_demand, slots.spot, 20) == 13  # floor kept, no spot given up
    assert choose_slots(17, 3, max_slots=4) is None  # 4:1 holds only 16 of 20 on demand: no slot split


# -- an independent model of kube-scheduler's PodTopologySpread filter -------------------------


def _schedule(
    domains: dict[str, str], max_skew: int, min_domains: int, replicas: int, rng: random.Random
) -> dict[str, int]:
    """Place pods one by one; the adversary puts each on spot whenever the spread allows it."""
    counts = dict.fromkeys(domains, 0)
    for _ in range(replicas):
        global_min = 0 if len(domains) < min_domains else min(counts.values())
        allowed = [d for d in counts if counts[d] + 1 - global_min <= max_skew]
        spot = [d for d in allowed if domains[d] == "spot"]
        if not allowed:
            continue  # pending
        counts[rng.choice(spot or allowed)] += 1
    return counts


def _domains(scheduling) -> dict[str, str]:
    if scheduling.strategy == "capacity-spread":
        return {"on-demand": "on-demand", "spot": "spot"}
    values = _required(scheduling)[0]["values"]
    return {v: ("spot" if v.startswith("spot-") else "on-demand") for v in values}


@settings(max_examples=200, deadline=None)
@given(on_demand=st.integers(1, 30), spot=st.integers(1, 30), seed=st.integers(0, 10_000))
def test_the_on_demand_floor_holds_under_adversarial_scheduling(on_demand: int, spot: int, seed: int) -> None:
    wanted = Replicas(on_demand, spot)
    scheduling = pod_scheduling(KARPENTER, wanted, workload_name="web", slots_available=True)
    if scheduling.strategy == "pinned-on-demand":
        assert scheduling.placed.on_demand == wanted.total
        return
    (spread,) = scheduling.topology_spread
    domains = _domains(scheduling)
    counts = _schedule(domains, spread["maxSkew"], spread["minDomains"], wanted.total, random.Random(seed))
    on_demand_running = sum(n for d, n in counts.items() if domains[d] == "on-demand")
    spot_running = sum(n for d, n in counts.items() if domains[d] == "spot")
    assert on_demand_running >= on_demand  # the floor, even when the scheduler favours spot
    assert on_demand_running >= scheduling.placed.on_demand
    assert spot_running <= spot  # never more spot than the plan allowed


ARCH_AMD64 = {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}


@pytest.mark.parametrize(
    ("wanted", "slots"),
    [(Replicas(4, 0), False), (Replicas(0, 5), False), (Replicas(3, 7), True), (Replicas(6, 2), True)],
)
def test_a_single_arch_workload_requires_its_arch_in_every_strategy(wanted: Replicas, slots: bool) -> None:
    free = pod_scheduling(
        KARPENTER, wanted, workload_name="web", slots_available=slots, architectures=("amd64", "arm64")
    )
    pinned = pod_scheduling(KARPENTER, wanted, workload_name="web", slots_available=slots, architectures=("amd64",))
    assert pinned.strategy == free.strategy and pinned.placed == free.placed
    required = free.node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    before = required["nodeSelectorTerms"][0]["matchExpressions"] if required else []
    assert _required(pinned) == [*before, ARCH_AMD64]  # ANDed into the capacity rule, never replacing it
    assert "kubernetes.io/arch" not in str(free.node_affinity)
    preferred = free.node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
    assert pinned.node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution") == preferred


def test_the_arch_term_is_added_to_each_of_several_required_terms() -> None:
    from placement.patches.pod_scheduling import _require

    affinity = {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "a", "operator": "Exists"}]},
                {"matchExpressions": [{"key": "b", "operator": "Exists"}]},
            ]
        }
    }
    terms = _require(affinity, ARCH_AMD64)["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert [t["matchExpressions"][-1] for t in terms] == [ARCH_AMD64, ARCH_AMD64]
    assert [t["matchExpressions"][0]["key"] for t in terms] == ["a", "b"]


@pytest.mark.parametrize(
    ("version", "strategy", "match_label_keys"),
    [
        (None, "capacity-spread", True),  # unknown (GitOps output): every field
        ((1, 27), "capacity-spread", True),  # matchLabelKeys beta from 1.27
        ((1, 26), "capacity-spread", False),  # in the schema but gated off: not written
        ((1, 24), "pinned-on-demand", False),  # no minDomains (and an apply with matchLabelKeys is a 500)
    ],
)
def test_spread_fields_follow_the_clusters_kubernetes_version(version, strategy, match_label_keys) -> None:
    scheduling = pod_scheduling(
        KARPENTER, Replicas(1, 2), workload_name="web", slots_available=True, kubernetes_version=version
    )
    assert scheduling.strategy == strategy
    assert any("matchLabelKeys" in s for s in scheduling.topology_spread) == match_label_keys
    if version == (1, 24):
        assert scheduling.placed == Replicas(3, 0) and "Kubernetes ≥ 1.25" in scheduling.notes[0]
        assert "1.24" in scheduling.notes[0]


def test_no_slot_spread_below_kubernetes_1_25() -> None:
    scheduling = pod_scheduling(
        KARPENTER, Replicas(6, 2), workload_name="web", slots_available=True, kubernetes_version=(1, 24)
    )
    assert scheduling.strategy == "pinned-on-demand" and not scheduling.topology_spread
