"""The one explanation result every data kind produces, and the agreement between two of them.

A :class:`ModelExplanation` always carries SHAP values per original column
(rows × columns × outputs), so every kind can be ranked and compared the same
way. Text adds per-token values (:class:`TokenAttribution`) and images
per-pixel values (:class:`PixelAttribution`) below the column level. This
module is light (numpy, scipy): a saved run can be drawn without torch or shap.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from engine.common import thresholds as th

__all__ = [
    "ModelExplanation",
    "TokenAttribution",
    "PixelAttribution",
    "AdditivityCheck",
    "Agreement",
    "agreement",
    "compared_importance",
    "features_that_matter",
    "IMPORTANCE_SHARE_COMPARED",
    "additivity_error",
    "output_names",
    "TOP_K",
]

TOP_K = 5
#: Agreement ranks only the features that carry this share of either model's importance: on 86 columns of
#: which ~80 are near zero for both, a rank correlation over all 86 mostly measured the order of the noise.
IMPORTANCE_SHARE_COMPARED = 0.9


@dataclass
class TokenAttribution:
    """Per-token SHAP values of one text column on the explained rows.

    ``tokens[r]`` are row r's tokens in reading order (whitespace stripped) and
    ``values[r]`` their values, shape (tokens, outputs); ragged across rows.
    """

    column: str
    tokens: list[list[str]]
    values: list[np.ndarray]

    def summary(self, output_labels: list[str], top: int = th.TOP_TOKENS) -> dict[str, list[dict[str, Any]]]:
        """The most influential tokens per output: mean |SHAP| and mean signed SHAP over their occurrences."""
        n_outputs = len(output_labels)
        totals: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
        for tokens, values in zip(self.tokens, self.values):
            values = np.asarray(values, dtype=float).reshape(len(tokens), n_outputs)
            for token, value in zip(tokens, values):
                key = token.strip().lower()
                if not key:
                    continue
                absolute, signed, count = totals.get(key, (np.zeros(n_outputs), np.zeros(n_outputs), 0))
                totals[key] = (absolute + np.abs(value), signed + value, count + 1)
        summary: dict[str, list[dict[str, Any]]] = {}
        for output, label in enumerate(output_labels):
            ranked = sorted(totals.items(), key=lambda item: -item[1][0][output] / item[1][2])[:top]
            summary[label] = [
                {"token": token, "mean_abs_shap": float(a[output] / n), "mean_shap": float(s[output] / n), "count": n}
                for token, (a, s, n) in ranked
            ]
        return summary


@dataclass
class PixelAttribution:
    """Per-pixel SHAP values (channels summed) on the explained images: (rows, height, width, outputs)."""

    values: np.ndarray
    channels: int = 1

    @property
    def side(self) -> int:
        return int(self.values.shape[1])

    def mean_abs_map(self) -> np.ndarray:
        """Mean |SHAP| per pixel and output: (height, width, outputs)."""
        return np.abs(self.values).mean(axis=0)

    def summary(self, output_labels: list[str]) -> dict[str, Any]:
        maps = self.mean_abs_map()
        return {
            "side": self.side,
            "channels": self.channels,
            "mean_abs": {label: maps[:, :, i].round(8).tolist() for i, label in enumerate(output_labels)},
        }


@dataclass(frozen=True)
class AdditivityCheck:
    """Whether base value + sum of SHAP values reproduces the model's output, relative to its scale."""

    max_error: float
    scale: float
    tolerance: float
    expected: bool  # False for explainers that are approximate by design (e.g. gradient-based)

    @property
    def relative_error(self) -> float:
        return self.max_error / self.scale

    @property
    def passed(self) -> bool:
        return self.relative_error <= self.tolerance

    def describe(self) -> str:
        """'passes' / 'fails (…)' / 'not additive by design (…)' in words."""
        gap = f"largest gap {self.max_error:.3g} on outputs up to {self.scale:.3g}"
        if self.passed:
            return f"passes ({gap})"
        if not self.expected:
            return f"not additive by design ({gap})"
        return f"fails ({gap}, over {self.tolerance:g} of the output scale)"


