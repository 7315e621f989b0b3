"""Names that become object names, label values or folders must be Kubernetes names, checked at load."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from cli_run import run_cli
from scenarios import BASE, write

from placement.errors import InvalidScenario
from placement.load.scenario import build_scenario


def _problems(doc: dict) -> list[str]:
    with pytest.raises(InvalidScenario) as raised:
        build_scenario(doc)
    return [str(p) for p in raised.value.problems]


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (
            "../../escape",
            "must be a cluster name (it names a folder and label values): lowercase letters, digits, "
            "'-' and '.', starting and ending with a letter or digit; e.g. \"escape\"",
        ),
        ("/etc", "must be a cluster name"),
        ("..", "must be a cluster name"),
        ("gcp[/]", 'e.g. "gcp"'),
        ("AWS_EU", 'e.g. "aws-eu"'),
        ("a" * 64, "is 64 characters long: a cluster name (it names a folder and label values) has at most 63"),
    ],
)
def test_cluster_names_must_be_kubernetes_names(name: str, says: str) -> None:
    doc = copy.deepcopy(BASE)
    doc["spec"]["clusters"][0]["name"] = name
    problems = _problems(doc)
    assert len(problems) == 1 and problems[0].startswith("spec.clusters[0].name: ") and says in problems[0]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("name", "x" * 300, "is 300 characters long: a Kubernetes Deployment name has at most 253"),
        ("name", "Web_1", "must be a Kubernetes Deployment name"),
        ("name", "../web", 'e.g. "web"'),
        ("namespace", "n" * 64, "is 64 characters long: a Kubernetes namespace name has at most 63"),
        ("namespace", "a.b", "must be a Kubernetes namespace name: lowercase letters, digits and '-'"),
    ],
)
def test_workload_names_and_namespaces_must_be_kubernetes_names(field: str, value: str, says: str) -> None:
    doc = copy.deepcopy(BASE)
    doc["spec"]["workloads"][0][field] = value
    problems = _problems(doc)
    assert len(problems) == 1 and problems[0].startswith(f"spec.workloads[0].{field}: ") and says in problems[0]


def test_a_cluster_named_to_escape_writes_nothing_outside_the_output_dir(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    doc["spec"]["clusters"][0]["name"] = "../../escape"
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    outcome = run_cli(["apply", "-f", str(write(work, doc)), "--output-dir", str(work / "out")])
    assert outcome.code == 2 and "spec.clusters[0].name" in outcome.err
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["a", "a/b", "a/b/scenario.yaml"]
