"""GCP source against a local HTTP server serving hand-written Cloud Billing Catalog pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from builders import Fault, ScriptedPages, gcp_sku

from pricing.errors import SourceFetchError
from pricing.offer import CapacityType
from pricing.sources.gcp import GcpSource, parse_skus
from pricing.sources.gcp_shapes import SHAPES
from pricing.sources.gcp_skus import read_page, sku_family
from pricing.sources.http import PageError, UrllibClient
from pricing.sources.retry import NO_WAIT, RetryEvent, RetryPolicy

NOW = datetime(2025, 6, 1, tzinfo=UTC)
PATH = "/v1/services/6F81-5844-456A/skus"
US = ("us-central1", "us-east1")

PAGE_1 = [
    gcp_sku("N2 Instance Core running in Americas", 0.031611, regions=US),
    gcp_sku("N2 Instance Ram running in Americas", 0.004237, regions=US),
    gcp_sku("N2 Custom Instance Core running in Americas", 0.033, regions=US),  # excluded: Custom
    gcp_sku("Commitment v1: N2 Cpu in Americas for 1 Year", 0.019, regions=US, usage="Commit1Yr"),
]
PAGE_2 = [
    gcp_sku("Spot Preemptible N2 Instance Core running in Americas", 0.0077, regions=US, usage="Preemptible"),
    gcp_sku("Spot Preemptible N2 Instance Ram running in Americas", 0.00103, regions=US, usage="Preemptible"),
    gcp_sku("Sole Tenancy Premium for N2 Instance Core running in Americas", 0.077, regions=US),
    gcp_sku("N2 Instance Core running in Belgium", 0.0348, regions=("europe-west1",)),  # another region
    gcp_sku("N2 Instance Ram running in Belgium", 0.00466, regions=("europe-west1",)),
]
PAGE_3 = [
    gcp_sku("Compute optimized Core running in Americas", 0.03398, regions=("us-central1",)),
    gcp_sku("Compute optimized Ram running in Americas", 0.00455, regions=("us-central1",)),
    gcp_sku("Nvidia Tesla T4 GPU running in Americas", 0.35, regions=US),  # not a core/ram SKU
]


def page_key(request: Any) -> str:
    assert request.args["currencyCode"] == "USD"
    return request.args.get("pageToken", "first")


@pytest.fixture
def pages(httpserver: Any) -> ScriptedPages:
    return ScriptedPages(httpserver, PATH, page_key)


def serve(pages: ScriptedPages, *sku_pages: list[dict[str, Any]]) -> None:
    for number, skus in enumerate(sku_pages):
        key = "first" if number == 0 else f"tok{number}"
        document: dict[str, Any] = {"skus": skus}
        if number < len(sku_pages) - 1:
            document["nextPageToken"] = f"tok{number + 1}"
        pages.add(key, document)


def source(pages: ScriptedPages, **kwargs: Any) -> GcpSource:
    kwargs.setdefault("api_key", "test-key")
    return GcpSource(
        base_url=pages.server.url_for("/"), http=UrllibClient(timeout_s=2), retry=NO_WAIT, clock=lambda: NOW, **kwargs
    )


def test_core_and_ram_skus_compose_into_machine_types(pages: ScriptedPages) -> None:
    serve(pages, PAGE_1, PAGE_2, PAGE_3)
    offers = source(pages).fetch(list(US))
    by_key = {(o.region, o.instance_type, o.capacity_type): o for o in offers}

    n2_4 = by_key[("us-central1", "n2-standard-4", CapacityType.ON_DEMAND)]
    assert (n2_4.vcpus, n2_4.memory_gib) == (4, 16)
    assert n2_4.hourly_usd == pytest.approx(4 * 0.031611 + 16 * 0.004237)  # not the Custom or Commitment SKU
    spot = by_key[("us-east1", "n2-highmem-8", CapacityType.SPOT)]
    assert spot.hourly_usd == pytest.approx(8 * 0.0077 + 64 * 0.00103)
    c2 = by_key[("us-central1", "c2-standard-60", CapacityType.ON_DEMAND)]
    assert c2.hourly_usd == pytest.approx(60 * 0.03398 + 240 * 0.00455)
    assert ("us-east1", "c2-standard-60", CapacityType.ON_DEMAND) not in by_key  # C2 SKU lists us-central1 only
    assert {o.region for o in offers} == set(US)  # the Belgium SKUs are not asked for
    n2_types = {s.name for s in SHAPES["n2"]}
    assert {t for r, t, c in by_key if r == "us-east1"} == n2_types
    assert all(o.source == "gcp:billing-catalog" and o.as_of == NOW for o in offers)


def test_api_key_goes_in_the_query_and_a_token_in_the_header(pages: ScriptedPages, httpserver: Any) -> None:
    serve(pages, PAGE_1)
    source(pages).fetch(["us-central1"])
    request, _ = httpserver.log[-1]
    assert request.args["key"] == "test-key" and "Authorization" not in request.headers
    source(pages, api_key=None, token_provider=lambda: "tok-123").fetch(["us-central1"])
    request, _ = httpserver.log[-1]
    assert request.headers["Authorization"] == "Bearer tok-123" and "key" not in request.args


def test_no_credentials_is_a_clear_error() -> None:
    with pytest.raises(SourceFetchError, match="PLACEMENT_GCP_API_KEY"):
        GcpSource(base_url="http://127.0.0.1:9").fetch(["us-central1"])


def test_throttling_and_5xx_are_retried(pages: ScriptedPages) -> None:
    serve(pages, PAGE_1, PAGE_2)
    pages.script["tok1"][:0] = [Fault(429), Fault(500)]
    events: list[RetryEvent] = []
    offers = source(pages).fetch(list(US), on_retry=events.append)
    assert len(events) == 2 and any(o.capacity_type is CapacityType.SPOT for o in offers)


def test_persistent_5xx_fails_naming_source_regions_and_page(pages: ScriptedPages) -> None:
    serve(pages, PAGE_1, PAGE_2)
    pages.script["tok1"] = [Fault(502)]
    retry = RetryPolicy(max_attempts=3, sleep=lambda _s: None)
    gcp = GcpSource(api_key="k", base_url=pages.server.url_for("/"), retry=retry)
    expected = r"gcp:billing-catalog: region us-central1, us-east1: page 2: HTTP 502.*3 attempts"
    with pytest.raises(SourceFetchError, match=expected):
        gcp.fetch(list(US))


def test_malformed_page_is_a_clear_error(pages: ScriptedPages) -> None:
    serve(pages, PAGE_1, PAGE_2)
    pages.script["tok1"] = [Fault(200, '{"skus": [{"name": "services/6F81')]
    with pytest.raises(SourceFetchError, match="page 2: malformed or truncated JSON page"):
        source(pages).fetch(list(US))


def test_sku_without_category_is_a_clear_error(pages: ScriptedPages) -> None:
    serve(pages, [{"name": "x", "description": "N2 Instance Core running in Americas"}])
    with pytest.raises(SourceFetchError, match="page 1: malformed SKU"):
        source(pages).fetch(["us-central1"])


def test_price_in_another_currency_is_an_error(pages: ScriptedPages) -> None:
    serve(pages, [gcp_sku("E2 Instance Core running in Americas", 327.17, currency="IDR")])
    with pytest.raises(SourceFetchError, match=r"\(E2 Instance Core running in Americas\) is priced in IDR, not USD"):
        source(pages).fetch(["us-central1"])


def test_a_region_no_sku_lists_is_an_error(pages: ScriptedPages) -> None:
    serve(pages, PAGE_1)
    with pytest.raises(SourceFetchError, match=r"region us-centrall: no machine-type prices.*did you mean us-central1"):
        source(pages).fetch(["us-central1", "us-centrall"])


def test_price_is_units_plus_nanos() -> None:
    sku = gcp_sku("N2 Instance Core running in Americas", 0.0, regions=("us-central1",))
    sku["pricingInfo"][0]["pricingExpression"]["tieredRates"][0]["unitPrice"] = {
        "currencyCode": "USD",
        "units": "2",
        "nanos": 933908000,
    }
    rates = parse_skus([sku], regions=["us-central1"])
    assert rates[("us-central1", "n2", CapacityType.ON_DEMAND)][0] == pytest.approx(2.933908)


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("N2D AMD Instance Core running in Americas", ("n2d", "Core")),
        ("N1 Predefined Instance Ram running in EMEA", ("n1", "Ram")),
        ("Preemptible N1 Predefined Instance Core running in Americas", ("n1", "Core")),
        ("Spot Preemptible E2 Instance Ram running in Belgium", ("e2", "Ram")),
        ("Compute optimized Core running in Americas", ("c2", "Core")),
        ("T2A Arm Instance Core running in Americas", ("t2a", "Core")),
        ("N2 Instance Extended Ram running in Americas", None),
        ("E2 Custom Instance Core running in Americas", None),
        ("Nvidia Tesla A100 GPU running in Americas", None),
    ],
)
def test_sku_descriptions_map_to_families(description: str, expected: tuple[str, str] | None) -> None:
    assert sku_family(description) == expected


# -- the page reader: decoding only the SKUs that matter must not change the result -----------------
def _page_bytes(skus: list[dict[str, Any]], token: str | None, *, indent: int | None) -> bytes:
    document: dict[str, Any] = {"skus": skus}
    if token:
        document["nextPageToken"] = token
    return json.dumps(document, indent=indent, separators=None if indent else (",", ":")).encode()


def _composable(skus: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in skus if (f := sku_family(s["description"])) and f[0] in SHAPES]


def _parsed_fields(sku: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sku.items() if k in ("description", "skuId", "category", "serviceRegions", "pricingInfo")}


@pytest.mark.parametrize("indent", [None, 2])  # the API pretty-prints; compact must work too
def test_page_reader_keeps_exactly_the_composable_skus(indent: int | None) -> None:
    skus = PAGE_1 + PAGE_2 + PAGE_3
    relevant, token = read_page(_page_bytes(skus, "tok9", indent=indent))
    assert token == "tok9"
    assert relevant == [_parsed_fields(s) for s in _composable(skus)]
    assert parse_skus(relevant, regions=US) == parse_skus(skus, regions=US)


def test_any_key_order_and_escapes_read_the_same() -> None:
    reordered = [{k: s[k] for k in reversed(list(s))} for s in PAGE_1]
    skus, token = read_page(_page_bytes(reordered, None, indent=None))
    assert skus == [_parsed_fields(s) for s in _composable(PAGE_1)] and token is None
    zurich = gcp_sku("N2 Instance Core running in Zürich", 0.05, regions=("europe-west6",))
    skus, _ = read_page(_page_bytes([*PAGE_1, zurich], None, indent=None))  # json.dumps writes \u00fc
    assert skus[-1] == _parsed_fields(zurich) and skus[-1]["description"].endswith("Zürich")


def test_a_page_without_skus_is_empty_only_when_it_has_nothing_else() -> None:
    assert read_page(b"{}") == ([], None)
    assert read_page(b'{"nextPageToken": "t2"}') == ([], "t2")
    with pytest.raises(PageError, match="no `skus` list; keys: items"):
        read_page(b'{"items": []}')


def test_a_composable_sku_keeps_only_the_fields_it_has() -> None:
    bare = {"name": "x", "description": "N2 Instance Core running in Americas"}
    skus, _ = read_page(_page_bytes([bare], None, indent=None))
    assert skus == [{"description": bare["description"]}]  # parse_skus then reports the missing category


@pytest.mark.parametrize(
    "cut",
    [
        lambda b: b[: b.rindex(b"}")],  # truncated right after a complete SKU: `]}` missing
        lambda b: b[: len(b) // 2],  # truncated mid-SKU
        lambda b: b.replace(b'"skus"', b'"skuz"'),  # not a catalog page
        lambda b: b'{"skus": {"a": 1}}',  # skus is not a list
        lambda b: b"[]",  # not an object
    ],
)
def test_truncated_or_foreign_pages_are_errors(cut: Any) -> None:
    with pytest.raises(PageError):
        read_page(cut(_page_bytes(PAGE_1, None, indent=None)))
