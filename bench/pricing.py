"""Live-price parsers and the embedded catalog, measured. Prints figures; never run by the unit tests.

    .venv/bin/python bench/pricing.py [--scale 1.0] [--repeat 3]

1. Parse throughput per source (offers/s): each source's real ``fetch`` path (paging, JSON decoding,
   filtering, composing, `Offer` construction) against in-memory fake clients serving large generated
   pages shaped like the real APIs, so only the network is left out. Target: ≥ 100k offers/s per source.
   Times are the least CPU seconds of this process over ``--repeat`` runs (the machine is shared), and
   each is also given as a ratio to a peer measured in the same run: stdlib ``json.loads`` of the
   same raw pages, which is load-independent where absolute offers/s are not.
   * AWS: one region of 1,000 instance types in ``get_products`` pages of 100 (each product a JSON
     string with 12 Reserved terms, ~9 KB like the real ones) + spot history for 6 zones with two
     points per zone (``StartTime=now`` returns the price in effect too), pages of 1,000.
   * Azure: 50 pages × 1,000 items (regular, Spot, Low Priority, Windows, Windows Spot per size).
   * GCP: 6 pages × 5,000 SKUs (~8 % per-vCPU/per-GiB SKUs of composable families in 40 regions,
     the rest other SKUs: custom, commitments, GPUs, disks), composed for all 40 regions.
2. Embedded catalog vs the real price tables in ../shared/data/prices, per cloud and capacity type:
   matched share of (instance type × region) pairs and the median relative difference. Target:
   on-demand median |difference| ≤ 10 % for every cloud.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, this file's directory comes first on sys.path and its name would shadow the
# `pricing` package; drop that entry so `import pricing` finds the package.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from pricing.offer import Offer
from pricing.sources.aws import AwsSource
from pricing.sources.aws_products import parse_products
from pricing.sources.azure import AzureSource, region_url
from pricing.sources.gcp import GcpSource
from pricing.sources.regions import KNOWN_REGIONS
from pricing.sources.retry import NO_WAIT

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "prices"
NOW = datetime(2025, 6, 1, tzinfo=UTC)


# == 1. parse throughput ===========================================================================
def _aws_product(instance_type: str, vcpus: int, price: float) -> str:
    sku = f"SKU{abs(hash(instance_type)) % 10**12:012d}"

    def term(code: str, usd: float, extra: dict[str, str]) -> dict[str, Any]:
        return {
            "priceDimensions": {
                f"{sku}.{code}.6YS6EN2CT7": {
                    "unit": "Hrs",
                    "endRange": "Inf",
                    "description": f"${usd:.4f} per Linux {instance_type} Instance Hour",
                    "appliesTo": [],
                    "rateCode": f"{sku}.{code}.6YS6EN2CT7",
                    "beginRange": "0",
                    "pricePerUnit": {"USD": f"{usd:.10f}"},
                }
            },
            "sku": sku,
            "effectiveDate": "2025-05-01T00:00:00Z",
            "offerTermCode": code,
            "termAttributes": extra,
        }

    attributes = {
        "enhancedNetworkingSupported": "Yes",
        "intelTurboAvailable": "Yes",
        "memory": f"{vcpus * 4} GiB",
        "dedicatedEbsThroughput": "Up to 10 Gbps",
        "vcpu": str(vcpus),
        "classicnetworkingsupport": "false",
        "capacitystatus": "Used",
        "locationType": "AWS Region",
        "storage": "EBS only",
        "instanceFamily": "General purpose",
        "operatingSystem": "Linux",
        "intelAvx2Available": "Yes",
        "regionCode": "us-east-1",
        "physicalProcessor": "Intel Xeon Platinum 8488C",
        "clockSpeed": "3.2 GHz",
        "ecu": "NA",
        "networkPerformance": "Up to 12.5 Gigabit",
        "servicename": "Amazon Elastic Compute Cloud",
        "gpuMemory": "NA",
        "vpcnetworkingsupport": "true",
        "instanceType": instance_type,
        "tenancy": "Shared",
        "usagetype": f"BoxUsage:{instance_type}",
        "normalizationSizeFactor": "4",
        "intelAvxAvailable": "Yes",
        "processorFeatures": "Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo",
        "servicecode": "AmazonEC2",
        "licenseModel": "No License required",
        "currentGeneration": "Yes",
        "preInstalledSw": "NA",
        "location": "US East (N. Virginia)",
        "processorArchitecture": "64-bit",
        "marketoption": "OnDemand",
        "operation": "RunInstances",
        "availabilityzone": "NA",
    }
    reserved = {}
    for i in range(12):
        code = f"R{i:07d}X"
        reserved[f"{sku}.{code}"] = term(
            code,
            price * 0.6,
            {
                "LeaseContractLength": "1yr" if i % 2 else "3yr",
                "OfferingClass": "standard",
                "PurchaseOption": "No Upfront",
            },
        )
    product = {
        "product": {"productFamily": "Compute Instance", "attributes": attributes, "sku": sku},
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": term("JRTCKXETXF", price, {})}, "Reserved": reserved},
        "version": "20250501000000",
        "publicationDate": "2025-05-01T00:00:00Z",
    }
    return json.dumps(product, separators=(",", ":"))


class _FakePricing:
    def __init__(self, pages: list[list[str]]) -> None:
        self.pages = pages

    def get_products(self, **kwargs: Any) -> dict[str, Any]:
        number = int(kwargs.get("NextToken", 0))
        out: dict[str, Any] = {"PriceList": self.pages[number], "FormatVersion": "aws_v1"}
        if number + 1 < len(self.pages):
            out["NextToken"] = str(number + 1)
        return out


class _FakeEc2:
    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self.pages = pages

    def describe_spot_price_history(self, **kwargs: Any) -> dict[str, Any]:
        number = int(kwargs.get("NextToken", 0))
        out: dict[str, Any] = {"SpotPriceHistory": self.pages[number]}
        if number + 1 < len(self.pages):
            out["NextToken"] = str(number + 1)
        return out


def bench_aws(scale: float) -> tuple[Callable[[], list[Offer]], dict[str, Any]]:
    n = int(1000 * scale)
    types = [(f"x{i}.{['large', 'xlarge', '2xlarge', '4xlarge'][i % 4]}", 2 ** (1 + i % 4)) for i in range(n)]
    products = [_aws_product(t, v, 0.05 * v) for t, v in types]
    product_pages = [products[i : i + 100] for i in range(0, len(products), 100)]
    spot = [
        {
            "AvailabilityZone": f"us-east-1{z}",
            "InstanceType": t,
            "ProductDescription": "Linux/UNIX",
            "SpotPrice": f"{0.015 * v + k * 0.001:.6f}",
            "Timestamp": NOW - timedelta(hours=k),
        }
        for t, v in types
        for z in "abcdef"
        for k in (0, 5)
    ]
    spot_pages = [spot[i : i + 1000] for i in range(0, len(spot), 1000)]
    source = AwsSource(
        pricing_client=_FakePricing(product_pages),
        ec2_client_for=lambda _r: _FakeEc2(spot_pages),
        retry=NO_WAIT,
        clock=lambda: NOW,
    )
    info = {
        "products": len(products),
        "product bytes/each": sum(map(len, products)) // len(products),
        "spot points": len(spot),
        "pages": len(product_pages) + len(spot_pages),
        "parse_only": products,
        "raw": products,
    }
    return lambda: source.fetch(["us-east-1"]), info


def _azure_names(count: int) -> list[str]:
    names = []
    series = [("D", "s"), ("D", "ds"), ("D", "as"), ("D", "ads"), ("D", "ls"), ("E", "s"), ("E", "ds"), ("E", "as")]
    versions = ["v4", "v5", "v6", "v7"]
    size = 2
    while len(names) < count:
        for letter, suffix in series:
            for version in versions:
                names.append(f"Standard_{letter}{size}{suffix}_{version}")
        size += 2
    return names[:count]


class _FakeHttp:
    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages

    def get(self, url: str, headers: Any = None) -> bytes:
        return self.pages[url]


def bench_azure(scale: float) -> tuple[Callable[[], list[Offer]], dict[str, Any]]:
    sizes = _azure_names(int(10_000 * scale))
    items = []
    for i, name in enumerate(sizes):
        size = name.removeprefix("Standard_").replace("_", " ")
        for suffix, product_suffix, price in (
            ("", "", 0.1),
            (" Spot", "", 0.02),
            (" Low Priority", "", 0.02),
            ("", " Windows", 0.2),
            (" Spot", " Windows", 0.05),
        ):
            items.append(
                {
                    "currencyCode": "USD",
                    "tierMinimumUnits": 0.0,
                    "retailPrice": price + i * 1e-5,
                    "unitPrice": price + i * 1e-5,
                    "armRegionName": "westeurope",
                    "location": "EU West",
                    "effectiveStartDate": "2024-05-01T00:00:00Z",
                    "meterId": f"m-{i}-{suffix}{product_suffix}",
                    "meterName": f"{size}{suffix}",
                    "productId": "DZH318Z0C3W6",
                    "skuId": f"DZH318Z0C3W6/{i:04d}",
                    "availabilityId": None,
                    "productName": f"Virtual Machines {size.split()[0]} Series{product_suffix}",
                    "skuName": f"{size}{suffix}",
                    "serviceName": "Virtual Machines",
                    "serviceId": "DZH313Z7MMC8",
                    "serviceFamily": "Compute",
                    "unitOfMeasure": "1 Hour",
                    "type": "Consumption",
                    "isPrimaryMeterRegion": True,
                    "armSkuName": name,
                }
            )
    base = "https://prices.example/api/retail/prices"
    chunks = [items[i : i + 1000] for i in range(0, len(items), 1000)]
    urls = [region_url(base, "westeurope")] + [f"{base}?page={k}" for k in range(2, len(chunks) + 1)]
    pages = {
        url: json.dumps(
            {
                "BillingCurrency": "USD",
                "CustomerEntityId": "Default",
                "CustomerEntityType": "Retail",
                "Items": chunk,
                "NextPageLink": urls[k + 1] if k + 1 < len(urls) else None,
                "Count": len(chunk),
            }
        ).encode()
        for k, (url, chunk) in enumerate(zip(urls, chunks, strict=True))
    }
    source = AzureSource(base_url=base, http=_FakeHttp(pages), retry=NO_WAIT, clock=lambda: NOW)
    info = {
        "items": len(items),
        "pages": len(pages),
        "MB": round(sum(map(len, pages.values())) / 1e6, 1),
        "raw": list(pages.values()),
    }
    return lambda: source.fetch(["westeurope"]), info


_GCP_WORDS = {
    "e2": "E2",
    "n1": "N1 Predefined",
    "n2": "N2",
    "n2d": "N2D AMD",
    "n4": "N4",
    "c2": "Compute optimized",
    "c2d": "C2D AMD",
    "c3": "C3",
    "c3d": "C3D",
    "c4": "C4",
    "t2d": "T2D AMD",
    "t2a": "T2A Arm",
}


def _gcp_sku(index: int, description: str, usd: float, region: str, usage: str, family: str = "Compute") -> dict:
    ram = " Ram " in description
    return {
        "name": f"services/6F81-5844-456A/skus/{index:04X}-{index * 7 % 65536:04X}",
        "skuId": f"{index:08X}",
        "description": description,
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": family,
            "resourceGroup": "RAM" if ram else "CPU",
            "usageType": usage,
        },
        "serviceRegions": [region],
        "pricingInfo": [
            {
                "summary": "",
                "pricingExpression": {
                    "usageUnit": "GiBy.h" if ram else "h",
                    "usageUnitDescription": "gibibyte hour" if ram else "hour",
                    "baseUnit": "By.s" if ram else "s",
                    "baseUnitDescription": "byte second" if ram else "second",
                    "baseUnitConversionFactor": 3865470566400 if ram else 3600,
                    "displayQuantity": 1,
                    "tieredRates": [
                        {
                            "startUsageAmount": 0,
                            "unitPrice": {"currencyCode": "USD", "units": str(int(usd)), "nanos": int((usd % 1) * 1e9)},
                        }
                    ],
                },
                "currencyConversionRate": 1,
                "effectiveTime": "2025-05-01T00:00:00Z",
            }
        ],
        "serviceProviderName": "Google",
        "geoTaxonomy": {"type": "REGIONAL", "regions": [region]},
    }


def bench_gcp(scale: float) -> tuple[Callable[[], list[Offer]], dict[str, Any]]:
    regions = list(KNOWN_REGIONS["gcp"])
    skus = []
    for words in _GCP_WORDS.values():
        for region in regions:
            for prefix, usage in (("", "OnDemand"), ("Spot Preemptible ", "Preemptible")):
                skus.append(
                    _gcp_sku(len(skus), f"{prefix}{words} Instance Core running in {region}", 0.03, region, usage)
                )
                skus.append(
                    _gcp_sku(len(skus), f"{prefix}{words} Instance Ram running in {region}", 0.004, region, usage)
                )
    relevant = len(skus)
    total = int(30_000 * scale)
    fillers = (
        "{} Custom Instance Core running in {}",
        "Commitment v1: {} Cpu in {} for 1 Year",
        "Nvidia L4 GPU running in {}",
        "Balanced PD Capacity in {}",
        "Network Internet Egress from {}",
    )
    while len(skus) < total:
        i = len(skus)
        text = fillers[i % len(fillers)]
        region = regions[i % len(regions)]
        words = list(_GCP_WORDS.values())[i % len(_GCP_WORDS)]
        description = text.format(words, region) if text.count("{}") == 2 else text.format(region)
        usage = "Commit1Yr" if description.startswith("Commitment") else "OnDemand"
        family = "Compute" if i % 5 < 3 else ("Storage" if i % 5 == 3 else "Network")
        skus.append(_gcp_sku(i, description, 0.05, region, usage, family))
    chunks = [skus[i : i + 5000] for i in range(0, len(skus), 5000)]
    base = "https://billing.example"
    pages = {}
    for k, chunk in enumerate(chunks):
        query = "currencyCode=USD&pageSize=5000" + (f"&pageToken=p{k}" if k else "") + "&key=k"
        body: dict[str, Any] = {"skus": chunk}
        if k + 1 < len(chunks):
            body["nextPageToken"] = f"p{k + 1}"
        pages[f"{base}/v1/services/6F81-5844-456A/skus?{query}"] = json.dumps(body).encode()
    source = GcpSource(api_key="k", base_url=base, http=_FakeHttp(pages), retry=NO_WAIT, clock=lambda: NOW)
    info = {
        "skus": len(skus),
        "core/ram SKUs": relevant,
        "pages": len(pages),
        "MB": round(sum(map(len, pages.values())) / 1e6, 1),
        "regions": len(regions),
        "raw": list(pages.values()),
    }
    return lambda: source.fetch(regions), info


def _best_of(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Least CPU seconds of this process over `repeat` runs (CPU time: the machine is shared)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = run()
        best = min(best, time.process_time() - start)
    return best, result


def throughput(scale: float, repeat: int) -> bool:
    """Prints offers/s per source, and the same run's stdlib `json.loads` of the raw pages as a peer."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"== parse throughput (best of {repeat}, CPU time, in-memory pages, no network; load average {load}) ==")
    print(
        "   peer = stdlib json.loads of the same raw pages alone (AWS: of each PriceList string); "
        "ratio < 1: the whole parse costs less than that decode"
    )
    ok = True
    for name, build in (("aws", bench_aws), ("azure", bench_azure), ("gcp", bench_gcp)):
        run, info = build(scale)
        parse_only = info.pop("parse_only", None)
        raw = info.pop("raw")
        seconds, offers = _best_of(run, repeat)
        peer_s, _ = _best_of(lambda r=raw: [json.loads(x) for x in r], repeat)
        rate = len(offers) / seconds
        ok = ok and rate >= 100_000
        verdict = "ok" if rate >= 100_000 else "BELOW 100k"
        print(
            f"{name:>6}: {len(offers):>7,} offers in {seconds:6.3f}s = {rate:>9,.0f} offers/s [{verdict}]; "
            f"peer {peer_s:.3f}s, ratio {seconds / peer_s:.2f}  {info}"
        )
        if parse_only is not None:
            product_s, parsed = _best_of(lambda p=parse_only: parse_products(p, region="us-east-1"), repeat)
            print(
                f"        on-demand products alone: {len(parsed):,} in {product_s:.3f}s = "
                f"{len(parsed) / product_s:,.0f} products/s"
            )
    try:
        import orjson  # noqa: F401

        aws_decoder = "orjson"
    except ImportError:
        aws_decoder = "stdlib json (install orjson for faster AWS product decoding)"
    print(
        f"   decoders: Azure and GCP pages msgspec (typed; GCP leaves the unneeded SKUs as raw JSON), "
        f"AWS product objects {aws_decoder}"
    )
    return ok


