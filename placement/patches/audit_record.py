"""The audit record placement leaves on every object it applies, and how to undo from it (pure).

Each applied body carries two annotations: `placement.dev/plan-id` (the plan now in force) and
`placement.dev/previous` — JSON holding the plan id before, whether the object existed, and the
values the fields placement sets had before this plan (lists whole, as SSA treats them atomically).
Re-applying the same plan keeps the original record, so `placement rollback` always returns to
the state before the last plan. Undo = apply the recorded values (fields that were absent are left
out, so server-side apply drops them) or delete an object placement created.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from placement.errors import PlacementError
from placement.patches.build import ObjectRef
from placement.patches.labels import PLAN_ID, PREVIOUS

_IDENTITY_KEYS = ("apiVersion", "kind")


@dataclass(frozen=True, slots=True)
class Restore:
    """How to put one object back: apply `body`, or delete it (`body` is None)."""

    body: dict[str, Any] | None
    plan_id: str | None  # the plan in force after restoring (None: no placement plan)

    @property
    def deletes(self) -> bool:
        return self.body is None


def projection(body: Mapping[str, Any], live: Mapping[str, Any] | None, *, top: bool = True) -> dict[str, Any]:
    """The live values at every field path `body` sets (maps descend, anything else is a leaf),
    leaving out paths absent from `live` and placement's own record annotation."""
    out: dict[str, Any] = {}
    if not live:
        return out
    for key, value in body.items():
        if (top and key in _IDENTITY_KEYS) or key == PREVIOUS or key not in live:
            continue
        current = live[key]
        if isinstance(value, Mapping) and value and isinstance(current, Mapping):
            nested = projection(value, current, top=False)
            if nested:
                out[key] = nested
        else:
            out[key] = copy.deepcopy(current)
    return out


def with_record(body: Mapping[str, Any], live: Mapping[str, Any] | None, plan_id: str) -> dict[str, Any]:
    """`body` with the plan-id and rollback-record annotations for applying over `live`."""
    prepared = copy.deepcopy(dict(body))
    annotations = prepared.setdefault("metadata", {}).setdefault("annotations", {})
    live_annotations = ((live or {}).get("metadata") or {}).get("annotations") or {}
    if live_annotations.get(PLAN_ID) == plan_id and PREVIOUS in live_annotations:
        record = live_annotations[PREVIOUS]
    else:
        fields = projection({k: v for k, v in prepared.items() if k != "metadata"}, live)
        meta = projection({"annotations": {PLAN_ID: plan_id}}, (live or {}).get("metadata"))
        if meta:
            fields["metadata"] = meta
        record = json.dumps(
            {"planId": live_annotations.get(PLAN_ID), "existed": live is not None, "fields": fields},
            sort_keys=True,
            separators=(",", ":"),
        )
    annotations[PLAN_ID] = plan_id
    annotations[PREVIOUS] = record
    return prepared


def restore_from_record(ref: ObjectRef, live: Mapping[str, Any]) -> Restore | None:
    """The undo for the object `ref` names, from the record on `live`; None when it carries none.

    The identity (apiVersion, kind, name, namespace) comes from `ref`, never from `live`: items of
    a real LIST response carry no apiVersion or kind."""
    meta = live.get("metadata") or {}
    raw = (meta.get("annotations") or {}).get(PREVIOUS)
    if raw is None:
        return None
    try:
        record = json.loads(raw)
        existed, fields, previous_plan = bool(record["existed"]), dict(record["fields"]), record.get("planId")
    except (ValueError, KeyError, TypeError) as error:
        raise PlacementError(f"{ref}: unreadable {PREVIOUS} annotation ({error}); restore it by hand") from None
    if not existed:
        return Restore(None, None)
    return Restore(_merge(fields, _identity(ref)), previous_plan)


def restore_from_live(body: Mapping[str, Any], live: Mapping[str, Any] | None) -> Restore:
    """The undo of applying `body` over `live` (captured before the apply): used to revert a
    half-done run without trusting what the failed run left behind. The identity is the body's."""
    if live is None:
        return Restore(None, None)
    meta = body["metadata"]
    restored = _identity(ObjectRef(body["apiVersion"], body["kind"], meta["name"], meta.get("namespace")))
    fields = projection({k: v for k, v in body.items() if k != "metadata"}, live)
    annotations = ((live.get("metadata") or {}).get("annotations")) or {}
    kept = {k: annotations[k] for k in (PLAN_ID, PREVIOUS) if k in annotations}
    if kept:
        restored["metadata"]["annotations"] = kept
    return Restore(_merge(fields, restored), annotations.get(PLAN_ID))


def _identity(ref: ObjectRef) -> dict[str, Any]:
    identity: dict[str, Any] = {"apiVersion": ref.api_version, "kind": ref.kind, "metadata": {"name": ref.name}}
    if ref.namespace:
        identity["metadata"]["namespace"] = ref.namespace
    return identity


def _merge(extra: Mapping[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(value, out[key])
        else:
            out[key] = copy.deepcopy(value)
    return out
