"""Reading the spot-risk and egress parts of `spec.prices` (every problem names field, value and fix).

```yaml
prices:
  interruptionRates:                 # most specific match wins (placement.load.spot_rates)
  - {cloud: gcp, monthly: 0.10}      # fraction of spot capacity reclaimed per month
  - {cloud: azure, region: westeurope, family: Dsv5, ratePerHour: 0.0003}
  spotAdvisor: spot-advisor-data.json.gz   # AWS Spot Instance Advisor feed (relative to the scenario)
  egress:
    aws: {internetPerGb: 0.05, interRegionPerGb: 0.02, interCloudPerGb: 0.05}
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from placement.errors import did_you_mean, missing
from placement.geo import regions as region_table
from placement.geo.egress import OVERRIDE_KEYS, with_overrides
from placement.load.fields import FieldReader
from placement.load.spot_rates import monthly_from_hourly
from placement.scenario import EgressPrices, InterruptionRate

_RATE_KEYS = ("cloud", "region", "family", "monthly", "ratePerHour")


def read_interruption_rates(
    reader: FieldReader, raw: object, path: str, clouds: Sequence[str], custom: Mapping[str, set[str]]
) -> tuple[InterruptionRate, ...]:
    rates: list[InterruptionRate] = []
    seen: dict[tuple[str, str | None, str | None], int] = {}
    for index, item in enumerate(reader.sequence(raw, path)):
        where = f"{path}[{index}]"
        data = reader.mapping(item, where, required=True)
        if not data:
            continue
        reader.known_keys(data, where, _RATE_KEYS)
        cloud = reader.string(data, "cloud", where)
        if cloud is not None and cloud not in clouds:
            reader.problem(f"{where}.cloud", cloud, "unknown cloud" + did_you_mean(cloud, clouds))
            cloud = None
        region = reader.string(data, "region", where, default="") or None
        if (
            cloud is not None
            and region is not None
            and region_table.lookup_region(cloud, region) is None
            and region not in custom.get(cloud, ())
        ):
            names = [r.name for r in region_table.regions_of(cloud)] + sorted(custom.get(cloud, ()))
            reader.problem(f"{where}.region", region, f"unknown {cloud} region" + did_you_mean(region, names))
            region = None
        family = reader.string(data, "family", where, default="") or None
        monthly = _rate(reader, data, where)
        if cloud is None or monthly is None:
            continue
        key = (cloud, region, family.lower() if family else None)
        if key in seen:
            reader.problem(where, dict(data), f"duplicates {path}[{seen[key]}] (same cloud/region/family): keep one")
            continue
        seen[key] = index
        rates.append(InterruptionRate(cloud=cloud, monthly=monthly, region=region, family=family))
    return tuple(rates)


def _rate(reader: FieldReader, data: Mapping[str, Any], where: str) -> float | None:
    has_monthly, has_hourly = data.get("monthly") is not None, data.get("ratePerHour") is not None
    if has_monthly == has_hourly:
        reader.problem(
            where,
            dict(data),
            "give exactly one of `monthly` (fraction of spot capacity reclaimed per "
            "month, e.g. 0.05) or `ratePerHour` (chance a spot node is reclaimed in an hour, e.g. 0.0001)",
        )
        return None
    if has_monthly:
        return reader.number(
            data, "monthly", where, minimum=0.0, maximum=1.0, hint="(a fraction per month between 0 and 1, e.g. 0.05)"
        )
    hourly = reader.number(
        data,
        "ratePerHour",
        where,
        minimum=0.0,
        maximum=1.0,
        hint="(a probability per node-hour between 0 and 1, e.g. 0.0001)",
    )
    return None if hourly is None else monthly_from_hourly(hourly)


def read_spot_advisor(reader: FieldReader, raw: object, path: str, base_dir: Path | None) -> Path | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        reader.problem(path, raw, "must be a path to an AWS Spot Instance Advisor feed (spot-advisor-data.json[.gz])")
        return None
    candidate = Path(raw).expanduser()
    resolved = candidate if candidate.is_absolute() or base_dir is None else base_dir / candidate
    if not resolved.is_file():
        reader.problem(
            path,
            raw,
            "file not found (paths are relative to the scenario file); download the feed "
            "behind aws.amazon.com/ec2/spot/instance-advisor or remove spotAdvisor",
        )
        return None
    return resolved


def read_egress(reader: FieldReader, raw: object, path: str, clouds: Sequence[str]) -> dict[str, EgressPrices]:
    result: dict[str, EgressPrices] = {}
    data = reader.mapping(raw, path)
    for cloud, entry in data.items():
        where = f"{path}.{cloud}"
        if cloud not in clouds:
            reader.problem(where, missing(), "unknown cloud" + did_you_mean(str(cloud), clouds))
            continue
        fields = reader.mapping(entry, where, required=True)
        reader.known_keys(fields, where, tuple(OVERRIDE_KEYS))
        overrides: dict[str, float] = {}
        for key in OVERRIDE_KEYS:
            value = reader.number(fields, key, where, minimum=0.0, hint="(USD per GB, e.g. 0.09)")
            if value is not None:
                overrides[key] = value
        if isinstance(entry, Mapping) and not entry:
            reader.problem(where, dict(fields), f"sets no price: give one of {', '.join(OVERRIDE_KEYS)}")
        result[str(cloud)] = with_overrides(str(cloud), overrides)
    return result
