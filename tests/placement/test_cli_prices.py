"""`placement prices show`, run through the real CLI entry point."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from placement.cli import main
from pricing.catalog import CSV_COLUMNS, PRICE_FILE_REQUIRED, Catalog


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["prices", "show", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _price_file(tmp_path: Path) -> Path:
    path = tmp_path / "private.csv"
    path.write_text(
        ",".join(PRICE_FILE_REQUIRED) + "\n"
        "onprem,dc1,big,on-demand,32,128,0.5\n"
        "onprem,dc1,big,spot,32,128,0.2\n"
        "aws,eu-west-1,m5.large,on-demand,2,8,0.01\n"  # pins a price the embedded catalog also has
    )
    return path


def test_csv_is_filtered_and_has_the_catalog_columns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--cloud", "aws", "--region", "eu-west-1", "--instance-type", "m5.large", "-o", "csv")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = _csv_rows(out)
    assert {(r["cloud"], r["region"], r["instance_type"]) for r in rows} == {("aws", "eu-west-1", "m5.large")}
    assert {r["capacity_type"] for r in rows} == {"on-demand", "spot"}
    assert all(r["source"] and r["as_of"].endswith("Z") for r in rows)


def test_json_is_a_loadable_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--cloud", "gcp", "--region", "europe-west1", "--capacity-type", "spot", "-o", "json")
    catalog = Catalog.from_json(json.loads(out))
    assert code == 0 and len(catalog) > 50
    assert catalog.regions() == {("gcp", "europe-west1")}
    assert {o.capacity_type.value for o in catalog} == {"spot"}
    prices = [o.hourly_usd for o in catalog]
    assert prices == sorted(prices)  # cheapest first within a region


def test_json_and_table_say_how_each_price_was_derived(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(
        capsys, "--cloud", "gcp", "--region", "asia-south1", "--instance-type", "n2-standard-4", "-o", "json"
    )
    rows = {row["capacity_type"]: row for row in json.loads(out)["offers"]}
    assert rows["spot"]["source"] == "embedded:libcloud-gce-preemptible-calibrated"
    assert rows["spot"]["derivation"].startswith("libcloud preemptible table × calibrated 2026 factor")
    assert rows["on-demand"]["derivation"].startswith("libcloud on-demand table")
    _, out, _ = _run(capsys, "--cloud", "aws", "--region", "eu-west-1", "--instance-type", "m5.large")
    assert "price derivation" in out
    assert "libcloud on-demand table" in out and "spot model discount" in out


def test_table_is_limited_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--cloud", "azure", "--region", "westeurope", "--limit", "5")
    assert code == 0
    assert "Standard_" in out and "westeurope" in out
    assert "showing 5 of" in out
    assert sum("westeurope" in line for line in out.splitlines()) == 5


def test_file_source_reads_a_price_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--file", str(_price_file(tmp_path)), "-o", "csv")
    rows = _csv_rows(out)
    assert code == 0 and len(rows) == 3
    assert {r["source"] for r in rows} == {"file:private.csv"}


def test_file_with_embedded_source_adds_and_overrides_offers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(_price_file(tmp_path))
    _, out, _ = _run(
        capsys,
        "--source",
        "embedded",
        "--file",
        path,
        "--cloud",
        "aws",
        "--region",
        "eu-west-1",
        "--instance-type",
        "m5.large",
        "--capacity-type",
        "on-demand",
        "-o",
        "csv",
    )
    (row,) = _csv_rows(out)
    assert (row["hourly_usd"], row["source"]) == ("0.01", "file:private.csv")
    _, out, _ = _run(capsys, "--source", "embedded", "--file", path, "--cloud", "onprem", "-o", "csv")
    assert len(_csv_rows(out)) == 2


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--cloud", "amz"], "known: aws, azure, gcp"),
        (["--cloud", "aws", "--region", "eu-west1"], "did you mean eu-west-1"),
        (["--cloud", "gcp", "--instance-type", "n2-standard-3"], "did you mean n2-standard-32"),
        (["--source", "file"], "--source file needs --file PATH"),
        (["--limit", "-1"], "--limit must be 0"),
    ],
)
def test_bad_filters_exit_2_with_one_clear_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and fragment in err
    assert len(err.strip().splitlines()) == 1


def test_bad_price_file_lists_its_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(",".join(PRICE_FILE_REQUIRED) + "\nonprem,dc1,big,ondemand,32,128,0.5\nonprem,dc1,x,spot,0,1,1\n")
    code, out, err = _run(capsys, "--file", str(path))
    assert code != 0 and out == ""
    assert f"{path}:2: capacity_type" in err and f"{path}:3: vcpus" in err
    assert "Traceback" not in err


def test_prices_needs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["prices"])
    assert exited.value.code == 2
    assert "show" in capsys.readouterr().err
