"""`placement scenario export | schema`: the scenario tools.

`export` reads the fleet from clusters (registered by `placement.cli.kube`, with the other commands
that touch clusters). `schema` prints the JSON Schema of a Scenario (placement.dev/v1alpha1), for editors:

Printed to stdout, or written to `--write FILE` (what `make schema` does to refresh the shipped copy,
`placement/data/scenario.schema.json`). Reference it from a scenario with
`# yaml-language-server: $schema=<path or URL of the file>`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from placement.cli.kube import register_export

    parser = sub.add_parser(
        "scenario",
        help="scenario tools: export from clusters, the JSON Schema for editors",
        description="Tools for scenario files (placement.dev/v1alpha1).",
    )
    verbs = parser.add_subparsers(dest="scenario_command", metavar="COMMAND", required=True)
    register_export(verbs)
    schema = verbs.add_parser(
        "schema",
        help="print the Scenario's JSON Schema (or write it with --write)",
        description="The JSON Schema (draft 2020-12) of a Scenario, generated from the "
        "loader's field list; editors with the YAML language server read it from a "
        "`# yaml-language-server: $schema=...` comment.",
    )
    schema.add_argument("--write", metavar="FILE", type=Path, help="write the schema to FILE instead of stdout")
    schema.set_defaults(func=run_schema)


def run_schema(args: argparse.Namespace) -> int:
    from placement.errors import PlacementError
    from placement.load.schema import schema_text

    text = schema_text()
    if args.write is None:
        sys.stdout.write(text)
        return 0
    try:
        args.write.write_text(text, encoding="utf-8")
    except OSError as error:
        raise PlacementError(f"--write {args.write}: cannot write: {error.strerror}") from None
    print(f"wrote {args.write}", file=sys.stderr)
    return 0
