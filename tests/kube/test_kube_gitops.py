"""GitOps overlays: files per cluster, kustomize v5 fields, and `kubectl kustomize` renders manifests
that validate (built-ins with kubernetes-validate, pools with the Karpenter CRD schemas)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml
from builders import make_assignment, make_cluster, make_plan, make_scenario, make_workload
from kube_schemas import crd_errors, minimal_deployment, minimal_hpa, require_crd_schemas, validate_builtin

from placement.live import LiveCluster, LiveWorkload
from placement.patches.build import to_patches
from placement.patches.gitops import overlay_files, write_overlays

KUBECTL = shutil.which("kubectl")


def _patches():
    clusters = [
        make_cluster("a", autoscaler="karpenter/v1beta1"),
        make_cluster("b", cloud="azure", region="westeurope", country="NL", autoscaler="aks"),
    ]
    scenario = make_scenario(clusters, [make_workload("web", current={"b": (2, 0)}), make_workload("api")])
    plan = make_plan(
        make_assignment("shop/web", "a", 2, 6),
        make_assignment("shop/api", "a", 3),
        make_assignment(
            "shop/api",
            "b",
            1,
            1,
            cloud="azure",
            region="westeurope",
            instance_types={"on-demand": "Standard_D4s_v5", "spot": "Standard_D4s_v5"},
        ),
    )
    live = {
        "a": LiveCluster(
            "a",
            "aws",
            "eu-west-1",
            "karpenter/v1beta1",
            workloads={
                "shop/web": LiveWorkload(replicas=0),
                "shop/api": LiveWorkload(replicas=2, hpa="api", hpa_max_replicas=9),
            },
        )
    }
    return to_patches(plan, scenario, live=live)


def test_overlay_layout() -> None:
    files = overlay_files(_patches())
    assert set(files) == {"a", "b"}
    kustomization = yaml.safe_load(files["a"]["kustomization.yaml"])
    assert kustomization["resources"] == ["nodepool.placement-spot.yaml", "nodepool.placement-on-demand.yaml"]
    targets = [p["target"] for p in kustomization["patches"]]
    assert {"group": "apps", "version": "v1", "kind": "Deployment", "name": "web", "namespace": "shop"} in targets
    assert {
        "group": "autoscaling",
        "version": "v2",
        "kind": "HorizontalPodAutoscaler",
        "name": "api",
        "namespace": "shop",
    } in targets
    assert not {"patchesStrategicMerge", "bases", "commonLabels"} & set(kustomization)  # kustomize v5
    b = yaml.safe_load(files["b"]["kustomization.yaml"])
    assert "resources" not in b  # AKS node pools are not placement's


def test_write_overlays_removes_only_its_own_stale_files(tmp_path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "deployment.shop.old.yaml").write_text("# placement: workload for a\n{}\n")
    (tmp_path / "a" / "mine.yaml").write_text("kind: ConfigMap\n")
    written = write_overlays(_patches(), tmp_path)
    assert (tmp_path / "a" / "kustomization.yaml") in written
    assert not (tmp_path / "a" / "deployment.shop.old.yaml").exists()
    assert (tmp_path / "a" / "mine.yaml").exists()


@pytest.mark.skipif(KUBECTL is None, reason="kubectl not installed")
def test_kubectl_kustomize_renders_valid_manifests(tmp_path) -> None:
    base = tmp_path / "base"
    for cluster in ("a", "b"):
        (base / cluster).mkdir(parents=True)
        docs = [
            minimal_deployment("web", "shop", 2),
            minimal_deployment("api", "shop", 2),
            minimal_hpa("api", "shop", "api"),
        ]
        (base / cluster / "workloads.yaml").write_text(yaml.safe_dump_all(docs))
        (base / cluster / "kustomization.yaml").write_text("resources: [workloads.yaml]\n")
    out = tmp_path / "overlays"
    write_overlays(_patches(), out, bases={"a": "../../base/a", "b": "../../base/b"})
    rendered = {}
    for cluster in ("a", "b"):
        result = subprocess.run(
            [KUBECTL, "kustomize", str(out / cluster)], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        rendered[cluster] = list(yaml.safe_load_all(result.stdout))
    kinds = sorted(d["kind"] for d in rendered["a"])
    assert kinds == ["Deployment", "Deployment", "HorizontalPodAutoscaler", "NodePool", "NodePool"]
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in rendered["a"]}
    assert by_name[("Deployment", "web")]["spec"]["replicas"] == 8  # the patch landed
    assert by_name[("HorizontalPodAutoscaler", "api")]["spec"]["minReplicas"] == 3
    assert by_name[("Deployment", "web")]["spec"]["template"]["spec"]["topologySpreadConstraints"]
    b_web = {(d["kind"], d["metadata"]["name"]): d for d in rendered["b"]}[("Deployment", "web")]
    assert b_web["spec"]["replicas"] == 0
    for docs in rendered.values():
        for doc in docs:
            if doc["apiVersion"].startswith("karpenter.sh/"):
                require_crd_schemas()
                assert crd_errors(doc) == []
            else:
                validate_builtin(doc)
