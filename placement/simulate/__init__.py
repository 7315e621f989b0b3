"""`placement.simulate`: replay traffic, prices and spot interruptions hour by hour through strategies.

    traffic = synthetic_traffic(scenario, hours=72)            # or bind_traffic(scenario, load_traces(dir), ...)
    prices = PriceHistory.synthetic_spot(catalog, hours=72)    # or PriceHistory.from_frame(catalog, history, ...)
    result = simulate(scenario, traffic, prices, default_strategies())
    result.rows()                                              # cost, savings vs static, served slots, p95, ...

The planner strategy calls the same `solve()` as `placement plan`; the oracle (perfect forecast,
`solve()`'s plan each hour, no delays or interruptions) is the reference every run is checked
against. Compute is node-true: each hour's running replicas are packed onto whole nodes per
cluster × capacity-type pool and billed in node-hours (`engine`, which also says what the oracle
proves: `Oracle.bound_usd` is a lower bound; the oracle's own cost is checked, not proven, minimal).
"""

from placement.simulate.engine import Progress, SimulationConfig, simulate
from placement.simulate.fleet import Fleet, WorkloadGeo, home_cluster
from placement.simulate.forecast import DemandForecast, GlobalModelForecast, SeasonalNaiveForecast, forecast_replicas
from placement.simulate.interruptions import InterruptionDraws, InterruptionModel, hourly_probability
from placement.simulate.price_history import FRAME_COLUMNS, PriceChange, PriceHistory
from placement.simulate.protocol import Behaviour, Placement, SlotView, Strategy
from placement.simulate.results import (
    TABLE_COLUMNS,
    LatencySamples,
    OracleBoundViolation,
    SimulationResult,
    StrategyResult,
    format_rows,
    weighted_percentile,
)
from placement.simulate.routing import Served, autoscale, route
from placement.simulate.strategies import (
    Oracle,
    PlannerStrategy,
    ReactiveOnDemand,
    SpotFirst,
    StaticOnDemand,
    default_strategies,
    plan_placement,
    resized,
)
from placement.simulate.trace import (
    HourlySeries,
    SyntheticShape,
    TrafficEvent,
    WorkloadTraffic,
    bind_traffic,
    load_prometheus_traces,
    load_traces,
    match_traces,
    scaled,
    synthetic_traffic,
    to_hourly,
    with_events,
)

__all__ = [
    "FRAME_COLUMNS",
    "TABLE_COLUMNS",
    "Behaviour",
    "DemandForecast",
    "Fleet",
    "GlobalModelForecast",
    "HourlySeries",
    "InterruptionDraws",
    "InterruptionModel",
    "LatencySamples",
    "Oracle",
    "OracleBoundViolation",
    "Placement",
    "PlannerStrategy",
    "PriceChange",
    "PriceHistory",
    "Progress",
    "ReactiveOnDemand",
    "SeasonalNaiveForecast",
    "Served",
    "SimulationConfig",
    "SimulationResult",
    "SlotView",
    "SpotFirst",
    "StaticOnDemand",
    "Strategy",
    "StrategyResult",
    "SyntheticShape",
    "TrafficEvent",
    "WorkloadGeo",
    "WorkloadTraffic",
    "autoscale",
    "bind_traffic",
    "default_strategies",
    "forecast_replicas",
    "format_rows",
    "home_cluster",
    "hourly_probability",
    "load_prometheus_traces",
    "load_traces",
    "match_traces",
    "plan_placement",
    "resized",
    "route",
    "scaled",
    "simulate",
    "synthetic_traffic",
    "to_hourly",
    "weighted_percentile",
    "with_events",
]
