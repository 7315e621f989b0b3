"""`placement diff`: what an apply would change, per object, in kubectl diff's format.

For each patch the live object is read (the same preflight as apply) and merged with the body
`apply` would send (with its record annotations); the two are dumped as YAML and compared with a
unified diff whose file names follow kubectl (`<group.>version.Kind.namespace.name` under
`LIVE-<cluster>` / `MERGED-<cluster>`). `managedFields` are stripped as kubectl does, and the long
rollback record is masked like a Secret value. Exit convention (kubectl): 0 no differences,
1 differences, > 1 error.

One diff loop (`diff_with`), two merge strategies:

- `server_dry_run` asks the API server for the merged object with a server-side dry run
  (`diff_patches`). It needs the same RBAC verbs as a real change (`patch`, REFERENCE §3), and it
  drops fields placement set before and no longer sends, runs admission and reports conflicts with
  other field managers.
- `client_merge` merges locally and sends no write request, not even a dry run (`client_diff`), for
  a read-only deployment (the `dry-run` overlay): maps merge key by key, lists and scalars are
  replaced whole — what server-side apply does for the fields placement sets (its lists are
  atomic). It does none of the server's extra work above; use `--dry-run=server` for that.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml

from placement.exit_codes import ExitCode
from placement.kube.api import ClusterApi
from placement.kube.apply import preflight
from placement.live import LiveCluster
from placement.patches.audit_record import with_record
from placement.patches.build import ObjectRef, Patch
from placement.patches.labels import PREVIOUS

_MASK = "***"


@dataclass
class DiffReport:
    """Unified diffs of the objects that would change."""

    diffs: list[str] = field(default_factory=list)
    compared: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.diffs)

    @property
    def exit_code(self) -> int:
        return ExitCode.CHANGES if self.changed else ExitCode.OK

    def text(self) -> str:
        return "".join(self.diffs)


class Merge(Protocol):
    """How the object after the change is obtained: `api` is the patch's cluster, `live` the object
    read by the preflight (None when absent), `body` what apply would send."""

    def __call__(
        self, api: ClusterApi, live: Mapping[str, Any] | None, body: Mapping[str, Any]
    ) -> Mapping[str, Any] | None: ...


def server_dry_run(*, force: bool = False) -> Merge:
    """The API server merges: a server-side apply with `dryRun=All` (needs the `patch` verb)."""

    def merge(api: ClusterApi, live: Mapping[str, Any] | None, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        return api.apply(body, force=force, dry_run=True)

    return merge


def client_merge(api: ClusterApi, live: Mapping[str, Any] | None, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Merge on this machine (read access only); `api` is not called."""
    return merged_locally(live, body)


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


def diff_with(
    patches: Sequence[Patch],
    apis: Mapping[str, ClusterApi],
    *,
    plan_id: str,
    merge: Merge,
    live: Mapping[str, LiveCluster] | None = None,
) -> DiffReport:
    """Read every object a patch touches, merge the body apply would send with `merge`, and diff."""
    before = preflight(patches, apis, live)
    report = DiffReport()
    for patch in patches:
        current = before[(patch.cluster, patch.ref.file_name())]
        merged = merge(apis[patch.cluster], current, with_record(patch.body, current, plan_id))
        report.compared += 1
        text = object_diff(patch.cluster, patch.ref, current, merged)
        if text:
            report.diffs.append(text)
    return report


def diff_patches(
    patches: Sequence[Patch],
    apis: Mapping[str, ClusterApi],
    *,
    plan_id: str,
    force: bool = False,
    live: Mapping[str, LiveCluster] | None = None,
) -> DiffReport:
    """Dry-run every patch on the server and diff the result against the live object."""
    return diff_with(patches, apis, plan_id=plan_id, merge=server_dry_run(force=force), live=live)


def client_diff(
    patches: Sequence[Patch],
    apis: Mapping[str, ClusterApi],
    *,
    plan_id: str,
    live: Mapping[str, LiveCluster] | None = None,
) -> DiffReport:
    """Merge every patch locally and diff the result against the live object; sends no write request."""
    return diff_with(patches, apis, plan_id=plan_id, merge=client_merge, live=live)


def object_diff(cluster: str, ref: ObjectRef, live: Mapping[str, Any] | None, merged: Mapping[str, Any] | None) -> str:
    """A unified diff of one object (empty when nothing changes); None sides are absent objects."""
    name = ref.file_name()
    before, after = _dump(live), _dump(merged)
    if before == after:
        return ""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"LIVE-{cluster}/{name}",
        tofile=f"MERGED-{cluster}/{name}",
    )
    header = f"diff -u -N LIVE-{cluster}/{name} MERGED-{cluster}/{name}\n"
    return header + "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _dump(obj: Mapping[str, Any] | None) -> str:
    if obj is None:
        return ""
    clean = copy.deepcopy(dict(obj))
    meta = clean.get("metadata") or {}
    meta.pop("managedFields", None)
    annotations = meta.get("annotations") or {}
    if PREVIOUS in annotations:
        annotations[PREVIOUS] = _MASK
    return yaml.safe_dump(clean, sort_keys=True, default_flow_style=False)
