"""Internet egress prices per cloud (USD per GB), embedded facts with their sources.

List prices for the first paid tier of data transfer out to the internet, as published:
- aws: $0.09/GB — "Data Transfer OUT From Amazon EC2 To Internet, first 10 TB / month"
  (aws.amazon.com/ec2/pricing/on-demand/, Data Transfer section).
- gcp: $0.12/GiB — Premium Tier, worldwide destinations excluding China and Australia, 0–1 TiB /
  month (cloud.google.com/vpc/network-pricing; also the Cloud Billing Catalog SKU table).
- azure: $0.087/GB — internet egress routed over the Microsoft premium global network, first
  10 TB / month, Zone 1 (azure.microsoft.com/pricing/details/bandwidth/).
Custom providers default to the AWS figure unless the scenario overrides it.
"""

from __future__ import annotations

EGRESS_USD_PER_GB: dict[str, float] = {"aws": 0.09, "gcp": 0.12, "azure": 0.087}
DEFAULT_EGRESS_USD_PER_GB = 0.09


def egress_usd_per_gb(cloud: str) -> float:
    return EGRESS_USD_PER_GB.get(cloud, DEFAULT_EGRESS_USD_PER_GB)
