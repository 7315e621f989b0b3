"""`placement simulate`: replay traffic, prices and spot interruptions through five strategies.

    placement simulate [--scenario FILE] [--traces DIR|CSV] [--assign WORKLOAD=SERIES ...] --hours N --seed S
                       [--prices synthetic|constant|FILE.csv] [--replan-every H] [--event START:HOURS:Nx]
                       [--time-limit S] [--backend highs|scip|cp-sat] [-o table|json]
    placement simulate --seeds 0-7 [--ray | --ray-address ADDRESS] ...    # many seeds, one task per seed × strategy

Without --traces every workload gets seeded synthetic diurnal traffic (offline demo). A traces CSV
or directory is read with `forecasting.load_csv` (`timestamp,value` per file, or `unique_id,ds,y`);
series are matched to workloads by name (`namespace__name`, `name`) or by --assign. A prices CSV
has columns time,cloud,region,instance_type,capacity_type,hourly_usd (step changes of offers).
With --seeds every seed draws its own synthetic traffic (unless --traces), spot walk (--prices
synthetic) and interruptions; the runs fan out over `placement.scaleout` (on Ray with --ray) and
give the same figures as running each seed alone. A failed task prints which seed and strategy.
Exit 0; 2 on invalid input; 1 if a strategy beat the oracle (the accounting would be inconsistent).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from placement.cli.flags import (
    add_output_flag,
    add_ray_flags,
    add_scenario_flag,
    add_solver_flags,
    load_from_args,
    time_limit_problem,
)
from placement.errors import PlacementError

STRATEGIES = ("placement", "static", "reactive", "spot-first", "oracle")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "simulate",
        help="replay traffic, prices and interruptions through the planner and baselines",
        description="Hour-by-hour replay: forecast → plan (the same solve()) → realized demand → "
        "interruptions and provisioning delays → cost, unserved demand, latency, residency, churn; "
        "for this planner, static on-demand, reactive autoscaling, spot-first and a hindsight oracle.",
    )
    add_scenario_flag(parser)
    parser.add_argument("--traces", type=Path, metavar="DIR|CSV", help="traffic traces (default: synthetic, seeded)")
    parser.add_argument(
        "--assign",
        action="append",
        default=[],
        metavar="WORKLOAD=SERIES",
        help="drive a workload with a series (file stem or unique_id), e.g. shop/frontend=nab_nyc_taxi_30min",
    )
    parser.add_argument("--hours", type=int, default=72, help="replayed hours (default 72)")
    parser.add_argument("--history-hours", type=int, default=7 * 24, help="history before the run, for forecasts (168)")
    parser.add_argument("--offset-hours", type=int, default=0, help="skip this many hours at the start of the traces")
    parser.add_argument("--seed", type=int, default=0, help="seed for synthetic traffic/prices and interruptions")
    parser.add_argument("--seeds", metavar="LIST", help="replay many seeds instead, e.g. 0-7 or 1,5,9 (see --ray)")
    parser.add_argument(
        "--prices",
        default="constant",
        metavar="constant|synthetic|FILE.csv",
        help="price history: constant (the scenario's catalog), synthetic (seeded spot walk) or a CSV",
    )
    parser.add_argument(
        "--price-start", default=None, metavar="TIME", help="history time of hour 0 (default: first row)"
    )
    parser.add_argument("--price-time-scale", type=float, default=1.0, help="history hours replayed per simulated hour")
    parser.add_argument("--replan-every", type=int, default=6, metavar="H", help="planner re-plans every H hours (6)")
    add_solver_flags(parser, time_limit_help="solver time limit per plan (5 s)", time_limit_default_s=5.0)
    parser.add_argument("--interruption-multiplier", type=float, default=1.0, help="× every spot interruption rate")
    parser.add_argument(
        "--provision-delay", type=float, default=5.0, metavar="MIN", help="minutes to launch capacity (5)"
    )
    parser.add_argument(
        "--event",
        action="append",
        default=[],
        metavar="START:HOURS:Nx",
        help="declared traffic event, e.g. 30:6:20x (hours 30–35 at 20×); add :surprise if undeclared",
    )
    parser.add_argument(
        "--strategies", default=",".join(STRATEGIES), help=f"comma-separated subset of {', '.join(STRATEGIES)}"
    )
    add_ray_flags(parser)
    add_output_flag(parser, ("table", "json"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from placement import simulate as sim
    from placement.cli.simulate_table import render_table
    from placement.load.catalog import catalog_for

    problem = time_limit_problem(args) or _count_problem(args)
    if problem:
        raise PlacementError(problem)
    seeds = parse_seeds(args.seeds) if args.seeds is not None else None
    if seeds is None and (args.ray or args.ray_address):
        raise PlacementError("--ray replays many seeds: add --seeds, e.g. --seeds 0-7")
    scenario = load_from_args(args)
    catalog = catalog_for(scenario).catalog
    traffic = _traffic(args, scenario) if seeds is None or args.traces is not None else None
    prices = _prices(args, catalog)
    events = [parse_event(spec) for spec in args.event]
    strategies = _strategies(args)
    if seeds is not None:
        from placement.cli.simulate_seeds import run_seeds

        return run_seeds(
            scenario,
            catalog,
            seeds,
            strategies,
            args,
            traffic=traffic,
            prices=prices if args.prices not in ("constant", "synthetic") else args.prices,
            events=events,
        )
    config = sim.SimulationConfig(
        hours=args.hours,
        provision_delay_min=args.provision_delay,
        interruptions=sim.InterruptionModel(seed=args.seed, rate_multiplier=args.interruption_multiplier),
    )
    with _progress(len(strategies) * args.hours) as tick:
        result = sim.simulate(scenario, traffic, prices, strategies, config=config, events=events, progress=tick)
    rows = result.rows()
    if args.output == "json":
        payload = {
            "scenario": scenario.name,
            "hours": result.hours,
            "seed": args.seed,
            "interruptionEvents": len(result.interruption_events),
            "rows": rows,
        }
        sys.stdout.write(json.dumps(payload, indent=1) + "\n")
    else:
        sys.stdout.write(
            render_table(
                rows,
                f"simulate {scenario.name}: {result.hours} h, seed {args.seed}, "
                f"{len(result.interruption_events)} spot reclaim events",
            )
        )
    result.check_oracle_bound()
    return 0


def _count_problem(args: argparse.Namespace) -> str | None:
    """The error for an hour count or factor out of range, else None (checked before any work)."""
    if args.hours < 1 or args.history_hours < 24:
        return f"--hours {args.hours} / --history-hours {args.history_hours}: need ≥ 1 and ≥ 24"
    if args.offset_hours < 0:
        return f"--offset-hours must be 0 or more (got {args.offset_hours})"
    if args.replan_every < 1:
        return f"--replan-every must be a whole number of hours ≥ 1 (got {args.replan_every}); e.g. --replan-every 6"
    for flag, value in (
        ("--price-time-scale", args.price_time_scale),
        ("--interruption-multiplier", args.interruption_multiplier),
        ("--provision-delay", args.provision_delay),
    ):
        if not math.isfinite(value) or value < 0 or (flag == "--price-time-scale" and value == 0):
            bound = "greater than 0" if flag == "--price-time-scale" else "0 or more"
            return f"{flag} must be a finite number {bound} (got {value:g})"
    return None


def _traffic(args: argparse.Namespace, scenario: Any) -> Any:
    from placement import simulate as sim

    if args.traces is None:
        if args.assign:
            raise PlacementError("--assign needs --traces (the series to assign)")
        return sim.synthetic_traffic(
            scenario, hours=args.hours + args.offset_hours, history_h=args.history_hours, seed=args.seed
        )
    series = sim.load_traces(args.traces)
    assign = {}
    for spec in args.assign:
        workload, sep, sid = spec.partition("=")
        if not sep or not workload or not sid:
            raise PlacementError(f"--assign {spec!r}: write WORKLOAD=SERIES, e.g. shop/frontend=nab_nyc_taxi_30min")
        try:
            assign[scenario.workload(workload).key] = sid
        except KeyError:
            raise PlacementError(f"--assign {spec!r}: no workload {workload!r} in scenario {scenario.name}") from None
    matched = sim.match_traces(scenario, series, assign)
    if not matched:
        raise PlacementError(
            f"--traces {str(args.traces)!r}: no series matches a workload; name files after workloads "
            f"(e.g. {scenario.workloads[0].key.replace('/', '__')}.csv) or use --assign"
        )
    return sim.bind_traffic(
        scenario, matched, hours=args.hours, history_h=args.history_hours, offset_h=args.offset_hours
    )


def _prices(args: argparse.Namespace, catalog: Any) -> Any:
    from placement import simulate as sim

    if args.prices == "constant":
        return sim.PriceHistory.constant(catalog)
    if args.prices == "synthetic":
        return sim.PriceHistory.synthetic_spot(catalog, hours=args.hours, seed=args.seed)
    import pandas as pd

    path = Path(args.prices)
    if not path.is_file():
        raise PlacementError(f"--prices {args.prices!r}: not constant, synthetic or an existing CSV file")
    try:
        frame = pd.read_csv(path)
    except UnicodeDecodeError as error:
        raise PlacementError(
            f"--prices {args.prices!r}: not UTF-8 text (byte {error.start}); save the CSV as UTF-8"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise PlacementError(
            f"--prices {args.prices!r}: not a readable CSV ({error}); needs columns {', '.join(sim.FRAME_COLUMNS)}"
        ) from None
    if "time" not in frame.columns or frame.empty:
        raise PlacementError(f"--prices {args.prices!r}: needs columns {', '.join(sim.FRAME_COLUMNS)}")
    try:
        start = pd.Timestamp(args.price_start) if args.price_start else pd.to_datetime(frame["time"], utc=True).min()
    except (ValueError, TypeError) as error:
        raise PlacementError(
            f"--price-start / the time column of {args.prices!r}: not a time ({error}); "
            "write ISO times such as 2025-03-01T00:00Z"
        ) from None
    return sim.PriceHistory.from_frame(
        catalog, frame, start=start.to_pydatetime(), hours=args.hours, time_scale=args.price_time_scale
    )


def _strategies(args: argparse.Namespace) -> list[Any]:
    from placement import simulate as sim

    wanted = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STRATEGIES]
    if unknown or not wanted:
        raise PlacementError(f"--strategies {args.strategies!r}: choose from {', '.join(STRATEGIES)}")
    every = sim.default_strategies(replan_every_h=args.replan_every, time_limit_s=args.time_limit, backend=args.backend)
    return [s for s in every if s.name in wanted]


def parse_seeds(text: str) -> list[int]:
    """`0-7` or `1,5,9` (or both, `0-3,10`) → the seeds, in the order given, without repeats."""
    seeds: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            low, dash, high = part.partition("-")
            span = range(int(low), int(high) + 1) if dash else [int(part)]
            seeds.extend(s for s in span if s not in seeds)
    except ValueError:
        raise PlacementError(f"--seeds {text!r}: write a range or a list of whole numbers, e.g. 0-7 or 1,5,9") from None
    if not seeds or min(seeds) < 0 or len(seeds) > 10_000:
        raise PlacementError(f"--seeds {text!r}: give 1 to 10000 seeds ≥ 0, e.g. 0-7")
    return seeds


def parse_event(spec: str) -> Any:
    """`START:HOURS:Nx[:surprise]` → a `TrafficEvent` (declared unless `:surprise`)."""
    from placement.simulate import TrafficEvent

    parts = spec.split(":")
    try:
        start, hours, factor = int(parts[0]), int(parts[1]), float(parts[2].lower().removesuffix("x"))
        if start < 0 or hours < 1 or not (math.isfinite(factor) and factor >= 0):
            raise ValueError(spec)
    except (IndexError, ValueError):
        raise PlacementError(
            f"--event {spec!r}: write START:HOURS:Nx with START ≥ 0, HOURS ≥ 1 and a finite N ≥ 0, "
            "e.g. 30:6:20x (add :surprise if undeclared)"
        ) from None
    surprise = len(parts) > 3 and parts[3] == "surprise"
    return TrafficEvent(start, hours, factor, declared=not surprise, name=spec)


def _progress(total: int) -> Any:
    """A rich progress bar on stderr (people only: a TTY); yields the engine's progress callback."""
    if not sys.stderr.isatty():
        return nullcontext(None)
    from contextlib import contextmanager

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from placement.report.console import plain_console

    @contextmanager
    def bar() -> Any:
        with Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=plain_console(stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task("simulating", total=total)

            def tick(strategy: str, hour: int) -> None:
                progress.update(task, advance=1, description=f"simulating {strategy}")

            yield tick

    return bar()
