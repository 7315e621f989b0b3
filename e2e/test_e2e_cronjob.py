"""The CronJob path for real: deploy/base installed into the real API server, then `placement run`,
`placement rollback` and `placement scenario export` with the CronJob's own ServiceAccount token and
policy file. The ClusterRole is sufficient (no 403 anywhere) and minimal where it claims to be:
placement's pools are created by name only (server-side apply is authorized as `create` with the
pool's name), other pools can be neither created nor listed, and without its `daemonsets` rule the
fleet cannot be read. Local control plane only."""

from __future__ import annotations

import json
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_builders import daemonset, deployment

from placement.cli import main

pytestmark = pytest.mark.e2e

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
WORKLOADS = "shop-cronjob"
MANAGER = "e2e-setup"


def _render() -> list[dict[str, Any]]:
    tests_deploy = str(Path(__file__).resolve().parents[1] / "tests" / "deploy")
    if tests_deploy not in sys.path:
        sys.path.append(tests_deploy)
    from deploy_kustomize import render

    return render(DEPLOY / "base")


@pytest.fixture(scope="module")
def installed(cluster: Any, local_fleet: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """deploy/base applied (as kubectl apply --server-side would), a ServiceAccount kubeconfig, the policy file."""
    from kubernetes.dynamic import DynamicClient

    tmp_path = tmp_path_factory.mktemp("cronjob")
    documents = _render()
    dynamic = DynamicClient(cluster.api_client)
    for document in documents:
        resource = dynamic.resources.get(api_version=document["apiVersion"], kind=document["kind"])
        resource.server_side_apply(
            body=document,
            name=document["metadata"]["name"],
            namespace=document["metadata"].get("namespace"),
            field_manager=MANAGER,
            force_conflicts=True,
        )
    cluster.core.create_namespace({"metadata": {"name": WORKLOADS}})
    cluster.ssa(
        deployment(
            WORKLOADS,
            "web",
            1,
            {"placement.dev/replicas": "2", "placement.dev/min-clusters": "1", "placement.dev/spot-max-fraction": "0"},
        )
    )
    plane = local_fleet.clusters["e2e"]
    token = plane.service_account_token("placement", "placement")
    kubeconfig = plane.kubeconfig_for(tmp_path / "placement-sa.kubeconfig", token, context="placement-sa")
    (config_map,) = [d for d in documents if d["kind"] == "ConfigMap"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(config_map["data"]["policy.yaml"])
    yield {"documents": documents, "kubeconfig": kubeconfig, "policy": policy, "token": token, "plane": plane}
    cluster.core.delete_namespace(WORKLOADS)
    for document in reversed(documents):
        resource = dynamic.resources.get(api_version=document["apiVersion"], kind=document["kind"])
        resource.delete(name=document["metadata"]["name"], namespace=document["metadata"].get("namespace"))
    cluster.delete_pools()


def test_the_cronjob_identity_runs_rolls_back_and_exports(installed, cluster, karpenter, capsys) -> None:
    sa = ["--policy", str(installed["policy"]), "--kubeconfig", str(installed["kubeconfig"])]
    code = main(
        ["run", *sa, "--force-conflicts", "--prices", "embedded", "--max-cost-increase", "off", "--wait-timeout", "120"]
    )
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "403" not in out + err and "metrics.skipped" in out + err  # no Pushgateway by default: no exit 7
    web = cluster.deployment(WORKLOADS, "web")
    assert web.spec.replicas == 2 and web.metadata.annotations["placement.dev/plan-id"].startswith("p-")
    if karpenter:  # created by server-side apply under the name-limited `create`
        assert cluster.nodepool("placement-on-demand") is not None

    assert main(["scenario", "export", *sa, "-n", WORKLOADS, "-o", "json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    (entry,) = exported["spec"]["clusters"]
    assert (entry["cloud"], entry["region"]) == ("aws", "eu-west-1")  # from the node labels
    assert [w["name"] for w in exported["spec"]["workloads"]] == ["web"]

    assert main(["rollback", *sa]) == 0, capsys.readouterr().err
    assert "403" not in capsys.readouterr().err
    web = cluster.deployment(WORKLOADS, "web")
    assert web.spec.replicas == 1 and "placement.dev/plan-id" not in (web.metadata.annotations or {})
    assert cluster.nodepool("placement-on-demand") is None and cluster.nodepool("placement-spot") is None


def test_the_cronjob_identity_reads_the_daemonsets_overhead(installed, cluster, capsys) -> None:
    """DaemonSets in the real API server: the CronJob's role may list them, the exported cluster
    carries their per-node requests (init-container rule, a limit standing in for a request — checked
    against the Pods the real DaemonSet controller makes), control-plane and Windows DaemonSets are
    left out; and without the role's `daemonsets` rule the export is a 403 naming them."""
    from kubernetes.client.exceptions import ApiException

    sa = ["--policy", str(installed["policy"]), "--kubeconfig", str(installed["kubeconfig"])]
    export = ["scenario", "export", *sa, "-n", WORKLOADS, "-o", "json"]
    assert main(export) == 0, capsys.readouterr().err
    before = _daemonsets(json.loads(capsys.readouterr().out))
    namespace = "placement-e2e-daemonsets"
    cluster.core.create_namespace({"metadata": {"name": namespace}})
    try:
        agent = {  # containers 30m + 20m (a limit only), 40Mi + 24Mi; the init container needs 100m, 16Mi
            "initContainers": [{"name": "setup", "resources": {"requests": {"cpu": "100m", "memory": "16Mi"}}}],
            "containers": [
                {"name": "agent", "resources": {"requests": {"cpu": "30m", "memory": "40Mi"}}},
                {"name": "monitor", "resources": {"limits": {"cpu": "20m", "memory": "24Mi"}}},
            ],
        }
        small = {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}
        for name, spec in (
            ("node-agent", agent),
            ("control-plane-backup", {**small, "nodeSelector": {"node-role.kubernetes.io/control-plane": ""}}),
            ("windows-agent", {**small, "nodeSelector": {"kubernetes.io/os": "windows"}}),
        ):
            cluster.apps.create_namespaced_daemon_set(namespace, daemonset(namespace, name, spec))
        # the real DaemonSet controller's Pods: the API server gave `monitor` its limits as requests
        pod = _first_pod(cluster, namespace, "app=node-agent")
        monitor = next(c for c in pod.spec.containers if c.name == "monitor")
        assert monitor.resources.requests == {"cpu": "20m", "memory": "24Mi"}

        assert main(export) == 0
        out, err = capsys.readouterr()
        after = _daemonsets(json.loads(out))
        added = tuple(round(a - b, 6) for a, b in zip(after, before, strict=True))
        assert added == (0.1, round(64 / 1024, 6), 1)  # max(100m, 50m), max(16Mi, 64Mi), one pod
        assert f"{namespace}/control-plane-backup (control-plane nodes only)" in err
        assert f"{namespace}/windows-agent (needs kubernetes.io/os In ['windows']" in err

        # the rule is needed: the base role without it cannot read the fleet
        roles = _cluster_roles(cluster)
        (base,) = [d for d in installed["documents"] if d["kind"] == "ClusterRole"]
        without = {**base, "rules": [r for r in base["rules"] if "daemonsets" not in r["resources"]]}
        assert len(without["rules"]) == len(base["rules"]) - 1
        roles.server_side_apply(body=without, name="placement", field_manager=MANAGER, force_conflicts=True)
        try:
            _wait_for_access(cluster, "daemonsets", allowed=False)
            assert main(export) == 4
            err = capsys.readouterr().err
            assert "403" in err and "daemonsets" in err and "daemonsets.apps" in err  # the hint names it
        finally:
            roles.server_side_apply(body=base, name="placement", field_manager=MANAGER, force_conflicts=True)
            _wait_for_access(cluster, "daemonsets", allowed=True)
    finally:
        try:
            cluster.core.delete_namespace(namespace)
        except ApiException as error:
            if error.status != 404:
                raise


def _daemonsets(document: dict[str, Any]) -> tuple[float, float, int]:
    from placement.load.quantity import parse_cpu, parse_memory_gib

    (entry,) = document["spec"]["clusters"]
    overhead = entry["daemonsets"]
    return parse_cpu(overhead["cpu"]), parse_memory_gib(overhead["memory"]), int(overhead["pods"])


def _first_pod(cluster: Any, namespace: str, selector: str) -> Any:
    import time

    for _ in range(120):
        pods = cluster.core.list_namespaced_pod(namespace, label_selector=selector).items
        if pods:
            return pods[0]
        time.sleep(0.5)
    raise AssertionError(f"the DaemonSet controller made no pod for {selector} in {namespace} within 60 s")


def _cluster_roles(cluster: Any) -> Any:
    from kubernetes.dynamic import DynamicClient

    return DynamicClient(cluster.api_client).resources.get(
        api_version="rbac.authorization.k8s.io/v1", kind="ClusterRole"
    )


def _wait_for_access(cluster: Any, resource: str, *, allowed: bool) -> None:
    """Until the API server's authorizer has seen the role change (it reads RBAC from a cache)."""
    import time

    from kubernetes import client

    review = {
        "spec": {
            "user": "system:serviceaccount:placement:placement",
            "groups": ["system:serviceaccounts", "system:serviceaccounts:placement", "system:authenticated"],
            "resourceAttributes": {"group": "apps", "resource": resource, "verb": "list"},
        }
    }
    authorization = client.AuthorizationV1Api(cluster.api_client)
    for _ in range(60):
        if bool(authorization.create_subject_access_review(review).status.allowed) == allowed:
            return
        time.sleep(0.25)
    raise AssertionError(f"list {resource} still {'denied' if allowed else 'allowed'} after 15 s")


def test_the_cronjob_role_is_limited_to_placements_own_pools(installed, karpenter) -> None:
    if not karpenter:
        pytest.skip("needs the karpenter.sh/v1 NodePool CRD (../shared/data/schemas)")
    plane = installed["plane"]
    context = ssl.create_default_context(cafile=str(plane.ca_file))

    def call(method: str, path: str, body: Any = None, content_type: str = "application/json") -> int:
        request = urllib.request.Request(
            f"{plane.server}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {installed['token']}", "Content-Type": content_type},
        )
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    pools = "/apis/karpenter.sh/v1/nodepools"
    body = yaml.safe_load(Path(__file__).with_name("e2e_nodepool.yaml").read_text())
    apply = "application/apply-patch+yaml"
    assert call("GET", pools) == 403  # no list: rollback reads placement's pools by name
    assert (
        call(
            "PATCH",
            f"{pools}/someone-elses?fieldManager=placement",
            {**body, "metadata": {"name": "someone-elses"}},
            apply,
        )
        == 403
    )  # SSA create of another name: create is limited by name
    assert call("POST", pools, {**body, "metadata": {"name": "placement-spot"}}) == 403  # POST carries no name
    assert (
        call(
            "PATCH",
            f"{pools}/placement-spot?fieldManager=placement&dryRun=All",
            {**body, "metadata": {"name": "placement-spot"}},
            apply,
        )
        == 201
    )  # its own pool: created by name


def test_the_cronjobs_pod_is_admitted_under_the_restricted_profile(installed, cluster) -> None:
    """A Job made from the CronJob's template (as `kubectl create job --from=cronjob/placement`) gets its
    pod past the real API server's validation and Pod Security admission (the namespace enforces
    `restricted`), with the ServiceAccount token mounted."""
    import time

    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as refused:  # the admission is live: a plain pod is refused there
        cluster.core.create_namespaced_pod(
            "placement",
            {
                "metadata": {"name": "plain"},
                "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9"}]},
            },
        )
    assert refused.value.status == 403 and "violates PodSecurity" in str(refused.value.body)
    batch = client.BatchV1Api(cluster.api_client)
    cronjob = batch.read_namespaced_cron_job("placement", "placement")
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "placement-manual", "namespace": "placement"},
        "spec": cluster.api_client.sanitize_for_serialization(cronjob.spec.job_template.spec),
    }
    batch.create_namespaced_job("placement", job)
    try:
        for _ in range(120):
            pods = cluster.core.list_namespaced_pod("placement", label_selector="job-name=placement-manual").items
            if pods:
                break
            time.sleep(0.5)
        else:
            events = cluster.core.list_namespaced_event("placement").items
            raise AssertionError("no pod: " + "; ".join(e.message or "" for e in events))
        (pod,) = pods
        assert pod.spec.service_account_name == "placement"
        assert (
            pod.spec.security_context.run_as_non_root
            and pod.spec.security_context.seccomp_profile.type == "RuntimeDefault"
        )
        assert any(v.projected for v in pod.spec.volumes)  # the ServiceAccount token the run uses in-cluster
    finally:
        batch.delete_namespaced_job("placement-manual", "placement", propagation_policy="Background")


