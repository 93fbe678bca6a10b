"""Models for text: TF-IDF into a linear model, and a PyTorch token network on the shared loop.

Both read every text column through :mod:`engine.kinds.text.tokens` (one regex
tokenizer, the first ``TEXT_MAX_TOKENS`` tokens of a document) and take any
tabular columns next to the text through the same preprocessor as the tabular
models. Vocabularies come from the training rows only (``fit``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import torch
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from engine.common import thresholds as th
from engine.profile.balance import balanced_training
from engine.profile.features import make_preprocessor
from engine.models.torch_base import LoopParameters, TorchClassifierMixin, TorchEstimator, TorchRegressorMixin
from engine.profile.profile import ColumnKind, DatasetProfile
from engine.kinds.text.tokens import as_text, character_ngrams, tokenize

__all__ = [
    "text_columns",
    "tabular_columns",
    "make_tfidf_model",
    "make_text_network",
    "TextNetClassifier",
    "TextNetRegressor",
    "pipeline_text_columns",
]

_TEXT_STEP = "text"


def text_columns(profile: DatasetProfile) -> list[str]:
    """The profile's free-text columns (never the target)."""
    return [c.name for c in profile.columns if c.name != profile.target and c.kind is ColumnKind.TEXT]


def tabular_columns(profile: DatasetProfile) -> list[str]:
    """The numeric, categorical and date columns that join the text."""
    return profile.feature_columns


def pipeline_text_columns(pipeline: Pipeline) -> list[str]:
    """The text columns a fitted or unfitted text pipeline reads, in order (its ``text…`` transformers)."""
    columns: list[str] = []
    for name, _, selected in pipeline[0].transformers:
        if name.startswith(_TEXT_STEP):
            columns += [selected] if isinstance(selected, str) else list(selected)
    return columns


def _as_documents(X: Any) -> list[str]:
    """One column (Series, 1-D or (n, 1) array) as a list of strings."""
    values = np.asarray(X, dtype=object).reshape(-1)
    return [as_text(v) for v in values]


def _tfidf(column: str) -> Pipeline:
    """Word 1-2-grams and character 2-5-grams of one text column (sublinear TF, L2-normalised)."""
    words = TfidfVectorizer(
        tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, 2), min_df=1,
        sublinear_tf=True, max_features=200_000, dtype=np.float64,
    )
    characters = TfidfVectorizer(
        analyzer=character_ngrams, min_df=2, sublinear_tf=True, max_features=200_000, dtype=np.float64,
    )
    return Pipeline([
        ("documents", FunctionTransformer(_as_documents)),
        ("tfidf", FeatureUnion([("words", words), ("characters", characters)])),
    ])


def make_tfidf_model(profile: DatasetProfile, *, seed: int = 0, C: float = 4.0) -> Pipeline:
    """TF-IDF per text column (+ the tabular preprocessor) into logistic regression, or ridge for regression."""
    transformers: list[tuple[str, Any, Any]] = [
        (f"{_TEXT_STEP}{i}", _tfidf(column), column) for i, column in enumerate(text_columns(profile))
    ]
    if tabular_columns(profile):
        transformers.append(("tabular", make_preprocessor(profile, for_network=True), tabular_columns(profile)))
    prep = ColumnTransformer(transformers, remainder="drop", sparse_threshold=1.0)
    if profile.task.is_classification:
        weights = "balanced" if balanced_training(profile) else None  # judged on balanced accuracy there
        linear: Any = LogisticRegression(C=C, max_iter=2_000, random_state=seed, class_weight=weights)
    else:
        linear = Ridge(alpha=1.0)
    return Pipeline([("prep", prep), ("model", linear)])


