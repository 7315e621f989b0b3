"""Read traffic history from a CSV file into a long frame (the disk edge of `forecasting`).

Two layouts are accepted, told apart by the header:
- `timestamp,value` — one series (NAB/CloudWatch exports); its `unique_id` is the file stem
  unless `unique_id=` is given;
- `unique_id,ds,y` — any number of series, Nixtla's long format.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecasting.errors import ForecastError
from forecasting.frame import DS, UNIQUE_ID, Y, validate_frame

SINGLE_SERIES_COLUMNS = ("timestamp", "value")


def load_csv(path: str | Path, *, unique_id: str | None = None) -> pd.DataFrame:
    """Load `path` as a validated long frame `unique_id, ds, y` (sorted; gaps are left as they are)."""
    file = Path(path)
    if not file.is_file():
        raise ForecastError(
            f"series file {str(file)!r} does not exist: pass a CSV with 'timestamp,value' or 'unique_id,ds,y'"
        )
    try:
        raw = pd.read_csv(file)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ForecastError(f"series file {str(file)!r} is not a readable CSV ({error})") from error
    columns = {str(c).strip().lower(): c for c in raw.columns}
    if all(c in columns for c in (UNIQUE_ID, DS, Y)):
        frame = raw.rename(columns={columns[c]: c for c in (UNIQUE_ID, DS, Y)})
        if unique_id is not None:
            frame = frame[frame[UNIQUE_ID].astype(str) == unique_id]
            if frame.empty:
                known = sorted(raw[columns[UNIQUE_ID]].astype(str).unique())[:10]
                raise ForecastError(f"series file {str(file)!r} has no series {unique_id!r} (it has {known})")
    elif all(c in columns for c in SINGLE_SERIES_COLUMNS):
        frame = pd.DataFrame(
            {
                UNIQUE_ID: unique_id or file.stem,
                DS: raw[columns["timestamp"]],
                Y: raw[columns["value"]],
            }
        )
    else:
        raise ForecastError(
            f"series file {str(file)!r} has columns {list(map(str, raw.columns))}: "
            "expected a header 'timestamp,value' (one series) or 'unique_id,ds,y' (many)"
        )
    if frame.empty:
        raise ForecastError(f"series file {str(file)!r} has no rows")
    return validate_frame(frame, what=f"series file {str(file)!r}")
