"""Trace replays over many seeds and strategies: one task per (seed, strategy).

Splitting a run by strategy changes nothing: the engine draws interruptions by (seed, hour,
cluster[, workload]), never by call order, and every strategy is reset before its run, so
`simulate(..., [a, b])` and `simulate(..., [a])` + `simulate(..., [b])` give the same figures.
Each task builds its seed's inputs itself (`SeededReplay`: synthetic traffic and spot prices from
the seed, or fixed traffic/prices shared by all seeds), so only the scenario and catalog travel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from placement.scaleout.runner import FanOut, Outcome, Progress, Runner, Sequential
from placement.scenario import Scenario
from placement.simulate.engine import SimulationConfig, simulate
from placement.simulate.interruptions import InterruptionModel
from placement.simulate.price_history import PriceHistory
from placement.simulate.protocol import Strategy
from placement.simulate.results import SimulationResult
from placement.simulate.trace import TrafficEvent, WorkloadTraffic, synthetic_traffic
from pricing import Catalog


@dataclass(frozen=True, slots=True)
class SeededReplay:
    """How one seed's replay is set up (what `placement simulate --seed S` does for one seed).

    `traffic`: None → seeded synthetic traffic (`synthetic_traffic(seed=S)`), else the same bound
    traces for every seed. `prices`: "constant" (the catalog), "synthetic" (a seeded spot walk) or a
    fixed `PriceHistory`. Interruptions are always drawn with the seed.
    """

    hours: int = 72
    history_h: int = 7 * 24
    traffic_hours: int | None = None  # hours of synthetic traffic to draw (default `hours`; the CLI adds its offset)
    traffic: Mapping[str, WorkloadTraffic] | None = None
    prices: str | PriceHistory = "constant"
    provision_delay_min: float = 5.0
    interruption_multiplier: float = 1.0
    events: tuple[TrafficEvent, ...] = field(default_factory=tuple)
    keep_placements: bool = False

    def inputs(
        self, scenario: Scenario, catalog: Catalog, seed: int
    ) -> tuple[Mapping[str, WorkloadTraffic], PriceHistory, SimulationConfig]:
        traffic = (
            self.traffic
            if self.traffic is not None
            else synthetic_traffic(
                scenario, hours=self.traffic_hours or self.hours, history_h=self.history_h, seed=seed
            )
        )
        if isinstance(self.prices, PriceHistory):
            prices = self.prices
        elif self.prices == "synthetic":
            prices = PriceHistory.synthetic_spot(catalog, hours=self.hours, seed=seed)
        else:
            prices = PriceHistory.constant(catalog)
        config = SimulationConfig(
            hours=self.hours,
            provision_delay_min=self.provision_delay_min,
            interruptions=InterruptionModel(seed=seed, rate_multiplier=self.interruption_multiplier),
            keep_placements=self.keep_placements,
        )
        return traffic, prices, config

    def run(self, scenario: Scenario, catalog: Catalog, seed: int, strategies: Sequence[Strategy]) -> SimulationResult:
        """The sequential replay of one seed (every strategy in this process)."""
        traffic, prices, config = self.inputs(scenario, catalog, seed)
        return simulate(scenario, traffic, prices, strategies, config=config, events=self.events)


@dataclass(frozen=True, slots=True)
class ReplayInputs:
    scenario: Scenario
    catalog: Catalog
    setup: SeededReplay


def _replay_task(shared: ReplayInputs, item: tuple[int, Strategy]) -> SimulationResult:
    seed, strategy = item
    return shared.setup.run(shared.scenario, shared.catalog, seed, [strategy])


@dataclass(frozen=True, slots=True)
class Replays:
    """Per seed, the merged result of the strategies that finished; and every task's outcome."""

    by_seed: dict[int, SimulationResult]
    outcomes: tuple[Outcome[SimulationResult], ...]

    @property
    def failed(self) -> tuple[Outcome[SimulationResult], ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    def values(self) -> dict[int, SimulationResult]:
        """`by_seed`, after checking that no task failed (`TasksFailed` names each one)."""
        FanOut(self.outcomes).values()
        return self.by_seed


def replay_seeds(
    scenario: Scenario,
    catalog: Catalog,
    seeds: Sequence[int],
    strategies: Sequence[Strategy],
    *,
    setup: SeededReplay | None = None,
    runner: Runner | None = None,
    progress: Progress | None = None,
) -> Replays:
    """Replay each seed through each strategy, one task per pair; results merged per seed in
    strategy order (equal to `setup.run(scenario, catalog, seed, strategies)` for every seed)."""
    setup = setup or SeededReplay()
    items = [(seed, strategy) for seed in seeds for strategy in strategies]
    labels = [f"seed {seed} / {strategy.name}" for seed, strategy in items]
    fanout = (runner or Sequential()).map(
        _replay_task, items, shared=ReplayInputs(scenario, catalog, setup), labels=labels, progress=progress
    )
    by_seed: dict[int, SimulationResult] = {}
    for (seed, _), outcome in zip(items, fanout.outcomes, strict=True):
        if outcome.ok and outcome.value is not None:
            by_seed[seed] = merge(by_seed.get(seed), outcome.value)
    return Replays(by_seed, fanout.outcomes)


def merge(first: SimulationResult | None, more: SimulationResult) -> SimulationResult:
    """Two runs of the same seed with different strategies as one result."""
    if first is None:
        return more
    strategies: dict[str, Any] = {**first.strategies, **more.strategies}
    return SimulationResult(first.scenario, first.hours, strategies, first.interruption_events)


__all__ = ["Replays", "SeededReplay", "merge", "replay_seeds"]
