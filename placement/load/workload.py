"""Reading one workload of a scenario (YAML or annotations), with every rule validated."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from placement.errors import did_you_mean, missing
from placement.geo import jurisdictions
from placement.load import limits
from placement.load.fields import FieldReader
from placement.load.k8s_names import label_problem, subdomain_problem
from placement.load.quantity import parse_cpu, parse_memory_gib
from placement.scenario import DemandSpec, Replicas, Workload
from pricing.offer import ARCHITECTURES

WORKLOAD_KEYS = (
    "name",
    "namespace",
    "resources",
    "demand",
    "users",
    "latencyMs",
    "residency",
    "spot",
    "minAvailable",
    "minClusters",
    "current",
    "egressGbPerHour",
    "architectures",
)
DEMAND_KEYS = ("replicas", "series", "promql", "prometheus", "perReplica", "headroom")
RESOURCES_KEYS = ("cpu", "memory")
SPOT_KEYS = ("maxFraction", "maxClusterShare")
CURRENT_KEYS = ("onDemand", "spot")
_SHARE_TOLERANCE = 1e-6


def read_workload(
    reader: FieldReader,
    raw: object,
    path: str,
    user_names: Sequence[str],
    cluster_names: Sequence[str],
    *,
    base_dir: Path | None = None,
) -> Workload | None:
    """One workload, or None when it is too broken to build (its problems are in `reader`).

    `base_dir` (where relative `demand.series` files are found) matters only for forecast-driven
    demand, which is checked here and sized later (`placement.load.demand.resolve_demand`).
    """
    data = reader.mapping(raw, path, required=True)
    if not data:
        return None
    reader.known_keys(data, path, WORKLOAD_KEYS)
    name = reader.string(data, "name", path)
    if name is not None and (problem := subdomain_problem(name, what="Kubernetes Deployment name")):
        reader.problem(f"{path}.name", name, problem)
        name = None
    namespace = reader.string(data, "namespace", path, default="default")
    if namespace is not None and (problem := label_problem(namespace, what="Kubernetes namespace name")):
        reader.problem(f"{path}.namespace", namespace, problem)
        namespace = None
    resources = reader.mapping(data.get("resources"), f"{path}.resources", required=True)
    reader.known_keys(resources, f"{path}.resources", RESOURCES_KEYS)
    cpu = (
        reader.quantity(
            resources,
            "cpu",
            f"{path}.resources",
            parse_cpu,
            example="500m",
            maximum=limits.MAX_CPU_PER_REPLICA,
            unit=" cores per replica",
        )
        if resources
        else None
    )
    memory = (
        reader.quantity(
            resources,
            "memory",
            f"{path}.resources",
            parse_memory_gib,
            example="1Gi",
            maximum=limits.MAX_MEMORY_GIB_PER_REPLICA,
            unit=" GiB (24 TiB) per replica",
        )
        if resources
        else None
    )
    if cpu == 0 and memory == 0:
        reader.problem(f"{path}.resources", dict(resources), "cpu and memory cannot both be zero")
    demand, replicas = _demand(reader, data.get("demand"), f"{path}.demand", base_dir=base_dir)
    users = _users(reader, data.get("users"), f"{path}.users", user_names)
    latency = reader.number(
        data,
        "latencyMs",
        path,
        minimum=0.0,
        exclusive_minimum=True,
        maximum=limits.MAX_LATENCY_MS,
        hint="(milliseconds of RTT)",
    )
    if latency is not None and not users:
        reader.problem(f"{path}.latencyMs", latency, "needs `users` (traffic shares per user region) to measure from")
    residency = _residency(reader, data.get("residency"), f"{path}.residency")
    spot = reader.mapping(data.get("spot"), f"{path}.spot")
    reader.known_keys(spot, f"{path}.spot", SPOT_KEYS)
    max_fraction = reader.number(
        spot,
        "maxFraction",
        f"{path}.spot",
        default=0.0,
        minimum=0.0,
        maximum=1.0,
        hint="(a share of replicas between 0 and 1)",
    )
    cluster_share = reader.number(
        spot,
        "maxClusterShare",
        f"{path}.spot",
        minimum=0.0,
        exclusive_minimum=True,
        maximum=1.0,
        hint="(the largest share of the spot replicas one cluster may run, "
        "above 0 and at most 1; e.g. 0.5 spreads spot over at least 2 clusters)",
    )
    min_available = reader.integer(data, "minAvailable", path, default=0, minimum=0, maximum=limits.MAX_REPLICAS)
    if replicas is not None and min_available is not None and min_available > replicas and not demand.needs_forecast:
        reader.problem(
            f"{path}.minAvailable",
            min_available,
            f"is above the demand of {replicas} replicas: lower minAvailable or raise demand",
        )
    min_clusters = reader.integer(data, "minClusters", path, default=1, minimum=1, maximum=limits.MAX_MIN_CLUSTERS)
    current = _current(reader, data.get("current"), f"{path}.current", cluster_names)
    egress = reader.number(
        data,
        "egressGbPerHour",
        path,
        default=0.0,
        minimum=0.0,
        maximum=limits.MAX_EGRESS_GB_PER_HOUR,
        hint="(GB per hour)",
    )
    architectures = _architectures(reader, data.get("architectures"), f"{path}.architectures")
    if None in (name, namespace, cpu, memory, replicas, max_fraction, min_available, min_clusters):
        return None
    assert name is not None and namespace is not None and cpu is not None and memory is not None
    return Workload(
        name=name,
        namespace=namespace,
        cpu=cpu,
        memory_gib=memory,
        replicas=int(replicas or 0),
        demand=demand,
        users=users,
        latency_ms=latency,
        residency=residency,
        spot_max_fraction=float(max_fraction or 0.0),
        min_available=int(min_available or 0),
        min_clusters=int(min_clusters or 1),
        current=current,
        egress_gb_per_hour=float(egress or 0.0),
        spot_max_cluster_share=cluster_share,
        architectures=architectures,
    )


def _architectures(reader: FieldReader, raw: object, path: str) -> tuple[str, ...]:
    """``[amd64]`` (the default), ``[arm64]`` or ``[amd64, arm64]``: the node architectures its images run on."""
    if raw is None:
        return ("amd64",)
    values = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(values, list | tuple) or not values or any(not isinstance(v, str) for v in values):
        reader.problem(path, raw, f"must be a non-empty list of {', '.join(ARCHITECTURES)} (e.g. [amd64, arm64])")
        return ("amd64",)
    chosen = [v.strip() for v in values]
    unknown = [v for v in chosen if v not in ARCHITECTURES]
    if unknown:
        reader.problem(
            path,
            raw,
            f"unknown architecture {unknown[0]!r}: use {' and/or '.join(ARCHITECTURES)} "
            "(the kubernetes.io/arch values its images are built for)",
        )
        return ("amd64",)
    return tuple(a for a in ARCHITECTURES if a in chosen)


def _demand(reader: FieldReader, raw: object, path: str, *, base_dir: Path | None) -> tuple[DemandSpec, int | None]:
    data = reader.mapping(raw, path, required=True)
    if not data:
        return DemandSpec(), None
    reader.known_keys(data, path, DEMAND_KEYS)
    forecast_keys = [k for k in ("series", "promql", "perReplica", "headroom", "prometheus") if k in data]
    if "replicas" in data and forecast_keys:
        reader.problem(
            path,
            dict(data),
            f"gives replicas and {', '.join(forecast_keys)}: pick one, `replicas: N` "
            "(a fixed peak) or `series`/`promql` with `perReplica` (a forecast)",
        )
        return DemandSpec(), None
    if "replicas" in data:
        replicas = reader.integer(data, "replicas", path, minimum=0, maximum=limits.MAX_REPLICAS)
        if data.get("replicas") is None:
            reader.problem(f"{path}.replicas", missing(), "must be a whole number of replicas")
        return DemandSpec(replicas=replicas, source=f"replicas: {replicas}"), replicas
    if "series" in data or "promql" in data:
        from placement.load.demand import forecast_spec

        return forecast_spec(reader, data, path, base_dir=base_dir), 0  # sized later by resolve_demand
    reader.problem(path, dict(data), "needs `replicas: N`, or `series: FILE` / `promql: QUERY` with `perReplica: N`")
    return DemandSpec(), None


def _users(reader: FieldReader, raw: object, path: str, user_names: Sequence[str]) -> dict[str, float]:
    data = reader.mapping(raw, path)
    shares: dict[str, float] = {}
    for user in data:
        if user not in user_names:
            hint = did_you_mean(str(user), user_names) if user_names else "; declare it under spec.userRegions"
            reader.problem(f"{path}.{user}", user, "unknown user region" + hint)
            continue
        share = reader.number(data, user, path, minimum=0.0, maximum=1.0, hint="(a traffic share between 0 and 1)")
        if share is not None:
            shares[str(user)] = share
    if shares and len(shares) == len(data) and abs(sum(shares.values()) - 1.0) > _SHARE_TOLERANCE:
        total = sum(shares.values())
        reader.problem(path, dict(data), f"shares sum to {total:g}, not 1: make the traffic shares add up to 1")
    return shares


def _residency(reader: FieldReader, raw: object, path: str) -> tuple[str, ...] | None:
    if raw is None:
        return None
    codes = reader.sequence(raw, path)
    result = []
    for index, code in enumerate(codes):
        if not isinstance(code, str) or not jurisdictions.known_residency_code(code):
            choices = jurisdictions.residency_codes()
            hint = did_you_mean(str(code), choices) or " (use an ISO country code such as DE or a group: EU, EEA, US)"
            reader.problem(f"{path}[{index}]", code, "unknown residency code" + hint)
        else:
            result.append(code)
    if not codes:
        reader.problem(path, list(codes), "is empty: omit residency to allow anywhere, or list countries/groups")
    return tuple(result)


def _current(reader: FieldReader, raw: object, path: str, cluster_names: Sequence[str]) -> dict[str, Replicas]:
    data = reader.mapping(raw, path)
    current: dict[str, Replicas] = {}
    for cluster, counts in data.items():
        where = f"{path}.{cluster}"
        if cluster not in cluster_names:
            reader.problem(where, cluster, "unknown cluster" + did_you_mean(str(cluster), cluster_names))
            continue
        counts = reader.mapping(counts, where)
        reader.known_keys(counts, where, CURRENT_KEYS)
        on_demand = reader.integer(counts, "onDemand", where, default=0, minimum=0, maximum=limits.MAX_REPLICAS)
        spot = reader.integer(counts, "spot", where, default=0, minimum=0, maximum=limits.MAX_REPLICAS)
        current[str(cluster)] = Replicas(on_demand=on_demand or 0, spot=spot or 0)
    return current
