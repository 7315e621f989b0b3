"""apply against fake API servers: ordering, records, churn guard, preflight refusals, and faults
(409, 403, 500 mid-apply, unreachable, never-ready) that leave no cluster half-changed."""

from __future__ import annotations

import json
import socket

import pytest
from builders import make_assignment, make_plan
from kube_fakeapi import write_kubeconfig
from kube_world import (
    DEPLOYMENT_API,
    DEPLOYMENT_LEDGER,
    DEPLOYMENT_WEB,
    HPA_API,
    PLAN,
    POOL_ON_DEMAND,
    POOL_SPOT,
    deployment,
    run_plan,
    state,
    world,
    writes,
)

from placement.errors import ApplyError
from placement.kube.apply import ApplyFailed, ChurnLimitExceeded, _available, apply_patches, deployment_replicas_added
from placement.kube.client import connect
from placement.kube.scenario_export import read_live
from placement.patches.build import ObjectRef, Patch, plan_id, to_patches


def test_capacity_first_then_scale_ups_then_scale_downs(tmp_path) -> None:
    with world(tmp_path) as w:
        w.b.seed(deployment("web", "shop", 2))
        report = run_plan(w)
        order = [(c, r.path) for r, c in writes(w)]
        assert order == [
            ("a", POOL_SPOT),
            ("a", POOL_ON_DEMAND),
            ("a", DEPLOYMENT_WEB),
            ("a", DEPLOYMENT_API),
            ("a", HPA_API),
            ("b", DEPLOYMENT_LEDGER),
            ("b", DEPLOYMENT_WEB),
        ]
        assert all(
            r.field_manager == "placement" and r.content_type == "application/apply-patch+yaml" for r, _ in writes(w)
        )
        web_a, web_b = w.a.get(DEPLOYMENT_WEB), w.b.get(DEPLOYMENT_WEB)
        assert (web_a["spec"]["replicas"], web_b["spec"]["replicas"]) == (6, 0)
        assert w.a.get(HPA_API)["spec"]["minReplicas"] == 4
        (api_write,) = [r for r, _ in writes(w) if r.path == DEPLOYMENT_API]
        assert "replicas" not in api_write.body["spec"]  # the HPA's field: placement never sends it
        assert w.a.get(DEPLOYMENT_API)["spec"]["replicas"] == 4  # the HPA raised it to the new floor
    assert report.moves == deployment_replicas_added(report.applied) == 2 + 1  # web +2 in a, api +1 (3 → 4) in a
    assert report.clean and not report.error


def test_objects_carry_the_plan_id_and_a_record_that_reapplying_keeps(tmp_path) -> None:
    with world(tmp_path) as w:
        run_plan(w)
        annotations = w.a.get(DEPLOYMENT_WEB)["metadata"]["annotations"]
        assert annotations["placement.dev/plan-id"] == plan_id(PLAN)
        record = json.loads(annotations["placement.dev/previous"])
        assert record == {"planId": None, "existed": True, "fields": {"spec": {"replicas": 4}}}
        assert json.loads(w.a.get(POOL_SPOT)["metadata"]["annotations"]["placement.dev/previous"])["existed"] is False
        run_plan(w)  # the same plan again: the record still points at the state before it
        assert (
            w.a.get(DEPLOYMENT_WEB)["metadata"]["annotations"]["placement.dev/previous"]
            == (annotations["placement.dev/previous"])
        )


def test_without_force_a_conflict_is_reported_and_nothing_stays_changed(tmp_path) -> None:
    with world(tmp_path) as w:
        before = state(w)
        with pytest.raises(ApplyFailed) as caught:
            run_plan(w, force=False)  # spec.replicas of web belongs to "helm"
        assert state(w) == before
        assert not any(r.force for r, _ in writes(w) if r.path == DEPLOYMENT_WEB)
    error = caught.value
    assert error.exit_code > 1
    assert ".spec.replicas" in str(error) and "--force-conflicts" in str(error)
    assert [p.ref.name for p in error.report.reverted] == ["placement-on-demand", "placement-spot"]
    assert "every cluster is back as it was" in str(error)


@pytest.mark.parametrize(
    ("cluster", "status", "path"),
    [
        ("a", 403, "horizontalpodautoscalers"),  # forbidden half-way through cluster a
        ("b", 500, "deployments/web"),  # the API server fails on the last write: the scale-down in b
    ],
)
def test_a_failure_mid_apply_reverts_every_change_of_the_run(tmp_path, cluster: str, status: int, path: str) -> None:
    with world(tmp_path) as w:
        w.b.seed(deployment("web", "shop", 2))
        before = state(w)
        w.server(cluster).fail("PATCH", path, status)
        with pytest.raises(ApplyFailed) as caught:
            run_plan(w)
        assert state(w) == before
    report = caught.value.report
    assert report.clean and report.reverted and f"{status}" in report.error
    assert "reverted a: Deployment shop/web" in str(caught.value)


