"""The long frame every part of `forecasting` speaks: one row per (series, time), Nixtla's names.

Columns are `unique_id` (str, one per workload label set), `ds` (tz-naive UTC timestamps) and `y`
(float; NaN where a sample is missing). The names match statsforecast/mlforecast so frames can be
fed to those libraries unchanged. Forecast frames add one column per model named by its `alias`
(the median) and `<alias>-lo-NN` / `<alias>-hi-NN` for the other quantiles; see `quantile_column`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.errors import ForecastError

UNIQUE_ID = "unique_id"
DS = "ds"
Y = "y"
CUTOFF = "cutoff"
COLUMNS = (UNIQUE_ID, DS, Y)

DAY = pd.Timedelta(days=1)


def to_step(freq: str | pd.Timedelta) -> pd.Timedelta:
    """Parse a sampling interval (`30min`, `5m`, `1h`, a Timedelta) into a positive Timedelta."""
    try:
        step = freq if isinstance(freq, pd.Timedelta) else pd.Timedelta(str(freq))
    except ValueError as error:
        raise ForecastError(f"freq {freq!r} is not a duration: use e.g. '30min', '5min' or '1h'") from error
    if step <= pd.Timedelta(0):
        raise ForecastError(f"freq {freq!r} must be positive: use e.g. '30min'")
    return step


def steps_per_day(step: pd.Timedelta) -> int:
    """How many `step`s make a day; the daily season length. The step must divide a day evenly."""
    if step > DAY or DAY % step != pd.Timedelta(0):
        raise ForecastError(f"freq {step} does not divide a day evenly: use e.g. '5min', '30min', '1h' or '1d'")
    return int(DAY // step)


def quantile_column(alias: str, quantile: float) -> str:
    """The forecast column holding `quantile` for model `alias`, in statsforecast's naming.

    The median is the bare alias; q > 0.5 is the upper edge of the central interval of level
    100·(2q−1) (`q=0.95` → `<alias>-hi-90`); q < 0.5 the lower edge (`q=0.05` → `<alias>-lo-90`).
    """
    if not 0.0 < quantile < 1.0:
        raise ForecastError(f"quantile {quantile!r} must be strictly between 0 and 1, e.g. 0.95")
    if abs(quantile - 0.5) < 1e-12:
        return alias
    level = round(abs(200.0 * quantile - 100.0), 6)
    return f"{alias}-{'hi' if quantile > 0.5 else 'lo'}-{level:g}"


def validate_frame(df: pd.DataFrame, *, what: str = "series frame") -> pd.DataFrame:
    """Check and normalise a long frame: columns `unique_id, ds, y`, parsed types, sorted, no duplicates.

    Returns a new frame with exactly those three columns: `unique_id` as str, `ds` as tz-naive UTC
    datetimes (aware input is converted), `y` as float. Raises `ForecastError` naming the problem.
    """
    if not isinstance(df, pd.DataFrame):
        raise ForecastError(
            f"{what}: expected a pandas DataFrame with columns {list(COLUMNS)}, got {type(df).__name__}"
        )
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ForecastError(
            f"{what}: missing column(s) {missing}; a long frame needs {list(COLUMNS)} "
            f"(got {list(map(str, df.columns))})"
        )
    out = pd.DataFrame({UNIQUE_ID: df[UNIQUE_ID].astype(str).to_numpy(), DS: _parse_ds(df[DS], what)})
    try:
        out[Y] = pd.to_numeric(df[Y], errors="raise").astype(float).to_numpy()
    except (TypeError, ValueError) as error:
        raise ForecastError(f"{what}: column 'y' must be numeric ({error})") from error
    if out[DS].isna().any():
        row = int(np.flatnonzero(out[DS].isna().to_numpy())[0])
        raise ForecastError(f"{what}: row {row} has no timestamp in 'ds'")
    out = out.sort_values([UNIQUE_ID, DS], kind="stable").reset_index(drop=True)
    dup = out.duplicated([UNIQUE_ID, DS])
    if dup.any():
        first = out[dup].iloc[0]
        raise ForecastError(
            f"{what}: series {first[UNIQUE_ID]!r} has two rows at {first[DS]}; "
            "aggregate them first (e.g. forecasting.regularize(df, freq))"
        )
    return out


def _parse_ds(ds: pd.Series, what: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(ds):
        parsed = pd.to_datetime(ds, unit="s", utc=True)
    else:
        try:
            parsed = pd.to_datetime(ds, utc=True, format="mixed")
        except (TypeError, ValueError) as error:
            raise ForecastError(f"{what}: column 'ds' has unparseable timestamps ({error})") from error
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def infer_step(df: pd.DataFrame) -> pd.Timedelta:
    """The most common spacing between consecutive samples of a series (a validated frame)."""
    diffs = df.groupby(UNIQUE_ID, sort=False)[DS].diff().dropna()
    diffs = diffs[diffs > pd.Timedelta(0)]
    if diffs.empty:
        raise ForecastError("cannot infer the sampling interval from a single sample per series: pass freq")
    return pd.Timedelta(diffs.mode().iloc[0])


def regularize(df: pd.DataFrame, freq: str | pd.Timedelta, *, how: str = "mean") -> pd.DataFrame:
    """Put every series on the regular `freq` grid: floor timestamps to the grid, aggregate samples
    in the same slot (`how`: mean or sum), and insert NaN rows for missing slots (gaps stay visible)."""
    if how not in ("mean", "sum"):
        raise ForecastError(f"how={how!r}: use 'mean' (rates, utilisation) or 'sum' (counts)")
    step = to_step(freq)
    frame = validate_frame(df)
    if frame.empty:
        return frame
    floored = frame.assign(**{DS: frame[DS].dt.floor(step)})
    grouped = floored.groupby([UNIQUE_ID, DS], sort=True)[Y]
    agg = grouped.sum(min_count=1) if how == "sum" else grouped.mean()
    agg = agg.reset_index()
    bounds = agg.groupby(UNIQUE_ID, sort=True)[DS].agg(["min", "max"])
    counts = ((bounds["max"] - bounds["min"]) // step).astype(int).to_numpy() + 1
    ids = np.repeat(bounds.index.to_numpy(), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    starts = np.repeat(bounds["min"].to_numpy(), counts)
    grid = pd.DataFrame({UNIQUE_ID: ids, DS: starts + offsets * step.to_timedelta64()})
    return grid.merge(agg, on=[UNIQUE_ID, DS], how="left")


def interpolate_gaps(df: pd.DataFrame) -> pd.DataFrame:
    """Fill NaN `y` inside each series by linear interpolation (edges by the nearest value).

    For models that cannot take gaps (statsforecast's); `Forecaster` itself handles NaN directly.
    """
    frame = df.copy()
    frame[Y] = frame.groupby(UNIQUE_ID, sort=False)[Y].transform(lambda s: s.interpolate(limit_direction="both"))
    return frame
