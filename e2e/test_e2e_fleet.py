"""Two real API servers as a two-cluster fleet (`e2e`: AWS with Karpenter v1, `e2e-b`: GKE): an apply
and rollback across both, and all-or-nothing when the second cluster fails midway — its RBAC
refuses the write (a real 403), or its API server stops answering — the first is reverted."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_builders import assignment, cluster_entry, deployment, workload_entry, write_inputs

from placement.cli import main

pytestmark = pytest.mark.e2e

READ_ONLY = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "e2e-read-only"},
    "rules": [
        {
            "apiGroups": ["", "apps", "autoscaling", "policy", "apiextensions.k8s.io", "karpenter.sh"],
            "resources": ["*"],
            "verbs": ["get", "list", "watch"],
        }
    ],
}


@pytest.fixture
def two(cluster: Any, cluster_b: Any, local_fleet: Any, karpenter: bool, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`web` (1 replica, owned by e2e-setup) in the same new namespace of both clusters; a plan for 2 in each."""
    namespace = f"placement-e2e-fleet-{uuid.uuid4().hex[:6]}"
    for target in (cluster, cluster_b):
        target.core.create_namespace({"metadata": {"name": namespace}})
        target.ssa(deployment(namespace, "web", 1, {"placement.dev/min-clusters": "2"}))
    scenario, plan = write_inputs(
        tmp_path,
        [
            cluster_entry("e2e", "e2e", autoscaler="karpenter/v1" if karpenter else "none"),
            cluster_entry("e2e-b", "e2e-b", cloud="gcp", region="europe-west4", autoscaler="gke"),
        ],
        [workload_entry(namespace, "web", 4, {"e2e": 1, "e2e-b": 1})],
        [
            assignment(f"{namespace}/web", "e2e", on_demand=2),
            assignment(
                f"{namespace}/web",
                "e2e-b",
                on_demand=2,
                cloud="gcp",
                region="europe-west4",
                instance_type="n2-standard-4",
            ),
        ],
    )
    before = {
        name: target.apps.read_namespaced_deployment("web", namespace).to_dict()
        for name, target in (("e2e", cluster), ("e2e-b", cluster_b))
    }
    yield {"namespace": namespace, "scenario": scenario, "plan": plan, "before": before}
    for target in (cluster, cluster_b):
        target.core.delete_namespace(namespace)
    cluster.delete_pools()


def _args(two: dict[str, Any], kubeconfig: str) -> list[str]:
    return ["--scenario", str(two["scenario"]), "--plan", str(two["plan"]), "--kubeconfig", kubeconfig]


def _assert_unchanged(target: Any, namespace: str, before: dict[str, Any]) -> None:
    now = target.apps.read_namespaced_deployment("web", namespace).to_dict()
    assert now["spec"]["replicas"] == before["spec"]["replicas"] == 1
    assert now["spec"]["template"] == before["spec"]["template"]
    assert not {"placement.dev/plan-id", "placement.dev/previous"} & set(now["metadata"]["annotations"] or {})
    assert target.nodepool("placement-on-demand") is None and target.nodepool("placement-spot") is None


def test_apply_and_rollback_across_two_clusters(two, cluster, cluster_b, fleet_kubeconfig, capsys) -> None:
    ns = two["namespace"]
    assert main(["apply", *_args(two, fleet_kubeconfig), "--force-conflicts", "--wait-timeout", "120"]) == 0, (
        capsys.readouterr().err
    )
    for target in (cluster, cluster_b):
        web = target.deployment(ns, "web")
        assert web.spec.replicas == 2 and (web.status.available_replicas or 0) == 2
        assert web.spec.template.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution
    capsys.readouterr()
    assert main(["rollback", "--scenario", str(two["scenario"]), "--kubeconfig", fleet_kubeconfig]) == 0
    assert "e2e-b: Deployment" in capsys.readouterr().out
    for name, target in (("e2e", cluster), ("e2e-b", cluster_b)):
        _assert_unchanged(target, ns, two["before"][name])


