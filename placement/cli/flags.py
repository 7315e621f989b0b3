"""The flags several commands share, defined once: `--scenario`, `--prices`, `-o`, `--time-limit`, `--backend`."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

from placement.load.scenario import demo_scenario_path
from placement.scenario import Scenario
from placement.solver.milp import BACKENDS, DEFAULT_BACKEND

#: The `prices.source` values a command may override the scenario's with.
PRICE_SOURCES = ("embedded", "cache", "live", "file")

Parser = argparse.ArgumentParser | argparse._ArgumentGroup


def add_scenario_flag(parser: Parser) -> None:
    parser.add_argument(
        "--scenario",
        "-f",
        metavar="FILE",
        type=Path,
        help="scenario YAML (placement.dev/v1alpha1); default: the packaged demo fleet",
    )


def load_from_args(args: argparse.Namespace) -> Scenario:
    """The `--scenario` file (or the demo), parsed, with its forecast-driven demand sized."""
    from placement.load.demand import resolve_demand
    from placement.load.scenario import load_scenario

    return resolve_demand(load_scenario(args.scenario or demo_scenario_path()))


def add_prices_flag(parser: Parser, *, help: str = "price source (overrides the scenario's prices.source)") -> None:
    parser.add_argument("--prices", choices=PRICE_SOURCES, help=help)


def add_output_flag(parser: Parser, choices: Sequence[str], *, default: str | None = None) -> None:
    parser.add_argument(
        "-o",
        "--output",
        choices=tuple(choices),
        default=default or choices[0],
        help=f"output format (default: {default or choices[0]})",
    )


def add_solver_flags(
    parser: Parser, *, time_limit_help: str = "solver time limit in seconds", time_limit_default_s: float | None = None
) -> None:
    parser.add_argument("--time-limit", type=float, metavar="S", default=time_limit_default_s, help=time_limit_help)
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=DEFAULT_BACKEND,
        help=f"MIP backend (default: {DEFAULT_BACKEND}; LPs always run on HiGHS — see docs/solver.md)",
    )


def time_limit_problem(args: argparse.Namespace) -> str | None:
    """The error for a `--time-limit` that is not a finite number above 0, else None."""
    limit = args.time_limit
    if limit is not None and not (math.isfinite(limit) and limit > 0):
        return f"--time-limit must be a finite number of seconds greater than 0 (got {limit:g}); e.g. --time-limit 30"
    return None


def add_ray_flags(parser: Parser) -> None:
    """`--ray` / `--ray-address`: run the command's tasks on Ray (`placement.scaleout`); sequential without."""
    parser.add_argument(
        "--ray",
        action="store_true",
        help="run the tasks on Ray: a local Ray on this machine, or the cluster RAY_ADDRESS names "
        "(needs pip install 'placement[ray]'); same results as without",
    )
    parser.add_argument(
        "--ray-address", metavar="ADDRESS", help="join this Ray cluster, e.g. ray://head:10001 or auto (implies --ray)"
    )
