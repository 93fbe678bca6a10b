"""Every cap that keeps one user's data from taking the machine, in one place, and the sampling it implies.

A hosted dashboard meets files of every size from strangers at the same time.
These numbers bound what one comparison may use; each is explained where it is
defined. Where a cap can be met by sampling instead of refusing (rows), the
data is sampled and the result says so in a note; where sampling would change
the question (columns, classes), the data is refused with one sentence.

:func:`sample_for_training` is the one place that samples large tables.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "MAX_UPLOAD_BYTES",
    "MAX_UNPACKED_FACTOR",
    "MAX_ROWS",
    "MAX_COLUMNS",
    "MAX_CATEGORIES_PER_COLUMN",
    "MAX_CLASSES",
    "MAX_ABS_NUMBER",
    "MAX_COMPARE_ROWS",
    "MAX_TRAIN_ROWS_ENV",
    "CLUSTER_MAX_TRAIN_ROWS",
    "max_train_rows",
    "MAX_TRAIN_SECONDS",
    "MAX_TRAIN_SECONDS_ENV",
    "CLUSTER_MAX_TRAIN_SECONDS",
    "max_train_seconds",
    "env_number",
    "MAX_SHAP_ROWS",
    "DEADLINE_OVERHEAD_SECONDS",
    "Sample",
    "sample_for_training",
    "clamp",
]

#: Bytes a CSV may have; larger files are refused before they are read.
#: 200 MiB, the same as ``server.maxUploadSize`` in ``.streamlit/config.toml``
#: (Streamlit's own default), so the uploader and the engine agree.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024

#: A packed upload (a workbook's XML, a Parquet file's compressed columns) may unpack to at most this many times
#: MAX_UPLOAD_BYTES, as it declares it; beyond, it is refused before it is read.
MAX_UNPACKED_FACTOR = 20

#: Data rows a file may have; longer files are refused after reading this many.
#: Training uses at most MAX_COMPARE_ROWS of them anyway; the cap bounds the
#: memory of the parse itself: 5 million rows of 20 columns take ~1.5 GB as a
#: DataFrame, and a 200 MB file of two short numbers a line could hold 50 million.
MAX_ROWS = 5_000_000

#: Columns a table may have; wider tables are refused. 10,000 admits gene-expression,
#: sensor and survey tables: profiling is vectorised over numeric columns, the fast
#: explainers cost linear in the columns (the deep explainer holds a rows x features
#: x outputs array: 2,000 rows x 10,000 x 1 output is 160 MB), and the shared
#: explainer (2 x features + 1 model calls per row) stops at
#: thresholds.SHAP_SHARED_MAX_COLUMNS. 300 x 10,000 is timed by benchmarks/wide.py.
MAX_COLUMNS = 10_000

#: Categories of one categorical column that get their own one-hot feature; the
#: rest share one "infrequent" feature (engine.profile.features). Bounds the width of
#: the encoded matrix to 30 x the categorical columns, whatever their cardinality.
MAX_CATEGORIES_PER_COLUMN = 30

#: Classes a classification target may have. Each class costs LightGBM one tree
#: per boosting round and SHAP one output per explained row: 100 classes of 2
#: rows took 38-56 s for a 200-row table. Beyond 50 classes a target is more
#: likely an identifier or a free label than a class to predict.
MAX_CLASSES = 50

#: Numbers whose magnitude is at least this are read as missing, like ``inf``:
#: float32 (the network's input type) cannot hold them (its largest is ~3.4e38),
#: and squaring them to standardise overflows nearby.
MAX_ABS_NUMBER = 1e38

#: Labelled rows one comparison trains and tests on. A larger table is sampled,
#: stratified by class (or by target quantile for regression), with a note. The
#: 100k x 20 benchmark compares in ~16 s on a 2-core machine, so a million-row
#: upload compares within 60 s after loading (benchmarks/large.py).
MAX_COMPARE_ROWS = 100_000

#: Environment variable: the most labelled rows one comparison trains and tests on
#: (a positive whole number). Unset: MAX_COMPARE_ROWS in-process, CLUSTER_MAX_TRAIN_ROWS
#: on a Ray cluster, where the rows above MAX_COMPARE_ROWS train data-parallel on
#: several workers (engine.models.distributed) instead of being sampled away.
MAX_TRAIN_ROWS_ENV = "ADVISOR_MAX_TRAIN_ROWS"
#: The cap on a Ray cluster when ADVISOR_MAX_TRAIN_ROWS is unset. Above MAX_ROWS, so in
#: practice every row a file may hold trains there.
CLUSTER_MAX_TRAIN_ROWS = 10_000_000


def max_train_rows(on_cluster: bool, environ: Mapping[str, str] = os.environ) -> int:
    """The labelled rows a comparison may train and test on: ADVISOR_MAX_TRAIN_ROWS, else the default for where it runs.

    Raises ValueError (one sentence) when the variable is not a positive whole number.
    """
    text = environ.get(MAX_TRAIN_ROWS_ENV, "").strip().replace("_", "").replace(",", "")
    if not text:
        return CLUSTER_MAX_TRAIN_ROWS if on_cluster else MAX_COMPARE_ROWS
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{MAX_TRAIN_ROWS_ENV} must be a positive whole number of rows, not {environ[MAX_TRAIN_ROWS_ENV]!r}")
    return int(text)


#: Largest time budget, in seconds, a comparison may ask for in-process (the page's
#: slider stops there too): one request cannot hold a hosted server indefinitely.
MAX_TRAIN_SECONDS = 600.0
#: Environment variable that sets the largest time budget (seconds, a positive number).
#: Unset: MAX_TRAIN_SECONDS in-process, CLUSTER_MAX_TRAIN_SECONDS on a Ray cluster.
MAX_TRAIN_SECONDS_ENV = "ADVISOR_MAX_TRAIN_SECONDS"
#: The cap on a Ray cluster when ADVISOR_MAX_TRAIN_SECONDS is unset. Full-data training there
#: needs more than ten minutes for every family's full work (1,000,000 x 20 rows: about
#: 1,400 s by the work plan), and the work runs on the cluster's workers, not the web server.
CLUSTER_MAX_TRAIN_SECONDS = 3_600.0


def max_train_seconds(on_cluster: bool, environ: Mapping[str, str] = os.environ) -> float:
    """The largest time budget a comparison may ask for: ADVISOR_MAX_TRAIN_SECONDS, else the default for where it runs.

    Raises ValueError (one sentence) when the variable is not a positive number.
    """
    text = environ.get(MAX_TRAIN_SECONDS_ENV, "").strip()
    if not text:
        return CLUSTER_MAX_TRAIN_SECONDS if on_cluster else MAX_TRAIN_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{MAX_TRAIN_SECONDS_ENV} must be a positive number of seconds, not {environ[MAX_TRAIN_SECONDS_ENV]!r}")
    return value

def env_number(name: str, default: float, valid: Callable[[float], bool] = lambda value: value > 0,
               environ: Mapping[str, str] = os.environ) -> float:
    """The environment variable ``name`` as a finite number that ``valid`` accepts (by default, above zero), else
    ``default``: unset, blank, not a number or refused. For settings read when the app starts, where a typo must not
    stop every page."""
    text = environ.get(name, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        return default
    return value if math.isfinite(value) and valid(value) else default


#: The largest seed a comparison takes. scikit-learn's ``random_state`` takes 0 to 2**32 - 1 (a seed of -1 failed
#: inside training as an internal error), and a run derives more seeds from its own: split ``j`` uses
#: ``seed + j * SPLIT_SEED_STRIDE`` (engine.measure.evaluate), the track record's seed ``k`` uses ``seed + k``;
#: 2**31 - 1 leaves them room.
MAX_SEED = 2**31 - 1


def check_seed(seed: int) -> int:
    """``seed`` if a comparison can use it (a whole number from 0 to :data:`MAX_SEED`), else ValueError in one line."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"the seed must be a whole number from 0 to {MAX_SEED:,} (got {seed!r})")
    return int(seed)


