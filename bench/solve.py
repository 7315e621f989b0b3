"""Solve benchmark: generated fleets with explicit price files and latency matrices.

For each size, in a fresh child process (so peak memory is that size's own), it prints: scenario
generation + load seconds, solve wall seconds and CPU seconds (CPU is robust to the machine being
shared; wall is what the target is about; OR-Tools' own imports, ≈ 0.2 s once per process, are
done before timing), plan cost, best bound, gap and status, and — in the same
run — the cost of the greedy cheapest-first baseline on the same scenario (and how many workloads
each leaves unplaced, "unplaced p/g": a plan that places more may cost more), and the child's peak RSS.

Node-true (model v2): the plan's objective is its node bill (+ egress + risk), the bound node-aware,
the greedy baseline packed on whole nodes too, and every plan goes through the provisioning check
(the Karpenter simulation on the NodePools it writes). Targets (2 cores): 1,000 × 20 within 2 s at
≤ 0.5 % above the best bound; 10,000 × 60 within 60 s at ≤ 1 % with peak memory ≤ 4 GiB; 5,000 × 40
within 60 s at ≤ 1 %; every pod lands and the node bill is within 5 % of the plan's compute.

    .venv/bin/python bench/solve.py [--sizes 100x10,1000x20,5000x40,10000x60] [--seed 7] [--caps 0.1]
                                    [--backend scip|highs|cp-sat] [--time-limit 60] [--validate]
                                    [--catalog synthetic|embedded]

`--catalog embedded` plans fleets on real regions and the embedded AWS / GCP / Azure catalogs
(hundreds of instance types per pool, nodes up to 192 vCPUs, 26–737 pod slots), where the packing
and the bound's knapsacks work much harder than on the synthetic 6-type catalog.
"""

from __future__ import annotations

import argparse
import csv
import math
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

# bench/pricing.py would shadow the `pricing` package: resolve imports from the installed packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from placement.analysis.provisioning import check_provisioning  # noqa: E402
from placement.analysis.validate import check  # noqa: E402
from placement.geo.jurisdictions import EU_MEMBERS  # noqa: E402
from placement.load.catalog import catalog_for  # noqa: E402
from placement.load.scenario import load_scenario  # noqa: E402
from placement.patches.build import to_patches  # noqa: E402
from placement.plan import Assignment  # noqa: E402
from placement.solver.candidates import all_options  # noqa: E402
from placement.solver.greedy import greedy  # noqa: E402
from placement.solver.milp import BACKENDS  # noqa: E402
from placement.solver.node_plan import plan_nodes  # noqa: E402
from placement.solver.replica_price import ReplicaPricer  # noqa: E402
from placement.solver.solve import solve  # noqa: E402

COUNTRIES = ["DE", "FR", "IE", "NL", "SE", "US", "US", "US", "CA", "GB", "JP", "SG", "AU", "BR", "IN"]
SHAPES = [(0.25, 0.5), (0.5, 1), (1, 2), (1, 4), (2, 4), (2, 8), (4, 8), (4, 16)]
TYPES = [("std-2", 2, 8), ("std-4", 4, 16), ("std-8", 8, 32), ("cpu-4", 4, 8), ("cpu-8", 8, 16), ("mem-4", 4, 32)]
USERS = [("eu", 50.1, 8.7), ("us-east", 38.9, -77.0), ("us-west", 37.8, -122.4), ("asia", 1.35, 103.8)]


