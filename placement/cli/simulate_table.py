"""The strategy table `placement simulate` prints (one run, or one per seed)."""

from __future__ import annotations

from typing import Any


def render_table(rows: list[dict[str, Any]], title: str) -> str:
    import io

    from rich.table import Table

    from placement.report.console import plain_console
    from placement.simulate import TABLE_COLUMNS, format_rows

    buffer = io.StringIO()
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(TABLE_COLUMNS):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in format_rows(rows):
        table.add_row(*row)
    plain_console(buffer, width=140).print(table)
    return buffer.getvalue()