def test_second_cluster_forbidden_reverts_the_first(two, cluster, cluster_b, local_fleet, tmp_path, capsys) -> None:
    ns = two["namespace"]
    plane_b = local_fleet.clusters["e2e-b"]
    _ensure_read_only_role(cluster_b)
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": f"e2e-read-only-{ns}"[:60]},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "e2e-read-only"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "restricted"}],
    }
    cluster_b.rbac.create_cluster_role_binding(binding)
    try:
        config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
        user = next(u for u in config["users"] if u["name"] == "admin-e2e-b")
        user["user"] = {"token": plane_b.tokens["restricted"]}  # e2e-b may read, not write
        kubeconfig = tmp_path / "revoked.kubeconfig"
        kubeconfig.write_text(yaml.safe_dump(config))

        assert main(["apply", *_args(two, str(kubeconfig)), "--force-conflicts", "--wait-timeout", "120"]) == 4
        err = capsys.readouterr().err
        assert "e2e-b" in err and "403" in err and "every cluster is back as it was" in err
        assert "reverted e2e: Deployment" in err
    finally:
        cluster_b.rbac.delete_cluster_role_binding(binding["metadata"]["name"])
    for name, target in (("e2e", cluster), ("e2e-b", cluster_b)):
        _assert_unchanged(target, ns, two["before"][name])


def test_second_api_server_stopping_midway_reverts_the_first(
    two, cluster, cluster_b, local_fleet, fleet_kubeconfig
) -> None:
    from placement.kube.apply import ApplyFailed, apply_patches
    from placement.kube.client import connect_fleet
    from placement.kube.scenario_export import read_live
    from placement.load.scenario import load_scenario
    from placement.patches.build import plan_id, to_patches
    from placement.plan import Plan

    scenario = load_scenario(two["scenario"])
    plan = Plan.from_json(json.loads(two["plan"].read_text()))
    apis: dict[str, Any] = connect_fleet(list(scenario.clusters), kubeconfig=fleet_kubeconfig, timeout_s=5)
    live = read_live(apis, scenario)
    patches = to_patches(plan, scenario, live=live)
    apis["e2e-b"] = _StopsBeforeFirstWrite(apis["e2e-b"], local_fleet.clusters["e2e-b"])
    try:
        with pytest.raises(ApplyFailed) as failed:
            apply_patches(patches, apis, plan_id=plan_id(plan), force=True, live=live, wait_timeout_s=60)
    finally:
        local_fleet.clusters["e2e-b"].restart_apiserver()
    report = failed.value.report
    assert "e2e-b" in str(report.error) and "unreachable" in str(report.error)
    assert report.clean and {p.cluster for p in report.reverted} == {"e2e"}
    _assert_unchanged(cluster, two["namespace"], two["before"]["e2e"])


class _StopsBeforeFirstWrite:
    """A cluster whose API server stops just before placement's first write to it."""

    def __init__(self, api: Any, plane: Any) -> None:
        self.api, self.plane, self.cluster = api, plane, api.cluster

    def get(self, ref: Any) -> Any:
        return self.api.get(ref)

    def list(self, *args: Any, **kwargs: Any) -> Any:
        return self.api.list(*args, **kwargs)

    def apply(self, body: Any, *, force: bool = False, dry_run: bool = False) -> Any:
        if self.plane.processes["kube-apiserver"].running:
            self.plane.stop_apiserver()
        return self.api.apply(body, force=force, dry_run=dry_run)

    def delete(self, ref: Any, *, dry_run: bool = False) -> None:
        self.api.delete(ref, dry_run=dry_run)

    def server_version(self) -> tuple[int, int] | None:
        return self.api.server_version()


def _ensure_read_only_role(target: Any) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        target.rbac.create_cluster_role(READ_ONLY)
    except ApiException as error:
        if error.status != 409:  # already made by an earlier test
            raise


def test_scenario_export_reads_both_clusters_from_their_nodes(two, fleet_kubeconfig, capsys) -> None:
    assert (
        main(
            [
                "scenario",
                "export",
                "--kubeconfig",
                fleet_kubeconfig,
                "--context",
                "e2e",
                "--context",
                "e2e-b",
                "-n",
                two["namespace"],
                "-o",
                "json",
            ]
        )
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    clusters = {c["name"]: c for c in document["spec"]["clusters"]}
    assert (clusters["e2e"]["cloud"], clusters["e2e"]["region"]) == ("aws", "eu-west-1")  # providerID, labels
    assert (clusters["e2e-b"]["cloud"], clusters["e2e-b"]["region"], clusters["e2e-b"]["autoscaler"]) == (
        "gcp",
        "europe-west4",
        "gke",
    )
    (web,) = document["spec"]["workloads"]
    assert web["minClusters"] == 2 and web["demand"] == {"replicas": 2}  # annotation; today's replicas summed
    # one running pod per cluster, on whichever node (spot or not) the scheduler picked: the node's labels say which
    assert {name: sum(split.values()) for name, split in web["current"].items()} == {"e2e": 1, "e2e-b": 1}
