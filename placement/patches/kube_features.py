"""Which pod-spec fields a cluster's Kubernetes version knows (pure).

An API server rejects a server-side apply carrying a field its schema does not declare (v1.24:
500 "failed to create typed patch object … field not declared in schema"), and silently drops a
field whose feature gate is off. Placement therefore writes only what the cluster's version serves
with default gates:

- `topologySpreadConstraints[].minDomains`: beta and on by default from 1.25 (alpha in 1.24). The
  spread strategies need it to keep the on-demand floor, so below 1.25 they are not used.
- `topologySpreadConstraints[].matchLabelKeys`: in the schema from 1.25 (alpha, gate off), beta
  and on from 1.27: written from 1.27.

Supported Kubernetes: 1.23 and newer (HPA `autoscaling/v2`, PDB `policy/v1`); tested on a real
v1.24 control plane. An unknown version (GitOps output, no cluster read) gets every field.
"""

from __future__ import annotations

import re
from typing import Any

KubeVersion = tuple[int, int]  # (major, minor)

MIN_SUPPORTED: KubeVersion = (1, 23)
MIN_DOMAINS: KubeVersion = (1, 25)
MATCH_LABEL_KEYS: KubeVersion = (1, 27)


def parse_version(info: Any) -> KubeVersion | None:
    """(major, minor) from a `/version` answer (`{"major": "1", "minor": "27+"}` on EKS/GKE, or
    `gitVersion` "v1.27.3-eks-…"); None when it says neither."""
    if not isinstance(info, dict):
        return None
    major, minor = (re.sub(r"\D", "", str(info.get(k) or "")) for k in ("major", "minor"))
    if major and minor:
        return int(major), int(minor)
    match = re.match(r"v?(\d+)\.(\d+)", str(info.get("gitVersion") or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


def has_min_domains(version: KubeVersion | None) -> bool:
    return version is None or version >= MIN_DOMAINS


def has_match_label_keys(version: KubeVersion | None) -> bool:
    return version is None or version >= MATCH_LABEL_KEYS


def describe(version: KubeVersion | None) -> str:
    return "unknown" if version is None else f"{version[0]}.{version[1]}"
