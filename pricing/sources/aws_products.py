"""Parse AWS Price List Query API products (``pricing.get_products``) into on-demand prices and specs.

Each ``PriceList`` entry is a JSON *string* of one product (REFERENCE.md §4.1). A product carries its
attributes (``instanceType``, ``vcpu``, ``memory`` "8 GiB", ``gpu``, ...) and its terms; the
``Reserved`` terms are most of the bytes and are never needed here. For throughput the parser
locates the ``"attributes":`` and ``"OnDemand":`` objects and decodes only those two (the flat
``attributes`` up to its first ``}``, ``OnDemand`` with `json.JSONDecoder.raw_decode`). This is safe
on any valid JSON: a ``"`` inside a string value is always escaped, so ``"OnDemand":`` can only be an
object key. When either key is missing or a fragment does not decode, the whole string is parsed with
`json.loads` (same result, slower).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pricing.sources.http import loads

_DECODER = json.JSONDecoder()
_ATTRIBUTES_KEY = '"attributes":'
_ON_DEMAND_KEY = '"OnDemand":'

#: What `AwsSource` asks the API for; `parse_products` re-checks them so a broad response cannot leak in.
REQUIRED_ATTRIBUTES = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
}


class ProductError(ValueError):
    """A product that cannot be priced as asked (malformed JSON, or a price not in USD)."""


@dataclass(frozen=True, slots=True)
class ProductPrice:
    """The on-demand price and specs of one instance type in one region."""

    instance_type: str
    vcpus: float
    memory_gib: float
    gpus: int
    hourly_usd: float


def parse_products(price_list: Iterable[str], *, region: str) -> dict[str, ProductPrice]:
    """On-demand Linux prices by instance type from a page (or pages) of ``PriceList`` strings.

    Products for another region, another OS/tenancy, without an hourly price, or priced at zero are
    skipped; a price in a currency other than USD raises `ProductError` (cn-* regions bill in CNY).
    Duplicate instance types keep the lowest price.
    """
    prices: dict[str, ProductPrice] = {}
    for text in price_list:
        parsed = parse_product(text, region=region)
        if parsed is None:
            continue
        known = prices.get(parsed.instance_type)
        if known is None or parsed.hourly_usd < known.hourly_usd:
            prices[parsed.instance_type] = parsed
    return prices


def parse_product(text: str, *, region: str) -> ProductPrice | None:
    """One ``PriceList`` string → `ProductPrice`, or None when it is not a priced Linux instance."""
    attributes, on_demand = _split(text)
    if attributes.get("regionCode", region) != region:
        return None
    for key, wanted in REQUIRED_ATTRIBUTES.items():
        if attributes.get(key, wanted) != wanted:
            return None
    instance_type = attributes.get("instanceType")
    if not instance_type:
        return None
    vcpus = _number(attributes.get("vcpu"))
    memory_gib = _memory_gib(attributes.get("memory"))
    if vcpus is None or memory_gib is None:
        return None
    hourly_usd = _hourly_usd(on_demand, instance_type)
    if hourly_usd is None or hourly_usd <= 0:
        return None
    gpus = _number(attributes.get("gpu")) or 0
    return ProductPrice(instance_type, vcpus, memory_gib, int(gpus), hourly_usd)


def _split(text: str) -> tuple[dict, dict]:
    """(product.attributes, terms.OnDemand) of a product string, decoding only those two objects."""
    a = text.find(_ATTRIBUTES_KEY)
    o = text.find(_ON_DEMAND_KEY)
    if a >= 0 and o >= 0:
        try:
            attributes = _flat_object(text, _skip_space(text, a + len(_ATTRIBUTES_KEY)))
            on_demand, _ = _DECODER.raw_decode(text, _skip_space(text, o + len(_ON_DEMAND_KEY)))
        except ValueError:
            pass
        else:
            if isinstance(attributes, dict) and isinstance(on_demand, dict):
                return attributes, on_demand
    return _split_slow(text)


def _flat_object(text: str, start: int) -> Any:
    """The object at `start`, decoded up to its first ``}`` when that is valid JSON (a flat object of
    strings, like ``attributes``: a successful parse of that prefix can only be the whole object),
    else with `raw_decode` (a ``}`` inside a string, or a nested object)."""
    try:
        return loads(text[start : text.find("}", start) + 1])
    except ValueError:
        return _DECODER.raw_decode(text, start)[0]


def _split_slow(text: str) -> tuple[dict, dict]:
    try:
        product = json.loads(text)
        attributes = product["product"]["attributes"]
        on_demand = product.get("terms", {}).get("OnDemand", {})
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ProductError(f"malformed PriceList product ({type(error).__name__}: {error}): {text[:80]!r}…") from error
    if not isinstance(attributes, dict) or not isinstance(on_demand, dict):
        raise ProductError(f"malformed PriceList product (attributes/terms are not objects): {text[:80]!r}…")
    return attributes, on_demand


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _hourly_usd(on_demand: dict, instance_type: str) -> float | None:
    """The hourly USD of the first ``Hrs`` price dimension of the on-demand terms."""
    for term in on_demand.values():
        for dimension in term.get("priceDimensions", {}).values():
            if dimension.get("unit") != "Hrs":
                continue
            per_unit = dimension.get("pricePerUnit", {})
            if "USD" not in per_unit:
                currencies = ", ".join(sorted(per_unit)) or "none"
                raise ProductError(
                    f"{instance_type} is priced in {currencies}, not USD (only USD regions are supported)"
                )
            try:
                return float(per_unit["USD"])
            except ValueError as error:
                raise ProductError(f"{instance_type} has a non-numeric price {per_unit['USD']!r}") from error
    return None


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


def _memory_gib(value: object) -> float | None:
    """``"8 GiB"`` / ``"1,952 GiB"`` / ``"0.5 GiB"`` → GiB; ``"NA"`` → None."""
    if not isinstance(value, str):
        return None
    number, _, unit = value.strip().partition(" ")
    amount = _number(number)
    if amount is None:
        return None
    return amount / 1024 if unit.strip().lower() == "mib" else amount
