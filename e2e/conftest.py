"""e2e: the kube flows against a real Kubernetes API server.

By default (`make test`, CI) the suite starts its own control plane for the session: the v1.24
binaries in ../shared/k8s plus Debian's etcd (`tests/controlplane`), two clusters (`e2e`, AWS
eu-west-1, and `e2e-b`, GCP europe-west4) with a kubelet stand-in playing their nodes. Without
../shared/k8s or etcd every test here is skipped.

Against your own disposable cluster instead (kind works; only the one-cluster tests run):

    PLACEMENT_E2E_KUBECONFIG=~/.kube/kind-placement make e2e     # or: pytest e2e -m e2e

Optional PLACEMENT_E2E_CONTEXT picks a context (default: the kubeconfig's current one). The suite
creates namespaces `placement-e2e-*`, labels the nodes as on-demand capacity, installs the
Karpenter v1 NodePool CRD from ../shared/data/schemas when present and missing (no controller:
the API server validates the NodePools), and removes all of it afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_crds import NODEPOOL_V1

KUBECONFIG_ENV = "PLACEMENT_E2E_KUBECONFIG"
NODE_LABELS = {"karpenter.sh/capacity-type": "on-demand", "eks.amazonaws.com/capacityType": "ON_DEMAND"}
SETUP_MANAGER = "e2e-setup"


class Cluster:
    """The cluster under test, through the official client."""

    def __init__(self, kubeconfig: str, context: str | None) -> None:
        from kubernetes import client, config

        self.kubeconfig = kubeconfig
        self.api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
        self.api_client.configuration.retries = 0
        _, active = config.list_kube_config_contexts(config_file=kubeconfig)
        self.context = context or active["name"]
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)
        self.autoscaling = client.AutoscalingV2Api(self.api_client)
        self.custom = client.CustomObjectsApi(self.api_client)
        self.extensions = client.ApiextensionsV1Api(self.api_client)
        self.rbac = client.RbacAuthorizationV1Api(self.api_client)

    def ssa(self, body: dict[str, Any], manager: str = SETUP_MANAGER) -> dict[str, Any]:
        """Create/update as the setup manager (so placement meets a real field-ownership conflict)."""
        group, _, version = body["apiVersion"].rpartition("/")
        plural = {
            "Deployment": "deployments",
            "HorizontalPodAutoscaler": "horizontalpodautoscalers",
            "PodDisruptionBudget": "poddisruptionbudgets",
        }[body["kind"]]
        return self.custom.patch_namespaced_custom_object(
            group or "core",
            version,
            body["metadata"]["namespace"],
            plural,
            body["metadata"]["name"],
            body,
            field_manager=manager,
            force=True,
            _content_type="application/apply-patch+yaml",
        )

    def version(self) -> tuple[int, int]:
        from kubernetes import client

        info = client.VersionApi(self.api_client).get_code()
        return int(info.major), int("".join(c for c in info.minor if c.isdigit()))

    def deployment(self, namespace: str, name: str) -> Any:
        return self.apps.read_namespaced_deployment(name, namespace)

    def nodepool(self, name: str, version: str = "v1", plural: str = "nodepools") -> dict[str, Any] | None:
        from kubernetes.client.exceptions import ApiException

        try:
            return self.custom.get_cluster_custom_object("karpenter.sh", version, plural, name)
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    def delete_pools(self) -> None:
        from kubernetes.client.exceptions import ApiException

        for version, plural in (("v1", "nodepools"), ("v1beta1", "nodepools"), ("v1alpha5", "provisioners")):
            for pool in ("placement-spot", "placement-on-demand"):
                try:
                    self.custom.delete_cluster_custom_object("karpenter.sh", version, plural, pool)
                except ApiException as error:
                    if error.status != 404:
                        raise

    def install_crd(self, path: Path) -> str:
        """Create (or replace) a CRD from a file and wait until it is Established; its name."""
        from kubernetes.client.exceptions import ApiException

        body = yaml.safe_load(path.read_text())
        name = body["metadata"]["name"]
        try:
            self.extensions.create_custom_resource_definition(body)
        except ApiException as error:
            if error.status != 409:
                raise
            self.delete_crd(name)
            self.extensions.create_custom_resource_definition(body)
        for _ in range(120):
            crd = self.extensions.read_custom_resource_definition(name)
            if any(c.type == "Established" and c.status == "True" for c in (crd.status.conditions or [])):
                self._wait_served(body)
                return str(name)
            time.sleep(0.5)
        raise RuntimeError(f"CRD {name} did not become Established within 60 s")

    def delete_crd(self, name: str) -> None:
        from kubernetes.client.exceptions import ApiException

        try:
            self.extensions.delete_custom_resource_definition(name)
        except ApiException as error:
            if error.status == 404:
                return
            raise
        for _ in range(120):
            try:
                self.extensions.read_custom_resource_definition(name)
            except ApiException as error:
                if error.status == 404:
                    return
                raise
            time.sleep(0.5)
        raise RuntimeError(f"CRD {name} was not deleted within 60 s")

    def _wait_served(self, crd: dict[str, Any]) -> None:
        """Established is not yet served by every handler: list until the API answers."""
        from kubernetes.client.exceptions import ApiException

        group, plural = crd["spec"]["group"], crd["spec"]["names"]["plural"]
        version = next(v["name"] for v in crd["spec"]["versions"] if v.get("served"))
        for _ in range(60):
            try:
                self.custom.list_cluster_custom_object(group, version, plural)
                return
            except ApiException as error:
                if error.status != 404:
                    raise
            time.sleep(0.5)


# -- the clusters ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def local_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The session's own control plane (two clusters), or a skip saying what is missing."""
    if os.environ.get(KUBECONFIG_ENV):
        pytest.skip(f"needs the local control plane; {KUBECONFIG_ENV} points at an external cluster")
    from controlplane import Fleet, unavailable
    from e2e_nodes import FLEET_NODES

    reason = unavailable()
    if reason:
        pytest.skip(reason)
    fleet = Fleet.start(tmp_path_factory.mktemp("controlplane"), FLEET_NODES)
    try:
        yield fleet
    finally:
        fleet.stop()


