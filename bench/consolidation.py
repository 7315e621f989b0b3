"""Consolidation benchmark: is a plan's node bill still what the fleet pays once Karpenter consolidates?

The NodePools a plan writes enable consolidation (`WhenEmptyOrUnderutilized`, v1alpha5
`consolidation.enabled`), so after provisioning Karpenter keeps deleting a node whose pods fit on
the other nodes, and (on-demand only: spot-to-spot replacement is behind the `SpotToSpotConsolidation`
gate, off by default, and even then needs at least 15 admitted types for a single-node replacement —
more than a plan's NodePools admit) replacing a node by one cheaper node holding the pods that do not fit
elsewhere. If that lowered the bill much, the plan's compute — the provisioning bill — would not be
what the fleet pays in steady state.

For each fleet this plans the scenario, packs every pool as the plan does (`node_plan.plan_nodes`),
then simulates single-node consolidation on each pool until nothing changes: candidates with the
fewest pods first (Karpenter's disruption cost), their pods largest first onto the other nodes
(first fit, the fullest first), a replacement only if strictly cheaper. Multi-node consolidation
(several nodes into one cheaper node) is not simulated: the bench catalogs price sizes of a family
linearly, so merging nodes into a larger size saves nothing there. It prints the plan's node bill,
the bill after consolidation and how many nodes go.

    .venv/bin/python bench/consolidation.py [--sizes 1000x20] [--catalog synthetic|embedded] [--demo]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# bench/pricing.py would shadow the `pricing` package: resolve imports from the installed packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.append(str(Path(__file__).resolve().parent))

from solve import GENERATORS, _import_backends  # noqa: E402

from placement.load.catalog import catalog_for  # noqa: E402
from placement.load.demand import resolve_demand  # noqa: E402
from placement.load.scenario import demo_scenario_path, load_scenario  # noqa: E402
from placement.solver.node_plan import plan_nodes, pool_groups  # noqa: E402
from placement.solver.node_types import NodeType  # noqa: E402
from placement.solver.packing import LaunchedNode  # noqa: E402
from placement.solver.replica_price import ReplicaPricer  # noqa: E402
from placement.solver.solve import solve  # noqa: E402

_EPS = 1e-9
Shape = tuple[float, float, tuple[str, ...]]  # cpu, memory GiB, architectures


@dataclass(frozen=True, slots=True)
class Consolidated:
    before_usd: float
    after_usd: float
    nodes_before: int
    deleted: int
    replaced: int


def consolidate(
    nodes: Sequence[LaunchedNode], shape_of: Mapping[str, Shape], admitted: Sequence[NodeType], *, replace: bool
) -> Consolidated:
    """Single-node consolidation of one pool's nodes until no node can go (module docstring)."""
    n = len(nodes)
    types: list[NodeType] = [node.node_type for node in nodes]
    free = np.array(
        [
            [t.cpu - node.cpu, t.alloc_memory_gib - node.memory_gib, t.pods - node.pod_count]
            for t, node in zip(types, nodes, strict=True)
        ]
    ).reshape(n, 3)
    arch = np.array([t.arch for t in types])
    alive = np.ones(n, dtype=bool)
    pods: list[list[Shape]] = [
        sorted((shape_of[k] for k, c in node.pods.items() for _ in range(c)), key=lambda s: (-s[0], -s[1]))
        for node in nodes
    ]
    deleted = replaced = 0
    changed = True
    while changed:
        changed = False
        for i in sorted(range(len(types)), key=lambda j: (len(pods[j]), j)):
            if not alive[i]:
                continue
            if not pods[i]:  # empty: deleted
                alive[i], deleted, changed = False, deleted + 1, True
                continue
            trial = free.copy()
            trial[i] = -1.0  # not a destination
            order = np.argsort(trial[:, 0] + trial[:, 1] / 4.0, kind="stable")  # the fullest first
            moved, left = 0, []
            for cpu, memory, arches in pods[i]:
                fits = (
                    alive[order]
                    & (trial[order, 0] >= cpu - _EPS)
                    & (trial[order, 1] >= memory - _EPS)
                    & (trial[order, 2] >= 1)
                    & np.isin(arch[order], arches)
                )
                hit = int(np.argmax(fits))
                if not fits[hit]:
                    left.append((cpu, memory, arches))
                    continue
                j = order[hit]
                trial[j] -= (cpu, memory, 1.0)
                moved += 1
            new: NodeType | None = None
            if left:
                if not replace or not moved:
                    continue
                need_cpu, need_memory = sum(p[0] for p in left), sum(p[1] for p in left)
                options = [
                    t
                    for t in admitted
                    if all(t.arch in p[2] for p in left) and t.holds(need_cpu, need_memory, len(left))
                ]
                if not options:
                    continue
                new = min(options, key=lambda t: (t.hourly_usd, t.instance_type))
                if new.hourly_usd >= types[i].hourly_usd - _EPS:
                    continue
            trial[i] = free[i]
            free = trial
            alive[i] = False
            changed = True
            if new is None:
                deleted += 1
            else:
                replaced += 1
                types.append(new)
                arch = np.append(arch, new.arch)
                used = (sum(p[0] for p in left), sum(p[1] for p in left), len(left))
                free = np.vstack([free, [new.cpu - used[0], new.alloc_memory_gib - used[1], new.pods - used[2]]])
                alive = np.append(alive, True)
                pods.append(left)
            pods[i] = []
    after = sum(t.hourly_usd for t, a in zip(types, alive, strict=True) if a)
    return Consolidated(sum(node.node_type.hourly_usd for node in nodes), after, n, deleted, replaced)


