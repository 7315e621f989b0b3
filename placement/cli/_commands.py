"""The registry of command modules (each has ``register(subparsers)``). Add new groups here."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

# Order is the order of `placement --help`.
_MODULES = (
    "placement.cli.plan",
    "placement.cli.explain",
    "placement.cli.validate",
    "placement.cli.prices",
    "placement.cli.kube",
    "placement.cli.forecast",
    "placement.cli.run",
    "placement.cli.simulate",
    "placement.cli.whatif",

)


def modules() -> list[ModuleType]:
    return [import_module(name) for name in _MODULES]
