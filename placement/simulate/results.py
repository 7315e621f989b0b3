"""What a simulation measured, per strategy, and the comparison rows built from it.

Cost accounting (the same for every strategy, see `engine`): `cost_usd` = compute (the node bill:
each hour, every pool's running replicas packed onto whole nodes at that hour's prices, billed in
whole node-hours) + egress (served traffic × GB per replica-hour × the cloud's $/GB) + unserved
(replica-hours of demand not served × the workload's priciest allowed on-demand fluid replica price
× the penalty factor: about what serving it on demand would have cost). Savings and oracle ratios
compare `cost_usd`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from placement.errors import PlacementError
from placement.simulate.protocol import Placement


class OracleBoundViolation(PlacementError):
    """A strategy cost less than the clairvoyant oracle: the simulation's accounting is inconsistent."""

    exit_code = 1


@dataclass(frozen=True, slots=True, eq=False)
class LatencySamples:
    """Served traffic and its RTT: one entry per (hour, workload, user region, cluster, phase)."""

    rtt_ms: np.ndarray
    weight: np.ndarray  # replica-hours of traffic served at that RTT
    user: np.ndarray  # user region name (object array)
    beyond_limit: np.ndarray  # bool: RTT above the workload's latencyMs

    def percentile(self, q: float, user: str | None = None) -> float:
        """Weighted q-th percentile (0–100) of RTT over served traffic (NaN without samples)."""
        mask = np.ones(len(self.rtt_ms), dtype=bool) if user is None else self.user == user
        return weighted_percentile(self.rtt_ms[mask], self.weight[mask], q)


def weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight reaches q% of the total (NaN when empty)."""
    keep = weights > 0
    if not keep.any():
        return float("nan")
    order = np.argsort(values[keep], kind="stable")
    v, w = values[keep][order], weights[keep][order]
    cumulative = np.cumsum(w)
    index = int(np.searchsorted(cumulative, q / 100.0 * cumulative[-1] - 1e-12))
    return float(v[min(index, len(v) - 1)])


@dataclass(frozen=True, slots=True, eq=False)
class StrategyResult:
    """One strategy's run: hourly costs, service, latency, residency and churn."""

    name: str
    compute_usd: np.ndarray  # per hour
    egress_usd: np.ndarray
    unserved_usd: np.ndarray
    slots: int  # workload-hours
    served_slots: int  # workload-hours with all demand served
    demand_replica_hours: float
    unserved_replica_hours: float
    latency: LatencySamples
    residency_violations: int  # workload-hours with replicas outside the workload's residency
    reclaimed_replicas: int  # spot replicas lost to interruptions
    launched_replicas: int  # replicas started (churn), autoscaler included
    replica_hours: float
    spot_replica_hours: float
    solves: int = 0
    placements: tuple[Placement, ...] = field(default=())  # realized placement per hour
    unserved_by_workload: Mapping[str, np.ndarray] = field(default_factory=dict)  # replica-hours short per hour
    node_hours: float = 0.0  # whole node-hours billed (Σ over hours of the nodes launched)
    # the same replicas at fluid replica prices, per hour: a diagnostic of what whole nodes add, never the cost
    fluid_compute_usd: np.ndarray | None = None

    @property
    def hourly_usd(self) -> np.ndarray:
        return self.compute_usd + self.egress_usd + self.unserved_usd

    @property
    def cost_usd(self) -> float:
        return float(self.hourly_usd.sum())

    @property
    def served_share(self) -> float:
        """Fraction of workload-hours whose whole demand was served."""
        return self.served_slots / self.slots if self.slots else 1.0

    @property
    def p95_latency_ms(self) -> float:
        return self.latency.percentile(95)

    @property
    def latency_violation_share(self) -> float:
        """Fraction of served traffic that went beyond its workload's latencyMs (spill-over)."""
        total = float(self.latency.weight.sum())
        return float(self.latency.weight[self.latency.beyond_limit].sum()) / total if total else 0.0

    @property
    def spot_share(self) -> float:
        return self.spot_replica_hours / self.replica_hours if self.replica_hours else 0.0


