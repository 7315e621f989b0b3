"""Forecast-driven demand in a scenario file: each workload gets its own series from a shared file
(found relative to the scenario), sized at the scenario's `planning.quantile`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from placement.errors import InvalidScenario
from placement.load.demand import resolve_demand
from placement.load.scenario import load_scenario

DOC: dict[str, Any] = {
    "apiVersion": "placement.dev/v1alpha1",
    "kind": "Scenario",
    "metadata": {"name": "forecast"},
    "spec": {
        "planning": {"quantile": 0.95},
        "clusters": [{"name": "aws-eu-west-1", "cloud": "aws", "region": "eu-west-1"}],
        "workloads": [
            {
                "name": name,
                "namespace": "shop",
                "resources": {"cpu": "500m", "memory": "1Gi"},
                "demand": {"series": "traffic.csv", "perReplica": 10, "headroom": 0},
            }
            for name in ("web", "api")
        ],
    },
}


def _traffic(directory: Path) -> None:
    """Two weeks of 30-minute traffic: shop/web around 100 req/s, shop/api around 1,000 req/s, noisy."""
    rng = np.random.default_rng(3)
    ds = pd.date_range("2025-01-06", periods=14 * 48, freq="30min")
    daily = 1.0 + 0.3 * np.sin(2 * np.pi * np.arange(len(ds)) / 48)
    rows = [
        pd.DataFrame({"unique_id": uid, "ds": ds, "y": level * daily * rng.lognormal(0.0, 0.15, len(ds))})
        for uid, level in (("shop/web", 100.0), ("shop/api", 1000.0))
    ]
    pd.concat(rows).to_csv(directory / "traffic.csv", index=False)


def _write(directory: Path, doc: dict[str, Any]) -> Path:
    path = directory / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_each_workload_is_sized_from_its_own_series_at_the_planning_quantile(tmp_path: Path) -> None:
    _traffic(tmp_path)
    high = resolve_demand(load_scenario(_write(tmp_path, DOC)))
    web, api = high.workload("shop/web"), high.workload("shop/api")
    # ~130 req/s peak / 10 per replica vs ~1,300 / 10: an order of magnitude apart, each from its own series
    assert 10 <= web.replicas <= 30 and 100 <= api.replicas <= 300
    assert "shop/api" in api.demand.source and "q0.95" in api.demand.source

    low_doc = copy.deepcopy(DOC)
    low_doc["spec"]["planning"]["quantile"] = 0.5
    low = resolve_demand(load_scenario(_write(tmp_path, low_doc)))
    assert low.workload("shop/api").replicas < api.replicas  # the median forecast needs fewer replicas
    assert "q0.5" in low.workload("shop/api").demand.source


def test_a_series_file_without_the_workloads_series_is_a_clear_problem(tmp_path: Path) -> None:
    _traffic(tmp_path)
    doc = copy.deepcopy(DOC)
    doc["spec"]["workloads"][0]["name"] = "cart"
    with pytest.raises(InvalidScenario) as caught:
        resolve_demand(load_scenario(_write(tmp_path, doc)))
    (problem,) = [str(p) for p in caught.value.problems]
    assert "spec.workloads[0].demand.series" in problem and "shop/cart" in problem and "shop/web" in problem


def test_loading_only_parses_and_resolve_demand_runs_the_injected_forecaster(tmp_path: Path) -> None:
    _traffic(tmp_path)
    parsed = load_scenario(_write(tmp_path, DOC))  # no forecast runs while parsing
    assert all(w.demand.needs_forecast and w.replicas == 0 for w in parsed.workloads)

    calls: list[tuple[str, float]] = []

    class Peak:
        def __init__(self, replicas: int) -> None:
            self.peak_replicas = replicas
            self.source = f"fake forecast peak {replicas}"

    def forecaster(spec: Any, *, workload: str, quantile: float) -> dict[str, Peak]:
        calls.append((workload, quantile))
        return {workload: Peak(7 if workload == "shop/web" else 70)}

    sized = resolve_demand(parsed, forecaster=forecaster)
    assert sorted(calls) == [("shop/api", 0.95), ("shop/web", 0.95)]
    assert sized.workload("shop/web").replicas == 7 and sized.workload("shop/api").replicas == 70
    assert not any(w.demand.needs_forecast for w in sized.workloads)
    assert resolve_demand(sized, forecaster=forecaster) is sized  # nothing left to size: no second forecast
    assert len(calls) == 2


def test_an_unreachable_prometheus_is_an_environment_failure_not_a_scenario_problem(tmp_path: Path) -> None:
    from forecasting.errors import PrometheusError
    from placement.errors import ServiceFailed

    _traffic(tmp_path)
    parsed = load_scenario(_write(tmp_path, DOC))

    def down(spec: Any, *, workload: str, quantile: float) -> dict[str, Any]:
        raise PrometheusError("up", "http://127.0.0.1:9", "connection refused")

    with pytest.raises(ServiceFailed) as caught:
        resolve_demand(parsed, forecaster=down)
    assert caught.value.exit_code == 4 and "spec.workloads[0].demand.series" in str(caught.value)
