"""The autoscaler is checked against the cloud at load, so no plan ends in a crash at `-o patches`."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from cli_run import run_cli
from scenarios import BASE, write

from placement.patches.nodepools import DEFAULT_NODE_CLASSES
from placement.scenario import AUTOSCALER_CLOUDS, autoscalers_for, default_autoscaler

PRICES = """cloud,region,instance_type,capacity_type,vcpus,memory_gib,hourly_usd
acme,fra-1,std-4,on-demand,4,16,0.12
acme,fra-1,std-4,spot,4,16,0.05
"""


def _with_cluster(tmp_path: Path, cluster: dict[str, object]) -> Path:
    doc = copy.deepcopy(BASE)
    doc["spec"]["clusters"] = [cluster]
    doc["spec"]["workloads"][0].pop("users")
    doc["spec"]["workloads"][0].pop("latencyMs")
    if cluster["cloud"] == "acme":
        (tmp_path / "acme.csv").write_text(PRICES)
        doc["spec"]["prices"] = {"extra": ["acme.csv"]}
    return write(tmp_path, doc)


@pytest.mark.parametrize(
    ("cloud", "region", "autoscaler", "says"),
    [
        (
            "gcp",
            "europe-west4",
            "karpenter/v1beta1",
            "karpenter/v1beta1 does not run on gcp (it runs on aws and azure)",
        ),
        ("gcp", "europe-west4", "aks", "aks does not run on gcp (it runs on azure); use one of: gke, none"),
        ("azure", "westeurope", "karpenter/v1alpha5", "karpenter/v1alpha5 does not run on azure (it runs on aws)"),
        ("aws", "eu-west-1", "gke", "gke does not run on aws"),
        ("acme", "fra-1", "karpenter/v1", "karpenter/v1 does not run on the custom cloud acme"),
    ],
)
def test_an_autoscaler_of_another_cloud_is_exit_2_with_field_and_fix(
    tmp_path: Path, cloud: str, region: str, autoscaler: str, says: str
) -> None:
    cluster = {"name": "c1", "cloud": cloud, "region": region, "autoscaler": autoscaler}
    if cloud == "acme":
        cluster["country"] = "DE"
    outcome = run_cli(["plan", "-f", str(_with_cluster(tmp_path, cluster)), "-o", "patches"])
    assert outcome.code == 2, outcome.err
    assert f"spec.clusters[0].autoscaler: {says}" in outcome.err and f"(got {autoscaler})" in outcome.err


def test_a_custom_cloud_defaults_to_no_autoscaler_and_its_patches_render(tmp_path: Path) -> None:
    path = _with_cluster(tmp_path, {"name": "c1", "cloud": "acme", "region": "fra-1", "country": "DE"})
    outcome = run_cli(["plan", "-f", str(path), "-o", "patches"])
    assert outcome.code == 0, outcome.err
    assert "kind: Deployment" in outcome.out and "kind: NodePool" not in outcome.out
    written = run_cli(["apply", "-f", str(path), "--output-dir", str(tmp_path / "out")])
    assert written.code == 0, written.err
    assert (tmp_path / "out" / "c1" / "kustomization.yaml").is_file()


def test_defaults_and_every_accepted_karpenter_cloud_has_a_node_class() -> None:
    assert [default_autoscaler(c) for c in ("aws", "azure", "gcp", "acme")] == [
        "karpenter/v1",
        "karpenter/v1",
        "gke",
        "none",
    ]
    for autoscaler, clouds in AUTOSCALER_CLOUDS.items():
        if autoscaler.startswith("karpenter/"):
            for cloud in clouds or ():
                assert (cloud, autoscaler.removeprefix("karpenter/")) in DEFAULT_NODE_CLASSES
    for cloud in ("aws", "azure", "gcp", "acme"):
        assert default_autoscaler(cloud) in autoscalers_for(cloud)
