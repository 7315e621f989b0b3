"""Azure source against a local HTTP server serving hand-written Retail Prices API pages."""

from __future__ import annotations

import csv
import gzip
import re
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from builders import Fault, ScriptedPages, azure_item

from pricing.errors import SourceFetchError
from pricing.offer import CapacityType
from pricing.sources.azure import AzureSource, parse_items, region_url
from pricing.sources.azure_page import retail_items
from pricing.sources.azure_sizes import AzureSizeSpecs, SizeSpec, parse_size_name
from pricing.sources.http import UrllibClient
from pricing.sources.retry import NO_WAIT, RetryEvent, RetryPolicy

NOW = datetime(2025, 6, 1, tzinfo=UTC)
PATH = "/api/retail/prices"


def page_key(request: Any) -> str:
    """`<region>:<page>`: the first page is found by its $filter, the next ones by our NextPageLink."""
    if "page" in request.args:
        return f"{request.args['region']}:{request.args['page']}"
    odata = request.args["$filter"]
    assert request.args["api-version"] == "2023-01-01-preview"
    assert "priceType eq 'Consumption'" in odata and "serviceName eq 'Virtual Machines'" in odata
    return f"{odata.rsplit('armRegionName eq ', 1)[1].strip(chr(39))}:1"


@pytest.fixture
def pages(httpserver: Any) -> ScriptedPages:
    return ScriptedPages(httpserver, PATH, page_key)


def serve(pages: ScriptedPages, region: str, *item_pages: list[dict[str, Any]]) -> None:
    for number, items in enumerate(item_pages, start=1):
        last = number == len(item_pages)
        link = None if last else pages.url(f"region={region}&page={number + 1}")
        pages.add(
            f"{region}:{number}",
            {
                "BillingCurrency": "USD",
                "CustomerEntityId": "Default",
                "CustomerEntityType": "Retail",
                "Items": items,
                "NextPageLink": link,
                "Count": len(items),
            },
        )


def source(pages: ScriptedPages, **kwargs: Any) -> AzureSource:
    return AzureSource(base_url=pages.url(), http=UrllibClient(timeout_s=2), retry=NO_WAIT, clock=lambda: NOW, **kwargs)


WESTEUROPE = [
    [
        azure_item("Standard_D2s_v5", 0.096),
        azure_item("Standard_D2s_v5", 0.0192, spot=True),
        azure_item("Standard_D2s_v5", 0.0192, low_priority=True),
        azure_item("Standard_D2s_v5", 0.188, windows=True),
    ],
    [azure_item("Standard_E4s_v5", 0.252), azure_item("Standard_E4s_v5", 0.05, spot=True)],
    [azure_item("Standard_F4s_v2", 0.169), azure_item("Standard_NC6s_v3", 3.06)],
]


def test_pages_are_followed_and_meters_classified(pages: ScriptedPages) -> None:
    serve(pages, "westeurope", *WESTEUROPE)
    azure = source(pages)
    offers = azure.fetch(["westeurope"])
    got = {(o.instance_type, o.capacity_type): (o.hourly_usd, o.vcpus, o.memory_gib) for o in offers}
    assert got == {
        ("Standard_D2s_v5", CapacityType.ON_DEMAND): (0.096, 2, 8),
        ("Standard_D2s_v5", CapacityType.SPOT): (0.0192, 2, 8),  # Low Priority and Windows dropped
        ("Standard_E4s_v5", CapacityType.ON_DEMAND): (0.252, 4, 32),
        ("Standard_E4s_v5", CapacityType.SPOT): (0.05, 4, 32),
        ("Standard_F4s_v2", CapacityType.ON_DEMAND): (0.169, 4, 8),
    }
    assert azure.skipped_sizes == {"Standard_NC6s_v3"}  # a GPU size the name parser does not guess
    assert all(o.source == "azure:retail-prices" and o.as_of == NOW and o.region == "westeurope" for o in offers)
    assert sum(pages.hits.values()) == 3