#: Most test rows SHAP explains for each model (the page's input stops here too).
#: The deep explainer's memory grows with rows x features x outputs.
MAX_SHAP_ROWS = 2_000

#: How far past ``--max-seconds`` a comparison may end, in seconds, end to end.
#: The command line starts its clock before loading the file; before that,
#: Python and pandas start (~1 s). The budget is checked between boosting
#: rounds, between epochs and before the SHAP passes, so a run overshoots by
#: at most one round or epoch (on at most MAX_COMPARE_ROWS rows: well under a
#: second), plus scoring on the test rows (a bootstrap of 500 resamples and a
#: timed prediction, ~1-2 s at 20,000 test rows), the SHAP sample of 10 rows
#: that measures its cost, and writing the JSON. Measured by
#: benchmarks/large.py (100,000 x 20 with --max-seconds 10) and tests/test_deadline.py.
DEADLINE_OVERHEAD_SECONDS = 5.0


@dataclass(frozen=True)
class Sample:
    """The rows to compare on, and the sentence to show when they are a sample (else None)."""

    frame: pd.DataFrame
    note: str | None


def sample_for_training(
    frame: pd.DataFrame,
    target: str,
    classification: bool,
    *,
    max_rows: int | None = None,
    seed: int = 0,
    limit_name: str = "engine.common.limits.MAX_COMPARE_ROWS",
) -> Sample:
    """At most ``max_rows`` rows of ``frame``, stratified on ``target``: a pure function of its arguments.

    Classification: every class keeps its share of rows (largest remainders),
    and at least two rows where it has two, so the stratified train/test split
    still holds every class. Regression: the same over ten quantile bins of the
    target. Row order is kept. A frame within the cap is returned as it is,
    with no note. ``max_rows`` defaults to MAX_COMPARE_ROWS (read at call time).
    """
    max_rows = MAX_COMPARE_ROWS if max_rows is None else max_rows
    if max_rows < 1:
        raise ValueError("max_rows must be at least 1")
    n = len(frame)
    if n <= max_rows:
        return Sample(frame, None)
    y = frame[target]
    if classification:
        strata = y.astype(str).to_numpy()
        how = "stratified by class"
    else:
        values = pd.to_numeric(y, errors="coerce")
        strata = pd.qcut(values.rank(method="first"), q=10, labels=False).to_numpy()
        how = "stratified by target decile"
    labels, codes = np.unique(strata, return_inverse=True)
    counts = np.bincount(codes, minlength=len(labels))
    quota = _allocate(counts, max_rows)
    rng = np.random.default_rng(seed)
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    chosen = [
        rng.choice(order[start:start + count], size=take, replace=False)
        for start, count, take in zip(starts, counts, quota)
        if take
    ]
    rows = np.sort(np.concatenate(chosen))
    note = (
        f"{n:,} labelled rows: both models train and test on a sample of {len(rows):,} rows, {how} "
        f"(limit {limit_name} = {max_rows:,}); the advice uses all rows"
    )
    return Sample(frame.iloc[rows], note)


