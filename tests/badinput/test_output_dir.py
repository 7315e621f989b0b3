"""`apply --output-dir DIR`: a folder that cannot be written is exit 4; nothing is ever written outside DIR."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_run import run_cli
from scenarios import BASE, write

from placement.errors import OutputError, PlacementError
from placement.patches.build import ObjectRef, Patch
from placement.patches.gitops import write_overlays


def test_unwritable_output_dir_is_exit_4_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    outcome = run_cli(["apply", "-f", str(write(tmp_path, BASE)), "--output-dir", str(blocker / "overlays")])
    assert outcome.code == 4, outcome.err
    assert "cannot write the overlays" in outcome.err and "Traceback" not in outcome.err


@pytest.mark.parametrize(
    ("cluster", "name"), [("../../escape", "web"), ("ok", "../../../x"), ("/abs", "web"), ("..", "web"), ("a/b", "web")]
)
def test_gitops_refuses_any_path_outside_the_output_dir(tmp_path: Path, cluster: str, name: str) -> None:
    out = tmp_path / "deep" / "out"
    patch = Patch(
        cluster=cluster, ref=ObjectRef("apps/v1", "Deployment", name, "shop"), role="workload", body={"spec": {}}
    )
    with pytest.raises(PlacementError, match="refusing to write") as raised:
        write_overlays([patch], out)
    assert not isinstance(raised.value, OutputError)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == []  # nothing written anywhere


def test_gitops_refuses_a_symlink_leading_out(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "c1").symlink_to(elsewhere)
    patch = Patch(
        cluster="c1", ref=ObjectRef("apps/v1", "Deployment", "web", "shop"), role="workload", body={"spec": {}}
    )
    with pytest.raises(PlacementError, match="refusing to write"):
        write_overlays([patch], out)
    assert list(elsewhere.iterdir()) == []
