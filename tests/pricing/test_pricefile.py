"""The price file: round trip, defaults, and a clear message for every kind of bad input."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pricing import CapacityType, PriceFileError
from pricing.catalog import CSV_COLUMNS, PRICE_FILE_REQUIRED
from pricing.pricefile import load_price_file, save_price_file
from tests.builders import make_offer

HEADER = ",".join(PRICE_FILE_REQUIRED)
GOOD_ROW = "onprem,dc1,big,on-demand,32,128,0.5"


def _write(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> str:
    with pytest.raises(PriceFileError) as caught:
        load_price_file(path)
    return str(caught.value)


def test_round_trip_keeps_every_field_and_sets_the_file_source(tmp_path: Path) -> None:
    offers = [
        make_offer(),
        make_offer(capacity_type=CapacityType.SPOT, hourly_usd=0.031, interruption_rate=0.075, zone="eu-west-1a"),
        make_offer(
            cloud="onprem",
            region="dc1",
            instance_type="gpu-box",
            vcpus=32.0,
            memory_gib=256.0,
            hourly_usd=0.0,
            gpus=4,
            as_of=datetime(2024, 12, 31, 23, 0, tzinfo=UTC),
        ),
    ]
    path = tmp_path / "out" / "offers.csv"
    save_price_file(offers, path)
    assert path.read_text().splitlines()[0] == ",".join(CSV_COLUMNS)
    loaded = load_price_file(path)
    assert [o.source for o in loaded] == ["file:offers.csv"] * 3
    assert list(loaded) == [replace(o, source="file:offers.csv") for o in offers]


def test_missing_as_of_is_the_file_mtime_and_naive_times_are_utc(tmp_path: Path) -> None:
    path = _write(tmp_path, f"{HEADER},as_of\n{GOOD_ROW},\nonprem,dc1,small,on-demand,4,16,0.1,2025-01-02\n")
    stamp = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    big, small = load_price_file(path)
    assert big.as_of == datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert small.as_of == datetime(2025, 1, 2, tzinfo=UTC)


def test_columns_in_any_order_comments_blank_lines_and_a_source_column(tmp_path: Path) -> None:
    text = (
        "# private data centre, list prices agreed for 2025\n"
        "hourly_usd,cloud,region,instance_type,capacity_type,vcpus,memory_gib,source\n"
        "\n"
        "0.5,onprem,dc1,big,on-demand,32,128,embedded:libcloud-ec2\n"
    )
    (offer,) = load_price_file(_write(tmp_path, text))
    assert (offer.cloud, offer.instance_type, offer.hourly_usd) == ("onprem", "big", 0.5)
    assert offer.source == "file:prices.csv"  # a source column is tolerated, not trusted


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        ("onprem,dc1,big,ondemand,32,128,0.5", "capacity_type", "did you mean on-demand?"),
        ("onprem,dc1,big,preemptible,32,128,0.5", "capacity_type", "did you mean spot?"),
        ("onprem,dc1,big,on-demand,0,128,0.5", "vcpus", "must be greater than 0"),
        ("onprem,dc1,big,on-demand,32,-1,0.5", "memory_gib", "must be greater than 0"),
        ("onprem,dc1,big,on-demand,32,128,$0.5", "hourly_usd", "not a number"),
        ("onprem,dc1,big,on-demand,32,128,-0.1", "hourly_usd", "at least 0"),
        ("onprem,dc1,big,on-demand,32,128,inf", "hourly_usd", "finite"),
        ("onprem,dc1,big,on-demand,32,128,", "hourly_usd", "is empty"),
        (",dc1,big,on-demand,32,128,0.5", "cloud", "is empty"),
        ("OnPrem,dc1,big,on-demand,32,128,0.5", "cloud", "write 'onprem'"),
        ("onprem,dc 1,big,on-demand,32,128,0.5", "region", "contains spaces"),
        ("onprem,dc1,,on-demand,32,128,0.5", "instance_type", "is empty"),
    ],
)
def test_each_bad_value_names_line_column_value_and_fix(tmp_path: Path, row: str, column: str, fragment: str) -> None:
    message = _problems(_write(tmp_path, f"{HEADER}\n{row}\n"))
    (line,) = message.splitlines()[1:]
    assert line.strip().startswith(f"{tmp_path / 'prices.csv'}:2: {column}: ")
    assert fragment in line
    assert "got '" in line  # the bad value is shown


@pytest.mark.parametrize(
    ("extra_header", "value", "column", "fragment"),
    [
        ("gpus", "1.5", "gpus", "whole number"),
        ("gpus", "-2", "gpus", "whole number"),
        ("interruption_rate", "15", "interruption_rate", "not a percentage"),
        ("as_of", "yesterday", "as_of", "ISO 8601"),
    ],
)
def test_bad_optional_values(tmp_path: Path, extra_header: str, value: str, column: str, fragment: str) -> None:
    capacity = "spot" if column == "interruption_rate" else "on-demand"
    text = f"{HEADER},{extra_header}\nonprem,dc1,big,{capacity},32,128,0.5,{value}\n"
    message = _problems(_write(tmp_path, text))
    assert f":2: {column}: " in message and fragment in message


def test_interruption_rate_on_an_on_demand_row_is_rejected(tmp_path: Path) -> None:
    message = _problems(_write(tmp_path, f"{HEADER},interruption_rate\n{GOOD_ROW},0.1\n"))
    assert "interruption_rate: is only meaningful for spot rows" in message


def test_all_problems_are_reported_one_per_line_with_file_line_numbers(tmp_path: Path) -> None:
    text = (
        f"# comment on line 1\n{HEADER}\n{GOOD_ROW}\n"
        "onprem,dc1,a,spot,x,128,0.5\n"  # line 4: vcpus
        "\n"
        "onprem,dc1,b,on-demand,32,128\n"  # line 6: too few fields
        f"{GOOD_ROW}\n"  # line 7: duplicate of line 3
    )
    message = _problems(_write(tmp_path, text))
    head, *lines = message.splitlines()
    assert head.endswith("3 problems in the price file")
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in lines] == ["4", "6", "7"]
    assert "has 6 fields but the header has 7" in lines[1]
    assert "first on line 3" in lines[2]


def test_header_problems_are_all_listed(tmp_path: Path) -> None:
    text = "cloud,region,instance_typ,capacity_type,vcpus,vcpus,memory_gib\nx\n"
    lines = _problems(_write(tmp_path, text)).splitlines()[1:]
    assert any("instance_typ: unknown column, did you mean instance_type?" in line for line in lines)
    assert any("vcpus: column appears twice" in line for line in lines)
    assert any("instance_type: required column missing" in line for line in lines)
    assert any("hourly_usd: required column missing" in line for line in lines)
    assert all(":1: " in line for line in lines)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty price file"),
        ("# only a comment\n", "empty price file"),
        (f"{HEADER}\n", "no offers after the header"),
    ],
)
def test_empty_files(tmp_path: Path, text: str, fragment: str) -> None:
    assert fragment in _problems(_write(tmp_path, text))


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    assert "cannot read the price file" in _problems(tmp_path / "absent.csv")
    binary = tmp_path / "latin1.csv"
    binary.write_bytes(f"{HEADER}\nonprem,dc1,b\xe9,on-demand,1,1,1\n".encode("latin-1"))
    assert "save the CSV as UTF-8" in _problems(binary)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + f"{HEADER}\n{GOOD_ROW}\n").encode("utf-8"))
    assert len(load_price_file(path)) == 1


def test_a_price_file_is_read_once_while_it_is_unchanged(tmp_path, monkeypatch) -> None:
    import os

    from pricing import pricefile

    path = tmp_path / "offers.csv"
    header = "cloud,region,instance_type,capacity_type,vcpus,memory_gib,hourly_usd\n"
    path.write_text(header + "onprem,dc1,big,on-demand,8,32,0.5\n")
    reads: list[Path] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    first = pricefile.load_price_file(path)
    assert pricefile.load_price_file(path) is first and len(reads) == 1  # scenario loader + catalog: one read
    path.write_text(header + "onprem,dc1,big,on-demand,8,32,0.7\n")
    os.utime(path, ns=(1, 1))
    changed = pricefile.load_price_file(path)
    assert len(reads) == 2 and [o.hourly_usd for o in changed] == [0.7]
