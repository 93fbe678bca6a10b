"""Token-level SHAP for text models: one definition for both families, batched over documents.

Each model is wrapped as a function from documents (and the explained row
each belongs to) to raw outputs: log-odds, logits or target units. A token's
value is its Shapley value in the game "the model's output on the document
with only these tokens shown": a hidden token is removed from the text, so a
fully hidden document is the empty document, and the base value is the
model's output on it. :func:`explain_documents` estimates the values with
antithetic permutation walks, the same estimator as the tabular
:func:`engine.explain.explain.permutation_shap`: each document adds its tokens in a
random order, then removes them in that order, crediting each token with the
change in output. The walk telescopes, so base value + token values = output
exactly (float rounding aside), and one antithetic pair is exact for a model
whose tokens interact at most in pairs. Every masked document of every
explained row goes to the model in a few large batches, so a linear TF-IDF
model pays its vectorizer once per batch instead of once per document, and
nothing is JIT-compiled (SHAP's Partition explainer spent most of its time in
a per-document Python loop and in compiling numba kernels). Documents longer
than ``TEXT_SHAP_MAX_GROUPS`` tokens are walked in that many contiguous
groups; a group's value is shared evenly by its tokens (SHAP's Partition
explainer does the same with the groups its evaluation budget leaves whole).

Per column: a text column is one feature whose value is the sum of its tokens'
values. With several columns the values are credited in order, which adds up
exactly: tabular columns first (a permutation walk against background rows,
every text column empty), then each text column in turn given the columns
before it (its tokens' Shapley values). For a model that is additive across
columns (TF-IDF + linear) this order does not matter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import normalize

from engine.common import thresholds as th
from engine.explain.explain import permutation_shap
from engine.explain.explanation import ModelExplanation, TokenAttribution, additivity_error
from engine.kinds.text.models import pipeline_text_columns
from engine.kinds.text.tokens import character_ngrams, segments, tokenize, truncate
from engine.registry import RawOutputFn

__all__ = [
    "explain_text", "raw_function", "document_function", "explain_documents", "token_groups", "walks_for",
    "tfidf_of_states", "MaskedDocuments",
]

#: frame of feature columns -> raw outputs (rows, outputs), float64
RawFunction = Callable[[pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class MaskedDocuments:
    """A batch of token-game states: explained document ``owners[i]`` with only the pieces ``shown[i]`` left in."""

    pieces: list[list[tuple[str, str]]]  # per explained document, as engine.kinds.text.tokens.segments splits it
    owners: np.ndarray
    shown: list[np.ndarray]  # one boolean per piece of the owning document

    def texts(self) -> list[str]:
        """The states as documents: hidden tokens removed, separators kept."""
        return [_masked(self.pieces[d], shown) for d, shown in zip(self.owners, self.shown)]


#: states -> raw outputs (states, outputs), float64
StateFunction = Callable[[MaskedDocuments], np.ndarray]


def raw_function(fitted: Any, raw_output: RawOutputFn) -> RawFunction:
    """The fitted pipeline's raw output on a frame, read by the family's ``raw_output`` (its ``ModelSpec.raw_output``)."""
    prep, model = fitted[:-1], fitted[-1]

    def raw(frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(raw_output(model, prep.transform(frame)), dtype=np.float64).reshape(len(frame), -1)

    return raw


def document_function(fitted: Any, raw_output: RawOutputFn, context: pd.DataFrame, column: str) -> StateFunction:
    """Raw outputs of ``fitted`` on masked documents put into ``column`` of their row of ``context`` (other cells fixed).

    Explained document ``d`` belongs to row ``d`` of ``context``. The context is
    encoded once; each call encodes only the documents. For a TF-IDF column
    the masked documents are never written out: their counts are sums of the
    shown tokens' counts (see :func:`tfidf_of_states`).
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
    whole = sparse.csr_matrix(encoded) if sparse.issparse(encoded) else np.asarray(encoded, dtype=object)
    vectorizers = _additive_vectorizers(transformer)

    def matrix(batch: MaskedDocuments) -> Any:
        if not sparse.issparse(whole):  # the network reads the text as it is
            dense = whole[batch.owners].copy()
            dense[:, block.start + columns.index(column)] = batch.texts()
            return dense
        if vectorizers is not None:
            part = sparse.hstack([tfidf_of_states(v, batch) for v in vectorizers], format="csr")
        else:
            part = sparse.csr_matrix(transformer.transform(pd.Series(batch.texts(), dtype=object)))
        picked = whole[batch.owners]
        return sparse.hstack([picked[:, :block.start], part, picked[:, block.stop:]], format="csr")

    def on_states(batch: MaskedDocuments) -> np.ndarray:
        return np.asarray(raw_output(model, matrix(batch)), dtype=np.float64).reshape(len(batch.owners), -1)

    return on_states


