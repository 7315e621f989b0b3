"""The input contract: `Scenario` (placement.dev/v1alpha1) and its parts, as typed, frozen values.

Field meanings follow DESIGN.md ("Input contract"). These objects are built by the YAML loader
(`placement.load.scenario`) or from live clusters; both paths produce the same values. Quantities
are already parsed: `cpu` in cores, `memory_gib` in GiB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pricing.nodes import DEFAULT_DAEMONSET, DaemonsetOverhead

API_VERSION = "placement.dev/v1alpha1"

AUTOSCALERS = ("karpenter/v1", "karpenter/v1beta1", "karpenter/v1alpha5", "gke", "aks", "none")
#: The clouds each autoscaler runs on (None: any). Karpenter has providers for AWS and for Azure
#: (karpenter-provider-azure, from NodePool v1beta1 on; it never served the v1alpha5 Provisioner);
#: `gke` is GKE's cluster autoscaler, `aks` AKS's. A custom cloud has no node labels placement knows,
#: so only `none` (placement sets replicas and scheduling; nodes are provisioned some other way).
AUTOSCALER_CLOUDS: Mapping[str, tuple[str, ...] | None] = {
    "karpenter/v1": ("aws", "azure"),
    "karpenter/v1beta1": ("aws", "azure"),
    "karpenter/v1alpha5": ("aws",),
    "gke": ("gcp",),
    "aks": ("azure",),
    "none": None,
}
#: The autoscaler a cluster has when it does not say (a custom cloud: `none`).
DEFAULT_AUTOSCALERS: Mapping[str, str] = {"aws": "karpenter/v1", "azure": "karpenter/v1", "gcp": "gke"}


def autoscalers_for(cloud: str) -> tuple[str, ...]:
    """The autoscalers a cluster in `cloud` may declare."""
    return tuple(a for a, clouds in AUTOSCALER_CLOUDS.items() if clouds is None or cloud in clouds)


def default_autoscaler(cloud: str) -> str:
    return DEFAULT_AUTOSCALERS.get(cloud, "none")


PRICE_SOURCES = ("embedded", "cache", "live", "file")
#: kubelet's default `maxPods`, for clouds without a platform default of their own. Unset
#: `maxPodsPerNode` means each platform's default (`pricing.nodes.max_pods`: AWS's ENI limit per
#: type where known, GKE 110, AKS 30 with Azure CNI); set it per cluster when yours differs.
DEFAULT_MAX_PODS_PER_NODE = 110


@dataclass(frozen=True, slots=True)
class Planning:
    """How to plan: demand quantile, solver time limit, churn budget and spot risk weight."""

    quantile: float = 0.95
    time_limit_s: float = 30.0
    max_moves: int | None = None
    risk_aversion: float = 1.0
    overhead_factor: float = 1.0  # multiplies replica prices (packing, daemonsets); DESIGN default 1
    slots: int | None = None  # plan this many hourly slots of forecast demand (`placement.analysis.time_slots`)
    max_moves_per_slot: int | None = None  # churn limit between consecutive slots of a schedule


@dataclass(frozen=True, slots=True)
class InterruptionRate:
    """A configured spot interruption rate: the fraction of spot capacity reclaimed per month, for a
    cloud, optionally narrowed to a region and/or an instance family (`placement.load.spot_rates`)."""

    cloud: str
    monthly: float
    region: str | None = None
    family: str | None = None


@dataclass(frozen=True, slots=True)
class EgressPrices:
    """USD per GB leaving a cluster of one cloud: to the internet, to another region of the same
    cloud, and to another cloud (`placement.geo.egress` holds the embedded figures and their sources)."""

    internet_per_gb: float
    inter_region_per_gb: float
    inter_cloud_per_gb: float


@dataclass(frozen=True, slots=True)
class PriceSettings:
    """Where prices come from (`source`), an optional offers CSV, extra CSVs and adjustments, plus
    spot interruption rates (configured, or an AWS Spot Instance Advisor feed) and egress overrides."""

    source: str = "embedded"
    file: Path | None = None
    extra: tuple[Path, ...] = ()
    adjustments: tuple[Mapping[str, Any], ...] = ()
    interruption_rates: tuple[InterruptionRate, ...] = ()
    spot_advisor: Path | None = None
    egress: Mapping[str, EgressPrices] = field(default_factory=dict)  # cloud -> resolved prices (overridden clouds)


@dataclass(frozen=True, slots=True)
class UserRegion:
    """Where a population of users is; latency rules are measured from here."""

    name: str
    lat: float
    lon: float
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Cluster:
    """A Kubernetes cluster in one cloud region. `country` is resolved (table or override)."""

    name: str
    cloud: str
    region: str
    country: str
    lat: float | None = None
    lon: float | None = None
    context: str | None = None
    autoscaler: str = "karpenter/v1"
    capacity_cpu: float | None = None
    instance_families: tuple[str, ...] | None = None
    egress_usd_per_gb: float | None = None  # internet egress price override; None = the cloud's embedded price
    max_pods_per_node: int | None = None  # pod slots per node; None = the platform's default per type
    daemonsets: DaemonsetOverhead = DEFAULT_DAEMONSET  # requests every node's daemonset pods take
    # today's nodes, when known: (instance type, capacity type) -> count; prices `hourlyUsd.before`
    current_nodes: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Replicas:
    """A count of replicas by capacity type in one cluster."""

    on_demand: int = 0
    spot: int = 0

    @property
    def total(self) -> int:
        return self.on_demand + self.spot


@dataclass(frozen=True, slots=True)
class DemandSpec:
    """How a workload's demand is given: fixed peak `replicas`, or a traffic `series`/`promql`
    divided by `per_replica` capacity. `source` says, in words, what sized the workload."""

    replicas: int | None = None
    series: str | None = None
    promql: str | None = None
    per_replica: float | None = None
    source: str = ""
    replicas_by_slot: tuple[int, ...] = ()  # forecast replicas per slot (empty for fixed `replicas`)
    slot_start: datetime | None = None  # start of the first forecast slot (UTC)
    slot_seconds: int = 0
    headroom: float = 0.0  # forecast demand: extra capacity on top of the forecast (0.1 = 10 %)
    prometheus: str | None = None  # forecast demand: Prometheus URL for `promql` (else $PROMETHEUS_URL)
    series_path: Path | None = None  # forecast demand: the series file, resolved against the scenario's folder

    @property
    def needs_forecast(self) -> bool:
        """A traffic series or query that `placement.load.demand.resolve_demand` has not sized yet."""
        return (self.series is not None or self.promql is not None) and not self.source

    warning: str = ""  # e.g. a forecast from a series that ended before now; the plan repeats it


@dataclass(frozen=True, slots=True)
class Workload:
    """A Kubernetes controller to place, with its per-replica resources, demand and rules."""

    name: str
    namespace: str
    cpu: float
    memory_gib: float
    replicas: int  # peak replicas to plan for (resolved from `demand`)
    demand: DemandSpec = field(default_factory=DemandSpec)
    users: Mapping[str, float] = field(default_factory=dict)  # user region -> traffic share
    latency_ms: float | None = None
    residency: tuple[str, ...] | None = None  # allowed countries / groups; None = anywhere
    spot_max_fraction: float = 0.0
    min_available: int = 0  # on-demand floor (PDB)
    min_clusters: int = 1
    current: Mapping[str, Replicas] = field(default_factory=dict)  # cluster -> today's replicas
    egress_gb_per_hour: float = 0.0  # optional: traffic leaving the serving cluster, GB/h at peak
    spot_max_cluster_share: float | None = None  # at most this share of the spot replicas in any one cluster
    # `kubernetes.io/arch` values its images run on (pricing.offer.ARCHITECTURES); amd64-only unless
    # listed, as Karpenter v1alpha5 defaulted, so multi-arch images opt in to Arm nodes
    architectures: tuple[str, ...] = ("amd64",)

    @property
    def key(self) -> str:
        """The workload's id in plans and forecasts: ``namespace/name``."""
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class Scenario:
    """The whole planning input: fleet, workloads, users, latency data, prices and planning knobs."""

    name: str
    clusters: tuple[Cluster, ...]
    workloads: tuple[Workload, ...]
    user_regions: tuple[UserRegion, ...] = ()
    latency_matrix_ms: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    planning: Planning = field(default_factory=Planning)
    prices: PriceSettings = field(default_factory=PriceSettings)
    base_dir: Path | None = None  # where relative paths (price files, series) resolve from
    _by_name: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # One index for the lookups below (they run per assignment on fleets of thousands).
        index: dict[str, Any] = {f"cluster:{c.name}": c for c in self.clusters}
        for w in self.workloads:
            index.setdefault(f"workload:{w.name}", w)
        index.update({f"workload:{w.key}": w for w in self.workloads})
        object.__setattr__(self, "_by_name", index)

    def cluster(self, name: str) -> Cluster:
        found = self._by_name.get(f"cluster:{name}")
        if found is None:
            raise KeyError(name)
        return found

    def user_region(self, name: str) -> UserRegion:
        for region in self.user_regions:
            if region.name == name:
                return region
        raise KeyError(name)

    def workload(self, key: str) -> Workload:
        """A workload by ``namespace/name`` (or by bare name, the first with that name)."""
        found = self._by_name.get(f"workload:{key}")
        if found is None:
            raise KeyError(key)
        return found
