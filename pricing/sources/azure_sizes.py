"""vCPUs and memory of an Azure VM size, which the Retail Prices API does not return.

Two ways, tried in order by `AzureSizeSpecs`:
1. a table of known sizes, e.g. built from a catalog that has Azure specs (the embedded catalog) with
   `specs_from_catalog`;
2. parsing the size name ``Standard_<series><size>[-<active vCPUs>]<features>_v<generation>``:
   vCPUs = the size number (or the constrained ``-N`` count), memory = vCPUs × the series' GiB per vCPU
   from Microsoft's size docs: D 4 (``l`` low-memory 2), E 8, F 2, L 8, A_v2 2 (``m`` 8), B_v1/B_v2 by
   suffix; legacy Dv2/DSv2 and D1-D15 use their fixed size table. Other series (M, N, H, DC, ...) are
   not guessed; their prices are skipped unless the table knows them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pricing.offer import Offer


@dataclass(frozen=True, slots=True)
class SizeSpec:
    vcpus: float
    memory_gib: float
    gpus: int = 0


_NAME = re.compile(
    r"^Standard_(?P<series>[A-Z]+)(?P<size>\d+)(?:-(?P<active>\d+))?(?P<features>[a-z]*)(?:_(?P<version>v\d+))?$"
)

#: Legacy D/DS (v1, v2) sizes: the number is a size index, not a vCPU count.
_LEGACY_D: dict[int, tuple[float, float]] = {
    1: (1, 3.5), 2: (2, 7), 3: (4, 14), 4: (8, 28), 5: (16, 56),
    11: (2, 14), 12: (4, 28), 13: (8, 56), 14: (16, 112), 15: (20, 140),
}
#: Large E sizes whose memory is not 8 GiB per vCPU.
_E_LARGE_GIB: dict[tuple[int, str], float] = {(64, "v3"): 432, (96, "v5"): 672, (104, "v5"): 672, (96, "v6"): 672}
_B_V2_GIB_PER_VCPU: dict[str, float] = {
    "ts": 0.5, "ls": 2.0, "s": 4.0, "ats": 0.5, "als": 2.0, "as": 4.0, "pts": 0.5, "pls": 2.0, "ps": 4.0,
}
_B_V1_GIB: dict[tuple[int, str], float] = {(1, "ls"): 0.5, (1, "s"): 1, (1, "ms"): 2, (2, "s"): 4, (2, "ms"): 8}


def parse_size_name(name: str) -> SizeSpec | None:
    """vCPUs and memory from a size name, or None when the series is not one this module knows."""
    match = _NAME.match(name)
    if match is None:
        return None
    series, size = match["series"], int(match["size"])
    features, version = match["features"], match["version"] or ""
    active = int(match["active"]) if match["active"] else None
    generation = int(version[1:]) if version else 1

    if series in ("D", "DS") and (generation <= 2 or series == "DS"):
        legacy = _LEGACY_D.get(size)
        return SizeSpec(*legacy) if legacy else None
    vcpus = float(active or size)
    if series == "D":
        per_vcpu = 2.0 if "l" in features else 4.0
        return SizeSpec(vcpus, size * per_vcpu)
    if series == "E":
        memory = _E_LARGE_GIB.get((size, version), size * 8.0)
        return SizeSpec(vcpus, memory)
    if series == "F" and generation <= 2:
        return SizeSpec(vcpus, size * 2.0)
    if series == "L" and generation >= 2:
        return SizeSpec(vcpus, size * 8.0)
    if series == "A" and generation == 2:
        return SizeSpec(vcpus, size * (8.0 if "m" in features else 2.0))
    if series == "B":
        if generation == 1:
            memory = _B_V1_GIB.get((size, features), size * 4.0 if features == "ms" else None)
            return SizeSpec(vcpus, memory) if memory is not None else None
        per_vcpu = _B_V2_GIB_PER_VCPU.get(features)
        return SizeSpec(vcpus, size * per_vcpu) if per_vcpu is not None else None
    return None


def specs_from_catalog(offers: Iterable[Offer]) -> dict[str, SizeSpec]:
    """A size table from any offers of cloud ``azure`` (e.g. the embedded catalog)."""
    return {
        o.instance_type: SizeSpec(o.vcpus, o.memory_gib, o.gpus)
        for o in offers
        if o.cloud == "azure" and o.vcpus > 0 and o.memory_gib > 0
    }


class AzureSizeSpecs:
    """Looks a size up in the table first, then parses its name; remembers answers."""

    def __init__(self, table: Mapping[str, SizeSpec] | None = None) -> None:
        self._table: dict[str, SizeSpec | None] = dict(table or {})

    def __call__(self, name: str) -> SizeSpec | None:
        spec = self._table.get(name)
        if spec is None and name not in self._table:
            spec = parse_size_name(name)
            self._table[name] = spec  # None is remembered too
        return spec
