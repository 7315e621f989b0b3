"""Builders with defaults for tests (after Karpenter's fake.NewInstanceType and test.UnschedulablePod).

`price_from(vcpus, memory_gib)` is deterministic so expected costs can be computed by hand:
$0.04 per vCPU-hour + $0.005 per GiB-hour on-demand; spot is 30% of that.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime
from typing import Any

from placement.plan import Assignment, HourlyCost, Plan, SolverStats
from placement.scenario import Cluster, Planning, Replicas, Scenario, UserRegion, Workload
from placement.solver.node_types import NodeType
from placement.solver.packing import PodGroup
from pricing import CapacityType, Catalog, Offer

AS_OF = datetime(2025, 3, 2, tzinfo=UTC)


def price_from(vcpus: float, memory_gib: float, capacity_type: CapacityType = CapacityType.ON_DEMAND) -> float:
    on_demand = 0.04 * vcpus + 0.005 * memory_gib
    return on_demand if capacity_type is CapacityType.ON_DEMAND else round(on_demand * 0.3, 10)


def make_offer(**overrides: Any) -> Offer:
    fields: dict[str, Any] = {
        "cloud": "aws",
        "region": "eu-west-1",
        "instance_type": "m5.large",
        "capacity_type": CapacityType.ON_DEMAND,
        "vcpus": 2.0,
        "memory_gib": 8.0,
        "source": "test",
        "as_of": AS_OF,
    }
    fields.update(overrides)
    fields.setdefault(
        "hourly_usd", price_from(fields["vcpus"], fields["memory_gib"], CapacityType(fields["capacity_type"]))
    )
    return Offer(**fields)


def offers_for(
    cloud: str, region: str, *, scale: float = 1.0, spot: bool = True, rate: float | None = None
) -> list[Offer]:
    """A small family of 2/4/8 vCPU types in one region, priced by `price_from` × `scale`."""
    rows = []
    for size, vcpus in (("large", 2), ("xlarge", 4), ("2xlarge", 8)):
        for kind in (CapacityType.ON_DEMAND, CapacityType.SPOT) if spot else (CapacityType.ON_DEMAND,):
            rows.append(
                make_offer(
                    cloud=cloud,
                    region=region,
                    instance_type=f"m5.{size}",
                    capacity_type=kind,
                    vcpus=float(vcpus),
                    memory_gib=float(vcpus * 4),
                    hourly_usd=price_from(vcpus, vcpus * 4, kind) * scale,
                    interruption_rate=rate if kind is CapacityType.SPOT else None,
                )
            )
    return rows


def make_catalog(*regions: tuple[str, str, float]) -> Catalog:
    """A catalog of (cloud, region, price scale) regions, each with `offers_for` types."""
    offers: list[Offer] = []
    for cloud, region, scale in regions:
        offers.extend(offers_for(cloud, region, scale=scale))
    return Catalog(offers, fetched_at=AS_OF)


def make_cluster(name: str, **overrides: Any) -> Cluster:
    fields: dict[str, Any] = {
        "name": name,
        "cloud": "aws",
        "region": "eu-west-1",
        "country": "IE",
        "lat": 53.35,
        "lon": -6.26,
    }
    fields.update(overrides)
    return Cluster(**fields)


def make_workload(name: str = "web", **overrides: Any) -> Workload:
    fields: dict[str, Any] = {"name": name, "namespace": "shop", "cpu": 1.0, "memory_gib": 2.0, "replicas": 4}
    fields.update(overrides)
    if isinstance(fields.get("current"), dict):
        fields["current"] = {k: v if isinstance(v, Replicas) else Replicas(*v) for k, v in fields["current"].items()}
    return Workload(**fields)


def make_node_type(
    name: str, cpu: float, memory_gib: float, usd: float, pods: int = 110, arch: str = "amd64"
) -> NodeType:
    """A launchable type with this allocatable (capacity rounded up); family = the name before "-"."""
    return NodeType(
        name, name.split("-")[0], arch, usd, math.ceil(cpu), math.ceil(memory_gib), cpu, memory_gib, pods, 0.05
    )


def patterns_of(t: NodeType, shapes: list[PodGroup]) -> list[tuple[int, ...]]:
    """Every multiset of the shapes that fits one node of `t` (brute force)."""
    limits = [
        min(t.pods, math.floor(t.cpu / s.cpu + 1e-9), math.floor(t.alloc_memory_gib / s.memory_gib + 1e-9))
        if t.arch in s.arches
        else 0
        for s in shapes
    ]
    return [
        counts
        for counts in itertools.product(*(range(n + 1) for n in limits))
        if t.holds(
            sum(c * s.cpu for c, s in zip(counts, shapes, strict=True)),
            sum(c * s.memory_gib for c, s in zip(counts, shapes, strict=True)),
            sum(counts),
        )
    ]


def make_scenario(clusters: list[Cluster], workloads: list[Workload], **overrides: Any) -> Scenario:
    fields: dict[str, Any] = {
        "name": "test",
        "clusters": tuple(clusters),
        "workloads": tuple(workloads),
        "planning": Planning(time_limit_s=10),
    }
    fields.update(overrides)
    if "user_regions" in fields:
        fields["user_regions"] = tuple(fields["user_regions"])
    return Scenario(**fields)


def user(name: str, lat: float, lon: float) -> UserRegion:
    return UserRegion(name=name, lat=lat, lon=lon)


def make_assignment(workload: str, cluster: str, on_demand: int, spot: int = 0, **overrides: Any) -> Assignment:
    """An assignment in an aws/eu-west-1 cluster priced on m5.large unless overridden."""
    fields: dict[str, Any] = {
        "workload": workload,
        "cluster": cluster,
        "cloud": "aws",
        "region": "eu-west-1",
        "on_demand": on_demand,
        "spot": spot,
        "instance_types": {"on-demand": "m5.large", "spot": "m5.large"},
        "hourly_usd": 1.0,
    }
    fields.update(overrides)
    return Assignment(**fields)


def make_plan(*assignments: Assignment, **overrides: Any) -> Plan:
    """A solved plan holding these assignments, with neutral solver figures."""
    fields: dict[str, Any] = {
        "scenario": "test",
        "prices_as_of": {"aws": AS_OF.isoformat()},
        "solver": SolverStats(backend="test", status="optimal", seconds=0.0, objective=1.0, bound=1.0, gap=0.0),
        "hourly_usd": HourlyCost(before=2.0, after=1.0, compute=1.0),
        "assignments": tuple(assignments),
    }
    fields.update(overrides)
    return Plan(**fields)


# -- live price API pages (pricing.sources): hand-written, shaped like the real responses ---------------


def aws_product(
    instance_type: str = "m5.large",
    *,
    region: str = "us-east-1",
    vcpu: str = "2",
    memory: str = "8 GiB",
    hourly: str = "0.0960000000",
    currency: str = "USD",
    gpu: str | None = None,
    os_name: str = "Linux",
    reserved_terms: int = 2,
    indent: int | None = None,
) -> str:
    """One `PriceList` entry (a JSON string) like `pricing.get_products` returns, Reserved terms included."""
    import json

    sku = f"SKU{abs(hash((instance_type, region, os_name))) % 10**10:010d}"
    attributes = {
        "instanceType": instance_type,
        "vcpu": vcpu,
        "memory": memory,
        "regionCode": region,
        "location": "Somewhere",
        "operatingSystem": os_name,
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
        "marketoption": "OnDemand",
        "usagetype": f"BoxUsage:{instance_type}",
        "servicecode": "AmazonEC2",
    }
    if gpu is not None:
        attributes["gpu"] = gpu

    def term(code: str, price: str, unit: str = "Hrs", extra: dict | None = None) -> dict:
        return {
            "priceDimensions": {
                f"{sku}.{code}.6YS6EN2CT7": {
                    "unit": unit,
                    "endRange": "Inf",
                    "description": f"${price} per On Demand Linux {instance_type} Instance Hour",
                    "appliesTo": [],
                    "rateCode": f"{sku}.{code}.6YS6EN2CT7",
                    "beginRange": "0",
                    "pricePerUnit": {currency: price},
                }
            },
            "sku": sku,
            "effectiveDate": "2025-01-01T00:00:00Z",
            "offerTermCode": code,
            "termAttributes": extra or {},
        }

    reserved = {
        f"{sku}.R{i:03d}": term(
            f"R{i:03d}", "0.0600000000", extra={"LeaseContractLength": "1yr", "PurchaseOption": "No Upfront"}
        )
        for i in range(reserved_terms)
    }
    product = {
        "product": {"productFamily": "Compute Instance", "attributes": attributes, "sku": sku},
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": term("JRTCKXETXF", hourly)}, "Reserved": reserved},
        "version": "20250101000000",
        "publicationDate": "2025-01-01T00:00:00Z",
    }
    return json.dumps(product, indent=indent, separators=None if indent else (",", ":"))


def azure_item(
    arm_sku: str = "Standard_D2s_v5",
    price: float = 0.096,
    *,
    region: str = "westeurope",
    spot: bool = False,
    low_priority: bool = False,
    windows: bool = False,
    currency: str = "USD",
    effective: str = "2024-01-01T00:00:00Z",
) -> dict[str, Any]:
    """One Retail Prices API item for a VM meter."""
    size = arm_sku.removeprefix("Standard_").replace("_", " ")
    suffix = " Spot" if spot else " Low Priority" if low_priority else ""
    series = size.split(" ")[-1] if " " in size else ""
    return {
        "currencyCode": currency,
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": "EU West",
        "effectiveStartDate": effective,
        "meterId": f"meter-{arm_sku}-{suffix.strip()}",
        "meterName": f"{size}{suffix}",
        "productId": "DZH318Z0BQ4L",
        "skuId": "DZH318Z0BQ4L/00TG",
        "availabilityId": None,
        "productName": f"Virtual Machines D{series} Series{' Windows' if windows else ''}",
        "skuName": f"{size}{suffix}",
        "serviceName": "Virtual Machines",
        "serviceId": "DZH313Z7MMC8",
        "serviceFamily": "Compute",
        "unitOfMeasure": "1 Hour",
        "type": "Consumption",
        "isPrimaryMeterRegion": True,
        "armSkuName": arm_sku,
    }


def gcp_sku(
    description: str,
    usd: float,
    *,
    regions: tuple[str, ...] = ("us-central1",),
    usage: str = "OnDemand",
    currency: str = "USD",
    sku_id: str | None = None,
) -> dict[str, Any]:
    """One Cloud Billing Catalog SKU (per-vCPU `h` or per-GiB `GiBy.h`, from the description)."""
    ram = " Ram " in description
    units, nanos = int(usd), round((usd - int(usd)) * 1e9)
    return {
        "name": f"services/6F81-5844-456A/skus/{sku_id or abs(hash(description)) % 10**8}",
        "skuId": sku_id or f"{abs(hash((description, regions))) % 10**8:08d}",
        "description": description,
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": "Compute",
            "resourceGroup": "RAM" if ram else "CPU",
            "usageType": usage,
        },
        "serviceRegions": list(regions),
        "pricingInfo": [
            {
                "summary": "",
                "pricingExpression": {
                    "usageUnit": "GiBy.h" if ram else "h",
                    "usageUnitDescription": "gibibyte hour" if ram else "hour",
                    "baseUnit": "By.s" if ram else "s",
                    "displayQuantity": 1,
                    "tieredRates": [
                        {
                            "startUsageAmount": 0,
                            "unitPrice": {"currencyCode": currency, "units": str(units), "nanos": nanos},
                        }
                    ],
                },
                "currencyConversionRate": 1,
                "effectiveTime": "2025-01-01T00:00:00Z",
            }
        ],
        "serviceProviderName": "Google",
        "geoTaxonomy": {"type": "REGIONAL", "regions": list(regions)},
    }


class Fault:
    """A scripted non-200 (or slow, or broken) HTTP response for `ScriptedPages`."""

    def __init__(
        self, status: int = 200, body: bytes | str = b"", *, delay_s: float = 0.0, headers: dict[str, str] | None = None
    ) -> None:
        self.status, self.delay_s, self.headers = status, delay_s, headers or {}
        self.body = body.encode() if isinstance(body, str) else body


class ScriptedPages:
    """Serve hand-written JSON pages from a pytest-httpserver at `path`.

    `key(request)` names the page a request asks for; `add(key, *responses)` queues what that page
    returns, in order (the last one repeats). A response is a JSON-able value (200) or a `Fault`.
    `hits` counts requests per key.
    """

    def __init__(self, server: Any, path: str, key: Any) -> None:
        from collections import Counter

        self.server, self.path, self.key = server, path, key
        self.script: dict[str, list[Any]] = {}
        self.hits: Counter[str] = Counter()
        server.expect_request(path).respond_with_handler(self._handle)

    def url(self, query: str = "") -> str:
        return self.server.url_for(self.path) + (f"?{query}" if query else "")

    def add(self, key: str, *responses: Any) -> None:
        self.script.setdefault(key, []).extend(responses)

    def _handle(self, request: Any) -> Any:
        import json
        import time

        from werkzeug import Response

        key = self.key(request)
        self.hits[key] += 1
        queue = self.script.get(key)
        if not queue:
            return Response(json.dumps({"error": f"no page scripted for {key}"}), status=404)
        response = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(response, Fault):
            if response.delay_s:
                time.sleep(response.delay_s)
            return Response(
                response.body, status=response.status, headers=response.headers, content_type="application/json"
            )
        return Response(json.dumps(response), status=200, content_type="application/json")


class LocalAws:
    """AWS Pricing (JSON 1.1) and EC2 (query protocol, XML) endpoints on a pytest-httpserver.

    Every region offers `types` (2 vCPU, 8 GiB, $0.10 on-demand, $0.03 spot in each of `zones`), in
    `get_products` pages of `products_per_page` and spot pages of `spot_per_page`. `faults[(api, region,
    token)]` lists `Fault`s served (once each) before the real page; api is "pricing" or "ec2", token
    "0" for the first page. Point boto3 at `url("pricing")` / `url("ec2")`.
    """

    def __init__(
        self,
        server: Any,
        types: list[str],
        *,
        products_per_page: int = 30,
        spot_per_page: int = 120,
        zones: str = "abc",
    ) -> None:
        from werkzeug import Response

        self.server, self.types, self.zones = server, types, zones
        self.products_per_page, self.spot_per_page = products_per_page, spot_per_page
        self.faults: dict[tuple[str, str, str], list[Fault]] = {}
        self._response = Response
        server.expect_request("/aws-pricing", method="POST").respond_with_handler(self._pricing)
        server.expect_request("/aws-ec2", method="POST").respond_with_handler(self._ec2)

    def url(self, api: str) -> str:
        return self.server.url_for(f"/aws-{api}")

    def _fault(self, api: str, region: str, token: str) -> Any:
        import time

        queue = self.faults.get((api, region, token))
        if not queue:
            return None
        fault = queue.pop(0)
        time.sleep(fault.delay_s)
        return self._response(fault.body, status=fault.status, content_type="application/x-amz-json-1.1")

    def _pricing(self, request: Any) -> Any:
        import json

        body = json.loads(request.data)
        region = next(f["Value"] for f in body["Filters"] if f["Field"] == "regionCode")
        token = body.get("NextToken", "0")
        size = self.products_per_page
        pages = [self.types[i : i + size] for i in range(0, len(self.types), size)]
        number = int(token)
        page: dict[str, Any] = {
            "FormatVersion": "aws_v1",
            "PriceList": [aws_product(t, region=region, hourly="0.1", reserved_terms=6) for t in pages[number]],
        }
        if number + 1 < len(pages):
            page["NextToken"] = str(number + 1)
        return self._fault("pricing", region, token) or self._response(
            json.dumps(page), content_type="application/x-amz-json-1.1"
        )

    def _ec2(self, request: Any) -> Any:
        import re

        region = re.search(r"Credential=[^/]+/\d+/([^/]+)/ec2/", request.headers["Authorization"]).group(1)
        token = request.form.get("NextToken", "0")
        items = [(t, f"{region}{z}") for t in self.types for z in self.zones]
        size = self.spot_per_page
        pages = [items[i : i + size] for i in range(0, len(items), size)]
        number = int(token)
        rows = "".join(
            f"<item><instanceType>{t}</instanceType><productDescription>Linux/UNIX</productDescription>"
            f"<spotPrice>0.03</spotPrice><timestamp>2025-06-01T00:00:00.000Z</timestamp>"
            f"<availabilityZone>{z}</availabilityZone></item>"
            for t, z in pages[number]
        )
        following = f"<nextToken>{number + 1}</nextToken>" if number + 1 < len(pages) else ""
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><DescribeSpotPriceHistoryResponse '
            'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
            f"<spotPriceHistorySet>{rows}</spotPriceHistorySet>{following}</DescribeSpotPriceHistoryResponse>"
        )
        return self._fault("ec2", region, token) or self._response(xml, content_type="text/xml")


class LocalClouds:
    """AWS, Azure and GCP price endpoints for every region in `DEFAULT_REGIONS`, on one pytest-httpserver.

    Per region: `aws_types` instance types (`LocalAws`: on-demand pages of `aws_per_page`, spot in 3
    zones), Azure items for `azure_sizes` (regular, Spot, Windows and Low Priority meters) in pages of
    `azure_per_page`, and one GCP listing of per-vCPU/per-GiB SKUs for `gcp_families` (on-demand and
    Spot) plus custom-core and GPU SKUs in every region, in pages of `gcp_per_page`. `env(cache_dir)`
    is what points the CLI at them; `azure` and `gcp` are the `ScriptedPages` to inject faults into
    (keys ``"<region>:<page>"`` and ``"first"``/``"t<n>"``), `aws.faults` for AWS.
    """

    def __init__(
        self,
        server: Any,
        *,
        aws_types: list[str],
        azure_sizes: list[str],
        gcp_families: dict[str, str],
        aws_per_page: int = 30,
        azure_per_page: int = 100,
        gcp_per_page: int = 100,
    ) -> None:
        from pricing.sources.regions import DEFAULT_REGIONS

        self.server, self.regions = server, DEFAULT_REGIONS
        self.aws = LocalAws(server, aws_types, products_per_page=aws_per_page)
        self.azure = ScriptedPages(server, "/api/retail/prices", _azure_page_key)
        for region in self.regions["azure"]:
            items = []
            for size in azure_sizes:
                items += [
                    azure_item(size, 0.1, region=region),
                    azure_item(size, 0.02, region=region, spot=True),
                    azure_item(size, 0.2, region=region, windows=True),
                    azure_item(size, 0.02, region=region, low_priority=True),
                ]
            chunks = [items[i : i + azure_per_page] for i in range(0, len(items), azure_per_page)]
            for number, chunk in enumerate(chunks, start=1):
                link = self.azure.url(f"region={region}&page={number + 1}") if number < len(chunks) else None
                self.azure.add(f"{region}:{number}", {"BillingCurrency": "USD", "Items": chunk, "NextPageLink": link})
        self.gcp = ScriptedPages(
            server, "/v1/services/6F81-5844-456A/skus", lambda request: request.args.get("pageToken", "first")
        )
        skus = []
        for words in gcp_families.values():
            for region in self.regions["gcp"]:
                for prefix, usage in (("", "OnDemand"), ("Spot Preemptible ", "Preemptible")):
                    skus += [
                        gcp_sku(
                            f"{prefix}{words} Instance {part} running in {region}", usd, regions=(region,), usage=usage
                        )
                        for part, usd in (("Core", 0.03), ("Ram", 0.004))
                    ]
                skus += [
                    gcp_sku(f"{words} Custom Instance Core running in {region}", 0.05, regions=(region,)),
                    gcp_sku(f"Nvidia L4 GPU running in {region}", 0.6, regions=(region,)),
                ]
        chunks = [skus[i : i + gcp_per_page] for i in range(0, len(skus), gcp_per_page)]
        for number, chunk in enumerate(chunks):
            document: dict[str, Any] = {"skus": chunk}
            if number + 1 < len(chunks):
                document["nextPageToken"] = f"t{number + 1}"
            self.gcp.add("first" if number == 0 else f"t{number}", document)
        #: pages one refresh reads: AWS (on-demand + spot) and Azure per region, GCP in all
        self.pages = {
            "aws": -(-len(aws_types) // aws_per_page) + -(-len(aws_types) * 3 // self.aws.spot_per_page),
            "azure": -(-len(azure_sizes) * 4 // azure_per_page),
            "gcp": len(chunks),
        }

    def env(self, cache_dir: Any) -> dict[str, str]:
        """The environment variables (the ones users have too) that send `placement prices` here."""
        return {
            "AWS_ENDPOINT_URL_PRICING": self.aws.url("pricing"),
            "AWS_ENDPOINT_URL_EC2": self.aws.url("ec2"),
            "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_DEFAULT_REGION": "us-east-1",
            "PLACEMENT_AZURE_PRICES_URL": self.azure.url(),
            "PLACEMENT_GCP_BILLING_URL": self.server.url_for("/"),
            "PLACEMENT_GCP_API_KEY": "test-key",
            "PLACEMENT_CACHE_DIR": str(cache_dir),
        }


def _azure_page_key(request: Any) -> str:
    if "page" in request.args:
        return f"{request.args['region']}:{request.args['page']}"
    return request.args["$filter"].rsplit("armRegionName eq '", 1)[1].rstrip("'") + ":1"
