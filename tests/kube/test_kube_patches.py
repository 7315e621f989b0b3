"""Plan → patches: replicas vs HPA floors, removals, unplaced workloads, pools per autoscaler, the
rendered YAML, and schema validity of every generated manifest for every autoscaler variant."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml
from builders import make_assignment, make_cluster, make_plan, make_scenario, make_workload
from kube_schemas import (
    crd_errors,
    merged_onto,
    minimal_deployment,
    minimal_hpa,
    require_crd_schemas,
    validate_builtin,
)

from placement.errors import InvalidPlan
from placement.live import LiveCluster, LiveWorkload
from placement.patches.build import PatchOptions, plan_id, render_patches, to_patches
from placement.plan import Unplaced

AUTOSCALERS = [
    ("karpenter/v1", "aws"),
    ("karpenter/v1beta1", "aws"),
    ("karpenter/v1alpha5", "aws"),
    ("karpenter/v1", "azure"),
    ("gke", "gcp"),
    ("aks", "azure"),
    ("none", "aws"),
]


def _fleet():
    clusters = [
        make_cluster("a", autoscaler="karpenter/v1"),
        make_cluster("b", autoscaler="gke", cloud="gcp", region="europe-west4", country="NL"),
    ]
    workloads = [
        make_workload("web", current={"b": (4, 0)}, spot_max_fraction=0.8),
        make_workload("api", namespace="core", current={"a": (2, 0)}),
        make_workload("ledger", namespace="pay", current={"b": (3, 0)}),
    ]
    return make_scenario(clusters, workloads)


def _by(patches, cluster, kind, name):
    (found,) = [p for p in patches if p.cluster == cluster and p.ref.kind == kind and p.ref.name == name]
    return found


def test_deployment_replicas_when_no_hpa_and_a_removal_where_the_workload_leaves() -> None:
    scenario = _fleet()
    plan = make_plan(
        make_assignment("shop/web", "a", 2, 6),
        make_assignment("core/api", "a", 3),
        unplaced=(Unplaced("pay/ledger", "residency"),),
    )
    patches = to_patches(plan, scenario)
    web_a = _by(patches, "a", "Deployment", "web")
    assert web_a.body["spec"]["replicas"] == 8
    assert (web_a.replicas_before, web_a.replicas_after, web_a.change) == (0, 8, "up")
    web_b = _by(patches, "b", "Deployment", "web")  # ran 4 in b; the plan moved it to a
    assert web_b.body["spec"] == {"replicas": 0}
    assert web_b.change == "down"
    # the unplaced workload is not touched anywhere, although it runs in b today
    assert not [p for p in patches if p.workload == "pay/ledger"]


def test_an_hpa_gets_the_floor_and_the_deployment_keeps_no_replicas_field() -> None:
    scenario = _fleet()
    plan = make_plan(make_assignment("shop/web", "a", 2, 6))
    live = {
        "a": LiveCluster(
            "a",
            "aws",
            "eu-west-1",
            "karpenter/v1",
            workloads={"shop/web": LiveWorkload(replicas=5, hpa="web", hpa_min_replicas=2, hpa_max_replicas=20)},
        )
    }
    patches = to_patches(plan, scenario, live=live)
    deployment = _by(patches, "a", "Deployment", "web")
    assert "replicas" not in deployment.body["spec"]  # never fight the HPA over spec.replicas
    hpa = _by(patches, "a", "HorizontalPodAutoscaler", "web")
    assert hpa.body["spec"] == {"minReplicas": 8}
    assert (hpa.replicas_before, hpa.replicas_after) == (2, 8)


def test_a_deployment_at_zero_behind_an_hpa_is_woken_with_replicas_and_the_floor() -> None:
    scenario = _fleet()
    plan = make_plan(make_assignment("shop/web", "a", 2, 6))
    live = {
        "a": LiveCluster(
            "a",
            "aws",
            "eu-west-1",
            "karpenter/v1",
            workloads={"shop/web": LiveWorkload(replicas=0, hpa="web", hpa_min_replicas=2, hpa_max_replicas=20)},
        )
    }
    patches = to_patches(plan, scenario, live=live)
    deployment = _by(patches, "a", "Deployment", "web")
    assert deployment.body["spec"]["replicas"] == 8  # an HPA never scales up from zero by itself
    assert (deployment.replicas_before, deployment.replicas_after, deployment.change) == (0, 8, "up")
    assert _by(patches, "a", "HorizontalPodAutoscaler", "web").body["spec"] == {"minReplicas": 8}


def test_an_hpa_max_below_the_plan_caps_the_floor_and_says_so() -> None:
    scenario = _fleet()
    plan = make_plan(make_assignment("shop/web", "a", 4, 6))
    live = {
        "a": LiveCluster(
            "a",
            "aws",
            "eu-west-1",
            "karpenter/v1",
            workloads={"shop/web": LiveWorkload(replicas=5, hpa="web-hpa", hpa_min_replicas=2, hpa_max_replicas=6)},
        )
    }
    patches = to_patches(plan, scenario, live=live)
    assert _by(patches, "a", "HorizontalPodAutoscaler", "web-hpa").body["spec"] == {"minReplicas": 6}
    assert any("maxReplicas=6" in n for n in _by(patches, "a", "Deployment", "web").notes)


def test_live_state_decides_removals() -> None:
    scenario = _fleet()
    plan = make_plan(make_assignment("shop/web", "a", 4))
    live = {"b": LiveCluster("b", "gcp", "europe-west4", "gke", workloads={"shop/web": LiveWorkload(replicas=3)})}
    web_b = _by(to_patches(plan, scenario, live=live), "b", "Deployment", "web")
    assert (web_b.replicas_before, web_b.replicas_after) == (3, 0)


def test_only_karpenter_clusters_get_pools_sized_from_the_plan() -> None:
    scenario = _fleet()
    plan = make_plan(make_assignment("shop/web", "a", 2, 6), make_assignment("core/api", "b", 3))
    patches = to_patches(plan, scenario, options=PatchOptions(headroom_fraction=0.0))
    pools = {p.ref.name: p for p in patches if p.role == "capacity"}
    assert set(pools) == {"placement-spot", "placement-on-demand"}
    assert {p.cluster for p in pools.values()} == {"a"}
    # web: 1 cpu, 2 GiB per replica; 6 spot, 2 on-demand
    assert pools["placement-spot"].body["spec"]["limits"] == {"cpu": "6", "memory": "12Gi"}
    assert pools["placement-on-demand"].body["spec"]["limits"] == {"cpu": "2", "memory": "4Gi"}


def test_slot_split_workloads_label_the_pools_with_slots() -> None:
    scenario = _fleet()
    plan = make_plan(make_assignment("shop/web", "a", 6, 2))
    patches = to_patches(plan, scenario)
    spot = _by(patches, "a", "NodePool", "placement-spot").body["spec"]["template"]["spec"]["requirements"]
    assert {"key": "placement.dev/capacity-slot", "operator": "In", "values": ["spot-1"]} in spot


def test_plans_that_do_not_match_the_scenario_are_refused() -> None:
    scenario = _fleet()
    with pytest.raises(InvalidPlan, match="cluster 'zz'"):
        to_patches(make_plan(make_assignment("shop/web", "zz", 1)), scenario)
    with pytest.raises(InvalidPlan, match="workload 'shop/nope'"):
        to_patches(make_plan(make_assignment("shop/nope", "a", 1)), scenario)


def test_plan_id_depends_on_placement_not_on_solver_figures() -> None:
    plan = make_plan(make_assignment("shop/web", "a", 2, 6))
    assert plan_id(plan) == plan_id(replace(plan, solver=replace(plan.solver, seconds=9.0)))
    assert plan_id(plan) != plan_id(make_plan(make_assignment("shop/web", "a", 3, 5)))
    annotations = to_patches(plan, _fleet())[0].body["metadata"]["annotations"]
    assert annotations == {"placement.dev/plan-id": plan_id(plan)}


def test_render_patches_is_multi_document_yaml_of_the_bodies() -> None:
    patches = to_patches(
        make_plan(make_assignment("shop/web", "a", 2, 6), make_assignment("core/api", "b", 3)), _fleet()
    )
    text = render_patches(patches)
    assert text.count("# cluster: ") == len(patches)
    assert list(yaml.safe_load_all(text)) == [p.manifest() for p in patches]
    assert render_patches([]) == ""


@pytest.mark.parametrize(("autoscaler", "cloud"), AUTOSCALERS)
@pytest.mark.parametrize(("on_demand", "spot"), [(4, 0), (0, 5), (2, 6), (6, 2)])
def test_every_generated_manifest_validates(autoscaler: str, cloud: str, on_demand: int, spot: int) -> None:
    cluster = make_cluster("c", cloud=cloud, autoscaler=autoscaler)
    types = {"aws": "m7i.large", "azure": "Standard_D4s_v5", "gcp": "n2-standard-4"}[cloud]
    scenario = make_scenario([cluster], [make_workload("web", current={"c": (2, 0)})])
    plan = make_plan(
        make_assignment(
            "shop/web", "c", on_demand, spot, cloud=cloud, instance_types={"on-demand": types, "spot": types}
        )
    )
    live = {
        "c": LiveCluster(
            "c",
            cloud,
            "r",
            autoscaler,
            workloads={"shop/web": LiveWorkload(replicas=2, hpa="web", hpa_min_replicas=1, hpa_max_replicas=30)},
        )
    }
    for patches in (to_patches(plan, scenario), to_patches(plan, scenario, live=live)):
        for patch in patches:
            manifest = patch.manifest()
            if patch.ref.kind == "Deployment":
                validate_builtin(merged_onto(minimal_deployment("web", "shop"), manifest))
            elif patch.ref.kind == "HorizontalPodAutoscaler":
                validate_builtin(merged_onto(minimal_hpa("web", "shop", "web"), manifest))
            else:
                require_crd_schemas()
                assert crd_errors(manifest, cloud) == []


def test_schema_check_rejects_a_broken_patch() -> None:
    """The validation above can fail: a misspelt scheduling field is caught."""
    patches = to_patches(make_plan(make_assignment("shop/web", "a", 2, 6)), _fleet())
    manifest = _by(patches, "a", "Deployment", "web").manifest()
    manifest["spec"]["template"]["spec"]["topologySpreadConstraints"][0]["maxSkw"] = 1
    with pytest.raises(Exception, match="maxSkw"):
        validate_builtin(merged_onto(minimal_deployment("web", "shop"), manifest))


def test_zero_replica_assignments_are_not_invented() -> None:
    scenario = make_scenario([make_cluster("a", autoscaler="none")], [make_workload("web")])
    patches = to_patches(make_plan(make_assignment("shop/web", "a", 3, 0)), scenario)
    assert [p.ref.kind for p in patches] == ["Deployment"]
    assert patches[0].body["spec"]["replicas"] == 3
    eks = patches[0].body["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]
    assert eks["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"] == [
        {"key": "eks.amazonaws.com/capacityType", "operator": "In", "values": ["ON_DEMAND"]},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
    ]  # the default: amd64 images
