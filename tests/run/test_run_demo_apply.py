"""`placement.run.job.run` end to end on the demo fleet (11 fake API servers) in apply mode: the policy
path reads the demo's own scenario, the writes are exactly the plan's patches, the clusters end up
running the plan, the metrics reach a real Pushgateway, and the next run scores the forecast."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from run_pushgateway import running_gateway
from run_world import demo_fleet, policy

from placement.kube.api import object_path
from placement.kube.client import connect_fleet
from placement.kube.scenario_export import with_live_current
from placement.patches.labels import FIELD_MANAGER, PLAN_ID
from placement.run.fleet import fleet_from_file, fleet_from_policy
from placement.run.guards import GuardLimits
from placement.run.job import APPLY, RunDeps, RunOptions, run
from placement.run.log import RunLog
from placement.run.prices import load_run_prices
from placement.run.pushgateway import Pushgateway
from pricing.nodes import DEFAULT_DAEMONSET

GROUP = {"mode": "apply"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with running_gateway(tmp_path_factory.mktemp("pushgateway")) as running:
        yield running


def _deps(fleet, policy_path, gateway):
    def connect(clusters):
        return connect_fleet(list(clusters), kubeconfig=str(fleet.kubeconfig), timeout_s=5)

    return RunDeps(
        load_fleet=lambda: fleet_from_policy(policy_path, connect),
        load_prices=lambda scenario, now: load_run_prices(scenario, now=now, max_age_s=3600),
        log=RunLog(io.StringIO(), run_id="test"),
        pushgateway=Pushgateway(gateway.url, grouping_key=GROUP),
        sleep=lambda s: None,
    )


def test_the_policy_path_reads_the_demo_scenario(tmp_path) -> None:
    with demo_fleet(tmp_path) as fleet:

        def connect(clusters):
            return connect_fleet(list(clusters), kubeconfig=str(fleet.kubeconfig), timeout_s=5)

        from_cluster = fleet_from_policy(policy(tmp_path / "policy.yaml"), connect)
        from_file = fleet_from_file(fleet.path, connect)
        live = from_cluster.live
    # the file path plans with the file's daemonsets, so it does not read the DaemonSets
    assert from_file.live == {name: replace(cluster, daemonsets=None) for name, cluster in live.items()}
    # the DaemonSets add up to the demo's (default) daemonsets: the read-back clusters are the demo's
    assert {c.daemonsets.overhead for c in live.values()} == {DEFAULT_DAEMONSET}
    assert all(
        c.daemonsets.skipped == (("kube-system/etcd-backup", "control-plane nodes only"),) for c in live.values()
    )
    assert all("daemonsets read from the cluster: 200m CPU, 512Mi memory, 4 pods" in n for n in from_cluster.daemonsets)
    expected = with_live_current(fleet.scenario, live)
    assert {w.key: w for w in from_cluster.scenario.workloads} == {w.key: w for w in expected.workloads}
    assert from_cluster.scenario.clusters == expected.clusters
    assert from_cluster.scenario.user_regions == expected.user_regions
    assert from_cluster.scenario.planning == expected.planning


def test_apply_on_the_demo(tmp_path, gateway) -> None:
    gateway.wipe()
    with demo_fleet(tmp_path) as fleet:
        deps = _deps(fleet, policy(tmp_path / "policy.yaml"), gateway)
        result = run(RunOptions(mode=APPLY, force_conflicts=True, limits=GuardLimits(max_price_age_s=None)), deps)
        assert result.exit_code == 0, deps.log.records[-3:]
        plan, patches = result.plan, result.patches

        # the writes are exactly the plan's patches: one server-side apply per patch, as `placement`
        writes = fleet.writes()
        assert sorted((c, r.path) for c, r in writes) == sorted((p.cluster, object_path(p.ref)) for p in patches)
        assert {(r.method, r.content_type, r.field_manager) for _, r in writes} == {
            ("PATCH", "application/apply-patch+yaml", FIELD_MANAGER)
        }
        by_path = {(c, r.path): r.body for c, r in writes}
        for patch in patches:
            body = by_path[(patch.cluster, object_path(patch.ref))]
            assert body.get("spec") == patch.body.get("spec")
            assert body["metadata"]["annotations"][PLAN_ID] == result.summary.plan_id

        # and the clusters now run the plan: replicas per cluster as assigned, 0 where it left
        for workload in fleet.scenario.workloads:
            assigned = {a.cluster: a.replicas for a in plan.for_workload(workload.key)}
            for cluster, server in fleet.servers.items():
                deployment = server.get(f"/apis/apps/v1/namespaces/{workload.namespace}/deployments/{workload.name}")
                assert deployment["spec"]["replicas"] == assigned.get(cluster, 0), (workload.key, cluster)

        # the metrics, read back from the gateway
        samples = gateway.samples(**GROUP)
        assert samples[("placement_last_run_success", ())] == 1.0
        assert samples[("placement_planned_hourly_usd", ())] == pytest.approx(plan.hourly_usd.after)
        assert samples[("placement_current_hourly_usd", ())] == pytest.approx(plan.hourly_usd.before)
        assert samples[("placement_changes", ())] == len(patches)
        assert samples[("placement_moves", ())] == result.summary.moves > 0
        assert samples[("placement_last_success_timestamp_seconds", ())] == pytest.approx(
            result.summary.finished_at.timestamp()
        )
        assert {labels[0][1] for name, labels in samples if name == "placement_forecast_replicas"} == {
            w.key for w in fleet.scenario.workloads
        }

        assert result.summary.forecast is None  # the demo's demand is fixed: no forecast to score


def test_the_log_tells_the_story(tmp_path, gateway) -> None:
    with demo_fleet(tmp_path) as fleet:
        deps = _deps(fleet, policy(tmp_path / "policy.yaml"), gateway)
        deps.clock = lambda: datetime(2026, 3, 1, tzinfo=UTC)
        stream = io.StringIO()
        deps.log = RunLog(stream, run_id="test", clock=deps.clock)
        result = run(RunOptions(mode=APPLY, force_conflicts=True, limits=GuardLimits(max_price_age_s=None)), deps)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    events = [line["event"] for line in lines]
    assert events[0] == "run.started" and events[-1] == "run.finished"
    order = [
        "run.started",
        "scenario.loaded",
        "prices.loaded",
        "plan.solved",
        "change.applied",
        "metrics.pushed",
        "run.finished",
    ]
    assert [e for e in events if e in order] == sorted((e for e in events if e in order), key=order.index)
    assert events.count("change.applied") == len(result.patches)
    # where each cluster's daemonsets came from: its DaemonSets (the demo's policy declares none)
    daemonsets = [line["message"] for line in lines if line["event"] == "cluster.daemonsets"]
    assert len(daemonsets) == len(fleet.scenario.clusters)
    assert all("daemonsets read from the cluster: 200m CPU, 512Mi memory, 4 pods" in m for m in daemonsets)
    assert all(line["time"] == "2026-03-01T00:00:00.000Z" and line["runId"] == "test" for line in lines)
