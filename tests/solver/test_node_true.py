"""Node-true costs with known answers (issue "Node-true costs", acceptance).

Every figure is hand-computed from node facts (REFERENCE §10): allocatable = capacity − VM memory
overhead (7.5 %) − kube-reserved − eviction threshold − the cluster's daemonsets (default 200m,
512 MiB, 4 pods per node).
"""

from __future__ import annotations

import pytest
from builders import AS_OF, make_cluster, make_offer, make_scenario, make_workload

from placement.analysis.provisioning import check_provisioning
from placement.analysis.validate import check
from placement.patches.build import to_patches
from placement.solver.node_types import NodeTypes
from placement.solver.packing import PodGroup, provision
from placement.solver.replica_price import ReplicaPricer
from placement.solver.solve import solve
from pricing import CapacityType, Catalog

OD = CapacityType.ON_DEMAND


def test_three_3_cpu_pods_on_4_vcpu_nodes_need_three_nodes() -> None:
    # m5.xlarge: 4 − 0.08 kube-reserved − 0.2 daemonsets = 3.72 cores: one 3-core pod per node
    catalog = Catalog([make_offer(instance_type="m5.xlarge", vcpus=4.0, memory_gib=16.0, hourly_usd=0.192)])
    scenario = make_scenario([make_cluster("ie")], [make_workload(cpu=3.0, memory_gib=4.0, replicas=3)])
    plan = solve(scenario, catalog)
    assert check(plan, scenario, catalog) == []
    assert [(n.instance_type, n.count) for n in plan.nodes] == [("m5.xlarge", 3)]
    assert plan.hourly_usd.compute == pytest.approx(3 * 0.192)


def test_a_2_cpu_4_gib_pod_does_not_fit_e2_standard_2() -> None:
    # e2-standard-2: 2 − 0.07 − 0.2 = 1.73 allocatable cores < 2, whatever its price
    offers = [
        make_offer(
            cloud="gcp",
            region="europe-west4",
            instance_type="e2-standard-2",
            vcpus=2.0,
            memory_gib=8.0,
            hourly_usd=0.067,
        ),
        make_offer(
            cloud="gcp",
            region="europe-west4",
            instance_type="e2-standard-4",
            vcpus=4.0,
            memory_gib=16.0,
            hourly_usd=0.134,
        ),
    ]
    gke = make_cluster("nl", cloud="gcp", region="europe-west4", country="NL", autoscaler="gke")
    catalog = Catalog(offers, fetched_at=AS_OF)
    price = ReplicaPricer(catalog).price(make_workload(cpu=2.0, memory_gib=4.0), gke, OD)
    assert price is not None and price.instance_type == "e2-standard-4"
    scenario = make_scenario([gke], [make_workload(cpu=2.0, memory_gib=4.0, replicas=1)])
    plan = solve(scenario, catalog)
    assert [(n.instance_type, n.count) for n in plan.nodes] == [("e2-standard-4", 1)]


def test_one_small_pod_never_opens_a_96_vcpu_node() -> None:
    # per vCPU the 96-vCPU type is a bargain (0.035 vs 0.05), but one pod pays for its whole node
    offers = [
        make_offer(instance_type="m6a.large", vcpus=2.0, memory_gib=8.0, hourly_usd=0.10),
        make_offer(instance_type="c6a.24xlarge", vcpus=96.0, memory_gib=192.0, hourly_usd=3.36),
    ]
    catalog = Catalog(offers, fetched_at=AS_OF)
    scenario = make_scenario([make_cluster("ie")], [make_workload(cpu=0.25, memory_gib=0.5, replicas=1)])
    plan = solve(scenario, catalog)
    assert [(n.instance_type, n.count) for n in plan.nodes] == [("m6a.large", 1)]
    assert plan.hourly_usd.compute == pytest.approx(0.10)


def test_standard_a1_v2_is_never_planned_under_karpenter_on_azure() -> None:
    # the cheapest size by far, but Karpenter on Azure never launches its restricted sizes
    offers = [
        make_offer(
            cloud="azure",
            region="westeurope",
            instance_type="Standard_A1_v2",
            vcpus=1.0,
            memory_gib=2.0,
            hourly_usd=0.01,
        ),
        make_offer(
            cloud="azure",
            region="westeurope",
            instance_type="Standard_D2s_v5",
            vcpus=2.0,
            memory_gib=8.0,
            hourly_usd=0.096,
        ),
    ]
    catalog = Catalog(offers, fetched_at=AS_OF)
    aks = make_cluster("we", cloud="azure", region="westeurope", country="NL", autoscaler="karpenter/v1")
    # (A1_v2: 1 − 0.06 − 0.2 = 0.74 cores; 2 × 0.925 − 0.5 − 0.73 − 0.5 = 0.12 GiB left for pods)
    tiny = make_workload(cpu=0.1, memory_gib=0.05, replicas=2)
    plan = solve(make_scenario([aks], [tiny]), catalog)
    assert {n.instance_type for n in plan.nodes} == {"Standard_D2s_v5"}
    assert "Standard_A1_v2" not in {t for a in plan.assignments for t in a.instance_types.values()}
    # without an autoscaler that restricts sizes (a node group made by hand) it may be used
    manual = make_cluster("we", cloud="azure", region="westeurope", country="NL", autoscaler="none")
    plan = solve(make_scenario([manual], [tiny]), catalog)
    assert "Standard_A1_v2" in {n.instance_type for n in plan.nodes}


