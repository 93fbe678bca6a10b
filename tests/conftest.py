"""Shared fixtures: paths to the project and its sample data, small synthetic tables."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLE_DATA = ROOT / "sample_data"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def sample_paths() -> list[Path]:
    return sorted(SAMPLE_DATA.glob("*.csv"))


def make_signal_table(rows: int = 600, seed: int = 0, task: str = "binary") -> pd.DataFrame:
    """Eight features of which only ``signal_a`` and ``signal_b`` (and category ``colour``) drive the target."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"noise_{i}": rng.normal(size=rows) for i in range(5)})
    frame["signal_a"] = rng.normal(size=rows)
    frame["signal_b"] = rng.normal(size=rows)
    frame["colour"] = rng.choice(["red", "green", "blue"], size=rows)
    latent = 2.0 * frame["signal_a"] - 1.5 * frame["signal_b"] + frame["colour"].map({"red": 1.0, "green": 0.0, "blue": -1.0})
    if task == "regression":
        frame["target"] = latent + rng.normal(scale=0.1, size=rows)
    elif task == "multiclass":
        frame["target"] = pd.cut(latent, bins=[-np.inf, -1.0, 1.0, np.inf], labels=["low", "mid", "high"]).astype(str)
    else:
        frame["target"] = np.where(latent + rng.normal(scale=0.3, size=rows) > 0, "yes", "no")
    return frame


@pytest.fixture(scope="session")
def signal_table() -> pd.DataFrame:
    return make_signal_table()


@pytest.fixture(autouse=True)
def _one_split_verdicts(monkeypatch):
    """Comparisons in tests decide on one split: repeated splits on small data add 5-25 s per comparison.

    tests/test_small_data_verdict.py turns them back on (and the CLI tests, in
    child processes, run them as users do).
    """
    from engine import thresholds

    monkeypatch.setattr(thresholds, "SMALL_DATA_ROWS", 0)
