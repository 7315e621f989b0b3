"""The embedded catalog: AWS, GCP and Azure list prices built at run time from apache-libcloud's tables.

Works offline with nothing but the installed package: no price data is copied into this repository.
Every offer carries its `source` (which table, or the spot model) and `as_of` (the table's
``updated`` timestamp). What each cloud keeps and drops, and why, is written in
`pricing.libcloud_tables.aws` / `.gcp` / `.azure`; spot prices that no table lists come from
`pricing.spot_model`.

Building takes ~0.1 s (JSON parse of the 4.5 MB table plus ~50k small dataclasses) and is cached
for the life of the process.
"""

from __future__ import annotations

import functools

from pricing.catalog import Catalog
from pricing.libcloud_tables import LibcloudTables, load_libcloud_tables
from pricing.libcloud_tables.aws import parse_ec2_linux
from pricing.libcloud_tables.azure import parse_azure_linux
from pricing.libcloud_tables.gcp import parse_gce_instances
from pricing.spot_model import DEFAULT_SPOT_MODEL, SpotModel

EMBEDDED_CLOUDS = ("aws", "gcp", "azure")


def build_embedded_catalog(tables: LibcloudTables, spot_model: SpotModel = DEFAULT_SPOT_MODEL) -> Catalog:
    """Pure: the catalog of all three clouds from already-loaded libcloud tables."""
    compute = tables.compute
    offers = [
        *parse_ec2_linux(compute.get("ec2_linux", {}), tables.ec2_specs, tables.as_of, spot_model),
        *parse_gce_instances(compute.get("gce_instances", {}), tables.as_of, spot_model),
        *parse_azure_linux(compute.get("azure_linux", {}), tables.as_of, spot_model),
    ]
    return Catalog(offers, fetched_at=tables.as_of)


@functools.cache
def load_embedded_catalog() -> Catalog:
    """The embedded catalog from the installed apache-libcloud (read once per process)."""
    return build_embedded_catalog(load_libcloud_tables())


__all__ = ["EMBEDDED_CLOUDS", "build_embedded_catalog", "load_embedded_catalog"]
