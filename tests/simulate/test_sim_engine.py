"""The engine's accounting on tiny cases computed by hand.

Compute is the node bill (whole nodes per cluster × capacity-type pool, per hour). In a region of
scale 1 (tests/builders.price_from) the m5 types cost, on demand / spot, $/h:
large 0.12 / 0.036, xlarge 0.24 / 0.072, 2xlarge 0.48 / 0.144. Their allocatable on EKS with the
default daemonsets (0.2 vCPU, 0.5 GiB, 4 pods; REFERENCE §10): CPU = vCPUs − kube-reserved
(6 % + 1 % of the first two cores, 0.5 % of cores 3–4, 0.25 % above) − 0.2 → large 2 − 0.07 − 0.2 =
1.73, xlarge 4 − 0.08 − 0.2 = 3.72, 2xlarge 8 − 0.09 − 0.2 = 7.71; memory (≥ 6.2 GiB) and pod slots
(≥ 25) never bind for these pods. So a 1 CPU / 2 GiB replica: 1 per large, 3 per xlarge, 7 per
2xlarge, and the cheapest whole nodes for n of them on demand are
1 → large 0.12; 2 or 3 → xlarge 0.24; 4 → xlarge + large 0.36; 5–7 → 2xlarge 0.48; 8 → 2xlarge + large 0.60
(spot: the same nodes at 0.3×). The unserved penalty stays on the fluid replica price, the dominant
share of the cheapest fitting node's allocatable: min(0.12/1.73, 0.24/3.72, 0.48/7.71) = 0.48/7.71.
Delay 5 min; AWS gives 2 min interruption notice.
"""

from __future__ import annotations

import numpy as np
import pytest
from builders import make_catalog, make_cluster, make_scenario, make_workload, user
from sim_builders import Fixed, Scripted, flat_traffic

from placement.errors import PlacementError
from placement.scenario import Replicas
from placement.simulate import InterruptionModel, SimulationConfig, simulate

LARGE, XLARGE, XXLARGE = 0.12, 0.24, 0.48  # on-demand $/h per node; spot is SPOT × these
SPOT = 0.3
FLUID_OD = 0.48 / 7.71  # fluid on-demand replica price of 1 CPU / 2 GiB in ie: the unserved penalty's unit
CATALOG = make_catalog(("aws", "eu-west-1", 1.0), ("aws", "us-east-1", 0.5))
IE = make_cluster("ie", region="eu-west-1", country="IE", lat=53.35, lon=-6.26)
US = make_cluster("us", region="us-east-1", country="US", lat=38.9, lon=-77.0)
QUIET = InterruptionModel(rate_multiplier=0.0)


def run(scenario, strategy, demand, **config):
    config.setdefault("interruptions", QUIET)
    return simulate(scenario, flat_traffic(scenario, demand), CATALOG, [strategy], config=SimulationConfig(**config))[
        strategy.name
    ]


def test_exactly_sized_on_demand_costs_the_whole_nodes_its_replicas_need_and_serves_every_slot() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4)])
    result = run(scenario, Fixed({"shop/web": {"ie": Replicas(4, 0)}}), {"shop/web": [4, 4, 3]})
    # 4 replicas of 1 CPU: an xlarge holds 3 (3.72 allocatable CPU), a large the 4th: 0.24 + 0.12 per hour,
    # even in hour 2 when only 3 are needed (the placement still runs 4)
    assert result.compute_usd == pytest.approx([XLARGE + LARGE] * 3)
    assert result.cost_usd == pytest.approx(3 * 0.36)
    assert result.node_hours == 6
    assert result.fluid_compute_usd == pytest.approx([4 * FLUID_OD] * 3)  # the diagnostic: below the node bill
    assert (result.served_slots, result.slots) == (3, 3)
    assert result.unserved_replica_hours == 0


def test_workloads_of_one_pool_share_nodes_and_each_capacity_type_is_its_own_pool() -> None:
    api = make_workload("api", cpu=2.0, memory_gib=4.0, replicas=1)
    scenario = make_scenario([IE], [make_workload(replicas=2), api])
    placement = {"shop/web": {"ie": Replicas(1, 1)}, "shop/api": {"ie": Replicas(1, 0)}}
    result = run(scenario, Fixed(placement), {"shop/web": [2], "shop/api": [1]})
    # on-demand pool: api (2 CPU) + web (1 CPU) = 3 CPU on one xlarge (3.72), not a large for web (0.12)
    # plus an xlarge for api (2 CPU > a large's 1.73) = 0.36; spot pool: web's spot replica on a spot large
    assert result.compute_usd == pytest.approx([XLARGE + SPOT * LARGE])
    assert result.node_hours == 2


