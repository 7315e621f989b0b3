"""What the clusters run today, as plain values: the facts patches and apply need beyond the Scenario.

The cluster reader (`placement.kube.read`) fills these; tests build them by hand. A workload absent
from a cluster's `workloads` has no Deployment there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from placement.scenario import Replicas


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


LiveFleet = Mapping[str, LiveCluster]  # cluster name -> cluster
