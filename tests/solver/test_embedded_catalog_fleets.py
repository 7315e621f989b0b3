"""Plans on the embedded AWS / GCP / Azure catalogs: hundreds of instance types per pool, nodes up to
192 vCPUs and 26–737 pod slots, each platform's autoscaler — where the synthetic test catalogs
(a few small types) hide what the packing and the bound's knapsacks have to do.

Random small fleets over real regions, planned under a limit that runs every bound (joint prices,
packing LPs, whole nodes): every pod lands where the written NodePools send it, the node bill is the
plan's compute, the validator finds nothing, and the bound's re-solve on the per-pool prices stays
below the plan's objective before it is capped there.
"""

from __future__ import annotations

import random

import pytest
from builders import make_cluster, make_scenario, make_workload, user

from placement.analysis.provisioning import check_provisioning
from placement.analysis.validate import check
from placement.patches.build import to_patches
from placement.scenario import Planning
from placement.solver.allocation import egress_floor_usd
from placement.solver.candidates import all_options
from placement.solver.deadline import Budget
from placement.solver.node_plan import dual_options, pattern_work, pool_groups
from placement.solver.replica_price import ReplicaPricer
from placement.solver.solve import _solve_all, solve
from pricing.embedded import load_embedded_catalog

CLUSTERS = [
    # name, cloud, region, country, lat, lon, autoscaler
    ("aws-ie", "aws", "eu-west-1", "IE", 53.35, -6.26, "karpenter/v1"),
    ("aws-de", "aws", "eu-central-1", "DE", 50.11, 8.68, "karpenter/v1alpha5"),
    ("gke-nl", "gcp", "europe-west4", "NL", 53.44, 6.84, "gke"),
    ("aks-nl", "azure", "westeurope", "NL", 52.37, 4.9, "aks"),
    ("azk-us", "azure", "eastus", "US", 37.37, -79.82, "karpenter/v1"),
]
SHAPES = [(0.1, 0.125), (0.25, 0.5), (0.5, 2.0), (1.0, 1.0), (2.0, 8.0), (3.0, 6.0), (4.0, 16.0), (8.0, 32.0)]


@pytest.fixture(scope="module")
def catalog():
    return load_embedded_catalog()


@pytest.mark.parametrize("seed", range(4))
def test_plans_on_real_catalogs_land_every_pod_at_the_planned_bill_above_a_valid_bound(catalog, seed: int) -> None:
    rng = random.Random(seed)
    clusters = [
        make_cluster(name, cloud=cloud, region=region, country=country, lat=lat, lon=lon, autoscaler=autoscaler)
        for name, cloud, region, country, lat, lon, autoscaler in rng.sample(CLUSTERS, rng.randint(2, 4))
    ]
    names = [c.name for c in clusters]
    workloads = []
    for i in range(rng.randint(6, 14)):
        cpu, memory_gib = rng.choice(SHAPES)
        replicas = rng.randint(1, 12)
        routed = rng.random() < 0.3
        workloads.append(
            make_workload(
                f"w{i}",
                cpu=cpu,
                memory_gib=memory_gib,
                replicas=replicas,
                spot_max_fraction=rng.choice([0.0, 0.5, 1.0]),
                architectures=("amd64", "arm64") if rng.random() < 0.3 else ("amd64",),
                min_clusters=rng.choice([1, 1, 2]),
                users={"europe": 1.0} if routed else {},
                latency_ms=60.0 if routed else None,
                current={rng.choice(names): (replicas, 0)},
                egress_gb_per_hour=rng.choice([0.0, 0.0, 1.5]),
            )
        )
    planning = Planning(time_limit_s=20, risk_aversion=1.0)
    scenario = make_scenario(clusters, workloads, planning=planning, user_regions=[user("europe", 50.1, 8.7)])
    plan = solve(scenario, catalog, time_limit_s=20)

    assert check(plan, scenario, catalog) == []
    report = check_provisioning(plan, scenario, catalog, to_patches(plan, scenario))
    assert report.pods > 0 and report.landed == report.pods
    assert list(report.violations) == []
    assert report.bill_ratio == pytest.approx(1.0, abs=1e-9)
    assert plan.hourly_usd.compute == pytest.approx(sum(n.hourly_usd for n in plan.nodes))

    # the per-pool prices (packing LPs under the plan's own work limit) bound the plan before the cap
    pricer = ReplicaPricer(catalog)
    placeable = [o for o in all_options(scenario, pricer) if o.unplaced is None and o.workload.replicas > 0]
    placed = {a.workload for a in plan.assignments}
    caps = {c.name: c.capacity_cpu for c in clusters if c.capacity_cpu is not None}
    lower = dual_options(
        placeable,
        pricer.node_types,
        pool_groups(scenario, plan.assignments),
        work_limit=pattern_work(20, len(placed)),
    )
    placements, _, resolved, _ = _solve_all(lower, planning, caps, Budget(60, reserve_s=0), "scip", 1e-4)
    if {wo.workload.key for wo, p in zip(placeable, placements, strict=True) if p is not None} == placed:
        assert resolved + egress_floor_usd(placeable, placed) <= plan.solver.objective * (1 + 1e-7) + 1e-9
    assert 0 < plan.solver.bound <= plan.solver.objective