def test_missing_replicas_are_charged_at_the_priciest_allowed_on_demand_price() -> None:
    # residency EU allows only ie (scale 1); us (scale 0.5, cheaper) must not set the penalty
    scenario = make_scenario([IE, US], [make_workload(replicas=4, residency=("EU",))])
    result = run(
        scenario, Fixed({"shop/web": {"ie": Replicas(3, 0)}}), {"shop/web": [4, 4]}, unserved_penalty_factor=2.0
    )
    assert result.unserved_replica_hours == pytest.approx(2.0)
    assert result.unserved_usd == pytest.approx([2.0 * FLUID_OD] * 2)  # 1 replica-hour short × 2 × ie's fluid price
    assert result.compute_usd == pytest.approx([XLARGE] * 2)  # the 3 that run: one xlarge
    assert result.served_slots == 0


def test_capacity_added_reactively_arrives_after_the_provisioning_delay() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4)])
    grow = [{"shop/web": {"ie": Replicas(1, 0)}}, {"shop/web": {"ie": Replicas(4, 0)}}]
    result = run(scenario, Scripted(grow, pre_provisioned=False), {"shop/web": [1, 4, 4]}, provision_delay_min=6)
    assert result.unserved_by_workload["shop/web"] == pytest.approx(
        [0.0, 3 * 6 / 60, 0.0]
    )  # 3 new ones, 6 minutes late
    assert result.served_slots == 2
    pre = run(scenario, Scripted(grow), {"shop/web": [1, 4, 4]}, provision_delay_min=6)
    assert pre.unserved_replica_hours == 0  # a plan rolled out ahead of the hour is ready on time


def test_autoscaler_covers_the_gap_after_the_delay_and_keeps_its_replicas() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=6)])
    strategy = Fixed({"shop/web": {"ie": Replicas(2, 0)}}, autoscaling_headroom=0.0)
    result = run(scenario, strategy, {"shop/web": [5, 5, 2]})
    assert result.unserved_by_workload["shop/web"] == pytest.approx([3 * 5 / 60, 0.0, 0.0])
    # 2 + 3 autoscaled = 5 replicas on one 2xlarge (7.71 CPU) for two hours, then 2 on one xlarge:
    # extras scale down with demand; the late ones are billed the whole node-hour
    assert result.compute_usd == pytest.approx([XXLARGE, XXLARGE, XLARGE])
    assert result.launched_replicas == 5


def test_reclaimed_spot_is_missing_for_delay_minus_notice_then_falls_back_to_on_demand() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4, spot_max_fraction=1.0)])
    storm = InterruptionModel(
        hourly_event_probability=lambda hour, cluster: 1.0 if hour == 1 else 0.0, reclaim_fraction=1.0, disruption_h=2
    )
    result = run(scenario, Fixed({"shop/web": {"ie": Replicas(0, 4)}}), {"shop/web": [4, 4, 4, 4]}, interruptions=storm)
    assert result.reclaimed_replicas == 4
    assert result.unserved_by_workload["shop/web"] == pytest.approx([0.0, 4 * (5 - 2) / 60, 0.0, 0.0])
    # hour 0 spot; hours 1-2 the pool is disrupted: on-demand replacements; hour 3 back on spot.
    # 4 replicas: xlarge + large either way (reclaimed spot nodes are not billed for the hour)
    assert result.compute_usd == pytest.approx(
        [SPOT * (XLARGE + LARGE), XLARGE + LARGE, XLARGE + LARGE, SPOT * (XLARGE + LARGE)]
    )
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
    assert result.compute_usd == pytest.approx([XLARGE])  # the cap counts requests: 3 replicas, one xlarge
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
    # a: 4 replicas = xlarge + large 0.36/h; b: 8 replicas = 2xlarge + large 0.60/h (not twice a's bill)
    assert frame.groupby("strategy")["total_usd"].sum().to_dict() == pytest.approx({"a": 2 * 0.36, "b": 2 * 0.60})
    rows = {r["strategy"]: r for r in result.rows(baseline="b", oracle="a")}
    assert rows["a"]["savings_vs_static"] == pytest.approx(0.4) and rows["b"]["vs_oracle"] == round(0.60 / 0.36, 4)
    assert np.isnan(result["a"].p95_latency_ms)  # no users, no latency


def test_the_trace_binding_a_strategy_sees_stops_at_the_current_hour() -> None:
    scenario = make_scenario([IE], [make_workload(replicas=4)])
    spy = Fixed({"shop/web": {"ie": Replicas(4, 0)}})
    run(scenario, spy, {"shop/web": [4, 9, 9]})
    seen = spy.views[1].traffic("shop/web")
    assert len(seen.load) == 25 and seen.load.max() == 4 and seen.per_replica == 1.0


def test_replicas_no_launchable_node_holds_are_a_clear_error() -> None:
    # 8 CPU: more than the largest type's 7.71 allocatable CPU (an m5.2xlarge), so no node can take one
    scenario = make_scenario([IE], [make_workload(cpu=8.0, memory_gib=8.0, replicas=1)])
    with pytest.raises(PlacementError, match="shop/web runs on-demand replicas in ie"):
        run(scenario, Fixed({"shop/web": {"ie": Replicas(1, 0)}}), {"shop/web": [1]})
