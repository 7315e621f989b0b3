"""Property: on random valid scenarios, every plan passes the independent validator, and the
solver is never costlier than the greedy cheapest-first baseline on the same scenario."""

from __future__ import annotations

from builders import make_catalog, make_cluster, make_scenario, make_workload, user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placement.analysis.validate import check
from placement.scenario import Planning
from placement.solver.candidates import all_options
from placement.solver.formulation import replica_costs
from placement.solver.greedy import greedy
from placement.solver.replica_price import ReplicaPricer
from placement.solver.solve import solve

REGIONS = [
    ("aws", "eu-west-1", "IE", 53.35, -6.26),
    ("aws", "eu-central-1", "DE", 50.11, 8.68),
    ("aws", "us-east-1", "US", 38.9, -77.0),
    ("gcp", "asia-northeast1", "JP", 35.7, 139.7),
]
USERS = [user("eu", 50.1, 8.7), user("us", 40.7, -74.0), user("jp", 35.7, 139.7)]


@st.composite
def scenarios(draw: st.DrawFn):
    scales = draw(st.lists(st.floats(0.3, 2.0), min_size=len(REGIONS), max_size=len(REGIONS)))
    catalog = make_catalog(
        *[(cloud, region, scale) for (cloud, region, *_), scale in zip(REGIONS, scales, strict=True)]
    )
    clusters = []
    for index, (cloud, region, country, lat, lon) in enumerate(REGIONS):
        cap = draw(st.one_of(st.none(), st.sampled_from([4.0, 8.0, 16.0])))
        clusters.append(
            make_cluster(f"c{index}", cloud=cloud, region=region, country=country, lat=lat, lon=lon, capacity_cpu=cap)
        )
    workloads = []
    for index in range(draw(st.integers(1, 6))):
        replicas = draw(st.integers(0, 8))
        min_available = draw(st.integers(0, replicas))
        users = draw(st.sampled_from([{}, {"eu": 1.0}, {"eu": 0.5, "us": 0.5}, {"us": 0.3, "jp": 0.7}]))
        workloads.append(
            make_workload(
                f"w{index}",
                cpu=draw(st.sampled_from([0.25, 0.5, 1.0, 2.0])),
                memory_gib=draw(st.sampled_from([0.5, 2.0])),
                replicas=replicas,
                min_available=min_available,
                spot_max_fraction=draw(st.sampled_from([0.0, 0.5, 0.8, 1.0])),
                min_clusters=draw(st.integers(1, 2)),
                residency=draw(st.sampled_from([None, ("EU",), ("US",), ("DE", "JP")])),
                users=users,
                latency_ms=draw(st.sampled_from([None, 60.0, 150.0])) if users else None,
                current={"c0": (replicas, 0)} if draw(st.booleans()) else {},
            )
        )
    max_moves = draw(st.one_of(st.none(), st.integers(0, 10)))
    scenario = make_scenario(
        clusters, workloads, user_regions=USERS, planning=Planning(time_limit_s=5, max_moves=max_moves)
    )
    return scenario, catalog


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_plans_are_valid_and_never_costlier_than_greedy(case) -> None:
    scenario, catalog = case
    plan = solve(scenario, catalog)
    assert check(plan, scenario, catalog) == [], plan.to_json()
    if scenario.planning.max_moves is None:
        options = [o for o in all_options(scenario, ReplicaPricer(catalog)) if o.unplaced is None]
        capacity = {c.name: c.capacity_cpu for c in scenario.clusters if c.capacity_cpu is not None}
        baseline = greedy(options, scenario.planning, capacity)
        if all(p is not None for p in baseline):
            cost = sum(
                n * (c or 0.0)
                for wo, p in zip(options, baseline, strict=True)
                if p
                for name, (od, sp) in p.replicas.items()
                for n, c in zip(
                    (od, sp),
                    replica_costs(
                        next(o for o in wo.options if o.cluster.name == name),
                        wo.workload.replicas,
                        wo.workload.egress_gb_per_hour,
                        scenario.planning.risk_aversion,
                    ),
                    strict=True,
                )
            )
            assert plan.solver.model_objective <= cost + 1e-6  # the allocation model, on the same fluid prices
            assert plan.solver.bound <= plan.solver.objective + 1e-9
            assert len(plan.unplaced) <= sum(
                o.unplaced is not None for o in all_options(scenario, ReplicaPricer(catalog))
            )
