"""Time-slot schedules: per-slot forecast demand, churn limit per slot, growth in place is not churn."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from builders import make_catalog, make_cluster, make_scenario, make_workload

from placement.analysis.time_slots import carried_over, plan_schedule, schedule_json, schedule_start, slot_demand
from placement.cli import main
from placement.scenario import DemandSpec, Replicas

T0 = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
CHEAP = dict(cloud="aws", region="us-east-1", country="US", lat=38.9, lon=-77.0)
DEAR = dict(cloud="aws", region="eu-central-1", country="DE", lat=50.11, lon=8.68)
CATALOG = make_catalog(("aws", "us-east-1", 0.5), ("aws", "eu-central-1", 1.0))


def _forecast(replicas: tuple[int, ...], *, start: datetime = T0, seconds: int = 1800) -> DemandSpec:
    return DemandSpec(source="test forecast", replicas_by_slot=replicas, slot_start=start, slot_seconds=seconds)


def _moves_from(previous: dict[str, Replicas], before: int, after: int, assignments) -> int:
    """Moves as the schedule defines them, recomputed independently from two consecutive slots."""
    scaled = carried_over(previous, before, after)
    total = 0
    for a in assignments:
        today = scaled.get(a.cluster, Replicas())
        total += max(a.on_demand - today.on_demand, 0) + max(a.spot - today.spot, 0)
    return total


def test_slot_demand_takes_the_hourly_maximum_of_the_forecast():
    workload = make_workload("web", replicas=6, demand=_forecast((2, 2, 6, 5, 3, 1)))
    assert [slot_demand(workload, datetime(2025, 3, 3, h, tzinfo=UTC)) for h in range(3)] == [2, 6, 3]
    # Past the forecast's horizon (or for fixed demand) the peak is used.
    assert slot_demand(workload, datetime(2025, 3, 3, 5, tzinfo=UTC)) == 6
    assert slot_demand(make_workload("fixed", replicas=4), T0) == 4


def test_schedule_start():
    forecast = make_workload("web", demand=_forecast((1,), start=datetime(2025, 3, 3, 10, 30, tzinfo=UTC)))
    scenario = make_scenario([make_cluster("cheap", **CHEAP)], [forecast, make_workload("fixed")])
    assert schedule_start(scenario, datetime(2030, 1, 1, tzinfo=UTC)) == datetime(2025, 3, 3, 10, tzinfo=UTC)
    plain = make_scenario([make_cluster("cheap", **CHEAP)], [make_workload("fixed")])
    assert schedule_start(plain, datetime(2025, 3, 3, 10, 20, tzinfo=UTC)) == datetime(2025, 3, 3, 11, tzinfo=UTC)
    assert schedule_start(plain, datetime(2025, 3, 3, 11, tzinfo=UTC)) == datetime(2025, 3, 3, 11, tzinfo=UTC)


def test_each_slot_respects_the_churn_limit_and_the_schedule_converges():
    # 8 replicas run in the dear cluster; the cheap one wins, but only 3 replicas may start per slot.
    workload = make_workload("web", replicas=8, current={"dear": (8, 0)})
    scenario = make_scenario([make_cluster("dear", **DEAR), make_cluster("cheap", **CHEAP)], [workload])
    scenario = replace(scenario, planning=replace(scenario.planning, max_moves=3))
    schedule = plan_schedule(scenario, CATALOG, start=T0, slots=4, max_moves_per_slot=3)
    previous, before = {"dear": Replicas(8, 0)}, 8
    cheap_counts = []
    for slot in schedule.slots:
        assert not slot.plan.unplaced and slot.churn_limit == 3
        assignments = slot.plan.for_workload("shop/web")
        assert slot.plan.moves <= 3
        assert _moves_from(previous, before, slot.demand["shop/web"], assignments) <= 3
        assert sum(a.replicas for a in assignments) >= 8
        cheap_counts.append(sum(a.replicas for a in assignments if a.cluster == "cheap"))
        previous = {a.cluster: Replicas(a.on_demand, a.spot) for a in assignments}
        before = slot.demand["shop/web"]
    assert cheap_counts == [3, 6, 8, 8]
    assert [s.starts_at.hour for s in schedule.slots] == [0, 1, 2, 3]


def test_growing_in_place_is_not_churn():
    # Demand triples in slot 1; with no moves allowed, the workload grows where it already runs.
    workload = make_workload(
        "web", replicas=6, min_available=3, demand=_forecast((2, 2, 6, 6)), current={"cheap": (2, 0)}
    )
    scenario = make_scenario([make_cluster("cheap", **CHEAP), make_cluster("dear", **DEAR)], [workload])
    schedule = plan_schedule(scenario, CATALOG, start=T0, slots=2, max_moves_per_slot=0)
    first, second = schedule.slots
    assert first.demand == {"shop/web": 2} and second.demand == {"shop/web": 6}
    # minAvailable (3) is clamped to the slot's demand (2) so the low slot is not over-provisioned.
    assert [(a.cluster, a.on_demand) for a in first.plan.assignments] == [("cheap", 2)]
    assert [(a.cluster, a.on_demand) for a in second.plan.assignments] == [("cheap", 6)]
    assert second.plan.moves == 0 and not schedule.unplaced


def test_carried_over_scales_up_only():
    previous = {"a": Replicas(3, 1), "b": Replicas(0, 2)}
    assert carried_over(previous, 4, 8) == {"a": Replicas(6, 2), "b": Replicas(0, 4)}
    assert carried_over(previous, 4, 2) == previous
    assert carried_over(previous, 3, 4) == {"a": Replicas(4, 2), "b": Replicas(0, 3)}


def test_schedule_json_lists_slots_with_start_times():
    scenario = make_scenario([make_cluster("cheap", **CHEAP)], [make_workload("web", demand=_forecast((1, 1, 3, 3)))])
    entries = schedule_json(plan_schedule(scenario, CATALOG, start=T0, slots=2))
    assert [(e["slot"], e["startsAt"], e["demand"]) for e in entries] == [
        (0, "2025-03-03T00:00:00Z", {"shop/web": 1}),
        (1, "2025-03-03T01:00:00Z", {"shop/web": 3}),
    ]
    assert entries[1]["assignments"][0]["onDemand"] == 3


def test_needs_slots():
    scenario = make_scenario([make_cluster("cheap", **CHEAP)], [make_workload("web")])
    with pytest.raises(ValueError, match="slots"):
        plan_schedule(scenario, CATALOG, start=T0)


SCENARIO_YAML = """
apiVersion: placement.dev/v1alpha1
kind: Scenario
metadata: {name: slots-test}
spec:
  planning: {slots: 2, maxMovesPerSlot: 1}
  clusters:
  - {name: aws-us-east-1, cloud: aws, region: us-east-1}
  workloads:
  - {name: web, namespace: shop, resources: {cpu: 500m, memory: 1Gi}, demand: {replicas: 2}}
