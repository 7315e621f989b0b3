"""The three case-study fleets (scenarios, catalogs, price histories, traffic). Assumptions are
documented at the top of bench/casestudies.py; numbers that are assumptions are named here."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import casestudy_data as data

from placement.geo.regions import lookup_region
from placement.scenario import Cluster, Planning, Replicas, Scenario, UserRegion, Workload
from placement.simulate import HourlySeries, PriceHistory, TrafficEvent, bind_traffic
from pricing import Catalog
from pricing.adjust import adjust

HOURS = 14 * 24  # replayed: two weeks
HISTORY_H = 14 * 24  # seen by forecasts before the run: two weeks

# Private cloud chargeback (an assumption, derived): a 128-vCPU / 512 GiB server at $36,000 over
# 60 months ($600/month) + 800 W × PUE 1.5 × $0.20/kWh ($175/month) + colocation, network, support
# and an ops share ($500/month) = $1,275/month = $1.75/h, recovered at 70 % average allocation:
# $1.75 / (128 × 0.7) = $0.0195 per vCPU-hour with 4 GiB, split $0.0145/vCPU-h + $0.00125/GiB-h.
PRIVATE_VCPU_USD, PRIVATE_GIB_USD = 0.0145, 0.00125
# A regional "sovereign" public cloud (assumed list prices, not sourced): on-demand only.
SOVEREIGN_VCPU_USD, SOVEREIGN_GIB_USD = 0.030, 0.004


@dataclass
class Case:
    """One case study: the fleet, its prices over time, its traffic and its acceptance thresholds."""

    key: str
    title: str
    scenario: Scenario
    prices: PriceHistory
    traffic: dict[str, Any]
    events: list[TrafficEvent] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def cluster(name: str, cloud: str, region: str, **kw: Any) -> Cluster:
    known = lookup_region(cloud, region)
    if known is None:
        raise ValueError(f"{cloud}/{region} is not in pricing/data/regions.csv")
    return Cluster(
        name=name,
        cloud=cloud,
        region=region,
        country=known.country,
        lat=known.lat,
        lon=known.lon,
        autoscaler=kw.pop("autoscaler", "karpenter/v1"),
        **kw,
    )


def workload(key: str, cpu: float, memory_gib: float, replicas: int, home: str, **kw: Any) -> Workload:
    namespace, name = key.split("/")
    return Workload(
        name=name,
        namespace=namespace,
        cpu=cpu,
        memory_gib=memory_gib,
        replicas=replicas,
        current={home: Replicas(replicas, 0)},
        **kw,
    )


def _prices(
    embedded: Catalog,
    clusters: list[Cluster],
    *,
    gcp_start: str,
    azure_start: str,
    aws_start: str,
    private: list[dict[str, Any]],
) -> PriceHistory:
    gcp_regions = {c.region for c in clusters if c.cloud == "gcp"}
    azure_regions = {c.region for c in clusters if c.cloud == "azure"}
    gcp_offers, gcp_changes = data.gcp_history(gcp_regions, start=gcp_start, hours=HOURS, time_scale=7)
    az_offers, az_changes = data.azure_history(azure_regions, start=azure_start, hours=HOURS, time_scale=1)
    aws_changes = []
    if any(c.cloud == "aws" and c.region == "us-east-1" for c in clusters):
        aws_changes = data.aws_spot_index(region="us-east-1", start=aws_start, hours=HOURS, time_scale=1)
    replaced = {("gcp", r) for r in gcp_regions} | {("azure", r) for r in azure_regions}
    base = (
        adjust(data.case_catalog(embedded, replaced, [*gcp_offers, *az_offers]), private)
        if private
        else data.case_catalog(embedded, replaced, [*gcp_offers, *az_offers])
    )
    return PriceHistory(base, [*gcp_changes, *az_changes, *aws_changes])


def _traffic(scenario: Scenario, series: dict[str, HourlySeries]) -> dict[str, Any]:
    return bind_traffic(scenario, series, hours=HOURS, history_h=HISTORY_H)


# -- (a) spot with fallback and PDB floors, non-critical workloads --------------------------------------
def spot_batch(embedded: Catalog) -> Case:
    clusters = [
        cluster("aws-us-east-1", "aws", "us-east-1"),
        cluster("aws-us-west-2", "aws", "us-west-2"),
        cluster("gcp-us-central1", "gcp", "us-central1"),
        cluster("gcp-us-east4", "gcp", "us-east4"),
        cluster("azure-eastus", "azure", "eastus"),
        cluster("azure-eastus2", "azure", "eastus2"),
    ]
    home = "aws-us-east-1"
    workloads = [
        workload("analytics/etl-workers", 2, 8, 24, home, spot_max_fraction=1.0, min_available=2),
        workload("search/indexer", 4, 16, 8, home, spot_max_fraction=0.9, min_available=1),
        workload("media/transcoder", 4, 8, 12, home, spot_max_fraction=1.0, min_available=1),
        workload("ml/batch-scoring", 2, 8, 16, home, spot_max_fraction=0.8, min_available=2, residency=("US",)),
        workload("crawl/fetchers", 1, 2, 20, home, spot_max_fraction=1.0, min_available=2, min_clusters=2),
        workload("notify/senders", 0.5, 1, 30, home, spot_max_fraction=0.8, min_available=3, min_clusters=2),
    ]
    scenario = Scenario(
        "case-a-spot-batch", tuple(clusters), tuple(workloads), planning=Planning(quantile=0.99, time_limit_s=5)
    )
    taxi = data.trace("nab_nyc_taxi_30min")
    series = {
        "analytics/etl-workers": data.from_date(taxi, "2014-09-01"),
        "search/indexer": data.trace("nab_aws_cpu_utilization_asg_misconfiguration_5min"),
        "media/transcoder": data.trace("nab_twitter_volume_AMZN_5min"),
        "ml/batch-scoring": data.from_date(data.trace("nasa_http_requests_5min"), "1995-08-03 04:00"),
        "crawl/fetchers": data.from_date(taxi, "2014-10-06"),
        "notify/senders": data.from_date(taxi, "2014-07-07"),
    }
    prices = _prices(
        embedded, clusters, gcp_start="2026-01-01", azure_start="2026-04-22", aws_start="2021-01-10", private=[]
    )
    return Case(
        "a",
        "spot with fallback and PDB floors (non-critical workloads)",
        scenario,
        prices,
        _traffic(scenario, series),
        thresholds={"savings": 0.60, "served": 0.999},
        notes=["6 batch/queue workloads, no latency rules; home aws-us-east-1 (all on-demand today)"],
    )


# -- (b) e-commerce: private base capacity + multi-cloud spot burst through a 20× event ------------------
def ecommerce(embedded: Catalog) -> Case:
    private = {
        "cloud": "private",
        "region": "fra-dc1",
        "vcpuHourlyUsd": PRIVATE_VCPU_USD,
        "gibHourlyUsd": PRIVATE_GIB_USD,
    }
    clusters = [
        Cluster(
            name="private-fra",
            cloud="private",
            region="fra-dc1",
            country="DE",
            lat=50.11,
            lon=8.68,
            autoscaler="none",
            capacity_cpu=160,
        ),
        cluster("aws-eu-central-1", "aws", "eu-central-1"),
        cluster("gcp-europe-west3", "gcp", "europe-west3"),
        cluster("gcp-europe-west4", "gcp", "europe-west4"),
        cluster("azure-westeurope", "azure", "westeurope"),
        cluster("azure-germanywestcentral", "azure", "germanywestcentral"),
    ]
    users = (
        UserRegion("eu-central", 50.1, 8.7),
        UserRegion("eu-west", 51.5, -0.1),
        UserRegion("eu-south", 45.46, 9.19),
    )
    shares = {"eu-central": 0.5, "eu-west": 0.3, "eu-south": 0.2}
    home = "aws-eu-central-1"
    # Critical services: at most half of a workload's spot replicas in any one pool (spot.maxClusterShare),
    # so one reclaim event cannot take more than a quarter of it.
    web = {"users": shares, "latency_ms": 60, "min_clusters": 2, "spot_max_cluster_share": 0.5}
    workloads = [
        workload("shop/storefront", 1, 2, 24, home, spot_max_fraction=0.6, min_available=4, **web),
        workload("shop/catalog-api", 1, 4, 16, home, spot_max_fraction=0.6, min_available=3, **web),
        workload("shop/cart", 0.5, 1, 12, home, spot_max_fraction=0.5, min_available=3, residency=("EU",), **web),
        workload("shop/checkout", 1, 2, 8, home, spot_max_fraction=0.3, min_available=4, residency=("EU",), **web),
        workload("shop/search", 2, 8, 10, home, spot_max_fraction=0.7, min_available=2, **web),
        workload("shop/images", 2, 4, 6, home, spot_max_fraction=1.0, min_available=1, spot_max_cluster_share=0.5),
        workload(
            "shop/recommendations", 2, 8, 8, home, spot_max_fraction=0.9, min_available=1, spot_max_cluster_share=0.5
        ),
        workload("payments/ledger", 1, 4, 4, home, spot_max_fraction=0.0, min_available=4, residency=("DE",)),
    ]
    scenario = Scenario(
        "case-b-ecommerce", tuple(clusters), tuple(workloads), users, planning=Planning(quantile=0.99, time_limit_s=5)
    )
    nasa = data.from_date(data.trace("nasa_http_requests_5min"), "1995-08-03 04:00")  # local midnight (UTC−4)
    taxi = data.trace("nab_nyc_taxi_30min")
    series = {
        "shop/storefront": nasa,
        "shop/catalog-api": nasa,
        "shop/search": nasa,
        "shop/images": nasa,
        "shop/cart": data.from_date(taxi, "2014-09-01"),
        "shop/checkout": data.from_date(taxi, "2014-09-01"),
        "shop/recommendations": data.from_date(taxi, "2014-09-15"),
        "payments/ledger": data.from_date(taxi, "2014-09-01"),
    }
    prices = _prices(
        embedded, clusters, gcp_start="2026-01-01", azure_start="2026-04-22", aws_start="2021-01-10", private=[private]
    )
    sale = TrafficEvent(
        start_h=8 * 24 + 17,
        hours=6,
        multiplier=20.0,
        ramp_h=1,
        name="flash sale",
        workloads=("shop/storefront", "shop/catalog-api", "shop/cart", "shop/checkout", "shop/search", "shop/images"),
    )
    return Case(
        "b",
        "e-commerce: private base + multi-cloud spot burst, 20× flash sale",
        scenario,
        prices,
        _traffic(scenario, series),
        [sale],
        thresholds={"savings": 0.42, "served": 0.9999},
        notes=["private DC fra-dc1 capped at 160 vCPU at chargeback prices; declared 20× sale day 9 17:00–23:00"],
    )


# -- (c) residency: 12 regions over 5 providers ----------------------------------------------------------
POPULATIONS = {  # name: (lat, lon, UTC offset in hours, share of global traffic)
    "us-east": (40.71, -74.01, -5, 0.16),
    "us-west": (37.77, -122.42, -8, 0.10),
    "canada": (43.65, -79.38, -5, 0.05),
    "brazil": (-23.55, -46.63, -3, 0.07),
    "uk": (51.51, -0.13, 0, 0.09),
    "germany": (50.11, 8.68, 1, 0.10),
    "france": (48.86, 2.35, 1, 0.07),
    "switzerland": (47.37, 8.54, 1, 0.03),
    "india": (19.08, 72.88, 5, 0.11),
    "singapore": (1.35, 103.82, 8, 0.06),
    "japan": (35.68, 139.69, 9, 0.10),
    "australia": (-33.87, 151.21, 10, 0.06),
}
JURISDICTIONS = {  # workload: (residency, users, compliant cluster)
    "accounts/us": (("US",), {"us-east": 0.6, "us-west": 0.4}, "aws-us-east-1"),
    "accounts/eu": (("EU",), {"germany": 0.6, "france": 0.4}, "aws-eu-central-1"),
    "accounts/uk": (("UK",), {"uk": 1.0}, "azure-uksouth"),
    "accounts/ch": (("CH",), {"switzerland": 1.0}, "aws-eu-central-1"),  # legacy: runs in DE; the new rule says CH
    "accounts/ca": (("CA",), {"canada": 1.0}, "azure-canadacentral"),
    "accounts/br": (("BR",), {"brazil": 1.0}, "aws-sa-east-1"),
    "accounts/in": (("IN",), {"india": 1.0}, "gcp-asia-south1"),
    "accounts/jp": (("JP",), {"japan": 1.0}, "gcp-asia-northeast1"),
    "accounts/au": (("AU",), {"australia": 1.0}, "aws-ap-southeast-2"),
    "accounts/sg": (("SG",), {"singapore": 1.0}, "azure-southeastasia"),
}


def residency(embedded: Catalog) -> Case:
    private = {
        "cloud": "private",
        "region": "zrh-dc1",
        "vcpuHourlyUsd": PRIVATE_VCPU_USD * 1.3,
        "gibHourlyUsd": PRIVATE_GIB_USD * 1.3,
    }
    sovereign = {
        "cloud": "sovcloud",
        "region": "par1",
        "vcpuHourlyUsd": SOVEREIGN_VCPU_USD,
        "gibHourlyUsd": SOVEREIGN_GIB_USD,
    }
    clusters = [
        cluster("aws-us-east-1", "aws", "us-east-1"),
        cluster("aws-eu-central-1", "aws", "eu-central-1"),
        cluster("aws-ap-southeast-2", "aws", "ap-southeast-2"),
        cluster("aws-sa-east-1", "aws", "sa-east-1"),
        cluster("gcp-us-west2", "gcp", "us-west2"),
        cluster("gcp-asia-northeast1", "gcp", "asia-northeast1"),
        cluster("gcp-asia-south1", "gcp", "asia-south1"),
        cluster("azure-uksouth", "azure", "uksouth"),
        cluster("azure-southeastasia", "azure", "southeastasia"),
        cluster("azure-canadacentral", "azure", "canadacentral"),
        Cluster(
            name="sovcloud-par1", cloud="sovcloud", region="par1", country="FR", lat=48.86, lon=2.35, autoscaler="none"
        ),
        Cluster(
            name="private-zrh",
            cloud="private",
            region="zrh-dc1",
            country="CH",
            lat=47.37,
            lon=8.54,
            autoscaler="none",
            capacity_cpu=48,
        ),
    ]
    users = tuple(UserRegion(n, lat, lon) for n, (lat, lon, _, _) in POPULATIONS.items())
    everyone = {n: share for n, (_, _, _, share) in POPULATIONS.items()}
    workloads = [
        workload(
            "platform/api-gateway",
            1,
            2,
            60,
            "aws-us-east-1",
            users=everyone,
            latency_ms=100,
            spot_max_fraction=0.5,
            min_available=12,
        ),
        workload(
            "content/search",
            2,
            8,
            24,
            "aws-us-east-1",
            users=everyone,
            latency_ms=100,
            spot_max_fraction=0.7,
            min_available=4,
        ),
    ]
    for key, (codes, who, home) in JURISDICTIONS.items():
        workloads.append(
            workload(
                key,
                1,
                4,
                8 if key in ("accounts/us", "accounts/eu") else 4,
                home,
                users=who,
                latency_ms=100,
                residency=codes,
                spot_max_fraction=0.5,
                min_available=2,
            )
        )
    scenario = Scenario(
        "case-c-residency", tuple(clusters), tuple(workloads), users, planning=Planning(quantile=0.99, time_limit_s=5)
    )
    taxi = data.trace("nab_nyc_taxi_30min")
    # The run's clock is US Eastern (the traces' own local time); each population's trace is moved to its local time.
    series: dict[str, HourlySeries] = {
        "platform/api-gateway": data.from_date(data.trace("nasa_http_requests_5min"), "1995-08-03 04:00"),
        "content/search": data.from_date(taxi, "2014-10-06"),
    }
    for key, (_, who, _) in JURISDICTIONS.items():
        offset = round(sum(POPULATIONS[u][2] * s for u, s in who.items()))
        series[key] = data.shifted(data.from_date(taxi, "2014-09-01"), (offset + 5) % 24)
    prices = _prices(
        embedded,
        clusters,
        gcp_start="2026-01-01",
        azure_start="2026-04-22",
        aws_start="2021-01-10",
        private=[private, sovereign],
    )
    return Case(
        "c",
        "residency: 12 regions over 5 providers",
        scenario,
        prices,
        _traffic(scenario, series),
        thresholds={"latency_ms": 100, "violations": 0},
        notes=["accounts/ch runs in aws-eu-central-1 (DE) today; a new rule requires CH (private Zurich DC)"],
    )


def with_planning(case: Case, **changes: Any) -> Case:
    return replace(case, scenario=replace(case.scenario, planning=replace(case.scenario.planning, **changes)))
