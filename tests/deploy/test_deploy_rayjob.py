"""deploy/ray/rayjob-sweep.yaml: a KubeRay RayJob (ray.io/v1) whose fields are ones the CRD knows, whose
pod templates validate as Kubernetes 1.33 PodTemplates (strict) and pass the "restricted" profile,
which runs the CronJob's image, and whose entrypoint is a `placement whatif --ray` sweep the CLI accepts."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from deploy_kustomize import render
from deploy_podsecurity import restricted_violations

from placement.cli import build_parser
from placement.simulate.whatif import grid_values

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RAYJOB = DEPLOY / "ray" / "rayjob-sweep.yaml"
K8S_VERSION = "1.33.0"

# The fields of KubeRay's ray.io/v1 RayJob / RayCluster specs (ray-operator/apis/ray/v1) this check accepts.
RAYJOB_SPEC = {
    "entrypoint",
    "runtimeEnvYAML",
    "jobId",
    "metadata",
    "shutdownAfterJobFinishes",
    "ttlSecondsAfterFinished",
    "activeDeadlineSeconds",
    "backoffLimit",
    "submissionMode",
    "rayClusterSpec",
    "clusterSelector",
    "submitterPodTemplate",
    "submitterConfig",
    "entrypointNumCpus",
    "entrypointNumGpus",
    "entrypointResources",
    "suspend",
    "managedBy",
    "deletionStrategy",
}
CLUSTER_SPEC = {
    "rayVersion",
    "headGroupSpec",
    "workerGroupSpecs",
    "enableInTreeAutoscaling",
    "autoscalerOptions",
    "headServiceAnnotations",
    "suspend",
    "managedBy",
    "gcsFaultToleranceOptions",
}
HEAD_GROUP = {"rayStartParams", "template", "serviceType", "headService", "enableIngress"}
WORKER_GROUP = {
    "groupName",
    "replicas",
    "minReplicas",
    "maxReplicas",
    "rayStartParams",
    "template",
    "scaleStrategy",
    "numOfHosts",
    "idleTimeoutSeconds",
    "suspend",
}


@pytest.fixture(scope="module")
def rayjob() -> dict[str, Any]:
    (document,) = [d for d in yaml.safe_load_all(RAYJOB.read_text()) if d]
    return document


def templates(rayjob: dict[str, Any]) -> list[dict[str, Any]]:
    cluster = rayjob["spec"]["rayClusterSpec"]
    return [cluster["headGroupSpec"]["template"], *(g["template"] for g in cluster["workerGroupSpecs"])]


def test_the_rayjob_uses_only_fields_kuberay_knows(rayjob: dict[str, Any]) -> None:
    assert (rayjob["apiVersion"], rayjob["kind"]) == ("ray.io/v1", "RayJob")
    assert (
        rayjob["metadata"]["namespace"] == "placement"
        and rayjob["metadata"]["labels"]["app.kubernetes.io/name"] == "placement"
    )
    spec = rayjob["spec"]
    assert set(spec) <= RAYJOB_SPEC
    assert spec["shutdownAfterJobFinishes"] is True and spec["submissionMode"] in ("K8sJobMode", "HTTPMode")
    cluster = spec["rayClusterSpec"]
    assert set(cluster) <= CLUSTER_SPEC and str(cluster["rayVersion"]).startswith("2.")
    assert set(cluster["headGroupSpec"]) <= HEAD_GROUP
    for group in cluster["workerGroupSpecs"]:
        assert set(group) <= WORKER_GROUP
        assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
        assert all(isinstance(v, str) for v in group["rayStartParams"].values())  # KubeRay wants strings
    assert all(isinstance(v, str) for v in cluster["headGroupSpec"]["rayStartParams"].values())


def test_every_pod_template_validates_and_is_restricted(rayjob: dict[str, Any]) -> None:
    for template in templates(rayjob):
        document = {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": "t", "namespace": "placement"},
            "template": template,
        }
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)
        assert restricted_violations(template["spec"]) == []
        mounts = {m["mountPath"] for c in template["spec"]["containers"] for m in c["volumeMounts"]}
        assert {"/tmp", "/dev/shm"} <= mounts  # Ray's session files and object store


def test_the_rayjob_runs_the_cronjob_image(rayjob: dict[str, Any]) -> None:
    cronjob = next(d for d in render(DEPLOY / "base") if d["kind"] == "CronJob")
    (container,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    images = {c["image"] for t in templates(rayjob) for c in t["spec"]["containers"]}
    assert images == {container["image"]}
    assert 'ARG RAY="ray[default]' in (DEPLOY / "Dockerfile").read_text()  # the image carries Ray and its dashboard


def test_the_entrypoint_is_a_ray_sweep_of_at_least_64_plans_the_cli_accepts(rayjob: dict[str, Any]) -> None:
    argv = shlex.split(rayjob["spec"]["entrypoint"])
    assert argv[0] == "placement"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "whatif" and args.ray and args.output == "json"
    from placement.cli.whatif import parse_sweep

    axes = [parse_sweep(spec) for spec in args.sweep]
    assert len(grid_values([values for _, values in axes])) >= 64