def generate(directory: Path, workloads: int, clusters: int, seed: int, cap_share: float) -> Path:
    rng = random.Random(seed)
    names, rows, coords = [], [], {}
    for index in range(clusters):
        cloud = ("cloud-a", "cloud-b", "cloud-c")[index % 3]
        region = f"r{index}"
        name = f"{cloud}-{region}"
        country = COUNTRIES[index % len(COUNTRIES)]
        names.append((name, cloud, region, country))
        base = USERS[index % len(USERS)]
        coords[name] = (base[1] + rng.uniform(-8, 8), base[2] + rng.uniform(-12, 12))
        scale = rng.uniform(0.7, 1.4)
        for type_name, vcpus, memory in TYPES:
            od = (0.035 * vcpus + 0.0045 * memory) * scale * rng.uniform(0.95, 1.08)
            rows.append([cloud, region, type_name, "on-demand", vcpus, memory, round(od, 5)])
            rows.append([cloud, region, type_name, "spot", vcpus, memory, round(od * rng.uniform(0.25, 0.5), 5)])
    with (directory / "offers.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["cloud", "region", "instance_type", "capacity_type", "vcpus", "memory_gib", "hourly_usd"])
        writer.writerows(rows)
    matrix = {}
    for user, lat, lon in USERS:
        matrix[user] = {}
        for name, *_ in names:
            clat, clon = coords[name]
            km = 6371 * math.acos(
                min(
                    1,
                    max(
                        -1,
                        math.sin(math.radians(lat)) * math.sin(math.radians(clat))
                        + math.cos(math.radians(lat))
                        * math.cos(math.radians(clat))
                        * math.cos(math.radians(lon - clon)),
                    ),
                )
            )
            matrix[user][name] = round(5 + km / 100 * 1.6, 1)
    capped = set(rng.sample([n for n, *_ in names], max(1, int(cap_share * clusters)))) if cap_share else set()
    cluster_docs = [
        {
            "name": n,
            "cloud": c,
            "region": r,
            "country": k,
            "autoscaler": "none",
            **({"capacity": {"cpu": rng.choice([200, 400, 800])}} if n in capped else {}),
        }
        for n, c, r, k in names
    ]
    workload_docs = []
    for index in range(workloads):
        cpu, memory = rng.choice(SHAPES)
        replicas = rng.randint(1, 30)
        rule = rng.random()
        doc = _workload_doc(rng, index, 50, cpu, memory, replicas, [n for n, *_ in names])
        if rule < 0.3:
            doc["residency"] = ["EU"]
        elif rule < 0.5:
            doc["residency"] = ["US"]
        if rng.random() < 0.6:
            doc |= _traffic(rng, [u for u, *_ in USERS], 3)
        workload_docs.append(doc)
    return _write_scenario(
        directory,
        f"gen-{workloads}",
        {
            "prices": {"source": "file", "file": "offers.csv"},
            "userRegions": [{"name": u, "lat": lat, "lon": lon} for u, lat, lon in USERS],
            "latency": {"matrixMs": matrix},
            "clusters": cluster_docs,
            "workloads": workload_docs,
        },
    )


def _workload_doc(
    rng: random.Random, index: int, namespaces: int, cpu: float, memory: float, replicas: int, clusters: list[str]
) -> dict:
    """A workload's common fields (both generators): spot share, floor, spread and today's cluster."""
    return {
        "name": f"w{index}",
        "namespace": f"ns{index % namespaces}",
        "resources": {"cpu": cpu, "memory": f"{memory}Gi"},
        "demand": {"replicas": replicas},
        "spot": {"maxFraction": rng.choice([0, 0.5, 0.8, 1.0])},
        "minAvailable": rng.randint(0, replicas // 3),
        "minClusters": rng.choice([1, 1, 2, 3]),
        "current": {rng.choice(clusters): {"onDemand": replicas}},
    }


def _traffic(rng: random.Random, users: list[str], most: int) -> dict:
    """A workload's users (1 to `most` of them, shares summing to 1) and its latency rule."""
    chosen = rng.sample(users, rng.randint(1, most))
    shares = [rng.random() + 0.1 for _ in chosen]
    rounded = [round(x / sum(shares), 3) for x in shares[:-1]]
    return {
        "users": dict(zip(chosen, [*rounded, round(1 - sum(rounded), 6)], strict=True)),
        "latencyMs": rng.choice([80, 120, 200]),
    }


def _write_scenario(directory: Path, name: str, spec: dict) -> Path:
    """scenario.yaml in `directory`: a Scenario with a 60 s time limit and this spec."""
    scenario = {
        "apiVersion": "placement.dev/v1alpha1",
        "kind": "Scenario",
        "metadata": {"name": name},
        "spec": {"planning": {"timeLimitSeconds": 60}, **spec},
    }
    path = directory / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


REAL_SHAPES = [(0.1, 0.125), (0.25, 0.5), (0.5, 1), (0.5, 2), (1, 1), (1, 2), (1, 4), (2, 4), (2, 8), (3, 6), (4, 8)]
REAL_SHAPES += [(4, 16), (6, 12), (8, 32)]
REAL_USERS = {"eu": (51.5, -0.1), "us-east": (38.9, -77.0), "us-west": (37.8, -122.4), "asia": (1.35, 103.8)}


def generate_embedded(directory: Path, workloads: int, clusters: int, seed: int, cap_share: float) -> Path:
    """A fleet on real clouds and regions, priced from the embedded catalogs (hundreds of instance
    types per pool, each platform's allocatable and pod slots), with each platform's autoscaler
    (Karpenter v1 / v1beta1 / v1alpha5 on AWS, GKE, AKS or Karpenter on Azure), latency estimated
    from the region coordinates, multi-arch images on a fifth of the workloads, and residency whose
    users are inside it (so most rules can be met)."""
    from pricing.embedded import load_embedded_catalog
    from pricing.regions import region_table

    rng = random.Random(seed)
    offers: dict[tuple[str, str], set[str]] = {}
    for offer in load_embedded_catalog():
        offers.setdefault((offer.cloud, offer.region), set()).add(str(offer.capacity_type))
    regions = [r for r in region_table() if len(offers.get((r.cloud, r.name), ())) == 2]
    groups = {
        "EU": [r for r in regions if r.country in EU_MEMBERS],
        "US": [r for r in regions if r.country == "US"],
        "other": [r for r in regions if r.country not in EU_MEMBERS and r.country != "US"],
    }
    for rows in groups.values():
        rng.shuffle(rows)
    docs, where = [], {}
    for index in range(clusters):
        group = ("EU", "US", "other")[index % 3]
        row = groups[group][(index // 3) % len(groups[group])]
        name = f"{row.cloud}-{row.name}-{index}"
        where[name] = group
        autoscaler = {
            "aws": rng.choice(["karpenter/v1", "karpenter/v1", "karpenter/v1beta1", "karpenter/v1alpha5"]),
            "gcp": "gke",
            "azure": rng.choice(["aks", "karpenter/v1"]),
        }[row.cloud]
        doc = {"name": name, "cloud": row.cloud, "region": row.name, "autoscaler": autoscaler}
        if cap_share and rng.random() < cap_share:
            doc["capacity"] = {"cpu": rng.choice([200, 400, 800])}
        docs.append(doc)
    workload_docs = []
    for index in range(workloads):
        cpu, memory = rng.choice(REAL_SHAPES)
        replicas = rng.randint(1, 30)
        rule = rng.random()
        residency, users = (
            (["EU"], ["eu"])
            if rule < 0.25
            else (["US"], ["us-east", "us-west"])
            if rule < 0.4
            else (None, list(REAL_USERS))
        )
        allowed = [d["name"] for d in docs if residency is None or where[d["name"]] == residency[0]]
        doc = _workload_doc(rng, index, 40, cpu, memory, replicas, allowed or [d["name"] for d in docs])
        if residency:
            doc["residency"] = residency
        if rng.random() < 0.2:
            doc["architectures"] = ["amd64", "arm64"]
        if rng.random() < 0.5:
            doc |= _traffic(rng, users, len(users))
        if rng.random() < 0.3:
            doc["egressGbPerHour"] = round(rng.uniform(0.1, 3.0), 2)
        workload_docs.append(doc)
    return _write_scenario(
        directory,
        f"embedded-{workloads}",
        {
            "prices": {"source": "embedded"},
            "userRegions": [{"name": u, "lat": lat, "lon": lon} for u, (lat, lon) in REAL_USERS.items()],
            "clusters": docs,
            "workloads": workload_docs,
        },
    )


GENERATORS = {"synthetic": generate, "embedded": generate_embedded}


def greedy_cost(scenario, catalog) -> tuple[float, int]:
    """The greedy baseline's node bill $/h (its replicas packed on whole nodes like the plan's) and how
    many workloads it leaves unplaced (rules included)."""
    pricer = ReplicaPricer(catalog, overhead_factor=scenario.planning.overhead_factor)
    every = all_options(scenario, pricer)
    options = [o for o in every if o.unplaced is None and o.workload.replicas > 0]
    capacity = {c.name: c.capacity_cpu for c in scenario.clusters if c.capacity_cpu is not None}
    lost = sum(o.unplaced is not None for o in every)
    assignments = []
    for wo, placement in zip(options, greedy(options, scenario.planning, capacity), strict=True):
        if placement is None:
            lost += 1
            continue
        for name, (od, sp) in placement.replicas.items():
            cluster = scenario.cluster(name)
            assignments.append(Assignment(wo.workload.key, name, cluster.cloud, cluster.region, od, sp, {}, 0.0))
    return plan_nodes(scenario, assignments, pricer.node_types).hourly_usd, lost


TARGETS = {"1000x20": (2.0, 0.005, None), "5000x40": (60.0, 0.01, None), "10000x60": (60.0, 0.01, 4096.0)}


def _import_backends() -> None:
    """Load the OR-Tools backends the solver imports lazily (≈ 0.2 s once per process), so solve
    seconds are the solve's, as in any process that plans more than once."""
    from ortools.linear_solver import pywraplp  # noqa: F401
    from ortools.math_opt import model_pb2, parameters_pb2, result_pb2  # noqa: F401
    from ortools.math_opt.core.python import solver  # noqa: F401
    from ortools.sat.python import cp_model  # noqa: F401


def run_size(
    size: str, seed: int, caps: float, backend: str, time_limit_s: float, validate: bool, catalog: str = "synthetic"
) -> dict:
    """Generate, load and solve one size (meant to run in its own process)."""
    workloads, clusters = (int(x) for x in size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        scenario = load_scenario(GENERATORS[catalog](Path(tmp), workloads, clusters, seed, caps))
        catalog = catalog_for(scenario).catalog
        built = time.perf_counter() - started
        _import_backends()
        cpu_started, started = time.process_time(), time.perf_counter()
        plan = solve(scenario, catalog, time_limit_s=time_limit_s, backend=backend)
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
        baseline, baseline_lost = greedy_cost(scenario, catalog)
        report = check_provisioning(plan, scenario, catalog, to_patches(plan, scenario))
        violations = [str(v) for v in check(plan, scenario, catalog)] if validate else []
    s = plan.solver
    model_gap = 0.0 if not s.model_objective else (s.model_objective - (s.model_bound or 0.0)) / s.model_objective
    return {
        "built": built,
        "seconds": seconds,
        "cpu_s": cpu_s,
        "objective": s.objective,
        "bound": s.bound,
        "gap": s.gap,
        "model_gap": model_gap,
        "compute": plan.hourly_usd.compute,
        "nodes": sum(n.count for n in plan.nodes),
        "status": s.status,
        "greedy": baseline,
        "greedy_lost": baseline_lost,
        "unplaced": len(plan.unplaced),
        "violations": violations + list(report.violations),
        "pods": report.pods,
        "landed": report.landed,
        "bill_ratio": report.bill_ratio,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100x10,1000x20,5000x40,10000x60")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--caps", type=float, default=0.1, help="share of clusters with a CPU cap (couples workloads)")
    parser.add_argument("--backend", default="scip", choices=BACKENDS, help="MIP backend (LPs always run on HiGHS)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="solve() time limit, seconds")
    parser.add_argument("--validate", action="store_true", help="also run the independent validator on each plan")
    parser.add_argument(
        "--catalog",
        default="synthetic",
        choices=sorted(GENERATORS),
        help="synthetic: 3 made-up clouds, 6 node types of at most 8 vCPUs, explicit price file and latency matrix; "
        "embedded: real AWS/GCP/Azure regions on the embedded catalogs (100-600 types per pool), their autoscalers",
    )
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(
        f"{args.catalog} catalog, backend {args.backend}, time limit {args.time_limit:g} s, {cores} cores, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        "plan $/h: node-true objective (node bill + egress + spot risk); bound: node-aware; gap against it "
        "(packing loss + allocation gap); model gap: the allocation model's own; greedy: its replicas on whole nodes;\n"
        "provisioning: the Karpenter simulation on the written NodePools (pods landed, node bill / plan compute)"
    )
    print(
        f"{'size':>9} {'gen s':>6} {'solve s':>8} {'cpu s':>7} {'plan $/h':>11} {'bound':>11} {'gap':>8} {'model gap':>9} "
        f"{'status':>9} {'nodes':>6} {'compute':>10} {'greedy':>10} {'greedy/plan':>11} {'unplaced p/g':>12} {'landed/pods':>13} "
        f"{'bill/plan':>9} {'peak MiB':>8}  target"
    )
    failed = False
    context = multiprocessing.get_context("fork")
    for size in args.sizes.split(","):
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            row = pool.submit(
                run_size, size, args.seed, args.caps, args.backend, args.time_limit, args.validate, args.catalog
            ).result()
        if row["violations"]:
            print(f"  {len(row['violations'])} violations, first: {row['violations'][0]}")
            failed = True
        verdict = ""
        if size in TARGETS:
            limit_s, limit_gap, limit_mib = TARGETS[size]
            ok = (
                row["seconds"] <= limit_s
                and row["gap"] <= limit_gap
                and (limit_mib is None or row["peak_mib"] <= limit_mib)
                and row["landed"] == row["pods"]
                and abs(row["bill_ratio"] - 1) <= 0.05
            )
            failed |= not ok
            memory = "" if limit_mib is None else f", ≤ {limit_mib / 1024:g} GiB"
            verdict = (
                f"{'ok' if ok else 'MISSED'} (≤ {limit_s:g} s, gap ≤ {limit_gap:.1%}{memory}, all pods land, bill ±5 %)"
            )
        print(
            f"{size:>9} {row['built']:6.1f} {row['seconds']:8.2f} {row['cpu_s']:7.2f} {row['objective']:11.4f} "
            f"{row['bound']:11.4f} {row['gap']:8.3%} {row['model_gap']:9.3%} {row['status']:>9} {row['nodes']:6d} "
            f"{row['compute']:10.2f} {row['greedy']:10.2f} {row['greedy'] / max(row['compute'], 1e-9):11.3f} "
            f"{row['unplaced']:>5d}/{row['greedy_lost']:<6d} {row['landed']:6d}/{row['pods']:<6d} "
            f"{row['bill_ratio']:9.3f} {row['peak_mib']:8.0f}  {verdict}",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