def _allocate(counts: np.ndarray, total: int) -> np.ndarray:
    """Integer quotas summing to ``total`` in proportion to ``counts`` (largest remainders).

    Each stratum first gets min(count, 2) rows where the total allows it, so no
    class falls below what a stratified split needs.
    """
    floor = np.minimum(counts, 2)
    if floor.sum() >= total:  # more classes than room: keep the biggest classes' pairs
        quota = np.zeros_like(counts)
        for index in np.argsort(-counts, kind="stable"):
            take = min(floor[index], total - quota.sum())
            quota[index] = take
            if quota.sum() >= total:
                break
        return quota
    rest = total - floor.sum()
    spare = counts - floor
    exact = spare * rest / max(spare.sum(), 1)
    quota = floor + np.floor(exact).astype(int)
    remainder = total - quota.sum()
    if remainder > 0:
        by_fraction = np.argsort(-(exact - np.floor(exact)), kind="stable")
        for index in by_fraction:
            if remainder == 0:
                break
            if quota[index] < counts[index]:
                quota[index] += 1
                remainder -= 1
    return np.minimum(quota, counts)


def clamp(value: float, upper: float, what: str) -> tuple[float, str | None]:
    """``value`` capped at ``upper``, with a note when it was capped."""
    if not value > upper:
        return value, None
    return upper, f"{what} capped at {upper:g} (engine.common.limits), {value:g} was asked for"


# --- Budgets in work (engine.measure.budget) ---------------------------------------------------
# The time budget becomes work (rounds, epochs, steps, iterations, SHAP rows,
# splits) before training, from the cost constants below, so a busy machine
# gets the same models as an idle one. The clock is only a safety net.

