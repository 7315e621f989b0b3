"""The embedded catalog: parsers on hand-written tables, then the real libcloud tables."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pricing import CapacityType
from pricing.embedded import build_embedded_catalog, load_embedded_catalog
from pricing.libcloud_tables import load_libcloud_tables
from pricing.libcloud_tables.aws import parse_ec2_linux
from pricing.libcloud_tables.azure import arm_size_name, parse_azure_linux, size_shape
from pricing.libcloud_tables.gcp import MACHINE_SHAPES, parse_gce_instances
from pricing.libcloud_tables.gcp_spot import CALIBRATED_SOURCE, DEFAULT_GCE_SPOT_CALIBRATION, GceSpotCalibration
from pricing.spot_model import DEFAULT_SPOT_MODEL, SPOT_MODEL_SOURCE, SpotModel

AS_OF = datetime(2025, 3, 2, 17, 36, 18, tzinfo=UTC)
SHARED_PRICES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "prices"


def _unit(price: float) -> dict[str, object]:
    return {"price": price, "sku": "TEST-SKU"}


# -- GCP: composition from per-vCPU and per-GiB prices -------------------------------------------

GCE_TABLE = {
    "n2": {
        "cpu": {
            "on_demand": {"europe-west1": _unit(0.03), "us-central1": _unit(0.0)},
            "preemptible": {"europe-west1": _unit(0.008)},
        },
        "ram": {
            "on_demand": {"europe-west1": _unit(0.004), "us-central1": _unit(0.004)},
            "preemptible": {"europe-west1": _unit(0.001)},
        },
    },
}


def test_gcp_machine_price_is_vcpus_times_core_price_plus_gib_times_ram_price() -> None:
    offers = parse_gce_instances(GCE_TABLE, AS_OF, spot_calibration=None)
    by_key = {(o.instance_type, o.capacity_type): o for o in offers}
    standard4 = by_key[("n2-standard-4", CapacityType.ON_DEMAND)]
    assert (standard4.vcpus, standard4.memory_gib) == (4, 16)
    assert standard4.hourly_usd == pytest.approx(4 * 0.03 + 16 * 0.004)  # 0.184
    highmem8 = by_key[("n2-highmem-8", CapacityType.SPOT)]
    assert highmem8.hourly_usd == pytest.approx(8 * 0.008 + 64 * 0.001)  # 0.128
    assert highmem8.source == "embedded:libcloud-gce-preemptible"
    assert standard4.source == "embedded:libcloud-gce"


def test_gcp_spot_is_the_preemptible_composition_times_the_calibrated_factor() -> None:
    calibration = GceSpotCalibration(
        by_family_region={"n2": {"europe-west1": 1.5}},
        by_family={},
        overall=1.2,
        calibrated_on=date(2026, 7, 30),
        rows=1,
        source="test:calibrated",
    )
    offers = parse_gce_instances(GCE_TABLE, AS_OF, spot_calibration=calibration)
    by_key = {(o.instance_type, o.capacity_type): o for o in offers}
    highmem8 = by_key[("n2-highmem-8", CapacityType.SPOT)]
    assert highmem8.hourly_usd == pytest.approx((8 * 0.008 + 64 * 0.001) * 1.5)  # 0.192
    assert highmem8.source == "test:calibrated"
    standard4 = by_key[("n2-standard-4", CapacityType.ON_DEMAND)]
    assert (standard4.hourly_usd, standard4.source) == (pytest.approx(0.184), "embedded:libcloud-gce")  # untouched
    default = {(o.instance_type, o.capacity_type): o for o in parse_gce_instances(GCE_TABLE, AS_OF)}
    assert default[("n2-highmem-8", CapacityType.SPOT)].source == CALIBRATED_SOURCE


def test_gcp_region_with_a_zero_unit_price_is_not_offered() -> None:
    regions = {o.region for o in parse_gce_instances(GCE_TABLE, AS_OF)}
    assert regions == {"europe-west1"}  # us-central1 lists cpu at 0.0: not sold there


def test_gcp_real_table_composition_matches_unit_prices() -> None:
    tables = load_libcloud_tables()
    n2 = tables.compute["gce_instances"]["n2"]
    core = n2["cpu"]["on_demand"]["europe-west1"]["price"]
    gib = n2["ram"]["on_demand"]["europe-west1"]["price"]
    spot_core = n2["cpu"]["preemptible"]["europe-west1"]["price"]
    spot_gib = n2["ram"]["preemptible"]["europe-west1"]["price"]
    region = load_embedded_catalog().in_region("gcp", "europe-west1")
    assert region.price("n2-standard-4", "on-demand") == pytest.approx(4 * core + 16 * gib, abs=1e-6)
    assert region.price("n2-highcpu-16", "on-demand") == pytest.approx(16 * core + 16 * gib, abs=1e-6)
    factor = DEFAULT_GCE_SPOT_CALIBRATION.factor("n2", "europe-west1")
    assert region.price("n2-standard-4", "spot") == pytest.approx((4 * spot_core + 16 * spot_gib) * factor, abs=1e-6)


# -- AWS: table + specs, spot from the model ------------------------------------------------------

EC2_SPECS = {
    "m5.large": {"ram": 8192, "extra": {"vcpu": "2", "instanceFamily": "General purpose"}},
    "p3.2xlarge": {"ram": 62464, "extra": {"vcpu": "8", "gpu": "1", "instanceFamily": "GPU instance"}},
    "t3.large": {"ram": 8192, "extra": {"vcpu": "2", "instanceFamily": "General purpose"}},
    "inf1.xlarge": {"ram": 8192, "extra": {"vcpu": "4", "instanceFamily": "Machine Learning ASIC Instances"}},
}
EC2_PRICES = {
    "m5.large": {"us-east-1": 0.096, "eu-west-1": 0.0, "us-gov-west-1": 0.12, "us-west-2-lax-1": 0.115},
    "p3.2xlarge": {"us-east-1": 3.06},
    "t3.large": {"us-east-1": 0.0832},
    "inf1.xlarge": {"us-east-1": 0.228},
    "c5": {"us-east-1": 0.085},  # a bare family key without specs
}


def test_aws_parser_keeps_priced_commercial_regions_and_drops_what_it_cannot_price() -> None:
    offers = parse_ec2_linux(EC2_PRICES, EC2_SPECS, AS_OF)
    kept = {(o.instance_type, o.region) for o in offers}
    assert kept == {("m5.large", "us-east-1"), ("p3.2xlarge", "us-east-1")}
    gpu = next(o for o in offers if o.instance_type == "p3.2xlarge")
    assert (gpu.vcpus, gpu.memory_gib, gpu.gpus) == (8, 61, 1)


def test_aws_spot_is_the_model_discount_of_on_demand() -> None:
    model = SpotModel(discounts={"aws": {"*": 0.5}}, rates={"aws": {"*": 0.1}})
    offers = parse_ec2_linux(EC2_PRICES, EC2_SPECS, AS_OF, model)
    spot = next(o for o in offers if o.instance_type == "m5.large" and o.capacity_type is CapacityType.SPOT)
    assert spot.hourly_usd == pytest.approx(0.048)
    assert spot.interruption_rate == 0.1
    assert spot.source == SPOT_MODEL_SOURCE


def test_aws_types_without_a_spot_market_get_on_demand_only() -> None:
    specs = {
        **EC2_SPECS,
        "hpc6a.48xlarge": {"ram": 393216, "extra": {"vcpu": "96", "instanceFamily": "Compute optimized"}},
        "u-6tb1.56xlarge": {"ram": 6291456, "extra": {"vcpu": "224", "instanceFamily": "Memory optimized"}},
        "mac2-m2.metal": {"ram": 24576, "extra": {"vcpu": "8", "instanceFamily": "General purpose"}},
    }
    prices = {
        **EC2_PRICES,
        "hpc6a.48xlarge": {"us-east-2": 2.88},
        "u-6tb1.56xlarge": {"us-east-1": 40.96},
        "mac2-m2.metal": {"us-east-1": 0.878},
    }
    offers = parse_ec2_linux(prices, specs, AS_OF)
    kinds = {(o.instance_type, o.capacity_type) for o in offers}
    assert kinds == {
        ("m5.large", CapacityType.ON_DEMAND),
        ("m5.large", CapacityType.SPOT),
        ("p3.2xlarge", CapacityType.ON_DEMAND),
        ("p3.2xlarge", CapacityType.SPOT),
        ("hpc6a.48xlarge", CapacityType.ON_DEMAND),
        ("u-6tb1.56xlarge", CapacityType.ON_DEMAND),
        ("mac2-m2.metal", CapacityType.ON_DEMAND),
    }
    lifted = parse_ec2_linux(prices, specs, AS_OF, dataclasses.replace(DEFAULT_SPOT_MODEL, no_spot={}))
    assert ("hpc6a.48xlarge", CapacityType.SPOT) in {(o.instance_type, o.capacity_type) for o in lifted}


_NO_SPOT_PREFIXES = ("hpc", "mac", "u-", "u7")


def test_real_catalog_has_no_spot_for_hpc_mac_or_high_memory_but_keeps_their_on_demand() -> None:
    aws = load_embedded_catalog().of_cloud("aws")
    assert [o.instance_type for o in aws.of("spot") if o.instance_type.startswith(_NO_SPOT_PREFIXES)] == []
    on_demand_types = {o.instance_type for o in aws.of("on-demand")}
    assert {"hpc6a.48xlarge", "hpc7g.16xlarge", "u-6tb1.56xlarge", "u7i-12tb.224xlarge"} <= on_demand_types
    spot_types = {o.instance_type for o in aws.of("spot")}
    assert {"m7i.large", "c6g.xlarge", "r6i.2xlarge", "x2idn.16xlarge", "p3.2xlarge"} <= spot_types


def test_real_aws_spot_offers_all_follow_the_default_model() -> None:
    aws = load_embedded_catalog().of_cloud("aws")
    on_demand = {(o.region, o.instance_type): o.hourly_usd for o in aws.of("on-demand")}
    spot = aws.of("spot").offers
    sold_as_spot = [key for key in on_demand if DEFAULT_SPOT_MODEL.sells_spot("aws", key[1])]
    assert len(spot) == len(sold_as_spot) > 5000
    assert len(sold_as_spot) < len(on_demand)  # hpc* and u-* are priced on-demand only
    for offer in spot:
        expected = on_demand[(offer.region, offer.instance_type)] * (
            1 - DEFAULT_SPOT_MODEL.discount("aws", offer.instance_type)
        )
        assert offer.hourly_usd == pytest.approx(expected, abs=1e-6)
        assert offer.source == SPOT_MODEL_SOURCE
        assert offer.interruption_rate is not None


# -- Azure: squashed names → ARM names, published shapes, low-priority as spot --------------------


@pytest.mark.parametrize(
    ("squashed", "arm", "shape"),
    [
        ("standardd4sv3", "Standard_D4s_v3", (4, 16)),
        ("standardd2asv4", "Standard_D2as_v4", (2, 8)),
        ("standardds1v2", "Standard_DS1_v2", (1, 3.5)),  # Dv2 sizes are numbered, not counted
        ("standardd15v2", "Standard_D15_v2", (20, 140)),
        ("standarde64sv4", "Standard_E64s_v4", (64, 504)),  # not 8 × 64
        ("standarde64sv3", "Standard_E64s_v3", (64, 432)),
        ("standarde96asv4", "Standard_E96as_v4", (96, 672)),
        ("standardf8sv2", "Standard_F8s_v2", (8, 16)),
        ("standarda2mv2", "Standard_A2m_v2", (2, 16)),
        ("standardb2s", "Standard_B2s", None),  # burstable: dropped
        ("standardnc6", "Standard_NC6", None),  # GPU: dropped
    ],
)
def test_azure_names_and_shapes(squashed: str, arm: str, shape: tuple[float, float] | None) -> None:
    assert arm_size_name(squashed) == ("standard", arm)
    assert size_shape(squashed) == shape


def test_azure_spot_comes_from_low_priority_else_the_model() -> None:
    table = {
        "standardd4sv3": {"westeurope": 0.23, "usgovvirginia": 0.25, "germanycentral": 0.3},
        "lowpriorityd4sv3": {"westeurope": 0.046},
        "standarde4dv4": {"westeurope": 0.3},  # no low-priority row
        "standardb2s": {"westeurope": 0.05},
    }
    offers = {(o.instance_type, o.capacity_type): o for o in parse_azure_linux(table, AS_OF)}
    assert set(offers) == {
        ("Standard_D4s_v3", CapacityType.ON_DEMAND),
        ("Standard_D4s_v3", CapacityType.SPOT),
        ("Standard_E4d_v4", CapacityType.ON_DEMAND),
        ("Standard_E4d_v4", CapacityType.SPOT),
    }
    low_priority = offers[("Standard_D4s_v3", CapacityType.SPOT)]
    assert (low_priority.hourly_usd, low_priority.source) == (0.046, "embedded:libcloud-azure-lowpriority")
    modelled = offers[("Standard_E4d_v4", CapacityType.SPOT)]
    assert modelled.hourly_usd == pytest.approx(0.3 * (1 - DEFAULT_SPOT_MODEL.discount("azure", "Standard_E4d_v4")))
    assert modelled.source == SPOT_MODEL_SOURCE
    assert {o.region for o in offers.values()} == {"westeurope"}


# -- the real embedded catalog ------------------------------------------------------------------


def test_every_offer_has_source_and_as_of_from_the_table() -> None:
    catalog = load_embedded_catalog()
    as_of = load_libcloud_tables().as_of
    assert catalog.clouds() == {"aws", "gcp", "azure"}
    assert all(o.source.startswith("embedded:") and o.as_of == as_of for o in catalog)
    assert as_of.tzinfo is not None


@pytest.mark.parametrize(
    ("cloud", "region", "instance_type", "vcpus", "memory_gib"),
    [
        ("aws", "us-east-1", "m5.large", 2, 8),
        ("aws", "eu-west-1", "c6i.xlarge", 4, 8),
        ("aws", "eu-central-1", "r6i.2xlarge", 8, 64),
        ("gcp", "europe-west1", "n2-standard-4", 4, 16),
        ("gcp", "us-central1", "e2-standard-8", 8, 32),
        ("gcp", "europe-west4", "n1-highmem-8", 8, 52),
        ("azure", "westeurope", "Standard_D4s_v3", 4, 16),
        ("azure", "eastus", "Standard_E8s_v4", 8, 64),
    ],
)
def test_known_instances_are_present_with_their_shapes(
    cloud: str, region: str, instance_type: str, vcpus: float, memory_gib: float
) -> None:
    offers = load_embedded_catalog().in_region(cloud, region).where(instance_type=instance_type)
    assert {o.capacity_type for o in offers} == {CapacityType.ON_DEMAND, CapacityType.SPOT}
    assert all((o.vcpus, o.memory_gib) == (vcpus, memory_gib) for o in offers)
    assert offers.price(instance_type, "spot") < offers.price(instance_type, "on-demand")


def test_dropped_kinds_are_absent() -> None:
    catalog = load_embedded_catalog()
    types = {o.instance_type for o in catalog}
    assert not {t for t in types if t.startswith(("t3.", "t4g.", "inf", "trn", "Standard_B", "e2-micro", "f1-"))}
    assert not {r for _, r in catalog.regions() if r.startswith(("us-gov", "usgov")) or r.count("-") > 2}


def test_catalog_is_built_once_per_process_and_quickly() -> None:
    assert load_embedded_catalog() is load_embedded_catalog()
    started = time.perf_counter()
    rebuilt = build_embedded_catalog(load_libcloud_tables())
    assert time.perf_counter() - started < 3.0  # ~0.25 s here; the budget of `make demo` is 5 s in all
    assert len(rebuilt) == len(load_embedded_catalog())


# -- shapes against public price lists (skipped without ../shared/data) ------------------------


def _shared_rows(name: str) -> list[dict[str, str]]:
    path = SHARED_PRICES / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    with gzip.open(path, "rt", newline="") if name.endswith(".gz") else path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_gcp_shapes_match_googles_price_list() -> None:
    shapes = {
        row["machine_type"]: (float(row["vcpus"]), float(row["memory_gib"]))
        for row in _shared_rows("gcp_compute_instance_prices_2026-07-30.csv.gz")
    }
    ours = {f"{family}-{series}-{int(v)}": (v, m) for family, rows in MACHINE_SHAPES.items() for series, v, m in rows}
    compared = {name: shape for name, shape in ours.items() if name in shapes}
    assert len(compared) >= 0.9 * len(ours)
    assert {n: s for n, s in compared.items() if shapes[n] != s} == {}


def test_azure_shapes_match_the_public_price_list() -> None:
    shapes = {
        row["InstanceType"]: (float(row["vCPUs"]), float(row["MemoryGiB"]))
        for row in _shared_rows("azure_vm_prices_2026-05-20.csv.gz")
    }
    ours = {(o.instance_type, o.vcpus, o.memory_gib) for o in load_embedded_catalog().of_cloud("azure")}
    compared = [(name, v, m) for name, v, m in ours if name in shapes]
    assert len(compared) >= 0.9 * len(ours)
    assert [(n, v, m, shapes[n]) for n, v, m in compared if shapes[n] != (v, m)] == []


def test_aws_shapes_match_the_ec2_catalog() -> None:
    shapes = {
        row["instance_type"]: (float(row["vcpus"]), float(row["memory_gib"]))
        for row in _shared_rows("aws_ec2_us-east-2_catalog_2025-09.csv")
    }
    ours = {(o.instance_type, o.vcpus, o.memory_gib) for o in load_embedded_catalog().in_region("aws", "us-east-2")}
    compared = [(name, v, m) for name, v, m in ours if name in shapes]
    assert len(compared) >= 0.9 * len(ours)
    assert [(n, v, m, shapes[n]) for n, v, m in compared if shapes[n] != (v, m)] == []
