"""What the commands that fan out share: the runner `--ray` asks for, progress over finished tasks
(rich, on stderr, people only), and one line per failed task (which scenario, and why)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from placement.exit_codes import ExitCode


def runner_from_args(args: argparse.Namespace) -> Any:
    """The runner (a context manager) for `--ray` / `--ray-address`; sequential without them."""
    from placement.scaleout import runner_for

    return runner_for(ray=bool(getattr(args, "ray", False)), address=getattr(args, "ray_address", None))


@contextmanager
def task_progress(total: int, what: str) -> Iterator[Any]:
    """A progress bar over finished tasks on stderr when it is a terminal; yields the callback (or None)."""
    if not sys.stderr.isatty() or total < 1:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from placement.report.console import plain_console

    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=plain_console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(what, total=total)

        def tick(outcome: Any) -> None:
            progress.update(task, advance=1, description=f"{what}: {outcome.label}{'' if outcome.ok else ' (failed)'}")

        yield tick


def report_failures(failed: Sequence[Any]) -> int:
    """Print one `error:` line per failed task on stderr; the exit code they ask for (0 if none)."""
    for outcome in failed:
        print(f"error: task {outcome.label}: {outcome.error}", file=sys.stderr)
    if not failed:
        return ExitCode.OK
    print(f"error: {len(failed)} task(s) failed; the others' results are above", file=sys.stderr)
    return max(int(o.exit_code) for o in failed)
