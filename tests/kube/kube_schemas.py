"""Schema checks for generated manifests: Kubernetes built-ins with kubernetes-validate, Karpenter
kinds with the real CRD `openAPIV3Schema` from ../shared/data/schemas (tests skip when absent)."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft7Validator

SCHEMAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "schemas"
K8S_VERSION = "1.33.0"

# (apiVersion, cloud) -> CRD file; v1 differs per provider only by label-domain rules
_CRD_FILES = {
    ("karpenter.sh/v1", "aws"): "karpenter-v1/karpenter.sh_nodepools.yaml",
    ("karpenter.sh/v1", "azure"): "karpenter-azure-v1/karpenter.sh_nodepools.yaml",
    ("karpenter.sh/v1", "gcp"): "karpenter-core-v1/karpenter.sh_nodepools.yaml",
    ("karpenter.sh/v1beta1", "aws"): "karpenter-v1beta1/karpenter.sh_nodepools.yaml",
    ("karpenter.sh/v1alpha5", "aws"): "karpenter-v1alpha5/karpenter.sh_provisioners.yaml",
}


def validate_builtin(manifest: dict[str, Any]) -> None:
    """Raise if a built-in manifest is invalid (strict: unknown fields are errors too)."""
    kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


def require_crd_schemas() -> None:
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/data/schemas not present")


def crd_errors(manifest: dict[str, Any], cloud: str = "aws") -> list[str]:
    """Schema errors of a Karpenter manifest against its CRD (unknown fields count as errors)."""
    validator = _validator(manifest["apiVersion"], cloud)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]


@functools.cache
def _validator(api_version: str, cloud: str) -> Draft7Validator:
    relative = _CRD_FILES.get((api_version, cloud)) or _CRD_FILES[(api_version, "aws")]
    crd = yaml.safe_load((SCHEMAS / relative).read_text())
    version = api_version.split("/")[1]
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    return Draft7Validator(_strict(copy.deepcopy(served["schema"]["openAPIV3Schema"])))


def _strict(schema: Any) -> Any:
    """Forbid properties a structural schema would silently prune (catches misspelt fields)."""
    if isinstance(schema, dict):
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        for value in schema.values():
            _strict(value)
    elif isinstance(schema, list):
        for value in schema:
            _strict(value)
    return schema


def merged_onto(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`patch` merged into a copy of `base` (maps merge, lists replace) — an apply's result."""
    result = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged_onto(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def minimal_deployment(name: str, namespace: str, replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "registry.example/app:1",
                            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
                        }
                    ]
                },
            },
        },
    }


def minimal_hpa(
    name: str, namespace: str, target: str, min_replicas: int = 1, max_replicas: int = 20
) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    }
