"""GCP predefined machine shapes: the vCPUs and memory of each machine type, per family.

The Billing Catalog prices a family per vCPU-hour and per GiB-hour; a machine type's price is
``vcpus × core price + memory_gib × ram price``. This table (from the Compute Engine machine-family
docs) lists the predefined types to compose. GPU (a2, a3, g2), shared-core (e2-micro/small/medium,
f1, g1) and memory-optimised (m1-m3) types are not composed: their prices have other parts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MachineShape:
    name: str
    vcpus: int
    memory_gib: float


#: family → {class: (GiB per vCPU, vCPU sizes)}
_RULES: dict[str, dict[str, tuple[float, tuple[int, ...]]]] = {
    "e2": {
        "standard": (4, (2, 4, 8, 16, 32)),
        "highmem": (8, (2, 4, 8, 16)),
        "highcpu": (1, (2, 4, 8, 16, 32)),
    },
    "n1": {
        "standard": (3.75, (1, 2, 4, 8, 16, 32, 64, 96)),
        "highmem": (6.5, (2, 4, 8, 16, 32, 64, 96)),
        "highcpu": (0.9, (2, 4, 8, 16, 32, 64, 96)),
    },
    "n2": {
        "standard": (4, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)),
        "highmem": (8, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)),
        "highcpu": (1, (2, 4, 8, 16, 32, 48, 64, 80, 96)),
    },
    "n2d": {
        "standard": (4, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)),
        "highmem": (8, (2, 4, 8, 16, 32, 48, 64, 80, 96)),
        "highcpu": (1, (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)),
    },
    "n4": {
        "standard": (4, (2, 4, 8, 16, 32, 48, 64, 80)),
        "highmem": (8, (2, 4, 8, 16, 32, 48, 64, 80)),
        "highcpu": (2, (2, 4, 8, 16, 32, 48, 64, 80)),
    },
    "c2": {"standard": (4, (4, 8, 16, 30, 60))},
    "c2d": {
        "standard": (4, (2, 4, 8, 16, 32, 56, 112)),
        "highmem": (8, (2, 4, 8, 16, 32, 56, 112)),
        "highcpu": (2, (2, 4, 8, 16, 32, 56, 112)),
    },
    "c3": {
        "standard": (4, (4, 8, 22, 44, 88, 176)),
        "highmem": (8, (4, 8, 22, 44, 88, 176)),
        "highcpu": (2, (4, 8, 22, 44, 88, 176)),
    },
    "c3d": {
        "standard": (4, (4, 8, 16, 30, 60, 90, 180, 360)),
        "highmem": (8, (4, 8, 16, 30, 60, 90, 180, 360)),
        "highcpu": (2, (4, 8, 16, 30, 60, 90, 180, 360)),
    },
    "c4": {
        "standard": (3.75, (2, 4, 8, 16, 32, 48, 96, 192)),
        "highmem": (7.75, (2, 4, 8, 16, 32, 48, 96, 192)),
        "highcpu": (1.875, (2, 4, 8, 16, 32, 48, 96, 192)),
    },
    "t2d": {"standard": (4, (1, 2, 4, 8, 16, 32, 48, 60))},
    "t2a": {"standard": (4, (1, 2, 4, 8, 16, 32, 48))},
}


def _build() -> dict[str, tuple[MachineShape, ...]]:
    table: dict[str, tuple[MachineShape, ...]] = {}
    for family, classes in _RULES.items():
        shapes = []
        for klass, (gib_per_vcpu, sizes) in classes.items():
            for vcpus in sizes:
                shapes.append(MachineShape(f"{family}-{klass}-{vcpus}", vcpus, round(vcpus * gib_per_vcpu, 3)))
        table[family] = tuple(shapes)
    return table


SHAPES: dict[str, tuple[MachineShape, ...]] = _build()
"""family → its predefined machine shapes."""