"""


def test_cli_writes_the_schedule(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO_YAML)
    assert main(["plan", "-f", str(path), "-o", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [e["slot"] for e in document["schedule"]] == [0, 1]
    assert document["schedule"][1]["churnLimit"] == 1
    assert main(["plan", "-f", str(path), "-o", "json", "--slots", "3", "--max-moves-per-slot", "0"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["schedule"]) == 3 and document["schedule"][2]["churnLimit"] == 0
    assert main(["plan", "-f", str(path), "--slots", "0"]) == 2
    assert "--slots must be between 1 and 168" in capsys.readouterr().err


def test_flat_demand_keeps_the_placement():
    workload = make_workload("web", replicas=4, current={"dear": (4, 0)})
    scenario = make_scenario([make_cluster("dear", **DEAR), make_cluster("cheap", **CHEAP)], [workload])
    schedule = plan_schedule(scenario, CATALOG, start=T0, slots=3, max_moves_per_slot=10)
    first = schedule.slots[0].plan.assignments
    assert [(a.cluster, a.on_demand) for a in first] == [("cheap", 4)]
    for slot in schedule.slots[1:]:
        assert slot.plan.assignments == first and slot.plan.moves == 0
        assert slot.plan.hourly_usd.before == slot.plan.hourly_usd.after
