"""The node types a cluster's autoscaler can launch, per capacity type, with what each gives pods.

Model v2 (DESIGN.md): only types the cluster's autoscaler launches are candidates
(`pricing.nodes.launchable`), within the cluster's `instanceFamilies`, and a pod fits a type when
its requests fit the type's **allocatable** (capacity minus VM overhead, kube-reserved, eviction
threshold and the cluster's daemonsets; `pricing.nodes.allocatable`), not its capacity. Pure and
memoised per (cloud, region, capacity type, families, autoscaler, pod slots, daemonsets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from placement.scenario import Cluster
from pricing import CapacityType, Catalog
from pricing.nodes import allocatable, launchable, max_pods

#: Interruption rate used when an offer carries none: the probability that a spot node is
#: reclaimed in a month, taken as the middle of the AWS Spot Instance Advisor's most common
#: bucket ("<5%" → 0.05 is its upper edge; we use it as a conservative default for every cloud).
DEFAULT_INTERRUPTION_RATE = 0.05
_EPS = 1e-9
_SHARED_CATALOGS = 8  # catalogs whose node types are kept (a simulation's price versions, a sweep's shocks)


@dataclass(frozen=True, slots=True)
class NodeType:
    """One launchable instance type in one cluster and capacity type: its price, capacity and allocatable."""

    instance_type: str
    family: str
    arch: str
    hourly_usd: float
    vcpus: float  # capacity (what Karpenter counts against NodePool limits)
    memory_gib: float
    cpu: float  # allocatable for workload pods (after reservations and daemonsets)
    alloc_memory_gib: float
    pods: int  # pod slots left for workload pods
    interruption_rate: float

    def holds(self, cpu: float, memory_gib: float, pods: int = 1) -> bool:
        """Whether `pods` pods of these requests in total fit one node of this type."""
        return cpu <= self.cpu + 1e-9 and memory_gib <= self.alloc_memory_gib + 1e-9 and pods <= self.pods

    def share(self, cpu: float, memory_gib: float) -> float:
        """The dominant share of this node's allocatable one pod takes (CPU, memory or one pod slot)."""
        return max(
            cpu / self.cpu if self.cpu else float("inf"),
            memory_gib / self.alloc_memory_gib if self.alloc_memory_gib else float("inf"),
            1.0 / self.pods if self.pods else float("inf"),
        )


class NodeTypes:
    """Memoised `NodeType` lists per cluster and capacity type, from one catalog.

    `NodeTypes.of_catalog(catalog)` shares one instance per live catalog, so repeated solves on the
    same prices (simulations, what-if sweeps, re-solves) compute node facts once."""

    _shared: ClassVar[
        dict[int, tuple[Catalog, NodeTypes]]
    ] = {}  # id(catalog) -> (the catalog, its node types), last few

    @classmethod
    def of_catalog(cls, catalog: Catalog) -> NodeTypes:
        found = cls._shared.get(id(catalog))
        if found is not None and found[0] is catalog:
            return found[1]
        types = cls(catalog)
        if len(cls._shared) >= _SHARED_CATALOGS:
            cls._shared.pop(next(iter(cls._shared)))
        cls._shared[id(catalog)] = (catalog, types)
        return types

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._memo: dict[tuple[object, ...], tuple[NodeType, ...]] = {}

    def of(self, cluster: Cluster, capacity_type: CapacityType | str) -> tuple[NodeType, ...]:
        """Launchable types of the cluster's region for this capacity type, cheapest first."""
        kind = CapacityType(capacity_type)
        families = cluster.instance_families
        key = (
            cluster.cloud,
            cluster.region,
            kind,
            families,
            cluster.autoscaler,
            cluster.max_pods_per_node,
            cluster.daemonsets,
        )
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = _node_types(self._catalog, cluster, kind)
        return found


