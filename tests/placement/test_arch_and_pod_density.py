"""Replica prices only on nodes a replica can use: its images' architectures, and pods per node.

An amd64-only workload is never priced (or planned) on a Graviton node; a multi-arch one may be.
A replica costs at least one pod slot of its node's allocatable (the cluster's maxPodsPerNode, else
the platform's default — on AWS the type's ENI limit — less the daemonsets' pods). Fluid prices are
on allocatable: m7i.large gives pods 2 − 0.07 kube-reserved − 0.2 daemonsets = 1.73 cores and
29 − 4 = 25 pod slots.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from builders import make_cluster, make_offer, make_scenario, make_workload

from placement.analysis.validate import check
from placement.errors import InvalidScenario
from placement.load.scenario import build_scenario
from placement.solver.replica_price import ReplicaPricer
from placement.solver.solve import solve
from pricing import CapacityType, Catalog

OD = CapacityType.ON_DEMAND
IE = make_cluster("ie")
# Graviton is 20 % cheaper per vCPU than the amd64 type of the same shape; the big amd64 node is
# cheaper per vCPU than the small one, but only 110 pods fit on it
SMALL = [
    make_offer(instance_type="m7i.large", vcpus=2.0, memory_gib=8.0, hourly_usd=0.10),
    make_offer(instance_type="m7g.large", vcpus=2.0, memory_gib=8.0, hourly_usd=0.08),
]
CATALOG = Catalog([*SMALL, make_offer(instance_type="c7i.16xlarge", vcpus=64.0, memory_gib=128.0, hourly_usd=2.88)])


def _price(workload: Any, cluster: Any = IE, catalog: Catalog = CATALOG) -> tuple[float, str]:
    found = ReplicaPricer(catalog).price(workload, cluster, OD)
    assert found is not None
    return round(found.hourly_usd, 6), found.instance_type


def test_an_amd64_workload_is_priced_on_amd64_nodes_only() -> None:
    small = Catalog(SMALL)
    amd64 = round(0.10 / 1.73, 6)  # 1 core of m7i.large's 1.73 allocatable
    assert _price(make_workload(cpu=1.0, memory_gib=2.0), catalog=small) == (amd64, "m7i.large")  # default: amd64
    multi = make_workload(cpu=1.0, memory_gib=2.0, architectures=("amd64", "arm64"))
    assert _price(multi, catalog=small) == (round(0.08 / 1.73, 6), "m7g.large")
    arm = make_workload(cpu=1.0, memory_gib=2.0, architectures=("arm64",))
    assert _price(arm, catalog=small) == (round(0.08 / 1.73, 6), "m7g.large")


def test_an_arm_only_workload_with_no_arm_type_in_the_region_does_not_fit() -> None:
    amd_only = Catalog([o for o in CATALOG if o.arch == "amd64"])
    assert ReplicaPricer(amd_only).price(make_workload(architectures=("arm64",)), IE, OD) is None


def test_a_replica_costs_at_least_its_share_of_the_nodes_pod_slots() -> None:
    tiny = make_workload(cpu=0.1, memory_gib=0.1)
    # With 10 pods per node (6 left after 4 daemonset pods) a replica pays 1/6 of its node: the
    # 64-vCPU node (2.88 / 6) is no bargain, the 2-vCPU one (0.10 / 6) wins.
    sparse = make_cluster("ie", max_pods_per_node=10)
    assert _price(tiny, sparse) == (round(0.10 / 6, 6), "m7i.large")
    # With 1,000 pods per node (996 left) CPU binds: 0.1 of the big node's 64 − 0.23 kube-reserved − 0.2 cores.
    dense = make_cluster("ie", max_pods_per_node=1000)
    assert _price(tiny, dense) == (round(2.88 * 0.1 / (64 - 0.23 - 0.2), 6), "c7i.16xlarge")


def test_one_small_pod_never_opens_the_big_node() -> None:
    """Fluidly the 64-vCPU node is cheapest per replica, but one pod pays for a whole node: the plan
    launches the 2-vCPU one ($0.10/h), never the $2.88/h one."""
    scenario = make_scenario([IE], [make_workload("tiny", cpu=0.1, memory_gib=0.1, replicas=1)])
    plan = solve(scenario, CATALOG)
    assert check(plan, scenario, CATALOG) == []
    assert [(n.instance_type, n.count) for n in plan.nodes] == [("m7i.large", 1)]
    assert plan.hourly_usd.compute == pytest.approx(0.10)


def test_plans_follow_both_rules_and_the_validator_checks_them() -> None:
    workloads = [
        make_workload("web", cpu=1.0, memory_gib=2.0, replicas=4),
        make_workload("batch", cpu=1.0, memory_gib=2.0, replicas=4, architectures=("amd64", "arm64")),
        make_workload("tiny", cpu=0.05, memory_gib=0.05, replicas=30),
    ]
    scenario = make_scenario([IE], workloads)
    plan = solve(scenario, CATALOG)
    assert check(plan, scenario, CATALOG) == []
    chosen = {a.workload: a.instance_types["on-demand"] for a in plan.assignments}
    # 38 pods, 8 of them 1-core: whole nodes of one type hold them (web's amd64-only pods rule out
    # Graviton for the pool's shared nodes), and no pod of web runs on an arm64 node
    arm = {t for t in chosen.values() if t.startswith("m7g")}
    assert not arm or chosen["shop/web"] not in arm
    assert sum(n.hourly_usd for n in plan.nodes) == pytest.approx(plan.hourly_usd.compute)
    # a plan that puts the amd64-only workload on a Graviton node is refused by the independent validator
    forged = replace(
        plan, nodes=tuple(replace(n, instance_type="m7g.large", hourly_usd=0.08 * n.count) for n in plan.nodes)
    )
    problems = [str(v) for v in check(forged, scenario, CATALOG)]
    assert any("do not fit the planned nodes" in p for p in problems), problems


BASE: dict[str, Any] = {
    "apiVersion": "placement.dev/v1alpha1",
    "kind": "Scenario",
    "metadata": {"name": "t"},
    "spec": {
        "clusters": [{"name": "ie", "cloud": "aws", "region": "eu-west-1"}],
        "workloads": [
            {
                "name": "web",
                "namespace": "shop",
                "resources": {"cpu": "500m", "memory": "1Gi"},
                "demand": {"replicas": 2},
            }
        ],
    },
}


def _built(cluster: dict[str, Any] | None = None, workload: dict[str, Any] | None = None) -> Any:
    doc = copy.deepcopy(BASE)
    doc["spec"]["clusters"][0].update(cluster or {})
    doc["spec"]["workloads"][0].update(workload or {})
    return build_scenario(doc, source="s.yaml")


def test_the_loader_reads_architectures_and_max_pods_with_safe_defaults() -> None:
    scenario = _built()
    # unset maxPodsPerNode: the platform's default per type (AWS's ENI limit), not one number
    assert scenario.workloads[0].architectures == ("amd64",) and scenario.clusters[0].max_pods_per_node is None
    scenario = _built({"maxPodsPerNode": 250}, {"architectures": ["arm64", "amd64"]})
    assert scenario.workloads[0].architectures == ("amd64", "arm64") and scenario.clusters[0].max_pods_per_node == 250


@pytest.mark.parametrize(
    ("cluster", "workload", "message"),
    [
        (
            {},
            {"architectures": ["x86_64"]},
            "spec.workloads[0].architectures: unknown architecture 'x86_64': use amd64 and/or arm64",
        ),
        ({}, {"architectures": []}, "must be a non-empty list of amd64, arm64"),
        ({"maxPodsPerNode": 0}, {}, "spec.clusters[0].maxPodsPerNode: must be at least 1 (got 0)"),
        ({"maxPodsPerNode": "many"}, {}, "must be a whole number"),
    ],
)
def test_bad_architectures_or_max_pods_name_the_field_value_and_fix(
    cluster: dict[str, Any], workload: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidScenario) as caught:
        _built(cluster, workload)
    assert message in str(caught.value)


def test_an_arch_that_no_region_sells_leaves_the_workload_unplaced_with_the_reason() -> None:
    amd_only = Catalog([o for o in CATALOG if o.arch == "amd64"])
    scenario = make_scenario([IE], [make_workload("arm-svc", architectures=("arm64",))])
    plan = solve(scenario, amd_only)
    assert [u.workload for u in plan.unplaced] == ["shop/arm-svc"]
    reason = plan.unplaced[0].reason
    assert "fit no priced arm64 instance type" in reason and "check architectures [arm64]" in reason


def test_explain_names_architectures_as_what_excludes_a_cluster() -> None:
    from placement.analysis.explain import explain_workload

    amd_only = Catalog([o for o in CATALOG if o.arch == "amd64"])
    arm = make_workload("arm-svc", architectures=("arm64",))
    de = make_cluster("de", region="eu-central-1", country="DE")
    both = Catalog([*amd_only, make_offer(region="eu-central-1", instance_type="m7g.large", hourly_usd=0.08)])
    scenario = make_scenario([IE, de], [arm])
    plan = solve(scenario, both)
    explanation = explain_workload(scenario, both, plan, "shop/arm-svc")
    excluded = {e.cluster: e for e in explanation.excluded}
    assert list(excluded) == ["ie"] and excluded["ie"].rules == ("architectures",)
    assert "no arm64 instance type in aws/eu-west-1 fits" in excluded["ie"].reasons[0]
