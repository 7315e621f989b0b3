"""Live clusters → the same `Scenario` the YAML path builds.

The clusters are read (`placement.kube.read`), turned into a scenario *document* in the
`placement.dev/v1alpha1` schema — optionally on top of a base scenario file that supplies user
regions, latency, prices, planning and per-cluster limits — and that document goes through the
YAML loader's own validation (`placement.load.scenario.build_scenario`). `placement scenario
export` writes the document out.

Deployment annotations use the Scenario's field meanings:
`placement.dev/residency: "EU,CH"`, `placement.dev/latency-ms: "80"`,
`placement.dev/users: "eu-west=0.7,us-east=0.3"` (or JSON), `placement.dev/spot-max-fraction: "0.5"`,
`placement.dev/min-clusters: "2"`, `placement.dev/min-available: "3"` (else the PDB's floor),
`placement.dev/replicas: "12"` (peak demand; else today's replicas summed over clusters),
`placement.dev/egress-gb-per-hour: "4"`, `placement.dev/spot-max-cluster-share: "0.5"`,
`placement.dev/architectures: "amd64,arm64"` (else the pod template's ``kubernetes.io/arch``
nodeSelector, else amd64 only).

Each cluster's `daemonsets` are what its DaemonSets request per node (`placement.kube.daemonsets`),
unless the base scenario or policy declares them; `daemonset_notes` says which, for the commands'
notes and the run's log.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from placement.errors import InvalidScenario, Problem
from placement.kube.api import ClusterApi
from placement.kube.read import ObservedCluster, read_cluster
from placement.live import LiveCluster
from placement.patches import labels as keys
from placement.scenario import API_VERSION, Replicas, Scenario
from pricing.nodes import DaemonsetOverhead

_NUMBER = (keys.LATENCY_MS, keys.SPOT_MAX_FRACTION, keys.EGRESS_GB_PER_HOUR, keys.SPOT_MAX_CLUSTER_SHARE)
_LIST = (keys.RESIDENCY, keys.ARCHITECTURES)
_INTEGER = (keys.MIN_CLUSTERS, keys.MIN_AVAILABLE, keys.REPLICAS)


def read_live(apis: Mapping[str, ClusterApi], scenario: Scenario) -> dict[str, LiveCluster]:
    """What each cluster runs today for the scenario's workloads (for diff and apply). The scenario's
    own `daemonsets` stay what it plans with, so its clusters' DaemonSets are not read."""
    names = [w.key for w in scenario.workloads]
    contexts = {c.name: c.context for c in scenario.clusters}
    return {
        name: read_cluster(api, context=contexts.get(name), keys=names, annotated=False, daemonsets=False).live
        for name, api in apis.items()
    }


def read_fleet(
    apis: Mapping[str, ClusterApi],
    *,
    contexts: Mapping[str, str | None] | None = None,
    namespace: str | None = None,
    selector: str | None = None,
    base: Mapping[str, Any] | None = None,
) -> list[ObservedCluster]:
    base_keys = [f"{w.get('namespace', 'default')}/{w.get('name')}" for w in _spec(base).get("workloads") or ()]
    return [
        read_cluster(
            api,
            context=(contexts or {}).get(name),
            namespace=namespace,
            selector=selector,
            keys=base_keys,
            annotated=True,
        )
        for name, api in apis.items()
    ]


def scenario_document(
    observed: Sequence[ObservedCluster], *, base: Mapping[str, Any] | None = None, name: str = "live"
) -> dict[str, Any]:
    """A scenario document: the base's settings, clusters and workloads as the clusters report them.
    Raises `InvalidScenario` for annotations that cannot be read."""
    document = (
        copy.deepcopy(dict(base))
        if base
        else {"apiVersion": API_VERSION, "kind": "Scenario", "metadata": {"name": name}, "spec": {}}
    )
    spec = document.setdefault("spec", {})
    problems: list[Problem] = []
    base_clusters = {c.get("name"): c for c in spec.get("clusters") or ()}
    spec["clusters"] = [_cluster(o.live, base_clusters.get(o.live.name), problems) for o in observed]
    base_workloads = {f"{w.get('namespace', 'default')}/{w.get('name')}": w for w in spec.get("workloads") or ()}
    found = list(dict.fromkeys([*base_workloads, *(k for o in observed for k in o.deployments)]))
    spec["workloads"] = [
        _workload(key, observed, base_workloads.get(key), problems)
        for key in found
        if key in base_workloads or any(key in o.deployments for o in observed)
    ]
    if problems:
        raise InvalidScenario("live clusters", problems)
    return document


