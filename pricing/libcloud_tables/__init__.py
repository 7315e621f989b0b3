"""Read the price tables that the `apache-libcloud` package ships, without importing libcloud.

`libcloud/data/pricing.json` holds list prices (``{"compute": {...}, "updated": <unix time>}``) and
`libcloud/compute/constants/ec2_instance_types.py` the EC2 instance specs. We locate both through
the installed package's location and load them directly: importing ``libcloud.compute`` would pull in
``requests`` and the driver machinery (~0.15 s) for nothing. Each cloud's table is turned into offers
by a pure parser in this package (`aws`, `gcp`, `azure`), so tests can feed hand-written tables.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pricing.errors import CatalogUnavailable


@dataclass(frozen=True, slots=True)
class LibcloudTables:
    """The parts of libcloud's shipped data that the embedded catalog uses."""

    compute: Mapping[str, Any]  # pricing.json "compute": table name → {size: prices}
    ec2_specs: Mapping[str, Any]  # ec2_instance_types.INSTANCE_TYPES: type → {"ram": MiB, "extra": {...}}
    as_of: datetime  # pricing.json "updated"
    version: str  # the libcloud package version the tables came from


def libcloud_root() -> Path:
    """The directory of the installed `libcloud` package (not imported)."""
    spec = importlib.util.find_spec("libcloud")
    if spec is None or spec.origin is None:
        raise CatalogUnavailable(
            "the embedded catalog is built from apache-libcloud's price tables, but the package is not "
            "installed: install it (`pip install apache-libcloud`) or use a price file (--source file)"
        )
    return Path(spec.origin).parent


def load_libcloud_tables(root: Path | None = None) -> LibcloudTables:
    """Load pricing.json and the EC2 instance specs from an installed libcloud (or `root`)."""
    base = root or libcloud_root()
    pricing_path = base / "data" / "pricing.json"
    specs_path = base / "compute" / "constants" / "ec2_instance_types.py"
    try:
        data = json.loads(pricing_path.read_bytes())
        compute = data["compute"]
        as_of = datetime.fromtimestamp(int(data["updated"]), tz=UTC)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CatalogUnavailable(
            f"cannot read libcloud's price table {pricing_path}: {error}; reinstall apache-libcloud"
        ) from error
    return LibcloudTables(compute=compute, ec2_specs=_load_ec2_specs(specs_path), as_of=as_of, version=_version(base))


def _load_ec2_specs(path: Path) -> Mapping[str, Any]:
    spec = importlib.util.spec_from_file_location("_placement_libcloud_ec2_instance_types", path)
    if spec is None or spec.loader is None:
        raise CatalogUnavailable(f"cannot load libcloud's EC2 instance specs {path}; reinstall apache-libcloud")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        specs: Mapping[str, Any] = module.INSTANCE_TYPES
    except (OSError, SyntaxError, AttributeError) as error:
        raise CatalogUnavailable(f"cannot load libcloud's EC2 instance specs {path}: {error}") from error
    return specs


def _version(base: Path) -> str:
    try:
        from importlib.metadata import version

        return version("apache-libcloud")
    except Exception:  # metadata missing (e.g. a vendored copy): the timestamp still dates the data
        return f"unknown ({base})"


__all__ = ["LibcloudTables", "libcloud_root", "load_libcloud_tables"]
