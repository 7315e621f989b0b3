"""The on-disk catalog: where it lives, how it is written (atomically) and how it is read (freshness).

One file, ``catalog.json`` (`Catalog.to_json`, schema-versioned), in ``$PLACEMENT_CACHE_DIR`` or else
``$XDG_CACHE_HOME/placement`` or else ``~/.cache/placement``. Writers write a temporary file in the same
directory, flush it to disk and rename it over the old one, so a reader sees the old file or the new
one, never half of one, and a failed refresh leaves the old file byte-identical.

Freshness is judged on prices, not on the file: a catalog's age is ``now - oldest offer.as_of``
(what a plan reports as ``pricesAsOf``). `load_catalog` rules:

==================  ==============================  ==============================================
cache               refresh given                   no refresh
==================  ==============================  ==============================================
fresh               returned as is                  returned as is
stale               refreshed, saved, returned;     error, or with ``allow_stale`` the old copy
                    if that fails: error, or with   with a warning
                    ``allow_stale`` the old copy
                    with a warning naming the cause
missing/unreadable  refreshed, saved, returned;     error saying how to get one
                    if that fails: error
==================  ==============================  ==============================================

A refresh is all-or-nothing (`pricing.refresh.refresh_catalog`): when any source fails, no offer of
that refresh is used, so a plan never mixes fresh prices with a silently failed source.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pricing.catalog import Catalog
from pricing.errors import CatalogUnavailable, PricingError

CACHE_FILE = "catalog.json"
ENV_CACHE_DIR = "PLACEMENT_CACHE_DIR"

Refresher = Callable[[Catalog | None], Catalog]
"""Given the previous catalog (or None), fetch and return a complete new one, or raise `PricingError`."""


@dataclass(frozen=True, slots=True)
class LoadedCatalog:
    """A catalog plus what a plan must say about it: was it refreshed, is it stale, and why."""

    catalog: Catalog
    path: Path
    stale: bool = False
    refreshed: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def prices_as_of(self) -> dict[str, datetime]:
        """Per cloud, the oldest price time (a plan's ``pricesAsOf``)."""
        return self.catalog.as_of()


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$PLACEMENT_CACHE_DIR``, else ``$XDG_CACHE_HOME/placement``, else ``~/.cache/placement``."""
    env = os.environ if env is None else env
    if env.get(ENV_CACHE_DIR):
        return Path(env[ENV_CACHE_DIR]).expanduser()
    base = Path(env["XDG_CACHE_HOME"]).expanduser() if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "placement"


def default_cache_path(env: Mapping[str, str] | None = None, *, cache_dir: Path | str | None = None) -> Path:
    """``<cache_dir>/catalog.json``, with `cache_dir` defaulting to `default_cache_dir`."""
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir(env)
    return directory / CACHE_FILE


def save_catalog(catalog: Catalog, path: Path) -> None:
    """Write `catalog` to `path` atomically (temp file in the same directory, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(catalog.to_json(), separators=(",", ":")).encode()
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644  # mkstemp's 0600 is not meant for a cache
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_catalog(path: Path) -> Catalog:
    """The catalog at `path`; `CatalogUnavailable` (saying how to fix it) when missing or unreadable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as error:
        raise CatalogUnavailable(
            f"no cached price catalog at {path}: run `placement prices refresh`, or plan with "
            "`--prices embedded` (offline, no credentials)"
        ) from error
    except OSError as error:
        raise CatalogUnavailable(f"cannot read the price catalog {path}: {error}") from error
    try:
        return Catalog.from_json(json.loads(raw.decode("utf-8")))
    except CatalogUnavailable:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise CatalogUnavailable(
            f"the price catalog {path} is corrupt ({type(error).__name__}: {error}): "
            "run `placement prices refresh` to rebuild it"
        ) from error


def catalog_age(catalog: Catalog, now: datetime) -> timedelta:
    """How old the oldest price is (the catalog's ``fetched_at`` when it has no offers)."""
    oldest = min(catalog.as_of().values(), default=catalog.fetched_at)
    return now - oldest


def load_catalog(
    path: Path | str | None = None,
    *,
    max_age: timedelta,
    refresh: Refresher | None = None,
    allow_stale: bool = False,
    force_refresh: bool = False,
    now: datetime | None = None,
) -> LoadedCatalog:
    """Read the cached catalog file `path` (default `default_cache_path()`), refreshing it when stale if
    `refresh` is given (see the module table). With `force_refresh` a fresh cache is refreshed too, and
    kept (with a warning) if that refresh fails."""
    where = Path(path) if path is not None else default_cache_path()
    moment = now or datetime.now(UTC)
    try:
        cached: Catalog | None = read_catalog(where)
        unreadable: CatalogUnavailable | None = None
    except CatalogUnavailable as error:
        cached, unreadable = None, error

    fresh_enough = False
    if cached is not None:
        age = catalog_age(cached, moment)
        fresh_enough = age <= max_age
        if fresh_enough and not (force_refresh and refresh is not None):
            return LoadedCatalog(cached, where)
        staleness = f"prices are {format_age(age)} old (max {format_age(max_age)})"
    else:
        staleness = str(unreadable)

    if refresh is not None:
        try:
            fresh = refresh(cached)
        except PricingError as error:
            if cached is not None and fresh_enough:
                return LoadedCatalog(
                    cached, where, warnings=(f"refresh failed ({error}); using the cached catalog from {_iso(cached)}",)
                )
            if cached is None:
                raise CatalogUnavailable(f"{staleness}; and the refresh failed: {error}") from error
            if not allow_stale:
                raise CatalogUnavailable(
                    f"{staleness} and the refresh failed: {error}. Fix the refresh, or pass --allow-stale "
                    "to plan with the cached prices"
                ) from error
            return LoadedCatalog(
                cached,
                where,
                stale=True,
                warnings=(f"{staleness}; refresh failed ({error}); using the last good catalog from {_iso(cached)}",),
            )
        save_catalog(fresh, where)
        return LoadedCatalog(fresh, where, refreshed=True)

    if cached is None:
        assert unreadable is not None
        raise unreadable
    if not allow_stale:
        raise CatalogUnavailable(
            f"{staleness}: run `placement prices refresh`, raise --max-price-age, or pass --allow-stale"
        )
    return LoadedCatalog(cached, where, stale=True, warnings=(f"{staleness}; using them anyway (--allow-stale)",))


DEFAULT_MAX_AGE = timedelta(days=7)
"""How old cached prices may be when no --max-price-age is given (list prices change monthly at most;
spot prices drift faster, so the CronJob refreshes daily)."""


def load_for_plan(
    source: str,
    *,
    max_age_s: float | None = None,
    allow_stale: bool = False,
    path: Path | None = None,
    refresh: Refresher | None = None,
    regions: Mapping[str, Sequence[str]] | None = None,
    now: datetime | None = None,
) -> LoadedCatalog:
    """The catalog for ``prices.source: cache`` or ``live``.

    ``cache`` reads the cache and never touches the network. ``live`` refreshes now (`refresh`, by
    default `pricing.refresh.live_refresher` over `regions`: cloud → regions, all three clouds' default
    regions when None), saves the result and returns it; if the refresh fails it falls back to the
    cached copy with a warning, within the same max-age / allow-stale rules.
    """
    max_age = DEFAULT_MAX_AGE if max_age_s is None else timedelta(seconds=max_age_s)
    if source == "cache":
        return load_catalog(path, max_age=max_age, allow_stale=allow_stale, now=now)
    if source == "live":
        if refresh is None:
            from pricing.refresh import live_refresher

            refresh = live_refresher(regions)
        return load_catalog(
            path, max_age=max_age, refresh=refresh, allow_stale=allow_stale, force_refresh=True, now=now
        )
    raise ValueError(f"load_for_plan reads `cache` or `live` prices, not {source!r}")


def format_age(age: timedelta) -> str:
    """``2d 3h``, ``5h 10m``, ``42m``, ``30s``."""
    seconds = int(age.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else f"{secs}s"


def _iso(catalog: Catalog) -> str:
    oldest = min(catalog.as_of().values(), default=catalog.fetched_at)
    return oldest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