def daemonset_notes(observed: Sequence[ObservedCluster], *, base: Mapping[str, Any] | None = None) -> list[str]:
    """Where each cluster's `daemonsets` in the scenario document come from: its DaemonSets (with
    the ones left out and why), or the base scenario / policy that declares them (which wins)."""
    declared = {c.get("name"): c.get("daemonsets") for c in _spec(base).get("clusters") or () if isinstance(c, Mapping)}
    notes = []
    for o in observed:
        reading = o.live.daemonsets
        if reading is None:
            continue
        if declared.get(o.live.name) is not None:
            notes.append(
                f"cluster {o.live.name}: daemonsets as declared ({declared[o.live.name]}); "
                f"its DaemonSets request {reading.describe()}"
            )
        else:
            notes.append(f"cluster {o.live.name}: daemonsets read from the cluster: {reading.describe()}")
    return notes


def with_live_current(scenario: Scenario, live: Mapping[str, LiveCluster]) -> Scenario:
    """The scenario with each workload's `current` replaced by what the clusters run today, and each
    cluster's `current_nodes` by the nodes it runs (instance-type labels), which price `before`."""
    workloads = []
    for workload in scenario.workloads:
        current = {
            name: (w.running if w.running.total else Replicas(w.replicas, 0))
            for name, cluster in live.items()
            if (w := cluster.workloads.get(workload.key))
        }
        workloads.append(replace(workload, current=current))
    clusters = tuple(
        replace(c, current_nodes=dict(live[c.name].nodes)) if c.name in live and live[c.name].nodes else c
        for c in scenario.clusters
    )
    return replace(scenario, workloads=tuple(workloads), clusters=clusters)


def build(document: Mapping[str, Any], *, base_dir: Path | None = None, source: str = "live clusters") -> Scenario:
    """Validate the document with the YAML loader and build the Scenario."""
    from placement.load.scenario import build_scenario

    return build_scenario(dict(document), source=source, base_dir=base_dir)


# -- internals -------------------------------------------------------------------------------------


