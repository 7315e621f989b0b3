"""Child processes in their own process groups, stopped by group; readiness polling; free ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """One started binary; its output goes to `log`."""

    name: str
    args: Sequence[str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                list(self.args),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL it after `timeout_s`."""
        self.terminate()
        self.wait_stopped(timeout_s)

    def terminate(self) -> None:
        """SIGTERM the process group (see `wait_stopped`)."""
        self._signal(signal.SIGTERM)

    def wait_stopped(self, timeout_s: float = 10.0) -> None:
        """Wait for the group leader to exit; SIGKILL the group after `timeout_s`."""
        if self.popen is None:
            return
        try:
            self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.popen.wait(timeout=10)
        self._signal(signal.SIGKILL)  # anything the leader left behind in its group
        self.popen = None

    def _signal(self, sig: signal.Signals) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    process: Process | None = None,
    timeout_s: float = 60.0,
    poll_s: float = 0.25,
) -> None:
    """Poll `ready` until true; fail with the process's log tail when it exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and not process.running:
            raise RuntimeError(f"{process.name} exited while waiting for {what}:\n{process.tail()}")
        try:
            if ready():
                return
        except Exception:  # not up yet
            pass
        time.sleep(poll_s)
    raise RuntimeError(
        f"timed out after {timeout_s:.0f} s waiting for {what}" + (f":\n{process.tail()}" if process else "")
    )


def _die_with_parent() -> None:
    """In the child: be killed when the test process dies without stopping us (Linux prctl
    PR_SET_PDEATHSIG), so a killed test session leaves no control plane behind."""
    import ctypes

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
