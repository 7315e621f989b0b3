"""The CronJob as deployed: restricted pod security, a read-only root with /tmp the only writable path,
safe schedule settings, per-cloud identity, args the CLI accepts, a policy the run can read, and an
image that installs wheels only and runs as a non-root user."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from deploy_kustomize import render, strategic_merge
from deploy_podsecurity import restricted_violations

from placement.cli import build_parser
from placement.kube.read import ObservedCluster
from placement.kube.scenario_export import build, scenario_document
from placement.live import LiveCluster
from placement.run.fleet import read_policy

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
OVERLAYS = ("aws", "gcp", "azure", "dry-run")


def objects(overlay: str) -> dict[str, dict]:
    return {d["kind"]: d for d in render(DEPLOY / "overlays" / overlay)}


def pod(overlay: str) -> dict:
    return objects(overlay)["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_pod_meets_the_restricted_profile(overlay: str) -> None:
    spec = pod(overlay)["spec"]
    assert restricted_violations(spec) == []
    assert objects(overlay)["Namespace"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_checker_finds_violations() -> None:
    spec = pod("aws")["spec"]
    loose = strategic_merge(
        spec,
        {
            "securityContext": {"runAsNonRoot": False, "seccompProfile": {"type": "Unconfined"}},
            "containers": [
                {
                    "name": "placement",
                    "securityContext": {
                        "allowPrivilegeEscalation": True,
                        "runAsNonRoot": None,
                        "seccompProfile": None,
                        "capabilities": {"add": ["SYS_ADMIN"], "drop": []},
                    },
                }
            ],
            "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
        },
    )
    problems = " | ".join(restricted_violations(loose))
    for expected in (
        "allowPrivilegeEscalation",
        "runAsNonRoot",
        "seccompProfile",
        "drop must include ALL",
        "SYS_ADMIN",
        "hostPath",
    ):
        assert expected in problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_tmp_is_writable(overlay: str) -> None:
    spec = pod(overlay)["spec"]
    (container,) = spec["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in spec["volumes"]}
    writable = [m for m in container["volumeMounts"] if not m.get("readOnly")]
    assert [m["mountPath"] for m in writable] == ["/tmp"] and "emptyDir" in volumes[writable[0]["name"]]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["HOME"].startswith("/tmp") and env["PLACEMENT_CACHE_DIR"].startswith("/tmp/")
    assert "PLACEMENT_PUSHGATEWAY" not in env  # no Pushgateway by default: a push to none would fail every run


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_schedule_cannot_pile_up(overlay: str) -> None:
    cronjob = objects(overlay)["CronJob"]["spec"]
    job = cronjob["jobTemplate"]["spec"]
    assert cronjob["concurrencyPolicy"] == "Forbid"
    assert 10 <= cronjob["startingDeadlineSeconds"] <= 600
    assert job["backoffLimit"] == 0  # a retry would plan and apply again (e.g. after an exit 7 that applied)
    minute, *rest = cronjob["schedule"].split()
    assert re.fullmatch(r"\d+", minute) and rest == ["*"] * 4, "the check below assumes an hourly schedule"
    assert job["activeDeadlineSeconds"] < 3600
    assert pod(overlay)["spec"]["restartPolicy"] == "Never"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_args_are_a_valid_run_that_reads_the_mounted_policy(overlay: str) -> None:
    spec = pod(overlay)["spec"]
    (container,) = spec["containers"]
    args = build_parser().parse_args(container["args"])
    assert args.command == "run"
    mount = next(m for m in container["volumeMounts"] if m["name"] == "policy")
    config_map = next(v for v in spec["volumes"] if v["name"] == "policy")["configMap"]["name"]
    assert config_map == objects(overlay)["ConfigMap"]["metadata"]["name"]
    (key,) = objects(overlay)["ConfigMap"]["data"]
    assert str(args.policy) == f"{mount['mountPath']}/{key}"
    assert (args.dry_run == "client") is (overlay == "dry-run")


def test_the_policy_is_one_the_run_can_build(tmp_path: Path) -> None:
    (text,) = objects("aws")["ConfigMap"]["data"].values()
    (tmp_path / "policy.yaml").write_text(text)
    policy = read_policy(tmp_path / "policy.yaml")
    live = LiveCluster("this-cluster", "aws", "eu-west-1", "karpenter/v1")
    scenario = build(scenario_document([ObservedCluster(live)], base=policy))
    assert [c.name for c in scenario.clusters] == ["this-cluster"] and scenario.workloads == ()
    assert scenario.prices.source == "live" and scenario.planning.max_moves is not None


def test_each_cloud_overlay_sets_its_workload_identity() -> None:
    aws, gcp, azure = (objects(o)["ServiceAccount"]["metadata"].get("annotations", {}) for o in ("aws", "gcp", "azure"))
    assert aws["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert gcp["iam.gke.io/gcp-service-account"].endswith(".iam.gserviceaccount.com")
    assert pod("gcp")["spec"]["nodeSelector"] == {"iam.gke.io/gke-metadata-server-enabled": "true"}
    assert re.fullmatch(r"[0-9a-f-]{36}", azure["azure.workload.identity/client-id"])
    # Azure's webhook looks for a *pod* label; on the ServiceAccount it would do nothing
    assert pod("azure")["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert "azure.workload.identity/use" not in objects("azure")["ServiceAccount"]["metadata"].get("labels", {})
    assert "azure.workload.identity/use" not in pod("aws")["metadata"]["labels"]
    assert "annotations" not in objects("dry-run")["ServiceAccount"]["metadata"]


def _stages(text: str) -> list[list[str]]:
    """Dockerfile instructions (continuations joined), split into build stages."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    stages: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_the_image_installs_wheels_only_and_runs_as_non_root() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.MULTILINE)
    *_, runtime = _stages(text)
    installs = [line for line in runtime if " pip install " in f" {line} "]
    assert len(installs) == 1 and "--no-index" in installs[0] and "--only-binary=:all:" in installs[0]
    assert "COPY placement" not in " ".join(runtime), "the runtime stage must not see the sources"
    (user,) = [line for line in runtime if line.startswith("USER ")]
    uid = user.split()[1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0  # numeric, so runAsNonRoot can verify it
    assert int(uid) == pod("aws")["spec"]["securityContext"]["runAsUser"]
    assert 'ENTRYPOINT ["placement"]' in runtime
    builder = _stages(text)[0]
    assert any("pip download --only-binary=:all:" in line for line in builder)