def test_the_dry_run_overlays_read_only_role_is_enough_for_a_dry_run(installed, cluster, capsys) -> None:
    from kubernetes.dynamic import DynamicClient

    (read_only,) = [d for d in _render_overlay("dry-run") if d["kind"] == "ClusterRole"]
    (base,) = [d for d in installed["documents"] if d["kind"] == "ClusterRole"]
    roles = DynamicClient(cluster.api_client).resources.get(
        api_version="rbac.authorization.k8s.io/v1", kind="ClusterRole"
    )
    roles.server_side_apply(body=read_only, name="placement", field_manager=MANAGER, force_conflicts=True)
    try:
        code = main(
            [
                "run",
                "--policy",
                str(installed["policy"]),
                "--kubeconfig",
                str(installed["kubeconfig"]),
                "--dry-run",
                "--prices",
                "embedded",
                "--max-cost-increase",
                "off",
            ]
        )
        out, err = capsys.readouterr()
        assert code == 0 and "403" not in out + err, out + err
        assert cluster.deployment(WORKLOADS, "web").spec.replicas == 1  # nothing changed
    finally:
        roles.server_side_apply(body=base, name="placement", field_manager=MANAGER, force_conflicts=True)


def _render_overlay(name: str) -> list[dict[str, Any]]:
    _render()  # puts the renderer on the path
    from deploy_kustomize import render

    return render(DEPLOY / "overlays" / name)
