"""`placement diff`: what an apply would change, per object, in kubectl diff's format.

For each patch the live object is read and the same body `apply` would send (with its record
annotations) is applied as a server-side dry run; the two are dumped as YAML and compared with a
unified diff whose file names follow kubectl (`<group.>version.Kind.namespace.name` under
`LIVE-<cluster>` / `MERGED-<cluster>`). `managedFields` are stripped as kubectl does, and the long
rollback record is masked like a Secret value. Exit convention (kubectl): 0 no differences,
1 differences, > 1 error.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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


def object_diff(cluster: str, ref: ObjectRef, live: Mapping[str, Any] | None, merged: Mapping[str, Any] | None) -> str:
    """A unified diff of one object (empty when nothing changes); None sides are absent objects."""
    name = ref.file_name()
    before, after = _dump(live), _dump(merged)
    if before == after:
        return ""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"LIVE-{cluster}/{name}", tofile=f"MERGED-{cluster}/{name}")
    header = f"diff -u -N LIVE-{cluster}/{name} MERGED-{cluster}/{name}\n"
    return header + "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def diff_patches(patches: Sequence[Patch], apis: Mapping[str, ClusterApi], *, plan_id: str, force: bool = False,
                 live: Mapping[str, LiveCluster] | None = None) -> DiffReport:
    """Dry-run every patch and diff the result against the live object."""
    before = preflight(patches, apis, live)
    report = DiffReport()
    for patch in patches:
        current = before[(patch.cluster, patch.ref.file_name())]
        body = with_record(patch.body, current, plan_id)
        merged = apis[patch.cluster].apply(body, force=force, dry_run=True)
        report.compared += 1
        text = object_diff(patch.cluster, patch.ref, current, merged)
        if text:
            report.diffs.append(text)
    return report


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
