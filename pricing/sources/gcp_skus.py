"""Reading Cloud Billing Catalog pages: which SKUs are per-vCPU / per-GiB machine prices, decoded fast.

`sku_family` reads a SKU description (``[Spot Preemptible ]<family> [Instance ](Core|Ram) running in
<area>``). `read_page` returns a page's SKUs and ``nextPageToken``. About 95 % of Compute Engine's SKUs
(disks, licences, GPUs, commitments, custom and sole-tenant premiums, egress) are never needed, so
when a page has the layout the API sends (each SKU opens with its ``"name"``), only the SKUs whose
description is `composable` are decoded (`pricing.sources.sparse_json`); any other layout, or a
truncated page, takes the full decode. Both paths give `parse_skus` the same result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pricing.sources.gcp_shapes import SHAPES
from pricing.sources.http import PageError, decode_json
from pricing.sources.sparse_json import select_objects

_DESCRIPTION_TEXT = re.compile(
    r"^(?:Spot Preemptible |Preemptible )?(?P<family>.+?) (?:Instance )?(?P<resource>Core|Ram) running in .+$"
)
_EXCLUDED = re.compile("Custom|Sole Tenancy|Commitment|Extended|Premium")
_FAMILY_PHRASES = {"n1 predefined": "n1", "compute optimized": "c2", "memory-optimized": "m1"}
_FAMILY_TOKEN = re.compile(r"^[a-z]\d+[a-z]?$")


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
    """(SKUs worth parsing, next page token) of one page; `PageError` when it is not a valid page."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PageError(f"page is not UTF-8: {error}") from error
    fast = select_objects(text, array_key="skus", first_key="name", probe_key="description", keep=composable)
    if fast is not None:
        skus, fields = fast
        return skus, fields.get("nextPageToken") or None
    document = decode_json(body)
    if not isinstance(document, Mapping) or not isinstance(document.get("skus", []), list):
        raise PageError("not a Billing Catalog page (no `skus` list)")
    if "skus" not in document and set(document) - {"nextPageToken"}:
        raise PageError(f"not a Billing Catalog page (keys: {', '.join(sorted(document))})")
    return document.get("skus", []), document.get("nextPageToken") or None


def composable(description: str) -> bool:
    """Whether a SKU with this description prices the vCPUs or memory of a family in `SHAPES`."""
    if "Core running in " not in description and "Ram running in " not in description:
        return False
    parsed = sku_family(description)
    return parsed is not None and parsed[0] in SHAPES