def test_a_specs_table_resolves_sizes_the_parser_does_not(pages: ScriptedPages) -> None:
    serve(pages, "westeurope", WESTEUROPE[2])
    azure = source(pages, specs=AzureSizeSpecs({"Standard_NC6s_v3": SizeSpec(6, 112, 1)}))
    offers = {o.instance_type: o for o in azure.fetch(["westeurope"])}
    assert (offers["Standard_NC6s_v3"].vcpus, offers["Standard_NC6s_v3"].gpus) == (6, 1)


def test_throttling_then_ok_is_retried_and_completes(pages: ScriptedPages) -> None:
    serve(pages, "westeurope", *WESTEUROPE)
    pages.script["westeurope:2"][:0] = [Fault(429, headers={"Retry-After": "0"}), Fault(503)]
    events: list[RetryEvent] = []
    offers = source(pages).fetch(["westeurope"], on_retry=events.append)
    assert len(offers) == 5
    assert [e.reason.split(" ")[:2] for e in events] == [["HTTP", "429"], ["HTTP", "503"]]
    assert pages.hits["westeurope:2"] == 3


def test_timeouts_are_retried_then_fail_naming_source_region_and_page(pages: ScriptedPages) -> None:
    serve(pages, "westeurope", *WESTEUROPE)
    pages.script["westeurope:2"][:0] = [Fault(200, b"{}", delay_s=1.0)]  # the last response repeats: always slow
    pages.script["westeurope:2"][1:] = []
    azure = AzureSource(
        base_url=pages.url(), http=UrllibClient(timeout_s=0.2), retry=RetryPolicy(max_attempts=2, sleep=lambda _s: None)
    )
    expected = r"azure:retail-prices: region westeurope: page 2: timed out .*2 attempts"
    with pytest.raises(SourceFetchError, match=expected):
        azure.fetch(["westeurope"])


def test_truncated_page_is_a_clear_error(pages: ScriptedPages) -> None:
    serve(pages, "westeurope", *WESTEUROPE)
    pages.script["westeurope:3"] = [Fault(200, '{"BillingCurrency": "USD", "Items": [{"currencyCode": "US')]
    with pytest.raises(SourceFetchError, match=r"region westeurope: page 3: malformed or truncated JSON page"):
        source(pages).fetch(["westeurope"])


def test_an_item_missing_a_field_or_wrongly_typed_names_the_field_and_item(pages: ScriptedPages) -> None:
    broken = azure_item("Standard_D4s_v5", 0.19)
    del broken["armSkuName"]
    serve(pages, "westeurope", [azure_item("Standard_D2s_v5", 0.09), broken])
    with pytest.raises(SourceFetchError, match=r"page 1: not a Retail Prices page: .*`armSkuName`.*Items\[1\]"):
        source(pages).fetch(["westeurope"])
    serve(pages, "northeurope", [{**azure_item("Standard_D2s_v5", region="northeurope"), "retailPrice": "cheap"}])
    with pytest.raises(SourceFetchError, match=r"region northeurope: page 1: .*Expected `float`.*retailPrice"):
        source(pages).fetch(["northeurope"])


def test_price_in_another_currency_is_an_error(pages: ScriptedPages) -> None:
    serve(pages, "westeurope", [azure_item("Standard_D2s_v5", 0.09, currency="EUR")])
    with pytest.raises(SourceFetchError, match="Standard_D2s_v5 is priced in EUR, not USD"):
        source(pages).fetch(["westeurope"])


def test_empty_region_is_an_error_with_a_hint(pages: ScriptedPages) -> None:
    serve(pages, "westeurop", [])
    with pytest.raises(SourceFetchError, match=r"region westeurop: no Linux VM prices.*did you mean westeurope"):
        source(pages).fetch(["westeurop"])


