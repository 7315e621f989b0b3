"""Acceptance: `placement run --dry-run` on the demo fleet (policy file + annotated Deployments on 11
fake API servers) changes nothing and pushes its metrics to a real Pushgateway, where they are read
back; a guard that trips exits 5, changes nothing, pushes a failure and keeps the last success."""

from __future__ import annotations

import json

import pytest
from run_pushgateway import running_gateway
from run_world import demo_fleet, policy

from placement.cli import main

DRY = {"mode": "dry-run"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with running_gateway(tmp_path_factory.mktemp("pushgateway")) as running:
        yield running


def run_cli(capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["run", *args])
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def _event(lines: list[dict], name: str) -> dict:
    (found,) = [line for line in lines if line["event"] == name]
    return found


def test_dry_run_on_the_demo_pushes_its_metrics(tmp_path, gateway, capsys) -> None:
    gateway.wipe()
    with demo_fleet(tmp_path) as fleet:
        before = fleet.state()
        code, lines = run_cli(
            capsys,
            "--policy",
            str(policy(tmp_path / "policy.yaml")),
            "--kubeconfig",
            str(fleet.kubeconfig),
            "--dry-run",
            "--pushgateway",
            gateway.url,
        )
        assert code == 0, [line for line in lines if line["level"] == "error"]
        assert fleet.requests("PATCH") == [] and fleet.requests("DELETE") == []  # not even a dry run
        assert fleet.state() == before
    solved = _event(lines, "plan.solved")
    diffs = [line for line in lines if line["event"] == "diff"]
    assert len(diffs) == _event(lines, "dry-run.done")["differing"] > 0
    assert all(d["diff"].startswith("diff -u -N LIVE-") for d in diffs)

    samples = gateway.samples(**DRY)
    assert samples[("placement_last_run_success", ())] == 1.0
    assert samples[("placement_current_hourly_usd", ())] == pytest.approx(solved["currentHourlyUsd"], abs=1e-4)
    assert samples[("placement_planned_hourly_usd", ())] == pytest.approx(solved["plannedHourlyUsd"], abs=1e-4)
    assert samples[("placement_savings_hourly_usd", ())] == pytest.approx(
        solved["currentHourlyUsd"] - solved["plannedHourlyUsd"], abs=1e-3
    )
    assert samples[("placement_moves", ())] == solved["moves"]
    assert samples[("placement_changes", ())] == len(diffs)
    assert samples[("placement_unplaced_workloads", ())] == solved["unplaced"]
    assert samples[("placement_solver_gap_ratio", ())] == pytest.approx(solved["gap"])
    assert samples[("placement_solver_status", (("status", solved["status"]),))] == 1.0
    assert {labels for name, labels in samples if name == "placement_price_age_seconds"} == {
        (("cloud", c),) for c in ("aws", "azure", "gcp")
    }
    assert samples[("placement_plan_info", (("plan_id", solved["planId"]), ("scenario", "demo")))] == 1.0


def test_server_dry_run_sends_only_dry_runs(tmp_path, gateway, capsys) -> None:
    with demo_fleet(tmp_path) as fleet:
        before = fleet.state()
        code, lines = run_cli(capsys, "--kubeconfig", str(fleet.kubeconfig), "--dry-run=server", "--force-conflicts")
        assert code == 0
        patches = fleet.requests("PATCH")
        assert patches and {r.dry_run for _, r in patches} == {"All"}
        assert fleet.writes() == [] and fleet.state() == before
    assert _event(lines, "run.started")["serverDryRun"] is True
    assert _event(lines, "metrics.skipped")  # no --pushgateway and no $PLACEMENT_PUSHGATEWAY


def test_a_tripped_guard_changes_nothing_and_keeps_the_last_success(tmp_path, gateway, capsys) -> None:
    gateway.wipe()
    with demo_fleet(tmp_path) as fleet:
        args = (
            "--policy",
            str(policy(tmp_path / "policy.yaml")),
            "--kubeconfig",
            str(fleet.kubeconfig),
            "--pushgateway",
            gateway.url,
        )
        assert run_cli(capsys, *args, "--dry-run")[0] == 0
        last_success = gateway.value("placement_last_success_timestamp_seconds", **DRY)
        planned = gateway.value("placement_planned_hourly_usd", **DRY)
        for server in fleet.servers.values():  # someone pins shop/checkout to Switzerland: no cluster there
            path = "/apis/apps/v1/namespaces/shop/deployments/checkout"
            server.objects[path]["metadata"]["annotations"]["placement.dev/residency"] = "CH"
        before = fleet.state()
        code, lines = run_cli(capsys, *args, "--dry-run")
        assert code == 5
        assert fleet.state() == before and fleet.requests("PATCH") == []
    assert _event(lines, "plan.unplaced")["workload"] == "shop/checkout"
    tripped = _event(lines, "guard.tripped")
    assert tripped["guard"] == "unplaced" and "more than --max-unplaced 0" in tripped["message"]
    samples = gateway.samples(**DRY)
    assert samples[("placement_last_run_success", ())] == 0.0
    assert samples[("placement_last_run_exit_code", ())] == 5.0
    assert samples[("placement_run_failure", (("reason", "guard"),))] == 1.0
    assert samples[("placement_guard_tripped", (("guard", "unplaced"),))] == 1.0
    assert samples[("placement_last_success_timestamp_seconds", ())] == last_success
    assert samples[("placement_planned_hourly_usd", ())] == planned
