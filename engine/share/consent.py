"""What a saved run keeps: results only by default; row-level results and the upload only when the user ticks them.

A finished comparison holds row-level data: the explained rows themselves
(values of every column), every test row's label and both models'
predictions, and SHAP values per row (with each explained document's tokens
and each image's pixel map). :func:`minimise` reduces a record to its results —
metrics, intervals, costs, verdict, advice, and SHAP *summaries* per column,
token and pixel — before it is stored, unless the user chose to keep the rows.

The summaries are stored in the record's own types, so every summary a page
or report draws reads the same numbers as from the full record: per column
and output the mean |SHAP| over the explained rows (one summary row), per
pixel the mean |SHAP| map, and per token its mean |SHAP|, mean signed SHAP
and count (reproduced exactly by a few synthetic occurrences of each of the
top tokens). Charts of single rows (waterfalls, beeswarms, confusion
matrices, ROC curves, highlighted documents) are not drawn from such a record;
pages say why (:data:`ROWS_NOT_KEPT`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.common import thresholds as th
from engine.explain.explanation import ModelExplanation, PixelAttribution, TokenAttribution
from engine.run.record import KEPT_EVERYTHING, KEPT_RESULTS, RunRecord

__all__ = [
    "KEPT_RESULTS",
    "KEPT_EVERYTHING",
    "ROWS_NOT_KEPT",
    "minimise",
    "rows_kept",
    "kept_sentence",
]

#: What a page or report says where a per-row chart would be.
ROWS_NOT_KEPT = (
    "Row-level results were not kept with this saved run (the person who trained it chose results only): "
    "metrics, costs, the verdict and SHAP summaries are shown; single rows, labels and predictions are not."
)


def rows_kept(record: RunRecord) -> bool:
    """Whether the record holds its rows (a live run, or a saved one kept with its rows)."""
    return getattr(record, "kept", KEPT_EVERYTHING) != KEPT_RESULTS


def kept_sentence(keep_rows: bool, keep_upload: bool) -> str:
    """What saving a run keeps, in one sentence, for the options panel and the saved run."""
    kept = ["results (metrics with intervals, costs, the verdict, the advice and SHAP summaries per column, "
            "word or pixel)"]
    if keep_rows:
        kept.append("the explained rows with every test row's label and both models' predictions")
    if keep_upload:
        kept.append("the uploaded data")
    return "Saved with this run: " + "; ".join(kept) + "."


def minimise(record: RunRecord) -> RunRecord:
    """``record`` with nothing per row: no row values, labels or predictions; SHAP as summaries only."""
    if not rows_kept(record):
        return record
    plain = record.record()
    split = replace(
        plain.split, y_test=np.asarray([], dtype=object), explained_positions=np.asarray([], dtype=np.int64)
    )
    no_rows = {"predictions": np.asarray([], dtype=object), "probabilities": None}
    return replace(
        plain,
        split=split,
        ml=replace(plain.ml, **no_rows),
        dl=replace(plain.dl, **no_rows),
        explained_rows=plain.explained_rows.iloc[0:0].astype(str),
        explanations={family: _summary(explanation) for family, explanation in plain.explanations.items()},
        kept=KEPT_RESULTS,
        summarised_rows=len(plain.explained_rows),
    )


def _summary(explanation: ModelExplanation) -> ModelExplanation:
    """One summary row: mean |SHAP| per column and output; per-token and per-pixel summaries kept exactly."""
    values = np.abs(explanation.values).mean(axis=0, keepdims=True) if len(explanation.values) else explanation.values
    # The additivity check's scale is 1 + max |output|: one row of the largest |output| keeps it.
    outputs = np.abs(explanation.outputs).max(axis=0, keepdims=True) if len(explanation.outputs) else explanation.outputs
    base = np.asarray(explanation.base_values)
    if base.ndim > 1:
        base = base.mean(axis=0, keepdims=True)
    pixels = explanation.pixels
    if pixels is not None and len(pixels.values):
        pixels = PixelAttribution(pixels.mean_abs_map()[np.newaxis], pixels.channels)
    tokens = [_token_summary(t, len(explanation.output_names)) for t in explanation.tokens]
    return replace(explanation, values=values, outputs=outputs, base_values=base, pixels=pixels, tokens=tokens)


def _token_summary(attribution: TokenAttribution, n_outputs: int, top: int = th.TOP_TOKENS) -> TokenAttribution:
    """The top tokens of each output as synthetic occurrences with the same mean |SHAP|, mean SHAP and count.

    For a token seen ``n`` times with mean |SHAP| ``a`` and mean SHAP ``s``
    (per output), one occurrence of ``n(a+s)/2`` and ``n - 1`` of
    ``-n(a-s)/(2(n-1))`` have exactly that mean |SHAP|, mean and count
    (``a >= |s|``, so the signs hold). No document's text is kept: only the
    top tokens, and no order or row.
    """
    labels = [str(i) for i in range(n_outputs)]
    summary = attribution.summary(labels, top=top)
    counts = {entry["token"]: int(entry["count"]) for entries in summary.values() for entry in entries}
    full = _per_token(attribution, n_outputs)  # every output's sums, for a token in only one output's top list
    tokens: list[str] = []
    values: list[np.ndarray] = []
    for token, count in counts.items():
        absolute, signed = full[token][0] / count, full[token][1] / count
        if count == 1:
            occurrences = [signed]
        else:
            first = count * (absolute + signed) / 2
            rest = -count * (absolute - signed) / (2 * (count - 1))
            occurrences = [first] + [rest] * (count - 1)
        tokens += [token] * count
        values += occurrences
    array = np.asarray(values, dtype=float).reshape(len(values), n_outputs)
    return TokenAttribution(attribution.column, [tokens], [array])


def _per_token(attribution: TokenAttribution, n_outputs: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Sum of |SHAP| and of SHAP per (normalised) token and output, as TokenAttribution.summary counts them."""
    totals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for tokens, values in zip(attribution.tokens, attribution.values):
        values = np.asarray(values, dtype=float).reshape(len(tokens), n_outputs)
        for token, value in zip(tokens, values):
            key = token.strip().lower()
            if key:
                absolute, signed = totals.get(key, (np.zeros(n_outputs), np.zeros(n_outputs)))
                totals[key] = (absolute + np.abs(value), signed + value)
    return totals
