"""The JSON Schema of a Scenario (`placement.dev/v1alpha1`), built from one description in code.

`scenario_schema()` turns the field lists below (names, types, ranges, enums, descriptions) into a
JSON Schema (draft 2020-12) for editors: `# yaml-language-server: $schema=...` at the top of a
scenario gives completion, hover text and red squiggles. The shipped copy,
`placement/data/scenario.schema.json`, is regenerated with `make schema` (or `placement scenario
schema -o FILE`); a test holds it equal to this builder's output, and another holds each object's
fields equal to the keys the loader accepts (`_SPEC_KEYS`, `_CLUSTER_KEYS`, `WORKLOAD_KEYS`, …),
so the schema cannot drift from the loader.

The loader stays the judge: it reports every problem at once with field, value and fix, and checks
what a schema cannot (names that exist, shares that sum to 1, files that exist, caps per workload).
The schema is the editor's early warning; where the two differ, the loader is right. Optional
fields of the scenario may be written as `null`, as the loader allows (not inside price adjustments,
which `pricing.adjust` reads strictly).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from placement.geo.egress import OVERRIDE_KEYS
from placement.load import limits
from placement.load.scenario import MAX_SLOTS
from placement.scenario import API_VERSION, AUTOSCALERS, PRICE_SOURCES
from pricing.offer import ARCHITECTURES

Schema = dict[str, Any]

SCHEMA_ID = "https://placement.dev/schemas/v1alpha1/scenario.schema.json"

_QUANTITY = "a Kubernetes quantity: a number of cores or bytes, or text such as 500m, 2, 1Gi, 512Mi"


# -- the building blocks --------------------------------------------------------------------------
def _nullable(schema: Schema) -> Schema:
    kind = schema.get("type")
    if kind is None:
        return {"anyOf": [schema, {"type": "null"}]}
    kinds = [kind] if isinstance(kind, str) else list(kind)
    out = {**schema, "type": [*kinds, "null"] if "null" not in kinds else kinds}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def obj(
    description: str,
    fields: Mapping[str, Schema],
    *,
    required: Iterable[str] = (),
    closed: bool = True,
    nullable: bool = True,
) -> Schema:
    """An object: `fields` in the loader's order; `required` ones may not be null, the others may
    (unless not `nullable`); `closed` forbids unknown fields (the loader's "unknown field; did you mean …")."""
    needed = tuple(required)
    properties = {
        name: schema if name in needed or not nullable else _nullable(schema) for name, schema in fields.items()
    }
    out: Schema = {"type": "object", "description": description, "properties": properties}
    if needed:
        out["required"] = list(needed)
    if closed:
        out["additionalProperties"] = False
    return out


def map_of(description: str, values: Schema) -> Schema:
    """An object whose keys are names (user regions, clusters, clouds) and whose values are `values`."""
    return {"type": "object", "description": description, "additionalProperties": values}


def array(description: str, items: Schema, *, min_items: int | None = None) -> Schema:
    out: Schema = {"type": "array", "description": description, "items": items}
    if min_items is not None:
        out["minItems"] = min_items
    return out


def string(description: str, *, enum: Iterable[str] | None = None, pattern: str | None = None) -> Schema:
    out: Schema = {"type": "string", "description": description}
    if enum is not None:
        out["enum"] = list(enum)
    if pattern is not None:
        out["pattern"] = pattern
    else:
        out["minLength"] = 1
    return out


def number(
    description: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    exclusive_maximum: bool = False,
) -> Schema:
    out: Schema = {"type": "number", "description": description}
    if minimum is not None:
        out["exclusiveMinimum" if exclusive_minimum else "minimum"] = minimum
    if maximum is not None:
        out["exclusiveMaximum" if exclusive_maximum else "maximum"] = maximum
    return out


def integer(description: str, *, minimum: int | None = None, maximum: int | None = None) -> Schema:
    out: Schema = {"type": "integer", "description": description}
    if minimum is not None:
        out["minimum"] = minimum
    if maximum is not None:
        out["maximum"] = maximum
    return out


def quantity(description: str) -> Schema:
    return {"type": ["string", "number"], "description": f"{description} ({_QUANTITY})"}


# -- the scenario, object by object (field order = the loader's key tuples) ---------------------------
PLANNING = obj(
    "How the solver plans.",
    {
        "quantile": number(
            "Demand quantile used when demand comes from a forecast (0 < q ≤ 1). Default 0.95.",
            minimum=0,
            maximum=1,
            exclusive_minimum=True,
        ),
        "timeLimitSeconds": number(
            "Solver time limit in seconds (--time-limit overrides). Default 30.",
            minimum=0,
            maximum=limits.MAX_TIME_LIMIT_S,
            exclusive_minimum=True,
        ),
        "maxMoves": integer(
            "Churn budget: replicas added where they were not before (per cluster × capacity type).",
            minimum=0,
            maximum=limits.MAX_MOVES,
        ),
        "riskAversion": number(
            "Weight of the spot risk term: rate × spot price × spot replicas. Default 1.",
            minimum=0,
            maximum=limits.MAX_RISK_AVERSION,
        ),
        "overheadFactor": number(
            "Multiplies replica prices (packing loss, daemonsets); ≥ 1. Default 1.",
            minimum=1,
            maximum=limits.MAX_OVERHEAD_FACTOR,
        ),
        "slots": integer(
            "Plan this many hourly slots of forecast demand at once (--slots), at most a week.",
            minimum=1,
            maximum=MAX_SLOTS,
        ),
        "maxMovesPerSlot": integer(
            "Churn limit between consecutive slots (--max-moves-per-slot).", minimum=0, maximum=limits.MAX_MOVES
        ),
    },
)

SHAPE = obj(
    "A node shape of private capacity.",
    {
        "name": string("Instance type name of the shape."),
        "vcpus": number("vCPUs of one node.", minimum=0, exclusive_minimum=True),
        "memoryGib": number("GiB of memory of one node.", minimum=0, exclusive_minimum=True),
        "gpus": number("GPUs of one node.", minimum=0),
    },
    required=("name", "vcpus", "memoryGib"),
    nullable=False,
)

ADJUSTMENT = obj(
    "A price adjustment: optional selectors (all must match) and exactly one action "
    "(discountPercent | hourlyUsd | extraHourlyUsd | vcpuHourlyUsd + gibHourlyUsd). "
    "E.g. {cloud: aws, discountPercent: 12}.",
    {
        "cloud": string("Only offers of this cloud."),
        "region": string("Only offers in this region (required for private capacity)."),
        "family": string("Only this instance family, e.g. m7i."),
        "instanceType": string("Only this instance type, e.g. m7i.large."),
        "capacityType": string("Only on-demand or only spot offers.", enum=("on-demand", "spot")),
        "discountPercent": number(
            "Multiply matching prices by (1 - p/100): an enterprise discount, a savings plan.",
            minimum=0,
            maximum=100,
            exclusive_maximum=True,
        ),
        "hourlyUsd": number(
            "A fixed $/h for matching offers (needs family or instanceType).", minimum=0, exclusive_minimum=True
        ),
        "extraHourlyUsd": number("Add a per-node fee in $/h (monitoring agent, support, licence).", minimum=0),
        "vcpuHourlyUsd": number("Private capacity: $ per vCPU-hour (with gibHourlyUsd).", minimum=0),
        "gibHourlyUsd": number("Private capacity: $ per GiB-hour (with vcpuHourlyUsd).", minimum=0),
        "gpuHourlyUsd": number("Private capacity: $ per GPU-hour.", minimum=0),
        "shapes": array("Private capacity: node shapes (default 2/4/8/16 vCPUs at 4 GiB per vCPU).", SHAPE),
        "zone": string("Private capacity: the zone of the offers."),
        "name": string("Private capacity: a name for the rule's offers."),
    },
    nullable=False,
)

INTERRUPTION_RATE = obj(
    "A spot interruption rate; the most specific match wins. Give monthly or ratePerHour.",
    {
        "cloud": string("The cloud it applies to."),
        "region": string("Only this region."),
        "family": string("Only this instance family."),
        "monthly": number("Fraction of spot capacity reclaimed per month, e.g. 0.05.", minimum=0, maximum=1),
        "ratePerHour": number("Chance a spot node is reclaimed in an hour, e.g. 0.0001.", minimum=0, maximum=1),
    },
    required=("cloud",),
)

EGRESS = obj(
    "Egress prices in USD per GB that override the embedded ones (at least one).",
    {
        key: number(f"USD per GB ({words}).", minimum=0)
        for key, words in zip(
            OVERRIDE_KEYS, ("to the internet", "to another region of the cloud", "to another cloud"), strict=True
        )
    },
) | {"minProperties": 1}

PRICES = obj(
    "Where prices come from, and adjustments to them.",
    {
        "source": string("Price source. Default embedded (offline).", enum=PRICE_SOURCES),
        "file": string("Offers CSV (required when source is file), relative to the scenario file."),
        "extra": array(
            "More offers CSVs added to the chosen catalog (custom/private providers).",
            string("Path of an offers CSV, relative to the scenario file."),
        ),
        "adjustments": array("Price adjustments, applied in order.", ADJUSTMENT),
        "interruptionRates": array("Spot interruption rates (docs/spot-risk.md).", INTERRUPTION_RATE),
        "spotAdvisor": string("AWS Spot Instance Advisor JSON (.json/.json.gz): interruption buckets per type."),
        "egress": map_of("Egress price overrides per cloud, e.g. {aws: {internetPerGb: 0.05}}.", EGRESS),
    },
)

_COUNTRY = string("ISO 3166-1 alpha-2 country code in capitals, e.g. DE.", pattern="^[A-Z]{2}$")

USER_REGION = obj(
    "Where users are; latency rules are measured from here.",
    {
        "name": string("Unique name, used in workloads' users and in latency.matrixMs."),
        "lat": number("Degrees latitude.", minimum=-90, maximum=90),
        "lon": number("Degrees longitude.", minimum=-180, maximum=180),
        "country": _COUNTRY,
    },
    required=("name", "lat", "lon"),
)

LATENCY = obj(
    "Measured round-trip times that override the distance estimate.",
    {
        "matrixMs": map_of(
            "user region → cluster → RTT in milliseconds.",
            map_of(
                "cluster → RTT in milliseconds.",
                number("RTT in milliseconds.", minimum=0, maximum=limits.MAX_LATENCY_MS),
            ),
        ),
    },
)

DAEMONSETS = obj(
    "What the cluster's DaemonSets request on every node (default 200m, 512Mi, 4 pods; "
    "`placement scenario export` and `placement run --policy` read it from the cluster's DaemonSets).",
    {
        "cpu": quantity("CPU the DaemonSets request per node"),
        "memory": quantity("Memory the DaemonSets request per node"),
        "pods": integer("Pod slots the DaemonSets take per node.", minimum=0),
    },
)

CLUSTER = obj(
    "A Kubernetes cluster in one cloud region.",
    {
        "name": string(
            "Unique cluster name: a DNS-1123 subdomain of at most 63 characters (it names folders and labels)."
        ),
        "cloud": string("aws | gcp | azure, or a custom provider named in a price file."),
        "region": string("The cloud's region name, e.g. eu-west-1 (must exist for the cloud)."),
        "country": _COUNTRY
        | {"description": "ISO 3166-1 alpha-2 country; overrides the region table; required for custom regions."},
        "context": string("Kube context (for diff/apply)."),
        "autoscaler": string(
            "Node autoscaler. Default: karpenter/v1 on aws and azure, gke on gcp, none on a custom cloud.",
            enum=AUTOSCALERS,
        ),
        "capacity": obj(
            "Optional caps on the cluster.",
            {
                "cpu": quantity("vCPU cap (quota, private capacity)"),
            },
        ),
        "instanceFamilies": array("Allow-list of instance families, e.g. [m7i, c7i].", string("An instance family.")),
        "maxPodsPerNode": integer(
            "Pods one node holds. Default: the platform's per type (AWS: the ENI limit; GKE 110; AKS 30).",
            minimum=1,
            maximum=limits.MAX_PODS_PER_NODE,
        ),
        "daemonsets": DAEMONSETS,
        "currentNodes": array(
            "The nodes the cluster runs today (prices hourlyUsd.before; else today's replicas on the node model).",
            obj(
                "Nodes of one instance type and capacity type.",
                {
                    "instanceType": string("Instance type, e.g. m5.xlarge."),
                    "capacityType": string("Default on-demand.", enum=("on-demand", "spot")),
                    "count": integer("How many.", minimum=0, maximum=limits.MAX_REPLICAS),
                },
                required=("instanceType", "count"),
            ),
        ),
    },
    required=("name", "cloud", "region"),
)

DEMAND = obj(
    "Peak replicas (`replicas: N`), or a forecast: series or promql with perReplica.",
    {
        "replicas": integer("Peak replicas needed.", minimum=0, maximum=limits.MAX_REPLICAS),
        "series": string("CSV of the demand series (unique_id, ds, y), relative to the scenario file."),
        "promql": string("PromQL query of the demand series."),
        "prometheus": string("Prometheus URL for promql."),
        "perReplica": number("Requests/s (or CPU) one replica handles.", minimum=0, exclusive_minimum=True),
        "headroom": number(
            "Extra capacity over the forecast, e.g. 0.1 = 10%. Default 0.1.", minimum=0, maximum=limits.MAX_HEADROOM
        ),
    },
)

WORKLOAD = obj(
    "A Deployment to place.",
    {
        "name": string("Kubernetes Deployment name; unique per namespace."),
        "namespace": string("Kubernetes namespace. Default: default."),
        "resources": obj(
            "Requests per replica.",
            {
                "cpu": quantity("CPU per replica"),
                "memory": quantity("Memory per replica"),
            },
            required=("cpu", "memory"),
        ),
        "demand": DEMAND,
        "users": map_of(
            "Traffic shares per user region; must sum to 1. Omitted = no latency rule.",
            number("A traffic share.", minimum=0, maximum=1),
        ),
        "latencyMs": number(
            "Max RTT from each user region to a serving cluster (needs users).",
            minimum=0,
            maximum=limits.MAX_LATENCY_MS,
            exclusive_minimum=True,
        ),
        "residency": array(
            "Allowed ISO countries and groups (EU, EEA, US, …). Omitted = anywhere.",
            string("An ISO 3166-1 alpha-2 country or a group name."),
            min_items=1,
        ),
        "spot": obj(
            "Spot mix.",
            {
                "maxFraction": number(
                    "Share of replicas that may run on spot (0 = never, the default).", minimum=0, maximum=1
                ),
                "maxClusterShare": number(
                    "At most this share of the spot replicas in any one cluster.",
                    minimum=0,
                    maximum=1,
                    exclusive_minimum=True,
                ),
            },
        ),
        "minAvailable": integer("On-demand floor (PDB); at most the demand.", minimum=0, maximum=limits.MAX_REPLICAS),
        "minClusters": integer(
            "Spread over at least this many clusters. Default 1.", minimum=1, maximum=limits.MAX_MIN_CLUSTERS
        ),
        "current": map_of(
            "Today's placement per cluster (for savings and churn).",
            obj(
                "Replicas today.",
                {
                    "onDemand": integer("On-demand replicas.", minimum=0, maximum=limits.MAX_REPLICAS),
                    "spot": integer("Spot replicas.", minimum=0, maximum=limits.MAX_REPLICAS),
                },
            ),
        ),
        "egressGbPerHour": number(
            "Traffic leaving the serving cluster, GB/h, priced per cloud.",
            minimum=0,
            maximum=limits.MAX_EGRESS_GB_PER_HOUR,
        ),
        "architectures": {
            "description": "kubernetes.io/arch values its images run on (default [amd64]); a list, or comma-separated text.",
            "anyOf": [
                array("Architectures.", string("An architecture.", enum=ARCHITECTURES), min_items=1),
                {
                    "type": "string",
                    "pattern": "^\\s*("
                    + "|".join(ARCHITECTURES)
                    + ")\\s*(,\\s*("
                    + "|".join(ARCHITECTURES)
                    + ")\\s*)*$",
                },
            ],
        },
    },
    required=("name", "resources", "demand"),
)

SPEC = obj(
    "The whole planning input.",
    {
        "planning": PLANNING,
        "prices": PRICES,
        "userRegions": array("Where users are.", USER_REGION),
        "latency": LATENCY,
        "clusters": array("The fleet.", CLUSTER),
        "workloads": array("What to place.", WORKLOAD),
    },
    required=("clusters", "workloads"),
)

SCENARIO = obj(
    f"A placement Scenario ({API_VERSION}): fleet, workloads and policy.",
    {
        "apiVersion": {"const": API_VERSION, "description": "Always " + API_VERSION + "."},
        "kind": {"const": "Scenario", "description": "Always Scenario."},
        "metadata": obj(
            "Metadata.", {"name": string("The scenario's name (plans and reports carry it).")}, closed=False
        ),
        "spec": SPEC,
    },
    required=("apiVersion", "kind", "spec"),
)


def scenario_schema() -> Schema:
    """The JSON Schema document of a Scenario."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"placement Scenario {API_VERSION}",
        **SCENARIO,
    }


def schema_text() -> str:
    """The schema as the shipped file holds it: 2-space JSON, keys in field order, a final newline."""
    return json.dumps(scenario_schema(), indent=2, ensure_ascii=False) + "\n"


def object_fields() -> dict[str, tuple[str, ...]]:
    """Each object's field names by its path (`spec.clusters[]`), for the test against the loader's keys."""
    out: dict[str, tuple[str, ...]] = {}

    def walk(schema: Schema, path: str) -> None:
        for option in schema.get("anyOf", ()):
            walk(option, path)
        if "properties" in schema:
            out[path] = tuple(schema["properties"])
            for name, child in schema["properties"].items():
                walk(child, f"{path}.{name}" if path else name)
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], path + "[]")
        if isinstance(schema.get("additionalProperties"), dict):
            walk(schema["additionalProperties"], path + ".*")

    walk(SCENARIO, "")
    return out


__all__ = ["SCHEMA_ID", "object_fields", "scenario_schema", "schema_text"]
