"""A small kustomize renderer for the subset deploy/ uses, so overlays are rendered and validated even
where `kubectl` is not installed (where it is, the tests check this renderer against `kubectl kustomize`).

Supported: `resources` (files and directories), `patches` (`path` or inline `patch`; strategic merge
for a mapping — lists of named items merged by `name`, other lists replaced — or RFC 6902 JSON patch
for a list, with an optional `target`), `namespace`, `labels` (`pairs`, `includeSelectors`,
`includeTemplates`) and `images`. Anything else in a kustomization is an error, not silently ignored.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

KNOWN_KEYS = {"apiVersion", "kind", "resources", "patches", "namespace", "labels", "images"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "NodePool"}
MERGE_BY_NAME = {"containers", "initContainers", "volumes", "volumeMounts", "env", "imagePullSecrets"}
TEMPLATE_PATHS = {  # where pod templates carry labels, per kind (includeTemplates)
    "CronJob": (("spec", "jobTemplate", "metadata"), ("spec", "jobTemplate", "spec", "template", "metadata")),
    "Job": (("spec", "template", "metadata"),),
    "Deployment": (("spec", "template", "metadata"),),
}


def render(directory: Path) -> list[dict[str, Any]]:
    """The documents `kubectl kustomize directory` would print (order aside)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"{directory}: this renderer does not support {sorted(unknown)}")
    documents: list[dict[str, Any]] = []
    for entry in kustomization.get("resources") or ():
        path = (directory / entry).resolve()
        documents.extend(render(path) if path.is_dir() else _load(path))
    for patch in kustomization.get("patches") or ():
        documents = _patch(documents, patch, directory)
    if "namespace" in kustomization:
        _namespace(documents, kustomization["namespace"])
    for label in kustomization.get("labels") or ():
        _labels(documents, label)
    for image in kustomization.get("images") or ():
        _image(documents, image)
    return documents


def key(document: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = document.get("metadata") or {}
    return document["apiVersion"], document["kind"], meta.get("namespace", ""), meta["name"]


# -- patches -----------------------------------------------------------------------------------------


def _patch(documents: list[dict[str, Any]], entry: dict[str, Any], directory: Path) -> list[dict[str, Any]]:
    text = (directory / entry["path"]).read_text() if "path" in entry else entry["patch"]
    body = yaml.safe_load(text)
    target = entry.get("target")
    if isinstance(body, list):
        if target is None:
            raise ValueError("a JSON 6902 patch needs a target")
        return [_json6902(d, body) if _matches(d, target) else d for d in documents]
    target = target or {"kind": body["kind"], "name": body["metadata"]["name"]}
    matched = [d for d in documents if _matches(d, target)]
    if not matched:
        raise ValueError(f"patch target {target} matches no resource")
    return [strategic_merge(d, body) if _matches(d, target) else d for d in documents]


def _matches(document: dict[str, Any], target: dict[str, Any]) -> bool:
    group, _, version = document["apiVersion"].rpartition("/")
    return all(
        (
            target.get("kind") in (None, document["kind"]),
            target.get("name") in (None, document["metadata"]["name"]),
            target.get("group") in (None, group),
            target.get("version") in (None, version),
        )
    )


def strategic_merge(base: Any, patch: Any, field: str = "") -> Any:
    """A strategic-merge patch: maps merge, named-item lists merge by name, other lists replace."""
    if isinstance(patch, dict) and isinstance(base, dict):
        if "$patch" in patch:
            raise ValueError("$patch directives are not supported")
        merged = copy.deepcopy(base)
        for name, value in patch.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = strategic_merge(base.get(name), value, name)
        return merged
    if isinstance(patch, list) and isinstance(base, list) and field in MERGE_BY_NAME:
        merged_list = copy.deepcopy(base)
        for item in patch:
            index = next((i for i, old in enumerate(merged_list) if old.get("name") == item.get("name")), None)
            if index is None:
                merged_list.append(copy.deepcopy(item))
            else:
                merged_list[index] = strategic_merge(merged_list[index], item, "")
        return merged_list
    return copy.deepcopy(patch)


def _json6902(document: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    result = copy.deepcopy(document)
    for op in operations:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].lstrip("/").split("/")]
        parent: Any = result
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        kind = op["op"]
        if kind == "test":
            current = parent[int(last)] if isinstance(parent, list) else parent[last]
            if current != op["value"]:
                raise ValueError(f"test failed at {op['path']}")
        elif kind == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        elif kind in ("add", "replace"):
            if isinstance(parent, list):
                if last == "-":
                    parent.append(copy.deepcopy(op["value"]))
                elif kind == "add":
                    parent.insert(int(last), copy.deepcopy(op["value"]))
                else:
                    parent[int(last)] = copy.deepcopy(op["value"])
            else:
                if kind == "replace" and last not in parent:
                    raise ValueError(f"replace of a missing path {op['path']}")
                parent[last] = copy.deepcopy(op["value"])
        else:
            raise ValueError(f"JSON patch op {kind!r} is not supported")
    return result


# -- transformers ------------------------------------------------------------------------------------


def _namespace(documents: list[dict[str, Any]], namespace: str) -> None:
    for document in documents:
        if document["kind"] not in CLUSTER_SCOPED:
            document["metadata"]["namespace"] = namespace
        for subject in document.get("subjects") or ():
            if subject.get("kind") == "ServiceAccount":
                subject["namespace"] = namespace


def _labels(documents: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    if entry.get("includeSelectors"):
        raise ValueError("includeSelectors is not supported by this renderer")
    pairs = entry["pairs"]
    for document in documents:
        document["metadata"].setdefault("labels", {}).update(pairs)
        if entry.get("includeTemplates"):
            for path in TEMPLATE_PATHS.get(document["kind"], ()):
                node = document
                for part in path:
                    node = node.setdefault(part, {})
                node.setdefault("labels", {}).update(pairs)


def _image(documents: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    for document in documents:
        for container in _containers(document):
            name, _, _ = container["image"].partition(":")
            if name == entry["name"]:
                container["image"] = (
                    f"{entry.get('newName', name)}:{entry['newTag']}"
                    if "newTag" in entry
                    else entry.get("newName", name)
                )


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = document.get("spec") or {}
    if document["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    return list(pod.get("containers") or ()) + list(pod.get("initContainers") or ())


def _load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]
