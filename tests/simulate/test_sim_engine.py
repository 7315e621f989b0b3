"""The engine's accounting on tiny cases computed by hand.

Prices (tests/builders.price_from): a replica of 1 CPU / 2 GiB is half an m5.large: 0.06 $/h on
demand and 0.018 $/h spot in a region of scale 1. Delay 5 min; AWS gives 2 min interruption notice.
"""

from __future__ import annotations

import numpy as np
import pytest
from builders import make_catalog, make_cluster, make_scenario, make_workload, user
from sim_builders import Fixed, Scripted, flat_traffic

from placement.errors import PlacementError
from placement.scenario import Replicas
from placement.simulate import InterruptionModel, SimulationConfig, simulate

OD, SPOT = 0.06, 0.018
CATALOG = make_catalog(("aws", "eu-west-1", 1.0), ("aws", "us-east-1", 0.5))
IE = make_cluster("ie", region="eu-west-1", country="IE", lat=53.35, lon=-6.26)
US = make_cluster("us", region="us-east-1", country="US", lat=38.9, lon=-77.0)
QUIET = InterruptionModel(rate_multiplier=0.0)


def run(scenario, strategy, demand, **config):
    config.setdefault("interruptions", QUIET)
    return simulate(scenario, flat_traffic(scenario, demand), CATALOG, [strategy], config=SimulationConfig(**config))[
        strategy.name]


def test_exactly_sized_on_demand_costs_replicas_times_price_and_serves_every_slot() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4)])
    result = run(scenario, Fixed({"shop/web": {"ie": Replicas(4, 0)}}), {"shop/web": [4, 4, 3]})
    assert result.compute_usd == pytest.approx([4 * OD] * 3)
    assert result.cost_usd == pytest.approx(12 * OD)
    assert (result.served_slots, result.slots) == (3, 3)
    assert result.unserved_replica_hours == 0


def test_missing_replicas_are_charged_at_the_priciest_allowed_on_demand_price() -> None:
    # residency EU allows only ie (scale 1); us (scale 0.5, cheaper) must not set the penalty
    scenario = make_scenario([IE, US], [make_workload(replicas=4, residency=("EU",))])
    result = run(scenario, Fixed({"shop/web": {"ie": Replicas(3, 0)}}), {"shop/web": [4, 4]},
                 unserved_penalty_factor=2.0)
    assert result.unserved_replica_hours == pytest.approx(2.0)
    assert result.unserved_usd == pytest.approx([2.0 * OD] * 2)
    assert result.served_slots == 0


def test_capacity_added_reactively_arrives_after_the_provisioning_delay() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4)])
    grow = [{"shop/web": {"ie": Replicas(1, 0)}}, {"shop/web": {"ie": Replicas(4, 0)}}]
    result = run(scenario, Scripted(grow, pre_provisioned=False), {"shop/web": [1, 4, 4]}, provision_delay_min=6)
    assert result.unserved_by_workload["shop/web"] == pytest.approx([0.0, 3 * 6 / 60, 0.0])  # 3 new ones, 6 minutes late
    assert result.served_slots == 2
    pre = run(scenario, Scripted(grow), {"shop/web": [1, 4, 4]}, provision_delay_min=6)
    assert pre.unserved_replica_hours == 0  # a plan rolled out ahead of the hour is ready on time


def test_autoscaler_covers_the_gap_after_the_delay_and_keeps_its_replicas() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=6)])
    strategy = Fixed({"shop/web": {"ie": Replicas(2, 0)}}, autoscaling_headroom=0.0)
    result = run(scenario, strategy, {"shop/web": [5, 5, 2]})
    assert result.unserved_by_workload["shop/web"] == pytest.approx([3 * 5 / 60, 0.0, 0.0])
    assert result.compute_usd == pytest.approx([5 * OD, 5 * OD, 2 * OD])  # extras scale down with demand
    assert result.launched_replicas == 5


def test_reclaimed_spot_is_missing_for_delay_minus_notice_then_falls_back_to_on_demand() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4, spot_max_fraction=1.0)])
    storm = InterruptionModel(hourly_event_probability=lambda hour, cluster: 1.0 if hour == 1 else 0.0,
                              reclaim_fraction=1.0, disruption_h=2)
    result = run(scenario, Fixed({"shop/web": {"ie": Replicas(0, 4)}}), {"shop/web": [4, 4, 4, 4]},
                 interruptions=storm)
    assert result.reclaimed_replicas == 4
    assert result.unserved_by_workload["shop/web"] == pytest.approx([0.0, 4 * (5 - 2) / 60, 0.0, 0.0])
    # hour 0 spot; hours 1-2 the pool is disrupted: on-demand replacements; hour 3 back on spot
    assert result.compute_usd == pytest.approx([4 * SPOT, 4 * OD, 4 * OD, 4 * SPOT])
    assert result.spot_replica_hours == 8


