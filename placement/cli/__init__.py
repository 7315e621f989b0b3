"""`placement` command line: thin — parse arguments, call the library, print, exit with a code.

Each command group lives in its own module exposing ``register(subparsers)``; this module only
wires them together and turns known errors into one clear line and an exit code (never a traceback).

Exit codes (DESIGN.md): 0 ok, 1 violations / changes found (validate, diff), 2 invalid input,
3 some workloads unplaced, 4 environment failure (price fetch, cluster, Prometheus); `placement run`
adds 5 a guard refused the plan, 6 prices stale or unavailable, 7 metrics not pushed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from placement.cli import _commands

EXIT_OK = 0
EXIT_INVALID = 2
EXIT_UNPLACED = 3
EXIT_ENVIRONMENT = 4


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="placement",
        description="Cost-aware workload placement for multi-cloud Kubernetes fleets.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _commands.modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from placement.errors import PlacementError
    from pricing.errors import PricingError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except PlacementError as error:
        print(f"error: {error}", file=sys.stderr)
        code = getattr(error, "exit_code", EXIT_INVALID)
    except PricingError as error:
        print(f"error: {error}", file=sys.stderr)
        code = getattr(error, "exit_code", EXIT_ENVIRONMENT)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        code = 0
    return int(code or 0)


def run() -> None:
    sys.exit(main())
