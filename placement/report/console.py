"""The one way reports make a rich `Console`: user text is printed as it is, never read as markup.

Cluster, workload, region and scenario names, reasons and file names come from users. Rich reads
``[...]`` as markup (``gcp[/]`` raises, ``[abc]`` vanishes) and ``:name:`` as emoji, so every
console a report prints user text on is made here with markup and emoji off; emphasis is a
``style=`` argument, never inline markup.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def plain_console(
    file: IO[str] | None = None, *, width: int | None = None, color: bool | None = None, stderr: bool = False
) -> Console:
    """A rich `Console` that prints strings literally (no markup, no emoji codes).

    `color`: True forces a terminal with colours, False forces plain text, None detects.
    """
    from rich.console import Console

    return Console(
        file=file,
        width=width,
        stderr=stderr,
        force_terminal=color,
        color_system=None if color is False else "auto",
        markup=False,
        emoji=False,
    )
