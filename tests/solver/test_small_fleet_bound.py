"""The small-fleet bound (joint LP prices, whole-node MIP): known answers and validity.

A bound is only worth reporting if no node-true plan costs less: every test here either knows the
optimum by hand or checks the bound against a plan that exists.
"""

from __future__ import annotations

import itertools
import random

import pytest
from builders import AS_OF, make_cluster, make_offer, make_scenario, make_workload, user

from placement.scenario import Planning, Scenario
from placement.solver.allocation import egress_floor_usd, replica_costs
from placement.solver.candidates import all_options
from placement.solver.deadline import Budget
from placement.solver.joint_prices import joint_prices
from placement.solver.node_plan import dual_options, pool_groups
from placement.solver.node_types import NodeTypes
from placement.solver.packing import PodGroup
from placement.solver.replica_price import ReplicaPricer
from placement.solver.solve import _solve_all, solve
from placement.solver.whole_nodes import whole_node_bound_usd
from pricing import CapacityType, Catalog

IE = {"cloud": "aws", "region": "eu-west-1", "country": "IE"}
DE = {"cloud": "aws", "region": "eu-central-1", "country": "DE", "lat": 50.1, "lon": 8.7}


def _two_regions() -> tuple[Catalog, list]:
    # eu-west-1 sells only m5.2xlarge: 8 − 0.09 kube-reserved − 0.2 daemonsets = 7.71 cores, so two
    # 3-core pods and one 1-core pod share one node (7 cores); eu-central-1 sells a cheap small type
    offers = [
        make_offer(instance_type="m5.2xlarge", vcpus=8.0, memory_gib=32.0, hourly_usd=0.40),
        make_offer(region="eu-central-1", instance_type="m5.large", vcpus=2.0, memory_gib=8.0, hourly_usd=0.03),
    ]
    clusters = [make_cluster("ie", **IE), make_cluster("de", **DE)]
    return Catalog(offers, fetched_at=AS_OF), clusters


def test_the_bound_reaches_the_optimum_that_fluid_prices_miss() -> None:
    # The api (two 3-core pods) must stay in Ireland, where its node has a core and more to spare;
    # the worker (one 1-core pod) may go anywhere, and per core Frankfurt's small node is cheaper.
    # Fluid prices send it there (0.40 + 0.03 $/h); riding in the Irish node's spare room costs
    # nothing, so the optimum is 0.40 — and the bound must find exactly that.
    catalog, clusters = _two_regions()
    scenario = make_scenario(
        clusters,
        [
            make_workload("api", cpu=3.0, memory_gib=4.0, replicas=2, residency=("IE",)),
            make_workload("worker", cpu=1.0, memory_gib=1.0, replicas=1),
        ],
    )
    plan = solve(scenario, catalog)
    assert plan.hourly_usd.compute == pytest.approx(0.43)  # the plan keeps the fluid allocation
    assert plan.solver.bound == pytest.approx(0.40, rel=1e-6)
    assert plan.solver.gap == pytest.approx(0.03 / 0.43, rel=1e-4)


def _one_small_pod() -> tuple[Scenario, Catalog]:
    """One 0.25-core pod; a 2-vCPU type at 0.10 $/h and a 96-vCPU one, cheaper per core."""
    offers = [
        make_offer(instance_type="m6a.large", vcpus=2.0, memory_gib=8.0, hourly_usd=0.10),
        make_offer(instance_type="c6a.24xlarge", vcpus=96.0, memory_gib=192.0, hourly_usd=3.36),
    ]
    catalog = Catalog(offers, fetched_at=AS_OF)
    return make_scenario([make_cluster("ie")], [make_workload(cpu=0.25, memory_gib=0.5, replicas=1)]), catalog


def test_a_single_small_pod_is_bounded_by_the_whole_node_it_opens() -> None:
    # per core the 96-vCPU type is cheapest, and linear prices charge the pod a sliver of it; any
    # plan pays a whole node for it: at least the cheapest type that holds it (0.10 $/h)
    scenario, catalog = _one_small_pod()
    plan = solve(scenario, catalog)
    assert plan.hourly_usd.compute == pytest.approx(0.10)
    assert plan.solver.bound == pytest.approx(0.10, rel=1e-6)
    assert plan.solver.gap == pytest.approx(0.0, abs=1e-6)


def test_short_time_limits_and_the_linear_choice_skip_the_small_fleet_bound() -> None:
    # what-if solves (limits under 10 s) and the simulator's hourly ones (node_bound="linear") keep
    # the quick linear bound: valid, and far below the whole node here
    scenario, catalog = _one_small_pod()
    assert solve(scenario, catalog, time_limit_s=3).solver.bound < 0.05
    assert solve(scenario, catalog, node_bound="linear").solver.bound < 0.05
    assert solve(scenario, catalog, node_bound="full").solver.bound == pytest.approx(0.10, rel=1e-6)
    with pytest.raises(ValueError, match="node_bound='tight': one of full, linear"):
        solve(scenario, catalog, node_bound="tight")


