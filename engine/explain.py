"""SHAP explanations for both families, on the same rows, summed back to original columns.

The fastest exact explainer is used for each model: SHAP's tree explainer for
the gradient-boosted trees, its deep explainer for the network and its linear
explainer for the linear reference. Both explain raw outputs (log-odds or
logits for classifiers, predictions for regressors), and the additivity check
(base value + sum of SHAP values = model output) is measured, not assumed.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
import shap
import torch
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from engine.features import group_by_original_column
from engine.models.dl import _TorchMLPBase

__all__ = ["ModelExplanation", "Agreement", "explain_model", "agreement", "output_names"]

TOP_K = 5


@dataclass
class ModelExplanation:
    """SHAP values of one model on a set of rows, per original column.

    ``values`` has shape (rows, columns, outputs); ``outputs`` are the model's
    raw outputs on those rows, which ``base_values + values.sum(axis=1)``
    reproduces to within ``additivity_max_error``.
    """

    explainer: str
    columns: list[str]
    output_names: list[str]
    values: np.ndarray
    base_values: np.ndarray
    outputs: np.ndarray
    additivity_max_error: float
    seconds: float

    @property
    def global_importance(self) -> dict[str, float]:
        """Mean |SHAP| per column, averaged over outputs (classes), largest first."""
        importance = np.abs(self.values).mean(axis=(0, 2))
        order = np.argsort(-importance, kind="stable")
        return {self.columns[i]: float(importance[i]) for i in order}

    def to_dict(self) -> dict[str, Any]:
        return {
            "explainer": self.explainer,
            "global_importance": self.global_importance,
            "output_names": self.output_names,
            "rows_explained": int(self.values.shape[0]),
            "additivity_max_error": self.additivity_max_error,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class Agreement:
    spearman: float
    top5_overlap: int

    def to_dict(self) -> dict[str, Any]:
        return {"spearman": self.spearman, "top5_overlap": self.top5_overlap}


def explain_model(
    pipeline: Pipeline, background: pd.DataFrame, rows: pd.DataFrame, output_labels: list[str]
) -> ModelExplanation:
    """Explain ``pipeline``'s final estimator on ``rows`` with ``background`` as reference data."""
    start = time.perf_counter()
    preprocess, model = pipeline[:-1], pipeline[-1]
    encoded_names = [str(n) for n in preprocess.get_feature_names_out()]
    X_background = np.asarray(preprocess.transform(background), dtype=np.float64)
    X_rows = np.asarray(preprocess.transform(rows), dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shap's notices about output-format changes
        name, values, base, outputs = _explain(model, X_background, X_rows)
    values = _as_3d(values)
    outputs = outputs.reshape(len(X_rows), -1)
    base = np.broadcast_to(np.asarray(base, dtype=float).reshape(-1), (values.shape[2],)).copy()
    error = float(np.max(np.abs(base + values.sum(axis=1) - outputs))) if len(X_rows) else 0.0
    grouped, columns = group_by_original_column(values, encoded_names)
    return ModelExplanation(
        explainer=name, columns=columns,
        output_names=output_labels if len(output_labels) == values.shape[2] else [f"output {i}" for i in range(values.shape[2])],
        values=grouped, base_values=base, outputs=outputs, additivity_max_error=error,
        seconds=time.perf_counter() - start,
    )


def output_names(classes: list[str] | None, target: str) -> list[str]:
    """Names of the raw outputs both families explain."""
    if classes is None:
        return [f"predicted {target}"]
    if len(classes) == 2:
        return [f"log-odds of {target} = {classes[1]}"]
    return [f"logit of {target} = {c}" for c in classes]


def agreement(first: ModelExplanation, second: ModelExplanation) -> Agreement:
    """Spearman correlation of the two importance rankings and overlap of their top 5."""
    a, b = first.global_importance, second.global_importance
    columns = [c for c in a if c in b]
    x = np.array([a[c] for c in columns])
    y = np.array([b[c] for c in columns])
    if len(columns) < 2:
        rho = 1.0
    elif np.ptp(x) == 0 or np.ptp(y) == 0:
        rho = 0.0
    else:
        rho = float(spearmanr(x, y).statistic)
    top_a = set(list(a)[:TOP_K])
    top_b = set(list(b)[:TOP_K])
    return Agreement(spearman=rho, top5_overlap=len(top_a & top_b))


def _explain(model: BaseEstimator, X_background: np.ndarray, X_rows: np.ndarray) -> tuple[str, np.ndarray, Any, np.ndarray]:
    if isinstance(model, (lightgbm.LGBMClassifier, lightgbm.LGBMRegressor)):
        explainer = shap.TreeExplainer(model, model_output="raw")
        values = explainer.shap_values(X_rows, check_additivity=False)
        return "tree", np.asarray(values), explainer.expected_value, model.predict(X_rows, raw_score=True)
    if isinstance(model, _TorchMLPBase):
        module = model.explain_module()
        background = torch.from_numpy(X_background.astype(np.float32))
        rows = torch.from_numpy(X_rows.astype(np.float32))
        explainer = shap.DeepExplainer(module, background)
        values = explainer.shap_values(rows, check_additivity=False)
        with torch.no_grad():
            outputs = module(rows).numpy().astype(np.float64)
        return "deep", np.asarray(values), explainer.expected_value, outputs
    if hasattr(model, "coef_"):
        explainer = shap.LinearExplainer(model, X_background)
        values = explainer.shap_values(X_rows)
        raw = model.decision_function(X_rows) if hasattr(model, "decision_function") else model.predict(X_rows)
        return "linear", np.asarray(values), explainer.expected_value, raw
    raise TypeError(f"no explainer for {type(model).__name__}")


def _as_3d(values: np.ndarray) -> np.ndarray:
    """(rows, features) or (rows, features, outputs) -> (rows, features, outputs)."""
    return values[:, :, np.newaxis] if values.ndim == 2 else values
