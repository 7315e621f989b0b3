"""`placement simulate` and `placement whatif` end to end on a small scenario (embedded prices, offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from placement.cli import main

SCENARIO = """
apiVersion: placement.dev/v1alpha1
kind: Scenario
metadata: {name: small}
spec:
  planning: {timeLimitSeconds: 5}
  userRegions:
  - {name: eu, lat: 50.1, lon: 8.7}
  clusters:
  - {name: aws-eu-west-1, cloud: aws, region: eu-west-1}
  - {name: gcp-europe-west4, cloud: gcp, region: europe-west4}
  workloads:
  - name: web
    namespace: shop
    resources: {cpu: 500m, memory: 1Gi}
    demand: {replicas: 6}
    users: {eu: 1.0}
    latencyMs: 60
    spot: {maxFraction: 0.5}
    minAvailable: 2
    current: {aws-eu-west-1: {onDemand: 6, spot: 0}}
  - name: batch
    namespace: jobs
    resources: {cpu: '2', memory: 4Gi}
    demand: {replicas: 3}
    spot: {maxFraction: 1.0}
    current: {aws-eu-west-1: {onDemand: 3, spot: 0}}
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SCENARIO)
    return path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_simulate_prints_one_row_per_strategy_and_the_oracle_is_cheapest(scenario_file: Path, capsys) -> None:
    out = run_json(
        capsys,
        "simulate",
        "--scenario",
        str(scenario_file),
        "--hours",
        "8",
        "--history-hours",
        "48",
        "--seed",
        "3",
        "--prices",
        "synthetic",
        "--event",
        "4:2:3x",
        "-o",
        "json",
    )
    rows = {r["strategy"]: r for r in out["rows"]}
    assert list(rows) == ["placement", "static", "reactive", "spot-first", "oracle"] and out["hours"] == 8
    assert set(rows["static"]) == {
        "strategy",
        "cost_usd",
        "savings_vs_static",
        "served_slots",
        "p95_latency_ms",
        "residency_violations",
        "vs_oracle",
    }
    assert all(r["cost_usd"] >= rows["oracle"]["cost_usd"] for r in rows.values())
    assert rows["static"]["savings_vs_static"] == 0 and rows["oracle"]["vs_oracle"] == 1


def test_simulate_replays_traces_from_a_directory(scenario_file: Path, tmp_path: Path, capsys) -> None:
    traces = tmp_path / "traces"
    traces.mkdir()
    stamps = pd.date_range("2025-01-06", periods=24 * 4 * 4, freq="15min")
    load = 100 + 50 * (stamps.hour >= 12)
    pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"), "value": load}).to_csv(
        traces / "shop__web.csv", index=False
    )
    pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"), "value": 7}).to_csv(
        traces / "other.csv", index=False
    )
    out = run_json(
        capsys,
        "simulate",
        "--scenario",
        str(scenario_file),
        "--traces",
        str(traces),
        "--assign",
        "batch=other",
        "--hours",
        "24",
        "--history-hours",
        "48",
        "--strategies",
        "static,oracle",
        "-o",
        "json",
    )
    assert [r["strategy"] for r in out["rows"]] == ["static", "oracle"]
    assert (
        main(
            [
                "simulate",
                "--scenario",
                str(scenario_file),
                "--traces",
                str(traces),
                "--hours",
                "24",
                "--history-hours",
                "48",
                "--strategies",
                "static",
            ]
        )
        == 0
    )
    assert "slots fully served" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--event", "soon"], "--event 'soon'"),
        (["--strategies", "magic"], "choose from"),
        (["--traces", "/nonexistent.csv"], "does not exist"),
        (["--hours", "0"], "--hours 0"),
    ],
)
def test_simulate_bad_input_is_one_line_and_exit_2(scenario_file: Path, capsys, argv: list[str], message: str) -> None:
    assert main(["simulate", "--scenario", str(scenario_file), "--hours", "4", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_whatif_reports_before_after_and_changed_assignments(scenario_file: Path, capsys) -> None:
    out = run_json(
        capsys,
        "whatif",
        "--scenario",
        str(scenario_file),
        "--outage",
        "aws:eu-west-1",
        "--traffic",
        "2x:shop/*",
        "-o",
        "json",
    )
    assert out["transforms"] == ["traffic 2x:shop/*", "outage aws:eu-west-1"]
    assert out["hourlyUsd"]["after"] > 0 and out["unplaced"] == []
    clusters = {c["cluster"] for c in out["changes"] if c["after"]["onDemand"] + c["after"]["spot"] > 0}
    assert clusters == {"gcp-europe-west4"}
    web = sum(c["after"]["onDemand"] + c["after"]["spot"] for c in out["changes"] if c["workload"] == "shop/web")
    assert web >= 12
    shocked = run_json(capsys, "whatif", "--scenario", str(scenario_file), "--shock", "gcp:+500%", "-o", "json")
    assert shocked["hourlyUsd"]["after"] >= shocked["hourlyUsd"]["before"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "nothing to compare"),
        (["--shock", "aws+30"], "--shock 'aws+30'"),
        (["--shock", "aws@cheap:+30%"], "capacity type 'cheap'"),
        (["--traffic", "twice"], "--traffic 'twice'"),
        (["--outage", "azure"], "no such cluster"),
        (["--residency", "shop/*"], "--residency 'shop/*'"),
    ],
)
def test_whatif_bad_input_is_one_line_and_exit_2(scenario_file: Path, capsys, argv: list[str], message: str) -> None:
    assert main(["whatif", "--scenario", str(scenario_file), *argv]) == 2
    assert message in capsys.readouterr().err


def test_simulate_replays_a_price_history_csv(scenario_file: Path, tmp_path: Path, capsys) -> None:
    from pricing.embedded import load_embedded_catalog

    # every aws eu-west-1 spot type: nearly free for 3 h, then dear. (One cheap type alone need not change
    # the node bill: the oracle's aws spot pool packs web's small pods into spare room on batch's node.)
    types = sorted({o.instance_type for o in load_embedded_catalog().in_region("aws", "eu-west-1").of("spot")})
    history = tmp_path / "spot.csv"
    pd.DataFrame(
        {
            "time": ["2025-01-01T00:00Z"] * len(types) + ["2025-01-01T03:00Z"] * len(types),
            "cloud": "aws",
            "region": "eu-west-1",
            "instance_type": types * 2,
            "capacity_type": "spot",
            "hourly_usd": [0.001] * len(types) + [5.0] * len(types),
        }
    ).to_csv(history, index=False)
    cheap_then_dear = run_json(
        capsys,
        "simulate",
        "--scenario",
        str(scenario_file),
        "--hours",
        "6",
        "--history-hours",
        "24",
        "--prices",
        str(history),
        "--strategies",
        "oracle",
        "-o",
        "json",
    )
    flat = run_json(
        capsys,
        "simulate",
        "--scenario",
        str(scenario_file),
        "--hours",
        "6",
        "--history-hours",
        "24",
        "--strategies",
        "oracle",
        "-o",
        "json",
    )
    assert cheap_then_dear["rows"][0]["cost_usd"] != flat["rows"][0]["cost_usd"]
    assert (
        main(["simulate", "--scenario", str(scenario_file), "--hours", "4", "--prices", str(tmp_path / "none.csv")])
        == 2
    )
    assert "not constant, synthetic or an existing CSV" in capsys.readouterr().err
