"""A diff that needs only read access: merge each patch onto the live object locally.

`placement.kube.diff` asks the API server for the merged object with a server-side dry run, which needs
the same RBAC verbs as a real change (`patch`, REFERENCE §3). A read-only deployment (the
`dry-run` overlay) merges here instead: maps merge key by key, lists and scalars are replaced
whole — what server-side apply does for the fields placement sets (its lists are atomic). Unlike
the server it does not drop fields placement set before and no longer sends, run admission, or
report conflicts with other field managers; use `--dry-run=server` for that.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from placement.kube.api import ClusterApi
from placement.kube.apply import preflight
from placement.kube.diff import DiffReport, object_diff
from placement.live import LiveCluster
from placement.patches.audit_record import with_record
from placement.patches.build import Patch


def merged_locally(live: Mapping[str, Any] | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """`body` merged onto a copy of `live` (maps merge, everything else replaces)."""
    result: dict[str, Any] = copy.deepcopy(dict(live)) if live else {}
    for key, value in body.items():
        current = result.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            result[key] = merged_locally(current, value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def client_diff(patches: Sequence[Patch], apis: Mapping[str, ClusterApi], *, plan_id: str,
                live: Mapping[str, LiveCluster] | None = None) -> DiffReport:
    """Read every object a patch touches (the same preflight as apply) and diff it against the
    locally merged result; sends no write request, not even a dry run."""
    before = preflight(patches, apis, live)
    report = DiffReport()
    for patch in patches:
        current = before[(patch.cluster, patch.ref.file_name())]
        merged = merged_locally(current, with_record(patch.body, current, plan_id))
        report.compared += 1
        text = object_diff(patch.cluster, patch.ref, current, merged)
        if text:
            report.diffs.append(text)
    return report
