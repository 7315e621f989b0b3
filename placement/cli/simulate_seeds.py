"""`placement simulate --seeds`: one replay per seed, fanned out per seed × strategy
(`placement.scaleout.replay_seeds`; Ray tasks with `--ray`), printed per seed like a single run."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from placement.cli.fanout import report_failures, runner_from_args, task_progress
from placement.exit_codes import ExitCode


def run_seeds(
    scenario: Any,
    catalog: Any,
    seeds: Sequence[int],
    strategies: Sequence[Any],
    args: argparse.Namespace,
    *,
    traffic: Mapping[str, Any] | None,
    prices: Any,
    events: Sequence[Any],
) -> int:
    from placement import scaleout
    from placement.cli.simulate_table import render_table
    from placement.simulate import OracleBoundViolation

    setup = scaleout.SeededReplay(
        hours=args.hours,
        history_h=args.history_hours,
        traffic_hours=args.hours + args.offset_hours,
        traffic=traffic,
        prices=prices,
        provision_delay_min=args.provision_delay,
        interruption_multiplier=args.interruption_multiplier,
        events=tuple(events),
    )
    total = len(seeds) * len(strategies)
    with runner_from_args(args) as runner, task_progress(total, f"replaying {len(seeds)} seeds") as tick:
        replays = scaleout.replay_seeds(scenario, catalog, seeds, strategies, setup=setup, runner=runner, progress=tick)
    runs = [(seed, replays.by_seed[seed]) for seed in seeds if seed in replays.by_seed]
    if args.output == "json":
        payload = {
            "scenario": scenario.name,
            "hours": args.hours,
            "seeds": list(seeds),
            "runs": [
                {"seed": seed, "interruptionEvents": len(r.interruption_events), "rows": r.rows()} for seed, r in runs
            ],
            "failed": [{"task": o.label, "error": o.error} for o in replays.failed],
        }
        sys.stdout.write(json.dumps(payload, indent=1) + "\n")
    else:
        for seed, result in runs:
            sys.stdout.write(
                render_table(
                    result.rows(),
                    f"simulate {scenario.name}: {result.hours} h, seed {seed}, "
                    f"{len(result.interruption_events)} spot reclaim events",
                )
            )
    code = report_failures(replays.failed)
    for seed, result in runs:
        try:
            result.check_oracle_bound()
        except OracleBoundViolation as error:
            print(f"error: seed {seed}: {error}", file=sys.stderr)
            code = max(code, ExitCode.CHANGES)
    return code
