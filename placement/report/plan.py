"""Rendering a Plan for people (a table) and machines (JSON, YAML). Kept out of `solve`."""

from __future__ import annotations

import io
import json

import yaml

from placement.plan import Plan
from placement.report.console import plain_console


def to_json_text(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2) + "\n"


def to_yaml_text(plan: Plan) -> str:
    return yaml.safe_dump(plan.to_json(), sort_keys=False)


def to_table_text(plan: Plan, *, width: int = 120, color: bool = False) -> str:
    """A readable report: assignments, unplaced workloads, costs, solver status and price dates."""
    from rich.table import Table

    buffer = io.StringIO()
    console = plain_console(buffer, width=width, color=color)
    table = Table(title=f"placement plan: {plan.scenario}", title_justify="left")
    for header, justify in (
        ("workload", "left"),
        ("cluster", "left"),
        ("region", "left"),
        ("on-demand", "right"),
        ("spot", "right"),
        ("instance types (od / spot)", "left"),
        ("$/h", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    previous = None
    for a in sorted(plan.assignments, key=lambda a: (a.workload, a.cluster)):
        types = " / ".join(a.instance_types.get(k, "-") for k in ("on-demand", "spot"))
        table.add_row(
            a.workload if a.workload != previous else "",
            a.cluster,
            f"{a.cloud}/{a.region}",
            str(a.on_demand),
            str(a.spot),
            types,
            f"{a.hourly_usd:.4f}",
        )
        previous = a.workload
    console.print(table)
    if plan.nodes:
        console.print(_nodes_table(plan))
    if plan.unplaced:
        console.print(f"unplaced ({len(plan.unplaced)})", style="bold")
        for u in plan.unplaced:
            console.print(f"  {u.workload}: {u.reason}", soft_wrap=True)
    cost = plan.hourly_usd
    replicas = sum(a.replicas for a in plan.assignments)
    spot = sum(a.spot for a in plan.assignments)
    console.print(
        f"$/h before → after: {cost.before:.2f} → {cost.after:.2f}   savings {plan.savings():.1%}   "
        f"(compute {cost.compute:.2f} = the node bill, egress {cost.egress:.2f}, spot risk {cost.risk:.2f})"
    )
    if plan.before_basis:
        console.print(f"before: {plan.before_basis}")
    console.print(
        f"replicas {replicas} ({spot} spot), moves {plan.moves}, workloads placed "
        f"{len({a.workload for a in plan.assignments})}, unplaced {len(plan.unplaced)}"
    )
    s = plan.solver
    # `status` is the allocation model's (replicas on fluid prices); the gap is the node-true
    # objective's against the node-aware bound, so it also counts packing loss (docs/solver.md)
    allocation = s.status
    if s.model_objective is not None and s.model_bound is not None:
        model_gap = max(s.model_objective - s.model_bound, 0.0) / max(abs(s.model_objective), 1e-9)
        allocation += f" (model gap {model_gap:.3%})"
    console.print(
        f"solver {s.backend}: allocation {allocation}, {s.seconds:.2f} s; node-true objective "
        f"{s.objective:.4f} vs node-aware bound {s.bound:.4f}: gap {s.gap:.3%}",
        soft_wrap=True,
    )
    dates = ", ".join(f"{cloud} {when}" for cloud, when in plan.prices_as_of.items()) or "none"
    console.print(f"prices as of: {dates}")
    for warning in plan.warnings:
        console.print(f"warning: {warning}", soft_wrap=True)
    return buffer.getvalue()


def _nodes_table(plan: Plan):
    """Whole nodes per cluster and capacity type: what the fleet pays for, and how full they are."""
    from rich.table import Table

    table = Table(title="nodes (the node bill)", title_justify="left")
    for header, justify in (
        ("cluster", "left"),
        ("capacity", "left"),
        ("instance type", "left"),
        ("nodes", "right"),
        ("cpu used", "right"),
        ("memory used", "right"),
        ("pods used", "right"),
        ("$/h", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    previous = None
    for n in sorted(plan.nodes, key=lambda n: (n.cluster, n.capacity_type, n.instance_type)):
        table.add_row(
            n.cluster if n.cluster != previous else "",
            n.capacity_type,
            n.instance_type,
            str(n.count),
            f"{n.cpu_utilisation:.0%}",
            f"{n.memory_utilisation:.0%}",
            f"{n.pod_utilisation:.0%}",
            f"{n.hourly_usd:.4f}",
        )
        previous = n.cluster
    table.add_row(
        "total",
        "",
        "",
        str(sum(n.count for n in plan.nodes)),
        "",
        "",
        "",
        f"{sum(n.hourly_usd for n in plan.nodes):.4f}",
    )
    return table
