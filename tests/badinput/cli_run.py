"""Running the CLI in-process for bad-input tests: exit code, stderr, and no exception escaping `main`."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from placement.cli import main


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def run_cli(argv: Sequence[str]) -> Outcome:
    """`placement ARGV` in this process; argparse's own exits become their code. Anything else escaping
    `main` is the test's failure (a traceback a user would have seen)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as done:  # argparse: usage errors exit 2
            code = done.code if isinstance(done.code, int) else 2
    return Outcome(code, out.getvalue(), err.getvalue())