@pytest.mark.parametrize("rounds", [40, 1])
def test_joint_prices_are_valid_for_every_pattern_of_every_type(rounds: int) -> None:
    # converged (40 rounds) or cut after the first LP: the scaling keeps them valid either way
    catalog, clusters = _two_regions()
    scenario = make_scenario(
        clusters,
        [
            make_workload("api", cpu=3.0, memory_gib=4.0, replicas=2, residency=("IE",)),
            make_workload("worker", cpu=1.0, memory_gib=1.0, replicas=5),
            make_workload("batch", cpu=0.5, memory_gib=3.0, replicas=7),
        ],
    )
    pricer = ReplicaPricer(catalog)
    options = [o for o in all_options(scenario, pricer) if o.unplaced is None]
    prices = joint_prices(options, pricer.node_types, scenario.planning, {}, max_rounds=rounds)
    assert prices is not None and prices
    for (name, kind), by_shape in prices.items():
        types = NodeTypes.of_catalog(catalog).of(scenario.cluster(name), kind)
        shapes = list(by_shape.items())
        for t in types:
            most = [min(int(t.cpu // c), int(t.alloc_memory_gib // m)) for (c, m, _), _ in shapes]
            for counts in itertools.product(*(range(n + 1) for n in most)):
                cpu = sum(k * c for k, ((c, _, _), _) in zip(counts, shapes, strict=True))
                memory = sum(k * m for k, ((_, m, _), _) in zip(counts, shapes, strict=True))
                if t.holds(cpu, memory, sum(counts)):
                    worth = sum(k * y for k, (_, y) in zip(counts, shapes, strict=True))
                    assert worth <= t.hourly_usd * (1 + 1e-9), (name, kind, t.instance_type, counts)


@pytest.mark.parametrize("seed", range(10))
def test_the_small_fleet_bounds_never_exceed_a_plan_that_exists(seed: int) -> None:
    # random small fleets over three regions of different prices: the joint-price re-solve and the
    # whole-node MIP must both stay at or below the plan's own node-true objective
    rng = random.Random(seed)
    regions = [("eu-west-1", "IE", 1.0), ("eu-central-1", "DE", 0.8), ("eu-north-1", "SE", 1.2)]
    offers = []
    for region, _, scale in regions:
        for size, vcpus in (("large", 2), ("xlarge", 4), ("2xlarge", 8)):
            for kind in (CapacityType.ON_DEMAND, CapacityType.SPOT):
                for family, gib_per_cpu in (("m5", 4), ("c5", 2)):
                    price = (0.04 * vcpus + 0.005 * vcpus * gib_per_cpu) * scale
                    offers.append(
                        make_offer(
                            region=region,
                            instance_type=f"{family}.{size}",
                            capacity_type=kind,
                            vcpus=float(vcpus),
                            memory_gib=float(vcpus * gib_per_cpu),
                            hourly_usd=price if kind is CapacityType.ON_DEMAND else price * 0.35,
                            interruption_rate=0.05 if kind is CapacityType.SPOT else None,
                        )
                    )
    catalog = Catalog(offers, fetched_at=AS_OF)
    places = {"IE": (53.35, -6.26), "DE": (50.1, 8.7), "SE": (59.3, 18.1)}
    clusters = [
        make_cluster(
            country.lower(),
            region=region,
            country=country,
            lat=places[country][0],
            lon=places[country][1],
            capacity_cpu=rng.choice([None, None, 12.0]),
        )
        for region, country, _ in regions
    ]
    users = [user("dublin", 53.3, -6.3), user("berlin", 52.5, 13.4)]
    workloads = []
    for i in range(rng.randint(3, 9)):
        routed = rng.random() < 0.3
        workloads.append(
            make_workload(
                f"w{i}",
                cpu=rng.choice([0.25, 0.5, 1.0, 1.5, 3.0]),
                memory_gib=rng.choice([0.5, 1.0, 2.0, 4.0, 6.0]),
                replicas=rng.randint(1, 6),
                spot_max_fraction=rng.choice([0.0, 0.5, 1.0]),
                residency=None if routed else rng.choice([None, ("IE",), ("DE", "SE")]),
                min_clusters=rng.choice([1, 1, 2]),
                users={"dublin": 0.5, "berlin": 0.5} if routed else {},
                latency_ms=40.0 if routed else None,
                current={"ie": (rng.randint(0, 3), 0)} if rng.random() < 0.5 else {},
                egress_gb_per_hour=rng.choice([0.0, 0.0, 2.0]),
            )
        )
    planning = Planning(time_limit_s=20, risk_aversion=1.0, max_moves=rng.choice([None, None, 6]))
    scenario = make_scenario(clusters, workloads, planning=planning, user_regions=users)
    plan = solve(scenario, catalog)
    pricer = ReplicaPricer(catalog)
    placeable = [o for o in all_options(scenario, pricer) if o.unplaced is None and o.workload.replicas > 0]
    placed_keys = {a.workload for a in plan.assignments}
    placed = [wo for wo in placeable if wo.workload.key in placed_keys]
    caps = {c.name: c.capacity_cpu for c in clusters if c.capacity_cpu is not None}
    given = joint_prices(placed, pricer.node_types, scenario.planning, caps)
    lower = dual_options(placeable, pricer.node_types, pool_groups(scenario, plan.assignments), given=given)
    budget = Budget(60, reserve_s=0)
    placements, _, resolved, _ = _solve_all(lower, scenario.planning, caps, budget, "scip", 1e-4)
    placed_lower = [lo for wo, lo in zip(placeable, lower, strict=True) if wo.workload.key in placed_keys]
    whole = whole_node_bound_usd(placed, placed_lower, pricer.node_types, scenario.planning, caps, time_limit_s=30)
    if {wo.workload.key for wo, p in zip(placeable, placements, strict=True) if p is not None} != placed_keys:
        resolved = 0.0  # it bounds a different set of workloads (the plan does not use it then either)
    assert whole is not None
    # the lower options carry no egress: the bound adds the least any plan pays (model egress is
    # per replica, the plan's by served traffic, so the model's can be more than a plan pays)
    floor = egress_floor_usd(placeable, placed_keys)
    assert resolved + floor <= plan.solver.objective * (1 + 1e-7) + 1e-9
    assert whole + floor <= plan.solver.objective * (1 + 1e-7) + 1e-9


def test_the_bound_charges_spot_risk_on_the_replica_price_the_plan_charges() -> None:
    # risk aversion × rate × the fluid replica price, whatever lower price replaces the compute
    offers = [
        make_offer(instance_type="m5.xlarge", vcpus=4.0, memory_gib=16.0, capacity_type=kind, **extra)
        for kind, extra in (
            (CapacityType.ON_DEMAND, {}),
            (CapacityType.SPOT, {"hourly_usd": 0.07, "interruption_rate": 0.2}),
        )
    ]
    catalog = Catalog(offers, fetched_at=AS_OF)
    scenario = make_scenario(
        [make_cluster("ie")],
        [make_workload(cpu=3.0, memory_gib=4.0, replicas=2, spot_max_fraction=1.0)],
        planning=Planning(time_limit_s=10, risk_aversion=2.0),
    )
    pricer = ReplicaPricer(catalog)
    (wo,) = all_options(scenario, pricer)
    pods = {("ie", "spot"): [PodGroup("shop/web", 3.0, 4.0, 2, ("amd64",))]}
    (lower,) = dual_options([wo], pricer.node_types, pods)
    fluid, priced = wo.options[0].spot, lower.options[0].spot
    assert fluid is not None and priced is not None
    # one 3-core pod per 4-vCPU node: the lower price is the node's, above the fluid share of it
    assert priced.hourly_usd > fluid.hourly_usd
    _, spot_cost = replica_costs(lower.options[0], 2, 0.0, 2.0)
    assert spot_cost == pytest.approx(priced.hourly_usd + 2.0 * 0.2 * fluid.hourly_usd)


def test_a_near_free_lower_price_leaves_replicas_unbounded_rather_than_past_scip_range() -> None:
    # lower-bound prices can be ~0; a cost-derived bound of 1e20 replicas is refused by SCIP
    from placement.solver.formulation import replica_bound

    assert replica_bound(10.0, 1e-22) == float("inf")
    assert replica_bound(10.0, 2.5) == 4.0
    assert replica_bound(None, 2.5) == float("inf")


def test_joint_prices_worse_than_the_per_pool_ones_do_not_lower_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # Unconverged on real catalogs, the joint LP's prices scaled until valid can bound less than the
    # per-pool prices. Here they are the worst valid prices there are (zero everywhere): a fleet
    # too large for the whole-node MIP (> 100 workloads) must still get the per-pool bound.
    import placement.solver.solve as solve_module

    catalog, clusters = _two_regions()
    rng = random.Random(5)
    workloads = [
        make_workload(
            f"w{i}",
            cpu=rng.choice([0.25, 0.5, 1.0, 3.0]),
            memory_gib=rng.choice([0.5, 1.0, 4.0]),
            replicas=rng.randint(1, 4),
            residency=rng.choice([None, ("IE",)]),
        )
        for i in range(solve_module._WHOLE_NODE_WORKLOADS + 10)
    ]
    scenario = make_scenario(clusters, workloads, planning=Planning(time_limit_s=20))
    monkeypatch.setattr(solve_module, "_JOINT_WORKLOADS_PER_LIMIT_S", 0.0)
    per_pool = solve(scenario, catalog)
    monkeypatch.setattr(solve_module, "_JOINT_WORKLOADS_PER_LIMIT_S", 10.0)
    called = []

    def worthless(placed, *args, **kwargs):
        called.append(len(placed))
        given = joint_prices(placed, *args, **kwargs)
        return {pool: dict.fromkeys(shapes, 0.0) for pool, shapes in (given or {}).items()}

    monkeypatch.setattr(solve_module, "joint_prices", worthless)
    with_joint = solve(scenario, catalog)
    assert called and with_joint.solver.objective == pytest.approx(per_pool.solver.objective)
    assert with_joint.solver.bound == pytest.approx(per_pool.solver.bound)
    assert 0.8 * with_joint.solver.objective < with_joint.solver.bound <= with_joint.solver.objective
