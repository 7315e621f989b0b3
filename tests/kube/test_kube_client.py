"""The `kubernetes`-backed ClusterApi against a fake API server: request shapes (path, content type,
fieldManager, dryRun, force), error mapping, and connection failures."""

from __future__ import annotations

import socket
import time

import pytest
from builders import make_cluster
from kube_fakeapi import FakeApiServer, write_kubeconfig
from kube_world import DEPLOYMENT_WEB, POOL_SPOT, deployment

from placement.kube.api import ApiStatusError, ClusterUnreachable
from placement.kube.client import connect, connect_fleet, current_context
from placement.patches.build import ObjectRef

WEB = ObjectRef("apps/v1", "Deployment", "web", "shop")
SCALE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"replicas": 7},
}


@pytest.fixture
def server(tmp_path):
    with FakeApiServer() as fake:
        fake.seed(deployment("web", "shop", 4))
        fake.kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"ctx": fake.url})
        yield fake


def _client(server, **kw):
    return connect(make_cluster("a", context="ctx"), kubeconfig=str(server.kubeconfig), **kw)


def test_server_side_apply_request_shape(server) -> None:
    client = _client(server)
    client.apply(SCALE, force=True)
    client.apply(SCALE, dry_run=True)
    first, second = [r for r in server.requests if r.method == "PATCH"]
    assert (first.path, first.content_type) == (DEPLOYMENT_WEB, "application/apply-patch+yaml")
    assert (first.field_manager, first.force, first.dry_run) == ("placement", "true", None)
    assert (second.field_manager, second.force, second.dry_run) == ("placement", None, "All")
    assert first.body == SCALE
    assert server.get(DEPLOYMENT_WEB)["spec"]["replicas"] == 7


def test_get_list_delete_and_cluster_scoped_objects(server) -> None:
    client = _client(server)
    assert client.get(WEB)["spec"]["replicas"] == 4
    assert client.get(ObjectRef("apps/v1", "Deployment", "nope", "shop")) is None
    assert [d["metadata"]["name"] for d in client.list("apps/v1", "Deployment", namespace="shop")] == ["web"]
    assert client.list("apps/v1", "Deployment", namespace="other") == []
    pool = {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "placement-spot"},
        "spec": {"weight": 60},
    }
    client.apply(pool)
    assert server.get(POOL_SPOT)["spec"]["weight"] == 60
    client.delete(ObjectRef("karpenter.sh/v1", "NodePool", "placement-spot"))
    client.delete(ObjectRef("karpenter.sh/v1", "NodePool", "placement-spot"))  # already gone: no error
    assert server.get(POOL_SPOT) is None


def test_a_conflict_names_the_field_the_owner_and_the_fix(server) -> None:
    with pytest.raises(ApiStatusError) as caught:
        _client(server).apply(SCALE)  # spec.replicas belongs to "helm"
    error = caught.value
    assert error.status == 409 and error.exit_code > 1
    assert ".spec.replicas" in str(error) and '"helm"' in str(error) and "--force-conflicts" in str(error)
    assert server.get(DEPLOYMENT_WEB)["spec"]["replicas"] == 4


@pytest.mark.parametrize(("status", "words"), [(403, "RBAC"), (500, "API server failed"), (422, "422 Invalid")])
def test_error_statuses_become_clear_errors(server, status: int, words: str) -> None:
    server.fail("PATCH", "deployments", status)
    with pytest.raises(ApiStatusError, match=words) as caught:
        _client(server).apply(SCALE, force=True)
    assert "cluster a: apply Deployment shop/web" in str(caught.value)


def test_an_unreachable_server_fails_fast_with_the_cluster_named(tmp_path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"ctx": f"http://127.0.0.1:{port}"})
    client = connect(make_cluster("a", context="ctx"), kubeconfig=str(kubeconfig), timeout_s=2)
    started = time.monotonic()
    with pytest.raises(ClusterUnreachable, match=r"cluster a: get Deployment shop/web: API server .* unreachable"):
        client.get(WEB)
    assert time.monotonic() - started < 5


def test_bad_kubeconfig_or_context_names_the_fix(tmp_path, server) -> None:
    with pytest.raises(ClusterUnreachable, match=r"cannot use context 'nope'.*--kubeconfig/--context"):
        connect(make_cluster("a", context="nope"), kubeconfig=str(server.kubeconfig))
    with pytest.raises(ClusterUnreachable, match="cannot use context"):
        connect(make_cluster("a", context="ctx"), kubeconfig=str(tmp_path / "missing"))


def test_connect_fleet_selects_clusters_by_context(server, monkeypatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    clusters = [make_cluster("a", context="ctx"), make_cluster("b", context="other")]
    assert list(connect_fleet(clusters, kubeconfig=str(server.kubeconfig), contexts=["ctx"])) == ["a"]
    with pytest.raises(ClusterUnreachable, match="no scenario cluster uses context 'zzz'"):
        connect_fleet(clusters, kubeconfig=str(server.kubeconfig), contexts=["zzz"])
    single = [make_cluster("solo")]  # no context: a one-cluster fleet may use the given one
    assert list(connect_fleet(single, kubeconfig=str(server.kubeconfig), contexts=["ctx"])) == ["solo"]
    with pytest.raises(ClusterUnreachable, match="no kube context"):
        connect_fleet([make_cluster("x"), make_cluster("y")], kubeconfig=str(server.kubeconfig))
    assert current_context(str(server.kubeconfig)) == "ctx"