def _additive_vectorizers(transformer: Any) -> list[TfidfVectorizer] | None:
    """The TF-IDF vectorizers of a text column's transformer when :func:`tfidf_of_states` reproduces them, else None.

    That holds for engine.kinds.text.models's column transformer (documents into a
    union of TF-IDF vectorizers): word 1- or 1-2-grams on the shared
    tokenizer, and character n-grams within words of the shared tokens.
    """
    try:
        union = transformer.named_steps["tfidf"]
    except (AttributeError, KeyError):
        return None
    if not isinstance(union, FeatureUnion) or union.transformer_weights:
        return None
    parts = [part for _, part in union.transformer_list]
    for part in parts:
        if not isinstance(part, TfidfVectorizer) or part.binary or part.stop_words:
            return None
        words = part.analyzer == "word" and part.tokenizer is tokenize and part.ngram_range in ((1, 1), (1, 2))
        characters = part.analyzer is character_ngrams
        if not (words or characters):
            return None
    return parts


def tfidf_of_states(vectorizer: TfidfVectorizer, batch: MaskedDocuments) -> sparse.csr_matrix:
    """``vectorizer.transform(batch.texts())`` without writing the texts: counts summed over the shown tokens.

    Character n-grams within words and word unigrams of a masked document are
    the sums of its shown tokens' own; a word bigram joins two consecutive
    shown tokens (a hidden token between them is gone from the text). Then
    sublinear TF, IDF and the norm exactly as the fitted vectorizer applies them.
    """
    vocabulary = vectorizer.vocabulary_
    analyze = vectorizer.build_analyzer()
    by_token: dict[str, list[int]] = {}

    def ids(token: str) -> list[int]:
        if token not in by_token:
            grams = analyze(token) if vectorizer.analyzer is character_ngrams else tokenize(token)
            by_token[token] = [vocabulary[g] for g in grams if g in vocabulary]
        return by_token[token]

    bigrams = vectorizer.analyzer == "word" and vectorizer.ngram_range == (1, 2)
    rows: list[int] = []
    cols: list[int] = []
    lowered = [[tokenize(word)[0] if word else "" for word, _ in pieces] for pieces in batch.pieces]
    for i, (owner, shown) in enumerate(zip(batch.owners, batch.shown)):
        tokens = [token for token, keep in zip(lowered[owner], shown) if keep and token]
        for token in tokens:
            found = ids(token)
            cols += found
            rows += [i] * len(found)
        if bigrams:
            for first, second in zip(tokens, tokens[1:]):
                feature = vocabulary.get(f"{first} {second}")
                if feature is not None:
                    cols.append(feature)
                    rows.append(i)
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(batch.owners), len(vocabulary)))
    counts.sum_duplicates()
    if vectorizer.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    if vectorizer.use_idf:
        counts.data *= vectorizer.idf_[counts.indices]
    return normalize(counts, norm=vectorizer.norm, copy=False) if vectorizer.norm else counts


def token_groups(pieces: list[tuple[str, str]], max_groups: int = th.TEXT_SHAP_MAX_GROUPS) -> list[np.ndarray]:
    """Positions of the document's tokens (non-empty pieces) in at most ``max_groups`` contiguous groups."""
    positions = np.array([i for i, (word, _) in enumerate(pieces) if word], dtype=int)
    if len(positions) <= max_groups:
        return [positions[i:i + 1] for i in range(len(positions))]
    return list(np.array_split(positions, max_groups))


