"""What a strategy sees each simulated hour (`SlotView`) and what it answers (a `Placement`).

A strategy is any object with a `name`, a `behaviour` and `decide(view) -> Placement`: replicas
per workload per cluster, split on-demand/spot, for the coming hour. The view only exposes
demand *before* the hour — except to a clairvoyant strategy (the oracle), which may also read the
hour's realized demand. `behaviour` tells the engine how the decision is carried out:

- `pre_provisioned`: the strategy applies its decision ahead of the hour (a plan rolled out before
  the window), so the capacity it adds is ready when the hour starts; otherwise added capacity is
  ready only after the provisioning delay.
- `autoscaling_headroom`: an in-cluster autoscaler (HPA + node autoscaler) adds on-demand replicas
  during the hour when demand × (1 + headroom) exceeds the decision; None = no autoscaler.
- `clairvoyant`: sees the hour's demand and is spared interruptions and delays (the lower bound).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from placement.errors import PlacementError
from placement.scenario import Replicas, Scenario
from placement.simulate.fleet import Fleet
from placement.simulate.trace import TrafficEvent, WorkloadTraffic
from placement.solver.replica_price import ReplicaPricer
from pricing import CapacityType, Catalog

Placement = Mapping[str, Mapping[str, Replicas]]  # workload key -> cluster name -> replicas


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How the engine carries out a strategy's decisions (see the module docstring)."""

    pre_provisioned: bool = False
    autoscaling_headroom: float | None = None
    clairvoyant: bool = False


class Strategy(Protocol):
    """A placement policy replayed by the simulator."""

    name: str
    behaviour: Behaviour

    def decide(self, view: SlotView) -> Placement: ...


@dataclass(frozen=True, slots=True)
class SlotView:
    """Everything a strategy may look at when deciding hour `hour` (0 = first replayed hour)."""

    hour: int
    scenario: Scenario
    fleet: Fleet
    catalog: Catalog  # prices in force this hour
    price_version: int  # changes exactly when `catalog` does
    deployed: Placement  # what ran last hour (after fallbacks and autoscaling)
    disrupted: frozenset[str]  # clusters whose spot pool is disrupted (launches fall back to on-demand)
    declared_events: tuple[TrafficEvent, ...]
    _pricer: ReplicaPricer  # replica prices at `catalog`
    _traffic: Mapping[str, WorkloadTraffic]
    _replicas: Mapping[str, np.ndarray]  # replicas per hour over history + replayed hours
    _demand_peak: Mapping[str, int]
    _clairvoyant: bool = False

    def replica_price(self, workload: str, cluster: str, capacity_type: CapacityType) -> float | None:
        """$/h of one replica of the workload in the cluster at this hour's prices (None: not offered):
        the fluid replica price that steers decisions; the engine bills whole nodes, not this."""
        price = self._pricer.price(self.scenario.workload(workload), self.scenario.cluster(cluster), capacity_type)
        return None if price is None else price.hourly_usd

    def load_history(self, workload: str) -> np.ndarray:
        """Hourly load up to (not including) this hour: the history, then the replayed hours so far."""
        t = self._traffic[workload]
        return t.load[: t.history_h + self.hour]

    def demand_history(self, workload: str) -> np.ndarray:
        """Replicas needed per hour up to (not including) this hour."""
        return self._replicas[workload][: self._traffic[workload].history_h + self.hour]

    def traffic(self, workload: str) -> WorkloadTraffic:
        """The workload's trace binding (per_replica, history_h), its load cut at this hour: no future."""
        t = self._traffic[workload]
        return replace(t, load=t.load[: t.history_h + self.hour])

    def peak_demand(self, workload: str) -> int:
        """The most replicas any replayed hour needs: what a capacity plan for static fleets sizes for."""
        return self._demand_peak[workload]

    def demand_now(self, workload: str) -> int:
        """Replicas this hour needs. Only clairvoyant strategies may ask."""
        if not self._clairvoyant:
            raise PlacementError(
                "demand_now() is for clairvoyant strategies (the oracle); forecast from demand_history()"
            )
        return int(self._replicas[workload][self._traffic[workload].history_h + self.hour])


__all__ = ["Behaviour", "Placement", "SlotView", "Strategy"]
