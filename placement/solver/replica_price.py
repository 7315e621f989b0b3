"""Replica prices: what one replica of a workload costs in a cluster, per capacity type — the
allocation model's per-replica currency (model v2, DESIGN.md).

p[w,c,k] = min over the node types the cluster's autoscaler can launch for capacity type k (within
its `instanceFamilies`, running one of the workload's `architectures`, and holding one replica on
their **allocatable**: `placement.solver.node_types`) of ``hourly_usd × max(cpu_w / cpu_alloc,
mem_w / mem_alloc, 1 / pod slots)`` — the dominant share of the cheapest fitting node's
allocatable — times the planning overhead factor.

This fluid share steers the allocation model; it is never the cost a plan reports. The plan's
compute is the bill of the whole nodes its pods are packed on (`placement.solver.node_plan`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement.scenario import Cluster, Workload
from placement.solver.node_types import DEFAULT_INTERRUPTION_RATE, NodeType, NodeTypes
from pricing import CapacityType, Catalog
from pricing.offer import ARCHITECTURES

__all__ = ["DEFAULT_INTERRUPTION_RATE", "ReplicaPrice", "ReplicaPricer"]


@dataclass(frozen=True, slots=True)
class ReplicaPrice:
    """The cheapest way to run one replica on one capacity type in one cluster."""

    hourly_usd: float
    instance_type: str
    interruption_rate: float


class _TypeArrays:
    """Column arrays of one cluster's launchable node types of one capacity type, for vectorised fitting."""

    __slots__ = ("arches", "cpu", "memory_gib", "pods", "prices", "types")

    def __init__(self, types: tuple[NodeType, ...]) -> None:
        self.types = types
        self.arches = np.array([t.arch for t in types], dtype=object)
        self.cpu = np.array([t.cpu for t in types], dtype=float)
        self.memory_gib = np.array([t.alloc_memory_gib for t in types], dtype=float)
        self.pods = np.array([t.pods for t in types], dtype=float)
        self.prices = np.array([t.hourly_usd for t in types], dtype=float)


class ReplicaPricer:
    """Computes (and memoises) `ReplicaPrice`s for workload shapes in clusters from one catalog."""

    def __init__(self, catalog: Catalog, *, overhead_factor: float = 1.0) -> None:
        self._catalog = catalog
        self._overhead = overhead_factor
        self.node_types = NodeTypes.of_catalog(catalog)
        self._arrays: dict[tuple[NodeType, ...], _TypeArrays] = {}
        self._memo: dict[tuple[object, ...], ReplicaPrice | None] = {}

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def has_region(self, cloud: str, region: str) -> bool:
        return bool(len(self._catalog.in_region(cloud, region)))

    def price(self, workload: Workload, cluster: Cluster, capacity_type: CapacityType) -> ReplicaPrice | None:
        """The replica price, or None when no launchable type of its architectures holds one replica."""
        arches = workload.architectures
        key = (
            cluster.cloud,
            cluster.region,
            cluster.instance_families,
            cluster.autoscaler,
            cluster.max_pods_per_node,
            cluster.daemonsets,
            capacity_type,
            workload.cpu,
            workload.memory_gib,
            arches,
        )
        if key in self._memo:
            return self._memo[key]
        types = self.node_types.of(cluster, capacity_type)
        result: ReplicaPrice | None = None
        if types:
            arrays = self._arrays.get(types)
            if arrays is None:
                arrays = self._arrays[types] = _TypeArrays(types)
            fits = (arrays.cpu >= workload.cpu - 1e-9) & (arrays.memory_gib >= workload.memory_gib - 1e-9)
            if len(arches) < len(ARCHITECTURES):
                fits &= np.isin(arrays.arches, list(arches))
            if fits.any():
                share = np.maximum(
                    np.maximum(workload.cpu / arrays.cpu, workload.memory_gib / arrays.memory_gib), 1.0 / arrays.pods
                )
                cost = np.where(fits, arrays.prices * share, np.inf)
                best = int(np.argmin(cost))
                result = ReplicaPrice(
                    hourly_usd=float(cost[best]) * self._overhead,
                    instance_type=types[best].instance_type,
                    interruption_rate=types[best].interruption_rate,
                )
        self._memo[key] = result
        return result
