"""A small fleet, its catalog and a small traffic panel for the fan-out tests (fast to solve and fit)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from builders import make_catalog, make_cluster, make_scenario, make_workload, user

from forecasting import Forecaster
from placement.scenario import Planning, Scenario

CATALOG = make_catalog(("aws", "eu-west-1", 1.0), ("gcp", "europe-west4", 0.8), ("aws", "us-east-1", 0.5))


def small_scenario() -> Scenario:
    ie = make_cluster("ie", region="eu-west-1", country="IE", lat=53.35, lon=-6.26)
    nl = make_cluster("nl", cloud="gcp", region="europe-west4", country="NL", lat=53.44, lon=6.84)
    us = make_cluster("us", region="us-east-1", country="US", lat=38.9, lon=-77.0)
    web = make_workload(
        "web",
        replicas=6,
        users={"eu": 1.0},
        latency_ms=40,
        current={"nl": (6, 0)},
        spot_max_fraction=0.5,
        residency=("EU",),
    )
    batch = make_workload("batch", replicas=4, spot_max_fraction=1.0, current={"us": (4, 0)})
    return make_scenario(
        [ie, nl, us],
        [web, batch],
        user_regions=[user("eu", 50.1, 8.7), user("us", 38.9, -77.0)],
        planning=Planning(time_limit_s=5),
    )


def series_panel(n_series: int = 6, days: int = 5, seed: int = 0) -> pd.DataFrame:
    """`n_series` noisy daily cycles at 30 min, as a long frame."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2025-01-01", periods=48 * days, freq="30min")
    t = np.arange(len(ds))
    frames = [
        pd.DataFrame(
            {
                "unique_id": f"svc-{i:02d}",
                "ds": ds,
                "y": 20 + 8 * np.sin(2 * np.pi * t / 48 + i) + rng.normal(0, 1, len(ds)),
            }
        )
        for i in range(n_series)
    ]
    return pd.concat(frames, ignore_index=True)


def tiny_forecaster() -> Forecaster:
    return Forecaster(
        freq="30min", horizon=6, quantiles=(0.5, 0.9), max_iter=8, max_train_rows=3000, calibration_days=1.0
    )


def plan_json(plan: Any) -> dict[str, Any]:
    """A plan's JSON without its wall-clock seconds (the one field two identical solves differ in)."""
    document = plan.to_json()
    return {**document, "solver": {k: v for k, v in document["solver"].items() if k != "seconds"}}


def point_key(point: Any) -> tuple[Any, ...]:
    """A sweep point's figures, comparable with == (NaN RTT as None)."""
    p: Any = point  # a whatif.SweepPoint
    rtt = None if math.isnan(p.p95_rtt_ms) else p.p95_rtt_ms
    return (p.value, plan_json(p.plan), p.hourly_usd, rtt, p.reclaims_per_day, p.spot_share, p.unplaced)
