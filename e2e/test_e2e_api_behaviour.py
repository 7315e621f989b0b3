"""The fake API server (tests/kube/kube_fakeapi.py) answers like a real one: each behaviour the unit
tests rely on is asserted here, byte-level over HTTP, against the real v1.24 API server *and* the
fake, with the same assertions. A behaviour the fake gets wrong fails its `fake` case; one the real
server does differently fails its `real` case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from e2e_builders import deployment
from kube.kube_fakeapi import FakeApiServer, write_kubeconfig

pytestmark = pytest.mark.e2e

APPLY = "application/apply-patch+yaml"


@dataclass
class Raw:
    """Plain HTTP to one API server through the official client's transport (its TLS and credentials)."""

    api_client: Any

    def call(
        self, method: str, path: str, body: Any = None, *, query: str = "", content_type: str = APPLY
    ) -> tuple[int, Any]:
        params = [tuple(pair.split("=", 1)) for pair in query.split("&") if pair]
        headers = {"Accept": "application/json", **({"Content-Type": content_type} if body is not None else {})}
        method, url, headers, data, _ = self.api_client.param_serialize(
            method,
            path,
            query_params=params,
            header_params=headers,
            auth_settings=["BearerToken"],
            body=json.dumps(body) if body is not None else None,
        )
        response = self.api_client.call_api(method, url, headers, data, _request_timeout=10)
        return int(response.status), json.loads(response.read() or b"null")

    def apply(self, body: dict[str, Any], manager: str = "placement", extra: str = "") -> tuple[int, Any]:
        meta = body["metadata"]
        path = f"/apis/apps/v1/namespaces/{meta['namespace']}/deployments/{meta['name']}"
        return self.call("PATCH", path, body, query=f"fieldManager={manager}{extra}")


@pytest.fixture(params=["real", "fake"])
def server(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[tuple[Raw, str]]:
    """(the server, a namespace in it) — the cluster under test, or a fake API server."""
    if request.param == "fake":
        from kubernetes import config

        with FakeApiServer("fake") as fake:
            kubeconfig = write_kubeconfig(tmp_path / "fake.kubeconfig", {"fake": fake.url})
            yield Raw(config.new_client_from_config(config_file=str(kubeconfig))), "behaviour"
        return
    cluster = request.getfixturevalue("cluster")
    yield Raw(cluster.api_client), request.getfixturevalue("namespace")


def _path(namespace: str, name: str = "") -> str:
    return f"/apis/apps/v1/namespaces/{namespace}/deployments" + (f"/{name}" if name else "")


def test_list_items_carry_no_api_version_or_kind(server) -> None:
    raw, ns = server
    assert raw.apply(deployment(ns, "web", 1))[0] == 201
    status, listing = raw.call("GET", _path(ns))
    assert status == 200 and listing["apiVersion"] == "apps/v1" and listing["kind"] == "DeploymentList"
    (item,) = listing["items"]
    assert "apiVersion" not in item and "kind" not in item and item["metadata"]["name"] == "web"
    status, single = raw.call("GET", _path(ns, "web"))
    assert status == 200 and (single["apiVersion"], single["kind"]) == ("apps/v1", "Deployment")


def test_apply_creates_with_201_then_updates_with_200_and_records_the_manager(server) -> None:
    raw, ns = server
    status, created = raw.apply(deployment(ns, "web", 1))
    assert status == 201
    (entry,) = created["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["apiVersion"], entry["fieldsType"]) == (
        "placement",
        "Apply",
        "apps/v1",
        "FieldsV1",
    )
    assert entry["fieldsV1"]["f:spec"]["f:replicas"] == {}  # the field set names what it applied
    status, updated = raw.apply(deployment(ns, "web", 2))
    assert status == 200 and updated["spec"]["replicas"] == 2


def test_apply_creating_a_deployment_without_its_required_fields_is_422(server) -> None:
    raw, ns = server
    status, body = raw.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "bare", "namespace": ns},
            "spec": {"replicas": 2},
        }
    )
    assert status == 422 and body["reason"] == "Invalid" and body["kind"] == "Status"


def test_dry_run_answers_like_a_write_and_changes_nothing(server) -> None:
    raw, ns = server
    status, body = raw.apply(deployment(ns, "web", 1), extra="&dryRun=All")
    assert status == 201 and body["spec"]["replicas"] == 1
    assert raw.call("GET", _path(ns, "web"))[0] == 404
    raw.apply(deployment(ns, "web", 1))
    status, body = raw.apply(deployment(ns, "web", 3), extra="&dryRun=All")
    assert status == 200 and body["spec"]["replicas"] == 3
    assert raw.call("GET", _path(ns, "web"))[1]["spec"]["replicas"] == 1
    status, _ = raw.call("DELETE", _path(ns, "web"), query="dryRun=All")
    assert status == 200 and raw.call("GET", _path(ns, "web"))[0] == 200


def test_a_field_another_manager_owns_is_a_409_conflict_until_forced(server) -> None:
    raw, ns = server
    raw.apply(deployment(ns, "web", 1), manager="helm")
    status, body = raw.apply(deployment(ns, "web", 3))
    assert status == 409 and body["reason"] == "Conflict"
    fields = {c["field"] for c in body["details"]["causes"]}
    assert ".spec.replicas" in fields
    assert all(
        c["reason"] == "FieldManagerConflict" and 'conflict with "helm"' in c["message"]
        for c in body["details"]["causes"]
    )
    status, body = raw.apply(deployment(ns, "web", 3), extra="&force=true")
    assert status == 200 and body["spec"]["replicas"] == 3
    assert {m["manager"] for m in body["metadata"]["managedFields"]} >= {"placement", "helm"}


def test_a_field_the_applier_stops_sending_is_removed(server) -> None:
    raw, ns = server
    raw.apply(deployment(ns, "web", 1, {"placement.dev/plan-id": "p-1"}))
    status, body = raw.apply(deployment(ns, "web", 1))
    assert status == 200 and "placement.dev/plan-id" not in (body["metadata"].get("annotations") or {})


def test_missing_objects_are_404_not_found(server) -> None:
    raw, ns = server
    for method in ("GET", "DELETE"):
        status, body = raw.call(method, _path(ns, "nothing"))
        assert status == 404 and body["reason"] == "NotFound" and body["code"] == 404


def test_apply_without_a_field_manager_is_422(server) -> None:
    raw, ns = server
    body = deployment(ns, "web", 1)
    status, answer = raw.call("PATCH", _path(ns, "web"), body)
    assert status == 422 and answer["reason"] == "Invalid" and "fieldManager" in answer["message"]


def test_version_answers_major_minor_and_git_version(server) -> None:
    from placement.patches.kube_features import parse_version

    raw, _ = server
    status, info = raw.call("GET", "/version")
    assert status == 200 and info["gitVersion"].startswith("v1.")
    assert isinstance(info["major"], str) and isinstance(info["minor"], str)
    assert parse_version(info) is not None and parse_version(info) >= (1, 23)