# == 2. embedded catalog vs real tables ============================================================
def _read(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as handle:  # type: ignore[operator]
        return list(csv.DictReader(handle))


def _real_tables() -> dict[str, dict[tuple[str, str, str], float]]:
    """cloud → {(instance type, region, capacity type): USD/h}."""
    tables: dict[str, dict[tuple[str, str, str], float]] = {"aws": {}, "azure": {}, "gcp": {}}

    def put(cloud: str, instance_type: str, region: str, capacity: str, value: str) -> None:
        if value not in ("", None) and float(value) > 0:
            tables[cloud].setdefault((instance_type, region, capacity), float(value))

    for row in _read(DATA / "aws_ec2_us-east-2_catalog_2025-09.csv"):
        put("aws", row["instance_type"], "us-east-2", "on-demand", row["linux_ondemand_usd_per_hour"])
        put("aws", row["instance_type"], "us-east-2", "spot", row["linux_spot_min_usd_per_hour"])
    for row in _read(DATA / "azure_vm_prices_2026-05-20.csv.gz"):
        put("azure", row["InstanceType"], row["Region"], "on-demand", row["Price"])
        put("azure", row["InstanceType"], row["Region"], "spot", row["SpotPrice"])
    for row in _read(DATA / "gcp_compute_instance_prices_2026-07-30.csv.gz"):
        put("gcp", row["machine_type"], row["region"], "on-demand", row["ondemand_usd_per_hour"])
        put("gcp", row["machine_type"], row["region"], "spot", row["spot_usd_per_hour"])
    return tables


def embedded_vs_real() -> bool:
    print("\n== embedded catalog vs real price tables (../shared/data/prices) ==")
    if not DATA.exists():
        print(f"skipped: {DATA} is not available")
        return True
    try:
        from pricing.embedded import load_embedded_catalog
    except ImportError:
        print("skipped: pricing.embedded is not available")
        return True
    catalog = load_embedded_catalog()
    ours: dict[str, dict[tuple[str, str, str], float]] = {}
    for o in catalog:  # lowest price across zones per (type, region, capacity)
        key = (o.instance_type, o.region, o.capacity_type.value)
        table = ours.setdefault(o.cloud, {})
        table[key] = min(o.hourly_usd, table.get(key, float("inf")))
    real = _real_tables()
    print(
        "  real: AWS us-east-2 2025-09 (spot = lowest zone), Azure 2026-05-20, GCP 2026-07-30; "
        "embedded as of " + ", ".join(f"{c} {d:%Y-%m-%d}" for c, d in sorted(catalog.as_of().items()))
    )
    print(
        f"  {'cloud':>6} {'capacity':>9} {'matched':>8} {'of real':>8} {'of embedded':>11}"
        f" {'median|Δ|':>9} {'median Δ':>9} {'≤10%':>6}"
    )
    ok = True
    for cloud in ("aws", "azure", "gcp"):
        real_regions = {r for _, r, _ in real[cloud]}
        for capacity in ("on-demand", "spot"):
            mine = {k: v for k, v in ours.get(cloud, {}).items() if k[2] == capacity and k[1] in real_regions}
            theirs = {k: v for k, v in real[cloud].items() if k[2] == capacity}
            matched = [(mine[k], theirs[k]) for k in mine.keys() & theirs.keys()]
            if not matched:
                print(f"  {cloud:>6} {capacity:>9}: nothing matched")
                ok = False
                continue
            diffs = [e / r - 1 for e, r in matched]
            median_abs = statistics.median(abs(d) for d in diffs)
            within = sum(abs(d) <= 0.10 for d in diffs) / len(diffs)
            print(
                f"  {cloud:>6} {capacity:>9} {len(matched):>8,} {len(matched) / len(theirs):>8.1%}"
                f" {len(matched) / max(len(mine), 1):>11.1%} {median_abs:>9.1%} {statistics.median(diffs):>+9.1%}"
                f" {within:>6.1%}"
            )
            if capacity == "on-demand" and median_abs > 0.10:
                ok = False
    print("  target (on-demand median |Δ| ≤ 10 % for every cloud):", "met" if ok else "NOT met")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="page sizes × this (default 1)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    fast = throughput(args.scale, args.repeat)
    close = embedded_vs_real()
    print(
        f"\nsummary: parse target {'met' if fast else 'NOT met'}; embedded on-demand target {'met' if close else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
