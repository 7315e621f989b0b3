"""`ClusterApi` on the official `kubernetes` client — the one module that imports it.

Server-side apply goes through the generated `CustomObjectsApi.patch_*_custom_object` methods with
`_content_type="application/apply-patch+yaml"` (kubernetes ≥ 36, REFERENCE §3), which take any
`/apis/<group>/<version>` resource, built-in or CRD, without API discovery. Core objects (nodes,
pods) are read with `CoreV1Api`. Responses are read raw (`_preload_content=False`) and parsed as
JSON: the generated methods only deserialize 200 bodies, and an apply that creates answers 201.
Every call has a timeout and no retries, so an unreachable cluster fails fast with a message naming
the cluster and its server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from placement.kube.api import (
    ClusterUnreachable,
    resource_of,
    status_error,
)
from placement.patches.build import ObjectRef
from placement.patches.kube_features import parse_version
from placement.patches.labels import FIELD_MANAGER
from placement.scenario import Cluster

APPLY_PATCH = "application/apply-patch+yaml"
DEFAULT_TIMEOUT_S = 10.0


class KubeClient:
    """One cluster's API server through an injected `kubernetes.client.ApiClient`."""

    def __init__(
        self, cluster: str, api_client: Any, *, timeout_s: float = DEFAULT_TIMEOUT_S, field_manager: str = FIELD_MANAGER
    ) -> None:
        from kubernetes import client

        self.cluster = cluster
        self.api_client = api_client
        self.timeout_s = timeout_s
        self.field_manager = field_manager
        self._custom = client.CustomObjectsApi(api_client)
        self._core = client.CoreV1Api(api_client)

    @property
    def server(self) -> str:
        return str(self.api_client.configuration.host)

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        group, version, plural, namespaced = _parts(ref.api_version, ref.kind)
        try:
            if namespaced:
                return self._call(
                    f"get {ref}",
                    self._custom.get_namespaced_custom_object,
                    group,
                    version,
                    ref.namespace,
                    plural,
                    ref.name,
                )
            return self._call(f"get {ref}", self._custom.get_cluster_custom_object, group, version, plural, ref.name)
        except _NotFound:
            return None

    def list(
        self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        action = f"list {kind}" + (f" in {namespace}" if namespace else "")
        selector = {"label_selector": label_selector} if label_selector else {}
        if api_version == "v1":
            return self._list_core(kind, namespace, selector, action)
        group, version, plural, namespaced = _parts(api_version, kind)
        try:
            if namespaced and namespace:
                result = self._call(
                    action, self._custom.list_namespaced_custom_object, group, version, namespace, plural, **selector
                )
            else:
                result = self._call(action, self._custom.list_cluster_custom_object, group, version, plural, **selector)
        except _NotFound:
            return []  # the API (e.g. a Karpenter version) is not served here
        return list(result.get("items") or [])

    def apply(self, body: Mapping[str, Any], *, force: bool = False, dry_run: bool = False) -> dict[str, Any]:
        ref = ObjectRef(body["apiVersion"], body["kind"], body["metadata"]["name"], body["metadata"].get("namespace"))
        group, version, plural, namespaced = _parts(ref.api_version, ref.kind)
        options: dict[str, Any] = {"field_manager": self.field_manager, "_content_type": APPLY_PATCH}
        if force:
            options["force"] = True
        if dry_run:
            options["dry_run"] = "All"
        action = f"{'dry-run ' if dry_run else ''}apply {ref}"
        try:
            if namespaced:
                return self._call(
                    action,
                    self._custom.patch_namespaced_custom_object,
                    group,
                    version,
                    ref.namespace,
                    plural,
                    ref.name,
                    dict(body),
                    **options,
                )
            return self._call(
                action,
                self._custom.patch_cluster_custom_object,
                group,
                version,
                plural,
                ref.name,
                dict(body),
                **options,
            )
        except _NotFound as missing:
            raise status_error(self.cluster, 404, missing.body, action=f"{action}: ") from None

    def delete(self, ref: ObjectRef, *, dry_run: bool = False) -> None:
        group, version, plural, namespaced = _parts(ref.api_version, ref.kind)
        options = {"dry_run": "All"} if dry_run else {}
        try:
            if namespaced:
                self._call(
                    f"delete {ref}",
                    self._custom.delete_namespaced_custom_object,
                    group,
                    version,
                    ref.namespace,
                    plural,
                    ref.name,
                    **options,
                )
            else:
                self._call(
                    f"delete {ref}",
                    self._custom.delete_cluster_custom_object,
                    group,
                    version,
                    plural,
                    ref.name,
                    **options,
                )
        except _NotFound:
            return

    def server_version(self) -> tuple[int, int] | None:
        from kubernetes import client

        try:
            return parse_version(self._call("get version", client.VersionApi(self.api_client).get_code))
        except _NotFound:
            return None

    # -- internals -----------------------------------------------------------------------------------
    def _list_core(
        self, kind: str, namespace: str | None, selector: dict[str, str], action: str
    ) -> list[dict[str, Any]]:
        if kind == "Node":
            result = self._call(action, self._core.list_node, **selector)
        elif kind == "Pod" and namespace:
            result = self._call(action, self._core.list_namespaced_pod, namespace, **selector)
        elif kind == "Pod":
            result = self._call(action, self._core.list_pod_for_all_namespaces, **selector)
        else:
            raise ValueError(f"placement does not list core {kind}")
        return list(result.get("items") or [])

    def _call(self, action: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        prefix = f"{action}: "
        try:
            response = method(*args, _request_timeout=self.timeout_s, _preload_content=False, **kwargs)
            return _json(response.data) if response.data else {}
        except ApiException as error:
            body = _json(error.body)
            if error.status == 404:
                raise _NotFound(body) from None
            if not error.status:
                message = f"{prefix}no answer from {self.server}: {error.reason}"
                raise ClusterUnreachable(self.cluster, message) from None
            raise status_error(self.cluster, int(error.status), body, action=prefix) from None
        except (HTTPError, OSError) as error:
            raise ClusterUnreachable(
                self.cluster,
                f"{prefix}API server {self.server} unreachable ({type(error).__name__}: {error}); "
                "check the kubeconfig context, VPN and the cluster's health",
            ) from None


class _NotFound(Exception):
    def __init__(self, body: Any) -> None:
        super().__init__("not found")
        self.body = body


def _parts(api_version: str, kind: str) -> tuple[str, str, str, bool]:
    resource = resource_of(api_version, kind)
    group, _, version = api_version.rpartition("/")
    return group, version, resource.plural, resource.namespaced


def _json(body: Any) -> Any:
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


# -- connecting ---------------------------------------------------------------------------------------


def connect(
    cluster: Cluster,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    only_cluster: bool = False,
) -> KubeClient:
    """A client for one scenario cluster: its `context` (or `context` given here) from the
    kubeconfig, or the in-cluster service account when it names no context and runs in a pod.
    `only_cluster` allows the kubeconfig's current context for a one-cluster fleet."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    chosen = context or cluster.context
    configuration = client.Configuration()
    try:
        if chosen is None and os.environ.get("KUBERNETES_SERVICE_HOST") and not kubeconfig:
            config.load_incluster_config(client_configuration=configuration)
        elif chosen is None and not only_cluster:
            raise ClusterUnreachable(
                cluster.name, "no kube context: set clusters[].context in the scenario or pass --context"
            )
        else:
            config.load_kube_config(
                config_file=kubeconfig, context=chosen, client_configuration=configuration, persist_config=False
            )
    except (ConfigException, OSError, TypeError, ValueError) as error:
        where = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        raise ClusterUnreachable(
            cluster.name,
            f"cannot use context {chosen!r} from {where}: {error}; "
            "check --kubeconfig/--context (kubectl config get-contexts)",
        ) from None
    configuration.retries = 0
    return KubeClient(cluster.name, client.ApiClient(configuration), timeout_s=timeout_s)


def connect_fleet(
    clusters: list[Cluster],
    *,
    kubeconfig: str | None = None,
    contexts: list[str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, KubeClient]:
    """Clients for the scenario clusters; `contexts` (kubectl's `--context`, repeatable) limits the
    run to clusters using those contexts — or, for a one-cluster scenario, names the context to use."""
    if not contexts:
        return {
            c.name: connect(c, kubeconfig=kubeconfig, timeout_s=timeout_s, only_cluster=len(clusters) == 1)
            for c in clusters
        }
    chosen = [c for c in clusters if c.context in contexts or c.name in contexts]
    if not chosen and len(clusters) == 1 and len(contexts) == 1:
        return {clusters[0].name: connect(clusters[0], kubeconfig=kubeconfig, context=contexts[0], timeout_s=timeout_s)}
    unknown = [x for x in contexts if not any(x in (c.context, c.name) for c in clusters)]
    if unknown:
        names = ", ".join(f"{c.name} (context {c.context})" for c in clusters)
        raise ClusterUnreachable(unknown[0], f"no scenario cluster uses context {unknown[0]!r}; clusters: {names}")
    return {c.name: connect(c, kubeconfig=kubeconfig, timeout_s=timeout_s) for c in chosen}


def current_context(kubeconfig: str | None = None) -> str | None:
    """The kubeconfig's current context name, or None (no kubeconfig: in-cluster)."""
    from kubernetes import config
    from kubernetes.config.config_exception import ConfigException

    try:
        _, active = config.list_kube_config_contexts(config_file=kubeconfig)
    except (ConfigException, OSError, TypeError):
        return None
    return str(active["name"]) if active else None