def test_a_few_pods_are_not_put_on_one_oversized_node_when_two_smaller_cost_less() -> None:
    # nine 1-core pods, 9 cores. The larger sizes lose less to reserves per core, but with any of
    # them admitted Karpenter fills one claim (a 16-vCPU node holds all nine) and launches the
    # cheapest size that does: m5.4xlarge, 0.768 $/h. With sizes up to m5.2xlarge admitted it fills
    # that (7 pods on 7.71 cores) and opens a second claim for two pods: m5.xlarge, 0.384 + 0.192 =
    # 0.576 $/h; so do three m5.xlarge (3 pods each). The plan's NodePool admits no larger size.
    sizes = [("large", 2), ("xlarge", 4), ("2xlarge", 8), ("4xlarge", 16), ("8xlarge", 32), ("12xlarge", 48)]
    sizes += [("16xlarge", 64), ("24xlarge", 96)]
    offers = [
        make_offer(instance_type=f"m5.{size}", vcpus=float(v), memory_gib=4.0 * v, hourly_usd=0.048 * v)
        for size, v in sizes
    ]
    catalog = Catalog(offers, fetched_at=AS_OF)
    scenario = make_scenario([make_cluster("ie")], [make_workload(cpu=1.0, memory_gib=2.0, replicas=9)])
    plan = solve(scenario, catalog)
    assert sum(n.count for n in plan.nodes) in (2, 3)
    assert plan.hourly_usd.compute == pytest.approx(0.576)
    report = check_provisioning(plan, scenario, catalog, to_patches(plan, scenario))
    assert report.ok and report.simulated_usd == pytest.approx(0.576), report.violations
    admitted = {t for n in plan.nodes for t in (n.instance_type, *n.substitutes)}
    assert "m5.4xlarge" not in admitted


def test_nodepool_limits_hold_every_planned_pod_and_the_bill_matches() -> None:
    offers = [
        make_offer(instance_type=f"m5.{size}", vcpus=float(v), memory_gib=4.0 * v, hourly_usd=0.048 * v)
        for size, v in (("large", 2), ("xlarge", 4), ("2xlarge", 8), ("4xlarge", 16))
    ]
    catalog = Catalog(offers, fetched_at=AS_OF)
    workloads = [
        make_workload(f"w{i}", cpu=cpu, memory_gib=mem, replicas=n)
        for i, (cpu, mem, n) in enumerate([(0.5, 1.0, 17), (1.0, 4.0, 9), (2.0, 3.0, 5), (0.25, 0.5, 40)])
    ]
    scenario = make_scenario([make_cluster("ie")], workloads)
    plan = solve(scenario, catalog)
    report = check_provisioning(plan, scenario, catalog, to_patches(plan, scenario))
    assert report.ok, report.violations
    assert report.landed == report.pods == sum(w.replicas for w in workloads)
    assert report.simulated_usd == pytest.approx(plan.hourly_usd.compute)


def test_limits_below_whole_nodes_leave_pods_pending_and_the_check_says_so() -> None:
    types = NodeTypes(
        Catalog([make_offer(instance_type="m5.xlarge", vcpus=4.0, memory_gib=16.0, hourly_usd=0.192)], fetched_at=AS_OF)
    ).of(make_cluster("ie"), OD)
    pods = [PodGroup("shop/web", 1.0, 2.0, 6)]
    assert provision(pods, types).pending == {} and len(provision(pods, types).nodes) == 2
    # a 6-core limit (the pods' requests) admits one 4-vCPU node: three pods stay Pending
    limited = provision(pods, types, cpu_limit=6.0)
    assert len(limited.nodes) == 1 and limited.pending == {"shop/web": 3}


def test_the_check_reports_a_nodepool_that_admits_a_dearer_type() -> None:
    offers = [
        make_offer(instance_type="m5.large", vcpus=2.0, memory_gib=8.0, hourly_usd=0.096),
        make_offer(instance_type="m5.24xlarge", vcpus=96.0, memory_gib=384.0, hourly_usd=4.608),
    ]
    catalog = Catalog(offers, fetched_at=AS_OF)
    scenario = make_scenario([make_cluster("ie")], [make_workload(cpu=0.5, memory_gib=1.0, replicas=2)])
    plan = solve(scenario, catalog)
    patches = to_patches(plan, scenario)
    for patch in patches:  # widen the written pool to every size, as a family requirement would
        if patch.role == "capacity" and patch.body["kind"] == "NodePool":
            for requirement in patch.body["spec"]["template"]["spec"]["requirements"]:
                if requirement["key"] == "node.kubernetes.io/instance-type" and requirement["values"]:
                    requirement["values"] = ["m5.large", "m5.24xlarge"]
    report = check_provisioning(plan, scenario, catalog, patches)
    assert any("admits types dearer than planned: m5.24xlarge" in v for v in report.violations)


