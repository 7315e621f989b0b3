"""What-if transforms, comparisons, sweeps and Pareto frontiers."""

from __future__ import annotations

import math

import pytest
from builders import make_catalog, make_cluster, make_scenario, make_workload, user
from hypothesis import given
from hypothesis import strategies as st

from placement.errors import PlacementError
from placement.scenario import Planning
from placement.simulate import whatif
from pricing import CapacityType

CATALOG = make_catalog(("aws", "eu-west-1", 1.0), ("gcp", "europe-west4", 0.8), ("aws", "us-east-1", 0.5))
IE = make_cluster("ie", region="eu-west-1", country="IE", lat=53.35, lon=-6.26)
NL = make_cluster("nl", cloud="gcp", region="europe-west4", country="NL", lat=53.44, lon=6.84)
US = make_cluster("us", region="us-east-1", country="US", lat=38.9, lon=-77.0)
EU_USERS = [user("eu", 50.1, 8.7), user("us", 38.9, -77.0)]


def scenario(**planning):
    web = make_workload(
        "web", replicas=6, users={"eu": 1.0}, latency_ms=40, current={"nl": (6, 0)}, spot_max_fraction=0.5
    )
    batch = make_workload("batch", replicas=4, spot_max_fraction=1.0, current={"us": (4, 0)})
    return make_scenario(
        [IE, NL, US], [web, batch], user_regions=EU_USERS, planning=Planning(time_limit_s=5, **planning)
    )


def test_outage_removes_the_clusters_and_todays_replicas_there() -> None:
    base = scenario()
    down = whatif.outage(base, cloud="gcp", region="europe-west4")
    assert [c.name for c in down.clusters] == ["ie", "us"]
    assert down.workload("shop/web").current == {} and base.workload("shop/web").current  # the input is untouched
    assert [c.name for c in whatif.outage(base, clusters=["us"]).clusters] == ["ie", "nl"]
    assert [c.name for c in whatif.outage(base, cloud="aws").clusters] == ["nl"]
    plan = whatif.plan(down, CATALOG)
    assert {a.cluster for a in plan.assignments} <= {"ie", "us"}
    with pytest.raises(PlacementError, match="no such cluster"):
        whatif.outage(base, cloud="azure")
    with pytest.raises(PlacementError, match="every cluster"):
        whatif.outage(base, clusters=["ie", "nl", "us"])


def test_price_shock_scales_only_matching_offers() -> None:
    shocked = whatif.price_shock(CATALOG, 30, cloud="aws", capacity_type="spot")
    for before, after in zip(CATALOG, shocked, strict=True):
        hit = before.cloud == "aws" and before.capacity_type is CapacityType.SPOT
        assert after.hourly_usd == pytest.approx(before.hourly_usd * (1.3 if hit else 1.0))
    assert whatif.price_shock(CATALOG, -50, family="m5").offers[0].hourly_usd == pytest.approx(
        CATALOG.offers[0].hourly_usd / 2
    )
    with pytest.raises(PlacementError, match="no offer matches cloud=azure"):
        whatif.price_shock(CATALOG, 10, cloud="azure")
    with pytest.raises(PlacementError, match="100%"):
        whatif.price_shock(CATALOG, -100)


def test_a_shock_moves_replicas_and_compare_lists_what_changed() -> None:
    base = scenario()
    before = whatif.plan(base, CATALOG)
    after = whatif.plan(base, whatif.price_shock(CATALOG, 200, cloud="gcp"))
    diff = whatif.compare(before, after)
    assert diff.after_hourly_usd > diff.before_hourly_usd
    moved = {(c.workload, c.cluster) for c in diff.changes}
    assert ("shop/web", "nl") in moved and ("shop/web", "ie") in moved  # web leaves the pricier gcp cluster
    assert whatif.compare(before, before).changes == ()


