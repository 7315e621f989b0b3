"""Builders with defaults for tests (after Karpenter's fake.NewInstanceType and test.UnschedulablePod).

`price_from(vcpus, memory_gib)` is deterministic so expected costs can be computed by hand:
$0.04 per vCPU-hour + $0.005 per GiB-hour on-demand; spot is 30% of that.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from placement.plan import Assignment, HourlyCost, Plan, SolverStats
from placement.scenario import Cluster, Planning, Replicas, Scenario, UserRegion, Workload
from pricing import Catalog, CapacityType, Offer

AS_OF = datetime(2025, 3, 2, tzinfo=UTC)


def price_from(vcpus: float, memory_gib: float, capacity_type: CapacityType = CapacityType.ON_DEMAND) -> float:
    on_demand = 0.04 * vcpus + 0.005 * memory_gib
    return on_demand if capacity_type is CapacityType.ON_DEMAND else round(on_demand * 0.3, 10)


def make_offer(**overrides: Any) -> Offer:
    fields: dict[str, Any] = {
        "cloud": "aws", "region": "eu-west-1", "instance_type": "m5.large", "capacity_type": CapacityType.ON_DEMAND,
        "vcpus": 2.0, "memory_gib": 8.0, "source": "test", "as_of": AS_OF,
    }
    fields.update(overrides)
    fields.setdefault("hourly_usd", price_from(fields["vcpus"], fields["memory_gib"], CapacityType(fields["capacity_type"])))
    return Offer(**fields)


def offers_for(cloud: str, region: str, *, scale: float = 1.0, spot: bool = True, rate: float | None = None
               ) -> list[Offer]:
    """A small family of 2/4/8 vCPU types in one region, priced by `price_from` × `scale`."""
    rows = []
    for size, vcpus in (("large", 2), ("xlarge", 4), ("2xlarge", 8)):
        for kind in (CapacityType.ON_DEMAND, CapacityType.SPOT) if spot else (CapacityType.ON_DEMAND,):
            rows.append(make_offer(cloud=cloud, region=region, instance_type=f"m5.{size}", capacity_type=kind,
                                   vcpus=float(vcpus), memory_gib=float(vcpus * 4),
                                   hourly_usd=price_from(vcpus, vcpus * 4, kind) * scale,
                                   interruption_rate=rate if kind is CapacityType.SPOT else None))
    return rows


def make_catalog(*regions: tuple[str, str, float]) -> Catalog:
    """A catalog of (cloud, region, price scale) regions, each with `offers_for` types."""
    offers: list[Offer] = []
    for cloud, region, scale in regions:
        offers.extend(offers_for(cloud, region, scale=scale))
    return Catalog(offers, fetched_at=AS_OF)


def make_cluster(name: str, **overrides: Any) -> Cluster:
    fields: dict[str, Any] = {"name": name, "cloud": "aws", "region": "eu-west-1", "country": "IE",
                              "lat": 53.35, "lon": -6.26}
    fields.update(overrides)
    return Cluster(**fields)


def make_workload(name: str = "web", **overrides: Any) -> Workload:
    fields: dict[str, Any] = {"name": name, "namespace": "shop", "cpu": 1.0, "memory_gib": 2.0, "replicas": 4}
    fields.update(overrides)
    if isinstance(fields.get("current"), dict):
        fields["current"] = {k: v if isinstance(v, Replicas) else Replicas(*v) for k, v in fields["current"].items()}
    return Workload(**fields)


def make_scenario(clusters: list[Cluster], workloads: list[Workload], **overrides: Any) -> Scenario:
    fields: dict[str, Any] = {"name": "test", "clusters": tuple(clusters), "workloads": tuple(workloads),
                              "planning": Planning(time_limit_s=10)}
    fields.update(overrides)
    if "user_regions" in fields:
        fields["user_regions"] = tuple(fields["user_regions"])
    return Scenario(**fields)


def user(name: str, lat: float, lon: float) -> UserRegion:
    return UserRegion(name=name, lat=lat, lon=lon)


def make_assignment(workload: str, cluster: str, on_demand: int, spot: int = 0, **overrides: Any) -> Assignment:
    """An assignment in an aws/eu-west-1 cluster priced on m5.large unless overridden."""
    fields: dict[str, Any] = {"workload": workload, "cluster": cluster, "cloud": "aws", "region": "eu-west-1",
                              "on_demand": on_demand, "spot": spot,
                              "instance_types": {"on-demand": "m5.large", "spot": "m5.large"}, "hourly_usd": 1.0}
    fields.update(overrides)
    return Assignment(**fields)


def make_plan(*assignments: Assignment, **overrides: Any) -> Plan:
    """A solved plan holding these assignments, with neutral solver figures."""
    fields: dict[str, Any] = {
        "scenario": "test", "prices_as_of": {"aws": AS_OF.isoformat()},
        "solver": SolverStats(backend="test", status="optimal", seconds=0.0, objective=1.0, bound=1.0, gap=0.0),
        "hourly_usd": HourlyCost(before=2.0, after=1.0, compute=1.0), "assignments": tuple(assignments),
    }
    fields.update(overrides)
    return Plan(**fields)
