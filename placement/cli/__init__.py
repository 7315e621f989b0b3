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
from importlib import import_module

from placement.exit_codes import ExitCode

#: The command modules, each with ``register(subparsers)``; their order is the order of `placement --help`.
COMMAND_MODULES = (
    "placement.cli.plan",
    "placement.cli.explain",
    "placement.cli.validate",
    "placement.cli.prices",
    "placement.cli.kube",
    "placement.cli.scenario",
    "placement.cli.forecast",
    "placement.cli.run",
    "placement.cli.simulate",
    "placement.cli.whatif",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="placement",
        description="Cost-aware workload placement for multi-cloud Kubernetes fleets.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from forecasting.errors import ForecastError
    from placement.errors import PlacementError
    from pricing.errors import PricingError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except PlacementError as error:
        print(f"error: {error}", file=sys.stderr)
        code = getattr(error, "exit_code", ExitCode.INVALID)
    except PricingError as error:
        print(f"error: {error}", file=sys.stderr)
        code = getattr(error, "exit_code", ExitCode.ENVIRONMENT)
    except ForecastError as error:
        print(f"error: {error}", file=sys.stderr)
        code = getattr(error, "exit_code", ExitCode.INVALID)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        code = ExitCode.OK
    return int(code or 0)


def run() -> None:
    sys.exit(main())