#: Share of the time budget the plan fills on the reference machine: a machine
#: up to 1 / 0.4 = 2.5x slower (another busy process on each core) still ends
#: every planned unit before the deadline's safety net.
WORK_PLAN_SHARE = 0.4
#: Least share of the plan for training (all splits, the inner cross-validation
#: included): training gets the plan less what the asked SHAP rows cost, and
#: no less than this when many rows are asked; SHAP explains in the rest.
WORK_TRAIN_SHARE = 0.75
#: Share of the training time the classic side may take when the two do not
#: both fit at full work (more when the network needs less than the rest).
WORK_ML_SHARE = 0.35
#: Seconds of profiling, splitting, warm-up and scoring the plan sets aside.
WORK_FIXED_SECONDS = 1.0
#: Fewest rows SHAP explains whatever the plan says (the explanation needs a few).
SHAP_MIN_ROWS = 10
#: Inner cross-validation folds when a side chooses among its families
#: (boosted trees or the linear model) on the training rows, and the most
#: training rows each fold's fits use (a stratified, seeded subsample above).
SELECTION_FOLDS = 3
SELECTION_MAX_ROWS = 20_000
#: Features a date column expands to (engine.profile.features.date_parts), for the cost model.
COST_DATE_WIDTH = 6
#: Rows read to estimate the mean words of a text column (deterministic: spread evenly over the column).
COST_TOKEN_SAMPLE_ROWS = 2_000

# Per-unit cost constants, seconds, one thread (the CNN: two). Measured on the
# reference machine (the project's 2-core x86-64 VM, 2026-12-02, shared with
# other work: load average ~5) in two ways: ``python -m benchmarks.cost_model``
# times each unit on two generated sizes after an untimed warm-up fit (its
# table), and the stage timings of ``compare`` on the bundled samples at a 60 s
# budget (train_ml, train_dl, explain_ml, explain_dl over the units and rows
# each did), which the constants below follow where the two disagree: the
# generated sizes' timings carried one-off costs that a run does not pay.
# Rounded up: the plan errs towards less work.
COST_MODEL_PROVENANCE = ("benchmarks/cost_model.py and compare's stage timings on sample_data/, "
                         "reference 2-core machine under load, 2026-12-02")
#: LightGBM: per boosting round and tree, a fixed part plus a part per row x feature.
COST_BOOSTING_ROUND = 1.0e-3
COST_BOOSTING_CELL = 3.0e-8
#: Logistic regression (lbfgs): per solver iteration, a fixed part and a part per
#: row x feature x output; ridge regression: one solve, per row x feature².
COST_LINEAR_ITERATION = 2.0e-3
COST_LINEAR_CELL = 2.0e-8
#: Networks: per epoch, per row x multiply-add of one forward pass (backward
#: and optimiser included), plus a fixed cost per mini-batch (validation included).
COST_NETWORK_MAC = 4.0e-10
COST_NETWORK_BATCH = 4.0e-3
#: The CNN: per image (augmentation, small tensors) and per multiply-add of the
#: convolutions (1,437 digit images of 8x8: 11 epochs in 1.35 s).
COST_CONV_ROW = 4.0e-5
COST_CONV_MAC = 5.0e-10
#: Token network: per optimiser step (fused AdamW over the embedding tables;
#: movie reviews: 176 steps, refit included, in 9.5 s) and per token of a batch.
COST_TOKEN_STEP = 2.8e-2
COST_TOKEN_TOKEN = 2.0e-7
#: TF-IDF: vectorising, per token of a document (word and character n-grams),
#: and per solver iteration per token x the square root of the outputs. Measured on
#: nine text sets of 2 to 20 classes (the sample's movie reviews and the corpus's
#: development part, 2026-12-03): 0.6-1.7x the measured seconds per iteration; the
#: earlier per token x output (4e-7) planned 20 Newsgroups' iterations at 18 s
#: against 1.8 s measured, so no budget up to the 600 s cap could train it.
COST_TFIDF_TOKEN = 1.5e-5
COST_TFIDF_TOKEN_ITERATION = 2.6e-7
#: SHAP per explained row: per tree x leaf for the tree explainer (cars: 22 ms a
#: row), per background row x multiply-add for the deep explainer (breast
#: cancer: 32 ms a row), per feature for the linear explainer (6 ms a row on 30
#: features), per model call x token for the text explainer (movie reviews: 34
#: and 11 ms a document).
COST_SHAP_TREE_LEAF = 4.0e-6
COST_SHAP_DEEP_MAC = 2.5e-8
#: The deep explainer on the CNN, per background image x multiply-add x output
#: (batched convolutions: the digit ZIP's 10 images in 1.1 s).
COST_SHAP_CONV_MAC = 1.0e-10
COST_SHAP_LINEAR_CELL = 2.0e-4
COST_SHAP_TEXT_TOKEN_CALL = 3.0e-7
