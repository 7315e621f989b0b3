"""AWS network-interface facts: how many pods the VPC CNI lets one node of an instance type run.

With the Amazon VPC CNI every pod takes a secondary IPv4 address of one of the node's ENIs, so an
EKS node without prefix delegation runs at most ``ENIs × (IPv4 addresses per ENI − 1) + 2`` pods
(the ENIs' primary addresses are not for pods; the ``+ 2`` are the host-network pods kube-proxy and
aws-node). The ENIs counted are those of the instance's *default network card*: the VPC CNI uses
only that card (karpenter-provider-aws ``ENILimitedPods``; the EKS AMI's ``eni-max-pods.txt``).

Source of the numbers below: the EC2 User Guide table "Maximum IP addresses per network interface",
as machine-read in ``aws/karpenter-provider-aws`` ``pkg/providers/instancetype/zz_generated.vpclimits.go``
(generated 2026-08-06, commit 1d927085d): ``NetworkCards[DefaultNetworkCardIndex].MaximumNetworkInterfaces``
and ``IPv4PerInterface``. We wrote the facts out ourselves, per size class, for the families that
general-purpose NodePools launch; the families listed had no exception to their size class's limits
except ``t3a.small`` (2 ENIs, not 3). Types not listed have no entry: callers fall back to a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple


class EniLimit(NamedTuple):
    """Network interfaces on the default network card, and IPv4 addresses per interface."""

    network_interfaces: int
    ipv4_per_interface: int

    @property
    def max_pods(self) -> int:
        """``ENIs × (IPv4 per ENI − 1) + 2``: the VPC CNI's pod limit without prefix delegation."""
        return self.network_interfaces * (self.ipv4_per_interface - 1) + 2


# Nitro fixed-performance sizes (m/c/r, generations 5 to 8, Intel, AMD and Graviton): every family
# below had exactly these limits per size in the source.
_NITRO_SIZE_LIMITS: dict[str, EniLimit] = {
    "medium": EniLimit(2, 4),  # 8 pods
    "large": EniLimit(3, 10),  # 29
    "xlarge": EniLimit(4, 15),  # 58
    "2xlarge": EniLimit(4, 15),  # 58
    "4xlarge": EniLimit(8, 30),  # 234
    "8xlarge": EniLimit(8, 30),
    "9xlarge": EniLimit(8, 30),
    "12xlarge": EniLimit(8, 30),
    "16xlarge": EniLimit(15, 50),  # 737
    "18xlarge": EniLimit(15, 50),
    "24xlarge": EniLimit(15, 50),
    "32xlarge": EniLimit(15, 50),
    "48xlarge": EniLimit(15, 50),
    "metal": EniLimit(15, 50),
    "metal-24xl": EniLimit(15, 50),
    "metal-48xl": EniLimit(15, 50),
}
# Burstable t3 / t3a / t4g sizes.
_BURSTABLE_SIZE_LIMITS: dict[str, EniLimit] = {
    "nano": EniLimit(2, 2),  # 4 pods
    "micro": EniLimit(2, 2),  # 4
    "small": EniLimit(3, 4),  # 11
    "medium": EniLimit(3, 6),  # 17
    "large": EniLimit(3, 12),  # 35
    "xlarge": EniLimit(4, 15),  # 58
    "2xlarge": EniLimit(4, 15),  # 58
}
_EXCEPTIONS: dict[str, EniLimit] = {"t3a.small": EniLimit(2, 4)}  # 8 pods, not t3.small's 11

_GEN5 = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")
_C5 = ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge", "metal")
_GEN6_INTEL = (*_GEN5, "32xlarge", "metal")
_GEN6_AMD = (*_GEN5, "32xlarge", "48xlarge", "metal")
_GEN7_INTEL = (*_GEN5, "48xlarge", "metal-24xl", "metal-48xl")
_GEN7_AMD = ("medium", *_GEN5, "32xlarge", "48xlarge", "metal-48xl")
_GRAVITON2_3 = ("medium", *_GEN5[:7], "metal")  # medium … 16xlarge, metal
_GRAVITON4 = ("medium", *_GEN5, "48xlarge", "metal-24xl", "metal-48xl")
_BURSTABLE = tuple(_BURSTABLE_SIZE_LIMITS)

#: family → the sizes it comes in (as listed in the source).
_FAMILY_SIZES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("m5", "m5d", "r5", "r5d"), (*_GEN5, "metal")),
    **dict.fromkeys(("m5a", "r5a", "c5a"), _GEN5),
    **dict.fromkeys(("c5", "c5d"), _C5),
    **dict.fromkeys(("m6i", "m6id", "c6i", "c6id", "r6i", "r6id"), _GEN6_INTEL),
    **dict.fromkeys(("m6a", "c6a", "r6a"), _GEN6_AMD),
    **dict.fromkeys(("m7i", "r7i"), _GEN7_INTEL),
    "c7i": (*_GEN5, "32xlarge", "48xlarge", "metal-24xl", "metal-48xl"),
    "m7i-flex": _GEN5[:7],
    **dict.fromkeys(("m7a", "c7a", "r7a"), _GEN7_AMD),
    **dict.fromkeys(
        ("m6g", "m6gd", "c6g", "c6gd", "r6g", "r6gd", "m7g", "m7gd", "c7g", "c7gd", "r7g", "r7gd"), _GRAVITON2_3
    ),
    **dict.fromkeys(("m8g", "c8g", "r8g"), _GRAVITON4),
    **dict.fromkeys(("t3", "t3a", "t4g"), _BURSTABLE),
}


def _build() -> Mapping[str, EniLimit]:
    table: dict[str, EniLimit] = {}
    for family, sizes in _FAMILY_SIZES.items():
        by_size = _BURSTABLE_SIZE_LIMITS if family in ("t3", "t3a", "t4g") else _NITRO_SIZE_LIMITS
        for size in sizes:
            table[f"{family}.{size}"] = by_size[size]
    table.update(_EXCEPTIONS)
    return MappingProxyType(table)


#: instance type → its `EniLimit` (``m5.large`` → 3 ENIs × 10 IPv4 addresses).
ENI_LIMITS: Mapping[str, EniLimit] = _build()


def eni_max_pods(instance_type: str) -> int | None:
    """The VPC CNI pod limit of `instance_type` (``m5.large`` → 29), or None when it is not in the table."""
    limit = ENI_LIMITS.get(instance_type)
    return None if limit is None else limit.max_pods


__all__ = ["ENI_LIMITS", "EniLimit", "eni_max_pods"]
