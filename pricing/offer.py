"""One priced option: an instance type in a region (optionally a zone) with a capacity type.

`Offer` is the shared currency between pricing and placement (a flat row, as in SkyPilot's
catalog CSVs and Karpenter's `InstanceType.Offerings`). No I/O and no third-party imports here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum


class CapacityType(StrEnum):
    """How a node is bought. The values match Karpenter's `karpenter.sh/capacity-type` label."""

    ON_DEMAND = "on-demand"
    SPOT = "spot"


@dataclass(frozen=True, slots=True)
class Offer:
    """An instance type × region (× zone) × capacity type with its hourly list price in USD."""

    cloud: str
    region: str
    instance_type: str
    capacity_type: CapacityType
    vcpus: float
    memory_gib: float
    hourly_usd: float
    source: str
    as_of: datetime
    zone: str | None = None
    gpus: int = 0
    gpu_type: str | None = None
    interruption_rate: float | None = None

    @property
    def family(self) -> str:
        """Instance family as users write it in `instanceFamilies` (``m7i`` of ``m7i.large``,
        ``n2`` of ``n2-standard-4``, ``Dsv5`` of ``Standard_D4s_v5``)."""
        return instance_family(self.instance_type)

    @property
    def arch(self) -> str:
        """CPU architecture as the ``kubernetes.io/arch`` node label says it: ``arm64`` or ``amd64``."""
        return instance_arch(self.cloud, self.instance_type)

    def fits(self, cpu: float, memory_gib: float) -> bool:
        """True when one replica of (cpu, memory_gib) fits on one node of this offer."""
        return self.vcpus >= cpu and self.memory_gib >= memory_gib


def instance_family(instance_type: str) -> str:
    """The family part of an instance type name, for the three big clouds and custom names.

    AWS ``m7i.large`` → ``m7i``; GCP ``n2-standard-4`` → ``n2``; Azure ``Standard_D4s_v5`` →
    ``Dsv5`` (size letter(s) + suffix letters + version, the digits of the size dropped);
    anything else: the text before the first ``.`` or ``-``.
    """
    name = instance_type
    if name.startswith(("Standard_", "Basic_")):
        body = name.split("_", 1)[1]
        parts = body.split("_")
        series = "".join(ch for ch in parts[0] if not ch.isdigit())
        version = "".join(parts[1:]) if len(parts) > 1 else ""
        return series + version
    for sep in (".", "-"):
        if sep in name:
            return name.split(sep, 1)[0]
    return name


#: The values of the ``kubernetes.io/arch`` node label that instance types have.
ARCHITECTURES = ("amd64", "arm64")
_AWS_ARM = re.compile(r"^(?:a1|[a-z]+\d+[a-z]*?g[a-z]*)$")  # Graviton: m7g, c7gn, x2gd, im4gn, is4gen, hpc7g, a1
_AZURE_SIZE = re.compile(r"^[A-Z]+\d+(?:-\d+)?([a-z]*)")  # Standard_D4pds_v5 → "pds" (feature letters)
_GCP_ARM = frozenset({"t2a", "c4a", "n4a", "a4x"})  # Ampere Altra (t2a), Google Axion (c4a, n4a), Grace (a4x)


@functools.lru_cache(maxsize=8192)
def instance_arch(cloud: str, instance_type: str) -> str:
    """``arm64`` for Arm instance types (AWS Graviton, Azure Ampere ``p`` sizes, GCP Ampere/Axion/Grace),
    else ``amd64``.

    AWS: the family (before the ``.``) is ``a1`` or has a ``g`` among the letters after its
    generation digit (``m7g``, ``c7gn``, ``x2gd``, ``is4gen``; not ``g5`` or ``g4dn``). Azure: a ``p``
    among the feature letters after the vCPU count (``Standard_D4pls_v5``; not ``Standard_NP10s``).
    GCP: the families in `_GCP_ARM`. Other clouds: ``amd64``.
    """
    if cloud == "aws":
        return "arm64" if _AWS_ARM.match(instance_type.split(".", 1)[0]) else "amd64"
    if cloud == "azure":
        match = _AZURE_SIZE.match(instance_type.removeprefix("Standard_").removeprefix("Basic_"))
        return "arm64" if match and "p" in match.group(1) else "amd64"
    if cloud == "gcp":
        return "arm64" if instance_type.split("-", 1)[0] in _GCP_ARM else "amd64"
    return "amd64"


def _offer_builder() -> Callable[..., Offer]:
    """`new_offer`: builds an `Offer` by setting its slots directly, skipping the frozen ``__init__``.

    A frozen dataclass's generated ``__init__`` sets each of its 13 fields through a looked-up
    ``object.__setattr__`` call; setting the slot descriptors bound once here costs about half as much
    (bench/pricing.py: parsers build tens of thousands of offers per refresh). No field has a
    ``__post_init__`` or validation to skip; `tests/pricing/test_offer.py` checks both build equal offers.
    """
    names = [f.name for f in fields(Offer)]
    if names != list(Offer.__slots__):  # the unrolled setters below follow the field order
        raise AssertionError(f"Offer fields {names} no longer match its slots {Offer.__slots__}")
    (cloud_, region_, type_, capacity_, vcpus_, memory_, hourly_, source_, as_of_, zone_, gpus_, gpu_type_, rate_) = (
        getattr(Offer, name).__set__ for name in names
    )
    blank = object.__new__

    def new_offer(
        cloud: str,
        region: str,
        instance_type: str,
        capacity_type: CapacityType,
        vcpus: float,
        memory_gib: float,
        hourly_usd: float,
        source: str,
        as_of: datetime,
        zone: str | None = None,
        gpus: int = 0,
        gpu_type: str | None = None,
        interruption_rate: float | None = None,
    ) -> Offer:
        offer = blank(Offer)
        cloud_(offer, cloud)
        region_(offer, region)
        type_(offer, instance_type)
        capacity_(offer, capacity_type)
        vcpus_(offer, vcpus)
        memory_(offer, memory_gib)
        hourly_(offer, hourly_usd)
        source_(offer, source)
        as_of_(offer, as_of)
        zone_(offer, zone)
        gpus_(offer, gpus)
        gpu_type_(offer, gpu_type)
        rate_(offer, interruption_rate)
        return offer

    return new_offer


#: ``new_offer(cloud, region, instance_type, capacity_type, vcpus, memory_gib, hourly_usd, source, as_of,
#: zone=None, gpus=0, gpu_type=None, interruption_rate=None)``: the same `Offer` as the constructor at
#: about half the cost, for price parsers that build tens of thousands of offers per refresh.
new_offer = _offer_builder()