def _spec(document: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return (document or {}).get("spec") or {}


def _cluster(live: LiveCluster, base: Mapping[str, Any] | None, problems: list[Problem]) -> dict[str, Any]:
    entry = copy.deepcopy(dict(base)) if base else {"name": live.name}
    for field, value in (("cloud", live.cloud), ("region", live.region)):
        if value:
            entry[field] = value
        elif field not in entry:
            problems.append(
                Problem(
                    f"clusters.{live.name}.{field}",
                    "",
                    f"no node says its {field} (label "
                    f"{keys.REGION}, providerID): set it in a base scenario (--scenario)",
                )
            )
    entry["autoscaler"] = live.autoscaler
    if live.context and "context" not in entry:
        entry["context"] = live.context
    if live.daemonsets is not None and entry.get("daemonsets") is None:  # declared figures win (daemonset_notes)
        entry["daemonsets"] = _daemonsets(live.daemonsets.overhead)
    return entry


def _daemonsets(overhead: DaemonsetOverhead) -> dict[str, Any]:
    from placement.load.quantity import format_cpu, format_memory

    return {"cpu": format_cpu(overhead.cpu), "memory": format_memory(overhead.memory_gib), "pods": overhead.pods}


def _workload(
    key: str, observed: Sequence[ObservedCluster], base: Mapping[str, Any] | None, problems: list[Problem]
) -> dict[str, Any]:
    namespace, name = key.split("/", 1)
    entry: dict[str, Any] = copy.deepcopy(dict(base)) if base else {}
    entry.update(name=name, namespace=namespace)
    where = [(o.live.name, o.deployments[key], o.live.workloads[key]) for o in observed if key in o.deployments]
    if not where:
        return entry
    cluster, deployment, _ = where[0]
    try:
        requests = _requests(deployment)
    except ValueError as error:
        problems.append(Problem(f"{cluster}:{key} resources.requests", "", f"{error}; fix the Deployment's requests"))
        requests = {}
    if requests:
        entry["resources"] = {**entry.get("resources", {}), **requests}
    policy = _annotations(key, where, problems)
    for annotation, value in policy.items():
        _set(entry, annotation, value)
    if keys.MIN_AVAILABLE not in policy and "minAvailable" not in entry:
        floors = [w.pdb_min_available for _, _, w in where if w.pdb_min_available is not None]
        if floors:
            entry["minAvailable"] = max(floors)
    if keys.ARCHITECTURES not in policy and "architectures" not in entry:
        pinned = _node_selector_arch(deployment)
        if pinned:
            entry["architectures"] = [pinned]
    if keys.REPLICAS not in policy and "demand" not in entry:
        entry["demand"] = {"replicas": sum(w.replicas for _, _, w in where)}
    entry["current"] = {
        cluster: {"onDemand": w.running.on_demand, "spot": w.running.spot}
        if w.running.total
        else {"onDemand": w.replicas, "spot": 0}
        for cluster, _, w in where
    }
    return entry


def _node_selector_arch(deployment: Mapping[str, Any]) -> str | None:
    """The ``kubernetes.io/arch`` the pod template's nodeSelector pins, if any."""
    pod = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    value = (pod.get("nodeSelector") or {}).get(keys.ARCH)
    return value if isinstance(value, str) and value else None


def _requests(deployment: Mapping[str, Any]) -> dict[str, Any]:
    """Per-replica requests summed over the pod's containers, as quantities."""
    from placement.load.quantity import format_cpu, format_memory, parse_cpu, parse_memory_gib

    containers = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or ()
    cpu = memory = 0.0
    seen = False
    for container in containers:
        requests = (container.get("resources") or {}).get("requests") or {}
        if "cpu" in requests:
            cpu += parse_cpu(requests["cpu"])
            seen = True
        if "memory" in requests:
            memory += parse_memory_gib(requests["memory"])
            seen = True
    return {"cpu": format_cpu(cpu), "memory": format_memory(memory)} if seen else {}


def _annotations(
    key: str, where: Sequence[tuple[str, Mapping[str, Any], Any]], problems: list[Problem]
) -> dict[str, Any]:
    """The policy annotations, parsed, checked to agree across clusters."""
    seen: dict[str, tuple[str, str]] = {}
    parsed: dict[str, Any] = {}
    for cluster, deployment, _ in where:
        for annotation, raw in ((deployment["metadata"].get("annotations")) or {}).items():
            if annotation not in (*_NUMBER, *_INTEGER, *_LIST, keys.USERS):
                continue
            path = f"{cluster}:{key} annotation {annotation}"
            if annotation in seen and seen[annotation][1] != raw:
                problems.append(
                    Problem(
                        path,
                        raw,
                        f"differs from {seen[annotation][0]} ({seen[annotation][1]!r}): "
                        "annotate the Deployment the same way in every cluster",
                    )
                )
                continue
            seen[annotation] = (cluster, raw)
            try:
                parsed[annotation] = _parse(annotation, raw)
            except ValueError as error:
                problems.append(Problem(path, raw, str(error)))
    return parsed


def _parse(annotation: str, raw: str) -> Any:
    text = raw.strip()
    if annotation in _INTEGER:
        if not text.isdigit():
            raise ValueError('must be a whole number, e.g. "3"')
        return int(text)
    if annotation in _NUMBER:
        try:
            return float(text)
        except ValueError:
            raise ValueError('must be a number, e.g. "0.5"') from None
    if text.startswith(("[", "{")):
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValueError(f"is not valid JSON ({error.msg})") from None
    if annotation in _LIST:
        return [item.strip() for item in text.split(",") if item.strip()]
    shares: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        region, sep, share = item.partition("=")
        try:
            shares[region.strip()] = float(share)
        except ValueError:
            raise ValueError('must be region=share pairs, e.g. "eu-west=0.7,us-east=0.3"') from None
        if not sep:
            raise ValueError('must be region=share pairs, e.g. "eu-west=0.7,us-east=0.3"')
    return shares


def _set(entry: dict[str, Any], annotation: str, value: Any) -> None:
    if annotation == keys.SPOT_MAX_FRACTION:
        entry["spot"] = {**entry.get("spot", {}), "maxFraction": value}
    elif annotation == keys.SPOT_MAX_CLUSTER_SHARE:
        entry["spot"] = {**entry.get("spot", {}), "maxClusterShare": value}
    elif annotation == keys.REPLICAS:
        entry["demand"] = {"replicas": value}
    else:
        field = {
            keys.RESIDENCY: "residency",
            keys.LATENCY_MS: "latencyMs",
            keys.USERS: "users",
            keys.MIN_CLUSTERS: "minClusters",
            keys.MIN_AVAILABLE: "minAvailable",
            keys.EGRESS_GB_PER_HOUR: "egressGbPerHour",
            keys.ARCHITECTURES: "architectures",
        }[annotation]
        entry[field] = value
