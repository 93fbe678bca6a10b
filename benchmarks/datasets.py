"""Seeded synthetic tables: 20 mixed numeric and categorical columns and a binary target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import budgets

__all__ = ["make_mixed_table", "write_mixed_table"]

N_NUMERIC = 14
CATEGORY_LEVELS = (3, 4, 5, 6, 8, 12)  # six categorical columns


def make_mixed_table(rows: int, seed: int = budgets.SEED, columns: int = budgets.COLUMNS) -> pd.DataFrame:
    """``columns`` features (14 numeric, 6 categorical for the default 20) and a ``target``.

    The target mixes linear, interaction and non-linear effects of a few
    numeric columns and two categories, plus noise, so neither family wins
    by construction. About 2% of numeric values are missing.
    """
    rng = np.random.default_rng(seed)
    n_categorical = min(len(CATEGORY_LEVELS), max(columns - N_NUMERIC, 0))
    n_numeric = columns - n_categorical
    data: dict[str, np.ndarray] = {}
    for i in range(n_numeric):
        data[f"num_{i:02d}"] = rng.normal(size=rows)
    for i, levels in enumerate(CATEGORY_LEVELS[:n_categorical]):
        data[f"cat_{i}"] = rng.choice([f"level_{j}" for j in range(levels)], size=rows)
    frame = pd.DataFrame(data)
    numeric = frame[[c for c in frame if c.startswith("num_")]].to_numpy()
    latent = 1.5 * numeric[:, 0] - numeric[:, 1 % n_numeric]
    if n_numeric >= 5:
        latent += 0.8 * numeric[:, 2] * numeric[:, 3] + np.sin(2.0 * numeric[:, 4])
    if n_categorical >= 2:
        latent += frame["cat_0"].map({"level_0": 1.0, "level_1": 0.0, "level_2": -1.0}).to_numpy()
        latent += 0.5 * (frame["cat_1"] == "level_1").to_numpy()
    frame["target"] = np.where(latent + rng.normal(scale=0.7, size=rows) > 0, "yes", "no")
    holes = rng.random(size=numeric.shape) < 0.02
    for i, name in enumerate(c for c in frame if c.startswith("num_")):
        frame.loc[holes[:, i], name] = np.nan
    return frame


def write_mixed_table(rows: int, directory: Path, seed: int = budgets.SEED) -> Path:
    path = Path(directory) / f"mixed_{rows}x{budgets.COLUMNS}.csv"
    if not path.exists():
        make_mixed_table(rows, seed).to_csv(path, index=False)
    return path
