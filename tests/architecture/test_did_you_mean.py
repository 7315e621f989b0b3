"""One fuzzy-match helper per package: every "did you mean" goes through `placement.errors` or
`pricing.errors` (`close_matches`, `did_you_mean`), so cut-offs and wording are chosen in one place."""

from __future__ import annotations

import pytest
from import_graph import ROOT

from placement.errors import close_matches
from placement.errors import did_you_mean as placement_hint
from pricing.errors import did_you_mean as pricing_hint

HELPERS = {"placement": "placement/errors.py", "pricing": "pricing/errors.py", "forecasting": None}


@pytest.mark.parametrize("package", sorted(HELPERS))
def test_only_the_helper_calls_difflib(package: str) -> None:
    callers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / package).rglob("*.py")
        if "get_close_matches" in path.read_text(encoding="utf-8")
    )
    assert callers == ([HELPERS[package]] if HELPERS[package] else [])


def test_the_helpers_word_their_hints() -> None:
    assert placement_hint("eu-wset-1", ["eu-west-1", "eu-west-2"]) == '; did you mean "eu-west-1"?'
    assert placement_hint("zz", ["a", "b"]) == "; expected one of: a, b"
    assert placement_hint("zz", [str(i) for i in range(9)]) == ""
    assert pricing_hint("westeurop", ["westeurope", "northeurope"]) == "did you mean westeurope?"
    assert pricing_hint("eu-west-9", ["eu-west-1", "eu-west-2", "us-east-1"], n=2, cutoff=0.75) == (
        "did you mean eu-west-2 or eu-west-1?"
    )
    assert close_matches("EUR", ["EU", "EEA", "US"], cutoff=0.5) == ["EU"]
