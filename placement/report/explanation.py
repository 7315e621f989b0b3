"""Rendering an `Explanation` (placement.analysis.explain) as JSON for machines and a report for people."""

from __future__ import annotations

import io
from typing import Any

from placement.analysis.explain import Choice, Explanation, Flip, ReplicaCost
from placement.report.console import plain_console


def flip_text(flip: Flip | None) -> str:
    """``if aws-eu-west-1 spot prices rose by 18% (to $0.0410/replica-h), gcp-europe-west4 would win (+7 spot)``."""
    if flip is None:
        return ""
    if flip.multiplier is None:
        return flip.held_by
    percent = (flip.multiplier - 1.0) * 100
    shown = f"{percent:.0f}" if percent >= 10 else f"{percent:.1f}"
    head = (
        f"if {flip.cluster} {flip.capacity_type} prices rose by {shown}% "
        f"(to ${flip.price_per_replica_usd:.4f}/replica-h)"
    )
    if not flip.gains:
        return f"{head}, it would lose replicas there without another cluster gaining"
    winners = ", ".join(f"{cluster} (+{n} {kind})" for cluster, kind, n in flip.gains)
    verb = "would win" if len(flip.gains) == 1 else "would take them"
    return f"{head}, {winners} {verb}"


def _cost_json(cost: ReplicaCost) -> dict[str, Any]:
    return {
        "cluster": cost.cluster,
        "capacityType": cost.capacity_type,
        "instanceType": cost.instance_type,
        "perReplicaHourlyUsd": {
            "compute": round(cost.compute, 6),
            "egress": round(cost.egress, 6),
            "risk": round(cost.risk, 6),
            "total": round(cost.total, 6),
        },
        "rttMs": {u: round(ms, 1) for u, ms in cost.rtt_ms.items()},
    }


def _choice_json(choice: Choice) -> dict[str, Any]:
    flip = choice.flip
    change = None
    if flip is not None:
        change = {
            "multiplier": None if flip.multiplier is None else round(flip.multiplier, 6),
            "pricePerReplicaHourlyUsd": None
            if flip.price_per_replica_usd is None
            else round(flip.price_per_replica_usd, 6),
            "gains": [{"cluster": c, "capacityType": k, "replicas": n} for c, k, n in flip.gains],
            "heldBy": flip.held_by or None,
            "text": flip_text(flip),
        }
    return {
        **_cost_json(choice.cost),
        "replicas": choice.replicas,
        "alternative": None if choice.rival is None else _cost_json(choice.rival),
        "why": choice.why,
        "whatWouldChange": change,
    }


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    e = explanation
    return {
        "kind": "Explanation",
        "workload": e.workload,
        "placed": e.placed,
        "replicas": e.replicas,
        "hourlyUsd": round(e.hourly_usd, 6),
        "chosen": [_choice_json(c) for c in e.choices],
        "allowedNotChosen": [_cost_json(c) for c in e.unused],
        "excluded": [{"cluster": x.cluster, "rules": list(x.rules), "reasons": list(x.reasons)} for x in e.excluded],
        "unplaced": None if e.placed else {"reason": e.unplaced_reason, "rules": list(e.unplaced_rules)},
    }


def explanation_text(explanation: Explanation, *, width: int = 120, color: bool = False) -> str:
    from rich.table import Table
    from rich.text import Text

    e = explanation
    buffer = io.StringIO()
    console = plain_console(buffer, width=width, color=color)
    if not e.placed:
        console.print(Text.assemble((e.workload, "bold"), f" is not placed: {e.unplaced_reason}"), soft_wrap=True)
    else:
        console.print(
            Text.assemble(
                (e.workload, "bold"),
                f": {e.replicas} replicas in "
                f"{len({c.cost.cluster for c in e.choices})} cluster(s), ${e.hourly_usd:.4f}/h compute",
            )
        )
        table = Table(title="chosen (objective $/replica-h: compute + egress + spot risk)", title_justify="left")
        for header, justify in (
            ("cluster", "left"),
            ("type", "left"),
            ("replicas", "right"),
            ("compute", "right"),
            ("egress", "right"),
            ("risk", "right"),
            ("total", "right"),
            ("why", "left"),
        ):
            table.add_column(header, justify=justify)  # type: ignore[arg-type]
        for c in e.choices:
            table.add_row(
                c.cost.cluster,
                c.cost.capacity_type,
                str(c.replicas),
                f"{c.cost.compute:.4f}",
                f"{c.cost.egress:.4f}",
                f"{c.cost.risk:.4f}",
                f"{c.cost.total:.4f}",
                c.why,
            )
        console.print(table)
        console.print("what would change it", style="bold")
        for c in e.choices:
            console.print(f"  {c.cost.cluster} {c.cost.capacity_type}: {flip_text(c.flip)}", soft_wrap=True)
        if e.unused:
            table = Table(title="allowed, not chosen", title_justify="left")
            for header in ("cluster", "type", "instance type", "total $/replica-h", "RTT ms"):
                table.add_column(header)
            for cost in e.unused:
                rtts = ", ".join(f"{u} {ms:.0f}" for u, ms in cost.rtt_ms.items()) or "-"
                table.add_row(cost.cluster, cost.capacity_type, cost.instance_type, f"{cost.total:.4f}", rtts)
            console.print(table)
    if e.excluded:
        console.print("excluded", style="bold")
        for x in e.excluded:
            console.print(
                f"  {x.cluster}: " + "; ".join(f"{r}: {t}" for r, t in zip(x.rules, x.reasons, strict=True)),
                soft_wrap=True,
            )
    return buffer.getvalue()
