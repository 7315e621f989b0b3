"""A small HTTP server that answers like a Kubernetes API server, for the reader, diff and apply tests.

It keeps objects by REST path, lists collections (with equality label selectors), and implements
server-side apply closely enough to matter: field ownership per manager at leaf level (lists are
atomic leaves), 409 conflicts naming the owner, `force`, fields an applier stops sending are
removed, `dryRun=All` changes nothing. e2e/test_e2e_api_behaviour.py checks these answers against a
real API server. Faults are injected by method and path. Every request is
recorded (method, path, content type, fieldManager, dryRun, force, body). The official `kubernetes`
client is pointed at it through a generated kubeconfig.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

PLURALS = {
    "deployments": ("apps/v1", "Deployment"),
    "daemonsets": ("apps/v1", "DaemonSet"),
    "horizontalpodautoscalers": ("autoscaling/v2", "HorizontalPodAutoscaler"),
    "poddisruptionbudgets": ("policy/v1", "PodDisruptionBudget"),
    "nodepools": ("karpenter.sh/v1", "NodePool"),
    "provisioners": ("karpenter.sh/v1alpha5", "Provisioner"),
    "customresourcedefinitions": ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    "nodes": ("v1", "Node"),
    "pods": ("v1", "Pod"),
}
# Fields a create must set (an apply that creates is validated as a create: 422 without them).
NEEDS_CREATE_FIELDS = {
    "Deployment": (("spec", "selector"), ("spec", "template")),
    "HorizontalPodAutoscaler": (("spec", "scaleTargetRef"), ("spec", "maxReplicas")),
}
_IDENTITY = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    content_type: str | None
    body: Any = None
    at: float = field(default_factory=time.monotonic)  # orders requests across servers

    @property
    def field_manager(self) -> str | None:
        return self.query.get("fieldManager")

    @property
    def dry_run(self) -> str | None:
        return self.query.get("dryRun")

    @property
    def force(self) -> str | None:
        return self.query.get("force")


@dataclass
class Fault:
    method: str
    path_contains: str
    status: int
    times: int = 1
    skip: int = 0
    message: str = "injected fault"


@dataclass
class FakeApiServer:
    """One fake cluster. Use as a context manager; `url` is its address."""

    name: str = "fake"
    auto_ready: bool = True  # play the Deployment controller: available = spec.replicas
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    owners: dict[str, dict[tuple[str, ...], set[str]]] = field(default_factory=dict)
    applied: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    kubernetes_version: str = "v1.30.2"  # what GET /version reports
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _version: int = 1

    # -- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> FakeApiServer:
        handler = _handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- test helpers -------------------------------------------------------------------------------
    def seed(self, obj: dict[str, Any], manager: str = "helm") -> None:
        """Store an object as if `manager` created it (it owns every field)."""
        obj = json.loads(json.dumps(obj))  # no shared sub-objects (deepcopy would keep aliasing)
        path = path_of(obj)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("generation", 1)
        meta["resourceVersion"] = str(self._bump())
        meta["managedFields"] = [_managed(manager, obj["apiVersion"], "Update")]
        self.objects[path] = obj
        self.owners[path] = {leaf: {manager} for leaf, _ in _leaves(obj) if leaf not in _IDENTITY}
        meta["managedFields"][0]["fieldsV1"] = _fields_v1(self.owners[path], manager)

    def fail(
        self,
        method: str,
        path_contains: str,
        status: int,
        *,
        times: int = 1,
        skip: int = 0,
        message: str = "injected fault",
    ) -> None:
        self.faults.append(Fault(method, path_contains, status, times, skip, message))

    def get(self, path: str) -> dict[str, Any] | None:
        return self.objects.get(path)

    def writes(self) -> list[Recorded]:
        """PATCH and DELETE requests that were not dry runs."""
        return [r for r in self.requests if r.method in ("PATCH", "DELETE") and r.dry_run is None]

    # -- request handling ---------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        content_type = headers.get("content-type")
        parsed = json.loads(json.dumps(yaml.safe_load(body))) if body else None
        with self._lock:
            self.requests.append(Recorded(method, path, query, content_type, parsed))
            for fault in self.faults:
                if fault.method == method and fault.path_contains in path and fault.times > 0:
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    return fault.status, _status(fault.status, _REASONS.get(fault.status, "Error"), fault.message)
            if method == "GET":
                return self._get(path, query)
            if method == "PATCH":
                return self._apply(path, query, content_type, parsed)
            if method == "DELETE":
                return self._delete(path, query)
        return 405, _status(405, "MethodNotAllowed", method)

    def _get(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/version":
            major, minor = self.kubernetes_version.lstrip("v").split(".")[:2]
            return 200, {
                "major": major,
                "minor": minor,
                "gitVersion": self.kubernetes_version,
                "platform": "linux/amd64",
            }
        last = path.rsplit("/", 1)[-1]
        if last in PLURALS:
            api_version, kind = PLURALS[last]
            items = [copy.deepcopy(o) for p, o in sorted(self.objects.items()) if _in_collection(p, path)]
            items = [o for o in items if _selected(o, query.get("labelSelector"))]
            for item in items:  # like a real server (e2e pins it): list items carry no apiVersion/kind
                item.pop("apiVersion", None)
                item.pop("kind", None)
            return 200, {
                "apiVersion": api_version,
                "kind": f"{kind}List",
                "metadata": {"resourceVersion": str(self._version)},
                "items": items,
            }
        obj = self.objects.get(path)
        if obj is None:
            return 404, _status(404, "NotFound", f"{path} not found")
        return 200, copy.deepcopy(obj)

    def _delete(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path not in self.objects:
            return 404, _status(404, "NotFound", f"{path} not found")
        if query.get("dryRun") != "All":
            del self.objects[path]
            self.owners.pop(path, None)
            for key in [k for k in self.applied if k[0] == path]:
                del self.applied[key]
        return 200, _status(200, "", "deleted")

    def _apply(self, path: str, query: dict[str, str], content_type: str | None, body: Any) -> tuple[int, Any]:
        if content_type != "application/apply-patch+yaml":
            return 415, _status(415, "UnsupportedMediaType", f"this fake only speaks server-side apply: {content_type}")
        manager = query.get("fieldManager")
        if not manager:
            return 422, _status(
                422,
                "Invalid",
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
            )
        if not isinstance(body, dict) or path_of(body) != path:
            return 400, _status(400, "BadRequest", "body does not name the object in the path")
        existing = self.objects.get(path)
        missing = [".".join(f) for f in NEEDS_CREATE_FIELDS.get(body["kind"], ()) if _at(body, f) is None]
        if existing is None and missing:
            return 422, _status(
                422,
                "Invalid",
                f"{body['kind']} {path.rsplit('/', 1)[-1]} is invalid: "
                + "; ".join(f"{m}: Required value" for m in missing),
            )
        force = query.get("force") == "true"
        owners = copy.deepcopy(self.owners.get(path, {}))
        result = copy.deepcopy(existing) if existing else {}
        conflicts = []
        for leaf, value in _leaves(body):
            if leaf in _IDENTITY:
                continue
            others = owners.get(leaf, set()) - {manager}
            if others and _at(result, leaf) != value and not force:
                conflicts.append((leaf, sorted(others)[0]))
        if conflicts:
            causes = [
                {
                    "reason": "FieldManagerConflict",
                    "message": f'conflict with "{m}" using {body["apiVersion"]}',
                    "field": "." + ".".join(leaf),
                }
                for leaf, m in conflicts
            ]
            message = f"Apply failed with {len(causes)} conflict(s): " + "; ".join(
                f"{c['message']}: {c['field']}" for c in causes
            )
            status = _status(409, "Conflict", message)
            status["details"] = {"causes": causes}
            return 409, status
        new_leaves = {leaf for leaf, _ in _leaves(body)}
        for leaf, _ in _leaves(self.applied.get((path, manager), {})):
            if leaf in new_leaves or leaf in _IDENTITY:
                continue
            holders = owners.get(leaf, set())
            holders.discard(manager)
            if not holders:
                owners.pop(leaf, None)
                _remove(result, leaf)
        for leaf, value in _leaves(body):
            if leaf in _IDENTITY:
                continue
            if _at(result, leaf) != value:  # force takes a conflicting field; an equal value stays shared
                owners[leaf] = {manager}
            else:
                owners.setdefault(leaf, set()).add(manager)
            _put(result, leaf, copy.deepcopy(value))
        meta = result.setdefault("metadata", {})
        for key in ("apiVersion", "kind"):
            result[key] = body[key]
        meta["name"] = body["metadata"]["name"]
        if body["metadata"].get("namespace"):
            meta["namespace"] = body["metadata"]["namespace"]
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
        before_spec = (existing or {}).get("spec")
        meta["generation"] = int(meta.get("generation", 0)) + (1 if result.get("spec") != before_spec else 0)
        managers = sorted({m for holders in owners.values() for m in holders})
        meta["managedFields"] = [
            _managed(m, body["apiVersion"], "Apply" if m == manager else "Update", _fields_v1(owners, m))
            for m in managers
        ]
        if query.get("dryRun") == "All":
            return (200 if existing else 201), result
        meta["resourceVersion"] = str(self._bump())
        if self.auto_ready and result["kind"] == "Deployment":
            replicas = result.get("spec", {}).get("replicas", 1)
            result["status"] = {
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
                "observedGeneration": meta["generation"],
            }
        self.objects[path] = result
        self.owners[path] = owners
        self.applied[(path, manager)] = copy.deepcopy(body)
        if self.auto_ready and result["kind"] == "HorizontalPodAutoscaler":
            self._autoscale(result)
        return (200 if existing else 201), copy.deepcopy(result)

    def _autoscale(self, hpa: dict[str, Any]) -> None:
        """Play the HPA controller: raise the target's replicas to minReplicas (an Update it owns)."""
        ref = hpa["spec"].get("scaleTargetRef", {})
        path = f"/apis/apps/v1/namespaces/{hpa['metadata']['namespace']}/deployments/{ref.get('name')}"
        target = self.objects.get(path)
        floor = hpa["spec"].get("minReplicas", 1)
        if target is None or target["spec"].get("replicas", 1) in (0,) or target["spec"].get("replicas", 1) >= floor:
            return
        target["spec"]["replicas"] = floor
        target["status"] = {
            "replicas": floor,
            "updatedReplicas": floor,
            "readyReplicas": floor,
            "availableReplicas": floor,
            "observedGeneration": target["metadata"].get("generation", 1),
        }
        self.owners.setdefault(path, {})[("spec", "replicas")] = {"kube-controller-manager"}

    def _bump(self) -> int:
        self._version += 1
        return self._version


