"""Price adjustments: a pure function from a catalog and rules to a new catalog (nothing is mutated).

Rules come from the scenario's ``prices.adjustments`` (or the CLI) as mappings and are applied in the
order written. Selectors (all optional, all must match): ``cloud``, ``region``, ``family``,
``instanceType``, ``capacityType`` (``on-demand`` | ``spot``). Exactly one action per rule:

- ``discountPercent: 12``: multiply matching prices by 0.88 (enterprise discount, savings plan);
- ``hourlyUsd: 0.05``: a fixed price for matching offers (needs ``family`` or ``instanceType``);
- ``extraHourlyUsd: 0.01``: add a per-node fee (monitoring agent, support, licence);
- ``vcpuHourlyUsd`` + ``gibHourlyUsd`` (+ ``gpuHourlyUsd``): private-cloud capacity in ``cloud``/``region``
  (``region`` required), priced per vCPU-hour and GiB-hour for the node ``shapes``
  (``[{name, vcpus, memoryGib, gpus?}]``; default 2/4/8/16 vCPUs at 4 GiB per vCPU), on-demand only.

Examples::

    {cloud: aws, discountPercent: 12}
    {cloud: aws, family: m7i, region: eu-west-1, hourlyUsd: 0.05}
    {extraHourlyUsd: 0.01}
    {cloud: private, region: dc1, vcpuHourlyUsd: 0.02, gibHourlyUsd: 0.003}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pricing.catalog import Catalog
from pricing.errors import AdjustmentError, did_you_mean
from pricing.offer import CapacityType, Offer

PRIVATE_SOURCE = "adjustment:private"
_SELECTORS = ("cloud", "region", "family", "instanceType", "capacityType")
_ACTIONS = ("discountPercent", "hourlyUsd", "extraHourlyUsd", "vcpuHourlyUsd")
_FIELDS = (*_SELECTORS, *_ACTIONS, "gibHourlyUsd", "gpuHourlyUsd", "shapes", "zone", "name")
_SHAPE_FIELDS = ("name", "vcpus", "memoryGib", "gpus")


@dataclass(frozen=True, slots=True)
class Selector:
    """Which offers a rule touches (None matches anything)."""

    cloud: str | None = None
    region: str | None = None
    family: str | None = None
    instance_type: str | None = None
    capacity_type: CapacityType | None = None

    def matches(self, offer: Offer) -> bool:
        return (
            (self.cloud is None or offer.cloud == self.cloud)
            and (self.region is None or offer.region == self.region)
            and (self.instance_type is None or offer.instance_type == self.instance_type)
            and (self.capacity_type is None or offer.capacity_type == self.capacity_type)
            and (self.family is None or offer.family.lower() == self.family.lower())
        )


@dataclass(frozen=True, slots=True)
class Discount:
    selector: Selector
    percent: float


@dataclass(frozen=True, slots=True)
class FixedPrice:
    selector: Selector
    hourly_usd: float


@dataclass(frozen=True, slots=True)
class ExtraFee:
    selector: Selector
    hourly_usd: float


@dataclass(frozen=True, slots=True)
class NodeShape:
    name: str
    vcpus: float
    memory_gib: float
    gpus: int = 0


DEFAULT_SHAPES = tuple(NodeShape(f"{v}x{4 * v}", float(v), float(4 * v)) for v in (2, 4, 8, 16))


@dataclass(frozen=True, slots=True)
class PrivateCapacity:
    cloud: str
    region: str
    vcpu_hourly_usd: float
    gib_hourly_usd: float
    gpu_hourly_usd: float = 0.0
    shapes: tuple[NodeShape, ...] = DEFAULT_SHAPES
    zone: str | None = None

    def price(self, shape: NodeShape) -> float:
        compute = shape.vcpus * self.vcpu_hourly_usd + shape.memory_gib * self.gib_hourly_usd
        return compute + shape.gpus * self.gpu_hourly_usd

    def offers(self, as_of: Any) -> list[Offer]:
        return [
            Offer(
                cloud=self.cloud,
                region=self.region,
                zone=self.zone,
                instance_type=s.name,
                capacity_type=CapacityType.ON_DEMAND,
                vcpus=s.vcpus,
                memory_gib=s.memory_gib,
                gpus=s.gpus,
                hourly_usd=round(self.price(s), 9),
                source=PRIVATE_SOURCE,
                as_of=as_of,
            )
            for s in self.shapes
        ]


Rule = Discount | FixedPrice | ExtraFee | PrivateCapacity


def adjust(catalog: Catalog, rules: Sequence[Rule | Mapping[str, Any]]) -> Catalog:
    """A new catalog with `rules` applied in order (mappings are parsed with `parse_rules` first)."""
    parsed = parse_rules(rules)
    offers: list[Offer] = list(catalog.offers)
    for rule in parsed:
        if isinstance(rule, PrivateCapacity):
            taken = {(o.cloud, o.region, o.instance_type) for o in offers}
            added = rule.offers(catalog.fetched_at)
            offers.extend(o for o in added if (o.cloud, o.region, o.instance_type) not in taken)
        else:
            offers = [_apply(rule, o) if rule.selector.matches(o) else o for o in offers]
    return Catalog(offers, fetched_at=catalog.fetched_at, schema_version=catalog.schema_version)


def _apply(rule: Discount | FixedPrice | ExtraFee, offer: Offer) -> Offer:
    if isinstance(rule, Discount):
        price = offer.hourly_usd * (1 - rule.percent / 100)
    elif isinstance(rule, FixedPrice):
        price = rule.hourly_usd
    else:
        price = offer.hourly_usd + rule.hourly_usd
    return replace(offer, hourly_usd=round(price, 9))


# -- parsing -----------------------------------------------------------------------------------
def parse_rules(raw: Iterable[Rule | Mapping[str, Any]], *, where: str = "adjustments") -> tuple[Rule, ...]:
    """Rules from mappings; `AdjustmentError` lists every problem as ``adjustments[i].field: …``."""
    rules: list[Rule] = []
    problems: list[str] = []
    for index, item in enumerate(raw):
        if isinstance(item, Discount | FixedPrice | ExtraFee | PrivateCapacity):
            rules.append(item)
            continue
        found: list[str] = []
        rule = _parse_rule(item, f"{where}[{index}]", found)
        problems.extend(found)
        if rule is not None and not found:
            rules.append(rule)
    if problems:
        raise AdjustmentError("invalid price adjustment(s): " + "; ".join(problems))
    return tuple(rules)


def _parse_rule(item: object, at: str, problems: list[str]) -> Rule | None:
    if not isinstance(item, Mapping):
        problems.append(f"{at}: expected a mapping like {{cloud: aws, discountPercent: 12}}, got {item!r}")
        return None
    for key in item:
        if key not in _FIELDS:
            close = did_you_mean(str(key), _FIELDS)
            hint = f"; {close}" if close else f"; known fields: {', '.join(_FIELDS)}"
            problems.append(f"{at}.{key}: unknown field{hint}")
    actions = [a for a in _ACTIONS if a in item]
    if "gibHourlyUsd" in item and "vcpuHourlyUsd" not in item:
        actions.append("gibHourlyUsd")  # half of a private-capacity rule: reported by _private
    if not actions:
        problems.append(
            f"{at}: no action; add one of discountPercent, hourlyUsd, extraHourlyUsd, or vcpuHourlyUsd + gibHourlyUsd"
        )
        return None
    if len(actions) > 1:
        problems.append(f"{at}: one action per rule, got {' and '.join(actions)}; write one rule for each")
        return None
    selector = _selector(item, at, problems)
    action = actions[0]
    if action == "discountPercent":
        percent = _number(item, "discountPercent", at, problems, low=0, high=100, high_open=True)
        _need_cloud(item, at, problems)
        return Discount(selector, percent) if percent is not None else None
    if action == "hourlyUsd":
        price = _number(item, "hourlyUsd", at, problems, low=0, low_open=True)
        _need_cloud(item, at, problems)
        if item.get("family") is None and item.get("instanceType") is None:
            problems.append(f"{at}: a fixed hourlyUsd needs `family` or `instanceType` to say which offers it prices")
        return FixedPrice(selector, price) if price is not None else None
    if action == "extraHourlyUsd":
        fee = _number(item, "extraHourlyUsd", at, problems, low=0)
        return ExtraFee(selector, fee) if fee is not None else None
    return _private(item, at, problems)


def _private(item: Mapping[str, Any], at: str, problems: list[str]) -> PrivateCapacity | None:
    vcpu = _number(item, "vcpuHourlyUsd", at, problems, low=0)
    gib = _number(item, "gibHourlyUsd", at, problems, low=0)
    gpu = _number(item, "gpuHourlyUsd", at, problems, low=0) if "gpuHourlyUsd" in item else 0.0
    cloud = _text(item, "cloud", at, problems, required=True)
    region = _text(item, "region", at, problems, required=True)
    for key in ("family", "instanceType", "capacityType"):
        if key in item:
            problems.append(f"{at}.{key}: not used by private capacity (it defines its own on-demand shapes)")
    if vcpu == 0 and gib == 0:
        problems.append(f"{at}: vcpuHourlyUsd and gibHourlyUsd are both 0; private capacity is not free")
    shapes = _shapes(item.get("shapes"), at, problems) if "shapes" in item else DEFAULT_SHAPES
    zone = _text(item, "zone", at, problems, required=False)
    if None in (vcpu, gib, gpu, cloud, region, shapes):
        return None
    return PrivateCapacity(cloud, region, vcpu, gib, gpu, shapes, zone)  # type: ignore[arg-type]


def _shapes(value: object, at: str, problems: list[str]) -> tuple[NodeShape, ...] | None:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        problems.append(f"{at}.shapes: expected a non-empty list like [{{name: std-4, vcpus: 4, memoryGib: 16}}]")
        return None
    shapes = []
    for i, raw in enumerate(value):
        here = f"{at}.shapes[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{here}: expected a mapping {{name, vcpus, memoryGib}}, got {raw!r}")
            continue
        for key in raw:
            if key not in _SHAPE_FIELDS:
                problems.append(f"{here}.{key}: unknown field; known: {', '.join(_SHAPE_FIELDS)}")
        name = _text(raw, "name", here, problems, required=True)
        vcpus = _number(raw, "vcpus", here, problems, low=0, low_open=True)
        memory = _number(raw, "memoryGib", here, problems, low=0, low_open=True)
        gpus = _number(raw, "gpus", here, problems, low=0) if "gpus" in raw else 0
        if name is not None and vcpus is not None and memory is not None and gpus is not None:
            shapes.append(NodeShape(name, vcpus, memory, int(gpus)))
    return tuple(shapes) if len(shapes) == len(value) else None


def _selector(item: Mapping[str, Any], at: str, problems: list[str]) -> Selector:
    capacity = None
    if item.get("capacityType") is not None:
        try:
            capacity = CapacityType(item["capacityType"])
        except ValueError:
            problems.append(f"{at}.capacityType: {item['capacityType']!r} is not on-demand or spot")
    return Selector(
        cloud=_text(item, "cloud", at, problems, required=False),
        region=_text(item, "region", at, problems, required=False),
        family=_text(item, "family", at, problems, required=False),
        instance_type=_text(item, "instanceType", at, problems, required=False),
        capacity_type=capacity,
    )


def _need_cloud(item: Mapping[str, Any], at: str, problems: list[str]) -> None:
    if item.get("cloud") is None:
        problems.append(f"{at}.cloud: required for a discount or fixed price (e.g. cloud: aws)")


def _text(item: Mapping[str, Any], key: str, at: str, problems: list[str], *, required: bool) -> str | None:
    value = item.get(key)
    if value is None:
        if required:
            problems.append(f"{at}.{key}: required")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{at}.{key}: expected a non-empty string, got {value!r}")
        return None
    return value.strip()


def _number(
    item: Mapping[str, Any],
    key: str,
    at: str,
    problems: list[str],
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float | None:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{at}.{key}: expected a number, got {value!r}")
        return None
    number = float(value)
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        lo = "" if low is None else f"{'>' if low_open else '≥'} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '≤'} {high:g}"
        bounds = " and ".join(p for p in (lo, hi) if p)
        problems.append(f"{at}.{key}: {value!r} is out of range; use a number {bounds}")
        return None
    return number


parse_adjustments = parse_rules
"""Alias: the name `placement.load.catalog` uses for `parse_rules`."""
