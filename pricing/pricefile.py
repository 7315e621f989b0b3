"""The price file (DESIGN.md): a CSV of offers for custom and private providers, or to pin prices.

Header: ``cloud,region,instance_type,capacity_type,vcpus,memory_gib,hourly_usd`` (required, any
order) plus optional ``zone,gpus,interruption_rate,as_of``; a ``source`` column (as written by
``placement prices show -o csv``) is accepted and ignored: offers read from a file have
``source = "file:<file name>"``. Missing ``as_of`` means the file's modification time. Blank lines
and lines starting with ``#`` are skipped.

A bad file raises `PriceFileError` listing every problem, one per line, as
``<file>:<line>: <column>: <what is wrong> (got <value>); <how to fix it>``.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pricing.catalog import CSV_COLUMNS, PRICE_FILE_OPTIONAL, PRICE_FILE_REQUIRED, Catalog
from pricing.errors import PriceFileError, close_matches, did_you_mean
from pricing.offer import CapacityType, Offer

ACCEPTED_COLUMNS = (*PRICE_FILE_REQUIRED, *PRICE_FILE_OPTIONAL, "source")
_CAPACITY_TYPES = tuple(c.value for c in CapacityType)
_CAPACITY_ALIASES = {
    "ondemand": "on-demand",
    "on_demand": "on-demand",
    "od": "on-demand",
    "regular": "on-demand",
    "preemptible": "spot",
    "lowpriority": "spot",
    "low-priority": "spot",
    "spot-vm": "spot",
}


_Bad = Callable[[str, str], None]  # records a problem: bad(column, "what is wrong; how to fix it")


@dataclass(frozen=True, slots=True)
class _Problem:
    line: int
    column: str | None
    message: str
    value: str | None = None

    def render(self, name: str) -> str:
        where = f"{name}:{self.line}: " + (f"{self.column}: " if self.column else "")
        got = "" if self.value is None else f" (got {self.value!r})"
        head, _, fix = self.message.partition("; ")
        return f"{where}{head}{got}" + (f"; {fix}" if fix else "")


#: The `source` of offers read from a price file is this prefix and the file's name.
FILE_SOURCE_PREFIX = "file:"


def source_for(path: Path) -> str:
    """The `source` of offers read from a price file."""
    return f"{FILE_SOURCE_PREFIX}{path.name}"


def load_price_file(path: Path) -> Catalog:
    """Read and check a price file; every offer gets ``source = file:<name>``.

    A file is read and parsed once per content: the scenario loader (which learns custom clouds'
    regions from it) and the catalog loader share the result while the file's size and mtime stay.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as error:
        raise PriceFileError(
            f"{path}: cannot read the price file ({error.strerror or error}); check the path "
            "(a scenario's prices.file is relative to the scenario file)"
        ) from error
    return _load_price_file(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load_price_file(path: Path, mtime_ns: int, size: int) -> Catalog:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise PriceFileError(
            f"{path}: cannot read the price file ({error.strerror or error}); check the path "
            "(a scenario's prices.file is relative to the scenario file)"
        ) from error
    mtime = datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PriceFileError(f"{path}: not UTF-8 text (byte {error.start}); save the CSV as UTF-8") from error
    return parse_price_file(text, name=str(path), source=source_for(path), default_as_of=mtime)


def parse_price_file(text: str, *, name: str, source: str, default_as_of: datetime) -> Catalog:
    """Pure: a catalog from price-file text, or `PriceFileError` listing every problem."""
    problems: list[_Problem] = []
    rows = _rows(text)
    if not rows:
        raise PriceFileError(
            f"{name}:1: empty price file; the first line must be the header {','.join(PRICE_FILE_REQUIRED)}"
        )
    header_line, header = rows[0]
    columns = [c.strip() for c in header]
    problems.extend(_check_header(columns, header_line))
    if problems:
        raise _error(name, problems)
    offers: list[Offer] = []
    seen: dict[tuple[str, str, str, str, str], int] = {}
    for line, fields in rows[1:]:
        if len(fields) != len(columns):
            problems.append(
                _Problem(
                    line,
                    None,
                    f"has {len(fields)} fields but the header has {len(columns)}; "
                    "give one value per header column (leave optional ones empty, not out)",
                )
            )
            continue
        record = {column: value.strip() for column, value in zip(columns, fields, strict=True)}
        offer = _offer(record, line, problems, source=source, default_as_of=default_as_of)
        if offer is None:
            continue
        key = (offer.cloud, offer.region, offer.zone or "", offer.instance_type, offer.capacity_type.value)
        if key in seen:
            problems.append(
                _Problem(
                    line,
                    None,
                    f"duplicate offer {'/'.join(k for k in key if k)} (first on line "
                    f"{seen[key]}); keep one row per cloud, region, zone, instance type and "
                    "capacity type",
                )
            )
            continue
        seen[key] = line
        offers.append(offer)
    if not offers and not problems:
        problems.append(
            _Problem(
                header_line, None, "no offers after the header; add one row per instance type, region and capacity type"
            )
        )
    if problems:
        raise _error(name, problems)
    return Catalog(offers, fetched_at=min(o.as_of for o in offers))


def price_file_text(offers: Iterable[Offer]) -> str:
    """CSV text of offers with the columns of `pricing.catalog.CSV_COLUMNS` (readable by `load_price_file`)."""
    return Catalog(offers).to_csv()


def save_price_file(offers: Iterable[Offer], path: Path) -> None:
    """Write offers as a price file (atomic: temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(price_file_text(offers), encoding="utf-8")
    tmp.replace(path)


# -- checks ------------------------------------------------------------------------------------


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of non-blank, non-comment rows; comment lines are blanked, not removed,
    so line numbers stay those of the file."""
    kept = "\n".join("" if line.lstrip().startswith("#") else line for line in text.splitlines())
    reader = csv.reader(io.StringIO(kept))
    rows: list[tuple[int, list[str]]] = []
    for fields in reader:
        if fields and any(f.strip() for f in fields):
            rows.append((reader.line_num, fields))
    return rows


def _check_header(columns: list[str], line: int) -> list[_Problem]:
    problems = []
    for column in columns:
        if column not in ACCEPTED_COLUMNS:
            hint = did_you_mean(column, ACCEPTED_COLUMNS)
            hint = f", {hint}" if hint else ""
            problems.append(
                _Problem(
                    line,
                    column or "(empty)",
                    f"unknown column{hint}; columns are "
                    f"{','.join(PRICE_FILE_REQUIRED)} and optional {','.join(PRICE_FILE_OPTIONAL)}",
                )
            )
    for column in sorted({c for c in columns if columns.count(c) > 1}):
        problems.append(_Problem(line, column, "column appears twice in the header; keep one"))
    for column in PRICE_FILE_REQUIRED:
        if column not in columns:
            problems.append(
                _Problem(line, column, f"required column missing; the header needs {','.join(PRICE_FILE_REQUIRED)}")
            )
    return problems


def _offer(
    record: dict[str, str], line: int, problems: list[_Problem], *, source: str, default_as_of: datetime
) -> Offer | None:
    before = len(problems)

    def bad(column: str, message: str) -> None:
        problems.append(_Problem(line, column, message, record.get(column, "")))

    cloud, region, instance_type = record["cloud"], record["region"], record["instance_type"]
    for column, value, example in (
        ("cloud", cloud, "aws or onprem"),
        ("region", region, "eu-west-1 or dc1"),
        ("instance_type", instance_type, "m7i.large"),
    ):
        if not value:
            bad(column, f"is empty; give a name, e.g. {example}")
        elif any(ch.isspace() for ch in value):
            bad(column, f"contains spaces; use a name without spaces, e.g. {example}")
        elif column == "cloud" and value != value.lower():
            bad(column, f"must be lower case; write {value.lower()!r}")
    capacity = _capacity(record["capacity_type"], bad)
    vcpus = _number(record, "vcpus", bad, minimum=0.0, exclusive=True, example="4")
    memory_gib = _number(record, "memory_gib", bad, minimum=0.0, exclusive=True, example="16")
    hourly_usd = _number(record, "hourly_usd", bad, minimum=0.0, exclusive=False, example="0.192")
    gpus = _gpus(record, bad)
    rate = _number(
        record, "interruption_rate", bad, minimum=0.0, exclusive=False, example="0.1", maximum=1.0, required=False
    )
    if rate is not None and capacity is CapacityType.ON_DEMAND:
        bad("interruption_rate", "is only meaningful for spot rows; leave it empty on on-demand rows")
    as_of = _as_of(record.get("as_of", ""), bad, default_as_of)
    if len(problems) > before or capacity is None or vcpus is None or memory_gib is None or hourly_usd is None:
        return None
    return Offer(
        cloud=cloud,
        region=region,
        instance_type=instance_type,
        capacity_type=capacity,
        vcpus=vcpus,
        memory_gib=memory_gib,
        hourly_usd=hourly_usd,
        source=source,
        as_of=as_of,
        zone=record.get("zone") or None,
        gpus=gpus or 0,
        interruption_rate=rate,
    )


def _capacity(value: str, bad: _Bad) -> CapacityType | None:
    if value in _CAPACITY_TYPES:
        return CapacityType(value)
    if not value:
        bad("capacity_type", "is empty; write on-demand or spot")
        return None
    alias = _CAPACITY_ALIASES.get(value.lower().replace(" ", "")) or "".join(
        close_matches(value.lower(), _CAPACITY_TYPES)
    )
    bad("capacity_type", "must be on-demand or spot; " + (f"did you mean {alias}?" if alias else "write one of them"))
    return None


def _number(
    record: dict[str, str],
    column: str,
    bad: _Bad,
    *,
    minimum: float,
    exclusive: bool,
    example: str,
    maximum: float | None = None,
    required: bool = True,
) -> float | None:
    text = record.get(column, "")
    if not text:
        if required:
            bad(column, f"is empty; give a number, e.g. {example}")
        return None
    try:
        value = float(text)
    except ValueError:
        bad(column, f"is not a number; write a plain decimal number (no units or currency signs), e.g. {example}")
        return None
    if not math.isfinite(value):
        bad(column, f"must be a finite number, e.g. {example}")
        return None
    if value < minimum or (exclusive and value == minimum):
        bound = f"greater than {minimum:g}" if exclusive else f"at least {minimum:g}"
        bad(column, f"must be {bound}; e.g. {example}")
        return None
    if maximum is not None and value > maximum:
        bad(column, f"must be a fraction from {minimum:g} to {maximum:g}, not a percentage; e.g. {example}")
        return None
    return value


def _gpus(record: dict[str, str], bad: _Bad) -> int | None:
    text = record.get("gpus", "")
    if not text:
        return 0
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or value != int(value):
        bad("gpus", "must be a whole number of GPUs, 0 or more; e.g. 1 (leave empty for none)")
        return None
    return int(value)


def _as_of(text: str, bad: _Bad, default: datetime) -> datetime:
    if not text:
        return default
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        bad("as_of", "is not an ISO 8601 date or time; write e.g. 2025-03-02 or 2025-03-02T00:00:00Z")
        return default
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _error(name: str, problems: list[_Problem]) -> PriceFileError:
    noun = "problem" if len(problems) == 1 else "problems"
    lines = "\n".join(f"  {p.render(name)}" for p in problems)
    error = PriceFileError(f"{name}: {len(problems)} {noun} in the price file\n{lines}")
    error.problems = tuple(p.render(name) for p in problems)  # type: ignore[attr-defined]
    return error


__all__ = [
    "ACCEPTED_COLUMNS",
    "CSV_COLUMNS",
    "FILE_SOURCE_PREFIX",
    "load_price_file",
    "parse_price_file",
    "price_file_text",
    "save_price_file",
    "source_for",
]