_REASONS = {
    400: "BadRequest",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    422: "Invalid",
    500: "InternalError",
    503: "ServiceUnavailable",
}


def path_of(obj: dict[str, Any]) -> str:
    api_version, kind = obj["apiVersion"], obj["kind"]
    plural = next(p for p, (v, k) in PLURALS.items() if k == kind and (v == api_version or k in ("NodePool",)))
    root = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    namespace = obj["metadata"].get("namespace")
    middle = f"/namespaces/{namespace}" if namespace else ""
    return f"{root}{middle}/{plural}/{obj['metadata']['name']}"


def write_kubeconfig(path: Path, servers: dict[str, str], current: str | None = None) -> Path:
    """A kubeconfig with one context per `{context: server URL}` (token auth)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": url}} for n, url in servers.items()],
        "users": [{"name": "tester", "user": {"token": "test-token"}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "tester"}} for n in servers],
        "current-context": current or next(iter(servers)),
    }
    path.write_text(yaml.safe_dump(config))
    return path


def _handler(server: FakeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once: no delayed-ACK stalls
        wbufsize = -1

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = server.handle(self.command, self.path, headers, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PATCH = do_DELETE = do_POST = do_PUT = _serve

        def log_message(self, *args: object) -> None:
            return

    return Handler


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure" if code >= 400 else "Success",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _managed(manager: str, api_version: str, operation: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields or {},
    }


def _fields_v1(owners: dict[tuple[str, ...], set[str]], manager: str) -> dict[str, Any]:
    """The manager's field set in the FieldsV1 shape (`{"f:spec": {"f:replicas": {}}}`); lists are
    whole leaves here (a real server also keys list items, e.g. `k:{"name":"app"}`)."""
    fields: dict[str, Any] = {}
    for leaf, holders in sorted(owners.items()):
        if manager not in holders:
            continue
        node = fields
        for key in leaf:
            node = node.setdefault(f"f:{key}", {})
    return fields


def _leaves(obj: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if not prefix and not (isinstance(obj, dict) and obj):
        return []
    if isinstance(obj, dict) and obj:
        out = []
        for key, value in obj.items():
            if (prefix == () and key == "status") or (
                prefix == ("metadata",)
                and key in ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp")
            ):
                continue
            out.extend(_leaves(value, (*prefix, key)))
        return out
    return [(prefix, obj)]


def _at(obj: Any, leaf: tuple[str, ...]) -> Any:
    for key in leaf:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _put(obj: dict[str, Any], leaf: tuple[str, ...], value: Any) -> None:
    for key in leaf[:-1]:
        if not isinstance(obj.get(key), dict):
            obj[key] = {}
        obj = obj[key]
    obj[leaf[-1]] = value


def _remove(obj: dict[str, Any], leaf: tuple[str, ...]) -> None:
    chain = [obj]
    for key in leaf[:-1]:
        nxt = chain[-1].get(key)
        if not isinstance(nxt, dict):
            return
        chain.append(nxt)
    chain[-1].pop(leaf[-1], None)
    for depth in range(len(leaf) - 1, 0, -1):  # drop maps left empty
        if not chain[depth]:
            chain[depth - 1].pop(leaf[depth - 1], None)


def _in_collection(object_path: str, collection: str) -> bool:
    if object_path.startswith(collection + "/") and "/" not in object_path[len(collection) + 1 :]:
        return True
    match = re.fullmatch(r"(/apis?(?:/[^/]+)?/[^/]+)/([^/]+)", collection)
    if not match or "/namespaces/" in collection:
        return False
    root, plural = match.groups()
    return (
        re.fullmatch(re.escape(root) + r"/namespaces/[^/]+/" + re.escape(plural) + r"/[^/]+", object_path) is not None
    )


def _selected(obj: dict[str, Any], selector: str | None) -> bool:
    if not selector:
        return True
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in selector.split(","):
        key, _, value = term.partition("=")
        if labels.get(key.strip()) != value.strip():
            return False
    return True
