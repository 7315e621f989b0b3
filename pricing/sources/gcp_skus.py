"""Reading Cloud Billing Catalog pages: which SKUs are per-vCPU / per-GiB machine prices, decoded fast.

`sku_family` reads a SKU description (``[Spot Preemptible ]<family> [Instance ](Core|Ram) running in
<area>``). `read_page` returns a page's SKUs worth parsing and its ``nextPageToken``. About 95 % of
Compute Engine's SKUs (disks, licences, GPUs, commitments, custom and sole-tenant premiums, egress) are
never needed, so a page is decoded (msgspec) into each SKU's description plus its other fields left as
raw JSON bytes, and only the SKUs whose description is `composable` get those fields decoded, into the
plain dicts `pricing.sources.gcp.parse_skus` reads. That is a full, validating parse of the page (any
key order, escapes, whitespace), at about half the cost of decoding every SKU (bench/pricing.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

from pricing.sources.gcp_shapes import SHAPES
from pricing.sources.http import PageError, decode_json, decoding_page

_DESCRIPTION_TEXT = re.compile(
    r"^(?:Spot Preemptible |Preemptible )?(?P<family>.+?) (?:Instance )?(?P<resource>Core|Ram) running in .+$"
)
_EXCLUDED = re.compile("Custom|Sole Tenancy|Commitment|Extended|Premium")
_FAMILY_PHRASES = {"n1 predefined": "n1", "compute optimized": "c2", "memory-optimized": "m1"}
_FAMILY_TOKEN = re.compile(r"^[a-z]\d+[a-z]?$")
_Raw = msgspec.Raw | msgspec.UnsetType


class _Sku(msgspec.Struct, gc=False):
    """One SKU: its description decoded, the fields `parse_skus` may need kept as raw JSON."""

    description: str = ""
    skuId: str | msgspec.UnsetType = msgspec.UNSET
    category: _Raw = msgspec.UNSET
    serviceRegions: _Raw = msgspec.UNSET
    pricingInfo: _Raw = msgspec.UNSET


class _Page(msgspec.Struct, gc=False):
    skus: list[_Sku] | msgspec.UnsetType = msgspec.UNSET
    nextPageToken: str | None = None


_PAGE = msgspec.json.Decoder(_Page)
_DECODE_RAW = msgspec.json.Decoder().decode
_RAW_FIELDS = ("category", "serviceRegions", "pricingInfo")


def sku_family(description: str) -> tuple[str, str] | None:
    """(family, "Core"|"Ram") of a per-vCPU/per-GiB SKU description, or None when it is not one."""
    if _EXCLUDED.search(description):
        return None
    match = _DESCRIPTION_TEXT.match(description)
    if match is None:
        return None
    text = match["family"].lower()
    family = _FAMILY_PHRASES.get(text) or text.split(" ", 1)[0]
    if not _FAMILY_TOKEN.match(family):
        return None
    return family, match["resource"]


def read_page(body: bytes) -> tuple[list[Mapping[str, Any]], str | None]:
    """(SKUs worth parsing, next page token) of one page; `PageError` when it is not a valid page.

    A SKU is worth parsing when its description is `composable`; it comes back as a dict with the
    fields it has among ``description``, ``skuId``, ``category``, ``serviceRegions`` and
    ``pricingInfo``. The cyclic garbage collector is paused while a page is decoded (`decoding_page`).
    """
    with decoding_page(body, kind="Billing Catalog"):
        page = _PAGE.decode(body)
        if page.skus is msgspec.UNSET:
            return _without_skus(body), page.nextPageToken or None
        kept: list[Mapping[str, Any]] = []
        for sku in page.skus:
            if not composable(sku.description):
                continue
            fields: dict[str, Any] = {"description": sku.description}
            if sku.skuId is not msgspec.UNSET:
                fields["skuId"] = sku.skuId
            for name in _RAW_FIELDS:
                raw = getattr(sku, name)
                if raw is not msgspec.UNSET:
                    fields[name] = _DECODE_RAW(raw)
            kept.append(fields)
        return kept, page.nextPageToken or None


def _without_skus(body: bytes) -> list[Mapping[str, Any]]:
    """A page with no ``skus`` list is an empty page when it has nothing but a ``nextPageToken``
    (the API omits empty lists); with other keys it is not a Billing Catalog page at all."""
    document = decode_json(body)
    if isinstance(document, Mapping) and set(document) - {"nextPageToken"}:
        raise PageError(f"not a Billing Catalog page (no `skus` list; keys: {', '.join(sorted(document))})")
    return []


def composable(description: str) -> bool:
    """Whether a SKU with this description prices the vCPUs or memory of a family in `SHAPES`."""
    if "Core running in " not in description and "Ram running in " not in description:
        return False
    parsed = sku_family(description)
    return parsed is not None and parsed[0] in SHAPES
