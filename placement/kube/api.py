"""The seam between placement and a Kubernetes API server: a five-verb protocol, the resources
placement touches, and the errors a server can answer with. No `kubernetes` import here, so the
reader, the applier and the tests' fakes all share it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from placement.errors import ApplyError
from placement.patches.build import ObjectRef


@dataclass(frozen=True, slots=True)
class Resource:
    """Where a kind lives on the API server."""

    plural: str
    namespaced: bool


RESOURCES: Mapping[tuple[str, str], Resource] = {
    ("apps/v1", "Deployment"): Resource("deployments", True),
    ("apps/v1", "DaemonSet"): Resource("daemonsets", True),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): Resource("horizontalpodautoscalers", True),
    ("policy/v1", "PodDisruptionBudget"): Resource("poddisruptionbudgets", True),
    ("karpenter.sh/v1", "NodePool"): Resource("nodepools", False),
    ("karpenter.sh/v1beta1", "NodePool"): Resource("nodepools", False),
    ("karpenter.sh/v1alpha5", "Provisioner"): Resource("provisioners", False),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): Resource("customresourcedefinitions", False),
    ("v1", "Node"): Resource("nodes", False),
    ("v1", "Pod"): Resource("pods", True),
}


def resource_of(api_version: str, kind: str) -> Resource:
    try:
        return RESOURCES[(api_version, kind)]
    except KeyError:
        raise ValueError(f"placement does not handle {kind} {api_version}") from None


def object_path(ref: ObjectRef) -> str:
    """The REST path of one object, e.g. `/apis/apps/v1/namespaces/shop/deployments/web`."""
    return f"{collection_path(ref.api_version, ref.kind, ref.namespace)}/{ref.name}"


def collection_path(api_version: str, kind: str, namespace: str | None = None) -> str:
    resource = resource_of(api_version, kind)
    root = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    if resource.namespaced and namespace:
        return f"{root}/namespaces/{namespace}/{resource.plural}"
    return f"{root}/{resource.plural}"


class ClusterApi(Protocol):
    """What placement needs from one cluster's API server."""

    cluster: str

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        ...

    def list(
        self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        """Objects of a kind (all namespaces when `namespace` is None)."""
        ...

    def apply(self, body: Mapping[str, Any], *, force: bool = False, dry_run: bool = False) -> dict[str, Any]:
        """Server-side apply as field manager `placement`; returns the resulting object."""
        ...

    def delete(self, ref: ObjectRef, *, dry_run: bool = False) -> None:
        """Delete the object (no error when it is already gone)."""
        ...

    def server_version(self) -> tuple[int, int] | None:
        """The API server's Kubernetes (major, minor), from `/version`; None when it does not say."""
        ...


# -- errors ---------------------------------------------------------------------------------------


class ClusterError(ApplyError):
    """A cluster could not be read or changed."""

    def __init__(self, cluster: str, message: str) -> None:
        self.cluster = cluster
        super().__init__(f"cluster {cluster}: {message}")


class ClusterUnreachable(ClusterError):
    """The API server did not answer (network, DNS, TLS) or the kubeconfig is unusable."""


@dataclass(frozen=True, slots=True)
class Conflict:
    """A field another field manager owns, from a 409 Status cause."""

    field: str
    message: str


class ApiStatusError(ClusterError):
    """The API server answered with an error Status."""

    def __init__(
        self,
        cluster: str,
        status: int,
        reason: str,
        message: str,
        *,
        action: str = "",
        conflicts: Sequence[Conflict] = (),
    ) -> None:
        self.status = status
        self.reason = reason
        self.api_message = message
        self.conflicts = tuple(conflicts)
        if status == 409 and self.conflicts:
            message = "; ".join(f"{c.field} ({c.message})" for c in self.conflicts)
        super().__init__(cluster, f"{action}{status} {reason}: {message}{_hint(status, self.conflicts)}")


def _hint(status: int, conflicts: Sequence[Conflict]) -> str:
    if status == 409 and conflicts:
        return (
            " — another field manager owns these fields; rerun with --force-conflicts to take them over "
            "(GitOps users: see the README on Argo CD ignoreDifferences for the `placement` field manager)"
        )
    if status == 409:
        return " — rerun with --force-conflicts to take the conflicting fields over"
    if status == 403:
        return (
            " — the credentials lack a verb placement needs (dry-run needs the same RBAC as a real change): "
            "grant get/list/patch on deployments.apps, horizontalpodautoscalers.autoscaling and "
            "nodepools.karpenter.sh (create too for new NodePools), list on nodes, pods, poddisruptionbudgets "
            "and daemonsets.apps (deploy/base/clusterrole.yaml has them all)"
        )
    if status == 404:
        return " — the object or API does not exist in this cluster"
    if status >= 500:
        return " — the API server failed; retry, and check its health"
    return ""


def status_error(cluster: str, status: int, body: Any, *, action: str = "") -> ApiStatusError:
    """An `ApiStatusError` from an HTTP status and a (maybe JSON) Status body."""
    reason, message, conflicts = "Error", "", []
    if isinstance(body, Mapping):
        reason = str(body.get("reason") or reason)
        message = str(body.get("message") or "")
        for cause in (body.get("details") or {}).get("causes") or ():
            if cause.get("reason") == "FieldManagerConflict" or status == 409:
                conflicts.append(Conflict(str(cause.get("field", "")), str(cause.get("message", ""))))
    elif body:
        message = str(body)[:300]
    return ApiStatusError(cluster, status, reason, message or "no message", action=action, conflicts=conflicts)
