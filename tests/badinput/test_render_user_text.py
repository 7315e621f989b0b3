"""User text in reports is printed literally: rich never reads a name as markup or an emoji code."""

from __future__ import annotations

import pytest
from builders import make_assignment, make_plan

from placement.analysis.explain import Exclusion, Explanation
from placement.plan import Unplaced
from placement.report.explanation import explanation_text
from placement.report.plan import to_table_text

# `[/]` closes a tag that was never opened (rich raises); `[abc]` is a tag rich drops; `:smile:` an emoji code.
NASTY = ("gcp[/]", "[abc]", "x:smile:", "[bold]loud", "tail\\")


@pytest.mark.parametrize("color", [False, True])
def test_plan_table_prints_names_reasons_and_title_literally(color: bool) -> None:
    plan = make_plan(
        *(make_assignment(f"shop/{n}", n, 1) for n in NASTY),
        scenario="demo[/]",
        unplaced=(Unplaced("shop/[x]", "residency [CH] leaves no cluster"),),
        warnings=("w [/i]",),
    )
    text = to_table_text(plan, width=200, color=color)
    for name in (*NASTY, "demo[/]", "shop/[x]", "residency [CH] leaves no cluster", "w [/i]"):
        assert name in _plain(text)


def test_explanation_prints_workload_and_reasons_literally() -> None:
    unplaced = Explanation(
        workload="shop/[abc]",
        replicas=1,
        hourly_usd=0.0,
        unplaced_reason="needs [CH]",
        excluded=(Exclusion("gcp[/]", ("residency",), ("country [DE] not in [CH]",)),),
    )
    text = explanation_text(unplaced, width=200)
    assert "shop/[abc] is not placed: needs [CH]" in text and "gcp[/]: residency: country [DE] not in [CH]" in text


def _plain(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_prices_table_prints_offer_fields_literally() -> None:
    from builders import make_offer

    from placement.cli.prices import table_text
    from pricing.catalog import Catalog

    catalog = Catalog((make_offer(instance_type="m5[/]", region="[abc]"),))
    text = table_text(catalog, limit=0, color=False)
    assert "m5[/]" in text and "[abc]" in text


def test_whatif_table_prints_names_literally() -> None:
    from types import SimpleNamespace

    from placement.cli.whatif import to_table

    change = SimpleNamespace(workload="shop/[abc]", cluster="gcp[/]", before=(1, 0), after=(0, 1))
    comparison = SimpleNamespace(
        before_hourly_usd=1.0, after_hourly_usd=0.5, delta_fraction=-0.5, changes=[change], unplaced_after=["shop/[x]"]
    )
    text = to_table(comparison, ["outage gcp[/]"], "demo[/]")
    for name in ("shop/[abc]", "gcp[/]", "shop/[x]", "demo[/]"):
        assert name in text
