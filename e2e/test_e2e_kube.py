"""diff → apply → diff → rollback, a real conflict, a real 403, and scenario export, on a real cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from e2e_builders import assignment, cluster_entry, deployment, hpa, pdb, workload_entry, write_inputs

from placement.cli import main

pytestmark = pytest.mark.e2e


def _setup(cluster, namespace: str, karpenter: bool, tmp_path: Path) -> tuple[list[str], str]:
    cluster.ssa(deployment(namespace, "web", 1, {"placement.dev/min-clusters": "1"}))
    cluster.ssa(deployment(namespace, "api", 1))
    cluster.ssa(hpa(namespace, "api"))
    cluster.ssa(pdb(namespace, "web", 1))
    autoscaler = "karpenter/v1" if karpenter else "none"
    scenario, plan = write_inputs(
        tmp_path,
        [cluster_entry("e2e", cluster.context, autoscaler=autoscaler)],
        [workload_entry(namespace, n, 2, {"e2e": 1}) for n in ("web", "api")],
        [assignment(f"{namespace}/{n}", "e2e", on_demand=2) for n in ("web", "api")],
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
    return args, namespace


def test_diff_apply_rollback(cluster, namespace, karpenter, tmp_path, capsys) -> None:
    args, ns = _setup(cluster, namespace, karpenter, tmp_path)

    assert main(["diff", *args, "--force-conflicts"]) == 1
    assert f"MERGED-e2e/apps.v1.Deployment.{ns}.web" in capsys.readouterr().out

    assert main(["apply", *args]) == 4  # spec.replicas belongs to e2e-setup: a real SSA conflict
    err = capsys.readouterr().err
    assert "409" in err and "--force-conflicts" in err and "every cluster is back as it was" in err
    assert cluster.deployment(ns, "web").spec.replicas == 1
    assert cluster.nodepool("placement-spot") is None

    assert main(["apply", *args, "--force-conflicts", "--dry-run=server"]) == 0
    assert cluster.deployment(ns, "web").spec.replicas == 1

    assert main(["apply", *args, "--force-conflicts", "--wait-timeout", "180"]) == 0
    web = cluster.deployment(ns, "web")
    assert web.spec.replicas == 2 and (web.status.available_replicas or 0) >= 2
    assert web.spec.template.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution
    assert web.metadata.annotations["placement.dev/plan-id"].startswith("p-")
    record = json.loads(web.metadata.annotations["placement.dev/previous"])  # the rollback record round-trips
    assert record["existed"] and record["fields"]["spec"]["replicas"] == 1
    assert web.metadata.annotations["placement.dev/min-clusters"] == "1"
    assert cluster.autoscaling.read_namespaced_horizontal_pod_autoscaler("api", ns).spec.min_replicas == 2
    if karpenter:
        assert cluster.nodepool("placement-on-demand")["spec"]["limits"]["cpu"]
    capsys.readouterr()

    assert main(["diff", *args]) == 0
    assert capsys.readouterr().out == ""

    rollback = ["rollback", "--scenario", args[1], "--kubeconfig", cluster.kubeconfig, "--context", cluster.context]
    assert main([*rollback, "--dry-run", "server"]) == 0  # a server-side dry run of the undo changes nothing
    assert "would restore" in capsys.readouterr().out
    assert cluster.deployment(ns, "web").spec.replicas == 2
    assert main(rollback) == 0
    web = cluster.deployment(ns, "web")
    assert web.spec.replicas == 1 and web.spec.template.spec.affinity is None
    annotations = web.metadata.annotations or {}
    assert "placement.dev/plan-id" not in annotations and "placement.dev/previous" not in annotations
    assert annotations["placement.dev/min-clusters"] == "1"  # the owner's annotations survive apply and rollback
    assert cluster.autoscaling.read_namespaced_horizontal_pod_autoscaler("api", ns).spec.min_replicas == 1
    assert cluster.nodepool("placement-spot") is None


def test_forbidden_credentials_change_nothing(cluster, namespace, karpenter, tmp_path, capsys) -> None:
    args, ns = _setup(cluster, namespace, karpenter, tmp_path)
    cluster.core.create_namespaced_service_account(ns, {"metadata": {"name": "nobody"}})
    token = cluster.core.create_namespaced_service_account_token(
        "nobody", ns, {"spec": {"expirationSeconds": 600}}
    ).status.token
    config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    context = next(c for c in config["contexts"] if c["name"] == cluster.context)["context"]
    config["users"].append({"name": "nobody", "user": {"token": token}})
    config["contexts"].append({"name": "nobody", "context": {"cluster": context["cluster"], "user": "nobody"}})
    restricted = tmp_path / "nobody.kubeconfig"
    restricted.write_text(yaml.safe_dump(config))
    denied = [a if a != cluster.kubeconfig else str(restricted) for a in args]
    denied[denied.index("--context") + 1] = "nobody"
    scenario = yaml.safe_load(Path(args[1]).read_text())
    scenario["spec"]["clusters"][0]["context"] = "nobody"
    Path(args[1]).write_text(yaml.safe_dump(scenario))
    assert main(["apply", *denied, "--force-conflicts"]) == 4
    assert "403" in capsys.readouterr().err
    assert cluster.deployment(ns, "web").spec.replicas == 1


def test_scenario_export_reads_the_fleet(cluster, namespace, karpenter, tmp_path, capsys) -> None:
    args, ns = _setup(cluster, namespace, karpenter, tmp_path)
    # the base scenario supplies cloud and region (kind nodes carry no cloud labels)
    assert (
        main(
            [
                "scenario",
                "export",
                "--scenario",
                args[1],
                "--kubeconfig",
                cluster.kubeconfig,
                "--context",
                cluster.context,
                "-n",
                ns,
                "-o",
                "json",
            ]
        )
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    (entry,) = document["spec"]["clusters"]
    assert entry["autoscaler"] == ("karpenter/v1" if karpenter else "none")
    workloads = {w["name"]: w for w in document["spec"]["workloads"]}
    assert set(workloads) == {"web", "api"}
    assert workloads["web"]["minClusters"] == 1  # from the placement.dev/min-clusters annotation
    assert workloads["web"]["minAvailable"] == 1  # from the PDB
    assert workloads["web"]["resources"] == {"cpu": "10m", "memory": "16Mi"}


def test_terminating_pods_are_not_counted_as_running(cluster, namespace) -> None:
    import time

    from placement.kube.client import connect
    from placement.kube.read import read_cluster
    from placement.scenario import Cluster as ScenarioCluster

    cluster.ssa(deployment(namespace, "web", 2, {"placement.dev/min-clusters": "1"}))
    for _ in range(120):
        if (cluster.deployment(namespace, "web").status.available_replicas or 0) == 2:
            break
        time.sleep(0.5)
    selector = "app=web"
    leaving = cluster.core.list_namespaced_pod(namespace, label_selector=selector).items[0].metadata.name
    cluster.core.patch_namespaced_pod(leaving, namespace, {"metadata": {"finalizers": ["e2e.placement.dev/hold"]}})
    cluster.core.delete_namespaced_pod(leaving, namespace)
    try:
        pod = cluster.core.read_namespaced_pod(leaving, namespace)
        # a real server keeps a finalized pod Terminating: deletionTimestamp set, still Running and Ready
        assert pod.metadata.deletion_timestamp is not None and pod.status.phase == "Running"
        api = connect(
            ScenarioCluster("e2e", "aws", "eu-west-1", "IE", context=cluster.context), kubeconfig=cluster.kubeconfig
        )
        for _ in range(120):  # the ReplicaSet replaces it
            web = read_cluster(api, keys=[f"{namespace}/web"], annotated=False).live.workloads[f"{namespace}/web"]
            if web.available_replicas == 2 and web.running.total == 2:
                break
            time.sleep(0.5)
        pods = cluster.core.list_namespaced_pod(namespace, label_selector=selector).items
        assert len(pods) == 3 and web.running.total == 2
    finally:
        cluster.core.patch_namespaced_pod(leaving, namespace, {"metadata": {"finalizers": None}})
