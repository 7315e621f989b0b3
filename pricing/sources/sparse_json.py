"""Decode only the array elements a parser needs from a large JSON page, or say the page does not fit.

Price pages are ``{…, "<array>": [ {obj}, {obj}, … ], …}`` where most objects are thrown away after
decoding (Windows and Low Priority meters on Azure, disks/licences/GPUs on GCP). `select_objects`
finds each object's opening brace by the key the API always writes first, reads one probe field of
each object with a regular expression, and decodes only the objects whose probe value the caller keeps
(each from its opening brace to the next one, which must hold exactly one object). The top-level fields around the array are decoded too.

It is a fast path, not a parser: it returns None, and the caller decodes the whole page, unless the
page has exactly the expected layout: no backslash anywhere (so no string can hide a quote or key),
as many first-key openings as first keys and as probe fields, a head that decodes as an object ending
in the array, and a tail after the last object that closes it. A truncated page fails those checks,
so the full decode reports it.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from pricing.sources.http import loads

_DECODER = json.JSONDecoder()


def select_objects(
    text: str, *, array_key: str, first_key: str, probe_key: str, keep: Callable[[str], bool]
) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    """(kept objects of ``text[array_key]``, the page's other top-level fields), or None (decode it all)."""
    if "\\" in text:
        return None
    starts = [m.start() for m in re.finditer(r'\{\s*"' + first_key + r'"\s*:', text)]
    if not starts or text.count(f'"{first_key}"') != len(starts) or text.count(f'"{probe_key}"') != len(starts):
        return None
    head = _head(text, array_key, starts[0])
    tail = _tail(text, starts[-1])
    if head is None or tail is None:
        return None
    last_end, after = tail
    kept: list[dict[str, Any]] = []
    probes = list(re.finditer(r'"' + probe_key + r'"\s*:\s*"([^"]*)"', text))
    if len(probes) != len(starts):
        return None
    bounds = [*starts[1:], last_end]
    for match in probes:
        if not keep(match.group(1)):
            continue
        index = bisect_right(starts, match.start()) - 1
        if index < 0:
            return None
        piece = text[starts[index]:bounds[index]].rstrip()
        if piece.endswith(","):
            piece = piece[:-1]
        try:
            obj = loads(piece)  # exactly one object between this opening and the next, or an error
        except ValueError:
            return None
        if not isinstance(obj, dict) or obj.get(probe_key) != match.group(1):
            return None
        kept.append(obj)
    return kept, {**head, **after}


def _head(text: str, array_key: str, first_start: int) -> dict[str, Any] | None:
    """The top-level fields before the array (the head must decode as ``{…, "<array_key>": []}``)."""
    try:
        head = json.loads(text[:first_start] + "]}")
    except ValueError:
        return None
    if not isinstance(head, dict) or list(head)[-1:] != [array_key] or head[array_key] != []:
        return None
    del head[array_key]
    return head


def _tail(text: str, last_start: int) -> tuple[int, dict[str, Any]] | None:
    """(end of the last object, the top-level fields after the array); the rest must close the page."""
    try:
        _, end = _DECODER.raw_decode(text, last_start)
        tail = json.loads('{"_": [' + text[end:])
    except ValueError:
        return None
    if not isinstance(tail, dict) or tail.get("_") != []:
        return None
    del tail["_"]
    return end, tail
