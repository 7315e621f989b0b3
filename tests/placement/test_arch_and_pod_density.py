"""Replica prices only on nodes a replica can use: its images' architectures, and pods per node.

An amd64-only workload is never priced (or planned) on a Graviton node; a multi-arch one may be.
A replica costs at least 1/maxPodsPerNode of its node: tiny replicas cannot pack beyond the
kubelet's pod limit, so a 64-vCPU node is no bargain for them. The solver, the independent
validator, the NodePool sizing and the loader all follow the same two rules.
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
SMALL = [make_offer(instance_type="m7i.large", vcpus=2.0, memory_gib=8.0, hourly_usd=0.10),
         make_offer(instance_type="m7g.large", vcpus=2.0, memory_gib=8.0, hourly_usd=0.08)]
CATALOG = Catalog([*SMALL, make_offer(instance_type="c7i.16xlarge", vcpus=64.0, memory_gib=128.0, hourly_usd=2.88)])


def _price(workload: Any, cluster: Any = IE, catalog: Catalog = CATALOG) -> tuple[float, str]:
    found = ReplicaPricer(catalog).price(workload, cluster, OD)
    assert found is not None
    return round(found.hourly_usd, 6), found.instance_type


def test_an_amd64_workload_is_priced_on_amd64_nodes_only() -> None:
    small = Catalog(SMALL)
    assert _price(make_workload(cpu=1.0, memory_gib=2.0), catalog=small) == (0.05, "m7i.large")  # default: amd64
    multi = make_workload(cpu=1.0, memory_gib=2.0, architectures=("amd64", "arm64"))
    assert _price(multi, catalog=small) == (0.04, "m7g.large")
    arm = make_workload(cpu=1.0, memory_gib=2.0, architectures=("arm64",))
    assert _price(arm, catalog=small) == (0.04, "m7g.large")


def test_an_arm_only_workload_with_no_arm_type_in_the_region_does_not_fit() -> None:
    amd_only = Catalog([o for o in CATALOG if o.arch == "amd64"])
    assert ReplicaPricer(amd_only).price(make_workload(architectures=("arm64",)), IE, OD) is None


def test_a_replica_costs_at_least_its_share_of_the_nodes_pod_slots() -> None:
    tiny = make_workload(cpu=0.1, memory_gib=0.1)
    # By CPU alone the 64-vCPU node would cost 2.88 × 0.1/64 = 0.0045 $/h per replica; 110 pods per
    # node make it 2.88/110 = 0.0262, so the 2-vCPU node (0.10 × 0.1/2 = 0.005) wins.
    assert _price(tiny) == (0.005, "m7i.large")
    dense = make_cluster("ie", max_pods_per_node=1000)
    assert _price(tiny, dense) == (0.0045, "c7i.16xlarge")
    sparse = make_cluster("ie", max_pods_per_node=10)
    assert _price(tiny, sparse) == (0.01, "m7i.large")  # 0.10 / 10 pods


def test_plans_follow_both_rules_and_the_validator_checks_them() -> None:
    workloads = [make_workload("web", cpu=1.0, memory_gib=2.0, replicas=4),
                 make_workload("batch", cpu=1.0, memory_gib=2.0, replicas=4, architectures=("amd64", "arm64")),
                 make_workload("tiny", cpu=0.05, memory_gib=0.05, replicas=30)]
    scenario = make_scenario([IE], workloads)
    plan = solve(scenario, CATALOG)
    assert check(plan, scenario, CATALOG) == []
    chosen = {a.workload: a.instance_types["on-demand"] for a in plan.assignments}
    # web: the big amd64 node (2.88/64 = 0.045 per vCPU); batch may use Graviton (0.04); tiny would
    # be cheapest on the big node by CPU (0.05 × 0.045 = 0.00225) but pays 1/110 of it there (0.026)
    assert chosen == {"shop/web": "c7i.16xlarge", "shop/batch": "m7g.large", "shop/tiny": "m7i.large"}
    # a plan that puts the amd64-only workload on Graviton is refused by the independent validator
    forged = tuple(replace(a, instance_types={"on-demand": "m7g.large"}, hourly_usd=4 * 0.04)
                   if a.workload == "shop/web" else a for a in plan.assignments)
    problems = [str(v) for v in check(replace(plan, assignments=forged), scenario, CATALOG)]
    assert any(p.startswith("cost: shop/web") for p in problems), problems


BASE: dict[str, Any] = {
    "apiVersion": "placement.dev/v1alpha1", "kind": "Scenario", "metadata": {"name": "t"},
    "spec": {"clusters": [{"name": "ie", "cloud": "aws", "region": "eu-west-1"}],
             "workloads": [{"name": "web", "namespace": "shop", "resources": {"cpu": "500m", "memory": "1Gi"},
                            "demand": {"replicas": 2}}]},
}


def _built(cluster: dict[str, Any] | None = None, workload: dict[str, Any] | None = None) -> Any:
    doc = copy.deepcopy(BASE)
    doc["spec"]["clusters"][0].update(cluster or {})
    doc["spec"]["workloads"][0].update(workload or {})
    return build_scenario(doc, source="s.yaml")


def test_the_loader_reads_architectures_and_max_pods_with_safe_defaults() -> None:
    scenario = _built()
    assert scenario.workloads[0].architectures == ("amd64",) and scenario.clusters[0].max_pods_per_node == 110
    scenario = _built({"maxPodsPerNode": 250}, {"architectures": ["arm64", "amd64"]})
    assert scenario.workloads[0].architectures == ("amd64", "arm64") and scenario.clusters[0].max_pods_per_node == 250


@pytest.mark.parametrize(
    ("cluster", "workload", "message"),
    [
        ({}, {"architectures": ["x86_64"]}, "spec.workloads[0].architectures: unknown architecture 'x86_64': "
                                            "use amd64 and/or arm64"),
        ({}, {"architectures": []}, "must be a non-empty list of amd64, arm64"),
        ({"maxPodsPerNode": 0}, {}, "spec.clusters[0].maxPodsPerNode: must be at least 1 (got 0)"),
        ({"maxPodsPerNode": "many"}, {}, "must be a whole number"),
    ],
)
def test_bad_architectures_or_max_pods_name_the_field_value_and_fix(cluster: dict[str, Any], workload: dict[str, Any],
                                                                  message: str) -> None:
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