def walks_for(groups: int, calls: int = th.TEXT_SHAP_CALLS_PER_DOCUMENT) -> int:
    """Antithetic walks (permutations) for a document of ``groups`` players: about ``calls`` model calls in all.

    One walk costs 2 x groups calls and is exact up to pairwise interactions,
    so two or fewer players need one; short documents get more walks.
    """
    if groups <= 2:
        return 1
    return int(np.clip(calls // (2 * groups), 1, th.TEXT_SHAP_MAX_WALKS))


def _masked(pieces: list[tuple[str, str]], shown: np.ndarray) -> str:
    """The document with only the pieces ``shown`` keeping their token; separators stay."""
    return "".join((word if keep else "") + separator for (word, separator), keep in zip(pieces, shown))


def explain_documents(
    function: StateFunction, documents: list[str], *, max_groups: int = th.TEXT_SHAP_MAX_GROUPS,
    calls: int = th.TEXT_SHAP_CALLS_PER_DOCUMENT, seed: int = 0,
) -> tuple[list[list[str]], list[np.ndarray], np.ndarray]:
    """Token SHAP of ``function`` on ``documents``: antithetic permutation walks, batched (see the module docstring).

    Returns per document its tokens (as written, one per
    :func:`engine.kinds.text.tokens.segments` piece), their values (pieces, outputs) and
    the base values (documents, outputs): the output on the empty document.
    """
    rng = np.random.default_rng(seed)
    all_pieces = [segments(document) for document in documents]
    owners: list[int] = []
    shown_states: list[np.ndarray] = []

    def add(owner: int, shown: np.ndarray) -> int:
        owners.append(owner)
        shown_states.append(shown.copy())
        return len(owners) - 1

    plans = []
    for d, pieces in enumerate(all_pieces):
        groups = token_groups(pieces, max_groups)
        empty, full = add(d, np.zeros(len(pieces), bool)), add(d, np.ones(len(pieces), bool))
        walks = []
        for _ in range(walks_for(len(groups), calls) if groups else 0):
            order = rng.permutation(len(groups))
            forward, backward = [empty], [full]
            on, off = np.zeros(len(pieces), bool), np.ones(len(pieces), bool)
            for step in order[:-1]:
                on[groups[step]] = True
                forward.append(add(d, on))
                off[groups[step]] = False
                backward.append(add(d, off))
            walks.append((order, forward + [full], backward + [empty]))
        plans.append((groups, walks, empty))
    owner_rows = np.asarray(owners, dtype=int)
    batch = th.TEXT_SHAP_BATCH_DOCUMENTS
    outputs = np.concatenate([
        np.asarray(function(MaskedDocuments(all_pieces, owner_rows[i:i + batch], shown_states[i:i + batch])), dtype=np.float64)
        for i in range(0, len(owners), batch)
    ])
    tokens: list[list[str]] = []
    values: list[np.ndarray] = []
    for pieces, (groups, walks, _) in zip(all_pieces, plans):
        group_values = np.zeros((len(groups), outputs.shape[1]))
        for order, forward, backward in walks:
            group_values[order] += np.diff(outputs[forward], axis=0)  # switching each group on
            group_values[order] -= np.diff(outputs[backward], axis=0)  # switching it off again
        group_values /= max(2 * len(walks), 1)
        token_values = np.zeros((len(pieces), outputs.shape[1]))
        for group, value in zip(groups, group_values):
            token_values[group] = value / len(group)
        tokens.append([word for word, _ in pieces])
        values.append(token_values)
    bases = outputs[[empty for _, _, empty in plans]]
    return tokens, values, bases.reshape(len(documents), -1)


def explain_text(
    fitted: Any, background: pd.DataFrame, rows: pd.DataFrame, output_labels: list[str], seed: int = 0, *,
    raw_output: RawOutputFn,
) -> ModelExplanation:
    """Token SHAP per text column and column-level values (see the module docstring) for one fitted text pipeline.

    ``raw_output(model, X)`` is the family's raw output on encoded rows (its ``ModelSpec.raw_output``).
    """
    start = time.perf_counter()
    f = raw_function(fitted, raw_output)
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
        on_documents = document_function(fitted, raw_output, state, column)
        column_tokens, column_values, _ = explain_documents(on_documents, list(rows[column]), seed=seed)
        for r, token_values in enumerate(column_values):
            values[r, list(rows.columns).index(column)] = token_values.sum(axis=0)
        state[column] = rows[column].to_numpy()
        attributions.append(TokenAttribution(column=column, tokens=column_tokens, values=column_values))
    base = np.asarray(base, dtype=float).reshape(-1)
    error = additivity_error(values, base, outputs)
    names = output_labels if len(output_labels) == n_outputs else [f"output {i}" for i in range(n_outputs)]
    return ModelExplanation(
        explainer="permutation-text", columns=[str(c) for c in rows.columns], output_names=names, values=values,
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
