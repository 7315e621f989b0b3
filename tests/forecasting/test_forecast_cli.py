"""`placement forecast backtest | predict`: output shapes, and errors as one line plus an exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from forecast_builders import generate_series
from forecast_prometheus import PrometheusServer, free_port

from placement.cli import main

RATE_QUERY = "sum by (namespace, deployment) (rate(http_requests_total[30m]))"


@pytest.fixture(scope="module")
def traffic_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "traffic.csv"
    generate_series(2, days=10, seed=31).to_csv(path, index=False)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["forecast", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_backtest_json_has_rows_and_metrics(traffic_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "backtest",
        "--input",
        str(traffic_csv),
        "--freq",
        "30min",
        "--horizon",
        "12",
        "--windows",
        "2",
        "--quantiles",
        "0.5,0.95",
        "-o",
        "json",
    )
    assert code == 0
    payload = json.loads(out)
    rows = payload["rows"]
    assert len(rows) == 2 * 2 * 12
    assert set(rows[0]) == {"unique_id", "cutoff", "ds", "y", "q0.5", "q0.95"}
    assert all(r["q0.5"] <= r["q0.95"] for r in rows)
    assert len({r["cutoff"] for r in rows}) == 2
    metrics = payload["metrics"]
    assert set(metrics["mean"]) == {"mase", "pinball", "coverage"}
    assert [s["unique_id"] for s in metrics["bySeries"]] == ["series-0", "series-1"]
    assert 0 < metrics["mean"]["mase"] < 2


def test_backtest_table(traffic_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "backtest", "--input", str(traffic_csv), "--horizon", "6", "--windows", "1")
    assert code == 0
    for words in ("q0.95", "mase", "coverage", "series-1", "mean"):
        assert words in out


def test_predict_from_a_csv_with_replicas(traffic_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "predict",
        "--input",
        str(traffic_csv),
        "--horizon",
        "8",
        "--per-replica",
        "50",
        "--headroom",
        "0.2",
        "-o",
        "json",
    )
    assert code == 0
    payload = json.loads(out)
    assert len(payload["rows"]) == 2 * 8
    assert set(payload["rows"][0]) == {"unique_id", "ds", "q0.5", "q0.95"}
    demand = {d["workload"]: d for d in payload["demand"]}
    assert set(demand) == {"series-0", "series-1"}
    assert demand["series-0"]["peakReplicas"] == max(demand["series-0"]["replicasBySlot"])
    assert "traffic.csv" in demand["series-0"]["source"]


def test_predict_from_prometheus(prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "predict",
        "--prometheus",
        prometheus.url,
        "--query",
        RATE_QUERY,
        "--id-labels",
        "namespace,deployment",
        "--end",
        prometheus.end.isoformat(),
        "--history-days",
        "7",
        "--horizon",
        "4",
        "-o",
        "json",
    )
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert sorted({r["unique_id"] for r in rows}) == ["shop/cart", "shop/checkout"]
    assert len(rows) == 8


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["backtest", "--input", "/nonexistent/traffic.csv"], 2, "does not exist"),
        (["backtest", "--input", "{csv}", "--quantiles", "0.5,1.5"], 2, "--quantiles '0.5,1.5'"),
        (["backtest", "--input", "{csv}", "--freq", "7min"], 2, "does not divide a day"),
        (["predict", "--prometheus", "http://127.0.0.1:9"], 2, "needs --query"),
        (
            ["predict", "--prometheus", "http://127.0.0.1:{port}", "--query", "up", "--timeout", "1"],
            4,
            "cannot connect",
        ),
    ],
)
def test_errors_are_one_line_and_an_exit_code(
    argv: list[str], code: int, message: str, traffic_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.replace("{csv}", str(traffic_csv)).replace("{port}", str(free_port())) for a in argv]
    got, out, err = run(capsys, *argv)
    assert got == code
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err and out == ""
