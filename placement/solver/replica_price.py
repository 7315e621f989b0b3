"""Replica prices: what one replica of a workload costs in a cluster, per capacity type.

DESIGN.md model v1: p[w,c,k] = min over instance types i offered in c's region with capacity
type k (restricted to the cluster's `instanceFamilies`, and fitting one replica) of
``hourly_usd(i) × max(cpu_w / vcpus_i, mem_w / memory_gib_i)`` — the dominant-resource share of the
cheapest fitting node — times the planning overhead factor. Pure: catalog and scenario in, prices out.

Two deliberate extensions of v1 (README "Scenario format"), both because v1 priced replicas on
nodes they cannot use:

* **Pods per node.** A node runs at most the cluster's `maxPodsPerNode` pods (kubelet's default
  110), so the share is ``max(cpu share, memory share, 1 / maxPodsPerNode)``. Without it, a replica
  of 0.1 vCPU was priced at 1/640 of a 64-vCPU node that can hold only 110 pods.
* **Architecture.** Only instance types whose ``kubernetes.io/arch`` is in the workload's
  `architectures` (default amd64 only) fit it: an amd64-only image cannot run on a Graviton node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement.scenario import Cluster, Workload
from pricing import CapacityType, Catalog
from pricing.offer import ARCHITECTURES

#: Interruption rate used when an offer carries none: the probability that a spot node is
#: reclaimed in a month, taken as the middle of the AWS Spot Instance Advisor's most common
#: bucket ("<5%" → 0.05 is its upper edge; we use it as a conservative default for every cloud).
DEFAULT_INTERRUPTION_RATE = 0.05


@dataclass(frozen=True, slots=True)
class ReplicaPrice:
    """The cheapest way to run one replica on one capacity type in one cluster."""

    hourly_usd: float
    instance_type: str
    interruption_rate: float


class _RegionOffers:
    """Column arrays of one (cloud, region, capacity type)'s offers, for vectorised fitting."""

    __slots__ = ("arches", "families", "memory_gib", "names", "prices", "rates", "vcpus")

    def __init__(self, catalog: Catalog) -> None:
        offers = sorted(catalog, key=lambda o: (o.hourly_usd, o.instance_type))
        self.names = [o.instance_type for o in offers]
        self.families = np.array([o.family.lower() for o in offers], dtype=object)
        self.arches = np.array([o.arch for o in offers], dtype=object)
        self.vcpus = np.array([o.vcpus for o in offers], dtype=float)
        self.memory_gib = np.array([o.memory_gib for o in offers], dtype=float)
        self.prices = np.array([o.hourly_usd for o in offers], dtype=float)
        self.rates = np.array(
            [DEFAULT_INTERRUPTION_RATE if o.interruption_rate is None else o.interruption_rate for o in offers]
        )


class ReplicaPricer:
    """Computes (and memoises) `ReplicaPrice`s for workload shapes in clusters from one catalog."""

    def __init__(self, catalog: Catalog, *, overhead_factor: float = 1.0) -> None:
        self._catalog = catalog
        self._overhead = overhead_factor
        self._regions: dict[tuple[str, str, CapacityType], _RegionOffers] = {}
        self._memo: dict[tuple[object, ...], ReplicaPrice | None] = {}

    def _region(self, cloud: str, region: str, capacity_type: CapacityType) -> _RegionOffers:
        key = (cloud, region, capacity_type)
        if key not in self._regions:
            self._regions[key] = _RegionOffers(self._catalog.in_region(cloud, region).of(capacity_type))
        return self._regions[key]

    def has_region(self, cloud: str, region: str) -> bool:
        return any(len(self._region(cloud, region, k).names) for k in CapacityType)

    def price(self, workload: Workload, cluster: Cluster, capacity_type: CapacityType) -> ReplicaPrice | None:
        """The replica price, or None when no allowed instance type fits one replica."""
        families = cluster.instance_families
        arches = workload.architectures
        max_pods = cluster.max_pods_per_node
        key = (cluster.cloud, cluster.region, families, capacity_type, workload.cpu, workload.memory_gib, arches,
               max_pods)
        if key in self._memo:
            return self._memo[key]
        offers = self._region(cluster.cloud, cluster.region, capacity_type)
        result: ReplicaPrice | None = None
        if offers.names:
            fits = (offers.vcpus >= workload.cpu) & (offers.memory_gib >= workload.memory_gib)
            if families is not None:
                fits &= np.isin(offers.families, [f.lower() for f in families])
            if len(arches) < len(ARCHITECTURES):
                fits &= np.isin(offers.arches, list(arches))
            if fits.any():
                with np.errstate(divide="ignore", invalid="ignore"):
                    share = np.maximum(workload.cpu / offers.vcpus, workload.memory_gib / offers.memory_gib)
                share = np.maximum(share, 1.0 / max_pods)
                cost = np.where(fits, offers.prices * share, np.inf)
                best = int(np.argmin(cost))
                result = ReplicaPrice(
                    hourly_usd=float(cost[best]) * self._overhead,
                    instance_type=offers.names[best],
                    interruption_rate=float(offers.rates[best]),
                )
        self._memo[key] = result
        return result
