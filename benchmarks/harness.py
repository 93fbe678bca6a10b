"""Run a child process and measure it: wall time from start to exit, and its own peak RSS."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ChildRun", "run_child", "child_env", "ROOT", "PYTHON"]

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


@dataclass
class ChildRun:
    command: list[str]
    seconds: float
    peak_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)


def child_env() -> dict[str, str]:
    """The environment both the product and the reference run in (the same for both)."""
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # what the product sets for itself; the reference gets it too
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_child(command: list[str], timeout: float, env: dict[str, str] | None = None) -> ChildRun:
    """Start ``command``, wait for it with ``os.wait4`` and return its time and peak RSS.

    ``wait4`` gives the resource usage of that one child (``ru_maxrss``, in KiB
    on Linux), not the sum over all children as ``RUSAGE_CHILDREN`` would.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env=env or child_env())
        timer = threading.Timer(timeout, lambda: _kill(process.pid))
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(
            command=command, seconds=seconds, peak_rss_bytes=int(usage.ru_maxrss) * 1024,
            returncode=process.returncode, stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
