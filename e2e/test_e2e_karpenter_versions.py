"""diff → apply → diff → rollback with each older Karpenter API served by the real API server: the
v1beta1 NodePool (Karpenter v0.32–v1.0) and the v1alpha5 Provisioner (≤ v0.31), their CRDs read
from ../shared/data/schemas. The API server validates placement's pools against the CRD schemas.
(v1 runs in test_e2e_kube.) Local control plane only: the test swaps the cluster's CRDs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_builders import assignment, cluster_entry, deployment, workload_entry, write_inputs
from e2e_crds import NODEPOOL_V1, OLDER

from placement.cli import main

pytestmark = pytest.mark.e2e


@pytest.fixture(params=sorted(OLDER))
def served(request: pytest.FixtureRequest, cluster: Any, local_fleet: Any) -> Iterator[str]:
    """The cluster serving only the given Karpenter API (v1 is put back afterwards)."""
    version = request.param
    path = OLDER[version][0]
    if not path.exists() or not NODEPOOL_V1.exists():
        pytest.skip(f"no {path} (../shared/data/schemas)")
    cluster.delete_crd("nodepools.karpenter.sh")
    name = cluster.install_crd(path)
    try:
        yield version
    finally:
        cluster.delete_pools()
        cluster.delete_crd(name)
        cluster.install_crd(NODEPOOL_V1)


def test_older_karpenter_apis(served: str, cluster: Any, namespace: str, tmp_path, capsys) -> None:
    _, plural, kind = OLDER[served]
    cluster.ssa(deployment(namespace, "web", 1))
    scenario, plan = write_inputs(
        tmp_path,
        [cluster_entry("e2e", cluster.context, autoscaler=f"karpenter/{served}")],
        [workload_entry(namespace, "web", 2, {"e2e": 1})],
        [assignment(f"{namespace}/web", "e2e", on_demand=2)],
    )
    args = [
        "--scenario",
        str(scenario),
        "--plan",
        str(plan),
        "--kubeconfig",
        cluster.kubeconfig,
        "--context",
        cluster.context,
    ]

    assert main(["diff", *args, "--force-conflicts"]) == 1
    assert f"MERGED-e2e/karpenter.sh.{served}.{kind}..placement-on-demand" in capsys.readouterr().out

    assert main(["apply", *args, "--force-conflicts", "--wait-timeout", "120"]) == 0, capsys.readouterr().err
    pool = cluster.nodepool("placement-on-demand", served, plural)
    assert pool is not None and pool["metadata"]["annotations"]["placement.dev/plan-id"].startswith("p-")
    if served == "v1alpha5":
        assert pool["spec"]["limits"]["resources"]["cpu"] and pool["spec"]["providerRef"]["kind"] == "AWSNodeTemplate"
    else:
        assert pool["spec"]["limits"]["cpu"] and pool["spec"]["template"]["spec"]["nodeClassRef"]["name"]
    assert cluster.deployment(namespace, "web").spec.replicas == 2
    capsys.readouterr()

    assert main(["diff", *args]) == 0, capsys.readouterr().out

    rollback = [
        "rollback",
        "--scenario",
        str(scenario),
        "--kubeconfig",
        cluster.kubeconfig,
        "--context",
        cluster.context,
    ]
    assert main(rollback) == 0, capsys.readouterr().err
    assert cluster.nodepool("placement-on-demand", served, plural) is None
    assert cluster.nodepool("placement-spot", served, plural) is None
    assert cluster.deployment(namespace, "web").spec.replicas == 1
