"""A cluster's DaemonSets → the per-node overhead `clusters[].daemonsets` declares: what the DaemonSet
pods take out of every node placement's pods land on (`pricing.nodes.allocatable` subtracts it).

**Per DaemonSet**, the effective requests of its pod, as the scheduler counts them (Kubernetes'
`PodRequests`, k8s.io/component-helpers/resource): the app containers' requests summed; each init
container runs alone (plus the sidecars started before it), so the pod needs
max(that, the containers' sum) — with sidecars (init containers with `restartPolicy: Always`, 1.28+)
added to the containers' sum too; pod-level `resources.requests` (1.32+) replace the aggregate where
set; `overhead` is added. A container with a limit but no request gets the limit as its request, as
the API server defaults every Pod the DaemonSet creates (the template itself is not defaulted). Each
DaemonSet takes one pod slot. Summed over DaemonSets: `cpu` in cores, `memory` in GiB, `pods`.

**Which DaemonSets count**: those whose pod would run on a node placement's pods run on — a Linux
worker. The template's `nodeSelector` and required node affinity are checked against the labels
such a node has (`kubernetes.io/os=linux`, `kubernetes.io/arch` amd64 or arm64, no control-plane
role; also their `beta.` spellings): a DaemonSet for control-plane nodes only, or for another OS,
never runs there and is left out. A term on any other label (node pools, instance types, GPUs) is
assumed to match — placement cannot know which labels its nodes will carry, and the node that
hosts its pods pays for every DaemonSet that lands there, so counting is the conservative choice.
Taints are not considered either (a DaemonSet that does not tolerate a spot taint is still counted).
DaemonSets pinned to one architecture count on that architecture's nodes; the overhead is the larger
of the amd64 and arm64 figures, per resource. A DaemonSet being deleted is left out.

Not seen: static pods (GKE's kube-proxy on older node images), a RuntimeClass's pod overhead (set on
Pods at admission, not on the template) and LimitRange defaults; declare `daemonsets` in the
scenario when these matter. No DaemonSets at all reads as zero overhead: that is what the nodes run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from placement.live import DaemonsetReading
from placement.load.quantity import QuantityError, parse_cpu, parse_memory_gib
from placement.patches.labels import (
    ARCH,
    CONTROL_PLANE_ROLE,
    DEPRECATED_ARCH,
    DEPRECATED_MASTER_ROLE,
    DEPRECATED_OS,
    OS,
)
from pricing.nodes import DaemonsetOverhead
from pricing.offer import ARCHITECTURES

_CONTROL_PLANE = (CONTROL_PLANE_ROLE, DEPRECATED_MASTER_ROLE)
_Parse = Callable[[object], float]
_RESOURCES: Mapping[str, _Parse] = {"cpu": parse_cpu, "memory": parse_memory_gib}


def daemonset_overhead(daemonsets: Iterable[Mapping[str, Any]]) -> DaemonsetReading:
    """The per-node overhead of `daemonsets` (apps/v1 DaemonSet objects) on placement's nodes.
    Raises `ValueError` naming the DaemonSet and field for a request that is not a quantity."""
    per_arch = dict.fromkeys(ARCHITECTURES, DaemonsetOverhead(cpu=0.0, memory_gib=0.0, pods=0))
    counted: list[str] = []
    skipped: list[tuple[str, str]] = []
    for daemonset in sorted(daemonsets, key=_name):
        if (daemonset.get("metadata") or {}).get("deletionTimestamp"):
            continue
        pod = ((daemonset.get("spec") or {}).get("template") or {}).get("spec") or {}
        runs_on = [arch for arch in ARCHITECTURES if _unmet(pod, _worker_labels(arch)) is None]
        if not runs_on:
            skipped.append((_name(daemonset), _unmet(pod, _worker_labels(ARCHITECTURES[0])) or ""))
            continue
        try:
            cpu, memory_gib = pod_requests(pod)
        except QuantityError as error:
            raise ValueError(f"DaemonSet {_name(daemonset)}: {error}") from None
        counted.append(_name(daemonset))
        for arch in runs_on:
            total = per_arch[arch]
            per_arch[arch] = DaemonsetOverhead(total.cpu + cpu, total.memory_gib + memory_gib, total.pods + 1)
    overhead = DaemonsetOverhead(
        cpu=max(o.cpu for o in per_arch.values()),
        memory_gib=max(o.memory_gib for o in per_arch.values()),
        pods=max(o.pods for o in per_arch.values()),
    )
    return DaemonsetReading(overhead, tuple(counted), tuple(skipped))


def pod_requests(pod: Mapping[str, Any]) -> tuple[float, float]:
    """(cpu cores, memory GiB) the scheduler reserves for a pod with this spec (module docstring)."""
    totals: dict[str, float] = {}
    for resource, parse in _RESOURCES.items():
        app = sum(_request(c, resource, parse) for c in pod.get("containers") or ())
        sidecars = init_peak = 0.0
        for container in pod.get("initContainers") or ():
            request = _request(container, resource, parse)
            if container.get("restartPolicy") == "Always":  # a sidecar: runs through the app containers' life
                app += request
                sidecars += request
                init_peak = max(init_peak, sidecars)
            else:
                init_peak = max(init_peak, request + sidecars)
        total = max(app, init_peak)
        pod_level = ((pod.get("resources") or {}).get("requests") or {}).get(resource)
        if pod_level is not None:
            total = _parse(parse, pod_level, f"resources.requests.{resource}")
        overhead = (pod.get("overhead") or {}).get(resource)
        if overhead is not None:
            total += _parse(parse, overhead, f"overhead.{resource}")
        totals[resource] = total
    return totals["cpu"], totals["memory"]


# -- internals -------------------------------------------------------------------------------------


def _request(container: Mapping[str, Any], resource: str, parse: _Parse) -> float:
    """The container's request, else its limit (the API server's defaulting of Pods)."""
    resources = container.get("resources") or {}
    for field in ("requests", "limits"):
        value = (resources.get(field) or {}).get(resource)
        if value is not None:
            return _parse(parse, value, f"container {container.get('name', '?')} {field}.{resource}")
    return 0.0


def _parse(parse: _Parse, value: object, where: str) -> float:
    try:
        return float(parse(value))
    except QuantityError as error:
        raise QuantityError(f"{where} {value!r}: {error}") from None


def _worker_labels(arch: str) -> dict[str, str]:
    """The labels a Linux worker node of `arch` has, among the keys this module judges by."""
    return {OS: "linux", DEPRECATED_OS: "linux", ARCH: arch, DEPRECATED_ARCH: arch}


def _known(key: str) -> bool:
    return key in (OS, DEPRECATED_OS, ARCH, DEPRECATED_ARCH, *_CONTROL_PLANE)


def _unmet(pod: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    """Why a pod with this spec never runs on a node with `labels` (None: it may run there)."""
    for key, value in (pod.get("nodeSelector") or {}).items():
        if _known(key) and labels.get(key) != value:
            return _why(key, "In", [value])
    required = (
        ((pod.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution")
        or {}
    ).get("nodeSelectorTerms")
    if required is None:
        return None
    reasons = [_term_unmet(term or {}, labels) for term in required]  # terms are ORed
    if any(reason is None for reason in reasons):
        return None
    return reasons[0] if reasons else "its node affinity has no terms"


def _term_unmet(term: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    expressions = term.get("matchExpressions") or ()
    if not expressions and not term.get("matchFields"):
        return "an empty node selector term matches no node"
    for expression in expressions:  # ANDed; matchFields (node names) are assumed to match
        key, operator, values = expression.get("key", ""), expression.get("operator", ""), expression.get("values")
        if _known(key) and not _holds(labels.get(key), operator, list(values or ())):
            return _why(key, operator, list(values or ()))
    return None


def _holds(value: str | None, operator: str, values: list[str]) -> bool:
    """A node selector requirement on a label whose value is `value` (None: the node lacks it)."""
    if operator == "In":
        return value is not None and value in values
    if operator == "NotIn":
        return value is None or value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    return False  # Gt/Lt: none of the judged labels is a number


def _why(key: str, operator: str, values: list[str]) -> str:
    if key in _CONTROL_PLANE:
        return "control-plane nodes only"
    wanted = f"{key} {operator} {values}" if values else f"{key} {operator}"
    return f"needs {wanted}: never a Linux amd64/arm64 worker"


def _name(daemonset: Mapping[str, Any]) -> str:
    meta = daemonset.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"
