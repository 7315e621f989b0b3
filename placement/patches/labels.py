"""Kubernetes label, taint and annotation keys placement reads and writes, and each platform's
spot/on-demand vocabulary. Every key lives here; no other module spells one out.

Facts from REFERENCE.md §1–2: Karpenter labels nodes `karpenter.sh/capacity-type=spot|on-demand`;
EKS managed node groups `eks.amazonaws.com/capacityType=SPOT|ON_DEMAND`; GKE labels Spot nodes
`cloud.google.com/gke-spot="true"` (and every node `cloud.google.com/gke-provisioning=standard|spot|…`)
and may taint them `cloud.google.com/gke-spot=true:NoSchedule`; AKS labels spot pool nodes
`kubernetes.azure.com/scalesetpriority=spot` (regular nodes carry no such label in classic AKS) and
always taints them `kubernetes.azure.com/scalesetpriority=spot:NoSchedule`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from placement.scenario import Cluster

FIELD_MANAGER = "placement"

# -- well-known node labels ---------------------------------------------------------------------
REGION = "topology.kubernetes.io/region"
ZONE = "topology.kubernetes.io/zone"
INSTANCE_TYPE = "node.kubernetes.io/instance-type"
ARCH = "kubernetes.io/arch"
OS = "kubernetes.io/os"
DEPRECATED_REGION = "failure-domain.beta.kubernetes.io/region"
DEPRECATED_INSTANCE_TYPE = "beta.kubernetes.io/instance-type"
DEPRECATED_ARCH = "beta.kubernetes.io/arch"
DEPRECATED_OS = "beta.kubernetes.io/os"
CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane"  # control-plane nodes (kubeadm, kind, k3s)
DEPRECATED_MASTER_ROLE = "node-role.kubernetes.io/master"  # the older name (kubeadm set it until 1.24)

KARPENTER_CAPACITY_TYPE = "karpenter.sh/capacity-type"
KARPENTER_NODEPOOL = "karpenter.sh/nodepool"
KARPENTER_PROVISIONER = "karpenter.sh/provisioner-name"
EKS_CAPACITY_TYPE = "eks.amazonaws.com/capacityType"
EKS_NODEGROUP = "eks.amazonaws.com/nodegroup"
GKE_SPOT = "cloud.google.com/gke-spot"
GKE_PROVISIONING = "cloud.google.com/gke-provisioning"
GKE_PREEMPTIBLE = "cloud.google.com/gke-preemptible"
GKE_NODEPOOL = "cloud.google.com/gke-nodepool"
AKS_SCALESET_PRIORITY = "kubernetes.azure.com/scalesetpriority"
AKS_CLUSTER = "kubernetes.azure.com/cluster"

# -- Karpenter requirement keys for instance families --------------------------------------------
AWS_INSTANCE_FAMILY = "karpenter.k8s.aws/instance-family"
AZURE_SKU_SERIES = "karpenter.azure.com/sku-series"

# -- placement-owned keys --------------------------------------------------------------------------
WORKLOAD = "placement.dev/workload"  # pod template label: the topology-spread selector
CAPACITY_SLOT = "placement.dev/capacity-slot"  # node label on placement NodePools (ratio split)
MANAGED_BY = "app.kubernetes.io/managed-by"
PLAN_ID = "placement.dev/plan-id"  # annotation: the plan last applied to this object
APPLIED_AT = "placement.dev/applied-at"
PREVIOUS = "placement.dev/previous"  # annotation: placement's fields before that plan (for rollback)

# -- policy annotations on Deployments (same meanings as the Scenario fields) ---------------------
ANNOTATION_PREFIX = "placement.dev/"
RESIDENCY = "placement.dev/residency"
LATENCY_MS = "placement.dev/latency-ms"
USERS = "placement.dev/users"
SPOT_MAX_FRACTION = "placement.dev/spot-max-fraction"
MIN_CLUSTERS = "placement.dev/min-clusters"
MIN_AVAILABLE = "placement.dev/min-available"
REPLICAS = "placement.dev/replicas"
EGRESS_GB_PER_HOUR = "placement.dev/egress-gb-per-hour"
SPOT_MAX_CLUSTER_SHARE = "placement.dev/spot-max-cluster-share"
ARCHITECTURES = "placement.dev/architectures"  # "amd64,arm64": the node architectures the images run on

ON_DEMAND = "on-demand"
SPOT = "spot"


@dataclass(frozen=True, slots=True)
class CapacityVocabulary:
    """How one platform marks spot and on-demand nodes.

    `spread_key` is a label every node carries with a value that differs between spot and
    on-demand (usable as a topology-spread key); None when on-demand nodes are unlabelled.
    `spot_taint` is the taint spot nodes may carry (pods meant for spot tolerate it).
    """

    platform: str  # karpenter | eks | gke | aks | generic
    key: str
    spot_values: tuple[str, ...]
    on_demand_operator: str  # In | NotIn
    on_demand_values: tuple[str, ...]
    spread_key: str | None
    spot_taint: tuple[str, str, str] | None = None  # (key, value, effect)

    def spot_requirement(self) -> dict[str, Any]:
        return {"key": self.key, "operator": "In", "values": list(self.spot_values)}

    def on_demand_requirement(self) -> dict[str, Any]:
        return {"key": self.key, "operator": self.on_demand_operator, "values": list(self.on_demand_values)}

    def spot_toleration(self) -> dict[str, Any] | None:
        if self.spot_taint is None:
            return None
        key, value, effect = self.spot_taint
        return {"key": key, "operator": "Equal", "value": value, "effect": effect}

    def capacity_of(self, node_labels: dict[str, str]) -> str:
        """`spot` or `on-demand` for a node with these labels."""
        value = node_labels.get(self.key)
        return SPOT if value is not None and value in self.spot_values else ON_DEMAND


KARPENTER = CapacityVocabulary(
    "karpenter", KARPENTER_CAPACITY_TYPE, (SPOT,), "In", (ON_DEMAND,), KARPENTER_CAPACITY_TYPE
)
KARPENTER_AZURE = CapacityVocabulary(  # AKS node auto-provisioning: tolerate the AKS spot taint too (verify on NAP)
    "karpenter",
    KARPENTER_CAPACITY_TYPE,
    (SPOT,),
    "In",
    (ON_DEMAND,),
    KARPENTER_CAPACITY_TYPE,
    (AKS_SCALESET_PRIORITY, "spot", "NoSchedule"),
)
EKS = CapacityVocabulary("eks", EKS_CAPACITY_TYPE, ("SPOT",), "In", ("ON_DEMAND",), EKS_CAPACITY_TYPE)
GKE = CapacityVocabulary(
    "gke", GKE_SPOT, ("true",), "NotIn", ("true",), GKE_PROVISIONING, (GKE_SPOT, "true", "NoSchedule")
)
AKS = CapacityVocabulary(
    "aks", AKS_SCALESET_PRIORITY, ("spot",), "NotIn", ("spot",), None, (AKS_SCALESET_PRIORITY, "spot", "NoSchedule")
)
GENERIC = CapacityVocabulary("generic", KARPENTER_CAPACITY_TYPE, (SPOT,), "In", (ON_DEMAND,), KARPENTER_CAPACITY_TYPE)

_BY_CLOUD_WITHOUT_AUTOSCALER = {"aws": EKS, "gcp": GKE, "azure": AKS}


def is_karpenter(cluster: Cluster) -> bool:
    return cluster.autoscaler.startswith("karpenter/")


def vocabulary_for(cluster: Cluster) -> CapacityVocabulary:
    """The capacity vocabulary of a cluster, from its autoscaler and cloud.

    Karpenter clusters use `karpenter.sh/capacity-type` on every cloud; `gke` and `aks` use their
    platform labels; `none` uses the cloud's managed node-group labels (EKS, GKE, AKS), and for any
    other provider the Karpenter key, which the operator is expected to put on its nodes.
    """
    if is_karpenter(cluster):
        return KARPENTER_AZURE if cluster.cloud == "azure" else KARPENTER
    if cluster.autoscaler == "gke":
        return GKE
    if cluster.autoscaler == "aks":
        return AKS
    return _BY_CLOUD_WITHOUT_AUTOSCALER.get(cluster.cloud, GENERIC)


def all_capacity_vocabularies() -> tuple[CapacityVocabulary, ...]:
    """Every vocabulary, in the order a reader should try them on an unknown node."""
    return (KARPENTER, EKS, GKE, AKS)


def capacity_of_node(labels: dict[str, str]) -> str:
    """`spot` or `on-demand` for a node from any platform, judged by whichever label it carries."""
    for vocabulary in all_capacity_vocabularies():
        if vocabulary.key in labels:
            return vocabulary.capacity_of(labels)
    if labels.get(GKE_PREEMPTIBLE) == "true" or labels.get(GKE_PROVISIONING) in {"spot", "preemptible"}:
        return SPOT
    return ON_DEMAND
