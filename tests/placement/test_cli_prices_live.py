"""`placement prices refresh | show --source cache|live | diff`, through the real CLI entry point.

The live sources are pointed at a local pytest-httpserver through the environment variables users
have too (AWS_ENDPOINT_URL_PRICING/EC2, PLACEMENT_AZURE_PRICES_URL, PLACEMENT_GCP_BILLING_URL).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import Fault, LocalAws, ScriptedPages, azure_item, gcp_sku, make_offer

from placement.cli import main
from pricing.cache import save_catalog
from pricing.catalog import Catalog

AWS_REGIONS, AZURE_REGIONS, GCP_REGIONS = ("us-east-1", "eu-west-1"), ("westeurope", "uksouth"), ("us-central1",)


def _azure_key(request: Any) -> str:
    if "page" in request.args:
        return f"{request.args['region']}:{request.args['page']}"
    return request.args["$filter"].rsplit("armRegionName eq '", 1)[1].rstrip("'") + ":1"


@pytest.fixture
def endpoints(httpserver: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    aws = LocalAws(httpserver, ["m5.large", "c5.large", "r5.large"])
    azure = ScriptedPages(httpserver, "/api/retail/prices", _azure_key)
    for region in AZURE_REGIONS:
        azure.add(
            f"{region}:1",
            {
                "BillingCurrency": "USD",
                "NextPageLink": azure.url(f"region={region}&page=2"),
                "Items": [azure_item("Standard_D2s_v5", 0.096, region=region)],
            },
        )
        azure.add(
            f"{region}:2",
            {
                "BillingCurrency": "USD",
                "NextPageLink": None,
                "Items": [azure_item("Standard_D2s_v5", 0.02, region=region, spot=True)],
            },
        )
    gcp = ScriptedPages(httpserver, "/v1/services/6F81-5844-456A/skus", lambda r: r.args.get("pageToken", "first"))
    gcp.add(
        "first",
        {
            "skus": [
                gcp_sku("N2 Instance Core running in Americas", 0.03),
                gcp_sku("N2 Instance Ram running in Americas", 0.004),
            ]
        },
    )
    for name, value in {
        "AWS_ENDPOINT_URL_PRICING": aws.url("pricing"),
        "AWS_ENDPOINT_URL_EC2": aws.url("ec2"),
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PLACEMENT_AZURE_PRICES_URL": azure.url(),
        "PLACEMENT_GCP_BILLING_URL": httpserver.url_for("/"),
        "PLACEMENT_GCP_API_KEY": "test-key",
        "PLACEMENT_CACHE_DIR": str(tmp_path / "cache"),
    }.items():
        monkeypatch.setenv(name, value)
    return {"aws": aws, "azure": azure, "gcp": gcp, "cache": tmp_path / "cache" / "catalog.json"}


REGIONS = ["--regions", ",".join(AWS_REGIONS + AZURE_REGIONS + GCP_REGIONS)]


def test_refresh_fetches_every_cloud_and_writes_the_cache(
    endpoints: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["prices", "refresh", *REGIONS, "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    catalog = Catalog.load(endpoints["cache"])
    assert catalog.regions() == (
        {("aws", r) for r in AWS_REGIONS} | {("azure", r) for r in AZURE_REGIONS} | {("gcp", r) for r in GCP_REGIONS}
    )
    assert catalog.sources() == {
        "aws:pricing-api",
        "aws:spot-price-history",
        "azure:retail-prices",
        "gcp:billing-catalog",
    }
    for source in ("aws:pricing-api", "azure:retail-prices", "gcp:billing-catalog"):
        line = next(line for line in out.splitlines() if line.startswith(source))
        assert line.split()[-1] == "ok"
    assert f"wrote {len(catalog):,} offers" in out


def test_a_failed_region_exits_4_naming_it_and_leaves_the_cache_byte_identical(
    endpoints: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    endpoints["cache"].parent.mkdir(parents=True)
    save_catalog(Catalog([make_offer()]), endpoints["cache"])
    before = endpoints["cache"].read_bytes()
    endpoints["azure"].script["uksouth:2"] = [Fault(503)]
    code = main(["prices", "refresh", *REGIONS, "--attempts", "2", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 4
    assert "azure:retail-prices: region uksouth: page 2: HTTP 503" in err
    assert "left unchanged" in err
    assert endpoints["cache"].read_bytes() == before


def test_one_cloud_only_keeps_the_other_clouds_cached_offers(
    endpoints: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    endpoints["cache"].parent.mkdir(parents=True)
    save_catalog(
        Catalog([make_offer(cloud="gcp", region="europe-west1", instance_type="n2-standard-2")]), endpoints["cache"]
    )
    assert main(["prices", "refresh", "--cloud", "azure", "--regions", "westeurope", "--no-progress"]) == 0
    catalog = Catalog.load(endpoints["cache"])
    assert catalog.regions() == {("gcp", "europe-west1"), ("azure", "westeurope")}


def test_unknown_cloud_or_region_is_a_clear_error(
    endpoints: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prices", "refresh", "--cloud", "oracle"]) == 4
    assert "no live price source for cloud 'oracle'" in capsys.readouterr().err
    assert main(["prices", "refresh", "--regions", "mars-1"]) == 4
    assert "name its cloud with --cloud" in capsys.readouterr().err


def _seed(path: Path, age: timedelta, price: float = 0.1) -> None:
    as_of = datetime.now(UTC) - age
    path.parent.mkdir(parents=True, exist_ok=True)
    save_catalog(
        Catalog(
            [
                make_offer(hourly_usd=price, as_of=as_of),
                make_offer(
                    cloud="gcp", region="us-central1", instance_type="n2-standard-2", hourly_usd=price, as_of=as_of
                ),
            ],
            fetched_at=as_of,
        ),
        path,
    )


def test_show_cache_respects_max_price_age(endpoints: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    _seed(endpoints["cache"], timedelta(days=2))
    assert main(["prices", "show", "--source", "cache", "-o", "csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["prices", "show", "--source", "cache", "--max-price-age", "24"]) == 4
    assert "prices are 2d old (max 1d)" in capsys.readouterr().err
    assert main(["prices", "show", "--source", "cache", "--max-price-age", "24", "--allow-stale", "-o", "csv"]) == 0
    assert "warning: prices are 2d old" in capsys.readouterr().err


def test_show_live_refreshes_the_asked_cloud_and_region(
    endpoints: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(endpoints["cache"], timedelta(hours=1))
    code = main(["prices", "show", "--source", "live", "--cloud", "azure", "--region", "uksouth", "-o", "json"])
    shown = Catalog.from_json(json.loads(capsys.readouterr().out))
    assert code == 0 and shown.regions() == {("azure", "uksouth")}
    assert Catalog.load(endpoints["cache"]).regions() == {
        ("aws", "eu-west-1"),
        ("gcp", "us-central1"),
        ("azure", "uksouth"),
    }


def test_show_live_falls_back_to_a_fresh_cache_with_a_warning(
    endpoints: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(endpoints["cache"], timedelta(hours=1))
    endpoints["gcp"].script["first"] = [Fault(400, '{"error": {"message": "API key not valid"}}')]
    assert main(["prices", "show", "--source", "live", "--cloud", "gcp", "--region", "us-central1", "-o", "csv"]) == 0
    captured = capsys.readouterr()
    assert "warning: refresh failed" in captured.err and "API key not valid" in captured.err
    assert "n2-standard-2" in captured.out


def test_show_applies_adjustments(
    endpoints: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _seed(endpoints["cache"], timedelta(hours=1), price=0.2)
    code = main(
        [
            "prices",
            "show",
            "--source",
            "cache",
            "-o",
            "csv",
            "--adjust",
            "{cloud: aws, discountPercent: 25}",
            "--adjust",
            '{"extraHourlyUsd": 0.01}',
        ]
    )
    rows = {line.split(",")[0]: float(line.split(",")[6]) for line in capsys.readouterr().out.splitlines()[1:]}
    assert code == 0 and rows == {"aws": pytest.approx(0.16), "gcp": pytest.approx(0.21)}
    assert main(["prices", "show", "--source", "cache", "--adjust", "{cloud: aws, discount: 25}"]) == 2
    assert "adjustments[0].discount: unknown field; did you mean discountPercent?" in capsys.readouterr().err


def test_diff_lists_changes_by_impact_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    save_catalog(
        Catalog(
            [
                make_offer(instance_type="m5.large", hourly_usd=0.10),
                make_offer(instance_type="m5.24xlarge", hourly_usd=4.6),
            ]
        ),
        old,
    )
    save_catalog(
        Catalog(
            [
                make_offer(instance_type="m5.large", hourly_usd=0.12),
                make_offer(instance_type="m5.24xlarge", hourly_usd=4.9),
            ]
        ),
        new,
    )
    assert main(["prices", "diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert out.index("m5.24xlarge") < out.index("m5.large ")
    assert "+20.0%" in out and "2 changes, 0 offers unchanged" in out
    assert main(["prices", "diff", str(old), str(new), "-o", "json", "--min-change", "10"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert [c["instanceType"] for c in document["changes"]] == ["m5.large"] and document["unchanged"] == 1
    assert main(["prices", "diff", str(old), str(old)]) == 0
    assert "no changes" in capsys.readouterr().out
    assert main(["prices", "diff", str(old), str(tmp_path / "missing.json")]) == 2
    assert "missing.json: no such file" in capsys.readouterr().err