def run(scenario, label: str) -> None:
    catalog = catalog_for(scenario).catalog
    _import_backends()
    plan = solve(scenario, catalog)
    pricer = ReplicaPricer(catalog, overhead_factor=scenario.planning.overhead_factor)
    started = time.perf_counter()
    packed = plan_nodes(scenario, plan.assignments, pricer.node_types, hints=True)
    groups = pool_groups(scenario, plan.assignments)
    before = after = 0.0
    nodes = deleted = replaced = 0
    for pool, nodes_of in sorted(packed.pools.items()):
        shape_of = {g.key: (g.cpu, g.memory_gib, tuple(g.arches)) for g in groups[pool]}
        result = consolidate(nodes_of.packing.nodes, shape_of, nodes_of.admitted, replace=pool[1] == "on-demand")
        before += result.before_usd
        after += result.after_usd
        nodes += result.nodes_before
        deleted += result.deleted
        replaced += result.replaced
    seconds = time.perf_counter() - started
    print(
        f"{label:>22} {nodes:7d} {before:12.4f} {plan.hourly_usd.compute:12.4f} {after:12.4f} "
        f"{after / before - 1 if before else 0.0:+9.2%} {deleted:8d} {replaced:9d} {seconds:7.1f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000x20")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--catalog", default="synthetic", choices=sorted(GENERATORS))
    parser.add_argument("--demo", action="store_true", help="also the packaged demo fleet")
    args = parser.parse_args()
    print(
        f"{'fleet':>22} {'nodes':>7} {'packed $/h':>12} {'plan compute':>12} {'consolidated':>12} "
        f"{'change':>9} {'deleted':>8} {'replaced':>9} {'sim s':>7}"
    )
    if args.demo:
        run(resolve_demand(load_scenario(demo_scenario_path())), "demo")
    for size in args.sizes.split(","):
        workloads, clusters = (int(x) for x in size.split("x"))
        with tempfile.TemporaryDirectory() as tmp:
            path = GENERATORS[args.catalog](Path(tmp), workloads, clusters, args.seed, 0.1)
            run(load_scenario(path), f"{args.catalog} {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
