"""Feature columns that give the answer away: each one alone, fitted on half the rows and scored on the other half.

A column recorded after the outcome or computed from it (a cancellation date beside "churned", a diagnosis code
beside "diabetic", the price of the option chosen beside the choice) lets both families score near 100 %, and the
comparison then says nothing about data where that column is not known yet. Nothing in the table says which
columns come after the outcome, so this only names the columns that alone predict the target almost perfectly,
for the user to judge. Scoring on rows the column was not fitted on keeps an identifier (a different value in
every row) from looking perfect.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from scipy.stats import rankdata, spearmanr

__all__ = ["SuspectedLeak", "suspected_leaks", "leak_note", "LEAK_SCORE"]

#: A column alone at or above this on held-out rows (balanced accuracy, or R² / rank correlation for a number
#: target) is named. A strong honest feature rarely reaches it alone; one derived from the target does.
LEAK_SCORE = 0.99
#: Fewer labelled rows than this and a perfect score on the held-out half is too easily luck: no check.
MIN_ROWS = 100
#: The check reads a seeded sample of this many labelled rows (half to fit, half to score).
SAMPLE_ROWS = 4_000


@dataclass(frozen=True)
class SuspectedLeak:
    """One column that alone predicts the target on held-out rows with ``score`` (``metric``)."""

    column: str
    score: float
    metric: str

    def to_dict(self) -> dict[str, object]:
        return {"column": self.column, "score": round(self.score, 4), "metric": self.metric}


def suspected_leaks(
    frame: pd.DataFrame, target: str, columns: Sequence[str], classification: bool, seed: int = 0
) -> tuple[SuspectedLeak, ...]:
    """The ``columns`` that alone predict ``target`` at :data:`LEAK_SCORE` or better, best first."""
    labelled_rows = frame[target].notna().to_numpy()
    if labelled_rows.sum() < MIN_ROWS or not columns:
        return ()
    rows = np.flatnonzero(labelled_rows)
    if len(rows) > SAMPLE_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, SAMPLE_ROWS, replace=False))
    order = np.random.default_rng(seed).permutation(len(rows))
    fit, score = np.sort(order[: len(order) // 2]), np.sort(order[len(order) // 2:])
    target_values = frame[target].iloc[rows]
    if classification:
        y = np.unique(target_values.astype(str).to_numpy(), return_inverse=True)[1].astype(np.int64)
        if len(np.unique(y[score])) < 2:
            return ()
    else:
        y = target_values.to_numpy(dtype=float)
        if np.ptp(y[score]) == 0:
            return ()
    dtypes = dict(frame.dtypes.items())  # a dict: a Series lookup per column cost 10 µs each on 10,000 columns
    numbers = [name for name in columns if _is_number(dtypes[name])]
    others = [name for name in columns if not _is_number(dtypes[name])]
    scored: list[tuple[str, float, str]] = []
    if numbers:
        # Every number column in one array (row positions taken once, not per column: selecting 3,000 columns
        # one by one took longer than scoring them).
        block = frame[numbers].to_numpy(dtype=float)[rows]
        if classification:
            scores = _class_scores(_quantile_codes(block, fit), y, fit, score)
            scored += [(name, value, "balanced accuracy") for name, value in zip(numbers, scores)]
        else:
            scores = _rank_correlations(block[score], y[score])
            scored += [(name, value, "rank correlation") for name, value in zip(numbers, scores)]
    if others:
        # Whole columns factorized, then the sampled rows taken from the codes (a row selection per text column
        # cost more than its factorizing), into one array filled in place rather than stacked and then indexed.
        codes = np.empty((len(rows), len(others)), dtype=np.int32)
        for position, (_, column) in enumerate(frame[others].items()):
            codes[:, position] = pd.factorize(column, use_na_sentinel=False)[0][rows]
        scores = _class_scores(codes, y, fit, score) if classification else _mean_scores(codes, y, fit, score)
        scored += [(name, value, "balanced accuracy" if classification else "R²") for name, value in zip(others, scores)]
    leaks = [SuspectedLeak(str(name), float(value), metric) for name, value, metric in scored if value >= LEAK_SCORE]
    return tuple(sorted(leaks, key=lambda leak: -leak.score))


def leak_note(leaks: Sequence[SuspectedLeak], target: str) -> str | None:
    """One sentence naming the suspected columns, or None."""
    if not leaks:
        return None
    shown = ", ".join(f"'{leak.column}' ({leak.metric} {leak.score:.2f})" for leak in leaks[:3])
    more = f" and {len(leaks) - 3} more" if len(leaks) > 3 else ""
    alone = "alone predicts" if len(leaks) == 1 else "each alone predict"
    return (f"{shown}{more} {alone} '{target}' almost perfectly on rows not used to fit it: check that "
            f"{'it is' if len(leaks) == 1 else 'they are'} known before the outcome and not computed from it, or "
            "both models' scores will not hold on new data")


#: A number column is cut at this many quantiles of its fit rows: a threshold rule ("above x it is class A")
#: then loses at most the one mixed bin, about 0.4 % of the rows.
BINS = 256


def _is_number(dtype: object) -> bool:
    return ptypes.is_numeric_dtype(dtype) and not ptypes.is_bool_dtype(dtype)


def _quantile_codes(block: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """Each value's quantile bin among its column's fit rows (columns of ``block``); missing, a bin of its own.

    The fit rows of all columns are sorted at once and the edges read off by position: numpy's quantile per
    column took 2.3 s on 3,000 columns, this 0.3 s.
    """
    columns = np.ascontiguousarray(block.T)  # one row per column: each searchsorted reads contiguous memory
    ordered = np.sort(columns[:, fit], axis=1)  # missing values sort last
    present = (~np.isnan(ordered)).sum(axis=1)
    positions = (np.linspace(0, 1, BINS + 1)[None, 1:-1] * np.maximum(present - 1, 0)[:, None]).astype(np.int64)
    edges = np.take_along_axis(ordered, positions, axis=1)
    codes = np.empty(columns.shape, dtype=np.int64)
    for j in range(columns.shape[0]):
        codes[j] = np.searchsorted(edges[j], columns[j], side="right")
    codes[np.isnan(columns)] = BINS + 1  # missing: a code of its own (missing for one class only gives it away too)
    return codes.T


#: Most cells of the (columns x codes x classes) count table held at once; wider tables are counted in slices.
_MAX_COUNT_CELLS = 1_000_000


def _class_scores(codes: np.ndarray, y: np.ndarray, fit: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Per column of ``codes``: balanced accuracy on the ``score`` rows of predicting each code's most common
    class on the ``fit`` rows (a code unseen there: the most common class).

    Counted with numpy for all columns at once: a scikit-learn tree and metric per column took 5 ms, which a
    3,000-column table felt.
    """
    n_classes = int(y.max()) + 1
    n_codes = int(codes.max()) + 1
    overall = np.bincount(y[fit], minlength=n_classes).argmax()
    present = np.bincount(y[score], minlength=n_classes)
    results = []
    for part in _column_slices(codes, n_codes * n_classes):
        width = part.shape[1]
        offsets = np.arange(width) * n_codes
        cells = ((part[fit] + offsets) * n_classes + y[fit, None]).ravel()
        counts = np.bincount(cells, minlength=width * n_codes * n_classes).reshape(width * n_codes, n_classes)
        majority = np.where(counts.any(axis=1), counts.argmax(axis=1), overall)
        predicted = majority[part[score] + offsets]  # (score rows, columns)
        hits = predicted == y[score, None]
        per_class = np.stack([hits[y[score] == k].sum(axis=0) for k in range(n_classes)])  # (classes, columns)
        results.append((per_class[present > 0] / present[present > 0, None]).mean(axis=0))
    return np.concatenate(results)


