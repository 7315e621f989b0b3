"""Dropping cluster options that some optimal plan provably does not need, before any model is built.

Option d *dominates* option c of the same workload when d is uncapped, one replica in d costs no
more than in c for each capacity type (a type missing in c does not count against d; a type
missing in d and offered in c does), d serves every user region c serves, and — with a churn
budget — c runs none of the workload's replicas today. Equal options are ordered by position.

Rule: c is dropped when at least K = max(minClusters, 1) options dominate it. Workloads with
`spot.maxClusterShare` are left alone.

Proof that some optimal plan uses only kept options. Dominance is a strict partial order, so in
any linear extension the i-th highest dominator of c has at most i − 1 dominators: c has at least
K *kept* dominators. Take an optimal plan that uses c. If a kept dominator d is unused, move all of
c's replicas and routes to d: the cost does not rise, d serves those users within latency, the
cluster count, on-demand/spot totals and floors are unchanged, d is uncapped, and (churn) moves do
not rise because c had nothing today. If all K kept dominators are used, merge c into one of them:
at least K clusters remain and the same holds. Repeat until no dropped option is used. ∎
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from placement.scenario import Planning
from placement.solver.allocation import replica_costs
from placement.solver.candidates import WorkloadOptions

_MIN_OPTIONS = 4  # below this, pruning saves nothing worth the arithmetic


def prune(wo: WorkloadOptions, planning: Planning, capacity_cpu: dict[str, float]) -> WorkloadOptions:
    """The workload with its dominated options dropped (the same object when nothing is dropped)."""
    w = wo.workload
    count = len(wo.options)
    if count < _MIN_OPTIONS or (w.spot_max_cluster_share is not None and w.spot_max_cluster_share < 1.0):
        return wo
    need = max(w.min_clusters, 1)
    bit = {u: 1 << i for i, u in enumerate(sorted({u for o in wo.options for u in o.serves}))}
    churn = planning.max_moves is not None
    od, sp, serves, free, empty = [], [], [], [], []
    for option in wo.options:
        a, b = replica_costs(option, w.replicas, w.egress_gb_per_hour, planning.risk_aversion)
        od.append(math.inf if a is None else a)
        sp.append(math.inf if b is None else b)
        serves.append(sum(bit[u] for u in option.serves))
        free.append(option.cluster.name not in capacity_cpu)
        current = w.current.get(option.cluster.name) if churn else None
        empty.append(current is None or current.total == 0)
    odv, spv, mask = np.array(od), np.array(sp), np.array(serves, dtype=np.int64)
    # dominates[d, c]: d dominates c
    no_worse = (odv[:, None] <= odv[None, :]) & (spv[:, None] <= spv[None, :])
    covers = (mask[:, None] & mask[None, :]) == mask[None, :]
    same = (odv[:, None] == odv[None, :]) & (spv[:, None] == spv[None, :]) & (mask[:, None] == mask[None, :])
    earlier = np.triu(np.ones((count, count), dtype=bool), 1)  # d listed before c
    dominates = no_worse & covers & (~same | earlier) & np.array(free)[:, None] & np.array(empty)[None, :]
    np.fill_diagonal(dominates, False)
    keep = dominates.sum(axis=0) < need
    if keep.all():
        return wo
    kept = tuple(o for o, k in zip(wo.options, keep, strict=True) if k)
    return WorkloadOptions(workload=w, options=kept, unplaced=wo.unplaced)


def prune_all(
    group: Sequence[WorkloadOptions], planning: Planning, capacity_cpu: dict[str, float]
) -> list[WorkloadOptions]:
    return [prune(wo, planning, capacity_cpu) for wo in group]