def test_before_is_priced_from_todays_nodes_when_the_cluster_declares_them() -> None:
    from dataclasses import replace

    catalog = Catalog(
        [
            make_offer(instance_type="m5.xlarge", vcpus=4.0, memory_gib=16.0, hourly_usd=0.192),
            make_offer(instance_type="m5.4xlarge", vcpus=16.0, memory_gib=64.0, hourly_usd=0.768),
        ],
        fetched_at=AS_OF,
    )
    web = make_workload(cpu=1.0, memory_gib=2.0, replicas=3, current={"ie": (3, 0)})
    packed = solve(make_scenario([make_cluster("ie")], [web]), catalog)
    assert packed.hourly_usd.before == pytest.approx(0.192)  # today's 3 pods fit one m5.xlarge
    assert "replicas packed" in packed.before_basis
    # the fleet says it runs two m5.4xlarge today: that is what it pays
    running = replace(make_cluster("ie"), current_nodes={("m5.4xlarge", "on-demand"): 2})
    declared = solve(make_scenario([running], [web]), catalog)
    assert declared.hourly_usd.before == pytest.approx(2 * 0.768)
    assert declared.before_basis == "today's nodes (ie)"


def test_a_spot_nodepool_admits_as_roomy_no_dearer_siblings_and_the_bill_holds() -> None:
    # m5.xlarge and m5a.xlarge: same size, same allocatable, m5a cheaper on spot; m6i.xlarge dearer;
    # m5.2xlarge larger (more capacity counts against limits): only m5a may stand in for m5
    spot = CapacityType.SPOT
    offers = [
        make_offer(instance_type="m5.xlarge", vcpus=4.0, memory_gib=16.0, hourly_usd=0.192),
        make_offer(instance_type="m5.xlarge", capacity_type=spot, vcpus=4.0, memory_gib=16.0, hourly_usd=0.070),
        make_offer(instance_type="m5a.xlarge", capacity_type=spot, vcpus=4.0, memory_gib=16.0, hourly_usd=0.070),
        make_offer(instance_type="m6i.xlarge", capacity_type=spot, vcpus=4.0, memory_gib=16.0, hourly_usd=0.090),
        make_offer(instance_type="m5.2xlarge", capacity_type=spot, vcpus=8.0, memory_gib=32.0, hourly_usd=0.150),
    ]
    catalog = Catalog(offers, fetched_at=AS_OF)
    workload = make_workload(cpu=3.0, memory_gib=6.0, replicas=4, spot_max_fraction=1.0)
    scenario = make_scenario([make_cluster("ie")], [workload])
    plan = solve(scenario, catalog)
    spot_nodes = [n for n in plan.nodes if n.capacity_type == "spot"]
    assert spot_nodes, plan.nodes
    admitted = {n.instance_type for n in spot_nodes} | {s for n in spot_nodes for s in n.substitutes}
    assert {"m5.xlarge", "m5a.xlarge"} <= admitted
    assert not admitted & {"m6i.xlarge", "m5.2xlarge"}
    patches = to_patches(plan, scenario)
    written = [
        r["values"]
        for p in patches
        if p.role == "capacity" and p.body["kind"] == "NodePool" and "spot" in p.body["metadata"]["name"]
        for r in p.body["spec"]["template"]["spec"]["requirements"]
        if r["key"] == "node.kubernetes.io/instance-type"
    ]
    assert written and set(written[0]) == admitted
    report = check_provisioning(plan, scenario, catalog, patches)
    assert report.ok, report.violations
    assert report.simulated_usd == pytest.approx(plan.hourly_usd.compute)


def test_a_listed_substitute_that_is_dearer_is_reported() -> None:
    from dataclasses import replace

    offers = [
        make_offer(instance_type="m5.xlarge", vcpus=4.0, memory_gib=16.0, hourly_usd=0.192),
        make_offer(instance_type="m6i.xlarge", vcpus=4.0, memory_gib=16.0, hourly_usd=0.25),
    ]
    catalog = Catalog(offers, fetched_at=AS_OF)
    scenario = make_scenario([make_cluster("ie")], [make_workload(cpu=3.0, memory_gib=4.0, replicas=2)])
    plan = solve(scenario, catalog)
    assert all(not n.substitutes for n in plan.nodes)  # m6i is dearer: never a substitute
    edited = replace(plan, nodes=tuple(replace(n, substitutes=("m6i.xlarge",)) for n in plan.nodes))
    report = check_provisioning(edited, scenario, catalog, to_patches(edited, scenario))
    assert any("dearer than planned: m6i.xlarge" in v for v in report.violations)
