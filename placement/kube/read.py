"""Read one cluster: cloud and region from node labels, its Kubernetes version, the Karpenter API it serves, the
per-node overhead of its DaemonSets (`placement.kube.daemonsets`), and its Deployments with their HPA, PDB,
requests and running replicas by capacity type.

Written against the `ClusterApi` protocol; every call is a read (get/list). The result is plain
values (`LiveCluster`, `LiveWorkload`) plus the Deployment objects, for `placement.kube.scenario_export`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from placement.kube.api import ClusterApi, ClusterError
from placement.kube.daemonsets import daemonset_overhead
from placement.live import DaemonsetReading, LiveCluster, LiveWorkload
from placement.patches.build import ObjectRef
from placement.patches.labels import (
    AKS_CLUSTER,
    ANNOTATION_PREFIX,
    DEPRECATED_REGION,
    EKS_CAPACITY_TYPE,
    GKE_NODEPOOL,
    INSTANCE_TYPE,
    REGION,
    SPOT,
    capacity_of_node,
)
from placement.scenario import Replicas

_PROVIDER_PREFIXES = {"aws://": "aws", "gce://": "gcp", "azure://": "azure"}
_LABEL_CLOUDS = (
    (EKS_CAPACITY_TYPE, "aws"),
    ("karpenter.k8s.aws/instance-family", "aws"),
    (GKE_NODEPOOL, "gcp"),
    (AKS_CLUSTER, "azure"),
    ("kubernetes.azure.com/agentpool", "azure"),
)


@dataclass(frozen=True, slots=True)
class ObservedCluster:
    """A cluster as read: the live facts and the Deployment objects (key → object)."""

    live: LiveCluster
    deployments: Mapping[str, dict[str, Any]] = field(default_factory=dict)


def read_cluster(
    api: ClusterApi,
    *,
    context: str | None = None,
    namespace: str | None = None,
    selector: str | None = None,
    keys: Collection[str] = (),
    annotated: bool = True,
    daemonsets: bool = True,
) -> ObservedCluster:
    """Read the cluster behind `api`. Workloads are the Deployments named in `keys`
    (`namespace/name`) plus, when `annotated`, every Deployment with a `placement.dev/` annotation.
    With `daemonsets`, the DaemonSets of all namespaces give the per-node overhead."""
    nodes = api.list("v1", "Node")
    cloud, region = cluster_location(nodes)
    autoscaler = detect_autoscaler(api, cloud)
    capacity_by_node = {n["metadata"]["name"]: capacity_of_node(_labels(n)) for n in nodes}
    deployments = {
        _key(d): d
        for d in _deployments(api, namespace, selector, () if annotated else keys)
        if _key(d) in keys or (annotated and _annotated(d))
    }
    namespaces = sorted({d["metadata"]["namespace"] for d in deployments.values()})
    hpas = [h for ns in namespaces for h in api.list("autoscaling/v2", "HorizontalPodAutoscaler", namespace=ns)]
    pdbs = [p for ns in namespaces for p in api.list("policy/v1", "PodDisruptionBudget", namespace=ns)]
    workloads = {
        key: _workload(api, deployment, hpas, pdbs, capacity_by_node) for key, deployment in deployments.items()
    }
    live = LiveCluster(
        api.cluster,
        cloud,
        region,
        autoscaler,
        context,
        workloads,
        node_count=len(nodes),
        kubernetes_version=api.server_version(),
        nodes=node_types_of(nodes),
        daemonsets=read_daemonsets(api) if daemonsets else None,
    )
    return ObservedCluster(live, deployments)


def read_daemonsets(api: ClusterApi) -> DaemonsetReading:
    """The per-node overhead of the cluster's DaemonSets (all namespaces)."""
    try:
        return daemonset_overhead(api.list("apps/v1", "DaemonSet"))
    except ValueError as error:
        raise ClusterError(api.cluster, f"{error}; fix the DaemonSet's requests") from None