def test_a_revert_that_fails_is_reported_as_not_reverted(tmp_path) -> None:
    with world(tmp_path) as w:
        w.a.fail("PATCH", "horizontalpodautoscalers", 500)
        w.a.fail("DELETE", "nodepools/placement-spot", 500)
        with pytest.raises(ApplyFailed) as caught:
            run_plan(w)
        assert w.a.get(POOL_SPOT) is not None  # left behind, and said so
    assert not caught.value.report.clean
    assert "NOT reverted: a: NodePool placement-spot" in str(caught.value)
    assert "placement rollback" in str(caught.value)


def test_an_unreachable_cluster_stops_the_run_before_any_write(tmp_path) -> None:
    with world(tmp_path) as w:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
        apis = w.apis()
        live = read_live(apis, w.scenario)
        kubeconfig = write_kubeconfig(tmp_path / "dead", {"ctx-b": dead})
        apis["b"] = connect(w.scenario.cluster("b"), kubeconfig=str(kubeconfig), timeout_s=2)
        patches = to_patches(PLAN, w.scenario, live=live)
        with pytest.raises(ApplyError, match=r"cluster b: .*unreachable") as caught:
            apply_patches(patches, apis, plan_id="p-x", force=True)
        assert writes(w) == []
    assert caught.value.exit_code > 1


def test_churn_guard_refuses_before_touching_anything(tmp_path) -> None:
    with world(tmp_path) as w:
        with pytest.raises(ChurnLimitExceeded, match="adds 3 replicas, more than --max-moves 2") as caught:
            run_plan(w, max_moves=2)
        assert not [r for c in ("a", "b") for r in w.server(c).requests if r.method != "GET"]
        run_plan(w, max_moves=3)
    assert caught.value.exit_code == 2


def test_preflight_refuses_missing_deployments_and_pdb_breaking_scale_downs(tmp_path) -> None:
    with world(tmp_path) as w:
        ledger_to_a = make_plan(make_assignment("pay/ledger", "a", 3))  # no ledger Deployment in a
        with pytest.raises(ApplyError, match="Deployment pay/ledger does not exist; deploy pay/ledger there"):
            run_plan(w, ledger_to_a)
        shrink = make_plan(make_assignment("pay/ledger", "b", 1, cloud="gcp", region="europe-west4"))
        with pytest.raises(ApplyError, match=r"PodDisruptionBudget ledger \(minAvailable 2\) unsatisfiable"):
            run_plan(w, shrink)
        assert writes(w) == []


def test_server_dry_run_sends_dry_run_only_and_changes_nothing(tmp_path) -> None:
    with world(tmp_path) as w:
        before = state(w)
        report = run_plan(w, dry_run=True)
        patches = [r for c in ("a", "b") for r in w.server(c).requests if r.method == "PATCH"]
        assert patches and all(r.dry_run == "All" for r in patches)
        assert state(w) == before
    assert report.dry_run and "would apply" in report.lines()[0]


def test_scale_downs_wait_for_the_scaled_up_replicas(tmp_path) -> None:
    with world(tmp_path) as w:
        w.b.seed(deployment("web", "shop", 2))
        w.a.auto_ready = False  # the new replicas in a never become available
        before = state(w)
        ticks = iter(range(1000))
        with pytest.raises(ApplyFailed, match=r"not available after 5s.*was not scaled down"):
            run_plan(w, clock=lambda: next(ticks))
        assert not [
            r
            for r in w.b.writes()
            if r.path == DEPLOYMENT_WEB and r.method == "PATCH" and r.body["spec"].get("replicas") == 0
        ]
        assert state(w) == before


@pytest.mark.parametrize(
    ("status", "done"),
    [
        # mid-rollout of a changed template: 4 pods, 3 of the new template, the old one still serving
        ({"observedGeneration": 2, "replicas": 4, "updatedReplicas": 3, "availableReplicas": 4}, False),
        # the new template's pods not yet available, the old ones still counted as available
        ({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 1}, False),
        ({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}, False),  # stale
        ({"observedGeneration": 2, "availableReplicas": 3}, False),  # zero counts are omitted by the API
        ({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}, True),
        ({"observedGeneration": 2, "replicas": 5, "updatedReplicas": 5, "availableReplicas": 5}, True),  # HPA above
    ],
)
def test_a_scale_up_counts_once_its_rollout_is_over(status: dict, done: bool) -> None:
    # what `kubectl rollout status` waits for: the real control plane reported 4 available of 3 wanted
    # while the old template's pod was still running (e2e/test_e2e_spot_split.py)
    patch = Patch("a", ObjectRef("apps/v1", "Deployment", "web", "shop"), {}, "workload", "shop/web", 1, 3)
    assert _available(patch, {"metadata": {"generation": 2}, "status": status}) is done
