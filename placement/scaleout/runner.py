"""How a fan-out runs: the `Runner` seam, the sequential runner, and what every task returns.

A fan-out maps one pure, module-level function `fn(shared, item)` over items. `shared` is the large
input every task reads (a scenario and its catalog); Ray puts it in the object store once. Each
task returns an `Outcome` — its value, or why it failed — so one failed scenario never loses the
others' results. Outcomes come back in the order of the items, whatever order the tasks finish in,
which is what makes a Ray run's results identical to the sequential run's.

Which runner a command gets is `placement.scaleout.choice.runner_for`'s to say.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from placement.errors import PlacementError
from placement.exit_codes import ExitCode

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")


class TasksFailed(PlacementError):
    """Some tasks of a fan-out failed; `failures` has each one's label and reason."""

    def __init__(self, failures: Sequence[Outcome[Any]]) -> None:
        self.failures = tuple(failures)
        self.exit_code = max((f.exit_code for f in self.failures), default=ExitCode.ENVIRONMENT)
        lines = "; ".join(f"{f.label}: {f.error}" for f in self.failures[:5])
        more = f" (and {len(self.failures) - 5} more)" if len(self.failures) > 5 else ""
        super().__init__(f"{len(self.failures)} task(s) failed — {lines}{more}")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[R]):
    """One task's result: its label (which scenario, seed, family or partition), its value or the
    error that stopped it (`"TypeName: message"`), and the seconds it ran (measured in the task)."""

    label: str
    value: R | None = None
    error: str | None = None
    seconds: float = 0.0
    exit_code: int = 0  # the CLI exit code the error asks for (2 invalid input, 4 environment)
    trace: str = ""  # the traceback's last lines, for a bug report

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class FanOut(Generic[R]):
    """Every task's `Outcome`, in the order of the items."""

    outcomes: tuple[Outcome[R], ...]

    @property
    def failed(self) -> tuple[Outcome[R], ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def succeeded(self) -> list[R]:
        """The values of the tasks that finished, in item order (failed ones left out)."""
        return [o.value for o in self.outcomes if o.ok]  # type: ignore[misc]

    def values(self) -> list[R]:
        """Every value in item order; raises `TasksFailed` (naming each failed task) if any failed."""
        if self.failed:
            raise TasksFailed(self.failed)
        return self.succeeded

    @property
    def task_seconds(self) -> list[float]:
        return [o.seconds for o in self.outcomes]


Progress = Callable[[Outcome[Any]], None]  # called once per finished task, in completion order


class Runner(Protocol):
    """Maps `fn(shared, item)` over `items`; returns outcomes in item order."""

    def map(
        self,
        fn: Callable[[S, T], R],
        items: Sequence[T],
        *,
        shared: S,
        labels: Sequence[str],
        progress: Progress | None = None,
    ) -> FanOut[R]: ...


def run_task(fn: Callable[[S, T], R], shared: S, item: T, label: str) -> Outcome[R]:
    """Run one task and turn whatever it raises into data (the same wrapper on every runner)."""
    started = time.perf_counter()
    try:
        value = fn(shared, item)
    except Exception as error:  # a task's failure is data: the others go on
        return Outcome(
            label,
            None,
            describe(error),
            time.perf_counter() - started,
            int(getattr(error, "exit_code", ExitCode.ENVIRONMENT)),
            "".join(traceback.format_exception(error)[-3:]),
        )
    return Outcome(label, value, None, time.perf_counter() - started)


def describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class Sequential:
    """The default runner: every task in this process, one after the other (no Ray needed)."""

    def map(
        self,
        fn: Callable[[S, T], R],
        items: Sequence[T],
        *,
        shared: S,
        labels: Sequence[str],
        progress: Progress | None = None,
    ) -> FanOut[R]:
        _check_labels(items, labels)
        outcomes = []
        for item, label in zip(items, labels, strict=True):
            outcome = run_task(fn, shared, item, label)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
        return FanOut(tuple(outcomes))

    def __enter__(self) -> Sequential:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _check_labels(items: Sequence[Any], labels: Sequence[str]) -> None:
    if len(items) != len(labels):
        raise PlacementError(f"{len(items)} items but {len(labels)} labels: give one label per task")


__all__ = [
    "FanOut",
    "Outcome",
    "Progress",
    "Runner",
    "Sequential",
    "TasksFailed",
    "describe",
    "run_task",
]
