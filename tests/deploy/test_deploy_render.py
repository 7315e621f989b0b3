"""deploy/: every overlay renders (with `kubectl kustomize` where installed, and always with the small
renderer in deploy_kustomize.py, which must agree with kubectl) and every rendered object validates
against the Kubernetes 1.33 schemas (kubernetes-validate, strict: unknown fields are errors)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from deploy_kustomize import key, render, strategic_merge

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
OVERLAYS = ("aws", "gcp", "azure", "dry-run")
K8S_VERSION = "1.33.0"
KINDS = ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "CronJob", "Namespace", "ServiceAccount"]


def rendered(overlay: str) -> dict[tuple[str, str, str, str], dict]:
    return {key(d): d for d in render(DEPLOY / "overlays" / overlay)}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_and_validates(overlay: str) -> None:
    documents = list(rendered(overlay).values())
    assert sorted(d["kind"] for d in documents) == KINDS
    for document in documents:
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)
        labels = document["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "placement", document["kind"]
        if document["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            assert document["metadata"]["namespace"] == "placement", document["kind"]
    binding = next(d for d in documents if d["kind"] == "ClusterRoleBinding")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "placement", "namespace": "placement"}]
    cronjob = next(d for d in documents if d["kind"] == "CronJob")
    (container,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "ghcr.io/placement-dev/placement:0.1.0"


def test_validation_catches_a_broken_manifest() -> None:
    cronjob = next(d for d in rendered("aws").values() if d["kind"] == "CronJob")
    broken = strategic_merge(
        cronjob, {"spec": {"concurrencyPolicy": "Forbid", "jobTemplate": {"spec": {"backofLimit": 1}}}}
    )  # misspelt field
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


@pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl not installed (the renderer tests above still run)"
)
@pytest.mark.parametrize("target", ["base", *(f"overlays/{o}" for o in OVERLAYS)])
def test_the_renderer_agrees_with_kubectl_kustomize(target: str) -> None:
    result = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY / target)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    by_kubectl = {key(d): d for d in yaml.safe_load_all(result.stdout) if d}
    assert by_kubectl == {key(d): d for d in render(DEPLOY / target)}


def test_the_renderer_refuses_what_it_does_not_know(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonLabels: {a: b}\n")
    with pytest.raises(ValueError, match="commonLabels"):
        render(tmp_path)