@dataclass
class ModelExplanation:
    """SHAP values of one model on a set of rows, per original column.

    ``values`` has shape (rows, columns, outputs); ``outputs`` are the model's
    raw outputs on those rows, which ``base_values + values.sum(axis=1)``
    reproduces to within ``additivity_max_error``. ``tokens`` (text columns)
    and ``pixels`` (images) hold the same values below the column level.
    """

    explainer: str
    columns: list[str]
    output_names: list[str]
    values: np.ndarray
    base_values: np.ndarray
    outputs: np.ndarray
    additivity_max_error: float
    seconds: float
    additive_by_design: bool = True
    tokens: list[TokenAttribution] = field(default_factory=list)
    pixels: PixelAttribution | None = None

    @property
    def global_importance(self) -> dict[str, float]:
        """Mean |SHAP| per column, averaged over outputs (classes), largest first."""
        importance = np.abs(self.values).mean(axis=(0, 2)) if self.values.size else np.zeros(len(self.columns))
        order = np.argsort(-importance, kind="stable")
        return {self.columns[i]: float(importance[i]) for i in order}

    @property
    def additivity(self) -> AdditivityCheck:
        """The additivity check against :data:`engine.common.thresholds.SHAP_ADDITIVITY_RELATIVE_TOLERANCE`."""
        scale = 1.0 + float(np.max(np.abs(self.outputs), initial=0.0))
        return AdditivityCheck(
            max_error=self.additivity_max_error, scale=scale,
            tolerance=th.SHAP_ADDITIVITY_RELATIVE_TOLERANCE, expected=self.additive_by_design,
        )

    def extended_by(self, more: "ModelExplanation") -> "ModelExplanation":
        """This explanation followed by ``more`` (the same model, explainer and background on further rows)."""
        pixels = self.pixels
        if pixels is not None and more.pixels is not None:
            pixels = PixelAttribution(np.concatenate([pixels.values, more.pixels.values]), pixels.channels)
        tokens = [
            TokenAttribution(mine.column, mine.tokens + theirs.tokens, mine.values + theirs.values)
            for mine, theirs in zip(self.tokens, more.tokens)
        ]
        return replace(
            self,
            values=np.concatenate([self.values, more.values]),
            outputs=np.concatenate([self.outputs, more.outputs]),
            additivity_max_error=max(self.additivity_max_error, more.additivity_max_error),
            seconds=self.seconds + more.seconds,
            tokens=tokens,
            pixels=pixels,
        )

    # -- shap's own type: notebooks and shap's plots on a saved run ---------------------
    def to_shap(self, data: Any = None) -> Any:
        """This explanation per original column as a ``shap.Explanation`` (shap's plots take it as it is).

        ``values`` are (rows, columns) for one output, else (rows, columns, outputs), and
        ``base_values`` one per row (and output); ``data``, the explained rows (optional), lets
        shap's plots colour by feature value. :meth:`from_shap` reads it back.
        """
        import shap

        single = len(self.output_names) == 1
        rows = self.values.shape[0]
        base = np.broadcast_to(np.asarray(self.base_values, dtype=float).reshape(-1), (rows, len(self.output_names)))
        return shap.Explanation(
            values=(self.values[:, :, 0] if single else self.values).copy(),
            base_values=(base[:, 0] if single else base).copy(),
            data=None if data is None else np.asarray(data),
            feature_names=list(self.columns),
            output_names=list(self.output_names),
            compute_time=self.seconds,
        )

    @classmethod
    def from_shap(cls, explanation: Any, outputs: Any = None, explainer: str = "shap",
                  additive_by_design: bool = True) -> "ModelExplanation":
        """A ``shap.Explanation`` (rows × features [× outputs]) as a ModelExplanation.

        ``outputs``, the model's raw outputs on the rows, make the additivity check a real one;
        without them the values' own sum stands in (an additivity error of 0 by construction).
        The base value must be the same for every row (one background), as every explainer here gives.
        """
        values = np.asarray(explanation.values, dtype=float)
        if values.ndim == 2:
            values = values[:, :, None]
        if values.ndim != 3:
            raise ValueError(f"expected SHAP values of (rows, features[, outputs]), got shape {values.shape}")
        rows, features, n_outputs = values.shape
        base_rows = np.asarray(explanation.base_values, dtype=float).reshape(rows, -1) if rows else np.zeros((0, n_outputs))
        base = base_rows[0] if rows else np.zeros(n_outputs)
        if rows and not np.allclose(base_rows, base):
            raise ValueError("the base values differ between rows; a ModelExplanation has one base per output")
        names = explanation.output_names
        names = [names] if isinstance(names, str) else list(names) if names is not None else []
        if len(names) != n_outputs:
            names = [f"output {i}" for i in range(n_outputs)]
        columns = list(explanation.feature_names) if explanation.feature_names is not None else []
        if len(columns) != features:
            columns = [f"feature {i}" for i in range(features)]
        outputs = (base + values.sum(axis=1)) if outputs is None else np.asarray(outputs, dtype=float).reshape(rows, -1)
        return cls(
            explainer=explainer, columns=[str(c) for c in columns], output_names=[str(n) for n in names],
            values=values, base_values=np.asarray(base, dtype=float), outputs=outputs,
            additivity_max_error=additivity_error(values, base, outputs),
            seconds=float(explanation.compute_time or 0.0), additive_by_design=additive_by_design,
        )

    def tokens_to_shap(self, column: str | None = None) -> Any:
        """One text column's token values as a ``shap.Explanation`` for ``shap.plots.text``.

        Per row: ``values`` (tokens[, outputs]), ``data`` the tokens, and ``base_values`` the
        row's output less its tokens' sum (what the other columns and the base contribute), so
        each row adds up to the model's output.
        """
        import shap

        attribution = next((t for t in self.tokens if column is None or t.column == column), None)
        if attribution is None:
            raise ValueError(f"no token values for {column or 'any column'}")
        n_outputs = len(self.output_names)
        per_row = [np.asarray(v, dtype=float).reshape(len(t), n_outputs) for t, v in zip(attribution.tokens, attribution.values)]
        base = np.stack([self.outputs[r] - per_row[r].sum(axis=0) for r in range(len(per_row))]) if per_row else np.zeros((0, n_outputs))
        single = n_outputs == 1
        return shap.Explanation(
            values=_ragged([v[:, 0] if single else v for v in per_row]),
            base_values=base[:, 0] if single else base,
            data=_ragged([np.asarray(t, dtype=object) for t in attribution.tokens]),
            feature_names=_ragged([np.asarray(t, dtype=object) for t in attribution.tokens]),
            output_names=list(self.output_names),
        )

    def pixels_to_shap(self) -> Any:
        """The per-pixel values (channels summed) as a ``shap.Explanation`` of (rows, height, width[, outputs])."""
        import shap

        if self.pixels is None:
            raise ValueError("this explanation has no pixel values")
        values = np.asarray(self.pixels.values, dtype=float)
        rows = values.shape[0]
        base = np.broadcast_to(np.asarray(self.base_values, dtype=float).reshape(-1), (rows, values.shape[-1]))
        single = values.shape[-1] == 1
        return shap.Explanation(values=values[..., 0] if single else values, base_values=(base[:, 0] if single else base).copy(),
                                output_names=list(self.output_names))

    def to_dict(self) -> dict[str, Any]:
        """The ``E`` object of the command-line JSON (DESIGN.md §4)."""
        check = self.additivity
        payload: dict[str, Any] = {
            "explainer": self.explainer,
            "global_importance": self.global_importance,
            "output_names": self.output_names,
            "rows_explained": int(self.values.shape[0]),
            "additivity_max_error": self.additivity_max_error,
            "additivity": {"passed": check.passed, "relative_error": check.relative_error,
                           "tolerance": check.tolerance, "additive_by_design": check.expected},
            "seconds": self.seconds,
        }
        if self.tokens:
            payload["tokens"] = {t.column: t.summary(self.output_names) for t in self.tokens}
        if self.pixels is not None:
            payload["pixels"] = self.pixels.summary(self.output_names)
        return payload


