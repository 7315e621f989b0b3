"""EC2 Linux on-demand offers from libcloud's ``compute.ec2_linux`` table, spot from the spot model.

Table shape: ``{"m5.large": {"eu-west-1": 0.107, "us-east-1": 0.096, ...}, ...}`` (USD per hour,
real AWS region codes; ``0.0`` means not offered there). Specs (vCPUs, memory, GPUs) come from
libcloud's ``ec2_instance_types.INSTANCE_TYPES`` (``extra.vcpu``, ``ram`` in MiB, ``extra.gpu``).

Dropped, on purpose (these cannot be priced as "a node with N vCPUs and M GiB"):
* types without specs in libcloud (bare family keys such as ``c5``, most ``.metal`` sizes);
* burstable types (``t1``, ``t2``, ``t3``, ``t3a``, ``t4g``): their list price buys a CPU-credit
  baseline (5–40 % of a vCPU), not sustained vCPUs;
* accelerators that are not GPUs — Inferentia/Trainium (``inf*``, ``trn*``), FPGA (``f1``, ``f2``),
  media (``vt1``), Gaudi (``dl1``/``dl2q``) — since `Offer` only counts GPUs;
* GovCloud (``us-gov-*``: needs a separate account) and Local/Wavelength Zones (``us-west-2-lax-1``).

Types AWS does not sell as Spot (HPC ``hpc*``, Mac ``mac*``, High Memory ``u-*``/``u7i*``; see
`pricing.spot_model.NO_SPOT_CATEGORIES`) keep their on-demand offers but get no spot twin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from pricing.offer import CapacityType, Offer
from pricing.spot_model import DEFAULT_SPOT_MODEL, SpotModel

ON_DEMAND_SOURCE = "embedded:libcloud-ec2"

_BURSTABLE = re.compile(r"^t\d[a-z]*\.")
_NON_GPU_ACCELERATOR_FAMILIES = frozenset(
    {"Machine Learning ASIC Instances", "FPGA Instances", "Media Accelerator Instances"}
)
_NON_GPU_ACCELERATOR_PREFIXES = ("inf", "trn", "f1.", "f2.", "vt1.", "dl1.", "dl2q.")
_REGION = re.compile(r"^[a-z]{2}-[a-z]+-\d$")


def parse_ec2_linux(
    prices: Mapping[str, Mapping[str, float | None]],
    specs: Mapping[str, Any],
    as_of: datetime,
    spot_model: SpotModel = DEFAULT_SPOT_MODEL,
) -> list[Offer]:
    """On-demand offers for every priced (type, region) with specs, each followed by its modelled spot
    twin unless `spot_model` says AWS sells no spot for the type (`SpotModel.sells_spot`)."""
    offers: list[Offer] = []
    for instance_type, by_region in prices.items():
        shape = _shape(instance_type, specs.get(instance_type))
        if shape is None:
            continue
        vcpus, memory_gib, gpus = shape
        sells_spot = spot_model.sells_spot("aws", instance_type)
        spot_factor = 1.0 - spot_model.discount("aws", instance_type)
        spot_rate = spot_model.interruption_rate("aws", instance_type)
        for region, hourly_usd in _priced_regions(by_region):
            offers.append(
                Offer(
                    cloud="aws",
                    region=region,
                    instance_type=instance_type,
                    capacity_type=CapacityType.ON_DEMAND,
                    vcpus=vcpus,
                    memory_gib=memory_gib,
                    hourly_usd=hourly_usd,
                    gpus=gpus,
                    source=ON_DEMAND_SOURCE,
                    as_of=as_of,
                )
            )
            if not sells_spot:
                continue
            offers.append(  # the spot model's twin; same arithmetic as SpotModel.spot_offer, hoisted per type
                Offer(
                    cloud="aws",
                    region=region,
                    instance_type=instance_type,
                    capacity_type=CapacityType.SPOT,
                    vcpus=vcpus,
                    memory_gib=memory_gib,
                    hourly_usd=round(hourly_usd * spot_factor, 6),
                    gpus=gpus,
                    interruption_rate=spot_rate,
                    source=spot_model.source,
                    as_of=as_of,
                )
            )
    return offers


def _shape(instance_type: str, spec: Mapping[str, Any] | None) -> tuple[float, float, int] | None:
    """(vcpus, memory_gib, gpus), or None for a type we drop (see the module docstring)."""
    if spec is None or _BURSTABLE.match(instance_type) or instance_type.startswith(_NON_GPU_ACCELERATOR_PREFIXES):
        return None
    extra = spec.get("extra", {})
    if extra.get("instanceFamily") in _NON_GPU_ACCELERATOR_FAMILIES:
        return None
    try:
        vcpus = float(extra["vcpu"])
        memory_gib = float(spec["ram"]) / 1024.0
        gpus = int(extra.get("gpu") or 0)
    except (KeyError, TypeError, ValueError):
        return None
    if vcpus <= 0 or memory_gib <= 0:
        return None
    return vcpus, memory_gib, gpus


def _priced_regions(by_region: Mapping[str, float | None]) -> Iterator[tuple[str, float]]:
    for region, price in by_region.items():
        if not price or price <= 0 or region.startswith("us-gov-") or not _REGION.match(region):
            continue
        yield region, float(price)


__all__ = ["ON_DEMAND_SOURCE", "parse_ec2_linux"]
