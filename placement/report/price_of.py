"""The price-of-rules table for people (`placement plan --price-of`)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from placement.analysis.price_of import RulePrice
from placement.report.console import plain_console


def price_of_table_text(prices: Sequence[RulePrice], *, width: int = 120, color: bool = False) -> str:
    from rich.table import Table

    buffer = io.StringIO()
    console = plain_console(buffer, width=width, color=color)
    table = Table(
        title="price of rules: objective $/h each family costs (re-solved with it relaxed)", title_justify="left"
    )
    for header, justify in (
        ("rule", "left"),
        ("$/h", "right"),
        ("% of plan", "right"),
        ("relaxed $/h", "right"),
        ("costliest workloads ($/h)", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for p in prices:
        if not p.used:
            table.add_row(p.family, "0.0000", "-", "-", "(no such rule in the scenario)")
            continue
        top = ", ".join(f"{w.workload} {w.hourly_usd:.4f}" for w in p.workloads) or "-"
        if p.newly_placed:
            top += f"; relaxing it would also place {', '.join(p.newly_placed)}"
        table.add_row(p.family, f"{p.hourly_usd:.4f}", f"{p.fraction:.1%}", f"{p.relaxed_hourly_usd:.4f}", top)
    console.print(table)
    return buffer.getvalue()
