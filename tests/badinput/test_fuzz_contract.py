"""Property-based fuzzing of the bad-input contract, through the CLI in this process (`placement.cli.main`).

Scenario documents, price files, series files and command-line flags are broken at random, and
every run must keep the contract (README "Bad input"):

- exit 2 for bad input, with at least one line naming the field (or flag) and what to do;
- exit 4 only for environment failures (none can happen here: everything is offline);
- never a traceback: any exception escaping `main` fails the test (hypothesis shrinks it);
- never a write outside the folder given to `apply --output-dir`;
- no silent acceptance of duplicate YAML keys or of magnitudes above the documented caps.

Fixed seed (`derandomize=True`) and a budget per property: the whole module runs in well under a
minute on a shared 2-core machine (the first call pays for loading the embedded catalog).
"""

from __future__ import annotations

import copy
import math
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from cli_run import Outcome, run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scenarios import BASE

from placement.load import limits

FUZZ = settings(derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))

# -- values a new user (or a typo) puts anywhere ---------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
NASTY_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "[/]",
        "[abc]",
        "gcp[/]",
        "x:smile:",
        "../../escape",
        "/etc/passwd",
        "..",
        "a" * 300,
        "NO",
        "yes",
        "off",
        "1e12",
        "nan",
        "-1",
        "0",
        "XX",
        "de",
        "karpenter/v1beta1",
        "karpenter/v1alpha5",
        "gke",
        "aks",
        "none",
        "café",
        "tab\there",
        "500m",
        "1Gi",
        "-2Gi",
        "1e400",
        "eu",
        "aws-eu-west-1",
        "EU",
        "live",
        "file",
    ]
)
NASTY = st.one_of(
    st.none(),
    NASTY_STRINGS,
    _TEXT,
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from([0, 1, -1, 2**63, 10**12, 100_001]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.one_of(NASTY_STRINGS, st.integers(-5, 5)), max_size=3),
    st.dictionaries(NASTY_STRINGS, st.one_of(st.integers(-5, 5), NASTY_STRINGS), max_size=2),
)

#: Capped fields (path in BASE, cap): a value above the cap must be refused, naming the field.
CAPPED = [
    (("spec", "workloads", 0, "demand", "replicas"), limits.MAX_REPLICAS),
    (("spec", "workloads", 0, "minAvailable"), limits.MAX_REPLICAS),
    (("spec", "workloads", 0, "minClusters"), limits.MAX_MIN_CLUSTERS),
    (("spec", "workloads", 0, "latencyMs"), limits.MAX_LATENCY_MS),
    (("spec", "workloads", 0, "egressGbPerHour"), limits.MAX_EGRESS_GB_PER_HOUR),
    (("spec", "workloads", 0, "resources", "cpu"), limits.MAX_CPU_PER_REPLICA),
    (("spec", "clusters", 0, "maxPodsPerNode"), limits.MAX_PODS_PER_NODE),
    (("spec", "planning", "timeLimitSeconds"), limits.MAX_TIME_LIMIT_S),
]

