"""Azure Linux VM offers from libcloud's ``compute.azure_linux`` table.

Table shape: ``{"standardd4sv3": {"westeurope": 0.23, ...}, "lowpriorityd4sv3": {...}, ...}`` — size
names squashed to lower case (``standardd4sv3`` = ``Standard_D4s_v3``), USD per hour per ARM region
name. ``standard*`` rows are pay-as-you-go; ``lowpriority*`` rows are low-priority VMs, the
evictable capacity Azure now sells as Spot, at ~80 % off. They become our spot offers (source
``embedded:libcloud-azure-lowpriority``); a kept size with no low-priority row gets the spot model.

libcloud ships no specs for these sizes, so vCPUs and memory come from Azure's published size
tables (learn.microsoft.com/azure/virtual-machines/sizes/…): within each series memory is a fixed
GiB per vCPU, with the exceptions listed in `_SERIES` (e.g. E64_v4 has 504 GiB, not 512).
`tests/pricing/test_embedded.py` checks every shape against the public Azure price list in
``../shared/data`` when it is present.

Kept series: Av2/Amv2, Dv2/DSv2, Dv3/Dsv3, Dv4/Dsv4/Ddv4/Ddsv4/Dav4/Dasv4, Ev3/Esv3 (and E64i/E64is),
Ev4/Esv4/Edv4/Edsv4/Eav4/Easv4, F/Fs, Fsv2. Dropped, on purpose: B (burstable: credit baseline,
not sustained vCPUs), basic and classic A0–A11, D/DS v1, G/GS, H/HB/HC (HPC), L (storage), M (huge
memory), DC (confidential), N* (GPU shapes whose GPU counts we do not track), ``promo`` rows;
regions ``usgov*`` (separate cloud) and ``germanycentral``/``germanynortheast`` (the closed
Microsoft Cloud Deutschland).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from pricing.offer import CapacityType, Offer
from pricing.spot_model import DEFAULT_SPOT_MODEL, SpotModel

ON_DEMAND_SOURCE = "embedded:libcloud-azure"
SPOT_SOURCE = "embedded:libcloud-azure-lowpriority"

_NAME = re.compile(r"^(standard|lowpriority)([a-z]+?)(\d+)([a-z]*?)(?:v(\d+))?$")
_DROPPED_REGIONS = frozenset({"germanycentral", "germanynortheast"})

# (series, suffix, version) → (GiB per vCPU, {vcpus: GiB} exceptions). Sizes are vCPU counts.
_FOUR, _EIGHT = 4.0, 8.0
_SERIES: dict[tuple[str, str, int | None], tuple[float, Mapping[int, float]]] = {
    ("a", "", 2): (2.0, {}),
    ("a", "m", 2): (8.0, {}),
    **{("d", s, 3): (_FOUR, {}) for s in ("", "s")},
    **{("d", s, 4): (_FOUR, {}) for s in ("", "s", "d", "ds", "a", "as")},
    **{("e", s, 3): (_EIGHT, {64: 432.0}) for s in ("", "s", "i", "is")},
    **{("e", s, 4): (_EIGHT, {64: 504.0}) for s in ("", "s", "d", "ds")},
    **{("e", s, 4): (_EIGHT, {96: 672.0}) for s in ("a", "as")},
    **{("f", s, None): (2.0, {}) for s in ("", "s")},
    ("f", "s", 2): (2.0, {}),
}
# Dv2 / DSv2 sizes are numbered, not counted: size number → (vCPUs, GiB).
_DV2_SIZES: Mapping[int, tuple[float, float]] = {
    1: (1, 3.5),
    2: (2, 7),
    3: (4, 14),
    4: (8, 28),
    5: (16, 56),
    11: (2, 14),
    12: (4, 28),
    13: (8, 56),
    14: (16, 112),
    15: (20, 140),
}


def arm_size_name(squashed: str) -> tuple[str, str] | None:
    """``standardd4sv3`` → (``"standard"``, ``"Standard_D4s_v3"``); None when not a size name."""
    match = _NAME.match(squashed)
    if match is None:
        return None
    tier, series, size, suffix, version = match.groups()
    name = f"Standard_{series.upper()}{size}{suffix}" + (f"_v{version}" if version else "")
    return tier, name


def size_shape(squashed: str) -> tuple[float, float] | None:
    """(vCPUs, memory GiB) of a kept size (``standardd4sv3`` → (4, 16)); None for a dropped one."""
    match = _NAME.match(squashed)
    if match is None:
        return None
    _tier, series, size_text, suffix, version_text = match.groups()
    size, version = int(size_text), int(version_text) if version_text else None
    if series in ("d", "ds") and version == 2 and suffix == "":
        shape = _DV2_SIZES.get(size)
        return (float(shape[0]), float(shape[1])) if shape else None
    rule = _SERIES.get((series, suffix, version))
    if rule is None:
        return None
    gib_per_vcpu, exceptions = rule
    return float(size), float(exceptions.get(size, size * gib_per_vcpu))


def parse_azure_linux(
    table: Mapping[str, Mapping[str, float | None]],
    as_of: datetime,
    spot_model: SpotModel = DEFAULT_SPOT_MODEL,
) -> list[Offer]:
    """Pay-as-you-go offers for every kept size and region, each with a spot offer (low-priority or model)."""
    offers: list[Offer] = []
    for squashed, by_region in table.items():
        if not squashed.startswith("standard"):
            continue
        shape, named = size_shape(squashed), arm_size_name(squashed)
        if shape is None or named is None:
            continue
        vcpus, memory_gib = shape
        name = named[1]
        low_priority = table.get("lowpriority" + squashed[len("standard") :]) or {}
        spot_rate = spot_model.interruption_rate("azure", name)
        for region, price in by_region.items():
            if not _offered(region, price):
                continue
            on_demand = Offer(
                cloud="azure",
                region=region,
                instance_type=name,
                capacity_type=CapacityType.ON_DEMAND,
                vcpus=vcpus,
                memory_gib=memory_gib,
                hourly_usd=float(price or 0.0),
                source=ON_DEMAND_SOURCE,
                as_of=as_of,
            )
            offers.append(on_demand)
            spot_price = low_priority.get(region)
            if spot_price and spot_price > 0:
                offers.append(
                    Offer(
                        cloud="azure",
                        region=region,
                        instance_type=name,
                        capacity_type=CapacityType.SPOT,
                        vcpus=vcpus,
                        memory_gib=memory_gib,
                        hourly_usd=float(spot_price),
                        interruption_rate=spot_rate,
                        source=SPOT_SOURCE,
                        as_of=as_of,
                    )
                )
            else:
                offers.append(spot_model.spot_offer(on_demand))
    return offers


def _offered(region: str, price: float | None) -> bool:
    return bool(price) and (price or 0.0) > 0 and not region.startswith("usgov") and region not in _DROPPED_REGIONS


__all__ = ["ON_DEMAND_SOURCE", "SPOT_SOURCE", "arm_size_name", "parse_azure_linux", "size_shape"]