def _node_types(catalog: Catalog, cluster: Cluster, kind: CapacityType) -> tuple[NodeType, ...]:
    allowed = None if cluster.instance_families is None else {f.lower() for f in cluster.instance_families}
    daemonsets = cluster.daemonsets
    types: list[NodeType] = []
    for offer in catalog.in_region(cluster.cloud, cluster.region).of(kind):
        if allowed is not None and offer.family.lower() not in allowed:
            continue
        if offer.vcpus <= 0 or not launchable(cluster.cloud, offer.instance_type, cluster.autoscaler):
            continue
        slots = max_pods(cluster.cloud, offer.instance_type, offer.vcpus, cluster_max_pods=cluster.max_pods_per_node)
        room = allocatable(
            cluster.cloud,
            offer.instance_type,
            offer.vcpus,
            offer.memory_gib,
            max_pods=slots,
            daemonset_cpu=daemonsets.cpu,
            daemonset_memory_gib=daemonsets.memory_gib,
            daemonset_pods=daemonsets.pods,
        )
        if room.cpu <= 0 or room.memory_gib <= 0 or room.pods <= 0:
            continue  # the reservations and daemonsets take the whole node
        rate = DEFAULT_INTERRUPTION_RATE if offer.interruption_rate is None else offer.interruption_rate
        types.append(
            NodeType(
                offer.instance_type,
                offer.family.lower(),
                offer.arch,
                offer.hourly_usd,
                float(offer.vcpus),
                float(offer.memory_gib),
                room.cpu,
                room.memory_gib,
                room.pods,
                rate,
            )
        )
    types.sort(key=lambda t: (t.hourly_usd, t.instance_type))
    return tuple(types)


def undominated(types: Sequence[NodeType]) -> list[NodeType]:
    """The types no other type of the same architecture dominates (no dearer, at least as much room
    in cores, GiB and pod slots): every pattern of a dominated type fits the dominating one, which
    costs no more, so its price constraints are implied and it never packs cheaper."""
    if len(types) < 2:
        return list(types)
    price = np.array([t.hourly_usd for t in types])
    room = np.array([[t.cpu, t.alloc_memory_gib, t.pods] for t in types], dtype=float)
    arch = np.array([t.arch for t in types])
    order = np.arange(len(types))
    same = arch[:, None] == arch[None, :]
    covers = (room[:, None, :] >= room[None, :, :] - _EPS).all(axis=2) & (price[:, None] <= price[None, :] + _EPS)
    strictly = (room[:, None, :] > room[None, :, :] + _EPS).any(axis=2) | (price[:, None] < price[None, :] - _EPS)
    # i dominates j: covers and (strictly better, or equal and listed first)
    dominated = (same & covers & (strictly | (order[:, None] < order[None, :]))).any(axis=0)
    return [t for t, d in zip(types, dominated, strict=True) if not d]


def fitting(types: Sequence[NodeType], cpu: float, memory_gib: float, arches: Sequence[str]) -> list[NodeType]:
    """The types that hold one pod of these requests and run one of its architectures."""
    return [t for t in types if t.arch in arches and t.holds(cpu, memory_gib)]


#: Substitutes a NodePool admits per planned type, at most (the cheapest first).
MAX_SUBSTITUTES = 4


def substitutes(planned: NodeType, types: Sequence[NodeType], limit: int = MAX_SUBSTITUTES) -> tuple[NodeType, ...]:
    """Types that may stand in for `planned` without changing what the plan pays or packs: the same
    architecture, at least its allocatable CPU, memory and pod slots, at most its capacity (what
    NodePool limits count) and no dearer. Typically the same size in a sibling family; admitting
    them gives a spot pool more than one market at no cost."""
    found = [
        t
        for t in types
        if t.instance_type != planned.instance_type
        and t.arch == planned.arch
        and t.hourly_usd <= planned.hourly_usd + 1e-12
        and t.vcpus <= planned.vcpus
        and t.memory_gib <= planned.memory_gib
        and t.cpu >= planned.cpu - 1e-9
        and t.alloc_memory_gib >= planned.alloc_memory_gib - 1e-9
        and t.pods >= planned.pods
    ]
    return tuple(sorted(found, key=lambda t: (t.hourly_usd, t.instance_type))[:limit])