class _TextNet(TorchEstimator):
    """Token (+ bigram) ids through a mean-pooled EmbeddingBag per text column, then a linear (or MLP) head.

    ``X`` (as the pipeline's preprocessor hands it over) holds the
    ``n_text_columns`` text columns first, then numeric tabular features.
    Vocabularies of unigrams (and bigrams when ``ngrams=2``) come from
    ``fit``'s rows (ids 0 and 1 are padding and unknown); the embedding layer
    learns from scratch. ``hidden_size=0`` is the fastText-style linear head on
    the pooled embeddings (and tabular features); a positive size puts one
    hidden ReLU layer before it. Early stopping on the validation slice runs
    at most ``max_steps`` optimiser steps and chooses the epoch count; up to
    ``refit_max_rows`` rows a fresh network then trains on every row for it.
    """

    network_parameters = {
        "n_text_columns": 1, "embedding_dim": 64, "hidden_size": 0, "dropout": 0.0, "ngrams": 2,
        "max_vocabulary": th.TEXT_NET_MAX_VOCABULARY, "min_count": 2, "max_steps": th.TEXT_NET_MAX_STEPS,
        "refit_max_rows": th.TEXT_NET_REFIT_MAX_ROWS,
    }
    loop_defaults = LoopParameters(
        learning_rate=th.TEXT_NET_LEARNING_RATE, weight_decay=0.0, max_epochs=40, patience=2, refit_on_all_rows=True,
    )

    # -- inputs ---------------------------------------------------------------------
    def _width(self) -> int:
        """Ids per document: its tokens, then (``ngrams=2``) its bigrams."""
        return self.max_tokens_ if self.ngrams == 1 else 2 * self.max_tokens_ - 1

    def _prepare(self, X: Any, *, reset: bool) -> np.ndarray:
        """Rows as float32: per text column a fixed-width block of token ids (0 = padding), then tabular features."""
        if self.ngrams not in (1, 2):
            raise ValueError(f"ngrams must be 1 (unigrams) or 2 (unigrams and bigrams), got {self.ngrams!r}")
        if not reset:
            check_is_fitted(self, "vocabularies_")
        n_text = self.n_text_columns
        if n_text and np.ndim(X) == 1:
            X = np.asarray(X, dtype=object).reshape(-1, 1)
        # Text cells stay strings (a missing document is NaN: no words); the tabular part is checked below.
        X = validate_data(self, X, dtype=None if n_text else np.float32, reset=reset,
                          ensure_all_finite=False if n_text else True)
        if reset:
            tokens = [[tokenize(v) for v in X[:, c]] for c in range(n_text)]
            longest = max((len(d) for docs in tokens for d in docs), default=1)
            self.max_tokens_ = max(1, min(longest, th.TEXT_MAX_TOKENS))
            self.n_tabular_ = X.shape[1] - n_text
        else:
            tokens = [[tokenize(v, max_tokens=self.max_tokens_) for v in X[:, c]] for c in range(n_text)]
        documents = [[self._grams(d) for d in docs] for docs in tokens]  # each document's grams, made once
        if reset:
            self.vocabularies_ = [self._vocabulary(docs) for docs in documents]
        width = self._width()
        blocks = [self._ids(docs, vocabulary, width) for docs, vocabulary in zip(documents, self.vocabularies_)]
        tabular = X[:, n_text:].astype(np.float32)
        if not np.isfinite(tabular).all():
            raise ValueError("tabular features hold NaN or infinite values after preprocessing")
        return np.hstack(blocks + [tabular]) if blocks else tabular

    def _grams(self, tokens: list[str]) -> list[str]:
        """The document's tokens, then (``ngrams=2``) its bigrams as "a b"."""
        return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])] if self.ngrams == 2 else tokens

    def _vocabulary(self, documents: list[list[str]]) -> dict[str, int]:
        """The ``max_vocabulary`` most frequent grams; bigrams need ``min_count`` occurrences, unigrams one."""
        counts: Counter[str] = Counter()
        for grams in documents:
            counts.update(grams)
        kept = [t for t, n in counts.most_common(self.max_vocabulary) if n >= self.min_count or " " not in t]
        return {token: i + 2 for i, token in enumerate(kept)}

    @staticmethod
    def _ids(documents: list[list[str]], vocabulary: dict[str, int], width: int) -> np.ndarray:
        ids = np.zeros((len(documents), width), dtype=np.float32)
        for row, grams in enumerate(documents):
            ids[row, :len(grams)] = [vocabulary.get(g, 1) for g in grams]
        return ids

    def _epoch_limit(self, train_rows: int) -> int:
        """``max_epochs``, or fewer when they would take more than ``max_steps`` optimiser steps.

        Larger data takes more steps per epoch and needs fewer epochs; the
        bound keeps training time from growing with rows x epochs.
        """
        if self.max_steps is None:
            return self.max_epochs
        steps_per_epoch = -(-train_rows // self.batch_size_)
        return max(1, min(self.max_epochs, self.max_steps // max(steps_per_epoch, 1)))

    def _refits(self, n_rows: int) -> bool:
        """Refit on every row only up to ``refit_max_rows`` rows: there the validation slice is worth a second run."""
        return bool(self.refit_on_all_rows) and (self.refit_max_rows is None or n_rows <= self.refit_max_rows)

    # -- the module -----------------------------------------------------------------
    def _build_module(self, X: Any, n_outputs: int) -> nn.Module:
        return _TokenBagModule(
            vocabulary_sizes=[len(v) + 2 for v in self.vocabularies_], width=self._width(),
            n_tabular=self.n_tabular_, embedding_dim=self.embedding_dim, hidden_size=self.hidden_size,
            dropout=self.dropout, n_outputs=n_outputs,
        )

    def _optimiser(self, module: nn.Module) -> Any:
        """Fused AdamW (one kernel over the whole embedding table each step); no weight decay on the embeddings."""
        tables = list(module.bags.parameters())
        return torch.optim.AdamW([{"params": tables, "weight_decay": 0.0}, {"params": module.head.parameters()}],
                                 lr=self.learning_rate_, weight_decay=self.weight_decay, fused=True)

    def raw_output_float64(self, X: Any) -> np.ndarray:
        """Raw outputs computed in float64 (the token explainer's model: additive to ~1e-12)."""
        if getattr(self, "_module64", None) is None or self._module64_of is not self.module_:
            import copy

            self._module64 = copy.deepcopy(self.explain_module()).double().eval()
            self._module64_of = self.module_
        prepared = self._prepare(X, reset=False).astype(np.float64)
        with torch.inference_mode():
            return self._module64(torch.from_numpy(prepared)).numpy()

    @property
    def display_name(self) -> str:
        grams = "unigrams" if self.ngrams == 1 else "unigrams + bigrams"
        head = f"hidden layer {self.hidden_size}" if self.hidden_size else "linear head"
        return f"PyTorch token network (embeddings {self.embedding_dim}, mean-pooled {grams}, {head})"


class _TokenBagModule(nn.Module):
    """Per text column an EmbeddingBag (mean over the document's ids), joined with tabular features, then the head.

    The head is one Linear layer (``hidden_size=0``) or Linear/ReLU/Linear,
    with dropout on its input when ``dropout`` is positive.
    """

    def __init__(self, vocabulary_sizes: list[int], width: int, n_tabular: int, embedding_dim: int,
                 hidden_size: int, dropout: float, n_outputs: int) -> None:
        super().__init__()
        self.width = width
        self.bags = nn.ModuleList(nn.EmbeddingBag(size, embedding_dim, mode="mean")
                                  for size in vocabulary_sizes)
        joined = embedding_dim * len(vocabulary_sizes) + n_tabular
        layers: list[nn.Module] = [nn.Dropout(dropout)] if dropout else []
        if hidden_size:
            layers += [nn.Linear(joined, hidden_size), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
            joined = hidden_size
        self.head = nn.Sequential(*layers, nn.Linear(joined, n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = []
        for i, bag in enumerate(self.bags):
            # The bag of each row is its non-zero ids, handed over flat with offsets: the mean
            # over padding-free bags is what ``padding_idx=0`` computes, at a fraction of the cost.
            ids = x[:, i * self.width:(i + 1) * self.width].long()
            present = ids != 0
            lengths = present.sum(dim=1)
            offsets = torch.zeros_like(lengths)
            offsets[1:] = torch.cumsum(lengths, dim=0)[:-1]
            parts.append(bag(ids[present], offsets))
        parts.append(x[:, len(self.bags) * self.width:])
        return self.head(torch.cat(parts, dim=1))


class TextNetClassifier(TorchClassifierMixin, _TextNet):
    """Token network classifier: one logit for two classes, one per class otherwise."""


class TextNetRegressor(TorchRegressorMixin, _TextNet):
    """Token network regressor trained on a standardised target; outputs in the target's units."""


def make_text_network(profile: DatasetProfile, *, seed: int = 0, max_seconds: float | None = None, **params: Any) -> Pipeline:
    """Text columns passed through as they are, tabular columns preprocessed as for the MLP, into the token network."""
    texts = text_columns(profile)
    transformers: list[tuple[str, Any, Any]] = [(_TEXT_STEP, "passthrough", texts)]
    if tabular_columns(profile):
        transformers.append(("tabular", make_preprocessor(profile, for_network=True), tabular_columns(profile)))
    prep = ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)
    cls = TextNetClassifier if profile.task.is_classification else TextNetRegressor
    if cls is TextNetClassifier:
        params.setdefault("class_weight", "balanced" if balanced_training(profile) else None)
    network = cls(n_text_columns=len(texts), random_state=seed, max_seconds=max_seconds, **params)
    return Pipeline([("prep", prep), ("model", network)])


def check_has_words(X: Any, pipeline: Pipeline) -> None:
    """DataError when no document in any text column holds a single token (only punctuation, emoji or nothing)."""
    from engine.io.data import DataError

    for column in pipeline_text_columns(pipeline):
        if not any(tokenize(v, max_tokens=1) for v in X[column]):
            raise DataError(f"text column '{column}' holds no words in the training rows (only punctuation, emoji or "
                            "empty cells); there is nothing for the text models to read")


def fit_checked(pipeline: Pipeline, X: Any, y: Any) -> list[str]:
    """Fit a text pipeline after :func:`check_has_words`; notes on documents without words and long documents."""
    check_has_words(X, pipeline)
    pipeline.fit(X, y)
    notes = []
    for column in pipeline_text_columns(pipeline):
        counts = [len(tokenize(v, max_tokens=th.TEXT_MAX_TOKENS + 1)) for v in X[column]]
        empty = sum(1 for n in counts if n == 0)
        long = sum(1 for n in counts if n > th.TEXT_MAX_TOKENS)
        if empty:
            notes.append(f"{empty} training documents of {column} hold no words (empty, punctuation or emoji only)")
        if long:
            notes.append(f"{long} training documents of {column} are longer than {th.TEXT_MAX_TOKENS} tokens; "
                         "both models read their beginning only")
    return notes
