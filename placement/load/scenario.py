"""Load a Scenario (placement.dev/v1alpha1) from YAML, validating every field.

All problems are collected and raised together as one `InvalidScenario`: one line per problem,
naming the field path, the bad value and the fix ("did you mean …" for names). Never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from placement.errors import InvalidScenario, Problem, ServiceFailed, did_you_mean, missing
from placement.geo import jurisdictions
from placement.geo import regions as region_table
from placement.geo.egress import apply_egress_overrides
from placement.load import limits
from placement.load.fields import FieldReader
from placement.load.k8s_names import LABEL_MAX, subdomain_problem
from placement.load.price_settings import read_egress, read_interruption_rates, read_spot_advisor
from placement.load.quantity import parse_cpu, parse_memory_gib
from placement.load.yaml_doc import load_yaml
from placement.scenario import (
    API_VERSION,
    AUTOSCALER_CLOUDS,
    AUTOSCALERS,
    PRICE_SOURCES,
    Cluster,
    Planning,
    PriceSettings,
    Scenario,
    UserRegion,
    Workload,
    autoscalers_for,
    default_autoscaler,
)
from pricing.nodes import DEFAULT_DAEMONSET, DaemonsetOverhead

BUILTIN_CLOUDS = ("aws", "gcp", "azure")
_SHARE_TOLERANCE = 1e-6
_COUNTRY = re.compile(r"^[A-Z]{2}$")

_TOP_KEYS = ("apiVersion", "kind", "metadata", "spec")
_SPEC_KEYS = ("planning", "prices", "userRegions", "latency", "clusters", "workloads")
_PLANNING_KEYS = (
    "quantile",
    "timeLimitSeconds",
    "maxMoves",
    "riskAversion",
    "overheadFactor",
    "slots",
    "maxMovesPerSlot",
)
MAX_SLOTS = 168  # a week of hourly slots
_PRICES_KEYS = ("source", "file", "extra", "adjustments", "interruptionRates", "spotAdvisor", "egress")
_USER_KEYS = ("name", "lat", "lon", "country")
_CLUSTER_KEYS = (
    "name",
    "cloud",
    "region",
    "country",
    "context",
    "autoscaler",
    "capacity",
    "instanceFamilies",
    "maxPodsPerNode",
    "daemonsets",
    "currentNodes",
)
_CAPACITY_KEYS = ("cpu",)
_DAEMONSET_KEYS = ("cpu", "memory", "pods")
_LATENCY_KEYS = ("matrixMs",)
_CURRENT_NODE_KEYS = ("instanceType", "capacityType", "count")


def demo_scenario_path() -> Path:
    """The packaged demo fleet (`placement/data/demo.yaml`: 3 clouds, 11 clusters, 24 workloads)."""
    return Path(str(resources.files("placement") / "data" / "demo.yaml"))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raises `InvalidScenario` listing every problem."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidScenario(
            str(path), [_file_problem(f"not UTF-8 text (byte {error.start}): save the file as UTF-8")]
        ) from None
    except IsADirectoryError:
        raise InvalidScenario(str(path), [_file_problem("is a directory: give the scenario YAML file")]) from None
    except FileNotFoundError:
        raise InvalidScenario(
            str(path), [_file_problem("file not found: check the path or omit --scenario for the demo")]
        ) from None
    except OSError as error:
        raise InvalidScenario(str(path), [_file_problem(f"cannot read: {error.strerror}")]) from None
    return parse_scenario(text, source=str(path), base_dir=path.parent)


def parse_scenario(text: str, *, source: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    """Validate scenario YAML text and build the `Scenario`."""
    try:
        document, yaml_problems = load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        what = getattr(error, "problem", None) or "not valid YAML"
        raise InvalidScenario(source, [_file_problem(f"malformed YAML at {where}: {what}")]) from None
    return build_scenario(document, source=source, base_dir=base_dir, yaml_problems=yaml_problems)


def build_scenario(
    document: object, *, source: str = "<scenario>", base_dir: Path | None = None, yaml_problems: Sequence[Problem] = ()
) -> Scenario:
    """Validate an already-parsed scenario document (a mapping) and build the `Scenario`.

    `yaml_problems` (from `load_yaml`: duplicate keys, bare yes/no) are reported with the rest.
    """
    reader = FieldReader()
    reader.problems.extend(yaml_problems)
    top = reader.mapping(document, "(document)", required=True)
    if top:
        reader.known_keys(top, "", _TOP_KEYS)
        if top.get("apiVersion") != API_VERSION:
            reader.problem("apiVersion", top.get("apiVersion", missing()), f"must be {API_VERSION}")
        if top.get("kind") != "Scenario":
            reader.problem("kind", top.get("kind", missing()), "must be Scenario")
    metadata = reader.mapping(top.get("metadata"), "metadata")
    name = metadata.get("name") if isinstance(metadata.get("name"), str) else "scenario"
    spec = reader.mapping(top.get("spec"), "spec", required=bool(top))
    reader.known_keys(spec, "spec", _SPEC_KEYS)

    planning = _planning(reader, reader.mapping(spec.get("planning"), "spec.planning"))
    prices, custom_regions = _prices(reader, reader.mapping(spec.get("prices"), "spec.prices"), base_dir)
    raw_users = reader.sequence(spec.get("userRegions"), "spec.userRegions")
    users = _user_regions(reader, raw_users)
    raw_clusters = reader.sequence(spec.get("clusters"), "spec.clusters", required=True)
    clusters = _clusters(reader, raw_clusters, custom_regions)
    # Names as declared (even of user regions and clusters with other problems), so one mistake is
    # reported once, not again as "unknown user region" wherever the name is used.
    user_names = _declared_names(raw_users)
    cluster_names = _declared_names(raw_clusters)
    matrix = _latency(reader, reader.mapping(spec.get("latency"), "spec.latency"), user_names, cluster_names)
    workloads = _workloads(
        reader,
        reader.sequence(spec.get("workloads"), "spec.workloads", required=True),
        user_names,
        cluster_names,
        base_dir=base_dir,
    )
    _check_locations(reader, users, clusters, workloads, matrix)
    if reader.problems:
        raise InvalidScenario(source, reader.problems)
    if reader.failures:
        raise ServiceFailed(source, reader.failures)
    return apply_egress_overrides(
        Scenario(
            name=name,
            clusters=tuple(clusters),
            workloads=tuple(workloads),
            user_regions=tuple(users),
            latency_matrix_ms=matrix,
            planning=planning,
            prices=prices,
            base_dir=base_dir,
        )
    )


def _declared_names(items: Sequence[Any]) -> list[str]:
    return [item["name"] for item in items if isinstance(item, Mapping) and isinstance(item.get("name"), str)]


def _file_problem(message: str) -> Problem:
    return Problem("(file)", missing(), message)


def _planning(reader: FieldReader, data: Mapping[str, Any]) -> Planning:
    path = "spec.planning"
    reader.known_keys(data, path, _PLANNING_KEYS)
    default = Planning()
    quantile = reader.number(
        data,
        "quantile",
        path,
        default=default.quantile,
        minimum=0.0,
        maximum=1.0,
        exclusive_minimum=True,
        hint="(a demand quantile such as 0.95)",
    )
    limit = reader.number(
        data,
        "timeLimitSeconds",
        path,
        default=default.time_limit_s,
        minimum=0.0,
        exclusive_minimum=True,
        maximum=limits.MAX_TIME_LIMIT_S,
        hint="(seconds)",
    )
    max_moves = reader.integer(data, "maxMoves", path, default=None, minimum=0, maximum=limits.MAX_MOVES)
    risk = reader.number(
        data, "riskAversion", path, default=default.risk_aversion, minimum=0.0, maximum=limits.MAX_RISK_AVERSION
    )
    overhead = reader.number(
        data, "overheadFactor", path, default=default.overhead_factor, minimum=1.0, maximum=limits.MAX_OVERHEAD_FACTOR
    )
    slots = reader.integer(data, "slots", path, default=None, minimum=1)
    if slots is not None and slots > MAX_SLOTS:
        reader.problem(f"{path}.slots", slots, f"must be at most {MAX_SLOTS} hourly slots (one week)")
        slots = None
    max_moves_per_slot = reader.integer(
        data, "maxMovesPerSlot", path, default=None, minimum=0, maximum=limits.MAX_MOVES
    )
    return Planning(
        quantile=quantile or default.quantile,
        time_limit_s=limit or default.time_limit_s,
        max_moves=max_moves,
        risk_aversion=default.risk_aversion if risk is None else risk,
        overhead_factor=overhead or default.overhead_factor,
        slots=slots,
        max_moves_per_slot=max_moves_per_slot,
    )


def _prices(
    reader: FieldReader, data: Mapping[str, Any], base_dir: Path | None
) -> tuple[PriceSettings, dict[str, set[str]]]:
    """Price settings, plus the (cloud → regions) that price files add for custom providers."""
    path = "spec.prices"
    reader.known_keys(data, path, _PRICES_KEYS)
    source = data.get("source", "embedded")
    if source not in PRICE_SOURCES:
        reader.problem(f"{path}.source", source, "unknown price source" + did_you_mean(str(source), PRICE_SOURCES))
        source = "embedded"
    files: list[tuple[str, Path]] = []
    price_file: Path | None = None
    if data.get("file") is not None:
        if isinstance(data["file"], str):
            price_file = _resolve(base_dir, data["file"])
            files.append((f"{path}.file", price_file))
        else:
            reader.problem(f"{path}.file", data["file"], "must be a path to an offers CSV")
    elif source == "file":
        reader.problem(f"{path}.file", missing(), "is required when source is file (an offers CSV, see README)")
    extra: list[Path] = []
    for index, item in enumerate(reader.sequence(data.get("extra"), f"{path}.extra")):
        if isinstance(item, str):
            extra.append(_resolve(base_dir, item))
            files.append((f"{path}.extra[{index}]", extra[-1]))
        else:
            reader.problem(f"{path}.extra[{index}]", item, "must be a path to an offers CSV")
    adjustments = []
    for index, item in enumerate(reader.sequence(data.get("adjustments"), f"{path}.adjustments")):
        if isinstance(item, Mapping):
            adjustments.append(dict(item))
        else:
            reader.problem(
                f"{path}.adjustments[{index}]", item, "must be a mapping such as {cloud: aws, discountPercent: 12}"
            )
    custom: dict[str, set[str]] = {}
    if files:
        from pricing.errors import PriceFileError
        from pricing.pricefile import load_price_file
    for where, file in files:
        if not file.is_file():
            reader.problem(where, str(file), "file not found (paths are relative to the scenario file)")
            continue
        try:
            for cloud, region in load_price_file(file).regions():
                custom.setdefault(cloud, set()).add(region)
        except PriceFileError as error:
            reader.problem(where, str(file), str(error))
    clouds = sorted(set(BUILTIN_CLOUDS) | set(custom))
    settings = PriceSettings(
        source=source,
        file=price_file,
        extra=tuple(extra),
        adjustments=tuple(adjustments),
        interruption_rates=read_interruption_rates(
            reader, data.get("interruptionRates"), f"{path}.interruptionRates", clouds, custom
        ),
        spot_advisor=read_spot_advisor(reader, data.get("spotAdvisor"), f"{path}.spotAdvisor", base_dir),
        egress=read_egress(reader, data.get("egress"), f"{path}.egress", clouds),
    )
    return settings, custom


def _resolve(base_dir: Path | None, name: str) -> Path:
    candidate = Path(name).expanduser()
    return candidate if candidate.is_absolute() or base_dir is None else base_dir / candidate


def _user_regions(reader: FieldReader, items: Any) -> list[UserRegion]:
    users: list[UserRegion] = []
    seen: set[str] = set()
    for index, raw in enumerate(items):
        path = f"spec.userRegions[{index}]"
        data = reader.mapping(raw, path, required=True)
        if not data:
            continue
        reader.known_keys(data, path, _USER_KEYS)
        name = reader.string(data, "name", path)
        lat = reader.number(data, "lat", path, minimum=-90, maximum=90, hint="(degrees latitude)")
        lon = reader.number(data, "lon", path, minimum=-180, maximum=180, hint="(degrees longitude)")
        if data.get("lat") is None:
            reader.problem(f"{path}.lat", missing(), "is required (degrees latitude)")
        if data.get("lon") is None:
            reader.problem(f"{path}.lon", missing(), "is required (degrees longitude)")
        country = _country(reader, data, path)
        if name in seen:
            reader.problem(f"{path}.name", name, "duplicate user region name: names must be unique")
        if name and lat is not None and lon is not None:
            seen.add(name)
            users.append(UserRegion(name=name, lat=lat, lon=lon, country=country))
    return users


def _country(reader: FieldReader, data: Mapping[str, Any], path: str) -> str | None:
    value = data.get("country")
    if value is None:
        return None
    if not isinstance(value, str) or not _COUNTRY.match(value.upper()):
        reader.problem(f"{path}.country", value, "must be an ISO 3166 alpha-2 code such as DE or US")
        return None
    if value not in jurisdictions.ISO_COUNTRIES:
        hint = (
            f'; write it in capitals: "{value.upper()}"'
            if value.upper() in jurisdictions.ISO_COUNTRIES
            else " (write an assigned ISO 3166-1 alpha-2 code such as DE, GB or US)"
        )
        reader.problem(f"{path}.country", value, "is not an assigned ISO 3166-1 alpha-2 country code" + hint)
        return None
    return value


def _clusters(reader: FieldReader, items: Any, custom: dict[str, set[str]]) -> list[Cluster]:
    clusters: list[Cluster] = []
    seen: set[str] = set()
    known_clouds = sorted(set(BUILTIN_CLOUDS) | set(custom))
    for index, raw in enumerate(items):
        path = f"spec.clusters[{index}]"
        data = reader.mapping(raw, path, required=True)
        if not data:
            continue
        reader.known_keys(data, path, _CLUSTER_KEYS)
        name = reader.string(data, "name", path)
        if name is not None and (
            problem := subdomain_problem(
                name, what="cluster name (it names a folder and label values)", max_length=LABEL_MAX
            )
        ):
            reader.problem(f"{path}.name", name, problem)
            name = None
        cloud = reader.string(data, "cloud", path)
        region = reader.string(data, "region", path)
        country = _country(reader, data, path)
        if name is not None:
            if name in seen:
                reader.problem(f"{path}.name", name, "duplicate cluster name: names must be unique")
            seen.add(name)
        lat = lon = None
        if cloud is not None and cloud not in known_clouds:
            reader.problem(
                f"{path}.cloud",
                cloud,
                "unknown cloud (custom providers must appear in prices.file or "
                "prices.extra)" + did_you_mean(cloud, known_clouds),
            )
            cloud = None
        if cloud is not None and region is not None:
            known = region_table.lookup_region(cloud, region)
            if known is not None:
                country = country or known.country
                lat, lon = known.lat, known.lon
            elif cloud in custom and region in custom[cloud]:
                if country is None:
                    reader.problem(
                        f"{path}.country",
                        missing(),
                        f"is required for custom region {cloud}/{region} (ISO 3166 alpha-2, e.g. DE)",
                    )
            else:
                names = [r.name for r in region_table.regions_of(cloud)] + sorted(custom.get(cloud, ()))
                reader.problem(f"{path}.region", region, f"unknown {cloud} region" + did_you_mean(region, names))
        autoscaler = _autoscaler(reader, data, path, cloud)
        capacity = reader.mapping(data.get("capacity"), f"{path}.capacity")
        reader.known_keys(capacity, f"{path}.capacity", _CAPACITY_KEYS)
        capacity_cpu = None
        if capacity.get("cpu") is not None:
            capacity_cpu = reader.quantity(
                capacity,
                "cpu",
                f"{path}.capacity",
                parse_cpu,
                example="400 or 1500m",
                maximum=limits.MAX_CLUSTER_CPU,
                unit=" cores",
            )
        families_raw = data.get("instanceFamilies")
        families: tuple[str, ...] | None = None
        if families_raw is not None:
            seq = reader.sequence(families_raw, f"{path}.instanceFamilies")
            if any(not isinstance(f, str) for f in seq):
                reader.problem(
                    f"{path}.instanceFamilies", families_raw, "must be a list of family names such as [m7i, c7i]"
                )
            else:
                families = tuple(seq)
        max_pods = reader.integer(data, "maxPodsPerNode", path, minimum=1, maximum=limits.MAX_PODS_PER_NODE)
        daemonsets = _daemonsets(reader, data.get("daemonsets"), f"{path}.daemonsets")
        current_nodes = _current_nodes(reader, data.get("currentNodes"), f"{path}.currentNodes")
        context = data.get("context")
        if name and cloud and region and country:
            clusters.append(
                Cluster(
                    name=name,
                    cloud=cloud,
                    region=region,
                    country=country,
                    lat=lat,
                    lon=lon,
                    context=context if isinstance(context, str) else None,
                    autoscaler=autoscaler,
                    capacity_cpu=capacity_cpu,
                    instance_families=families,
                    max_pods_per_node=max_pods,
                    daemonsets=daemonsets,
                    current_nodes=current_nodes,
                )
            )
    return clusters


def _current_nodes(reader: FieldReader, raw: object, path: str) -> dict[tuple[str, str], int]:
    """`currentNodes: [{instanceType: m5.xlarge, capacityType: on-demand, count: 3}]`: the nodes the
    cluster runs today, which price `hourlyUsd.before` (else today's replicas on the node model)."""
    nodes: dict[tuple[str, str], int] = {}
    for index, item in enumerate(reader.sequence(raw, path)):
        where = f"{path}[{index}]"
        entry = reader.mapping(item, where)
        reader.known_keys(entry, where, _CURRENT_NODE_KEYS)
        name = reader.string(entry, "instanceType", where)
        kind = entry.get("capacityType", "on-demand")
        if kind not in ("on-demand", "spot"):
            reader.problem(f"{where}.capacityType", kind, "must be on-demand or spot")
            continue
        count = reader.integer(entry, "count", where, minimum=0, maximum=limits.MAX_REPLICAS)
        if name and count is not None:
            nodes[(name, kind)] = nodes.get((name, kind), 0) + count
    return nodes


def _daemonsets(reader: FieldReader, raw: object, path: str) -> DaemonsetOverhead:
    """`daemonsets: {cpu, memory, pods}`: what the cluster's DaemonSets request on every node
    (default `pricing.nodes.DEFAULT_DAEMONSET`: 200m, 512Mi, 4 pods)."""
    data = reader.mapping(raw, path)
    if not data:
        return DEFAULT_DAEMONSET
    reader.known_keys(data, path, _DAEMONSET_KEYS)
    cpu = memory = None
    if data.get("cpu") is not None:
        cpu = reader.quantity(data, "cpu", path, parse_cpu, example="200m")
    if data.get("memory") is not None:
        memory = reader.quantity(data, "memory", path, parse_memory_gib, example="512Mi")
    pods = reader.integer(data, "pods", path, default=DEFAULT_DAEMONSET.pods, minimum=0)
    return DaemonsetOverhead(
        cpu=DEFAULT_DAEMONSET.cpu if cpu is None else cpu,
        memory_gib=DEFAULT_DAEMONSET.memory_gib if memory is None else memory,
        pods=DEFAULT_DAEMONSET.pods if pods is None else pods,
    )


def _autoscaler(reader: FieldReader, data: Mapping[str, Any], path: str, cloud: str | None) -> str:
    """The cluster's autoscaler: declared, or the cloud's default; one that does not run on the cloud is a problem."""
    declared = data.get("autoscaler")
    if declared is None:
        return default_autoscaler(cloud or "")
    if declared not in AUTOSCALERS:
        reader.problem(f"{path}.autoscaler", declared, "unknown autoscaler" + did_you_mean(str(declared), AUTOSCALERS))
        return "none"
    if cloud is not None and declared not in autoscalers_for(cloud):
        clouds = AUTOSCALER_CLOUDS[declared] or ()
        where = cloud if cloud in BUILTIN_CLOUDS else f"the custom cloud {cloud}"
        reader.problem(
            f"{path}.autoscaler",
            declared,
            f"{declared} does not run on {where} (it runs on {' and '.join(clouds)}); "
            f"use one of: {', '.join(autoscalers_for(cloud))}",
        )
        return "none"
    return str(declared)


def _latency(
    reader: FieldReader, data: Mapping[str, Any], user_names: list[str], cluster_names: list[str]
) -> dict[str, dict[str, float]]:
    reader.known_keys(data, "spec.latency", _LATENCY_KEYS)
    matrix = reader.mapping(data.get("matrixMs"), "spec.latency.matrixMs")
    result: dict[str, dict[str, float]] = {}
    for user, row in matrix.items():
        path = f"spec.latency.matrixMs.{user}"
        if user not in user_names:
            reader.problem(path, user, "unknown user region" + did_you_mean(str(user), user_names))
            continue
        row = reader.mapping(row, path)
        for cluster, _value in row.items():
            if cluster not in cluster_names:
                reader.problem(
                    f"{path}.{cluster}", cluster, "unknown cluster" + did_you_mean(str(cluster), cluster_names)
                )
                continue
            ms = reader.number(
                row, cluster, path, minimum=0.0, maximum=limits.MAX_LATENCY_MS, hint="(milliseconds of RTT)"
            )
            if ms is not None:
                result.setdefault(user, {})[cluster] = ms
    return result


def _workloads(
    reader: FieldReader,
    items: Any,
    user_names: list[str],
    cluster_names: list[str],
    *,
    base_dir: Path | None,
) -> list[Workload]:
    from placement.load.workload import read_workload

    workloads: list[Workload] = []
    seen: set[str] = set()
    for index, raw in enumerate(items):
        workload = read_workload(reader, raw, f"spec.workloads[{index}]", user_names, cluster_names, base_dir=base_dir)
        if workload is None:
            continue
        if workload.key in seen:
            reader.problem(
                f"spec.workloads[{index}].name",
                workload.name,
                f"duplicate workload {workload.key}: names must be unique per namespace",
            )
            continue
        seen.add(workload.key)
        workloads.append(workload)
    return workloads


def _check_locations(
    reader: FieldReader,
    users: list[UserRegion],
    clusters: list[Cluster],
    workloads: list[Workload],
    matrix: Mapping[str, Mapping[str, float]],
) -> None:
    """Latency rules need an RTT for every (user region, cluster) pair: a location or a measurement."""
    needed = {u for w in workloads if w.latency_ms is not None for u in w.users}
    for cluster in clusters:
        if cluster.lat is not None:
            continue
        lacking = sorted(u for u in needed if cluster.name not in matrix.get(u, {}))
        if lacking:
            reader.problem(
                f"spec.latency.matrixMs.{lacking[0]}.{cluster.name}",
                missing(),
                f"custom cluster {cluster.name} has no known location: give measured RTTs from "
                f"{', '.join(lacking)} in latency.matrixMs",
            )
