"""A kubelet stand-in (what kwok does, in a thread): registers Node objects with the labels a cloud
would set, removes the `not-ready` taint they are born with, keeps their `Ready` condition and
allocatable in `status`, marks pods bound to them Running and Ready, and finishes the deletion of
pods that are terminating (as a kubelet does once containers stop; finalizers still hold them)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One node as a cloud would register it."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    provider_id: str = ""
    cpu: str = "8"
    memory: str = "32Gi"
    pods: str = "110"


class KubeletStandIn:
    """Plays the kubelet of `nodes` against one API server (an admin `kubernetes.client.ApiClient`)."""

    def __init__(self, api_client: Any, nodes: Sequence[NodeSpec], *, poll_s: float = 0.5) -> None:
        from kubernetes import client

        self.core = client.CoreV1Api(api_client)
        self.nodes = {n.name: n for n in nodes}
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._finished: set[str] = set()
        self.errors: list[str] = []

    def start(self) -> KubeletStandIn:
        for node in self.nodes.values():
            self.register(node)
        self._thread = threading.Thread(target=self._run, name="kubelet-stand-in", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def register(self, node: NodeSpec) -> None:
        """Create the Node, drop its birth taints, report it Ready with its allocatable."""
        from kubernetes.client.exceptions import ApiException

        body = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node.name, "labels": {"kubernetes.io/hostname": node.name, **node.labels}},
            "spec": {"providerID": node.provider_id} if node.provider_id else {},
        }
        try:
            self.core.create_node(body)
        except ApiException as error:
            if error.status != 409:
                raise
        self.core.patch_node(node.name, {"spec": {"taints": None}})
        self._report(node)

    def tick(self) -> None:
        """One pass: nodes still Ready, bound pods Running, terminating pods gone."""
        for node in self.nodes.values():
            current = self.core.read_node(node.name)
            ready = any(c.type == "Ready" and c.status == "True" for c in (current.status.conditions or ()))
            if not ready or current.spec.taints:
                if current.spec.taints:
                    self.core.patch_node(node.name, {"spec": {"taints": None}})
                self._report(node)
        for pod in self.core.list_pod_for_all_namespaces().items:
            if pod.spec.node_name not in self.nodes:
                continue
            if pod.metadata.deletion_timestamp is not None:
                self._finish(pod)
            elif pod.status.phase != "Running":
                self._run_pod(pod)

    # -- internals -----------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.tick()
            except Exception as error:  # the API server may be stopped by a test; keep trying
                self.errors.append(f"{type(error).__name__}: {error}"[:300])
                del self.errors[:-20]

    def _report(self, node: NodeSpec) -> None:
        now = _now()
        resources = {"cpu": node.cpu, "memory": node.memory, "pods": node.pods}
        status = {
            "capacity": resources,
            "allocatable": resources,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet stand-in",
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                }
            ],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": node.name}],
            "nodeInfo": {
                "architecture": node.labels.get("kubernetes.io/arch", "amd64"),
                "operatingSystem": "linux",
                "kubeletVersion": "v1.24.1",
                "kubeProxyVersion": "v1.24.1",
                "osImage": "stand-in",
                "kernelVersion": "",
                "containerRuntimeVersion": "",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
            },
        }
        self.core.patch_node_status(node.name, {"status": status})

    def _run_pod(self, pod: Any) -> None:
        now = _now()
        conditions = [
            {"type": t, "status": "True", "lastTransitionTime": now}
            for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
        ]
        containers = [
            {
                "name": c.name,
                "image": c.image,
                "imageID": "",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": now}},
            }
            for c in pod.spec.containers
        ]
        status = {
            "phase": "Running",
            "conditions": conditions,
            "containerStatuses": containers,
            "hostIP": "127.0.0.1",
            "podIP": "10.244.0.1",
            "podIPs": [{"ip": "10.244.0.1"}],
            "startTime": now,
        }
        self._ignore_gone(
            self.core.patch_namespaced_pod_status, pod.metadata.name, pod.metadata.namespace, {"status": status}
        )

    def _finish(self, pod: Any) -> None:
        if pod.metadata.uid in self._finished:
            return
        self._finished.add(pod.metadata.uid)
        self._ignore_gone(
            self.core.delete_namespaced_pod, pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0
        )

    def _ignore_gone(self, method: Any, *args: Any, **kwargs: Any) -> None:
        from kubernetes.client.exceptions import ApiException

        try:
            method(*args, **kwargs)
        except ApiException as error:
            if error.status not in (404, 409):
                raise


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
