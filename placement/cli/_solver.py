"""Shared CLI plumbing: the solver flags (`--time-limit`, `--backend`) of plan, explain and run."""

from __future__ import annotations

import argparse

from placement.solver.milp import BACKENDS


def add_solver_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup, *,
                     time_limit_help: str = "solver time limit in seconds") -> None:
    parser.add_argument("--time-limit", type=float, metavar="S", help=time_limit_help)
    parser.add_argument("--backend", choices=BACKENDS, default="scip",
                        help="MIP backend (default: scip; LPs always run on HiGHS — see docs/solver.md)")


def time_limit_problem(args: argparse.Namespace) -> str | None:
    """The error for a `--time-limit` that is not above 0, else None."""
    if args.time_limit is not None and args.time_limit <= 0:
        return f"--time-limit must be greater than 0 seconds (got {args.time_limit:g})"
    return None