def _mean_scores(codes: np.ndarray, y: np.ndarray, fit: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Per column of ``codes``: R² on the ``score`` rows of predicting each code's mean target on the ``fit`` rows."""
    n_codes = int(codes.max()) + 1
    spread = float(((y[score] - y[score].mean()) ** 2).sum())
    results = []
    for part in _column_slices(codes, n_codes):
        width = part.shape[1]
        offsets = np.arange(width) * n_codes
        cells = (part[fit] + offsets).ravel()
        sizes = np.bincount(cells, minlength=width * n_codes)
        totals = np.bincount(cells, weights=np.repeat(y[fit], width), minlength=width * n_codes)
        means = np.where(sizes > 0, totals / np.maximum(sizes, 1), y[fit].mean())
        residual = y[score, None] - means[part[score] + offsets]
        results.append(1.0 - (residual ** 2).sum(axis=0) / spread)
    return np.concatenate(results)


def _column_slices(codes: np.ndarray, cells_per_column: int) -> Iterator[np.ndarray]:
    """``codes`` in slices of columns whose count tables hold at most :data:`_MAX_COUNT_CELLS` cells together.

    3,000 text columns of 1,500 distinct values each beside a number target, counted at once and their codes
    stacked, peaked at 195 MB; in slices of a million cells, 77 MB, in the same 1.2 s.
    """
    step = max(1, _MAX_COUNT_CELLS // cells_per_column)
    for start in range(0, codes.shape[1], step):
        yield codes[:, start:start + step]


def _rank_correlations(block: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|Spearman correlation| of each column of ``block`` with ``y`` over the rows where the column has a value
    (0 where fewer than half of :data:`MIN_ROWS` do, or the column is constant).

    Columns with a value in every row are ranked together and correlated at once (Spearman's is Pearson's of
    the average ranks); scipy's spearmanr per column took 2.1 s on 10,000 columns.
    """
    results = np.zeros(block.shape[1])
    complete = ~np.isnan(block).any(axis=0)
    if complete.any() and len(y) >= MIN_ROWS // 2 and np.ptp(y) > 0:
        ranks = rankdata(block[:, complete], axis=0)
        ranks -= ranks.mean(axis=0)
        ranked_y = rankdata(y)
        ranked_y -= ranked_y.mean()
        norms = np.sqrt((ranks ** 2).sum(axis=0)) * np.sqrt((ranked_y ** 2).sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = np.abs(ranked_y @ ranks) / norms
        results[complete] = np.where(np.isfinite(rho) & (np.ptp(block[:, complete], axis=0) > 0), rho, 0.0)
    for j in np.flatnonzero(~complete):
        present = ~np.isnan(block[:, j])
        x = block[present, j]
        if len(x) < MIN_ROWS // 2 or np.ptp(x) == 0:
            continue
        rho = spearmanr(x, y[present]).statistic
        results[j] = abs(float(rho)) if np.isfinite(rho) else 0.0
    return results
