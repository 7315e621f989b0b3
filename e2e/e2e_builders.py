"""Objects, scenarios and plans for the e2e flows (plans are written by hand: the e2e suite tests
the actuation against a real API server, not the solver)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

PAUSE = "registry.k8s.io/pause:3.9"
RESOURCES = {"cpu": "10m", "memory": "16Mi"}


def deployment(
    namespace: str, name: str, replicas: int, annotations: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "annotations": dict(annotations or {})},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [{"name": "pause", "image": PAUSE, "resources": {"requests": dict(RESOURCES)}}],
                },
            },
        },
    }


def daemonset(namespace: str, name: str, pod_spec: Mapping[str, Any]) -> dict[str, Any]:
    """A DaemonSet of `pause` pods; `pod_spec` gives the containers (their images default to pause)
    and any scheduling fields."""
    spec = json.loads(json.dumps(dict(pod_spec)))
    for container in (*spec.get("initContainers", ()), *spec.get("containers", ())):
        container.setdefault("image", PAUSE)
    spec.setdefault("terminationGracePeriodSeconds", 0)
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def hpa(namespace: str, name: str, min_replicas: int = 1, max_replicas: int = 5) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                }
            ],
        },
    }


def pdb(namespace: str, name: str, min_available: int) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"minAvailable": min_available, "selector": {"matchLabels": {"app": name}}},
    }


def cluster_entry(
    name: str, context: str, *, cloud: str = "aws", region: str = "eu-west-1", autoscaler: str = "none"
) -> dict[str, Any]:
    return {"name": name, "cloud": cloud, "region": region, "context": context, "autoscaler": autoscaler}


def assignment(
    workload: str,
    cluster: str,
    *,
    on_demand: int,
    spot: int = 0,
    cloud: str = "aws",
    region: str = "eu-west-1",
    instance_type: str = "m5.large",
) -> dict[str, Any]:
    types = {"on-demand": instance_type, **({"spot": instance_type} if spot else {})}
    return {
        "workload": workload,
        "cluster": cluster,
        "cloud": cloud,
        "region": region,
        "onDemand": on_demand,
        "spot": spot,
        "instanceTypes": types,
        "hourlyUsd": 0.1,
    }


def write_inputs(
    directory: Path,
    clusters: Sequence[Mapping[str, Any]],
    workloads: Sequence[Mapping[str, Any]],
    assignments: Sequence[Mapping[str, Any]],
) -> tuple[Path, Path]:
    """scenario.yaml and plan.json in `directory`; their paths."""
    scenario = {
        "apiVersion": "placement.dev/v1alpha1",
        "kind": "Scenario",
        "metadata": {"name": "e2e"},
        "spec": {"clusters": list(clusters), "workloads": list(workloads)},
    }
    plan = {
        "apiVersion": "placement.dev/v1alpha1",
        "kind": "Plan",
        "scenario": "e2e",
        "pricesAsOf": {},
        "solver": {"backend": "e2e", "status": "optimal", "seconds": 0, "objective": 0, "bound": 0, "gap": 0},
        "hourlyUsd": {"before": 0, "after": 0, "compute": 0},
        "assignments": list(assignments),
    }
    (directory / "scenario.yaml").write_text(yaml.safe_dump(scenario))
    (directory / "plan.json").write_text(json.dumps(plan))
    return directory / "scenario.yaml", directory / "plan.json"


def workload_entry(namespace: str, name: str, replicas: int, current: Mapping[str, int]) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "resources": dict(RESOURCES),
        "demand": {"replicas": replicas},
        "current": {cluster: {"onDemand": count} for cluster, count in current.items()},
    }
