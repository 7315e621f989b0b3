"""Egress prices per cloud (USD per GB): embedded facts with their sources, overridable per scenario.

Three figures per cloud (`EgressPrices`), each the first paid tier of the public list price:

| cloud | internet | inter-region | inter-cloud |
|-------|----------|--------------|-------------|
| aws   | 0.09     | 0.02         | 0.09        |
| gcp   | 0.12     | 0.08         | 0.12        |
| azure | 0.087    | 0.05         | 0.087       |

Sources:
- internet, aws: $0.09/GB — "Data Transfer OUT From Amazon EC2 To Internet, first 10 TB / month"
  (aws.amazon.com/ec2/pricing/on-demand/, Data Transfer section).
- internet, gcp: $0.12/GiB — Premium Tier, worldwide destinations excluding China and Australia,
  0–1 TiB / month (cloud.google.com/vpc/network-pricing; the Cloud Billing Catalog SKU table).
- internet, azure: $0.087/GB — internet egress over the Microsoft premium global network, first
  10 TB / month, Zone 1 (azure.microsoft.com/pricing/details/bandwidth/).
- inter-region: the median over all same-cloud region pairs of skyplane's early-2023 transfer price
  table (skyplane-project/skyplane `skyplane/broadcast/profiles/cost.csv`, Apache-2.0): aws 0.02
  (also "Data Transfer to another AWS region", most regions), gcp 0.08 (most pairs are
  inter-continental; same-continent pairs are 0.01–0.02), azure 0.05 (inter-continental; 0.02
  within a continent).
- inter-cloud: traffic to another cloud leaves over the internet, so it is billed as internet
  egress; the same skyplane table's cross-cloud pairs have these medians (aws 0.09, gcp 0.12,
  azure 0.0875).

The v1 model charges a workload's declared `egressGbPerHour` at its serving cluster's **internet**
price (traffic to its users). Inter-region and inter-cloud figures are kept (and overridable) for
reports and for traffic between workloads once the scenario can declare it.
Custom providers default to the AWS figures unless the scenario overrides them
(`prices.egress: {cloud: {internetPerGb, interRegionPerGb, interCloudPerGb}}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from placement.scenario import Cluster, EgressPrices, Scenario

EMBEDDED_EGRESS: Mapping[str, EgressPrices] = {
    "aws": EgressPrices(internet_per_gb=0.09, inter_region_per_gb=0.02, inter_cloud_per_gb=0.09),
    "gcp": EgressPrices(internet_per_gb=0.12, inter_region_per_gb=0.08, inter_cloud_per_gb=0.12),
    "azure": EgressPrices(internet_per_gb=0.087, inter_region_per_gb=0.05, inter_cloud_per_gb=0.087),
}
DEFAULT_EGRESS = EMBEDDED_EGRESS["aws"]

#: Internet egress per cloud, kept for callers of the original table.
EGRESS_USD_PER_GB: dict[str, float] = {cloud: p.internet_per_gb for cloud, p in EMBEDDED_EGRESS.items()}
DEFAULT_EGRESS_USD_PER_GB = DEFAULT_EGRESS.internet_per_gb

#: Scenario keys of an override and the `EgressPrices` fields they set.
OVERRIDE_KEYS: Mapping[str, str] = {
    "internetPerGb": "internet_per_gb",
    "interRegionPerGb": "inter_region_per_gb",
    "interCloudPerGb": "inter_cloud_per_gb",
}


def egress_usd_per_gb(cloud: str) -> float:
    """The embedded internet egress price of a cloud (no scenario overrides)."""
    return EGRESS_USD_PER_GB.get(cloud, DEFAULT_EGRESS_USD_PER_GB)


def cluster_egress_usd_per_gb(cluster: Cluster) -> float:
    """Internet egress $/GB from this cluster: the scenario's override when set, else its cloud's."""
    if cluster.egress_usd_per_gb is not None:
        return cluster.egress_usd_per_gb
    return egress_usd_per_gb(cluster.cloud)


def embedded_egress(cloud: str) -> EgressPrices:
    return EMBEDDED_EGRESS.get(cloud, DEFAULT_EGRESS)


def with_overrides(cloud: str, overrides: Mapping[str, float]) -> EgressPrices:
    """The embedded prices of `cloud` with `overrides` (scenario keys such as ``internetPerGb``) applied."""
    return replace(embedded_egress(cloud), **{OVERRIDE_KEYS[key]: float(v) for key, v in overrides.items()})


def egress_prices(scenario: Scenario, cloud: str) -> EgressPrices:
    """What the scenario pays per GB out of `cloud` (its `prices.egress` entry, else embedded)."""
    return scenario.prices.egress.get(cloud) or embedded_egress(cloud)


def transfer_usd_per_gb(scenario: Scenario, source: Cluster, destination: Cluster | None) -> float:
    """$/GB from `source` to `destination` (None: to the internet): same region free, same cloud
    inter-region, another cloud inter-cloud. A cluster's own internet override wins for the internet."""
    prices = egress_prices(scenario, source.cloud)
    if destination is None:
        return cluster_egress_usd_per_gb(source) if source.egress_usd_per_gb is not None else prices.internet_per_gb
    if destination.cloud != source.cloud:
        return prices.inter_cloud_per_gb
    return 0.0 if destination.region == source.region else prices.inter_region_per_gb


def apply_egress_overrides(scenario: Scenario) -> Scenario:
    """The scenario with each cluster's internet egress price set from `prices.egress` (pure)."""
    if not scenario.prices.egress:
        return scenario
    clusters = tuple(
        replace(c, egress_usd_per_gb=scenario.prices.egress[c.cloud].internet_per_gb)
        if c.cloud in scenario.prices.egress and c.egress_usd_per_gb is None
        else c
        for c in scenario.clusters
    )
    return replace(scenario, clusters=clusters)
