"""rollback: the records on the objects take the fleet back to before the last plan."""

from __future__ import annotations

import pytest
from builders import make_assignment, make_plan
from kube_world import DEPLOYMENT_WEB, HPA_API, PLAN, POOL_SPOT, run_plan, state, world

from placement.kube.rollback import RollbackFailed, plan_rollback, rollback
from placement.patches.build import plan_id


def test_rollback_restores_fields_and_deletes_created_pools(tmp_path) -> None:
    with world(tmp_path) as w:
        before = state(w)
        run_plan(w)
        assert w.a.get(DEPLOYMENT_WEB)["spec"]["template"]["spec"].get("affinity")
        steps = plan_rollback(w.apis())
        assert [s.restore.deletes for s in steps][-2:] == [True, True]  # pools go last
        report = rollback(w.apis())
        assert state(w) == before  # replicas back, scheduling and annotations gone, pools deleted
        assert w.a.get(POOL_SPOT) is None
        assert "affinity" not in w.a.get(DEPLOYMENT_WEB)["spec"]["template"]["spec"]
        assert rollback(w.apis()).done == []  # nothing left to undo
    assert len(report.done) == len(steps) and all(s.plan_id == plan_id(PLAN) for s in report.done)


def test_rollback_goes_back_one_plan(tmp_path) -> None:
    second = make_plan(
        make_assignment("shop/web", "a", 3, 5),
        make_assignment("shop/api", "a", 5),
        make_assignment("pay/ledger", "b", 3, cloud="gcp", region="europe-west4"),
    )
    with world(tmp_path) as w:
        run_plan(w)
        after_first = state(w)
        run_plan(w, second)
        assert w.a.get(DEPLOYMENT_WEB)["spec"]["replicas"] == 8
        rollback(w.apis())
        assert w.a.get(DEPLOYMENT_WEB)["spec"]["replicas"] == 6
        assert w.a.get(DEPLOYMENT_WEB)["metadata"]["annotations"]["placement.dev/plan-id"] == plan_id(PLAN)
        assert w.a.get(HPA_API)["spec"]["minReplicas"] == 4
        restored = state(w)
    changed = {k for k in after_first if after_first[k] != restored[k]}
    # everything but the (one-step) records is as after the first plan
    assert all(after_first[k]["spec"] == restored[k]["spec"] for k in changed)


def test_a_failed_rollback_can_be_run_again(tmp_path) -> None:
    with world(tmp_path) as w:
        before = state(w)
        run_plan(w)
        w.a.fail("PATCH", "horizontalpodautoscalers", 500)
        with pytest.raises(RollbackFailed, match="run `placement rollback` again") as caught:
            rollback(w.apis())
        rollback(w.apis())
        assert state(w) == before
    assert caught.value.exit_code > 1


def test_rollback_by_plan_id_and_dry_run(tmp_path) -> None:
    with world(tmp_path) as w:
        run_plan(w)
        assert rollback(w.apis(), plan_id="p-000000000000").done == []
        seen = len(w.a.requests)
        report = rollback(w.apis(), plan_id=plan_id(PLAN), dry_run=True)
        writes = [r for r in w.a.requests[seen:] if r.method in ("PATCH", "DELETE")]
        assert report.done and writes and all(r.dry_run == "All" for r in writes)
        assert w.a.get(POOL_SPOT) is not None
    assert any("would restore (plan none)" in line for line in report.lines())
