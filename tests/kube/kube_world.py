"""A two-cluster world on fake API servers, shaped like real objects, for reader/apply/diff tests.

Cluster `a`: AWS eu-west-1 with Karpenter v1 (context `ctx-a`). Cluster `b`: GKE europe-west4
(context `ctx-b`). Workloads: `shop/web` (4 replicas in a, 2 on spot), `shop/api` (HPA 2..10 in a),
`pay/ledger` (3 in b, PDB minAvailable 2).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builders import make_assignment, make_cluster, make_plan, make_scenario, make_workload
from kube_fakeapi import FakeApiServer, Recorded, write_kubeconfig
from kube_schemas import minimal_deployment, minimal_hpa

from placement.kube.apply import ApplyReport, apply_patches
from placement.kube.client import KubeClient, connect
from placement.kube.scenario_export import read_live
from placement.patches.build import plan_id, to_patches
from placement.plan import Plan
from placement.scenario import Scenario


def node(name: str, labels: dict[str, str], provider_id: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"providerID": provider_id},
    }


def crd(name: str, versions: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": "karpenter.sh",
            "names": {"plural": name.split(".")[0], "kind": "NodePool"},
            "scope": "Cluster",
            "versions": [{"name": v, "served": True, "storage": i == 0} for i, v in enumerate(versions)],
        },
    }


def pod(name: str, namespace: str, labels: dict[str, str], node_name: str, ready: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"nodeName": node_name, "containers": [{"name": "app", "image": "registry.example/app:1"}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def pdb(name: str, namespace: str, match: dict[str, str], min_available: int | str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"minAvailable": min_available, "selector": {"matchLabels": match}},
    }


def daemonset(
    name: str,
    namespace: str = "kube-system",
    requests: dict[str, str] | None = None,
    **pod_spec: Any,
) -> dict[str, Any]:
    """A DaemonSet whose one container requests `requests`; `pod_spec` adds or replaces pod spec
    fields (initContainers, nodeSelector, affinity, overhead, or containers)."""
    container: dict[str, Any] = {"name": name, "image": f"registry.example/{name}:1"}
    if requests is not None:
        container["resources"] = {"requests": dict(requests)}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container], **pod_spec}},
        },
    }


def deployment(name: str, namespace: str, replicas: int, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    obj = minimal_deployment(name, namespace, replicas)
    if annotations:
        obj["metadata"]["annotations"] = dict(annotations)
    return obj


def seed_a(server: FakeApiServer) -> None:
    aws = {"topology.kubernetes.io/region": "eu-west-1", "topology.kubernetes.io/zone": "eu-west-1a"}
    server.seed(node("a-od-1", {**aws, "karpenter.sh/capacity-type": "on-demand"}, "aws:///eu-west-1a/i-01"))
    server.seed(node("a-spot-1", {**aws, "karpenter.sh/capacity-type": "spot"}, "aws:///eu-west-1a/i-02"))
    server.seed(crd("nodepools.karpenter.sh", ["v1", "v1beta1"]))
    server.seed(
        deployment(
            "web",
            "shop",
            4,
            {
                "placement.dev/spot-max-fraction": "0.5",
                "placement.dev/residency": "EU",
                "placement.dev/min-clusters": "1",
            },
        )
    )
    for i, where in enumerate(("a-od-1", "a-od-1", "a-spot-1", "a-spot-1")):
        server.seed(pod(f"web-{i}", "shop", {"app": "web"}, where))
    server.seed(deployment("api", "shop", 3, {"placement.dev/replicas": "6"}))
    server.seed(minimal_hpa("api", "shop", "api", min_replicas=2, max_replicas=10))
    server.seed(deployment("unmanaged", "kube-system", 2))  # no placement annotation: not read
    # per node: 150m CPU, 192Mi, 2 pods (etcd-backup runs on control-plane nodes only); b has none
    server.seed(daemonset("kube-proxy", requests={"cpu": "100m", "memory": "128Mi"}))
    server.seed(daemonset("node-exporter", "monitoring", requests={"cpu": "50m", "memory": "64Mi"}))
    control_plane = {"node-role.kubernetes.io/control-plane": ""}
    server.seed(daemonset("etcd-backup", requests={"cpu": "1", "memory": "1Gi"}, nodeSelector=control_plane))


def seed_b(server: FakeApiServer) -> None:
    gke = {
        "topology.kubernetes.io/region": "europe-west4",
        "cloud.google.com/gke-nodepool": "default",
        "cloud.google.com/gke-provisioning": "standard",
    }
    server.seed(node("b-1", gke, "gce://proj/europe-west4-a/b-1"))
    server.seed(deployment("ledger", "pay", 3, {"placement.dev/min-clusters": "1"}))
    server.seed(pdb("ledger", "pay", {"app": "ledger"}, 2))
    for i in range(3):
        server.seed(pod(f"ledger-{i}", "pay", {"app": "ledger"}, "b-1"))


def scenario() -> Scenario:
    clusters = [
        make_cluster("a", context="ctx-a", autoscaler="karpenter/v1"),
        make_cluster("b", cloud="gcp", region="europe-west4", country="NL", context="ctx-b", autoscaler="gke"),
    ]
    workloads = [
        make_workload("web", cpu=0.5, memory_gib=1.0, replicas=4, spot_max_fraction=0.5, current={"a": (2, 2)}),
        make_workload("api", cpu=0.5, memory_gib=1.0, replicas=6, current={"a": (3, 0)}),
        make_workload("ledger", namespace="pay", cpu=0.5, memory_gib=1.0, replicas=3, current={"b": (3, 0)}),
    ]
    return make_scenario(clusters, workloads)


@dataclass
class World:
    a: FakeApiServer
    b: FakeApiServer
    kubeconfig: Path
    scenario: Scenario

    def apis(self, timeout_s: float = 5.0) -> dict[str, KubeClient]:
        return {
            c.name: connect(c, kubeconfig=str(self.kubeconfig), timeout_s=timeout_s) for c in self.scenario.clusters
        }

    def server(self, cluster: str) -> FakeApiServer:
        return {"a": self.a, "b": self.b}[cluster]


@contextlib.contextmanager
def world(tmp_path: Path) -> Iterator[World]:
    with FakeApiServer("a") as a, FakeApiServer("b") as b:
        seed_a(a)
        seed_b(b)
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"ctx-a": a.url, "ctx-b": b.url})
        yield World(a, b, kubeconfig, scenario())


DEPLOYMENT_WEB = "/apis/apps/v1/namespaces/shop/deployments/web"
DEPLOYMENT_API = "/apis/apps/v1/namespaces/shop/deployments/api"
HPA_API = "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/api"
DEPLOYMENT_LEDGER = "/apis/apps/v1/namespaces/pay/deployments/ledger"
POOL_SPOT = "/apis/karpenter.sh/v1/nodepools/placement-spot"
POOL_ON_DEMAND = "/apis/karpenter.sh/v1/nodepools/placement-on-demand"


# web moves: a 4 → 6 (2 on demand, 4 spot), b 2 → 0; api's HPA floor 2 → 4; ledger unchanged in b
PLAN = make_plan(
    make_assignment("shop/web", "a", 2, 4),
    make_assignment("shop/api", "a", 4),
    make_assignment(
        "pay/ledger", "b", 3, cloud="gcp", region="europe-west4", instance_types={"on-demand": "n2-standard-4"}
    ),
)
WATCHED = [DEPLOYMENT_WEB, DEPLOYMENT_API, HPA_API, DEPLOYMENT_LEDGER, POOL_SPOT, POOL_ON_DEMAND]


def state(w: World) -> dict[tuple[str, str], Any]:
    """spec and annotations of every object placement may touch, per cluster."""
    out = {}
    for cluster in ("a", "b"):
        for path in WATCHED:
            obj = w.server(cluster).get(path)
            out[(cluster, path)] = (
                None
                if obj is None
                else copy.deepcopy({"spec": obj.get("spec"), "annotations": obj["metadata"].get("annotations")})
            )
            if path == DEPLOYMENT_API and obj is not None:  # replicas are the HPA's to set, not placement's
                out[(cluster, path)]["spec"].pop("replicas", None)
    return out


def run_plan(w: World, plan: Plan = PLAN, **options: Any) -> ApplyReport:
    """Read live state, make the plan's patches and apply them (force on, no real sleeping)."""
    apis = w.apis()
    live = read_live(apis, w.scenario)
    patches = to_patches(plan, w.scenario, live=live)
    defaults = {"force": True, "sleep": lambda s: None, "wait_timeout_s": 5}
    return apply_patches(patches, apis, plan_id=plan_id(plan), live=live, **{**defaults, **options})


def writes(w: World) -> list[tuple[Recorded, str]]:
    """Non-dry-run writes to either cluster, in the order they happened."""
    return sorted([(r, c) for c in ("a", "b") for r in w.server(c).writes()], key=lambda rc: rc[0].at)
