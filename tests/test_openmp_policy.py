"""Idle OpenMP threads must sleep in every entry point: the dashboard's server loads torch at start-up
(to fix its thread count) before any comparison, and spinning pools made its training 20-30x slower."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_first_import_of_any_engine_module_sets_a_passive_wait_policy_before_torch_loads() -> None:
    probe = (
        "import os, sys\n"
        "import engine.models.torch_base\n"  # what views/state imports first: torch loads here
        "assert 'torch' in sys.modules\n"
        "print(os.environ['OMP_WAIT_POLICY'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    shown = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert shown.stdout.strip() == "PASSIVE"


def test_a_users_own_wait_policy_wins() -> None:
    env = dict(os.environ, OMP_WAIT_POLICY="ACTIVE")
    shown = subprocess.run([sys.executable, "-c", "import engine, os; print(os.environ['OMP_WAIT_POLICY'])"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert shown.stdout.strip() == "ACTIVE", shown.stderr[-2000:]
