"""The commands end to end through `placement.cli.main`: exit codes (kubectl's for diff; > 1 for every
fault), messages, GitOps output, rollback, scenario export, and the acceptance run on the demo plan."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess

import pytest
import yaml
from kube_fakeapi import write_kubeconfig
from kube_schemas import crd_errors, merged_onto, minimal_deployment, minimal_hpa, require_crd_schemas
from kube_schemas import validate_builtin as validate
from kube_world import DEPLOYMENT_WEB, PLAN, POOL_SPOT, world

from placement.cli import main
from placement.load.scenario import load_scenario
from pricing.nodes import DaemonsetOverhead

SCENARIO = {
    "apiVersion": "placement.dev/v1alpha1",
    "kind": "Scenario",
    "metadata": {"name": "test"},
    "spec": {
        "clusters": [
            {"name": "a", "cloud": "aws", "region": "eu-west-1", "context": "ctx-a", "autoscaler": "karpenter/v1"},
            {"name": "b", "cloud": "gcp", "region": "europe-west4", "context": "ctx-b", "autoscaler": "gke"},
        ],
        "workloads": [
            {
                "name": "web",
                "namespace": "shop",
                "resources": {"cpu": "500m", "memory": "1Gi"},
                "demand": {"replicas": 6},
                "spot": {"maxFraction": 0.7},
                "current": {"a": {"onDemand": 2, "spot": 2}},
            },
            {
                "name": "api",
                "namespace": "shop",
                "resources": {"cpu": "500m", "memory": "1Gi"},
                "demand": {"replicas": 4},
                "current": {"a": {"onDemand": 3}},
            },
            {
                "name": "ledger",
                "namespace": "pay",
                "resources": {"cpu": "500m", "memory": "1Gi"},
                "demand": {"replicas": 3},
                "current": {"b": {"onDemand": 3}},
            },
        ],
    },
}


@pytest.fixture
def files(tmp_path):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO))
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN.to_json()))
    return scenario, plan


def _args(w, files, *extra):
    scenario, plan = files
    return ["--scenario", str(scenario), "--plan", str(plan), "--kubeconfig", str(w.kubeconfig), *extra]


def test_diff_apply_diff_exit_codes(tmp_path, files, capsys) -> None:
    with world(tmp_path) as w:
        assert main(["diff", *_args(w, files), "--force-conflicts"]) == 1
        assert "MERGED-a/apps.v1.Deployment.shop.web" in capsys.readouterr().out
        assert main(["apply", *_args(w, files), "--force-conflicts"]) == 0
        assert "applied 6 change(s)" in capsys.readouterr().out
        assert w.a.get(DEPLOYMENT_WEB)["spec"]["replicas"] == 6
        assert main(["diff", *_args(w, files)]) == 0
        assert capsys.readouterr().out == ""
        assert main(["rollback", "--scenario", str(files[0]), "--kubeconfig", str(w.kubeconfig)]) == 0
        assert "undo plan" in capsys.readouterr().out
        assert w.a.get(DEPLOYMENT_WEB)["spec"]["replicas"] == 4 and w.a.get(POOL_SPOT) is None


def test_faults_exit_above_one_with_a_clear_message(tmp_path, files, capsys) -> None:
    with world(tmp_path) as w:
        assert main(["apply", *_args(w, files)]) == 4  # conflict: no --force-conflicts
        err = capsys.readouterr().err
        assert "409 Conflict: .spec.replicas" in err and "every cluster is back as it was" in err
        w.b.fail("PATCH", "deployments/ledger", 500)
        assert main(["apply", *_args(w, files), "--force-conflicts"]) == 4
        err = capsys.readouterr().err
        assert "cluster b: apply Deployment pay/ledger: 500" in err and "reverted a: NodePool placement-spot" in err
        assert w.a.get(POOL_SPOT) is None and w.a.get(DEPLOYMENT_WEB)["spec"]["replicas"] == 4
        w.a.fail("GET", "/api/v1/nodes", 403)
        assert main(["diff", *_args(w, files)]) == 4
        assert "403 Forbidden" in capsys.readouterr().err
        writes = len(w.a.writes())
        assert main(["apply", *_args(w, files), "--force-conflicts", "--max-moves", "1"]) == 2
        assert "more than --max-moves 1" in capsys.readouterr().err
        assert len(w.a.writes()) == writes


def test_an_unreachable_cluster_is_named_and_nothing_changes(tmp_path, files, capsys) -> None:
    with world(tmp_path) as w:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
        w.kubeconfig = write_kubeconfig(tmp_path / "kc2", {"ctx-a": w.a.url, "ctx-b": dead})
        assert main(["apply", *_args(w, files), "--force-conflicts", "--request-timeout", "2"]) == 4
        err = capsys.readouterr().err
        assert "cluster b:" in err and "unreachable" in err
        assert w.a.writes() == []


def test_context_limits_the_run_and_dry_runs_write_nothing(tmp_path, files, capsys) -> None:
    with world(tmp_path) as w:
        assert main(["apply", *_args(w, files), "--context", "ctx-b", "--dry-run=server", "--force-conflicts"]) == 0
        assert "would apply 1 change(s)" in capsys.readouterr().out
        assert [r for r in w.a.requests if r.method != "GET"] == [] and w.b.writes() == []
        assert main(["apply", *_args(w, files), "--dry-run=client"]) == 0
        assert "# cluster: a · capacity · NodePool placement-spot" in capsys.readouterr().out


def test_a_scenario_that_misnames_the_karpenter_version_is_refused(tmp_path, files, capsys) -> None:
    wrong = json.loads(json.dumps(SCENARIO))
    wrong["spec"]["clusters"][0]["autoscaler"] = "karpenter/v1alpha5"
    files[0].write_text(yaml.safe_dump(wrong))
    with world(tmp_path) as w:
        assert main(["diff", *_args(w, files)]) == 4
    assert "serves karpenter/v1" in capsys.readouterr().err


def test_scenario_export_round_trips_through_the_loader(tmp_path, files, capsys) -> None:
    with world(tmp_path) as w:
        assert main(["scenario", "export", "--scenario", str(files[0]), "--kubeconfig", str(w.kubeconfig)]) == 0
        exported = tmp_path / "exported.yaml"
        out, err = capsys.readouterr()
        exported.write_text(out)
        scenario = load_scenario(exported)
        assert scenario.workload("shop/web").current["a"].spot == 2
        # the clusters' DaemonSets, not the default; the notes say where the figures came from
        assert scenario.cluster("a").daemonsets == DaemonsetOverhead(cpu=0.15, memory_gib=0.1875, pods=2)
        assert scenario.cluster("b").daemonsets == DaemonsetOverhead(cpu=0.0, memory_gib=0.0, pods=0)
        assert (
            "note: cluster a: daemonsets read from the cluster: 150m CPU, 192Mi memory, 2 pods per node from "
            "2 DaemonSets; left out: kube-system/etcd-backup (control-plane nodes only)"
        ) in err
        assert main(["scenario", "export", "--kubeconfig", str(w.kubeconfig), "--context", "ctx-b", "-o", "json"]) == 0
        document = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in document["spec"]["clusters"]] == ["ctx-b"]
    assert document["spec"]["clusters"][0]["daemonsets"] == {"cpu": "0", "memory": "0Gi", "pods": 0}
    assert [w["name"] for w in document["spec"]["workloads"]] == ["ledger"]


def test_output_dir_needs_no_cluster(tmp_path, files, capsys) -> None:
    out = tmp_path / "overlays"
    scenario, plan = files
    assert main(["apply", "--scenario", str(scenario), "--plan", str(plan), "--output-dir", str(out)]) == 0
    assert (out / "a" / "kustomization.yaml").exists() and (out / "b" / "kustomization.yaml").exists()
    assert str(out / "a" / "kustomization.yaml") in capsys.readouterr().out


# -- acceptance: the demo plan, every autoscaler variant -------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from placement.load.catalog import catalog_for
    from placement.load.scenario import demo_scenario_path
    from placement.patches.build import PatchOptions, to_patches
    from placement.patches.nodepools import instance_sizes
    from placement.solver.solve import solve

    scenario = load_scenario(demo_scenario_path())
    catalog = catalog_for(scenario).catalog
    plan = solve(scenario, catalog)
    path = tmp_path_factory.mktemp("demo") / "plan.json"
    path.write_text(json.dumps(plan.to_json()))
    # as the CLI does: pool limits leave room for one node of each chosen instance type
    return (
        scenario,
        path,
        to_patches(plan, scenario, options=PatchOptions(instance_sizes=instance_sizes(catalog.offers))),
    )


def test_demo_patches_validate_for_every_autoscaler(demo, capsys) -> None:
    scenario, _, patches = demo
    assert main(["plan", "-o", "patches"]) in (0, 3)  # 3: the demo leaves some workloads unplaced
    documents = [d for d in yaml.safe_load_all(capsys.readouterr().out) if d]
    assert documents == [p.manifest() for p in patches]
    autoscalers = {scenario.cluster(p.cluster).autoscaler for p in patches}
    assert {"karpenter/v1", "karpenter/v1beta1", "karpenter/v1alpha5", "gke", "aks"} <= autoscalers
    for patch in patches:
        manifest = patch.manifest()
        if patch.ref.kind == "Deployment":
            validate(merged_onto(minimal_deployment(patch.ref.name, patch.ref.namespace), manifest))
        elif patch.ref.kind == "HorizontalPodAutoscaler":
            validate(merged_onto(minimal_hpa(patch.ref.name, patch.ref.namespace, patch.ref.name), manifest))
        else:
            require_crd_schemas()
            assert crd_errors(manifest, scenario.cluster(patch.cluster).cloud) == [], patch.ref


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_demo_overlays_render_with_kubectl_kustomize(demo, tmp_path, capsys) -> None:
    """Each cluster's overlay, over a base holding that cluster's Deployments and HPAs, renders with
    kubectl; every patch lands and every rendered object validates (built-in kinds and Karpenter CRDs)."""
    scenario, plan_path, patches = demo
    for cluster in {p.cluster for p in patches}:
        docs = []
        for patch in patches:
            if patch.cluster != cluster:
                continue
            if patch.ref.kind == "Deployment":
                docs.append(minimal_deployment(patch.ref.name, patch.ref.namespace))
            elif patch.ref.kind == "HorizontalPodAutoscaler":
                docs.append(minimal_deployment(patch.ref.name, patch.ref.namespace))
                docs.append(minimal_hpa(patch.ref.name, patch.ref.namespace, patch.ref.name))
        (tmp_path / "base" / cluster).mkdir(parents=True)
        (tmp_path / "base" / cluster / "workloads.yaml").write_text(yaml.safe_dump_all(docs))
        (tmp_path / "base" / cluster / "kustomization.yaml").write_text("resources: [workloads.yaml]\n")
    out = tmp_path / "overlays"
    code = main(["apply", "--plan", str(plan_path), "--output-dir", str(out), "--base", "../../base/{cluster}"])
    assert code in (0, 3)
    clusters = sorted(p.name for p in out.iterdir())
    assert clusters == sorted({p.cluster for p in patches})
    for cluster in clusters:
        result = subprocess.run(
            ["kubectl", "kustomize", str(out / cluster)], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        rendered = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(result.stdout) if d}
        for patch in (p for p in patches if p.cluster == cluster):
            doc = rendered[(patch.ref.kind, patch.ref.name)]
            if patch.ref.kind == "Deployment":
                wanted = patch.manifest()["spec"]
                if "replicas" in wanted:
                    assert doc["spec"]["replicas"] == wanted["replicas"]
                for key, value in wanted.get("template", {}).get("spec", {}).items():
                    assert doc["spec"]["template"]["spec"][key] == value, (cluster, patch.ref, key)
                validate(doc)
            elif patch.ref.kind == "HorizontalPodAutoscaler":
                assert doc["spec"]["minReplicas"] == patch.manifest()["spec"]["minReplicas"]
                validate(doc)
            else:
                require_crd_schemas()
                assert doc["kind"] in ("NodePool", "Provisioner")
                assert crd_errors(doc, scenario.cluster(cluster).cloud) == []
