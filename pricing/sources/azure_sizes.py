"""vCPUs and memory of an Azure VM size, which the Retail Prices API does not return.

Two ways, tried in order by `AzureSizeSpecs`:
1. a table of known sizes, e.g. built from a catalog that has Azure specs (the embedded catalog) with
   `specs_from_catalog`;
2. parsing the size name ``Standard_<series><size>[-<active vCPUs>]<features>_v<generation>``:
   vCPUs = the size number (or the constrained ``-N`` count), memory = size × the series' GiB per vCPU
   from Microsoft's size docs: D 4 (``l`` low-memory 2), E 8, F 2 (v6+: 4, ``l`` 2, ``m`` 8), L 8,
   A_v2 2 (``m`` 8), B by suffix, plus a table of large sizes that break the ratio; legacy Dv2/DSv2
   (D1-D15) use their fixed size table. Other series (M, N*, H*, DC, EC, FX, G) are not guessed: their
   prices are skipped unless the table knows them. Checked against a real 1,432-size table in
   tests/pricing/test_sources_azure.py (skipped when ../shared/data is absent).
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
    r"^Standard_(?P<series>[A-Z]+)(?P<size>\d+)(?:-(?P<active>\d+))?(?P<features>[a-z]*)(?:_(?P<version>v\d+))?"
    r"(?:_Promo)?$"
)

#: Legacy D/DS (v1, v2) sizes: the number is a size index, not a vCPU count.
_LEGACY_D: dict[int, tuple[float, float]] = {
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
#: Sizes whose memory is not their series' GiB-per-vCPU ratio (Microsoft's size pages).
_MEMORY_EXCEPTIONS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(pattern), gib)
    for pattern, gib in (
        (r"^Standard_E64[a-z]*_v3$", 432),
        (r"^Standard_E64(?!a)[a-z]*_v4$", 504),  # Intel Ev4; the AMD Eav4 has 512
        (r"^Standard_E80i[a-z]*_v4$", 504),
        (r"^Standard_E96[a-z]*_v[45]$|^Standard_E96[ap][a-z]*_v6$", 672),  # Intel Esv6 96 has 768
        (r"^Standard_E10[4-9]i[a-z]*_v5$|^Standard_E112i[a-z]*_v5$", 672),
        (r"^Standard_E192i[a-z]*_v6$", 1832),
        (r"^Standard_E32p[a-z]*_v5$", 208),
        (r"^Standard_D64p(?!l)[a-z]*_v5$", 208),
    )
)
_B_V1_GIB: dict[tuple[int, str], float] = {(1, "ls"): 0.5, (1, "s"): 1, (1, "ms"): 2, (2, "s"): 4, (2, "ms"): 8}
_B_V2_GIB_PER_VCPU: dict[str, float] = {
    "ts": 0.5,
    "ls": 2.0,
    "s": 4.0,
    "ats": 0.5,
    "als": 2.0,
    "as": 4.0,
    "pts": 0.5,
    "pls": 2.0,
    "ps": 4.0,
}


def parse_size_name(name: str) -> SizeSpec | None:
    """vCPUs and memory from a size name, or None when the series is not one this module knows.

    Constrained-core sizes (``Standard_E16-4s_v5``) report their active vCPUs (4): that is what a
    node can schedule; their memory is the parent size's.
    """
    match = _NAME.match(name)
    if match is None:
        return None
    series, size = match["series"], int(match["size"])
    features, version = match["features"], match["version"] or ""
    generation = int(version[1:]) if version else 1
    vcpus = float(match["active"] or size)

    if series in ("D", "DS") and (generation <= 2 or series == "DS"):
        legacy = _LEGACY_D.get(size)
        return SizeSpec(float(match["active"] or legacy[0]), legacy[1]) if legacy else None
    per_vcpu = _gib_per_vcpu(series, features, generation, size)
    if per_vcpu is None:
        return None
    plain = name.removesuffix("_Promo").replace(f"-{match['active']}", "") if match["active"] else name
    for pattern, gib in _MEMORY_EXCEPTIONS:
        if pattern.match(plain):
            return SizeSpec(vcpus, gib)
    return SizeSpec(vcpus, size * per_vcpu)


def _gib_per_vcpu(series: str, features: str, generation: int, size: int) -> float | None:
    if series == "D":
        return 2.0 if "l" in features else 4.0
    if series == "E":
        return 8.0
    if series == "F":
        if generation <= 2:
            return 2.0
        return 2.0 if "l" in features else 8.0 if "m" in features else 4.0
    if series == "L":
        return 8.0
    if series == "A" and generation == 2:
        return 8.0 if "m" in features else 2.0
    if series == "B":
        if generation == 1:
            memory = _B_V1_GIB.get((size, features), size * 4.0 if features == "ms" else None)
            return None if memory is None else memory / size
        return _B_V2_GIB_PER_VCPU.get(features)
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
