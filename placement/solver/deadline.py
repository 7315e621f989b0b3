"""The wall-clock budget of one `solve()`: the deadline every step checks before it starts, and
the (smaller) time limits handed to backends so that one overrunning its own limit cannot push the
whole solve past ours.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: Backends get this share of what is left: HiGHS and SCIP check their clocks only between
#: iterations/nodes and MathOpt adds model-copy time, so a backend told "1 s" may take a bit more.
BACKEND_SHARE = 0.8


class Budget:
    """Seconds left until the deadline, minus a reserve kept for assembling the plan."""

    def __init__(
        self,
        limit_s: float,
        *,
        reserve_s: float = 0.0,
        started: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._clock = clock
        self._started = clock() if started is None else started
        self._deadline = self._started + max(limit_s, 0.0) - reserve_s
        self.ran_out = False  # set when a step was skipped or cut short for lack of time

    def elapsed_s(self) -> float:
        return self._clock() - self._started

    def left_s(self) -> float:
        return self._deadline - self._clock()

    def expired(self) -> bool:
        """True once the deadline has passed (and remembers that time ran out)."""
        if self.left_s() <= 0:
            self.ran_out = True
            return True
        return False

    def backend_limit_s(self, share: float = 1.0) -> float:
        """A time limit for one backend call that ends well before the deadline."""
        left = self.left_s()
        if left <= 0:
            self.ran_out = True
        return max(left * min(share, 1.0) * BACKEND_SHARE, 0.01)

    def note(self, status: str) -> None:
        """Record a backend's status: stopping with an unproved solution, or none, means its time limit cut it."""
        if status in ("feasible", "no-solution"):
            self.ran_out = True