_PROBLEM_LINE = re.compile(r"^  (\S[^:]*): (.+)$", re.MULTILINE)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a document (mappings by key, lists by index), parents before children."""
    if prefix:
        yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


ALL_PATHS = list(_paths(BASE))
#: Where user text becomes names, titles, folders and labels: renamed more often than other fields.
NAME_PATHS = [p for p in ALL_PATHS if p[-1] in ("name", "namespace", "region", "cloud", "country", "autoscaler")]


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


def _delete(doc: Any, path: tuple[Any, ...]) -> None:
    for step in path[:-1]:
        doc = doc[step]
    del doc[path[-1]]


@st.composite
def broken_documents(draw: st.DrawFn) -> dict[str, Any]:
    """BASE with 1–3 fields replaced by nasty values, deleted, or given an unknown sibling."""
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        try:
            action = draw(st.sampled_from(["replace", "replace", "delete", "extra", "rename"]))
            if action == "rename":
                _set(doc, draw(st.sampled_from(NAME_PATHS)), draw(NASTY_STRINGS))
            elif action == "replace":
                _set(doc, path, draw(NASTY))
            elif action == "delete":
                _delete(doc, path)
            else:
                parent = doc
                for step in path[:-1]:
                    parent = parent[step]
                if isinstance(parent, dict):
                    parent[draw(NASTY_STRINGS) or "extra"] = draw(NASTY)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path's parent
    return doc


def _dump(doc: object) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _assert_contract(outcome: Outcome, allowed: set[int]) -> None:
    assert "Traceback" not in outcome.err, outcome.err
    assert outcome.code in allowed, (outcome.code, outcome.err)
    if outcome.code == 2:
        assert outcome.err.startswith(("error: ", "usage: ")), outcome.err
        named = _PROBLEM_LINE.findall(outcome.err) or re.findall(
            r"(--[a-z-]+|argument \S+|\(file\)|\S+\.\w+)", outcome.err
        )
        assert named, f"exit 2 without naming a field or flag: {outcome.err}"


def _files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


# -- scenario documents --------------------------------------------------------------------------------


@settings(FUZZ, max_examples=110)
@given(doc=broken_documents())
def test_broken_scenarios_keep_the_contract_and_write_only_inside_the_output_dir(doc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        work = root / "a" / "b"
        work.mkdir(parents=True)
        scenario = work / "scenario.yaml"
        try:
            scenario.write_text(_dump(doc))
        except (UnicodeEncodeError, yaml.YAMLError):
            assume(False)
        table = run_cli(["plan", "-f", str(scenario), "--time-limit", "5"])
        _assert_contract(table, {0, 2, 3})
        applied = run_cli(["apply", "-f", str(scenario), "--output-dir", str(work / "out")])
        _assert_contract(applied, {0, 2, 3})
        assert table.code == applied.code
        outside = {f for f in _files_under(root) if not f.startswith("a/b/out/")}
        assert outside == {"a/b/scenario.yaml"}, outside


@settings(FUZZ, max_examples=25)
@given(field=st.sampled_from(CAPPED), excess=st.integers(min_value=1, max_value=10**15))
def test_magnitudes_above_the_caps_are_never_accepted(field: tuple[tuple[Any, ...], float], excess: int) -> None:
    path, cap = field
    doc = copy.deepcopy(BASE)
    _set(doc, path, math.floor(cap) + excess)
    with tempfile.TemporaryDirectory() as name:
        scenario = Path(name) / "scenario.yaml"
        scenario.write_text(_dump(doc))
        outcome = run_cli(["plan", "-f", str(scenario)])
    _assert_contract(outcome, {2})
    dotted = ".".join(str(p) for p in path[1:]).replace(".0.", "[0].").replace("workloads.0", "workloads[0]")
    assert dotted.replace("clusters.0", "clusters[0]") in outcome.err


@settings(FUZZ, max_examples=25)
@given(line=st.integers(min_value=0, max_value=200), value=st.sampled_from(["2", "x", "[]", "{}", "'NO'"]))
def test_duplicate_keys_are_never_accepted(line: int, value: str) -> None:
    lines = _dump(BASE).splitlines()
    keyed = [i for i, text in enumerate(lines) if re.match(r"^\s*(- )?[A-Za-z]+:( |$)", text)]
    index = keyed[line % len(keyed)]
    text = lines[index]
    indent = len(text) - len(text.lstrip(" -"))
    key = text.strip(" -").split(":")[0]
    duplicate = " " * indent + f"{key}: {value}"
    with tempfile.TemporaryDirectory() as name:
        scenario = Path(name) / "scenario.yaml"
        scenario.write_text("\n".join([*lines[: index + 1], duplicate, *lines[index + 1 :]]) + "\n")
        outcome = run_cli(["plan", "-f", str(scenario)])
    _assert_contract(outcome, {2})
    assert f'duplicate key "{key}"' in outcome.err or "malformed YAML" in outcome.err, outcome.err


@settings(FUZZ, max_examples=25)
@given(data=st.binary(max_size=200), command=st.sampled_from(["plan", "validate", "prices", "apply"]))
def test_arbitrary_bytes_as_any_input_file(data: bytes, command: str) -> None:
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        file = root / ("input.csv" if command == "prices" else "input.yaml")
        file.write_bytes(data)
        argv = {
            "plan": ["plan", "-f", str(file)],
            "validate": ["validate", str(file)],
            "prices": ["prices", "diff", str(file), str(file)],
            "apply": ["apply", "--plan", str(file), "--output-dir", str(root / "out")],
        }[command]
        outcome = run_cli(argv)
        _assert_contract(outcome, {0, 2, 3} if command == "plan" else {0, 1, 2})
        assert _files_under(root) - {file.name} <= {f for f in _files_under(root) if f.startswith("out/")}


@settings(FUZZ, max_examples=40)
@given(
    names=st.lists(
        st.one_of(
            NASTY_STRINGS.filter(lambda s: len(s) < 40),
            st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=16),
        ),
        min_size=4,
        max_size=4,
    )
)
def test_reports_print_any_user_text_literally(names: list[str]) -> None:
    from builders import make_assignment, make_plan

    from placement.plan import Unplaced
    from placement.report.plan import to_table_text

    scenario, workload, cluster, reason = (n.replace("\t", " ").strip() or "x" for n in names)
    plan = make_plan(
        make_assignment(workload, cluster, 1),
        scenario=scenario,
        unplaced=(Unplaced(workload, reason),),
        warnings=(reason,),
    )
    text = to_table_text(plan, width=1000)
    for name in (scenario, workload, cluster, reason):
        assert name in text, (name, text)


# -- price files and series files ---------------------------------------------------------------------

PRICE_HEADER = "cloud,region,instance_type,capacity_type,vcpus,memory_gib,hourly_usd"
_CELL = st.one_of(
    NASTY_STRINGS,
    st.sampled_from(
        [
            "aws",
            "acme",
            "fra-1",
            "on-demand",
            "spot",
            "4",
            "16",
            "0.1",
            "-0.1",
            "nan",
            "inf",
            "1e400",
            '"',
            ",",
            "2025-13-01",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@settings(FUZZ, max_examples=40)
@given(
    header=st.sampled_from([PRICE_HEADER, PRICE_HEADER + ",zone,gpus,interruption_rate,as_of", "a,b,c", ""]),
    rows=st.lists(st.lists(_CELL, min_size=0, max_size=11), max_size=4),
)
def test_broken_price_files_are_input_problems(header: str, rows: list[list[str]]) -> None:
    text = "\n".join([header, *(",".join(r.replace("\n", " ") for r in row) for row in rows)]) + "\n"
    with tempfile.TemporaryDirectory() as name:
        file = Path(name) / "prices.csv"
        try:
            file.write_text(text)
        except UnicodeEncodeError:
            assume(False)
        _assert_contract(run_cli(["prices", "diff", str(file), str(file)]), {0, 2})
        _assert_contract(run_cli(["prices", "show", "--source", "file", "--file", str(file)]), {0, 2})
        doc = copy.deepcopy(BASE)
        doc["spec"]["prices"] = {"extra": ["prices.csv"]}
        scenario = Path(name) / "scenario.yaml"
        scenario.write_text(_dump(doc))
        _assert_contract(run_cli(["plan", "-f", str(scenario)]), {0, 2, 3})


@settings(FUZZ, max_examples=15)
@given(
    header=st.sampled_from(["timestamp,value", "unique_id,ds,y", "ds,y", "x"]),
    rows=st.lists(
        st.tuples(
            st.sampled_from(["shop/web", "shop/other", "", "web"]),
            st.sampled_from(["2025-01-06 00:00", "2025-01-06 00:30", "garbage", "", "2025-02-30"]),
            st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**9)),
        ),
        max_size=6,
    ),
    per_replica=st.sampled_from([10, 0, -1, 1e-9, "x"]),
)
def test_broken_series_files_are_input_problems(
    header: str, rows: list[tuple[str, str, object]], per_replica: object
) -> None:
    columns = header.split(",")
    lines = [header]
    for uid, ds, y in rows:
        cells = {"unique_id": uid, "ds": ds, "timestamp": ds, "y": str(y), "value": str(y), "x": uid}
        lines.append(",".join(cells.get(c, "") for c in columns))
    doc = copy.deepcopy(BASE)
    doc["spec"]["workloads"][0]["demand"] = {"series": "traffic.csv", "perReplica": per_replica}
    with tempfile.TemporaryDirectory() as name:
        (Path(name) / "traffic.csv").write_text("\n".join(lines) + "\n")
        scenario = Path(name) / "scenario.yaml"
        scenario.write_text(_dump(doc))
        _assert_contract(run_cli(["plan", "-f", str(scenario)]), {0, 2, 3})


# -- command-line flags --------------------------------------------------------------------------------

NUMBERS = st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1", "2", "1e12", "1e309", "x", "", "0.5", "-0"])
FLAGS: dict[str, tuple[tuple[str, ...], set[int], list[str]]] = {
    # command: (fixed arguments, allowed exit codes, flags that take a value)
    "plan": (
        ("plan",),
        {0, 2, 3},
        ["--time-limit", "--max-price-age", "--slots", "--max-moves-per-slot", "--price-of"],
    ),
    "simulate": (
        ("simulate", "--hours", "1", "--history-hours", "24"),
        {0, 1, 2},
        [
            "--hours",
            "--history-hours",
            "--offset-hours",
            "--seed",
            "--replan-every",
            "--time-limit",
            "--price-time-scale",
            "--interruption-multiplier",
            "--provision-delay",
            "--event",
            "--strategies",
            "--prices",
            "--price-start",
        ],
    ),
    "whatif": (("whatif",), {0, 2}, ["--time-limit", "--traffic", "--shock", "--outage", "--residency"]),
    "explain": (("explain", "shop/web"), {0, 2, 3}, ["--time-limit"]),
    "prices-diff": (("prices", "diff", "embedded", "embedded"), {0, 1, 2}, ["--min-change", "--limit"]),
    "apply": (("apply", "--dry-run", "client"), {0, 2, 3}, ["--max-moves", "--wait-timeout"]),
}


@settings(FUZZ, max_examples=90)
@given(command=st.sampled_from(sorted(FLAGS)), data=st.data())
def test_broken_flags_keep_the_contract(command: str, data: st.DataObject) -> None:
    fixed, allowed, flags = FLAGS[command]
    chosen = data.draw(st.lists(st.sampled_from(flags), min_size=1, max_size=3, unique=True))
    values = [
        data.draw(
            st.one_of(
                NUMBERS,
                NASTY_STRINGS,
                st.sampled_from(["30:6:20x", "3:2:nanx", "aws:+30%", "2x", "shop/*=DE", "*=any", "gcp"]),
            )
        )
        for _ in chosen
    ]
    if command == "simulate":  # keep valid runs short: at most 2 replayed hours
        values = [
            v if f != "--hours" or v in ("1", "2") or not v.lstrip("-").isdigit() else "2"
            for f, v in zip(chosen, values, strict=True)
        ]
    with tempfile.TemporaryDirectory() as name:
        scenario = Path(name) / "scenario.yaml"
        scenario.write_text(_dump(BASE))
        argv = [*fixed, *(f"{f}={v}" for f, v in zip(chosen, values, strict=True))]
        if command != "prices-diff":
            argv += ["-f", str(scenario)]
        outcome = run_cli(argv)
    _assert_contract(outcome, allowed)
