"""One small comparison with hostile names, made once per test process and shared by the share tests.

Not a test module: the report, store, page and browser tests import :func:`hostile_record`.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from engine.run.record import RunRecord

SCRIPT_COLUMN = "<script>alert(1)</script>"
HOSTILE_NAME = "<b>q3</b> & <img src=x onerror=alert(2)>.csv"


def hostile_frame(rows: int = 120, seed: int = 0) -> pd.DataFrame:
    """A learnable table whose most useful column is named ``<script>alert(1)</script>``."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({SCRIPT_COLUMN: rng.normal(size=rows), "plain": rng.normal(size=rows)})
    frame["<i>colour</i>"] = rng.choice(["<b>red</b>", "=1+1", "blue"], size=rows)
    frame["label"] = np.where(frame[SCRIPT_COLUMN] + 0.3 * frame["plain"] > 0, "<u>yes</u>", "no")
    return frame


@functools.lru_cache(maxsize=1)
def hostile_record() -> RunRecord:
    """The record (no models) of one short comparison on :func:`hostile_frame` (a few seconds, once)."""
    from engine import Dataset, compare

    frame = hostile_frame()
    data = Dataset.from_frame(frame, name=HOSTILE_NAME)
    return compare(data, "label", max_seconds=2, shap_rows=10).record()
