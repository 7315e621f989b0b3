"""`placement run`: the scheduled planner (the in-cluster CronJob's command). Work in progress."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="the scheduled planner: load, refresh prices, plan, guard, apply (CronJob)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    print("error: placement run is not finished yet", file=sys.stderr)
    return 2
