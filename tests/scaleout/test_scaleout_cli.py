"""The fan-out flags of the CLI without Ray: `--seeds`, `--sweep`, `--series-per-task`, and `--ray`
when Ray is not installed (exit 2 with the pip command)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scaleout_builders import series_panel

from placement.cli import main
from placement.cli.simulate import parse_seeds
from placement.errors import PlacementError

ROOT = Path(__file__).resolve().parents[2]
WITHOUT_RAY = "import sys; sys.modules['ray'] = None\nfrom placement.cli import main\nsys.exit(main(sys.argv[1:]))"


@pytest.mark.parametrize(
    "argv",
    [
        ["whatif", "--sweep", "risk=0,1", "--ray"],
        ["whatif", "--sweep", "risk=0", "--ray-address", "ray://head:10001"],
        ["simulate", "--seeds", "0-1", "--hours", "2", "--ray"],
    ],
)
def test_ray_asked_for_but_not_installed_exits_2_with_the_pip_command(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_RAY, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    assert result.returncode == 2, result.stderr
    assert "pip install 'placement[ray]'" in result.stderr and "Traceback" not in result.stderr


def test_seeds_replay_each_seed_as_a_single_run_would(capsys: pytest.CaptureFixture[str]) -> None:
    common = [
        "simulate",
        "--hours",
        "3",
        "--strategies",
        "static,spot-first,oracle",
        "--prices",
        "synthetic",
        "-o",
        "json",
    ]
    assert main([*common, "--seeds", "4,2"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["seed"] for r in runs] == [4, 2]
    for run in runs:
        assert main([*common, "--seed", str(run["seed"])]) == 0
        assert json.loads(capsys.readouterr().out)["rows"] == run["rows"]


def test_a_sweep_prints_every_point_with_its_pareto_marks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["whatif", "--sweep", "risk=0,100", "--time-limit", "3", "-o", "json"]) == 0
    points = json.loads(capsys.readouterr().out)["points"]
    assert [p["risk"] for p in points] == [0, 100]
    assert all(
        set(p) >= {"hourlyUsd", "p95RttMs", "reclaimsPerDay", "spotShare", "unplaced", "frontier"} for p in points
    )
    assert any("risk" in p["frontier"] for p in points)
    assert main(["whatif", "--sweep", "risk=0", "--time-limit", "3"]) == 0
    assert "what-if sweep on demo: 1 plans" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["whatif", "--sweep", "colour=1,2"], "PARAM one of latency, risk, shock, traffic"),
        (["whatif", "--sweep", "risk=a,b"], "values must be numbers"),
        (["whatif", "--shock", "aws:+10%", "--ray"], "--ray runs sweeps"),
        (["simulate", "--ray"], "--ray replays many seeds"),
        (["plan", "--ray"], "--ray runs the --price-of re-solves"),
    ],
)
def test_fan_out_flags_are_checked_before_any_work(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_parse_seeds() -> None:
    assert parse_seeds("0-3,9,2") == [0, 1, 2, 3, 9]
    for bad in ("", "a", "3-x", "-1"):
        with pytest.raises(PlacementError, match="--seeds"):
            parse_seeds(bad)


def test_forecast_predict_is_the_same_for_any_runner_and_names_partitions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "series.csv"
    series_panel(4, days=3).to_csv(path, index=False)
    common = ["forecast", "predict", "--input", str(path), "--horizon", "4", "-o", "json"]
    assert main([*common, "--series-per-task", "0"]) == 2
    assert "--series-per-task 0" in capsys.readouterr().err
    assert main([*common, "--series-per-task", "2"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert sorted({r["unique_id"] for r in rows}) == ["svc-00", "svc-01", "svc-02", "svc-03"] and len(rows) == 16