def test_residency_traffic_and_new_provider_transforms() -> None:
    base = scenario()
    eu_only = whatif.residency_change(base, ["EU"], workloads=["shop/batch"])
    assert eu_only.workload("shop/batch").residency == ("EU",) and eu_only.workload("shop/web").residency is None
    assert {a.cluster for a in whatif.plan(eu_only, CATALOG).for_workload("shop/batch")} <= {"ie", "nl"}
    busy = whatif.traffic_multiplier(base, 2.5, workloads=["shop/w*"])
    assert busy.workload("shop/web").replicas == 15 and busy.workload("shop/batch").replicas == 4
    grown, catalog = whatif.add_provider(
        base,
        CATALOG,
        name="dc1",
        cloud="private",
        region="fra",
        country="de",
        lat=50.1,
        lon=8.7,
        vcpu_hourly_usd=0.005,
        gib_hourly_usd=0.0005,
        capacity_cpu=4,
    )
    assert grown.cluster("dc1").country == "DE" and ("private", "fra") in catalog.regions()
    plan = whatif.plan(grown, catalog)
    assert sum(a.replicas for a in plan.assignments if a.cluster == "dc1") == 4  # cheap private base fills its cap
    with pytest.raises(PlacementError, match="residency"):
        whatif.residency_change(base, ["XX"])
    with pytest.raises(PlacementError, match="no workload matches"):
        whatif.traffic_multiplier(base, 2, workloads=["nope/*"])


def test_frontiers_trade_cost_for_latency_and_for_spot_risk() -> None:
    base = scenario()
    latency = whatif.latency_frontier(base, CATALOG, factors=(1.0, 3.0))
    assert latency[1].hourly_usd <= latency[0].hourly_usd + 1e-9  # looser rules never cost more
    risk = whatif.risk_frontier(base, CATALOG, aversions=(0.0, 1000.0))
    assert risk[0].spot_share > risk[1].spot_share and risk[0].reclaims_per_day > risk[1].reclaims_per_day
    assert risk[0].hourly_usd < risk[1].hourly_usd
    front = whatif.pareto(risk, x=lambda p: p.reclaims_per_day, y=lambda p: p.hourly_usd)
    assert front == sorted(front, key=lambda p: p.reclaims_per_day) and len(front) == 2


points = st.lists(
    st.tuples(st.floats(0, 100, allow_nan=False), st.floats(0, 100, allow_nan=False)), min_size=1, max_size=30
)


@given(points)
def test_pareto_front_is_exactly_the_non_dominated_points(pts: list[tuple[float, float]]) -> None:
    front = whatif.pareto(pts, x=lambda p: p[0], y=lambda p: p[1])

    def dominated(p: tuple[float, float]) -> bool:
        return any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in pts)

    assert all(not dominated(p) for p in front)
    assert {p for p in pts if not dominated(p)} == set(front)
    assert [p[0] for p in front] == sorted(p[0] for p in front)


def test_pareto_drops_points_without_a_coordinate() -> None:
    assert whatif.pareto([(math.nan, 1.0), (2.0, 2.0)], x=lambda p: p[0], y=lambda p: p[1]) == [(2.0, 2.0)]


def test_reclaims_follow_the_spot_node_type_hosting_the_pods() -> None:
    from builders import make_assignment, make_offer, make_plan

    from placement.simulate.interruptions import hourly_probability
    from pricing import Catalog

    # spot m5 sizes with different interruption rates; 3 spot replicas of 1 CPU pack onto one m5.xlarge
    # (3.72 allocatable CPU, $0.072) although the fluid price's type is the m5.2xlarge (0.144/7.71 < 0.072/3.72)
    rates = {"large": 0.05, "xlarge": 0.2, "2xlarge": 0.3}
    catalog = Catalog(
        [
            make_offer(
                instance_type=f"m5.{size}",
                capacity_type=CapacityType.SPOT,
                vcpus=float(v),
                memory_gib=float(4 * v),
                interruption_rate=rates[size],
            )
            for size, v in (("large", 2), ("xlarge", 4), ("2xlarge", 8))
        ]
    )
    scenario_ = make_scenario([IE], [make_workload("web", replicas=3, spot_max_fraction=1.0)])
    plan = make_plan(make_assignment("shop/web", "ie", 0, 3, instance_types={"spot": "m5.xlarge"}))
    point = whatif.evaluate(scenario_, catalog, plan)
    assert point.reclaims_per_day == pytest.approx(3 * hourly_probability(0.2) * 24)
    assert point.spot_share == 1.0
