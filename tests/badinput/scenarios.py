"""A small valid scenario document for bad-input tests, to break one field at a time."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

BASE: dict[str, Any] = {
    "apiVersion": "placement.dev/v1alpha1",
    "kind": "Scenario",
    "metadata": {"name": "bad-input"},
    "spec": {
        "planning": {"timeLimitSeconds": 5},
        "userRegions": [{"name": "eu", "lat": 50.1, "lon": 8.7}],
        "clusters": [
            {"name": "aws-eu-west-1", "cloud": "aws", "region": "eu-west-1"},
            {"name": "gcp-europe-west4", "cloud": "gcp", "region": "europe-west4", "autoscaler": "gke"},
        ],
        "workloads": [
            {
                "name": "web",
                "namespace": "shop",
                "resources": {"cpu": "500m", "memory": "1Gi"},
                "demand": {"replicas": 3},
                "users": {"eu": 1.0},
                "latencyMs": 80,
                "spot": {"maxFraction": 0.5},
            },
        ],
    },
}


def document(**spec_changes: Any) -> dict[str, Any]:
    """A deep copy of BASE with `spec` keys replaced."""
    doc = copy.deepcopy(BASE)
    doc["spec"].update(spec_changes)
    return doc


def write(tmp_path: Path, doc: object, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path
