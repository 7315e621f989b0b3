"""Small fixtures for the simulator tests: fixed strategies and flat traffic on `builders` catalogs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from placement.scenario import Replicas, Scenario
from placement.simulate import Behaviour, SlotView, WorkloadTraffic


class Fixed:
    """A strategy that always answers the same placement."""

    def __init__(
        self,
        placement: Mapping[str, Mapping[str, Replicas]],
        *,
        name: str = "fixed",
        pre_provisioned: bool = True,
        autoscaling_headroom: float | None = None,
    ) -> None:
        self.name = name
        self.placement = placement
        self.behaviour = Behaviour(pre_provisioned=pre_provisioned, autoscaling_headroom=autoscaling_headroom)
        self.views: list[SlotView] = []

    def decide(self, view: SlotView) -> Mapping[str, Mapping[str, Replicas]]:
        self.views.append(view)
        return self.placement


class Scripted(Fixed):
    """A strategy answering `placements[hour]` (the last one after the script ends)."""

    def __init__(self, placements: list[Mapping[str, Mapping[str, Replicas]]], **kwargs: object) -> None:
        super().__init__(placements[0], **kwargs)  # type: ignore[arg-type]
        self.script = placements

    def decide(self, view: SlotView) -> Mapping[str, Mapping[str, Replicas]]:
        self.views.append(view)
        return self.script[min(view.hour, len(self.script) - 1)]


def flat_traffic(
    scenario: Scenario, replicas: Mapping[str, list[int]], *, history_h: int = 24
) -> dict[str, WorkloadTraffic]:
    """Traffic whose replayed hours need exactly `replicas[w]` (history flat at the first value)."""
    out = {}
    for key, hours in replicas.items():
        load = np.array([hours[0]] * history_h + list(hours), dtype=float)
        out[scenario.workload(key).key] = WorkloadTraffic(scenario.workload(key).key, load, 1.0, history_h, "test")
    return out
