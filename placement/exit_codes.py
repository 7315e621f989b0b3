"""The exit codes of every `placement` command, in one place (README "Exit codes").

`pricing` and `forecasting` never import `placement`: their errors carry the same numbers as plain
ints (2 bad input, 4 broken environment), and the CLI reads them through `ExitCode`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHANGES = 1  # diff / validate / prices diff: differences or violations found
    INVALID = 2  # bad input: the message names the field, the value and the fix
    UNPLACED = 3  # some workloads could not be placed
    ENVIRONMENT = 4  # price fetch, cluster, Prometheus: the environment failed
    GUARD = 5  # placement run: a guard refused the plan
    STALE_PRICES = 6  # placement run: prices stale or unavailable
    METRICS = 7  # placement run: the run succeeded but its metrics were not pushed
    INTERRUPTED = 130  # Ctrl-C

    INTERNAL = 1  # placement run: an unexpected error (alias of CHANGES' number; run never diffs)