@dataclass(frozen=True)
class Agreement:
    """How alike two models' importance rankings are, over the features that matter to either.

    ``spearman`` is over ``compared_features``: the union of both models' top
    features carrying :data:`IMPORTANCE_SHARE_COMPARED` of their importance
    (of ``total_features`` they share). It is None when they share fewer than
    :data:`engine.common.thresholds.MIN_FEATURES_TO_COMPARE` features: a rank
    correlation of one or two items says nothing.
    """

    spearman: float | None
    top5_overlap: int
    compared_features: int = 0
    compared_on: str = "columns"  # "columns" | "tokens"
    total_features: int = 0  # shared features before the near-zero ones were left out (0: an older record)
    importance_share: float = 1.0  # the share of importance the compared features carry (1.0: all, older records)

    @property
    def comparable(self) -> bool:
        return self.spearman is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "spearman": self.spearman,
            "top5_overlap": self.top5_overlap,
            "compared_features": self.compared_features,
            "compared_on": self.compared_on,
            "comparable": self.comparable,
            "total_features": self.total_features,
            "importance_share": self.importance_share,
        }


def agreement(first: ModelExplanation, second: ModelExplanation) -> Agreement:
    """Spearman correlation of the two importance rankings over the features that matter, and their top-5 overlap.

    Rankings are compared per column; where the models share too few columns
    but both carry token values (a text column alone), per token instead.
    Features near zero for both models are left out (:func:`features_that_matter`).
    """
    a, b, compared_on = compared_importance(first, second)
    shared = [c for c in a if c in b]
    kept = features_that_matter(a, b)
    x = np.array([a[c] for c in kept])
    y = np.array([b[c] for c in kept])
    rho: float | None
    if len(kept) < th.MIN_FEATURES_TO_COMPARE:
        rho = None
    elif np.ptp(x) == 0 or np.ptp(y) == 0:
        rho = 0.0
    else:
        rho = float(spearmanr(x, y).statistic)
    top_a = set(list(a)[:TOP_K])
    top_b = set(list(b)[:TOP_K])
    return Agreement(
        spearman=rho, top5_overlap=len(top_a & top_b), compared_features=len(kept), compared_on=compared_on,
        total_features=len(shared), importance_share=IMPORTANCE_SHARE_COMPARED,
    )


