"""notebooks/what_if.ipynb executes top to bottom (offline, demo fleet) within its time budget."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "what_if.ipynb"


def test_what_if_notebook_runs_and_shows_its_figures(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert time.perf_counter() - started < 120
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    for strategy in ("placement", "static", "reactive", "spot-first", "oracle"):
        assert strategy in text
    assert "assignments change" in text and "notebook ran in" in text
    assert "fanned-out frontier equals the sequential one: True" in text and "cannot fall by 100%" in text
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) == 4  # cost over time, savings waterfall, Pareto frontiers, placement map


def test_what_if_notebook_imports_only_the_public_api() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    ours = set(re.findall(r"^\s*(?:from|import)\s+((?:placement|pricing|forecasting)[\w.]*)", source, flags=re.M))
    assert ours == {"placement"}  # `from placement import scaleout, simulate, whatif`: the packages' public surface
    assert set(re.findall(r"^from placement import (\w+)", source, flags=re.M)) == {"scaleout", "simulate", "whatif"}
