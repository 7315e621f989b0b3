"""Shared CLI plumbing: the `--scenario` flag (defaulting to the packaged demo fleet)."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from placement.scenario import Scenario


def demo_scenario_path() -> Path:
    """The packaged demo fleet (`placement/data/demo.yaml`)."""
    return Path(str(resources.files("placement") / "data" / "demo.yaml"))


def add_scenario_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", "-f", metavar="FILE", type=Path,
                        help="scenario YAML (placement.dev/v1alpha1); default: the packaged demo fleet")


def load_from_args(args: argparse.Namespace) -> Scenario:
    from placement.load.scenario import load_scenario

    return load_scenario(args.scenario or demo_scenario_path())
