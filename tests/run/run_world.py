"""The packaged demo fleet (11 clusters, 24 workloads) on recording fake API servers, for `placement run`.

Each cluster gets a node saying its cloud and region, the Karpenter CRD its autoscaler serves, and
every demo workload as a Deployment (today's replicas there, or 0) carrying the workload's rules
as `placement.dev/` annotations — so the policy file needs only the fleet settings (`policy()`:
demo.yaml without its workloads) and the scenario read back must be the demo's own.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kube_fakeapi import FakeApiServer, Recorded, write_kubeconfig
from kube_schemas import minimal_hpa
from kube_world import crd, daemonset, node

from placement.load.scenario import demo_scenario_path, load_scenario
from placement.patches import labels as keys
from placement.scenario import Cluster, Scenario, Workload

_PROVIDER_IDS = {
    "aws": "aws:///{region}a/i-0{index}",
    "gcp": "gce://demo-project/{region}-a/node-{index}",
    "azure": "azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/node-{index}",
}


def demo() -> Scenario:
    return load_scenario(demo_scenario_path())


def policy(path: Path) -> Path:
    """demo.yaml's fleet settings without its workloads, written to `path`."""
    document = yaml.safe_load(demo_scenario_path().read_text())
    del document["spec"]["workloads"]
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def annotations(workload: Workload) -> dict[str, str]:
    """The workload's rules as the Deployment annotations `placement.kube.scenario_export` reads."""
    out = {
        keys.REPLICAS: str(workload.replicas),
        keys.MIN_CLUSTERS: str(workload.min_clusters),
        keys.MIN_AVAILABLE: str(workload.min_available),
        keys.SPOT_MAX_FRACTION: f"{workload.spot_max_fraction:g}",
    }
    if workload.residency is not None:
        out[keys.RESIDENCY] = ",".join(workload.residency)
    if workload.latency_ms is not None:
        out[keys.LATENCY_MS] = f"{workload.latency_ms:g}"
    if workload.users:
        out[keys.USERS] = json.dumps(dict(workload.users))
    if workload.egress_gb_per_hour:
        out[keys.EGRESS_GB_PER_HOUR] = f"{workload.egress_gb_per_hour:g}"
    if workload.spot_max_cluster_share is not None:
        out[keys.SPOT_MAX_CLUSTER_SHARE] = f"{workload.spot_max_cluster_share:g}"
    if workload.architectures != ("amd64",):
        out[keys.ARCHITECTURES] = ",".join(workload.architectures)
    return out


def deployment(workload: Workload, replicas: int) -> dict[str, Any]:
    name = workload.name
    requests = {"cpu": f"{round(workload.cpu * 1000)}m", "memory": f"{round(workload.memory_gib * 1024)}Mi"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": workload.namespace, "annotations": annotations(workload)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "registry.example/app:1", "resources": {"requests": requests}}
                    ]
                },
            },
        },
        "status": {"replicas": replicas, "updatedReplicas": replicas, "availableReplicas": replicas},
    }


def seed(server: FakeApiServer, cluster: Cluster, workloads: tuple[Workload, ...], hpas: tuple[str, ...] = ()) -> None:
    labels = {keys.REGION: cluster.region}
    if cluster.autoscaler.startswith("karpenter/"):
        labels[keys.KARPENTER_CAPACITY_TYPE] = "on-demand"
    provider_id = _PROVIDER_IDS[cluster.cloud].format(region=cluster.region, index=1)
    server.seed(node(f"{cluster.name}-node-1", labels, provider_id))
    if cluster.autoscaler in ("karpenter/v1", "karpenter/v1beta1"):
        server.seed(crd("nodepools.karpenter.sh", [cluster.autoscaler.split("/")[1]]))
    elif cluster.autoscaler == "karpenter/v1alpha5":
        server.seed(crd("provisioners.karpenter.sh", ["v1alpha5"]))
    for ds in daemonsets(cluster):
        server.seed(ds)
    for workload in workloads:
        current = workload.current.get(cluster.name)
        server.seed(deployment(workload, current.total if current else 0))
        if workload.key in hpas and current and current.total:  # an HPA does not scale a Deployment up from 0
            server.seed(minimal_hpa(workload.name, workload.namespace, workload.name, min_replicas=1, max_replicas=50))


def daemonsets(cluster: Cluster) -> list[dict[str, Any]]:
    """DaemonSets whose requests add up to the cluster's `daemonsets` (the demo's are the default:
    4 pods of 50m and 128Mi), plus one for control-plane nodes that the reader leaves out."""
    overhead = cluster.daemonsets
    share = {
        "cpu": f"{round(overhead.cpu * 1000 / overhead.pods)}m",
        "memory": f"{round(overhead.memory_gib * 1024 / overhead.pods)}Mi",
    }
    agents = ("cni", "kube-proxy", "log-agent", "metrics-agent", "csi-node", "dns-cache")[: overhead.pods]
    control_plane = {keys.CONTROL_PLANE_ROLE: ""}
    return [
        *(daemonset(name, requests=share) for name in agents),
        daemonset("etcd-backup", requests={"cpu": "1", "memory": "1Gi"}, nodeSelector=control_plane),
    ]


@dataclass
class DemoFleet:
    servers: dict[str, FakeApiServer]  # cluster name -> server
    kubeconfig: Path
    scenario: Scenario
    path: Path  # the demo scenario file

    def writes(self) -> list[tuple[str, Recorded]]:
        """(cluster, request) for every non-dry-run PATCH/DELETE, in order."""
        return sorted(((c, r) for c, s in self.servers.items() for r in s.writes()), key=lambda cr: cr[1].at)

    def requests(self, method: str) -> list[tuple[str, Recorded]]:
        return [(c, r) for c, s in self.servers.items() for r in s.requests if r.method == method]

    def state(self) -> dict[tuple[str, str], Any]:
        """Every stored object's spec and annotations, per cluster (to prove nothing changed)."""
        return {
            (c, path): json.dumps([obj.get("spec"), obj["metadata"].get("annotations")], sort_keys=True)
            for c, s in self.servers.items()
            for path, obj in s.objects.items()
        }


@contextlib.contextmanager
def demo_fleet(tmp_path: Path, *, hpas: tuple[str, ...] = ()) -> Iterator[DemoFleet]:
    """The demo on fake servers; `hpas` names workloads that get a HorizontalPodAutoscaler where they run."""
    scenario = demo()
    with contextlib.ExitStack() as stack:
        servers = {c.name: stack.enter_context(FakeApiServer(c.name)) for c in scenario.clusters}
        for cluster in scenario.clusters:
            seed(servers[cluster.name], cluster, scenario.workloads, hpas)
        contexts = {c.context or c.name: servers[c.name].url for c in scenario.clusters}
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", contexts)
        yield DemoFleet(servers, kubeconfig, scenario, demo_scenario_path())