def test_a_4xx_is_not_retried(pages: ScriptedPages) -> None:
    pages.add("westeurope:1", Fault(400, '{"Error": {"Message": "Invalid OData filter"}}'))
    events: list[RetryEvent] = []
    with pytest.raises(SourceFetchError, match=r"HTTP 400 .*Invalid OData filter"):
        source(pages).fetch(["westeurope"], on_retry=events.append)
    assert events == []


def test_region_names_are_checked_before_they_reach_the_filter() -> None:
    with pytest.raises(SourceFetchError, match="lowercase letters and digits"):
        AzureSource(base_url="http://127.0.0.1:9").fetch(["west europe' or 1 eq 1"])


def test_region_url_encodes_the_canonical_filter() -> None:
    url = region_url("https://prices.azure.com/api/retail/prices", "uksouth")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["$filter"] == [
        "priceType eq 'Consumption' and currencyCode eq 'USD' and serviceFamily eq 'Compute' "
        "and serviceName eq 'Virtual Machines' and armRegionName eq 'uksouth'"
    ]


def test_duplicate_meters_keep_the_newest_price() -> None:
    prices = parse_items(
        retail_items(
            [
                azure_item("Standard_D2s_v5", 0.10, effective="2023-01-01T00:00:00Z"),
                azure_item("Standard_D2s_v5", 0.096, effective="2024-06-01T00:00:00Z"),
            ]
        ),
        region="westeurope",
    )
    assert prices[("Standard_D2s_v5", CapacityType.ON_DEMAND)] == ("2024-06-01T00:00:00Z", 0.096)


@pytest.mark.parametrize(
    ("name", "spec"),
    [
        ("Standard_D4s_v5", (4, 16)),  # D: 4 GiB per vCPU
        ("Standard_D16pls_v5", (16, 32)),  # l: low memory, 2 GiB per vCPU
        ("Standard_E4-2s_v5", (2, 32)),  # constrained vCPUs keep the E4 memory
        ("Standard_E64s_v3", (64, 432)),  # large-size exception
        ("Standard_F8s_v2", (8, 16)),
        ("Standard_DS3_v2", (4, 14)),  # legacy size index, not a vCPU count
        ("Standard_D2_v3", (2, 8)),
        ("Standard_B2ms", (2, 8)),
        ("Standard_B1ls", (1, 0.5)),
        ("Standard_B2ts_v2", (2, 1)),
        ("Standard_A2m_v2", (2, 16)),
        ("Standard_L8s_v3", (8, 64)),
    ],
)
def test_size_names_parse_to_documented_specs(name: str, spec: tuple[float, float]) -> None:
    parsed = parse_size_name(name)
    assert parsed is not None and (parsed.vcpus, parsed.memory_gib) == spec


@pytest.mark.parametrize("name", ["Standard_NC6s_v3", "Standard_M128ms", "Standard_HB120rs_v3", "Basic_A1", "junk"])
def test_sizes_outside_the_known_series_are_not_guessed(name: str) -> None:
    assert parse_size_name(name) is None


def test_size_names_agree_with_a_real_size_table() -> None:
    path = (
        Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "prices" / "azure_vm_prices_2026-05-20.csv.gz"
    )
    if not path.exists():
        pytest.skip("../shared/data is not available")
    with gzip.open(path, "rt", newline="") as handle:
        real = {r["InstanceType"]: (float(r["vCPUs"]), float(r["MemoryGiB"])) for r in csv.DictReader(handle)}
    parsed = {name: parse_size_name(name) for name in real}
    known = {name: spec for name, spec in parsed.items() if spec is not None}
    assert len(known) / len(real) > 0.6  # D, E, F, L, A_v2, B and legacy D/DS: most sizes
    for name, spec in known.items():
        vcpus, memory = real[name]
        assert spec.memory_gib == memory, name
        # the table lists constrained-core sizes (E16-4s_v5) with the parent's vCPUs; we report the active ones
        active = re.match(r"Standard_[A-Z]+\d+-(\d+)", name)
        assert spec.vcpus == (float(active.group(1)) if active else vcpus), name
