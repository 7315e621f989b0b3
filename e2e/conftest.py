"""e2e: the kube flows against a real, disposable cluster (kind works). Opt-in:

    PLACEMENT_E2E_KUBECONFIG=~/.kube/kind-placement make e2e     # or: pytest e2e -m e2e

Optional PLACEMENT_E2E_CONTEXT picks a context (default: the kubeconfig's current one). The suite
creates a namespace `placement-e2e-*`, labels the nodes as on-demand capacity, installs the
Karpenter v1 NodePool CRD from ../shared/data/schemas when present and missing (no controller:
the API server validates the NodePools), and removes all of it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

KUBECONFIG_ENV = "PLACEMENT_E2E_KUBECONFIG"
NODE_LABELS = {"karpenter.sh/capacity-type": "on-demand", "eks.amazonaws.com/capacityType": "ON_DEMAND"}
CRD_FILE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "schemas" / "karpenter-v1" / (
    "karpenter.sh_nodepools.yaml")
SETUP_MANAGER = "e2e-setup"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(KUBECONFIG_ENV):
        return
    skip = pytest.mark.skip(reason=f"set {KUBECONFIG_ENV} to a disposable cluster's kubeconfig to run e2e")
    for item in items:
        item.add_marker(skip)


class Cluster:
    """The cluster under test, through the official client."""

    def __init__(self, kubeconfig: str, context: str | None) -> None:
        from kubernetes import client, config

        self.kubeconfig = kubeconfig
        self.api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
        _, active = config.list_kube_config_contexts(config_file=kubeconfig)
        self.context = context or active["name"]
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)
        self.autoscaling = client.AutoscalingV2Api(self.api_client)
        self.custom = client.CustomObjectsApi(self.api_client)
        self.extensions = client.ApiextensionsV1Api(self.api_client)

    def ssa(self, body: dict[str, Any]) -> None:
        """Create/update as the setup manager (so placement meets a real field-ownership conflict)."""
        group, _, version = body["apiVersion"].rpartition("/")
        plural = {"Deployment": "deployments", "HorizontalPodAutoscaler": "horizontalpodautoscalers",
                  "PodDisruptionBudget": "poddisruptionbudgets"}[body["kind"]]
        self.custom.patch_namespaced_custom_object(group, version, body["metadata"]["namespace"], plural,
                                                   body["metadata"]["name"], body, field_manager=SETUP_MANAGER,
                                                   force=True, _content_type="application/apply-patch+yaml")

    def deployment(self, namespace: str, name: str) -> Any:
        return self.apps.read_namespaced_deployment(name, namespace)

    def nodepool(self, name: str) -> dict[str, Any] | None:
        from kubernetes.client.exceptions import ApiException

        try:
            return self.custom.get_cluster_custom_object("karpenter.sh", "v1", "nodepools", name)
        except ApiException as error:
            if error.status == 404:
                return None
            raise


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    target = Cluster(os.environ[KUBECONFIG_ENV], os.environ.get("PLACEMENT_E2E_CONTEXT"))
    added = _label_nodes(target)
    installed = _install_crd(target)
    yield target
    if installed:
        target.extensions.delete_custom_resource_definition("nodepools.karpenter.sh")
    for node in added:
        target.core.patch_node(node, {"metadata": {"labels": dict.fromkeys(NODE_LABELS)}})


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = f"placement-e2e-{uuid.uuid4().hex[:6]}"
    cluster.core.create_namespace({"metadata": {"name": name}})
    yield name
    cluster.core.delete_namespace(name)
    for pool in ("placement-spot", "placement-on-demand"):
        if cluster.nodepool(pool) is not None:
            cluster.custom.delete_cluster_custom_object("karpenter.sh", "v1", "nodepools", pool)


@pytest.fixture
def karpenter(cluster: Cluster) -> bool:
    """Whether the cluster serves karpenter.sh/v1 NodePools (real Karpenter or the installed CRD)."""
    from kubernetes.client.exceptions import ApiException

    try:
        crd = cluster.extensions.read_custom_resource_definition("nodepools.karpenter.sh")
    except ApiException:
        return False
    return any(v.name == "v1" and v.served for v in crd.spec.versions)


def _label_nodes(target: Cluster) -> list[str]:
    added = []
    for node in target.core.list_node().items:
        labels = node.metadata.labels or {}
        missing = {k: v for k, v in NODE_LABELS.items() if k not in labels}
        if missing:
            target.core.patch_node(node.metadata.name, {"metadata": {"labels": missing}})
            added.append(node.metadata.name)
    return added


def _install_crd(target: Cluster) -> bool:
    import time

    from kubernetes.client.exceptions import ApiException

    if not CRD_FILE.exists():
        return False
    try:
        target.extensions.read_custom_resource_definition("nodepools.karpenter.sh")
        return False
    except ApiException as error:
        if error.status != 404:
            raise
    target.extensions.create_custom_resource_definition(yaml.safe_load(CRD_FILE.read_text()))
    for _ in range(60):
        crd = target.extensions.read_custom_resource_definition("nodepools.karpenter.sh")
        if any(c.type == "Established" and c.status == "True" for c in (crd.status.conditions or [])):
            return True
        time.sleep(1)
    raise RuntimeError("the NodePool CRD did not become Established within 60 s")
