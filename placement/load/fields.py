"""Reading untrusted mappings field by field, collecting every problem instead of stopping at one.

`FieldReader` is what the scenario loader (and the cluster reader's annotations) use to turn
YAML-ish data into typed values: each accessor records a `Problem` naming the field path, the bad
value and the fix, and returns a default so reading goes on and all problems are reported at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from placement.errors import Problem, did_you_mean, missing
from placement.load.quantity import QuantityError

T = TypeVar("T")


class FieldReader:
    """Collects problems while reading; `path` strings look like `spec.workloads[3].resources.cpu`."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.failures: list[Problem] = []  # the environment's, not the input's (a Prometheus that is down)

    def problem(self, path: str, value: object, message: str) -> None:
        self.problems.append(Problem(path, value, message))

    def failure(self, path: str, value: object, message: str) -> None:
        """A service this field reads from failed: exit 4 unless the input also has problems (then 2)."""
        self.failures.append(Problem(path, value, message))

    # -- structure ----------------------------------------------------------------------
    def mapping(self, data: object, path: str, *, required: bool = False) -> Mapping[str, Any]:
        if data is None:
            if required:
                self.problem(path, missing(), "is required")
            return {}
        if not isinstance(data, Mapping):
            self.problem(path, data, "must be a mapping of fields")
            return {}
        return data

    def sequence(self, data: object, path: str, *, required: bool = False) -> Sequence[Any]:
        if data is None:
            if required:
                self.problem(path, missing(), "is required (a list)")
            return ()
        if isinstance(data, str) or not isinstance(data, Sequence):
            self.problem(path, data, "must be a list")
            return ()
        return data

    def known_keys(self, data: Mapping[str, Any], path: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.problem(where, missing(), "unknown field" + did_you_mean(str(key), allowed, few=40))

    # -- scalars ------------------------------------------------------------------------
    def string(self, data: Mapping[str, Any], key: str, path: str, *, default: str | None = None) -> str | None:
        value = data.get(key)
        if value is None:
            if default is None:
                self.problem(f"{path}.{key}", missing(), "is required")
            return default
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{path}.{key}", value, "must be a non-empty string")
            return default
        return value

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        default: float | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: bool = False,
        hint: str = "",
    ) -> float | None:
        value = data.get(key)
        where = f"{path}.{key}"
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or math.isinf(value):
            self.problem(where, value, "must be a number" + (f" {hint}" if hint else "") + _quoted_number_hint(value))
            return default
        return self._in_range(where, float(value), value, default, minimum, maximum, exclusive_minimum, hint)

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = data.get(key)
        where = f"{path}.{key}"
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self.problem(where, value, "must be a whole number" + _quoted_number_hint(value))
                return default
        if minimum is not None and value < minimum:
            self.problem(where, value, f"must be at least {minimum}")
            return default
        if maximum is not None and value > maximum:
            self.problem(where, value, f"must be at most {maximum:,} (a larger value is a typo, not a fleet)")
            return default
        return value

    def quantity(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        parse: Callable[[object], float],
        *,
        example: str,
        maximum: float | None = None,
        unit: str = "",
    ) -> float | None:
        value = data.get(key)
        where = f"{path}.{key}"
        if value is None:
            self.problem(where, missing(), f"is required (e.g. {example})")
            return None
        try:
            parsed = parse(value)
        except QuantityError as error:
            self.problem(where, value, f"{error}")
            return None
        if not math.isfinite(parsed):
            self.problem(where, value, f"must be a finite quantity (e.g. {example})")
            return None
        if maximum is not None and parsed > maximum:
            self.problem(where, value, f"must be at most {maximum:,g}{unit} (a larger value is a typo, not a fleet)")
            return None
        return parsed

    def _in_range(
        self,
        where: str,
        value: float,
        written: object,
        default: float | None,
        minimum: float | None,
        maximum: float | None,
        exclusive_minimum: bool,
        hint: str,
    ) -> float | None:
        suffix = f" {hint}" if hint else ""
        if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
            bound = "greater than" if exclusive_minimum else "at least"
            self.problem(where, written, f"must be {bound} {minimum:g}{suffix}")
            return default
        if maximum is not None and value > maximum:
            self.problem(where, written, f"must be at most {maximum:,g}{suffix}")
            return default
        return value


def _quoted_number_hint(value: object) -> str:
    """For text that reads as a number (`"12"`, YAML 1.1's `1e12`, which needs a dot to be a float)."""
    if not isinstance(value, str):
        return ""
    try:
        number = float(value)
    except ValueError:
        return ""
    if not math.isfinite(number):
        return ""
    shown = str(int(number)) if number.is_integer() else repr(number)
    return f": YAML read {value} as text; write a plain number such as {shown} without quotes"
