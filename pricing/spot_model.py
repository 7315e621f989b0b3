"""The spot-discount model: a spot price where a price table has none (AWS; Azure sizes without a
low-priority row), and a documented interruption rate for every embedded spot offer.

    spot hourly_usd = on-demand hourly_usd × (1 − discount(cloud, family))

The numbers are literals with their public basis written next to them, so a reviewer can check
them without running anything. Offers priced by this model carry ``source = SPOT_MODEL_SOURCE``
so a plan can always tell a modelled price from a listed one.

Basis
-----
* AWS discounts and interruption rates: the AWS Spot Instance Advisor
  (https://aws.amazon.com/ec2/spot/instance-advisor/, feed ``spot-advisor-data.json``), snapshot of
  2025-06-28, Linux rows of every region: the median "savings over on-demand" and the median
  "frequency of interruption" bucket per instance category (the letters before the generation
  digit: ``m`` of ``m7i``, ``inf`` of ``inf2``). `bench/spot_model_calibration.py` prints these
  medians from ``../shared/data/prices/aws_spot_advisor_flat_2025-06-28.csv.gz``. Savings are
  remarkably flat across categories (63–70 %); interruption buckets vary more.
* Azure discount: Azure Spot sells at up to 90 % off; the libcloud table's low-priority prices are
  at a median 80 % off pay-as-you-go (ratio 0.20 over 7,128 size × region pairs), and the public
  Azure retail price history (Spot vs regular meters, 2026 snapshots) sits at 81.5 % off. We use 0.80.
* Interruption rates are the fraction of spot capacity reclaimed per month, as the Spot Advisor
  reports it (buckets <5 %, 5–10 %, 10–15 %, 15–20 %, >20 %; we take each bucket's midpoint and
  0.25 for the open one). Neither Google nor Azure publishes a comparable per-family figure (Google
  documents a 5–15 % *daily* preemption rate for its old preemptible VMs; Azure shows eviction
  buckets per size in the portal only), so GCP and Azure get an **assumed** middle bucket, 0.125.
  This is an assumption, not a measurement: override it with a price file's ``interruption_rate``.
* No spot market (`SpotModel.no_spot`, default `NO_SPOT_CATEGORIES`): AWS sells some categories
  only as On-Demand / Savings Plans / Reserved / Dedicated Hosts, never as Spot, so the model
  refuses to invent a spot price for them (see the literal for the basis of each).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pricing.offer import CapacityType, Offer

SPOT_MODEL_SOURCE = "embedded:spot-model"

#: Monthly interruption fraction at the midpoint of each Spot Advisor bucket (index 0..4).
ADVISOR_BUCKET_RATE = (0.025, 0.075, 0.125, 0.175, 0.25)

# AWS Spot Advisor 2025-06-28, Linux, all regions: median savings % and median interruption bucket
# per instance category (rows: category → (savings fraction, bucket index)).
_AWS_BY_CATEGORY: dict[str, tuple[float, int]] = {
    "c": (0.65, 2),  # 3,794 rows
    "m": (0.64, 2),  # 3,915 rows
    "r": (0.65, 2),  # 3,707 rows
    "i": (0.69, 3),  # 1,008 rows
    "im": (0.69, 1),  # 72 rows (median bucket 0.5 → 1)
    "is": (0.695, 1),  # 72 rows
    "x": (0.70, 0),  # 520 rows
    "d": (0.685, 2),  # 180 rows
    "z": (0.68, 4),  # 84 rows
    "g": (0.66, 2),  # 549 rows
    "gr": (0.70, 3),  # 32 rows
    "p": (0.67, 4),  # 101 rows
    "dl": (0.725, 2),  # 4 rows (median bucket 1.5 → 2)
    "h": (0.67, 4),  # 16 rows
    "a": (0.0, 4),  # a1: the advisor lists 0 % savings (spot priced like on-demand), bucket >20 %
}
_AWS_DEFAULT = (0.65, 2)  # median over all 14,962 Linux rows: 65 % savings, bucket 2 (10–15 %)

#: cloud → instance categories (`instance_category`) that the cloud does not sell as spot at all.
#: Basis, AWS: the EC2 User Guide's Spot quota families (using-spot-limits.html) are DL, F, G/VT, Inf,
#: P, Standard (A C D H I M R T Z), Trn and X: none of these three. And in our data the 2025-06-28 Spot
#: Advisor feed (../shared/data/prices/aws_spot_advisor_data_2025-06-28.json.gz) lists hpc6a…hpc7g and
#: u-*/u7i*/u7in* in its instance-type dictionary but in none of its 33 regions' spot rows, and the
#: 2022-05-31 Linux spot price-change feed has no hpc, mac or u type among its 509 types.
NO_SPOT_CATEGORIES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "aws": frozenset(
            {
                "hpc",  # hpc6a, hpc6id, hpc7a, hpc7g: HPC instances are On-Demand / Savings Plans only
                "mac",  # mac1, mac2, mac2-m1ultra, mac2-m2, mac2-m2pro: Mac runs on Dedicated Hosts only
                "u",  # u-3tb1 … u-24tb1, u7i-*, u7in-*: High Memory is not offered as Spot
            }
        ),
    }
)

_AZURE_DISCOUNT = 0.80
_ASSUMED_RATE = ADVISOR_BUCKET_RATE[2]


@dataclass(frozen=True, slots=True)
class SpotModel:
    """Spot discount and interruption rate per cloud and instance category (see the module docstring).

    `discounts[cloud][category]` and `rates[cloud][category]`; a category missing falls back to the
    cloud's ``"*"`` entry. `no_spot[cloud]` holds the categories the cloud sells no spot capacity
    for (default `NO_SPOT_CATEGORIES`, even for a hand-made model; pass ``no_spot={}`` to lift it):
    `spot_offer` refuses them and the embedded parsers give them no spot twin. Make a variant with
    ``dataclasses.replace`` (e.g. in a what-if notebook).
    """

    discounts: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    rates: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    source: str = SPOT_MODEL_SOURCE
    no_spot: Mapping[str, frozenset[str]] = field(default_factory=lambda: NO_SPOT_CATEGORIES)

    def sells_spot(self, cloud: str, instance_type: str) -> bool:
        """False when `cloud` has no spot market for `instance_type`'s category (``hpc6a.48xlarge`` on AWS)."""
        return instance_category(instance_type) not in self.no_spot.get(cloud, frozenset())

    def discount(self, cloud: str, instance_type: str) -> float:
        """Fraction off on-demand for a spot node of `instance_type` (0 ≤ d < 1)."""
        return _lookup(self.discounts, cloud, instance_category(instance_type), what="discount")

    def interruption_rate(self, cloud: str, instance_type: str) -> float:
        """Assumed fraction of spot capacity of `instance_type` reclaimed per month."""
        return _lookup(self.rates, cloud, instance_category(instance_type), what="interruption rate")

    def spot_offer(self, on_demand: Offer) -> Offer:
        """The modelled spot twin of an on-demand offer (same shape, region, as_of; model's source)."""
        if on_demand.capacity_type is not CapacityType.ON_DEMAND:
            raise ValueError(f"spot_offer needs an on-demand offer, got {on_demand.capacity_type.value}")
        if not self.sells_spot(on_demand.cloud, on_demand.instance_type):
            raise ValueError(
                f"{on_demand.cloud} sells no spot capacity for instance type {on_demand.instance_type!r} "
                f"(category {instance_category(on_demand.instance_type)!r} is in the spot model's no_spot list): "
                "price it on-demand only, or check SpotModel.sells_spot before asking for a spot twin"
            )
        discount = self.discount(on_demand.cloud, on_demand.instance_type)
        return dataclasses.replace(
            on_demand,
            capacity_type=CapacityType.SPOT,
            hourly_usd=round(on_demand.hourly_usd * (1.0 - discount), 6),
            interruption_rate=self.interruption_rate(on_demand.cloud, on_demand.instance_type),
            source=self.source,
        )