@pytest.fixture(scope="session")
def fleet_kubeconfig(local_fleet: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One kubeconfig with both local clusters' admin contexts (`e2e`, `e2e-b`)."""
    return str(local_fleet.kubeconfig(tmp_path_factory.mktemp("kubeconfig") / "fleet.kubeconfig"))


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """The cluster the one-cluster flows run on: $PLACEMENT_E2E_KUBECONFIG, else the local `e2e`."""
    external = os.environ.get(KUBECONFIG_ENV)
    if external:
        target = Cluster(external, os.environ.get("PLACEMENT_E2E_CONTEXT"))
    else:
        kubeconfig = request.getfixturevalue("fleet_kubeconfig")
        target = Cluster(kubeconfig, "e2e")
    added = _label_nodes(target)
    installed = _install_crd(target)
    yield target
    if installed:
        target.delete_crd("nodepools.karpenter.sh")
    for node in added:
        target.core.patch_node(node, {"metadata": {"labels": dict.fromkeys(NODE_LABELS)}})


@pytest.fixture(scope="session")
def cluster_b(fleet_kubeconfig: str) -> Cluster:
    """The local fleet's second cluster (GCP europe-west4, no Karpenter unless a test installs it)."""
    return Cluster(fleet_kubeconfig, "e2e-b")


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    yield from _namespace(cluster)
    cluster.delete_pools()


@pytest.fixture
def karpenter(cluster: Cluster) -> bool:
    """Whether the cluster serves karpenter.sh/v1 NodePools (real Karpenter or the installed CRD)."""
    from kubernetes.client.exceptions import ApiException

    try:
        crd = cluster.extensions.read_custom_resource_definition("nodepools.karpenter.sh")
    except ApiException:
        return False
    return any(v.name == "v1" and v.served for v in crd.spec.versions)


def _namespace(target: Cluster, name: str | None = None) -> Iterator[str]:
    name = name or f"placement-e2e-{uuid.uuid4().hex[:6]}"
    target.core.create_namespace({"metadata": {"name": name}})
    yield name
    target.core.delete_namespace(name)


def _label_nodes(target: Cluster) -> list[str]:
    added = []
    for node in target.core.list_node().items:
        labels = node.metadata.labels or {}
        if labels.get("karpenter.sh/capacity-type") == "spot":
            continue
        missing = {k: v for k, v in NODE_LABELS.items() if k not in labels}
        if missing:
            target.core.patch_node(node.metadata.name, {"metadata": {"labels": missing}})
            added.append(node.metadata.name)
    return added


def _install_crd(target: Cluster) -> bool:
    from kubernetes.client.exceptions import ApiException

    if not NODEPOOL_V1.exists():
        return False
    try:
        target.extensions.read_custom_resource_definition("nodepools.karpenter.sh")
        return False
    except ApiException as error:
        if error.status != 404:
            raise
    target.install_crd(NODEPOOL_V1)
    return True
