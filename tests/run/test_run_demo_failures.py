"""Failing runs on the demo fleet: stale prices (6), API errors and conflicts (4, reverted), an
unreachable cluster (4), a dead Pushgateway (7), bad flags (2). Each changes nothing in any cluster
and — where a gateway answers — still pushes a failure metric, read back from a real Pushgateway."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
import yaml
from builders import make_catalog
from kube_fakeapi import write_kubeconfig
from run_pushgateway import running_gateway
from run_world import demo_fleet, policy

from placement.cli import main
from pricing.cache import CACHE_FILE, ENV_CACHE_DIR, save_catalog

APPLY, DRY = {"mode": "apply"}, {"mode": "dry-run"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with running_gateway(tmp_path_factory.mktemp("pushgateway")) as running:
        yield running


@pytest.fixture
def fleet(tmp_path, gateway):
    gateway.wipe()
    with demo_fleet(tmp_path) as running:
        yield running


def run_cli(capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["run", *args])
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def _failed(lines: list[dict]) -> dict:
    (found,) = [line for line in lines if line["event"] == "run.failed"]
    return found


def _dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_stale_prices(tmp_path, fleet, gateway, capsys, monkeypatch) -> None:
    catalog = make_catalog(*((c.cloud, c.region, 1.0) for c in fleet.scenario.clusters))  # as of 2025-03-02
    cache_dir = tmp_path / "cache"
    save_catalog(catalog, cache_dir / CACHE_FILE)
    monkeypatch.setenv(ENV_CACHE_DIR, str(cache_dir))
    before = fleet.state()
    code, lines = run_cli(
        capsys,
        "--policy",
        str(policy(tmp_path / "policy.yaml")),
        "--kubeconfig",
        str(fleet.kubeconfig),
        "--prices",
        "cache",
        "--pushgateway",
        gateway.url,
    )
    assert code == 6
    failed = _failed(lines)
    assert failed["reason"] == "prices" and "placement prices refresh" in failed["error"]
    assert fleet.writes() == [] and fleet.state() == before
    assert not [line for line in lines if line["event"] == "plan.solved"]  # never planned on stale prices
    samples = gateway.samples(**APPLY)
    assert samples[("placement_last_run_success", ())] == 0.0
    assert samples[("placement_last_run_exit_code", ())] == 6.0
    assert samples[("placement_run_failure", (("reason", "prices"),))] == 1.0
    assert samples[("placement_price_age_seconds", (("cloud", "aws"),))] > timedelta(days=300).total_seconds()


def test_stale_file_prices_trip_the_price_guard(tmp_path, fleet, gateway, capsys) -> None:
    rows = ["cloud,region,instance_type,capacity_type,vcpus,memory_gib,hourly_usd,as_of"]
    for cluster in fleet.scenario.clusters:
        for kind, price in (("on-demand", 0.2), ("spot", 0.07)):
            rows.append(f"{cluster.cloud},{cluster.region},x.large,{kind},4,16,{price},2025-01-01T00:00:00Z")
    (tmp_path / "prices.csv").write_text("\n".join(rows) + "\n")
    document = yaml.safe_load(policy(tmp_path / "policy.yaml").read_text())
    document["spec"]["prices"] = {"source": "file", "file": "prices.csv"}
    (tmp_path / "policy.yaml").write_text(json.dumps(document))
    code, lines = run_cli(
        capsys,
        "--policy",
        str(tmp_path / "policy.yaml"),
        "--kubeconfig",
        str(fleet.kubeconfig),
        "--pushgateway",
        gateway.url,
        "--max-price-age",
        "48",
    )
    assert code == 6 and fleet.writes() == []
    assert {line["guard"] for line in lines if line["event"] == "guard.tripped"} == {"prices"}
    samples = gateway.samples(**APPLY)
    assert samples[("placement_guard_tripped", (("guard", "prices"),))] == 1.0
    assert samples[("placement_price_age_seconds", (("cloud", "aws"),))] > timedelta(days=300).total_seconds()


def test_an_api_error_mid_apply_is_reverted(tmp_path, fleet, gateway, capsys) -> None:
    # the 4th Deployment change in aws-us-east-1 (the demo's home region: many move out) fails once
    fleet.servers["aws-us-east-1"].fail("PATCH", "/apis/apps/v1/", 500, skip=3)
    before = fleet.state()
    code, lines = run_cli(
        capsys,
        "--policy",
        str(policy(tmp_path / "policy.yaml")),
        "--kubeconfig",
        str(fleet.kubeconfig),
        "--force-conflicts",
        "--pushgateway",
        gateway.url,
    )
    assert code == 4
    failed = _failed(lines)
    assert (
        failed["reason"] == "apply"
        and "500" in failed["error"]
        and "every cluster is back as it was" in failed["error"]
    )
    assert fleet.writes(), "the run had started changing clusters before the error"
    assert [line for line in lines if line["event"] == "change.reverted"]
    assert fleet.state() == before
    assert gateway.value("placement_run_failure", labels=(("reason", "apply"),), **APPLY) == 1.0


def test_a_field_conflict_is_an_api_error_too(tmp_path, fleet, gateway, capsys) -> None:
    before = fleet.state()
    code, lines = run_cli(capsys, "--kubeconfig", str(fleet.kubeconfig), "--pushgateway", gateway.url)  # no force
    assert code == 4 and "409 Conflict" in _failed(lines)["error"]
    assert fleet.state() == before
    assert gateway.value("placement_last_run_exit_code", **APPLY) == 4.0


def test_an_unreachable_cluster(tmp_path, fleet, gateway, capsys) -> None:
    contexts = {c.context or c.name: fleet.servers[c.name].url for c in fleet.scenario.clusters}
    contexts["aks-uksouth"] = _dead_url()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig-dead", contexts)
    code, lines = run_cli(
        capsys,
        "--policy",
        str(policy(tmp_path / "policy.yaml")),
        "--kubeconfig",
        str(kubeconfig),
        "--request-timeout",
        "2",
        "--dry-run",
        "--pushgateway",
        gateway.url,
    )
    assert code == 4
    failed = _failed(lines)
    assert failed["reason"] == "cluster" and "azure-uksouth" in failed["error"] and "unreachable" in failed["error"]
    assert fleet.requests("PATCH") == []
    assert gateway.value("placement_run_failure", labels=(("reason", "cluster"),), **DRY) == 1.0


def test_a_dead_pushgateway_fails_a_successful_run(tmp_path, fleet, capsys) -> None:
    code, lines = run_cli(
        capsys,
        "--kubeconfig",
        str(fleet.kubeconfig),
        "--dry-run",
        "--pushgateway",
        _dead_url(),
        "--metrics-timeout",
        "2",
    )
    assert code == 7
    (failed,) = [line for line in lines if line["event"] == "metrics.push-failed"]
    assert "Pushgateway" in failed["error"]
    assert lines[-1]["event"] == "run.finished" and lines[-1]["exitCode"] == 7


def test_bad_flags_are_invalid_input(tmp_path, capsys) -> None:
    assert main(["run", "--dry-run", "--output-dir", str(tmp_path)]) == 2
    assert "exclude each other" in capsys.readouterr().err
    with pytest.raises(SystemExit) as raised:
        main(["run", "--max-moves", "-3"])
    assert raised.value.code == 2 and "must be ≥ 0" in capsys.readouterr().err
    code, lines = run_cli(capsys, "--policy", str(tmp_path / "absent.yaml"))
    assert code == 2 and "placement-policy ConfigMap" in _failed(lines)["error"]


def test_guards_can_be_switched_off(tmp_path) -> None:
    from placement.cli import build_parser

    args = build_parser().parse_args(["run", "--max-cost-increase", "off", "--max-price-age", "OFF"])
    assert (args.max_cost_increase, args.max_price_age, args.max_unplaced) == (None, None, 0)


def test_allow_stale_plans_on_the_stale_cache(tmp_path, fleet, gateway, capsys, monkeypatch) -> None:
    save_catalog(make_catalog(*((c.cloud, c.region, 1.0) for c in fleet.scenario.clusters)), tmp_path / CACHE_FILE)
    monkeypatch.setenv(ENV_CACHE_DIR, str(tmp_path))
    code, lines = run_cli(
        capsys,
        "--kubeconfig",
        str(fleet.kubeconfig),
        "--dry-run",
        "--prices",
        "cache",
        "--allow-stale",
        "--max-unplaced",
        "off",
    )
    assert code == 0, [line for line in lines if line["level"] == "error"]
    assert [line for line in lines if line["event"] == "plan.solved"]
