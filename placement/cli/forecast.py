"""`placement forecast`: backtest the forecaster on history, or forecast traffic (and replicas) ahead.

    placement forecast backtest --input FILE.csv [--freq 30min] --horizon 48 --windows 7 --quantiles 0.5,0.95 -o json|table
    placement forecast predict  (--prometheus URL --query Q | --input FILE.csv) --horizon 48 [--per-replica N] -o json|table
                                [--series-per-task 1000] [--ray | --ray-address ADDRESS]

`predict` fits one model per partition of `--series-per-task` series (sorted by id), sequentially or
as Ray tasks (`placement.scaleout`); the forecasts are the same either way, and a failed partition
prints which series it held and why while the others' rows still print.
Rows carry one column per quantile, named `q<quantile>` (`q0.5`, `q0.95`). Errors from `forecasting`
print one `error: ...` line and exit 2 (bad input, bad or empty query) or 4 (Prometheus down, slow, failing).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from placement.cli.fanout import report_failures, runner_from_args, task_progress
from placement.cli.flags import add_output_flag, add_ray_flags
from placement.exit_codes import ExitCode

OUTPUTS = ("table", "json")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "forecast",
        help="forecast traffic ahead of placement (backtest | predict)",
        description="Calibrated quantile forecasts of traffic series, and the replicas they need.",
    )
    actions = parser.add_subparsers(dest="forecast_command", metavar="ACTION", required=True)

    backtest = actions.add_parser("backtest", help="rolling-origin backtest on a CSV: rows + MASE, pinball, coverage")
    backtest.add_argument("--input", required=True, metavar="FILE.csv", help="'timestamp,value' or 'unique_id,ds,y'")
    backtest.add_argument("--windows", type=int, default=7, help="rolling origins (default 7)")
    backtest.add_argument("--step-size", type=int, default=None, help="slots between origins (default: horizon)")
    _common(backtest)
    backtest.set_defaults(func=run_backtest)

    predict = actions.add_parser("predict", help="forecast the next horizon from Prometheus or a CSV")
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument("--prometheus", metavar="URL", help="Prometheus base URL, e.g. http://prometheus:9090")
    source.add_argument("--input", metavar="FILE.csv", help="'timestamp,value' or 'unique_id,ds,y'")
    predict.add_argument(
        "--query", metavar="PROMQL", help="range query, e.g. sum by (namespace,deployment) (rate(...))"
    )
    predict.add_argument(
        "--history-days", type=float, default=28.0, help="history to read from Prometheus (default 28)"
    )
    predict.add_argument("--end", default=None, metavar="TIME", help="end of the history to read (default: now, UTC)")
    predict.add_argument("--id-labels", default=None, help="labels naming a series, e.g. namespace,deployment")
    predict.add_argument("--counter", action="store_true", help="the query returns raw counters: convert to rates")
    predict.add_argument("--timeout", type=float, default=30.0, help="seconds per Prometheus request (default 30)")
    predict.add_argument("--per-replica", type=float, default=None, help="load one replica handles: also size replicas")
    predict.add_argument("--headroom", type=float, default=0.0, help="extra fraction over the forecast (0.1 = 10%%)")
    predict.add_argument(
        "--series-per-task",
        type=int,
        default=None,
        metavar="N",
        help="series per model fit, one task each (default 1000; fewer series: one global model)",
    )
    add_ray_flags(predict)
    _common(predict)
    predict.set_defaults(func=run_predict)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--freq", default="30min", help="slot length (default 30min)")
    parser.add_argument("--horizon", type=int, default=48, help="slots ahead (default 48 = one day of 30 min)")
    parser.add_argument("--quantiles", default="0.5,0.95", help="comma-separated (default 0.5,0.95)")
    parser.add_argument("--events", default=None, metavar="FILE.csv", help="declared events: name,start,end,multiplier")
    add_output_flag(parser, OUTPUTS)


def run_backtest(args: argparse.Namespace) -> int:
    import forecasting as fc

    def work() -> int:
        quantiles = _quantiles(args.quantiles)
        if args.windows < 1:
            raise fc.ForecastError(f"--windows {args.windows}: use 1 or more")
        history = fc.load_csv(args.input)
        model = fc.Forecaster(freq=args.freq, horizon=args.horizon, quantiles=quantiles, events=_events(args))
        cv = fc.cross_validation(
            model, history, h=args.horizon, n_windows=args.windows, step_size=args.step_size, freq=args.freq
        )
        regular = fc.regularize(history, args.freq)
        from forecasting.frame import steps_per_day, to_step

        season = steps_per_day(to_step(args.freq))
        scores = fc.evaluate(
            cv, regular, models=[model.alias], quantiles=quantiles, season=season, coverage_quantile=max(quantiles)
        )
        rows = _rows(cv, model.alias, quantiles, with_cutoff=True)
        by_series = scores.drop(columns="model").to_dict("records")
        mean = {k: _number(v) for k, v in scores[["mase", "pinball", "coverage"]].mean().items()}
        metrics = {"coverageQuantile": max(quantiles), "bySeries": _clean(by_series), "mean": mean}
        if args.output == "json":
            _write_json({"rows": rows, "metrics": metrics})
        else:
            _table(f"backtest {args.input}: {args.windows} windows × {args.horizon} slots", rows)
            _table(
                "metrics (MASE and pinball scaled by in-sample one-day seasonal-naive MAE; coverage of "
                f"q{max(quantiles):g})",
                [*_clean(by_series), {"unique_id": "mean", **mean}],
            )
        return 0

    return _guarded(work)


def run_predict(args: argparse.Namespace) -> int:
    import forecasting as fc

    def work() -> int:
        quantiles = _quantiles(args.quantiles)
        if args.prometheus is not None:
            if not args.query:
                raise fc.ForecastError("--prometheus needs --query PROMQL (the series to forecast)")
            client = fc.connect(args.prometheus, timeout_s=args.timeout)
            end = _end_time(args.end)
            history = fc.load_usage(
                client,
                args.query,
                start=end - pd.Timedelta(days=args.history_days),
                end=end,
                step=args.freq,
                id_labels=_labels(args.id_labels),
                counter=args.counter,
            )
            label = f"prometheus {args.prometheus} {args.query!r}"
        else:
            history = fc.load_csv(args.input)
            label = f"series file {args.input}"
        model = fc.Forecaster(freq=args.freq, horizon=args.horizon, quantiles=quantiles, events=_events(args))
        forecast, fallback_ids, failed = _partitioned(history, model, args)
        payload: dict[str, Any] = {"rows": _rows(forecast, model.alias, quantiles, with_cutoff=False)}
        if fallback_ids:
            print(f"note: seasonal-naive for short histories: {', '.join(fallback_ids)}", file=sys.stderr)
        if args.per_replica is not None:
            demands = fc.to_demand(
                forecast, max(quantiles), args.per_replica, args.headroom, alias=model.alias, label=label
            )
            payload["demand"] = [
                {
                    "workload": d.workload,
                    "quantile": d.quantile,
                    "peakReplicas": d.peak_replicas,
                    "replicasBySlot": list(d.replicas_by_slot),
                    "slotStart": d.slot_start.isoformat(),
                    "slotSeconds": d.slot_seconds,
                    "source": d.source,
                }
                for d in demands.values()
            ]
        if args.output == "json":
            _write_json(payload)
        else:
            _table(f"forecast, next {args.horizon} slots of {args.freq}", payload["rows"])
            if "demand" in payload:
                _table("replicas", [{k: v for k, v in d.items() if k != "replicasBySlot"} for d in payload["demand"]])
        return report_failures(failed)

    return _guarded(work)


def _partitioned(
    history: pd.DataFrame, model: Any, args: argparse.Namespace
) -> tuple[pd.DataFrame, list[str], tuple[Any, ...]]:
    """Fit and predict per partition of series (`placement.scaleout.forecast_series`): the forecast
    of the partitions that finished, their seasonal-naive series, and the failed partitions."""
    import forecasting as fc
    from placement import scaleout

    per_task = scaleout.SERIES_PER_TASK if args.series_per_task is None else args.series_per_task
    if per_task < 1:
        raise fc.ForecastError(f"--series-per-task {per_task}: use 1 or more series per task")
    table = scaleout.SeriesTable.of(history)
    count = len(table.partitions(per_task))
    with runner_from_args(args) as runner, task_progress(count, f"forecasting {count} partitions") as tick:
        fanout = scaleout.forecast_series(
            table, forecaster=model, h=args.horizon, series_per_task=per_task, runner=runner, progress=tick
        )
    done = fanout.succeeded
    if not done:
        report_failures(fanout.failed)
        raise fc.ForecastError(f"every partition failed ({fanout.failed[0].error})")
    return scaleout.frame_of(done), [i for p in done for i in p.fallback_ids], fanout.failed


def _guarded(work: Any) -> int:
    from forecasting import ForecastError

    try:
        return int(work())
    except ForecastError as error:
        print(f"error: {error}", file=sys.stderr)
        return int(getattr(error, "exit_code", ExitCode.INVALID))


def _quantiles(text: str) -> tuple[float, ...]:
    from forecasting import ForecastError

    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise ForecastError(f"--quantiles {text!r}: use comma-separated numbers in (0, 1), e.g. 0.5,0.95") from error
    if not values or not all(0 < q < 1 for q in values):
        raise ForecastError(f"--quantiles {text!r}: use comma-separated numbers in (0, 1), e.g. 0.5,0.95")
    return tuple(sorted(set(values) | {0.5}))


def _end_time(text: str | None) -> datetime:
    from forecasting import ForecastError

    if text is None:
        return datetime.now(UTC)
    try:
        stamp = pd.Timestamp(text)
    except ValueError as error:
        raise ForecastError(f"--end {text!r} is not a time: use e.g. 2025-01-09T00:00Z") from error
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()


def _labels(text: str | None) -> tuple[str, ...] | None:
    return tuple(p.strip() for p in text.split(",") if p.strip()) if text else None


def _events(args: argparse.Namespace) -> tuple[Any, ...]:
    from forecasting import load_events

    return load_events(args.events) if args.events else ()


def _rows(frame: pd.DataFrame, alias: str, quantiles: Sequence[float], *, with_cutoff: bool) -> list[dict[str, Any]]:
    from forecasting import quantile_column

    keys = ["unique_id", *(["cutoff"] if with_cutoff else []), "ds", *(["y"] if with_cutoff else [])]
    out = frame[keys].copy()
    for column in ("cutoff", "ds"):
        if column in out:
            out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    for q in quantiles:
        out[f"q{q:g}"] = frame[quantile_column(alias, q)].to_numpy()
    return _clean(out.to_dict("records"))


def _number(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, float | int) and not isinstance(value, bool):
        return None if isinstance(value, float) and not math.isfinite(value) else round(float(value), 6)
    return value


def _clean(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{str(k): _number(v) for k, v in record.items()} for record in records]


def _write_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, indent=1) + "\n")


def _table(title: str, rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from placement.report.console import plain_console

    table = Table(title=title)
    columns = list(rows[0]) if rows else []
    for column in columns:
        table.add_column(column, justify="right" if column not in ("unique_id", "workload", "source") else "left")
    for row in rows:
        table.add_row(
            *("" if row[c] is None else f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c]) for c in columns)
        )
    plain_console(width=200).print(table)
