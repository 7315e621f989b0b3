"""The placement package's errors: one small hierarchy, each with a fix-it message."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class PlacementError(Exception):
    """Base class of every error raised by `placement`. `exit_code` is what the CLI exits with."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (a field path), what (the bad value) and the fix."""

    path: str
    value: object
    message: str

    def __str__(self) -> str:
        shown = self.value if isinstance(self.value, str) else repr(self.value)
        return (
            f"{self.path}: {self.message} (got {shown})"
            if self.value is not _MISSING
            else f"{self.path}: {self.message}"
        )


_MISSING = object()


def missing() -> object:
    """The value to put in a `Problem` for a field that is absent."""
    return _MISSING


def close_matches(value: str, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Up to `n` choices closest to `value`, best first (difflib's similarity ratio ≥ `cutoff`).

    The one fuzzy match behind every "did you mean" in `placement`; callers that word the hint
    their own way (the CLI's filters, the geo lookups) use it directly."""
    return difflib.get_close_matches(value, sorted(set(choices)), n=n, cutoff=cutoff)


def did_you_mean(value: str, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6, few: int = 8) -> str:
    """`; did you mean "x"?` for the closest choice(s) (or the ones containing `value`, e.g. "nodes"
    → "currentNodes"), else a list of the choices when there are at most `few`."""
    options = sorted(set(choices))
    close = close_matches(value, options, n=n, cutoff=cutoff)
    if not close and len(value) >= 3:
        close = [c for c in options if value.lower() in c.lower()][:2]
    if close:
        return "; did you mean " + " or ".join(f'"{c}"' for c in close) + "?"
    if options and len(options) <= few:
        return "; expected one of: " + ", ".join(options)
    return ""


class InvalidScenario(PlacementError):
    """The scenario has problems; `problems` lists each with its field path, value and fix."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{source}: {len(self.problems)} {noun}\n{lines}")


class ServiceFailed(PlacementError):
    """A service the scenario reads from (Prometheus) failed while the scenario itself is valid."""

    exit_code = 4

    def __init__(self, source: str, failures: Sequence[Problem]) -> None:
        self.source = source
        self.failures = tuple(failures)
        lines = "\n".join(f"  {p}" for p in self.failures)
        super().__init__(f"{source}: {len(self.failures)} service failure(s) while loading\n{lines}")


class InvalidPlan(PlacementError):
    """A plan file is malformed or does not belong to the scenario it is checked against."""


class OutputError(PlacementError):
    """Files could not be written where the user asked (a folder not writable, a full disk)."""

    exit_code = 4


class ApplyError(PlacementError):
    """A change could not be applied to a cluster; nothing is left half-changed."""

    exit_code = 4
