"""`forecasting`: Prometheus/CSV traffic history → calibrated quantile forecasts → replica `Demand`.

Frames are long, with Nixtla's column names (`unique_id, ds, y`); forecast columns are named by
the model's alias (`<alias>` = median, `<alias>-hi-90` = q0.95; see `quantile_column`).
Never imports `placement` or `pricing`; scikit-learn is imported only when a model is fitted.
"""

from forecasting.backtest import ForecastModel, cross_validation, cutoffs
from forecasting.demand import Demand, replicas_needed, to_demand
from forecasting.errors import ForecastError, NotFittedError, PrometheusError
from forecasting.events import Event, events_from_records, load_events
from forecasting.frame import (
    CUTOFF,
    DS,
    UNIQUE_ID,
    Y,
    interpolate_gaps,
    quantile_column,
    regularize,
    validate_frame,
)
from forecasting.metrics import evaluate, pinball, summarize
from forecasting.model import Forecaster
from forecasting.naive import seasonal_naive
from forecasting.prometheus import RangeQueryClient, connect, load_usage
from forecasting.series_csv import load_csv
from forecasting.sources import demand_from_prometheus, demand_from_series

__all__ = [
    "CUTOFF",
    "DS",
    "UNIQUE_ID",
    "Demand",
    "Event",
    "ForecastError",
    "ForecastModel",
    "Forecaster",
    "NotFittedError",
    "PrometheusError",
    "RangeQueryClient",
    "Y",
    "connect",
    "cross_validation",
    "cutoffs",
    "demand_from_prometheus",
    "demand_from_series",
    "evaluate",
    "events_from_records",
    "interpolate_gaps",
    "load_csv",
    "load_events",
    "load_usage",
    "pinball",
    "quantile_column",
    "regularize",
    "replicas_needed",
    "seasonal_naive",
    "summarize",
    "to_demand",
    "validate_frame",
]
