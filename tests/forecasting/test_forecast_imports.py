"""`forecasting` stands alone: it never imports `placement` or `pricing`, and importing it does not
pull in scikit-learn or the Prometheus client (they load only when a model is fitted or a server read)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_forecasting_loads_no_placement_pricing_or_heavy_libraries() -> None:
    probe = (
        "import sys, forecasting\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'placement', 'pricing', 'sklearn', 'prometheus_api_client', 'requests'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_no_module_of_forecasting_names_placement_or_pricing() -> None:
    from pathlib import Path

    import forecasting

    for path in Path(forecasting.__file__).parent.glob("*.py"):
        text = path.read_text()
        for package in ("placement", "pricing"):
            assert f"import {package}" not in text and f"from {package}" not in text, path.name
