"""Kubernetes resource quantities → numbers with units: CPU in cores, memory in GiB.

Follows the Kubernetes quantity grammar (k8s.io/apimachinery resource.Quantity): decimal SI
suffixes (n, u, m, k, M, G, T, P, E), binary suffixes (Ki, Mi, Gi, Ti, Pi, Ei) and exponents.
"""

from __future__ import annotations

import re

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_PATTERN = re.compile(r"^\s*([+]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)\s*$")
_GIB = float(2**30)


class QuantityError(ValueError):
    """A string that is not a valid, non-negative Kubernetes quantity."""


def parse_quantity(value: object) -> float:
    """A Kubernetes quantity as a plain number in base units (cores, or bytes)."""
    if isinstance(value, bool):
        raise QuantityError("expected a quantity such as 500m, 2, 1Gi")
    if isinstance(value, int | float):
        if value < 0:
            raise QuantityError("must not be negative")
        return float(value)
    if not isinstance(value, str):
        raise QuantityError("expected a quantity such as 500m, 2, 1Gi")
    match = _PATTERN.match(value)
    if not match:
        if value.strip().startswith("-"):
            raise QuantityError("must not be negative")
        raise QuantityError("not a Kubernetes quantity: use e.g. 500m or 2 for CPU, 512Mi or 1Gi for memory")
    number, suffix = float(match.group(1)), match.group(2)
    return number * (_BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix])


def parse_cpu(value: object) -> float:
    """CPU quantity in cores (``500m`` → 0.5)."""
    return parse_quantity(value)


def parse_memory_gib(value: object) -> float:
    """Memory quantity in GiB (``512Mi`` → 0.5, ``1G`` → 0.931…). A bare number means bytes."""
    return parse_quantity(value) / _GIB


def format_cpu(cores: float) -> str:
    """Cores as a Kubernetes quantity string (``0.5`` → ``500m``, ``2`` → ``2``)."""
    millis = round(cores * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def format_memory(memory_gib: float) -> str:
    """GiB as a Kubernetes quantity string in Mi or Gi."""
    mib = round(memory_gib * 1024)
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"