def node_types_of(nodes: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    """Today's nodes by (`node.kubernetes.io/instance-type`, capacity type): what the fleet pays now.
    Nodes without the label (kind, on-premises) are left out; the plan then prices `before` from
    today's replicas instead and says so."""
    counts: dict[tuple[str, str], int] = {}
    for node in nodes:
        labels = _labels(node)
        instance_type = labels.get(INSTANCE_TYPE)
        if instance_type and not (node.get("metadata") or {}).get("deletionTimestamp"):
            key = (instance_type, capacity_of_node(labels))
            counts[key] = counts.get(key, 0) + 1
    return counts


def cluster_location(nodes: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    """(cloud, region) most nodes agree on; "" where the nodes do not say."""
    clouds: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    for node in nodes:
        labels = _labels(node)
        provider = str((node.get("spec") or {}).get("providerID") or "")
        cloud = next((c for prefix, c in _PROVIDER_PREFIXES.items() if provider.startswith(prefix)), None)
        cloud = cloud or next((c for label, c in _LABEL_CLOUDS if label in labels), None)
        if cloud:
            clouds[cloud] += 1
        region = labels.get(REGION) or labels.get(DEPRECATED_REGION)
        if region:
            regions[region] += 1
    return (clouds.most_common(1)[0][0] if clouds else "", regions.most_common(1)[0][0] if regions else "")


def detect_autoscaler(api: ClusterApi, cloud: str) -> str:
    """`karpenter/<version>` from the served Karpenter CRDs (newest wins), else the cloud's own."""
    crd = "apiextensions.k8s.io/v1"
    nodepools = api.get(ObjectRef(crd, "CustomResourceDefinition", "nodepools.karpenter.sh"))
    served = _served(nodepools)
    for version in ("v1", "v1beta1"):
        if version in served:
            return f"karpenter/{version}"
    if "v1alpha5" in _served(api.get(ObjectRef(crd, "CustomResourceDefinition", "provisioners.karpenter.sh"))):
        return "karpenter/v1alpha5"
    return {"gcp": "gke", "azure": "aks"}.get(cloud, "none")


def pdb_floor(pdb: Mapping[str, Any], replicas: int) -> int | None:
    """A PDB's minimum available pods as a count (percentages of `replicas`, rounded up)."""
    spec = pdb.get("spec") or {}
    if "minAvailable" in spec:
        return _count(spec["minAvailable"], replicas)
    if "maxUnavailable" in spec:
        return max(0, replicas - _count(spec["maxUnavailable"], replicas))
    return None


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A Kubernetes LabelSelector (matchLabels + matchExpressions) against labels; empty matches all."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or ():
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or ()
        present = key in labels
        if (operator == "In" and labels.get(key) not in values) or (operator == "NotIn" and labels.get(key) in values):
            return False
        if (operator == "Exists" and not present) or (operator == "DoesNotExist" and present):
            return False
    return True


# -- internals -------------------------------------------------------------------------------------


def _deployments(
    api: ClusterApi, namespace: str | None, selector: str | None, keys: Collection[str]
) -> list[dict[str, Any]]:
    if not keys or namespace is not None or selector:
        return api.list("apps/v1", "Deployment", namespace=namespace, label_selector=selector)
    found = []  # only named workloads: read their namespaces, not the whole cluster
    for ns in sorted({k.split("/", 1)[0] for k in keys}):
        found.extend(api.list("apps/v1", "Deployment", namespace=ns))
    return found


def _workload(
    api: ClusterApi,
    deployment: Mapping[str, Any],
    hpas: list[dict[str, Any]],
    pdbs: list[dict[str, Any]],
    capacity_by_node: Mapping[str, str],
) -> LiveWorkload:
    meta, spec = deployment["metadata"], deployment.get("spec") or {}
    namespace, name = meta["namespace"], meta["name"]
    replicas = int(spec.get("replicas", 1))
    pod_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    match_labels = dict((spec.get("selector") or {}).get("matchLabels") or {})
    hpa = next((h for h in hpas if h["metadata"]["namespace"] == namespace and _targets(h, name)), None)
    pdb = next(
        (
            p
            for p in pdbs
            if p["metadata"]["namespace"] == namespace
            and selector_matches((p.get("spec") or {}).get("selector"), pod_labels)
        ),
        None,
    )
    running = Counter[str]()
    if match_labels:
        selector = ",".join(f"{k}={v}" for k, v in sorted(match_labels.items()))
        for pod in api.list("v1", "Pod", namespace=namespace, label_selector=selector):
            node = (pod.get("spec") or {}).get("nodeName")
            if node and _ready(pod):
                running[capacity_by_node.get(node, "on-demand")] += 1
    hpa_spec = (hpa or {}).get("spec") or {}
    return LiveWorkload(
        replicas=replicas,
        running=Replicas(on_demand=running["on-demand"], spot=running[SPOT]),
        available_replicas=int((deployment.get("status") or {}).get("availableReplicas") or 0),
        hpa=hpa["metadata"]["name"] if hpa else None,
        hpa_min_replicas=int(hpa_spec.get("minReplicas", 1)) if hpa else None,
        hpa_max_replicas=int(hpa_spec["maxReplicas"]) if hpa and "maxReplicas" in hpa_spec else None,
        pdb=pdb["metadata"]["name"] if pdb else None,
        pdb_min_available=pdb_floor(pdb, replicas) if pdb else None,
        selector=match_labels,
        annotations=dict(meta.get("annotations") or {}),
    )


def _served(crd: Mapping[str, Any] | None) -> set[str]:
    versions = ((crd or {}).get("spec") or {}).get("versions") or ()
    return {v["name"] for v in versions if v.get("served")}


def _targets(hpa: Mapping[str, Any], deployment: str) -> bool:
    ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    return ref.get("kind") == "Deployment" and ref.get("name") == deployment


def _ready(pod: Mapping[str, Any]) -> bool:
    """Running and Ready, and not terminating (a pod with a deletionTimestamp is on its way out,
    though it still reports Running until its containers stop)."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    status = pod.get("status") or {}
    if status.get("phase") != "Running":
        return False
    conditions = status.get("conditions") or ()
    return not conditions or any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _count(value: Any, replicas: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(float(value[:-1]) / 100 * replicas)
    return int(value)


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def _key(deployment: Mapping[str, Any]) -> str:
    return f"{deployment['metadata']['namespace']}/{deployment['metadata']['name']}"


def _annotated(deployment: Mapping[str, Any]) -> bool:
    annotations = deployment["metadata"].get("annotations") or {}
    return any(k.startswith(ANNOTATION_PREFIX) for k in annotations)
