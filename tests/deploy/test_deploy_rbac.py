"""RBAC: no wildcards anywhere, no write verbs in the dry-run overlay, and least privilege measured —
every request `placement run` (and `rollback` / `scenario export` with the same policy) makes on the
demo fleet (11 recording fake API servers) is allowed by the rendered ClusterRole, and every
permission the ClusterRole grants is used by some request. e2e/test_e2e_cronjob.py runs the same
with the CronJob's ServiceAccount token on a real API server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from deploy_kustomize import render
from run_world import demo_fleet, policy

from placement.cli import main

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "*"}
HPA_WORKLOAD = "shop/frontend"  # give one workload an HPA so its floor is patched too


def rules(overlay: str) -> list[dict]:
    (role,) = [d for d in render(DEPLOY / "overlays" / overlay) if d["kind"] == "ClusterRole"]
    return role["rules"]


def allowed(rules_: list[dict], group: str, resource: str, verb: str, name: str | None) -> bool:
    return any(
        group in r.get("apiGroups", ())
        and resource in r.get("resources", ())
        and verb in r.get("verbs", ())
        and (not r.get("resourceNames") or name in r["resourceNames"])
        for r in rules_
    )


def grants(rules_: list[dict]) -> set[tuple[str, str, str]]:
    return {(g, res, v) for r in rules_ for g in r["apiGroups"] for res in r["resources"] for v in r["verbs"]}


_PATH = re.compile(
    r"^/(?:api|apis/(?P<group>[^/]+))/[^/]+(?:/namespaces/[^/]+)?/(?P<resource>[^/]+)(?:/(?P<name>[^/]+))?$"
)


def accesses(fleet, existed: set[tuple[str, str]]) -> set[tuple[str, str, str, str | None]]:
    """(group, resource, verb, name) of every request the servers recorded; an apply that created an
    object also needs `create`."""
    out = set()
    for cluster, server in fleet.servers.items():
        for request in server.requests:
            if request.path == "/version":  # a non-resource URL every user may GET (system:public-info-viewer)
                continue
            match = _PATH.match(request.path)
            assert match, request.path
            group, resource, name = match["group"] or "", match["resource"], match["name"]
            if request.method == "GET":
                out.add((group, resource, "get" if name else "list", name))
            elif request.method == "PATCH":
                out.add((group, resource, "patch", name))
                if (cluster, request.path) not in existed:
                    out.add((group, resource, "create", name))
            else:
                out.add((group, resource, request.method.lower(), name))
    return out


@pytest.mark.parametrize("overlay", ["aws", "gcp", "azure", "dry-run"])
def test_no_wildcards(overlay: str) -> None:
    for rule in rules(overlay):
        for field in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
            assert "*" not in rule.get(field, ()), (overlay, rule)
            assert not any("*" in str(item) for item in rule.get(field, ())), (overlay, rule)


def test_cloud_overlays_keep_the_base_role_and_dry_run_has_no_write_verbs() -> None:
    assert rules("aws") == rules("gcp") == rules("azure")
    assert not {v for r in rules("dry-run") for v in r["verbs"]} & WRITE_VERBS
    assert grants(rules("dry-run")) < grants(rules("aws"))


def test_apply_needs_exactly_the_role(tmp_path) -> None:
    with demo_fleet(tmp_path, hpas=(HPA_WORKLOAD,)) as fleet:
        existed = {(c, p) for c, s in fleet.servers.items() for p in s.objects}
        args = [
            "run",
            "--policy",
            str(policy(tmp_path / "policy.yaml")),
            "--kubeconfig",
            str(fleet.kubeconfig),
            "--force-conflicts",
            "--wait-timeout",
            "5",
        ]
        # a run that fails part-way (reverting: deletes the pools it created), then one that succeeds
        fleet.servers["aws-us-east-1"].fail("PATCH", "/apis/apps/v1/", 500, skip=3)
        assert main(args) == 4
        assert main(args) == 0
        # and undoing it with the same identity and the CronJob's policy (rollback reads pools by name)
        assert main(["rollback", *args[1:5]]) == 0
        assert main(["scenario", "export", *args[1:5], "-o", "json"]) == 0
        used = accesses(fleet, existed)
    role = rules("aws")
    denied = sorted(a for a in used if not allowed(role, *a))
    assert denied == [], "the run needs permissions the ClusterRole does not grant"
    unused = grants(role) - {(g, r, v) for g, r, v, _ in used}
    assert unused == set(), "the ClusterRole grants permissions the run never uses"


def test_a_client_dry_run_needs_only_the_read_only_role(tmp_path) -> None:
    with demo_fleet(tmp_path, hpas=(HPA_WORKLOAD,)) as fleet:
        existed = {(c, p) for c, s in fleet.servers.items() for p in s.objects}
        assert (
            main(
                [
                    "run",
                    "--policy",
                    str(policy(tmp_path / "policy.yaml")),
                    "--kubeconfig",
                    str(fleet.kubeconfig),
                    "--dry-run",
                ]
            )
            == 0
        )
        used = accesses(fleet, existed)
    role = rules("dry-run")
    assert sorted(a for a in used if not allowed(role, *a)) == []
    # karpenter pools do not exist yet, so the dry run never reads them: the one grant it cannot show using
    assert grants(role) - {(g, r, v) for g, r, v, _ in used} <= {
        ("karpenter.sh", "nodepools", "get"),
        ("karpenter.sh", "provisioners", "get"),
    }


def test_the_access_check_can_fail() -> None:
    role = rules("dry-run")
    assert not allowed(role, "apps", "deployments", "patch", "web")
    assert not allowed(role, "karpenter.sh", "nodepools", "get", "someone-elses-pool")
    assert allowed(role, "karpenter.sh", "nodepools", "get", "placement-spot")
