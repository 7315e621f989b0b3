"""AWS spot prices per availability zone, and interruption buckets from the Spot Instance Advisor.

`parse_spot_history` reduces ``ec2.describe_spot_price_history`` items (called with ``StartTime=now``,
which also returns the last change before it, i.e. the price in effect now; REFERENCE.md §4.2) to the
newest price per (instance type, zone). Both ``Linux/UNIX`` and ``Linux/UNIX (Amazon VPC)`` count as
Linux.

`SpotAdvisor` reads the user-supplied Spot Instance Advisor feed (``spot-advisor-data.json``, as
served behind aws.amazon.com/ec2/spot/instance-advisor; plain or gzipped): ``ranges[{index,label}]``
and ``spot_advisor{region:{Linux:{type:{r: range index, s: savings %}}}}``. A bucket becomes an
interruption rate (a fraction of instances interrupted per month) at the middle of its label:
``<5%`` → 0.025, ``5-10%`` → 0.075, ..., and the open-ended ``>20%`` → 0.25.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pricing.errors import SourceError

LINUX_DESCRIPTIONS = ("Linux/UNIX", "Linux/UNIX (Amazon VPC)")

_ADVISOR_SOURCE = "aws:spot-advisor"


def parse_spot_history(items: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], float]:
    """Newest Linux spot price (USD/h) per (instance type, availability zone)."""
    newest: dict[tuple[str, str], tuple[Any, float]] = {}
    for item in items:
        if item.get("ProductDescription") not in LINUX_DESCRIPTIONS:
            continue
        key = (item["InstanceType"], item["AvailabilityZone"])
        stamp = _timestamp_key(item.get("Timestamp"))
        known = newest.get(key)
        if known is None or stamp > known[0]:
            newest[key] = (stamp, float(item["SpotPrice"]))
    return {key: price for key, (_, price) in newest.items()}


def _timestamp_key(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str) and value:
        text = value.replace("Z", "+00:00")
        # Some producers (and moto) write nanoseconds; fromisoformat takes at most microseconds.
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)
        try:
            return datetime.fromisoformat(text).timestamp()
        except ValueError:
            return 0.0
    return 0.0


class SpotAdvisor:
    """Interruption rates by (region, instance type) from a Spot Instance Advisor feed."""

    def __init__(self, rates: Mapping[tuple[str, str], float]) -> None:
        self._rates = dict(rates)

    def __len__(self) -> int:
        return len(self._rates)

    def rate(self, region: str, instance_type: str) -> float | None:
        """The interruption rate (fraction, bucket midpoint), or None when the feed does not list it."""
        return self._rates.get((region, instance_type))

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, os_name: str = "Linux") -> SpotAdvisor:
        try:
            midpoints = {int(r["index"]): bucket_midpoint(str(r["label"])) for r in data["ranges"]}
            rates: dict[tuple[str, str], float] = {}
            for region, by_os in data["spot_advisor"].items():
                for instance_type, entry in by_os.get(os_name, {}).items():
                    rate = midpoints.get(int(entry["r"]))
                    if rate is not None:
                        rates[(region, instance_type)] = rate
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise SourceError(
                _ADVISOR_SOURCE,
                f"not a Spot Instance Advisor feed ({type(error).__name__}: {error}); expected keys "
                "`ranges` and `spot_advisor{region:{Linux:{type:{r,s}}}}`",
            ) from error
        return cls(rates)

    @classmethod
    def load(cls, path: Path) -> SpotAdvisor:
        """Read a feed file (``.json`` or ``.json.gz``)."""
        try:
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            data = json.loads(raw)
        except (OSError, ValueError) as error:
            raise SourceError(_ADVISOR_SOURCE, f"cannot read {path}: {error}") from error
        return cls.from_json(data)


def bucket_midpoint(label: str) -> float | None:
    """``"<5%"`` → 0.025, ``"5-10%"`` → 0.075, ``">20%"`` → 0.25 (open bucket: bound + 5 points)."""
    text = label.strip().rstrip("%").strip()
    try:
        if text.startswith("<"):
            return float(text[1:]) / 2 / 100
        if text.startswith(">"):
            return (float(text[1:]) + 5) / 100
        low, _, high = text.partition("-")
        return (float(low) + float(high)) / 2 / 100
    except ValueError:
        return None
