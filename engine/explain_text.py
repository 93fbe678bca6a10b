"""Token-level SHAP for text models: one definition for both families.

Each model is wrapped as a function from a list of documents to raw outputs
(log-odds, logits or target units) and explained with SHAP's ``Partition``
explainer over a ``Text`` masker that splits on :data:`engine.tokens.SEPARATOR_PATTERN`,
the same regex the models tokenize with. A hidden token becomes ``...``,
which the tokenizer reads as no token, so a fully hidden document is the empty
document. Works offline: no transformers, no downloads.

Per column: a text column is one feature whose value is the sum of its tokens'
values. With several columns the values are credited in order, which adds up
exactly: tabular columns first (a permutation walk against background rows,
every text column empty), then each text column in turn given the columns
before it (its tokens' Owen values from the Partition explainer). For a model
that is additive across columns (TF-IDF + linear) this order does not matter.
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd
import shap
from scipy import sparse

from engine import thresholds as th
from engine.explain import permutation_shap
from engine.explanation import ModelExplanation, TokenAttribution, additivity_error
from engine.models.text import pipeline_text_columns
from engine.tokens import SEPARATOR_PATTERN, segments, truncate

__all__ = ["explain_text", "raw_function", "document_function", "explain_documents"]

#: frame of feature columns -> raw outputs (rows, outputs), float64
RawFunction = Callable[[pd.DataFrame], np.ndarray]


def raw_function(fitted: Any, raw: str) -> RawFunction:
    """The fitted pipeline's raw output on a frame: ``"linear"`` (decision function) or ``"network"`` (float64 module)."""
    prep, model = fitted[:-1], fitted[-1]

    def linear(frame: pd.DataFrame) -> np.ndarray:
        encoded = prep.transform(frame)
        out = model.decision_function(encoded) if hasattr(model, "decision_function") else model.predict(encoded)
        return np.asarray(out, dtype=np.float64).reshape(len(frame), -1)

    def network(frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(model.raw_output_float64(prep.transform(frame)), dtype=np.float64).reshape(len(frame), -1)

    return {"linear": linear, "network": network}[raw]


def document_function(fitted: Any, raw: str, context: pd.DataFrame, column: str) -> Callable[[list[str]], np.ndarray]:
    """Raw outputs of ``fitted`` on documents put into ``column`` of the one-row ``context`` (other cells fixed).

    The context is encoded once; each call encodes only the documents (SHAP
    calls this hundreds of times per document with a few strings each).
    """
    prep, model = fitted[0], fitted[-1]
    encoded = prep.transform(context)
    for name, transformer, selected in prep.transformers_:
        columns = [selected] if isinstance(selected, str) else list(selected)
        if column in columns:
            break
    else:
        raise ValueError(f"no transformer reads column {column!r}")
    block = prep.output_indices_[name]

    def matrix(documents: list[str]) -> Any:
        rows = np.zeros(len(documents), dtype=int)
        if not sparse.issparse(encoded):  # the network reads the text as it is
            dense = np.repeat(np.asarray(encoded, dtype=object), len(documents), axis=0)
            dense[:, block.start + columns.index(column)] = documents
            return dense
        part = sparse.csr_matrix(transformer.transform(pd.Series(documents, dtype=object)))
        whole = sparse.csr_matrix(encoded)[rows]
        return sparse.hstack([whole[:, :block.start], part, whole[:, block.stop:]], format="csr")

    if raw == "network":
        return lambda documents: np.asarray(model.raw_output_float64(matrix(documents)), dtype=np.float64).reshape(len(documents), -1)

    def linear(documents: list[str]) -> np.ndarray:
        X = matrix(documents)
        out = model.decision_function(X) if hasattr(model, "decision_function") else model.predict(X)
        return np.asarray(out, dtype=np.float64).reshape(len(documents), -1)

    return linear


def explain_documents(
    function: Callable[[list[str]], np.ndarray], documents: list[str], max_evals: int = th.TEXT_SHAP_MAX_EVALS
) -> tuple[list[list[str]], list[np.ndarray], np.ndarray]:
    """Partition SHAP of ``function`` (documents -> raw outputs) on ``documents``.

    Returns per document its tokens (as written), their values (tokens, outputs)
    and the base values (documents, outputs): the output on the empty document.
    """
    masker = shap.maskers.Text(SEPARATOR_PATTERN)
    explainer = shap.PartitionExplainer(lambda texts: function([str(t) for t in texts]), masker)
    tokens: list[list[str]] = []
    values: list[np.ndarray] = []
    bases = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for document in documents:
            pieces = segments(document)
            if not pieces or not any(word for word, _ in pieces):
                # Nothing to hide: every token is empty, its value is zero.
                output = function([document])[0]
                tokens.append([word for word, _ in pieces])
                values.append(np.zeros((len(pieces), len(output))))
                bases.append(output)
                continue
            explanation = explainer([document], max_evals=max_evals, batch_size=max_evals, silent=True)
            row_values = np.asarray(explanation.values[0], dtype=float)
            row_values = row_values.reshape(row_values.shape[0], -1)
            words = [word for word, _ in pieces]
            if len(words) != len(row_values):  # defensive: fall back to SHAP's own segments
                words = [str(t).strip() for t in explanation.data[0]]
            tokens.append(words)
            values.append(row_values)
            bases.append(np.asarray(explanation.base_values[0], dtype=float).reshape(-1))
    return tokens, values, np.asarray(bases, dtype=float).reshape(len(documents), -1)


def explain_text(
    fitted: Any, background: pd.DataFrame, rows: pd.DataFrame, output_labels: list[str], seed: int = 0, *, raw: str
) -> ModelExplanation:
    """Token SHAP per text column and column-level values (see the module docstring) for one fitted text pipeline."""
    start = time.perf_counter()
    f = raw_function(fitted, raw)
    text_cols = pipeline_text_columns(fitted)
    rows = rows.copy()
    for column in text_cols:
        rows[column] = [truncate(v) for v in rows[column]]  # the models read no further
    tab_cols = [c for c in rows.columns if c not in text_cols]
    outputs = f(rows)
    n_rows, n_outputs = outputs.shape
    state = rows.copy()
    for column in text_cols:
        state[column] = ""
    values = np.zeros((n_rows, len(rows.columns), n_outputs))
    if tab_cols:
        tab_values, base = _tabular_values(f, state, background, tab_cols, text_cols, seed)
        for j, column in enumerate(tab_cols):
            values[:, list(rows.columns).index(column)] = tab_values[:, j]
    else:
        base = f(state.iloc[:1])[0]
    attributions = []
    for column in text_cols:
        column_tokens: list[list[str]] = []
        column_values: list[np.ndarray] = []
        for r in range(n_rows):
            on_documents = document_function(fitted, raw, state.iloc[[r]], column)
            toks, vals, _ = explain_documents(on_documents, [rows[column].iloc[r]])
            column_tokens.append(toks[0])
            column_values.append(vals[0])
            values[r, list(rows.columns).index(column)] = vals[0].sum(axis=0)
        state[column] = rows[column].to_numpy()
        attributions.append(TokenAttribution(column=column, tokens=column_tokens, values=column_values))
    base = np.asarray(base, dtype=float).reshape(-1)
    error = additivity_error(values, base, outputs)
    names = output_labels if len(output_labels) == n_outputs else [f"output {i}" for i in range(n_outputs)]
    return ModelExplanation(
        explainer="partition-text", columns=[str(c) for c in rows.columns], output_names=names, values=values,
        base_values=base, outputs=outputs, additivity_max_error=error, seconds=time.perf_counter() - start,
        tokens=attributions,
    )


def _tabular_values(
    f: RawFunction, state: pd.DataFrame, background: pd.DataFrame, tab_cols: list[str], text_cols: list[str], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values of the tabular columns (permutation walk against background rows), every text column empty."""
    reference = background.iloc[: th.TEXT_TABULAR_BACKGROUND_ROWS].copy()
    for column in text_cols:
        reference[column] = ""
    # Cells as codes into each column's distinct values, so the float walk can swap them.
    uniques = {c: pd.unique(pd.concat([state[c], reference[c]], ignore_index=True).astype(object)) for c in tab_cols}

    def codes(frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([pd.Index(uniques[c]).get_indexer(frame[c].astype(object)) for c in tab_cols]).astype(float)

    def model(matrix: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame({c: uniques[c][matrix[:, j].astype(int)] for j, c in enumerate(tab_cols)})
        for column in text_cols:
            frame[column] = ""
        return f(frame[list(state.columns)])

    values, base = permutation_shap(model, codes(state), codes(reference), permutations=1, seed=seed)
    return values, base
