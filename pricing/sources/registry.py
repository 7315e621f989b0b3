"""Build the default live source of each cloud from the environment: a registry dict, no string dispatch.

Environment (all optional):
- AWS: boto3's default chain (``AWS_PROFILE``, ``AWS_ACCESS_KEY_ID``…, IRSA, EKS Pod Identity);
  ``AWS_ENDPOINT_URL_PRICING`` / ``AWS_ENDPOINT_URL_EC2`` redirect the calls (boto3 reads them);
  ``PLACEMENT_AWS_SPOT_ADVISOR``: a Spot Instance Advisor JSON (.json or .json.gz) for interruption rates.
- Azure: no credentials; ``PLACEMENT_AZURE_PRICES_URL`` overrides the Retail Prices base URL. VM sizes
  are resolved from the embedded catalog's Azure specs first, then from the size name.
- GCP: ``PLACEMENT_GCP_API_KEY`` (or ``GOOGLE_API_KEY``), else application default credentials
  (GKE Workload Identity, ``gcloud auth application-default login``) through google-auth;
  ``PLACEMENT_GCP_BILLING_URL`` overrides the Cloud Billing base URL.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pricing.errors import SourceError
from pricing.offer import Offer
from pricing.sources import PriceSource
from pricing.sources.retry import RetryPolicy

GCP_SCOPE = "https://www.googleapis.com/auth/cloud-billing.readonly"
NO_GCP_CREDENTIALS = (
    "no credentials: set PLACEMENT_GCP_API_KEY (an API key with the Cloud Billing API enabled) or use "
    "application default credentials / GKE Workload Identity; or leave GCP out with --cloud aws,azure"
)


@dataclass(frozen=True)
class SourceSettings:
    """What the factories need beyond the environment."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    spot_advisor: Path | None = None
    azure_specs_from: tuple[Offer, ...] = ()  # offers whose Azure specs seed the size table
    timeout_s: float = 30.0
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def _aws(settings: SourceSettings) -> PriceSource:
    from pricing.sources.aws import AwsSource
    from pricing.sources.aws_spot import SpotAdvisor

    path = settings.spot_advisor or (Path(p) if (p := settings.env.get("PLACEMENT_AWS_SPOT_ADVISOR")) else None)
    advisor = SpotAdvisor.load(path) if path is not None else None
    return AwsSource.from_environment(advisor=advisor, retry=settings.retry, timeout_s=settings.timeout_s)


def _azure(settings: SourceSettings) -> PriceSource:
    from pricing.sources.azure import DEFAULT_BASE_URL, AzureSource
    from pricing.sources.azure_sizes import AzureSizeSpecs, specs_from_catalog
    from pricing.sources.http import UrllibClient

    seed = settings.azure_specs_from or _embedded_azure_offers()
    return AzureSource(
        base_url=settings.env.get("PLACEMENT_AZURE_PRICES_URL", DEFAULT_BASE_URL),
        http=UrllibClient(timeout_s=settings.timeout_s),
        specs=AzureSizeSpecs(specs_from_catalog(seed)),
        retry=settings.retry,
    )


def _embedded_azure_offers() -> tuple[Offer, ...]:
    """The embedded catalog's Azure offers (their specs seed the size table), if it is installed."""
    try:
        from pricing.embedded import load_embedded_catalog
    except ImportError:  # pragma: no cover - the embedded catalog ships with the package
        return ()
    return tuple(load_embedded_catalog().of_cloud("azure"))


def _gcp(settings: SourceSettings) -> PriceSource:
    from pricing.sources.gcp import DEFAULT_BASE_URL, GcpSource
    from pricing.sources.http import UrllibClient

    api_key = settings.env.get("PLACEMENT_GCP_API_KEY") or settings.env.get("GOOGLE_API_KEY")
    return GcpSource(
        api_key=api_key,
        token_provider=None if api_key else _google_token_provider(),
        base_url=settings.env.get("PLACEMENT_GCP_BILLING_URL", DEFAULT_BASE_URL),
        http=UrllibClient(timeout_s=settings.timeout_s),
        retry=settings.retry,
    )


def _google_token_provider() -> Callable[[], str] | None:
    """Bearer tokens from application default credentials (GKE Workload Identity, gcloud ADC), looked up
    on first use so building the source never blocks; None when google-auth is not installed."""
    try:
        import google.auth
        import google.auth.transport.requests
    except ImportError:
        return None
    lock = threading.Lock()
    found: list[Any] = []

    def token() -> str:
        with lock:
            if not found:
                try:
                    credentials, _ = google.auth.default(scopes=[GCP_SCOPE])
                except Exception as error:  # DefaultCredentialsError, or the metadata server unreachable
                    raise SourceError("gcp:billing-catalog", f"{NO_GCP_CREDENTIALS} ({error})") from error
                found.append(credentials)
            credentials = found[0]
            if not credentials.valid:
                credentials.refresh(google.auth.transport.requests.Request())
            return str(credentials.token)

    return token


FACTORIES: dict[str, Callable[[SourceSettings], PriceSource]] = {"aws": _aws, "azure": _azure, "gcp": _gcp}


def build_source(cloud: str, settings: SourceSettings | None = None) -> PriceSource:
    """The default live source of `cloud` (one of `FACTORIES`)."""
    factory = FACTORIES.get(cloud)
    if factory is None:
        choices = ", ".join(sorted(FACTORIES))
        raise SourceError(cloud, f"no live price source for cloud {cloud!r}; choose from {choices}")
    return factory(settings or SourceSettings())
