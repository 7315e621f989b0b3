"""GCE machine-type offers composed from libcloud's per-vCPU and per-GiB prices (``compute.gce_instances``).

Google prices predefined machine types as ``vcpus × core price + memory_gib × RAM price``; the table
holds those unit prices per family and region, for on-demand and preemptible (the old name of Spot
VMs; same pricing model). Table shape::

    {"n2": {"cpu": {"on_demand": {"europe-west1": {"price": 0.034773, "sku": "…"}, …},
                    "preemptible": {…}},
            "ram": {"on_demand": {…}, "preemptible": {…}}}, …}

A price of ``0.0`` means the family is not sold in that region. Machine shapes below are Google's
published predefined types (cloud.google.com/compute/docs/general-purpose-machines,
…/compute-optimized-machines): vCPUs and GiB of memory per size.

Dropped, on purpose: shared-core types (``e2-micro/small/medium``, ``f1-micro``, ``g1-small``; they
sell a fraction of a vCPU), custom and extended-memory shapes (any shape would do: not a catalog),
and ``m1`` ultramem/megamem (memory-optimised giants outside the workloads we place). Sustained-use
and committed-use discounts are not applied: these are list prices.

Spot prices: the table's preemptible rates are the old fixed preemptible SKUs, while Spot VM prices
move per region; by Google's price list of 2026-07-30 they sat a median 32.6 % below the real ones.
So spot offers are the preemptible composition × a factor per family and region calibrated on that
list (`pricing.libcloud_tables.gcp_spot`; source ``embedded:libcloud-gce-preemptible-calibrated``).
Pass ``spot_calibration=None`` for the uncorrected preemptible prices (source ``SPOT_SOURCE``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from pricing.libcloud_tables.gcp_spot import DEFAULT_GCE_SPOT_CALIBRATION, GceSpotCalibration
from pricing.offer import CapacityType, Offer
from pricing.spot_model import DEFAULT_SPOT_MODEL, SpotModel

ON_DEMAND_SOURCE = "embedded:libcloud-gce"
SPOT_SOURCE = "embedded:libcloud-gce-preemptible"

_TABLE_KEY_OF_CAPACITY = {CapacityType.ON_DEMAND: "on_demand", CapacityType.SPOT: "preemptible"}


def _sizes(
    series: str, vcpus: tuple[int, ...], gib_per_vcpu: float, **exceptions_gib: float
) -> Iterator[tuple[str, float, float]]:
    for n in vcpus:
        yield series, float(n), float(exceptions_gib.get(f"m{n}", n * gib_per_vcpu))


#: family → [(series, vcpus, memory_gib)], Google's predefined machine types.
MACHINE_SHAPES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "e2": (
        *_sizes("standard", (2, 4, 8, 16, 32), 4),
        *_sizes("highmem", (2, 4, 8, 16), 8),
        *_sizes("highcpu", (2, 4, 8, 16, 32), 1),
    ),
    "n1": (
        *_sizes("standard", (1, 2, 4, 8, 16, 32, 64, 96), 3.75),
        *_sizes("highmem", (2, 4, 8, 16, 32, 64, 96), 6.5),
        *_sizes("highcpu", (2, 4, 8, 16, 32, 64, 96), 0.9),
    ),
    "n2": (
        *_sizes("standard", (2, 4, 8, 16, 32, 48, 64, 80, 96, 128), 4),
        *_sizes("highmem", (2, 4, 8, 16, 32, 48, 64, 80, 96, 128), 8, m128=864),
        *_sizes("highcpu", (2, 4, 8, 16, 32, 48, 64, 80, 96), 1),
    ),
    "n2d": (
        *_sizes("standard", (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224), 4),
        *_sizes("highmem", (2, 4, 8, 16, 32, 48, 64, 80, 96), 8),
        *_sizes("highcpu", (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224), 1),
    ),
    "c2": tuple(_sizes("standard", (4, 8, 16, 30, 60), 4)),
}


def machine_type_name(family: str, series: str, vcpus: float) -> str:
    """``n2-standard-4`` style name."""
    return f"{family}-{series}-{int(vcpus)}"


def unit_prices(table: Mapping[str, Any], family: str, capacity_type: CapacityType) -> dict[str, tuple[float, float]]:
    """Region → (USD per vCPU-hour, USD per GiB-hour) where both are listed and non-zero."""
    entry = table.get(family) or {}
    key = _TABLE_KEY_OF_CAPACITY[capacity_type]
    cpu = (entry.get("cpu") or {}).get(key) or {}
    ram = (entry.get("ram") or {}).get(key) or {}
    out: dict[str, tuple[float, float]] = {}
    for region, cpu_row in cpu.items():
        ram_row = ram.get(region)
        core, gib = _price(cpu_row), _price(ram_row)
        if core > 0 and gib > 0:
            out[region] = (core, gib)
    return out


def parse_gce_instances(
    table: Mapping[str, Any],
    as_of: datetime,
    spot_model: SpotModel = DEFAULT_SPOT_MODEL,
    spot_calibration: GceSpotCalibration | None = DEFAULT_GCE_SPOT_CALIBRATION,
) -> list[Offer]:
    """Every (machine type, region, capacity type) whose unit prices are listed; spot prices are
    corrected by `spot_calibration` (None: the table's preemptible prices as they are)."""
    offers: list[Offer] = []
    for family, shapes in MACHINE_SHAPES.items():
        for capacity_type in (CapacityType.ON_DEMAND, CapacityType.SPOT):
            spot = capacity_type is CapacityType.SPOT
            spot_rate = spot_model.interruption_rate("gcp", family) if spot else None
            source = ON_DEMAND_SOURCE
            if spot:
                source = SPOT_SOURCE if spot_calibration is None else spot_calibration.source
            for region, (core_usd, gib_usd) in sorted(unit_prices(table, family, capacity_type).items()):
                factor = 1.0 if spot_calibration is None or not spot else spot_calibration.factor(family, region)
                for series, vcpus, memory_gib in shapes:
                    name = machine_type_name(family, series, vcpus)
                    offers.append(
                        Offer(
                            cloud="gcp",
                            region=region,
                            instance_type=name,
                            capacity_type=capacity_type,
                            vcpus=vcpus,
                            memory_gib=memory_gib,
                            hourly_usd=round((vcpus * core_usd + memory_gib * gib_usd) * factor, 6),
                            interruption_rate=spot_rate,
                            source=source,
                            as_of=as_of,
                        )
                    )
    return offers


def _price(row: Any) -> float:
    if not isinstance(row, Mapping):
        return 0.0
    try:
        return float(row.get("price") or 0.0)
    except (TypeError, ValueError):
        return 0.0


__all__ = [
    "MACHINE_SHAPES",
    "ON_DEMAND_SOURCE",
    "SPOT_SOURCE",
    "machine_type_name",
    "parse_gce_instances",
    "unit_prices",
]
