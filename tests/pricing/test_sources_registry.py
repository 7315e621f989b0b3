"""The default sources built from the environment (no network: nothing is fetched here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import make_offer

from pricing.errors import SourceError, SourceFetchError
from pricing.sources import PriceSource
from pricing.sources.aws import AwsSource
from pricing.sources.azure import AzureSource
from pricing.sources.gcp import GcpSource
from pricing.sources.registry import SourceSettings, build_source
from pricing.sources.retry import RetryPolicy


def test_each_cloud_builds_its_source_with_the_shared_retry_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    retry = RetryPolicy(max_attempts=2)
    settings = SourceSettings(retry=retry, env={"PLACEMENT_GCP_API_KEY": "key-1"})
    sources = {cloud: build_source(cloud, settings) for cloud in ("aws", "azure", "gcp")}
    assert isinstance(sources["aws"], AwsSource) and isinstance(sources["azure"], AzureSource)
    assert isinstance(sources["gcp"], GcpSource) and sources["gcp"].api_key == "key-1"
    for cloud, source in sources.items():
        assert isinstance(source, PriceSource) and source.cloud == cloud and source.retry is retry
    assert sources["aws"].ec2_client_for("eu-west-1").meta.region_name == "eu-west-1"


def test_base_urls_come_from_the_environment() -> None:
    env = {
        "PLACEMENT_AZURE_PRICES_URL": "http://127.0.0.1:1/az/",
        "PLACEMENT_GCP_BILLING_URL": "http://127.0.0.1:1/g",
        "GOOGLE_API_KEY": "key-2",
    }
    azure = build_source("azure", SourceSettings(env=env))
    gcp = build_source("gcp", SourceSettings(env=env))
    assert azure.base_url == "http://127.0.0.1:1/az" and gcp.base_url == "http://127.0.0.1:1/g"  # type: ignore[attr-defined]
    assert gcp.api_key == "key-2"  # type: ignore[attr-defined]


def test_azure_size_table_is_seeded_from_catalog_offers() -> None:
    seed = (
        make_offer(
            cloud="azure", region="westeurope", instance_type="Standard_NC6s_v3", vcpus=6, memory_gib=112, gpus=1
        ),
    )
    azure = build_source("azure", SourceSettings(env={}, azure_specs_from=seed))
    spec = azure.specs("Standard_NC6s_v3")  # type: ignore[attr-defined]  # a GPU size the name parser skips
    assert spec is not None and (spec.vcpus, spec.memory_gib, spec.gpus) == (6, 112, 1)


def test_spot_advisor_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    path = tmp_path / "advisor.json"
    path.write_text(
        json.dumps(
            {
                "ranges": [{"index": 0, "label": "<5%"}],
                "spot_advisor": {"eu-west-1": {"Linux": {"m5.large": {"r": 0, "s": 70}}}},
            }
        )
    )
    aws = build_source("aws", SourceSettings(env={"PLACEMENT_AWS_SPOT_ADVISOR": str(path)}))
    assert aws.advisor is not None and aws.advisor.rate("eu-west-1", "m5.large") == 0.025  # type: ignore[attr-defined]
    with pytest.raises(SourceError, match="cannot read"):
        build_source("aws", SourceSettings(env={"PLACEMENT_AWS_SPOT_ADVISOR": str(tmp_path / "missing.json")}))


def test_gcp_without_any_credentials_says_how_to_get_them() -> None:
    gcp = build_source("gcp", SourceSettings(env={}))
    gcp.token_provider = None  # type: ignore[attr-defined]  # as on a machine without google-auth / ADC
    with pytest.raises(SourceFetchError, match=r"PLACEMENT_GCP_API_KEY.*--cloud aws,azure"):
        gcp.fetch(["us-central1"])


def test_unknown_cloud() -> None:
    with pytest.raises(SourceError, match="no live price source for cloud 'oracle'; choose from aws, azure, gcp"):
        build_source("oracle")
