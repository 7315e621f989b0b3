"""Real traffic traces and spot price histories from ../shared/data, shaped for the case studies.

Read-only: nothing is copied into the project. Every function raises `FileNotFoundError` naming
the missing file when ../shared/data is absent (the case studies need it; unit tests skip).

Price histories become `PriceHistory` steps over a base catalog:
- GCP (`gcp_spot_ondemand_price_history_weekly.csv.gz`, weekly snapshots of 18 machine types): the
  GCP offers of the case-study regions are *replaced* by the history's machine types (shapes from
  the 2026-07-30 price table), on-demand and spot, so every GCP price in a run is a real one
  (interruption rates: `pricing.spot_model`'s assumed 12.5 %/month for GCP and Azure);
- Azure (`azure_spot_ondemand_price_history_daily.csv.gz`, 20 daily snapshots of 14 SKUs): likewise
  for Azure (shapes from the 2026-05-20 VM price table);
- AWS (`DescribeSpotPriceHistory_m5.large_us-east-1_2021-01.json`, one month of m5.large spot in
  us-east-1): the AZ-median price relative to its first value becomes a spot index applied to
  every spot offer in aws us-east-1 (the embedded spot model gives the level; the history the moves).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from placement.simulate import HourlySeries, PriceChange, PriceHistory, load_traces
from pricing import CapacityType, Catalog, Offer
from pricing.spot_model import DEFAULT_SPOT_MODEL

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TRAFFIC = SHARED / "traffic"
PRICES = SHARED / "prices"


def available() -> bool:
    return TRAFFIC.is_dir() and PRICES.is_dir()


def _need(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the case studies read ../shared/data (see its SOURCES.md)")
    return path


def trace(name: str) -> HourlySeries:
    """One traffic file as an hourly series (max of each hour's 5/30-min samples)."""
    series = load_traces(_need(TRAFFIC / f"{name}.csv"))
    (only,) = series.values()
    return only


def shifted(series: HourlySeries, hours: int) -> HourlySeries:
    """The series starting `hours` later: hour k now carries what hour k + `hours` carried (moves a
    daily cycle to users `hours` ahead in local time)."""
    if hours <= 0:
        return series
    start = (pd.Timestamp(series.start) + pd.Timedelta(hours=hours)).to_pydatetime()
    return HourlySeries(start, series.values[hours:], f"{series.source} (+{hours} h)")


def from_date(series: HourlySeries, when: str) -> HourlySeries:
    """The series from `when` (UTC) on."""
    skip = int((pd.Timestamp(when, tz="UTC") - pd.Timestamp(series.start)) / pd.Timedelta(hours=1))
    if skip < 0 or skip >= len(series.values):
        raise ValueError(f"{series.source} does not cover {when}")
    return HourlySeries(
        (pd.Timestamp(series.start) + pd.Timedelta(hours=skip)).to_pydatetime(),
        series.values[skip:],
        f"{series.source} from {when}",
    )


# -- prices ------------------------------------------------------------------------------------------
def gcp_history(
    regions: set[str], *, start: str, hours: int, time_scale: float
) -> tuple[list[Offer], list[PriceChange]]:
    """Opening GCP offers (history machine types) in `regions` and their price steps."""
    history = pd.read_csv(_need(PRICES / "gcp_spot_ondemand_price_history_weekly.csv.gz"))
    history = history[history["region"].isin(regions)]
    shapes = pd.read_csv(
        _need(PRICES / "gcp_compute_instance_prices_2026-07-30.csv.gz"), usecols=["machine_type", "vcpus", "memory_gib"]
    ).drop_duplicates("machine_type")
    frame = _long(history.rename(columns={"machine_type": "instance_type", "snapshot_date": "time"}), "gcp")
    return _offers_and_changes(
        frame, shapes.set_index("machine_type"), "gcp:pricing.yml-history", start, hours, time_scale
    )


def azure_history(
    regions: set[str], *, start: str, hours: int, time_scale: float
) -> tuple[list[Offer], list[PriceChange]]:
    """Opening Azure offers (history SKUs) in `regions` and their price steps."""
    history = pd.read_csv(_need(PRICES / "azure_spot_ondemand_price_history_daily.csv.gz"))
    history = history[history["region"].isin(regions)]
    shapes = pd.read_csv(
        _need(PRICES / "azure_vm_prices_2026-05-20.csv.gz"), usecols=["InstanceType", "vCPUs", "MemoryGiB"]
    )
    shapes = shapes.drop_duplicates("InstanceType").rename(columns={"vCPUs": "vcpus", "MemoryGiB": "memory_gib"})
    frame = _long(history.rename(columns={"snapshot_time": "time"}).drop(columns=["snapshot_date"]), "azure")
    return _offers_and_changes(
        frame, shapes.set_index("InstanceType"), "azure:anycloud-history", start, hours, time_scale
    )


def aws_spot_index(*, region: str, start: str, hours: int, time_scale: float) -> list[PriceChange]:
    """Spot index steps for one AWS region from the m5.large us-east-1 price history (AZ median / first)."""
    raw = json.loads(
        _need(PRICES / "aws_api_samples" / "DescribeSpotPriceHistory_m5.large_us-east-1_2021-01.json").read_text()
    )
    frame = pd.DataFrame(raw["SpotPriceHistory"])
    frame["time"] = pd.to_datetime(frame["Timestamp"], utc=True)
    frame["price"] = frame["SpotPrice"].astype(float)
    hourly = (
        frame.set_index("time")
        .groupby("AvailabilityZone")["price"]
        .resample("h")
        .last()
        .groupby("AvailabilityZone")
        .ffill()
        .groupby(level="time")
        .median()
        .sort_index()
    )
    origin = pd.Timestamp(start, tz="UTC")
    opening = hourly[hourly.index <= origin]
    base = float(opening.iloc[-1]) if len(opening) else float(hourly.iloc[0])
    changes, last = [], None
    for when, price in hourly.items():
        hour = int((when - origin) / pd.Timedelta(hours=1) / time_scale)
        factor = round(float(price) / base, 4)
        if 0 < hour < hours and factor != last:
            changes.append(PriceChange(hour, "aws", region, CapacityType.SPOT, factor=factor))
            last = factor
    return changes


def _long(history: pd.DataFrame, cloud: str) -> pd.DataFrame:
    parts = []
    for column, kind in (("ondemand_usd_per_hour", "on-demand"), ("spot_usd_per_hour", "spot")):
        part = history[["time", "instance_type", "region", column]].rename(columns={column: "hourly_usd"})
        parts.append(part.assign(cloud=cloud, capacity_type=kind))
    out = pd.concat(parts, ignore_index=True)
    return out[out["hourly_usd"].notna() & (out["hourly_usd"] > 0)]


def _offers_and_changes(
    frame: pd.DataFrame, shapes: pd.DataFrame, source: str, start: str, hours: int, time_scale: float
) -> tuple[list[Offer], list[PriceChange]]:
    frame = frame[frame["instance_type"].isin(shapes.index)]
    origin = pd.Timestamp(start, tz="UTC")
    times = pd.to_datetime(frame["time"], utc=True, format="mixed")
    opening = frame[times <= origin].assign(_t=times[times <= origin]).sort_values("_t")
    opening = opening.groupby(["region", "instance_type", "capacity_type"], as_index=False).last()
    as_of = datetime.fromisoformat(start).replace(tzinfo=UTC)
    offers = [
        Offer(
            cloud=r.cloud,
            region=r.region,
            instance_type=r.instance_type,
            capacity_type=CapacityType(r.capacity_type),
            vcpus=float(shapes.loc[r.instance_type, "vcpus"]),
            memory_gib=float(shapes.loc[r.instance_type, "memory_gib"]),
            hourly_usd=float(r.hourly_usd),
            source=source,
            as_of=as_of,
            interruption_rate=DEFAULT_SPOT_MODEL.interruption_rate(r.cloud, r.instance_type)
            if r.capacity_type == "spot"
            else None,
        )
        for r in opening.itertuples(index=False)
    ]
    steps = PriceHistory.from_frame(
        Catalog(offers), frame, start=origin.to_pydatetime(), hours=hours, time_scale=time_scale
    )
    return offers, list(steps.changes)


def case_catalog(embedded: Catalog, replaced: set[tuple[str, str]], extra: list[Offer]) -> Catalog:
    """The embedded catalog without the (cloud, region)s the histories replace, plus the history offers."""
    kept = [o for o in embedded if (o.cloud, o.region) not in replaced]
    return Catalog([*kept, *extra], fetched_at=embedded.fetched_at)
