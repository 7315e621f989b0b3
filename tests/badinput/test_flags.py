"""Command-line numbers: non-finite or out-of-range values are exit 2 with the flag and the fix, never a traceback."""

from __future__ import annotations

import pytest
from cli_run import run_cli


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-3"])
@pytest.mark.parametrize("command", [["simulate", "--hours", "1"], ["whatif", "--traffic", "2x"]])
def test_time_limit_must_be_finite_and_positive(command: list[str], value: str) -> None:
    outcome = run_cli([*command, f"--time-limit={value}"])
    assert outcome.code == 2
    assert "--time-limit must be a finite number of seconds greater than 0" in outcome.err


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--replan-every", "0", "--replan-every must be a whole number of hours ≥ 1"),
        ("--replan-every", "-2", "--replan-every must be a whole number of hours ≥ 1"),
        ("--offset-hours", "-1", "--offset-hours must be 0 or more"),
        ("--price-time-scale", "nan", "--price-time-scale must be a finite number greater than 0"),
        ("--interruption-multiplier", "inf", "--interruption-multiplier must be a finite number 0 or more"),
        ("--provision-delay", "-5", "--provision-delay must be a finite number 0 or more"),
        ("--event", "3:2:nanx", "--event '3:2:nanx': write START:HOURS:Nx"),
        ("--event", "3:0:2x", "--event '3:0:2x': write START:HOURS:Nx"),
    ],
)
def test_simulate_refuses_out_of_range_numbers(flag: str, value: str, says: str) -> None:
    outcome = run_cli(["simulate", "--hours", "2", f"{flag}={value}"])
    assert outcome.code == 2 and says in outcome.err


def test_simulate_and_whatif_take_the_shared_backend_flag() -> None:
    assert run_cli(["simulate", "--backend", "nope"]).code == 2
    assert run_cli(["whatif", "--backend", "nope", "--traffic", "2x"]).code == 2
