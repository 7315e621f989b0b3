"""tests/kube: make `tests/builders.py` and this directory's helpers importable."""

from __future__ import annotations

import sys
from pathlib import Path

# appended, not prepended: `tests/pricing` must not shadow the `pricing` package
for _path in (Path(__file__).resolve().parent, Path(__file__).resolve().parents[1]):
    if str(_path) not in sys.path:
        sys.path.append(str(_path))
