"""What the clusters run today, as plain values: the facts patches and apply need beyond the Scenario.

The cluster reader (`placement.kube.read`) fills these; tests build them by hand. A workload absent
from a cluster's `workloads` has no Deployment there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from placement.scenario import Replicas
from pricing.nodes import DaemonsetOverhead


@dataclass(frozen=True, slots=True)
class LiveWorkload:
    """One Deployment in one cluster, with its HPA and PDB if it has them."""

    replicas: int  # spec.replicas
    running: Replicas = field(default_factory=Replicas)  # ready pods by capacity type
    available_replicas: int = 0
    hpa: str | None = None
    hpa_min_replicas: int | None = None
    hpa_max_replicas: int | None = None
    pdb: str | None = None
    pdb_min_available: int | None = None  # resolved to a count (percentages of spec.replicas)
    selector: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DaemonsetReading:
    """The cluster's DaemonSets as a per-node overhead (`placement.kube.daemonsets`), with which
    DaemonSets it counts (`namespace/name`) and which it leaves out, and why."""

    overhead: DaemonsetOverhead
    counted: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (namespace/name, why it never runs on a workload node)

    def describe(self) -> str:
        """In words, for notes: the figures and where they came from."""
        o = self.overhead
        text = (
            f"{o.cpu * 1000:.0f}m CPU, {o.memory_gib * 1024:.0f}Mi memory, {o.pods} pods per node "
            f"from {len(self.counted)} DaemonSet{'' if len(self.counted) == 1 else 's'}"
        )
        if self.skipped:
            text += "; left out: " + ", ".join(f"{name} ({why})" for name, why in self.skipped)
        return text


@dataclass(frozen=True, slots=True)
class LiveCluster:
    """One cluster as read: its cloud and region, autoscaler, and the workloads it runs."""

    name: str
    cloud: str
    region: str
    autoscaler: str
    context: str | None = None
    workloads: Mapping[str, LiveWorkload] = field(default_factory=dict)  # "namespace/name" -> facts
    node_count: int = 0
    nodes: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (instance type, capacity type) -> count
    kubernetes_version: tuple[int, int] | None = None  # (major, minor) the API server reports; None: unknown
    daemonsets: DaemonsetReading | None = None  # its DaemonSets' per-node requests; None: not read


LiveFleet = Mapping[str, LiveCluster]  # cluster name -> cluster
