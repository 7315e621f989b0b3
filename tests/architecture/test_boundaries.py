"""The layout's boundaries (DESIGN.md "Packages"), enforced on every import, lazy ones included.

The pure core (`solver`, `patches`, `geo`, `analysis`) never reaches the cluster client, the
terminal renderer or the layers above it; `pricing` and `forecasting` never import `placement`.
The last test shows the checker failing on a package that breaks the rule on purpose.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from import_graph import ROOT, imports, modules, violations

UPPER = (
    "kubernetes",
    "rich",
    "placement.kube",
    "placement.run",
    "placement.cli",
    "placement.report",
    "placement.simulate",
    "placement.scaleout",
)
PURE_CORE = ("placement/solver", "placement/patches", "placement/geo", "placement/analysis")


@pytest.mark.parametrize("package", PURE_CORE)
def test_the_pure_core_never_imports_clusters_terminals_or_upper_layers(package: str) -> None:
    assert violations(package, UPPER) == []


@pytest.mark.parametrize("package", ["pricing", "forecasting"])
def test_pricing_and_forecasting_never_import_placement(package: str) -> None:
    assert violations(package, ("placement",)) == []


def test_contracts_and_facts_import_nothing_above_them() -> None:
    for module in (
        "placement/errors.py",
        "placement/exit_codes.py",
        "placement/scenario.py",
        "placement/plan.py",
        "placement/live.py",
    ):
        name = module.removesuffix(".py").replace("/", ".")
        above = {
            i
            for i in imports(ROOT / module, name)
            if i.startswith("placement.")
            and not i.startswith(
                ("placement.errors", "placement.scenario", "placement.plan", "placement.live", "placement.exit_codes")
            )
        }
        assert above == set(), module


def test_loading_the_core_loads_neither_kubernetes_nor_rich() -> None:
    core = [name for package in PURE_CORE for name, _ in modules(package)]
    probe = (
        "import importlib, sys\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {'kubernetes', 'rich'})))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == ""


def test_import_placement_is_light() -> None:
    probe = (
        "import sys, placement\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'ortools', 'kubernetes', 'rich', 'pandas', 'sklearn', 'numpy'} or m.startswith('placement.'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == ""


def test_the_checker_fails_on_a_core_module_that_imports_the_cluster_client(tmp_path: Path) -> None:
    bad = tmp_path / "placement" / "solver"
    bad.mkdir(parents=True)
    (bad / "__init__.py").write_text("")
    (bad / "sneaky.py").write_text(
        "def f():\n    from placement.kube.apply import apply_patches\n    import rich.table\n"
    )
    (bad / "fine.py").write_text("from placement.scenario import Scenario\nfrom . import sneaky\n")
    assert violations("placement/solver", UPPER, root=tmp_path) == [
        "placement.solver.sneaky -> placement.kube.apply",
        "placement.solver.sneaky -> placement.kube.apply.apply_patches",
        "placement.solver.sneaky -> rich.table",
    ]


# -- placement.scaleout: the fan-out layer (DESIGN "Scale out on Ray") ------------------------------------
BELOW_SCALEOUT = (
    "pricing",
    "forecasting",
    *(f"placement/{p}" for p in ("geo", "load", "solver", "patches", "analysis", "simulate", "kube", "run", "report")),
)


@pytest.mark.parametrize("package", BELOW_SCALEOUT)
def test_nothing_below_scaleout_imports_it_or_ray(package: str) -> None:
    assert violations(package, ("placement.scaleout", "ray")) == []


def test_scaleout_imports_the_pure_layers_only_and_ray_only_in_its_runner() -> None:
    assert (
        violations(
            "placement/scaleout",
            ("kubernetes", "rich", "placement.kube", "placement.run", "placement.cli", "placement.report"),
        )
        == []
    )
    importers = sorted(
        {v.split(" -> ")[0] for p in ("placement", "pricing", "forecasting") for v in violations(p, ("ray",))}
    )
    assert importers == ["placement.scaleout.ray_runner"]


def test_loading_scaleout_or_the_cli_loads_no_ray() -> None:
    probe = (
        "import sys, placement.scaleout, placement.cli\n"
        "placement.cli.build_parser()\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'ray')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == ""
