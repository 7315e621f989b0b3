"""The simulator on real data from ../shared/data (skipped when it is absent)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from builders import make_cluster, make_scenario, make_workload

from placement.simulate import PriceHistory, bind_traffic, load_traces
from pricing import CapacityType, Catalog, Offer

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not present")


def test_nyc_taxi_becomes_an_hourly_trace_that_sizes_a_workload() -> None:
    (taxi,) = load_traces(SHARED / "traffic" / "nab_nyc_taxi_30min.csv").values()
    assert taxi.start == datetime(2014, 7, 1, tzinfo=UTC) and len(taxi.values) == 215 * 24
    scenario = make_scenario([make_cluster("ie")], [make_workload("web", replicas=40)])
    traffic = bind_traffic(scenario, {"shop/web": taxi}, hours=7 * 24, history_h=14 * 24)
    replicas = traffic["shop/web"].replicas()
    assert replicas[: 14 * 24].max() == 40 and replicas.min() >= 1
    assert replicas[6 * 24 + 4] < replicas[6 * 24 + 20]  # 4 am is quieter than 8 pm


def test_the_azure_daily_spot_history_drives_hourly_catalogs() -> None:
    raw = pd.read_csv(SHARED / "prices" / "azure_spot_ondemand_price_history_daily.csv.gz")
    raw = raw[(raw["instance_type"] == "Standard_D4s_v5") & (raw["region"] == "eastus")]
    frame = pd.DataFrame(
        {
            "time": raw["snapshot_time"],
            "cloud": "azure",
            "region": "eastus",
            "instance_type": "Standard_D4s_v5",
            "capacity_type": "spot",
            "hourly_usd": raw["spot_usd_per_hour"],
        }
    )
    start = datetime(2026, 4, 22, tzinfo=UTC)
    base = Catalog([Offer("azure", "eastus", "Standard_D4s_v5", CapacityType.SPOT, 4, 16, 1.0, "test", start)])
    history = PriceHistory.from_frame(base, frame, start=start, hours=20 * 24)
    prices = [history.catalog_at(h).price("Standard_D4s_v5", CapacityType.SPOT) for h in range(0, 20 * 24, 24)]
    assert max(prices) > 1.5 * min(prices)  # the 2026-05-02 spot spike in eastus
    assert prices[0] == pytest.approx(0.040723)
