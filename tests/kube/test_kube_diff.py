"""diff: kubectl-style unified diffs from server-side dry runs or a local merge, and kubectl's exit convention."""

from __future__ import annotations

import pytest
from kube_world import PLAN, run_plan, world

from placement.kube.api import ApiStatusError
from placement.kube.diff import DiffReport, client_diff, diff_patches, merged_locally, object_diff
from placement.kube.scenario_export import read_live
from placement.patches.build import ObjectRef, plan_id, to_patches


def _diff(w, **options) -> DiffReport:
    apis = w.apis()
    live = read_live(apis, w.scenario)
    return diff_patches(
        to_patches(PLAN, w.scenario, live=live), apis, plan_id=plan_id(PLAN), live=live, **{"force": True, **options}
    )


def test_diff_shows_each_change_and_then_nothing_after_apply(tmp_path) -> None:
    with world(tmp_path) as w:
        report = _diff(w)
        assert not [r for c in ("a", "b") for r in w.server(c).writes()]  # dry runs only
        assert report.exit_code == 1 and report.compared == 6
        text = report.text()
        assert "diff -u -N LIVE-a/apps.v1.Deployment.shop.web MERGED-a/apps.v1.Deployment.shop.web" in text
        assert "--- LIVE-a/karpenter.sh.v1.NodePool..placement-spot" in text  # created: empty LIVE side
        assert "-  replicas: 4\n+  replicas: 6\n" in text
        assert "managedFields" not in text
        assert "placement.dev/previous: '***'" in text  # the rollback record is masked
        run_plan(w)
        again = _diff(w)
    assert (again.exit_code, again.text()) == (0, "")


def test_the_client_merge_sends_no_write_not_even_a_dry_run(tmp_path) -> None:
    with world(tmp_path) as w:
        apis = w.apis()
        live = read_live(apis, w.scenario)
        report = client_diff(to_patches(PLAN, w.scenario, live=live), apis, plan_id=plan_id(PLAN), live=live)
        assert not [r for c in ("a", "b") for r in w.server(c).requests if r.method != "GET"]
        assert report.exit_code == 1 and report.compared == 6
        assert "-  replicas: 4\n+  replicas: 6\n" in report.text()


def test_merged_locally_merges_maps_and_replaces_lists_and_scalars() -> None:
    live = {"spec": {"replicas": 4, "template": {"a": 1}, "tolerations": [1, 2]}, "keep": True}
    merged = merged_locally(live, {"spec": {"replicas": 6, "template": {"b": 2}, "tolerations": [3]}})
    assert merged == {"spec": {"replicas": 6, "template": {"a": 1, "b": 2}, "tolerations": [3]}, "keep": True}
    assert live["spec"]["replicas"] == 4  # the live object is not changed
    assert merged_locally(None, {"a": 1}) == {"a": 1}


def test_a_conflict_in_diff_is_an_error_not_a_difference(tmp_path) -> None:
    with world(tmp_path) as w, pytest.raises(ApiStatusError, match="409 Conflict") as caught:
        _diff(w, force=False)
    assert caught.value.exit_code > 1


def test_object_diff_of_identical_objects_is_empty() -> None:
    ref = ObjectRef("apps/v1", "Deployment", "web", "shop")
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "managedFields": [1]}}
    assert object_diff("a", ref, obj, {**obj, "metadata": {"name": "web"}}) == ""
    removed = object_diff("a", ref, obj, None)
    assert removed.startswith("diff -u -N LIVE-a/apps.v1.Deployment.shop.web") and "-kind: Deployment" in removed
