"""Files a user names: not UTF-8, not what was expected, not YAML they meant. Exit 2 with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_run import run_cli
from scenarios import BASE, write

from placement.errors import InvalidScenario
from placement.load.scenario import parse_scenario

LATIN1 = "apiVersion: placement.dev/v1alpha1\nkind: Scenario\nmetadata: {name: café}\n".encode("latin-1")


@pytest.fixture
def latin1(tmp_path: Path) -> Path:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(LATIN1)
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "-f", "{file}"],
        ["validate", "{file}"],
        ["prices", "diff", "{file}", "embedded"],
        ["simulate", "--hours", "1", "--prices", "{file}"],
        ["apply", "--plan", "{file}", "--output-dir", "out"],
    ],
)
def test_non_utf8_files_are_exit_2_saying_so(
    latin1: Path, tmp_path: Path, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = run_cli([a.replace("{file}", str(latin1)) for a in argv])
    assert outcome.code == 2, outcome.err
    assert "utf-8" in outcome.err.lower()


def test_a_scenario_given_to_prices_diff_is_input_exit_2(tmp_path: Path) -> None:
    outcome = run_cli(["prices", "diff", str(write(tmp_path, BASE)), "embedded"])
    assert outcome.code == 2 and "not a price catalog" in outcome.err and "prices show -o json" in outcome.err


def test_a_directory_as_scenario_is_exit_2(tmp_path: Path) -> None:
    outcome = run_cli(["plan", "-f", str(tmp_path)])
    assert outcome.code == 2 and "is a directory" in outcome.err


def test_duplicate_keys_are_refused_naming_key_and_lines() -> None:
    text = """apiVersion: placement.dev/v1alpha1
kind: Scenario
metadata: {name: dup}
spec:
  clusters:
  - {name: aws-eu-west-1, cloud: aws, region: eu-west-1}
  workloads:
  - name: web
    resources: {cpu: 1, memory: 1Gi}
    demand:
      replicas: 2
      replicas: 200
"""
    with pytest.raises(InvalidScenario) as raised:
        parse_scenario(text)
    assert [str(p) for p in raised.value.problems] == [
        '(file): duplicate key "replicas" at line 12 (first at line 11): YAML keeps only the last value; keep one of them'
    ]


def test_bare_no_says_how_yaml_read_it_and_to_quote_it() -> None:
    text = """apiVersion: placement.dev/v1alpha1
kind: Scenario
metadata: {name: norway}
spec:
  clusters:
  - {name: aws-eu-west-1, cloud: aws, region: eu-west-1}
  workloads:
  - name: web
    resources: {cpu: 1, memory: 1Gi}
    demand: {replicas: 2}
    residency: [NO]
"""
    with pytest.raises(InvalidScenario) as raised:
        parse_scenario(text)
    assert [str(p) for p in raised.value.problems] == [
        "spec.workloads[0].residency[0]: YAML read NO (line 11) as false; write 'NO' in quotes "
        "(no field of a scenario is a yes/no)"
    ]
    assert "False" not in str(raised.value)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        ('{"apiVersion": "placement.dev/v1alpha1", "kind": "Plan"}', "plan field 'solver' is missing"),
        ('{"apiVersion": "placement.dev/v1alpha1", "kind": "Plan", "assignments": "x"}', "plan field"),
    ],
)
def test_a_plan_with_fields_missing_names_them_and_the_fix(tmp_path: Path, plan: str, expected: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(plan)
    outcome = run_cli(["validate", "--scenario", str(write(tmp_path, BASE)), str(path)])
    assert outcome.code == 2, outcome.err
    assert expected in outcome.err and "placement plan -o json" in outcome.err
    assert "KeyError" not in outcome.err