@dataclass(frozen=True, slots=True, eq=False)
class SimulationResult:
    """Every strategy's result for one run, and how they compare."""

    scenario: str
    hours: int
    strategies: Mapping[str, StrategyResult]
    interruption_events: tuple[tuple[int, str], ...] = ()

    def __getitem__(self, name: str) -> StrategyResult:
        try:
            return self.strategies[name]
        except KeyError:
            raise KeyError(f"no strategy {name!r} in this run (have {', '.join(self.strategies)})") from None

    def savings_vs(self, name: str, baseline: str = "static") -> float:
        """Fraction of the baseline's cost that `name` saves."""
        base = self[baseline].cost_usd
        return (base - self[name].cost_usd) / base if base > 0 else 0.0

    def check_oracle_bound(self, oracle: str = "oracle", *, rel_tol: float = 1e-6) -> None:
        """Raise `OracleBoundViolation` if any strategy cost less than the oracle."""
        if oracle not in self.strategies:
            return
        floor = self[oracle].cost_usd
        below = [
            (n, r.cost_usd) for n, r in self.strategies.items() if n != oracle and r.cost_usd < floor * (1 - rel_tol)
        ]
        if below:
            shown = ", ".join(f"{n} ${c:,.2f}" for n, c in below)
            raise OracleBoundViolation(f"{shown} below the oracle's ${floor:,.2f}: the oracle must be a lower bound")

    def rows(self, *, baseline: str = "static", oracle: str = "oracle") -> list[dict[str, Any]]:
        """One row per strategy: the comparison table (keys as in `placement simulate -o json`)."""
        base = self.strategies.get(baseline)
        bound = self.strategies.get(oracle)
        rows = []
        for name, r in self.strategies.items():
            rows.append(
                {
                    "strategy": name,
                    "cost_usd": round(r.cost_usd, 2),
                    "savings_vs_static": None if base is None else round(self.savings_vs(name, baseline), 4),
                    "served_slots": round(r.served_share, 6),
                    "p95_latency_ms": None if np.isnan(r.p95_latency_ms) else round(r.p95_latency_ms, 1),
                    "residency_violations": r.residency_violations,
                    "vs_oracle": None
                    if bound is None or bound.cost_usd <= 0
                    else round(r.cost_usd / bound.cost_usd, 4),
                }
            )
        return rows

    def hourly_frame(self) -> Any:
        """Long pandas frame: strategy, hour, compute_usd, egress_usd, unserved_usd, total_usd."""
        import pandas as pd

        parts = [
            pd.DataFrame(
                {
                    "strategy": n,
                    "hour": np.arange(len(r.compute_usd)),
                    "compute_usd": r.compute_usd,
                    "egress_usd": r.egress_usd,
                    "unserved_usd": r.unserved_usd,
                    "total_usd": r.hourly_usd,
                }
            )
            for n, r in self.strategies.items()
        ]
        return pd.concat(parts, ignore_index=True)


def format_rows(rows: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Rows as display strings (money, percentages, ratios) in the table's column order."""

    def pct(value: float | None, digits: int = 1) -> str:
        return "—" if value is None else f"{100 * value:.{digits}f}%"

    out = []
    for row in rows:
        out.append(
            [
                str(row["strategy"]),
                f"${row['cost_usd']:,.2f}",
                pct(row["savings_vs_static"]),
                pct(row["served_slots"], 3),
                "—" if row["p95_latency_ms"] is None else f"{row['p95_latency_ms']:.0f} ms",
                str(row["residency_violations"]),
                "—" if row["vs_oracle"] is None else f"{row['vs_oracle']:.3f}×",
            ]
        )
    return out


TABLE_COLUMNS = (
    "strategy",
    "cost",
    "savings vs static",
    "slots fully served",
    "p95 latency",
    "residency violations",
    "cost / oracle",
)

__all__ = [
    "TABLE_COLUMNS",
    "LatencySamples",
    "OracleBoundViolation",
    "SimulationResult",
    "StrategyResult",
    "format_rows",
    "weighted_percentile",
]
