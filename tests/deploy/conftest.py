"""tests/deploy: make this directory's helpers, the run and kube fakes and `tests/builders.py` importable."""

from __future__ import annotations

import sys
from pathlib import Path

# appended, not prepended: `tests/pricing` must not shadow the `pricing` package
_TESTS = Path(__file__).resolve().parents[1]
for _path in (Path(__file__).resolve().parent, _TESTS / "run", _TESTS / "kube", _TESTS):
    if str(_path) not in sys.path:
        sys.path.append(str(_path))