@functools.lru_cache(maxsize=4096)
def instance_category(instance_type: str) -> str:
    """The letters before the generation digit, lower-cased: ``m`` (m7i.large), ``inf`` (inf2.xlarge),
    ``n`` (n2-standard-4), ``d`` (Standard_D4s_v5), ``u`` (u-6tb1.56xlarge)."""
    name = instance_type.split("_", 1)[1] if instance_type.startswith(("Standard_", "Basic_")) else instance_type
    match = re.match(r"[A-Za-z]+", name)
    return match.group(0).lower() if match else ""


def _lookup(table: Mapping[str, Mapping[str, float]], cloud: str, category: str, *, what: str) -> float:
    per_cloud = table.get(cloud)
    if per_cloud is None:
        raise KeyError(f"spot model has no {what} for cloud {cloud!r}; known: {sorted(table)}")
    return per_cloud.get(category, per_cloud["*"])


def _frozen(table: dict[str, dict[str, float]]) -> Mapping[str, Mapping[str, float]]:
    return MappingProxyType({cloud: MappingProxyType(dict(rows)) for cloud, rows in table.items()})


DEFAULT_SPOT_MODEL = SpotModel(
    discounts=_frozen(
        {
            "aws": {"*": _AWS_DEFAULT[0], **{c: s for c, (s, _) in _AWS_BY_CATEGORY.items()}},
            "azure": {"*": _AZURE_DISCOUNT},
        }
    ),
    rates=_frozen(
        {
            "aws": {
                "*": ADVISOR_BUCKET_RATE[_AWS_DEFAULT[1]],
                **{c: ADVISOR_BUCKET_RATE[b] for c, (_, b) in _AWS_BY_CATEGORY.items()},
            },
            "azure": {"*": _ASSUMED_RATE},
            "gcp": {"*": _ASSUMED_RATE},
        }
    ),
)

__all__ = [
    "ADVISOR_BUCKET_RATE",
    "DEFAULT_SPOT_MODEL",
    "NO_SPOT_CATEGORIES",
    "SPOT_MODEL_SOURCE",
    "SpotModel",
    "instance_category",
]