def features_that_matter(
    a: dict[str, float], b: dict[str, float], share: float = IMPORTANCE_SHARE_COMPARED
) -> list[str]:
    """The shared features among either ranking's smallest top carrying ``share`` of its importance, largest first.

    At least :data:`engine.common.thresholds.MIN_FEATURES_TO_COMPARE` when that many
    are shared (the next by combined share fill up), so a model that puts all
    its weight on one column is still compared.
    """
    shared = [c for c in a if c in b]
    kept: set[str] = set()
    for ranking in (a, b):
        values = np.array([max(ranking[c], 0.0) for c in shared])
        total = float(values.sum())
        if total <= 0:
            continue
        order = np.argsort(-values, kind="stable")
        cumulative = np.cumsum(values[order]) / total
        needed = int(np.searchsorted(cumulative, share - 1e-12)) + 1
        kept.update(shared[i] for i in order[:needed])
    # The totals once, not once per feature: on a 10,000-column table the per-feature sums took minutes.
    total_a = sum(a[k] for k in shared) or 1.0
    total_b = sum(b[k] for k in shared) or 1.0
    combined = {c: a[c] / total_a + b[c] / total_b for c in shared}
    for c in sorted(shared, key=lambda c: -combined[c]):
        if len(kept) >= th.MIN_FEATURES_TO_COMPARE:
            break
        kept.add(c)
    return sorted(kept, key=lambda c: -combined[c])


def compared_importance(first: ModelExplanation, second: ModelExplanation) -> tuple[dict[str, float], dict[str, float], str]:
    """The two importance rankings :func:`agreement` compares, largest first, and what they rank: "columns" or "tokens".

    Per column; where the models share too few columns but both carry token
    values (a text column alone), per token instead.
    """
    a, b = first.global_importance, second.global_importance
    if len([c for c in a if c in b]) < th.MIN_FEATURES_TO_COMPARE and first.tokens and second.tokens:
        return _token_importance(first), _token_importance(second), "tokens"
    return a, b, "columns"


def _token_importance(explanation: ModelExplanation) -> dict[str, float]:
    """Mean |SHAP| per distinct token over all outputs and text columns, largest first."""
    totals: dict[str, list[float]] = {}
    for attribution in explanation.tokens:
        for tokens, values in zip(attribution.tokens, attribution.values):
            if not tokens:  # an empty document
                continue
            magnitudes = np.abs(np.asarray(values, dtype=float)).reshape(len(tokens), -1).mean(axis=1)
            for token, magnitude in zip(tokens, magnitudes):
                key = token.strip().lower()
                if key:
                    totals.setdefault(key, []).append(float(magnitude))
    means = {token: float(np.mean(values)) for token, values in totals.items()}
    return dict(sorted(means.items(), key=lambda item: -item[1]))


def _ragged(items: list[Any]) -> np.ndarray:
    """A 1-D object array of per-row arrays (numpy would stack equal lengths into one block)."""
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def additivity_error(values: np.ndarray, base: Any, outputs: np.ndarray) -> float:
    """Largest |base + sum of SHAP values - output| over rows and outputs; ``values`` is (rows, features, outputs)."""
    if not len(values):
        return 0.0
    base = np.asarray(base, dtype=float).reshape(-1)
    outputs = np.asarray(outputs, dtype=float).reshape(len(values), -1)
    return float(np.max(np.abs(base + values.sum(axis=1) - outputs)))


def output_names(classes: list[str] | None, target: str) -> list[str]:
    """Names of the raw outputs both families explain."""
    if classes is None:
        return [f"predicted {target}"]
    if len(classes) == 2:
        return [f"log-odds of {target} = {classes[1]}"]
    return [f"logit of {target} = {c}" for c in classes]
