"""`placement whatif --sweep`: a grid of plans (sequential, or as Ray tasks with `--ray`), each with
its $/h, p95 RTT, expected spot reclaims and spot share, marked where it lies on a Pareto frontier
(cost vs latency, cost vs reclaims). A point that fails prints its reason; the others still print."""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
from collections.abc import Sequence
from typing import Any

from placement.cli.fanout import report_failures, runner_from_args, task_progress


def run_sweep(
    scenario: Any, catalog: Any, axes: Sequence[tuple[str, list[float]]], applied: list[str], args: argparse.Namespace
) -> int:
    from placement import scaleout
    from placement.simulate.whatif import grid_values

    total = len(grid_values([values for _, values in axes]))
    with runner_from_args(args) as runner, task_progress(total, f"solving {total} what-if plans") as tick:
        fanout = scaleout.grid_sweep(
            scenario, catalog, axes, time_limit_s=args.time_limit, backend=args.backend, runner=runner, progress=tick
        )
    names = [name for name, _ in axes]
    rows = sweep_rows(fanout, names)
    if args.output == "json":
        payload = {
            "scenario": scenario.name,
            "transforms": applied,
            "parameters": names,
            "points": rows,
            "failed": [{"point": o.label, "error": o.error} for o in fanout.failed],
        }
        sys.stdout.write(json.dumps(payload, indent=1) + "\n")
    else:
        sys.stdout.write(
            sweep_table(
                rows,
                names,
                f"what-if sweep on {scenario.name}: {total} plans"
                + (f" after {'; '.join(applied)}" if applied else ""),
            )
        )
    return report_failures(fanout.failed)


def sweep_rows(fanout: Any, names: list[str]) -> list[dict[str, Any]]:
    """One row per solved point, in grid order; `frontier` names the Pareto frontiers it is on."""
    from placement.scaleout import pareto

    points = fanout.succeeded
    on_latency = {id(p) for p in pareto(points, x=lambda p: p.p95_rtt_ms, y=lambda p: p.hourly_usd)}
    on_risk = {id(p) for p in pareto(points, x=lambda p: p.reclaims_per_day, y=lambda p: p.hourly_usd)}
    rows = []
    for p in points:
        frontier = [name for name, front in (("latency", on_latency), ("risk", on_risk)) if id(p) in front]
        rows.append(
            {
                **dict(zip(names, p.value, strict=True)),
                "hourlyUsd": round(p.hourly_usd, 6),
                "p95RttMs": None if math.isnan(p.p95_rtt_ms) else round(p.p95_rtt_ms, 3),
                "reclaimsPerDay": round(p.reclaims_per_day, 6),
                "spotShare": round(p.spot_share, 6),
                "unplaced": p.unplaced,
                "frontier": frontier,
            }
        )
    return rows


def sweep_table(rows: list[dict[str, Any]], names: list[str], title: str) -> str:
    from rich.table import Table

    from placement.report.console import plain_console

    buffer = io.StringIO()
    table = Table(title=title, title_justify="left")
    for header in (*names, "$/h", "p95 RTT ms", "reclaims/day", "spot share", "unplaced", "Pareto"):
        table.add_column(header, justify="right")
    for r in rows:
        table.add_row(
            *(f"{r[n]:g}" for n in names),
            f"{r['hourlyUsd']:,.4f}",
            "-" if r["p95RttMs"] is None else f"{r['p95RttMs']:.1f}",
            f"{r['reclaimsPerDay']:.2f}",
            f"{r['spotShare']:.1%}",
            str(r["unplaced"]),
            ",".join(r["frontier"]),
        )
    plain_console(buffer, width=140).print(table)
    return buffer.getvalue()