def test_egress_is_served_traffic_times_gb_per_replica_hour_times_the_cloud_price() -> None:
    web = make_workload(replicas=4, egress_gb_per_hour=2.0)  # 0.5 GB per replica-hour
    scenario = make_scenario([IE], [web])
    result = run(scenario, Fixed({"shop/web": {"ie": Replicas(6, 0)}}), {"shop/web": [4, 2]})
    assert result.egress_usd == pytest.approx([4 * 0.5 * 0.09, 2 * 0.5 * 0.09])  # idle replicas send nothing


def test_residency_violations_count_workload_hours_outside_the_rule() -> None:
    scenario = make_scenario([IE, US], [make_workload(replicas=2, residency=("EU",))])
    result = run(scenario, Fixed({"shop/web": {"us": Replicas(1, 0), "ie": Replicas(1, 0)}}), {"shop/web": [2, 2, 2]})
    assert result.residency_violations == 3


def test_latency_is_measured_on_served_traffic_and_spill_over_is_counted() -> None:
    eu, us = user("eu", 50.1, 8.7), user("us", 38.9, -77.0)
    web = make_workload(replicas=4, users={"eu": 0.5, "us": 0.5}, latency_ms=60)
    scenario = make_scenario([IE, US], [web], user_regions=[eu, us])
    near = run(scenario, Fixed({"shop/web": {"ie": Replicas(2, 0), "us": Replicas(2, 0)}}), {"shop/web": [4]})
    assert near.latency_violation_share == 0 and near.p95_latency_ms < 60
    far = run(scenario, Fixed({"shop/web": {"us": Replicas(4, 0)}}), {"shop/web": [4]})
    assert far.latency_violation_share == pytest.approx(0.5)  # eu's half is served from us, beyond 60 ms
    assert far.p95_latency_ms > 60 and far.served_slots == 1


def test_replicas_beyond_a_cluster_cpu_cap_stay_pending() -> None:
    capped = make_cluster("ie", region="eu-west-1", country="IE", capacity_cpu=3)
    scenario = make_scenario([capped], [make_workload(replicas=4)])
    result = run(scenario, Fixed({"shop/web": {"ie": Replicas(4, 0)}}), {"shop/web": [4]})
    assert result.compute_usd == pytest.approx([3 * OD])
    assert result.unserved_replica_hours == pytest.approx(1.0)


def test_strategies_see_history_only_and_demand_now_is_refused() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4)])
    spy = Fixed({"shop/web": {"ie": Replicas(4, 0)}})
    run(scenario, spy, {"shop/web": [4, 3, 2]})
    assert [len(v.demand_history("shop/web")) for v in spy.views] == [24, 25, 26]
    assert list(spy.views[2].demand_history("shop/web")[-2:]) == [4, 3]
    with pytest.raises(PlacementError, match="clairvoyant"):
        spy.views[0].demand_now("shop/web")


def test_unknown_clusters_and_missing_traffic_are_clear_errors() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4)])
    with pytest.raises(PlacementError, match="unknown cluster 'nowhere'"):
        run(scenario, Fixed({"shop/web": {"nowhere": Replicas(1, 0)}}), {"shop/web": [4]})
    with pytest.raises(PlacementError, match="no traffic for workload"):
        simulate(scenario, {}, CATALOG, [Fixed({})])
    with pytest.raises(PlacementError, match="hours=5"):
        run(scenario, Fixed({}), {"shop/web": [4]}, hours=5)


def test_hourly_frame_and_rows_add_up() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4)])
    traffic = flat_traffic(scenario, {"shop/web": [4, 4]})
    a, b = Fixed({"shop/web": {"ie": Replicas(4, 0)}}, name="a"), Fixed({"shop/web": {"ie": Replicas(8, 0)}}, name="b")
    result = simulate(scenario, traffic, CATALOG, [a, b], config=SimulationConfig(interruptions=QUIET))
    frame = result.hourly_frame()
    assert frame.groupby("strategy")["total_usd"].sum().to_dict() == pytest.approx({"a": 8 * OD, "b": 16 * OD})
    rows = {r["strategy"]: r for r in result.rows(baseline="b", oracle="a")}
    assert rows["a"]["savings_vs_static"] == pytest.approx(0.5) and rows["b"]["vs_oracle"] == pytest.approx(2.0)
    assert np.isnan(result["a"].p95_latency_ms)  # no users, no latency


def test_the_trace_binding_a_strategy_sees_stops_at_the_current_hour() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4)])
    spy = Fixed({"shop/web": {"ie": Replicas(4, 0)}})
    run(scenario, spy, {"shop/web": [4, 9, 9]})
    seen = spy.views[1].traffic("shop/web")
    assert len(seen.load) == 25 and seen.load.max() == 4 and seen.per_replica == 1.0
