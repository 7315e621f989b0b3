"""Which runner a command gets: the sequential one, or Ray (a local Ray, or a cluster joined by
address) — chosen here, above both, so the runner contract (`runner`) and the Ray runner
(`ray_runner`, the only module that imports `ray`, and only when asked for) stay one-way.
"""

from __future__ import annotations

from typing import Any

from placement.errors import PlacementError
from placement.exit_codes import ExitCode
from placement.scaleout.runner import Sequential

#: The pip command that makes `--ray` work (printed when Ray is asked for but missing).
INSTALL_RAY = "pip install 'placement[ray]'"


class RayNotInstalled(PlacementError):
    """`--ray` (or `runner_for(ray=True)`) without the `ray` package."""

    exit_code = ExitCode.INVALID

    def __init__(self) -> None:
        super().__init__(
            f"--ray needs Ray, which is not installed: {INSTALL_RAY} (or pip install 'ray>=2.9'); "
            "or run without --ray (the same work, sequentially)"
        )


def runner_for(ray: bool = False, *, address: str | None = None, num_cpus: int | None = None) -> Any:
    """The runner a command asked for, as a context manager: `Sequential()`, or a `RayRunner` that
    starts a local Ray (`num_cpus` bounds it) or joins `address` / `RAY_ADDRESS`, and shuts down
    what it started on exit. `address` implies `ray`. Raises `RayNotInstalled` when Ray is missing."""
    if not ray and address is None:
        return Sequential()
    try:
        from placement.scaleout.ray_runner import RayRunner
    except ImportError as error:
        if (error.name or "").split(".")[0] != "ray":
            raise
        raise RayNotInstalled() from None
    return RayRunner(address=address, num_cpus=num_cpus)


__all__ = ["INSTALL_RAY", "RayNotInstalled", "runner_for"]
