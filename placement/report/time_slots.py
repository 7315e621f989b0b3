"""The schedule table for people (`placement plan --slots`)."""

from __future__ import annotations

import io
from datetime import UTC

from placement.analysis.time_slots import Schedule
from placement.report.console import plain_console


def schedule_table_text(schedule: Schedule, *, width: int = 120, color: bool = False) -> str:
    from rich.table import Table

    buffer = io.StringIO()
    console = plain_console(buffer, width=width, color=color)
    limit = "none" if schedule.max_moves_per_slot is None else str(schedule.max_moves_per_slot)
    table = Table(
        title=f"schedule: {len(schedule.slots)} hourly slots, churn limit per slot {limit}", title_justify="left"
    )
    for header, justify in (
        ("slot", "right"),
        ("starts at (UTC)", "left"),
        ("replicas", "right"),
        ("spot", "right"),
        ("moves", "right"),
        ("$/h", "right"),
        ("unplaced", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for slot in schedule.slots:
        plan = slot.plan
        table.add_row(
            str(slot.index),
            slot.starts_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            str(sum(a.replicas for a in plan.assignments)),
            str(sum(a.spot for a in plan.assignments)),
            str(plan.moves),
            f"{plan.hourly_usd.after:.4f}",
            ", ".join(u.workload for u in plan.unplaced) or "-",
        )
    console.print(table)
    return buffer.getvalue()
