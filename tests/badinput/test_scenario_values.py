"""Nonsense that used to be accepted silently, and messages that contradicted the input."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from cli_run import run_cli
from scenarios import BASE, write

from placement.errors import InvalidScenario, ServiceFailed
from placement.load import limits
from placement.load.demand import resolve_demand
from placement.load.scenario import build_scenario, load_scenario


def _problems(doc: dict[str, Any], base_dir: Path | None = None) -> list[str]:
    """Every problem of the document: parsing it, then sizing its forecast-driven demand."""
    with pytest.raises(InvalidScenario) as raised:
        resolve_demand(build_scenario(doc, base_dir=base_dir))
    return [str(p) for p in raised.value.problems]


def _workload(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["spec"]["workloads"][0].update(changes)
    return doc


# -- absurd magnitudes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"demand": {"replicas": 10**12}}, "demand.replicas", "must be at most 100,000"),
        ({"demand": {"replicas": 1e12}}, "demand.replicas", "must be at most 100,000"),
        (
            {"demand": {"replicas": "1e12"}},
            "demand.replicas",
            "must be a whole number: YAML read 1e12 as text; write a plain number such as 1000000000000 without quotes",
        ),
        ({"resources": {"cpu": "2000", "memory": "1Gi"}}, "resources.cpu", "must be at most 1,024 cores per replica"),
        (
            {"resources": {"cpu": "1", "memory": "25Ti"}},
            "resources.memory",
            "must be at most 24,576 GiB (24 TiB) per replica",
        ),
        ({"resources": {"cpu": "1e400", "memory": "1Gi"}}, "resources.cpu", "must be a finite quantity"),
        ({"minAvailable": 10**9}, "minAvailable", "must be at most 100,000"),
        ({"latencyMs": 1e9}, "latencyMs", "must be at most 10,000"),
        ({"egressGbPerHour": 1e15}, "egressGbPerHour", "must be at most 1e+06"),
        (
            {"current": {"aws-eu-west-1": {"onDemand": 10**7}}},
            "current.aws-eu-west-1.onDemand",
            "must be at most 100,000",
        ),
    ],
)
def test_absurd_magnitudes_are_refused_naming_the_cap(changes: dict[str, Any], field: str, says: str) -> None:
    problems = _problems(_workload(**changes))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"spec.workloads[0].{field}: ") and says in problems[0]


def test_cluster_and_planning_caps() -> None:
    doc = copy.deepcopy(BASE)
    doc["spec"]["clusters"][0].update(capacity={"cpu": "1e9"}, maxPodsPerNode=10**6)
    doc["spec"]["planning"].update(timeLimitSeconds=1e9, maxMoves=10**12)
    problems = _problems(doc)
    assert [p.split(":")[0] for p in problems] == [
        "spec.planning.timeLimitSeconds",
        "spec.planning.maxMoves",
        "spec.clusters[0].capacity.cpu",
        "spec.clusters[0].maxPodsPerNode",
    ]
    assert limits.MAX_REPLICAS == 100_000  # README "Bad input" documents these numbers


# -- demand --------------------------------------------------------------------------------------------


def _series(directory: Path, ids: tuple[str, ...], *, start: str = "2025-01-06", days: int = 14) -> None:
    ds = pd.date_range(start, periods=days * 48, freq="30min", tz="UTC")
    wave = 100 * (1.0 + 0.3 * np.sin(2 * np.pi * np.arange(len(ds)) / 48))
    pd.concat([pd.DataFrame({"unique_id": uid, "ds": ds, "y": wave}) for uid in ids]).to_csv(
        directory / "traffic.csv", index=False
    )


def test_demand_with_both_replicas_and_series_is_refused(tmp_path: Path) -> None:
    _series(tmp_path, ("shop/web",))
    problems = _problems(_workload(demand={"replicas": 3, "series": "traffic.csv", "perReplica": 10}), tmp_path)
    assert len(problems) == 1 and problems[0].startswith(
        "spec.workloads[0].demand: gives replicas and series, perReplica: pick one"
    )


def test_a_series_named_for_another_workload_is_refused(tmp_path: Path) -> None:
    _series(tmp_path, ("shop/checkout",))
    problems = _problems(_workload(demand={"series": "traffic.csv", "perReplica": 10}), tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(
        "spec.workloads[0].demand.series: series file traffic.csv holds one series, "
        "'shop/checkout', named for something other than 'shop/web'"
    )


def test_a_series_that_ended_long_ago_plans_with_a_warning_saying_so(tmp_path: Path) -> None:
    _series(tmp_path, ("shop/web",), start="2024-01-01")
    doc = _workload(demand={"series": "traffic.csv", "perReplica": 10})
    scenario = resolve_demand(build_scenario(doc, base_dir=tmp_path))
    warning = scenario.workload("shop/web").demand.warning
    assert warning.startswith("shop/web: spec.workloads[0].demand.series is forecast from data that ended 2024-01-15")
    assert "refresh the series" in warning
    outcome = run_cli(["plan", "-f", str(write(tmp_path, doc)), "-o", "json"])
    assert outcome.code == 0 and warning in outcome.out
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    _series(fresh, ("shop/web",), start=(datetime.now(UTC) - pd.Timedelta(days=14)).strftime("%Y-%m-%d %H:00"))
    assert resolve_demand(build_scenario(doc, base_dir=fresh)).workload("shop/web").demand.warning == ""


def test_a_forecast_peak_above_the_replica_cap_is_refused(tmp_path: Path) -> None:
    _series(tmp_path, ("shop/web",))
    problems = _problems(_workload(demand={"series": "traffic.csv", "perReplica": 0.0001}), tmp_path)
    assert len(problems) == 1 and "above the cap of 100,000: check perReplica (0.0001" in problems[0]


def test_an_unreachable_prometheus_is_exit_4(tmp_path: Path) -> None:
    doc = _workload(demand={"promql": "sum(rate(x[5m]))", "prometheus": "http://127.0.0.1:9", "perReplica": 10})
    parsed = load_scenario(write(tmp_path, doc))  # parsing asks no server
    with pytest.raises(ServiceFailed) as raised:
        resolve_demand(parsed)
    assert raised.value.exit_code == 4 and "spec.workloads[0].demand.promql" in str(raised.value)
    assert run_cli(["plan", "-f", str(tmp_path / "scenario.yaml")]).code == 4
    doc["spec"]["workloads"][0]["resources"]["cpu"] = "lots"  # bad input as well: the input is fixed first
    assert run_cli(["plan", "-f", str(write(tmp_path, doc))]).code == 2


# -- countries and follow-on messages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("XX", "is not an assigned ISO 3166-1 alpha-2 country code (write an assigned ISO 3166-1 alpha-2 code"),
        ("de", 'write it in capitals: "DE"'),
        ("DEU", "must be an ISO 3166 alpha-2 code"),
    ],
)
def test_country_must_be_an_assigned_iso_code(value: str, says: str) -> None:
    doc = copy.deepcopy(BASE)
    doc["spec"]["clusters"][0]["country"] = value
    doc["spec"]["userRegions"][0]["country"] = value
    problems = _problems(doc)
    assert [p.split(":")[0] for p in problems] == ["spec.userRegions[0].country", "spec.clusters[0].country"]
    assert all(says in p for p in problems)


def test_one_bad_user_region_value_is_reported_once() -> None:
    doc = copy.deepcopy(BASE)
    doc["spec"]["userRegions"][0]["lat"] = 500
    problems = _problems(doc)
    assert problems == ["spec.userRegions[0].lat: must be at most 90 (degrees latitude) (got 500)"]
