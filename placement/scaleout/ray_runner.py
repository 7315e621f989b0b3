"""The Ray runner: the only module of `placement` that imports `ray` (REFERENCE §11).

    with RayRunner() as runner:                      # a local Ray on this machine (ray.init())
        fanout = runner.map(fn, items, shared=(scenario, catalog), labels=names, progress=tick)

`shared` goes into the object store once (`ray.put`) and every task gets the reference; a worker
fetches it once and keeps it for its next tasks (`_shared`). Each item is one task (`num_cpus=1`).
Tasks run `runner.run_task`, so an exception inside a task comes back as a failed `Outcome`; a
task Ray itself loses (a worker killed, a node gone) becomes one too. Progress is reported as
tasks finish (`ray.wait`); outcomes are returned in item order.

`RayRunner(address=...)` joins a running cluster (`ray://HOST:10001`, or `auto` inside one); with
no address `ray.init()` honours `RAY_ADDRESS`, and otherwise starts Ray here with `num_cpus`
(default: every core). If Ray is already initialised (a notebook, a test fixture) that Ray is used
and left running.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import ray
from ray.exceptions import RayError

from placement.errors import PlacementError
from placement.exit_codes import ExitCode
from placement.scaleout.runner import FanOut, Outcome, Progress, _check_labels, describe, run_task

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")


#: Per worker process: the shared inputs it has already fetched, by object id (the few most recent).
_SHARED: dict[str, Any] = {}
_SHARED_KEPT = 2


def _shared(boxed: list[Any]) -> Any:
    """The shared input, fetched and unpickled once per worker, not once per task: the ref travels
    boxed (so Ray does not resolve it per task), and what the first task builds on it (a catalog's
    indexes) stays warm for the worker's next tasks, as it does on the sequential path."""
    (ref,) = boxed
    key = ref.hex()
    if key not in _SHARED:
        while len(_SHARED) >= _SHARED_KEPT:
            _SHARED.pop(next(iter(_SHARED)))
        _SHARED[key] = ray.get(ref)
    return _SHARED[key]


@ray.remote(num_cpus=1, max_retries=1)
def _task(fn: Callable[[Any, Any], Any], boxed: list[Any], item: Any, label: str) -> Outcome[Any]:
    return run_task(fn, _shared(boxed), item, label)


class RayRunner:
    """Runs a fan-out as Ray tasks (see the module docstring); a context manager."""

    def __init__(self, *, address: str | None = None, num_cpus: int | None = None, task_cpus: float = 1.0) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.task_cpus = task_cpus
        self._started = False

    def __enter__(self) -> RayRunner:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        if ray.is_initialized():
            return
        local = self.address is None and not os.environ.get("RAY_ADDRESS")
        try:
            ray.init(
                address=self.address,
                num_cpus=self.num_cpus if local else None,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
                configure_logging=True,
            )
        except (ConnectionError, RuntimeError, ValueError) as error:
            where = self.address or os.environ.get("RAY_ADDRESS") or "a local Ray"
            failure = PlacementError(
                f"could not start or join Ray at {where}: {error}; check the address "
                "(ray://HOST:10001), or run without --ray"
            )
            failure.exit_code = ExitCode.ENVIRONMENT
            raise failure from None
        self._started = True

    def close(self) -> None:
        if self._started:
            ray.shutdown()
            self._started = False

    @property
    def cpus(self) -> float:
        """CPUs the Ray cluster offers now (for a bench's figures)."""
        return float(ray.cluster_resources().get("CPU", 0.0))

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
        self.connect()
        shared_ref = ray.put(shared)  # once, however many tasks read it
        task = _task.options(num_cpus=self.task_cpus)
        refs = [task.remote(fn, [shared_ref], item, label) for item, label in zip(items, labels, strict=True)]
        where = {ref: i for i, ref in enumerate(refs)}
        outcomes: list[Outcome[R] | None] = [None] * len(refs)
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                i = where[ref]
                try:
                    outcome = ray.get(ref)
                except RayError as error:  # the task never returned: worker or node lost
                    outcome = Outcome(labels[i], None, describe(error), 0.0, int(ExitCode.ENVIRONMENT))
                outcomes[i] = outcome
                if progress is not None:
                    progress(outcome)
        return FanOut(tuple(o for o in outcomes if o is not None))


__all__ = ["RayRunner"]
