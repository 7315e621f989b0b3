"""Seeded spot interruptions: when a cluster's spot pool is reclaimed, and how many replicas go.

Rates. An offer's `interruption_rate` is the fraction of spot capacity reclaimed per month (the
AWS Spot Instance Advisor's figure; see `pricing.spot_model`). Per hour that is a per-replica
probability ``p = 1 − (1 − rate)^(1/730)``.

Events. Reclaims are correlated: a provider takes back a slice of a pool, not single replicas at
random. Each hour each cluster's spot pool has a *reclaim event* with probability ``p / fraction``,
and an event reclaims each spot replica there with probability `reclaim_fraction` — the same
expected loss as independent reclaims, but bunched. After an event the pool stays *disrupted* for
`disruption_h` hours (the autoscaler launches on-demand instead of spot there).

Common random numbers. Every draw is keyed by (seed, hour, cluster[, workload]), never by call
order, so every strategy in a run faces the same events, and one seed always gives the same run.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from placement.errors import PlacementError

HOURS_PER_MONTH = 730.0

#: Warning before a spot VM is reclaimed, per cloud (minutes): AWS sends a two-minute interruption
#: notice; GCP preemption and Azure eviction give 30 seconds. Autoscalers launch replacements on the
#: notice, so replicas are missing for (provisioning delay − notice). Other providers: no notice.
INTERRUPTION_NOTICE_MIN: Mapping[str, float] = MappingProxyType({"aws": 2.0, "gcp": 0.5, "azure": 0.5})


def hourly_probability(monthly_rate: float, *, hours_per_month: float = HOURS_PER_MONTH) -> float:
    """Per-hour probability from a monthly interruption fraction (clipped to [0, 1])."""
    rate = min(max(float(monthly_rate), 0.0), 1.0)
    if rate >= 1.0:
        return 1.0
    return 1.0 - (1.0 - rate) ** (1.0 / hours_per_month)


@dataclass(frozen=True, slots=True)
class InterruptionModel:
    """How interruptions are drawn: seed, rate multiplier (stress tests), reclaim size, disruption length,
    and each cloud's notice (minutes of warning before a reclaim).

    `hourly_event_probability(hour, cluster)`, when given, replaces the rate-derived event probability
    (per-hour rates from a provider's history or a what-if "spot crunch").
    """

    seed: int = 0
    rate_multiplier: float = 1.0
    reclaim_fraction: float = 0.5
    disruption_h: int = 2
    hourly_event_probability: Callable[[int, str], float] | None = None
    notice_min: Mapping[str, float] = field(default_factory=lambda: dict(INTERRUPTION_NOTICE_MIN))

    def __post_init__(self) -> None:
        if self.rate_multiplier < 0:
            raise PlacementError(f"rate_multiplier={self.rate_multiplier!r} must be ≥ 0 (0 turns interruptions off)")
        if not 0 < self.reclaim_fraction <= 1:
            raise PlacementError(f"reclaim_fraction={self.reclaim_fraction!r} must be in (0, 1]")
        if self.disruption_h < 1:
            raise PlacementError(f"disruption_h={self.disruption_h!r} must be at least 1 hour")

    def event_probability(self, monthly_rate: float) -> float:
        """Probability of a reclaim event in one cluster-hour for a pool with this monthly rate."""
        scaled = min(monthly_rate * self.rate_multiplier, 1.0)
        return min(hourly_probability(scaled) / self.reclaim_fraction, 1.0)


class InterruptionDraws:
    """The draws of one run: reclaim events per (hour, cluster) and reclaimed replicas per workload."""

    def __init__(self, model: InterruptionModel, clusters: Mapping[str, float], hours: int) -> None:
        """`clusters` maps each cluster name to the monthly interruption rate of its spot pool."""
        self.model = model
        self.hours = hours
        self._rates = dict(clusters)
        self._events: dict[tuple[int, str], bool] = {}
        for name, rate in self._rates.items():
            rng = np.random.default_rng([model.seed, _key(name)])
            uniforms = rng.random(hours)
            for hour in range(hours):
                if model.hourly_event_probability is not None:
                    p = min(max(float(model.hourly_event_probability(hour, name)), 0.0), 1.0)
                else:
                    p = model.event_probability(rate)
                if uniforms[hour] < p:
                    self._events[(hour, name)] = True

    def event(self, hour: int, cluster: str) -> bool:
        """True when the cluster's spot pool has a reclaim event in this hour."""
        return self._events.get((hour, cluster), False)

    def disrupted(self, hour: int, cluster: str) -> bool:
        """True when an event in the last `disruption_h` hours (this one included) still disrupts the pool."""
        return any(self.event(h, cluster) for h in range(max(0, hour - self.model.disruption_h + 1), hour + 1))

    def events(self) -> list[tuple[int, str]]:
        """Every (hour, cluster) with a reclaim event, in time order."""
        return sorted(self._events)

    def reclaimed(self, hour: int, cluster: str, workload: str, spot_replicas: int) -> int:
        """How many of a workload's spot replicas in the cluster an event this hour takes (0 without one)."""
        if spot_replicas <= 0 or not self.event(hour, cluster):
            return 0
        rng = np.random.default_rng([self.model.seed, hour, _key(cluster), _key(workload)])
        return int(rng.binomial(spot_replicas, self.model.reclaim_fraction))


def _key(name: str) -> int:
    return zlib.crc32(name.encode())


__all__ = ["HOURS_PER_MONTH", "INTERRUPTION_NOTICE_MIN", "InterruptionDraws", "InterruptionModel", "hourly_probability"]
