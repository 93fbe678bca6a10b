"""SHAP explanations of tabular models, on the same rows, summed back to original columns.

Each tabular model family names its explainer per mode in the registry
(:mod:`engine.kinds.tabular`); this module holds them, keyed by method:

``"tree"`` / ``"deep"`` / ``"linear"`` (fast mode)
    The fastest exact explainer for each model: SHAP's tree explainer
    (path-dependent) for the gradient-boosted trees, its deep explainer for
    the network and its linear explainer for the linear reference.
``"tree-interventional"`` / ``"permutation"`` / ``"linear-interventional"`` (shared mode)
    One SHAP definition for both, so their agreement compares like with like:
    interventional Shapley values against the *same* background rows through
    the same ``shap.maskers.Independent`` masker, on the same raw scale. Trees
    get the tree explainer in interventional mode (exact); the network gets
    the permutation walk over a plain tensor function of its raw output
    (antithetic permutations: exact for interactions up to second order,
    additive always); a linear model gets the linear explainer with that
    masker (exact).

Both modes explain raw outputs (log-odds or logits for classifiers,
predictions for regressors), and the additivity check (base value + sum of
SHAP values = model output) is measured, not assumed. The result type lives
in :mod:`engine.explain.explanation` (light, so saved runs draw without shap).
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd
import shap
import torch
from sklearn.pipeline import Pipeline

from engine.common import thresholds as th
from engine.explain.explanation import Agreement, ModelExplanation, additivity_error, agreement, output_names
from engine.profile.features import group_by_original_column
from engine.registry import boosting_raw_output, linear_raw_output

__all__ = [
    "TABULAR_METHODS",
    "ModelExplanation",
    "Agreement",
    "explain_tabular",
    "agreement",
    "output_names",
    "permutation_shap",
    "tensor_function",
]

#: (model, background matrix, rows matrix, seed, permutations) -> (explainer name, values, base, raw outputs)
Method = Callable[[Any, np.ndarray, np.ndarray, int, int], tuple[str, np.ndarray, Any, np.ndarray]]


def explain_tabular(
    pipeline: Pipeline,
    background: pd.DataFrame,
    rows: pd.DataFrame,
    output_labels: list[str],
    seed: int = 0,
    *,
    method: str,
    permutations: int = th.SHAP_SHARED_PERMUTATIONS,
) -> ModelExplanation:
    """Explain ``pipeline``'s final estimator on ``rows`` with ``background`` as reference data.

    ``method`` is a key of :data:`TABULAR_METHODS`; the shared methods use
    every row of ``background`` as the masker's background, so two models
    explained with the same ``background`` and ``rows`` get the same
    definition of SHAP value (see the module docstring).
    """
    start = time.perf_counter()
    preprocess, model = pipeline[:-1], pipeline[-1]
    encoded_names = [str(n) for n in preprocess.get_feature_names_out()]
    X_background = _dense(preprocess.transform(background))
    X_rows = _dense(preprocess.transform(rows))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shap's notices about output-format changes
        name, values, base, outputs = TABULAR_METHODS[method](model, X_background, X_rows, seed, permutations)
    values = _as_3d(np.asarray(values, dtype=float))
    outputs = np.asarray(outputs, dtype=float).reshape(len(X_rows), -1)
    base = np.broadcast_to(np.asarray(base, dtype=float).reshape(-1), (values.shape[2],)).copy()
    error = additivity_error(values, base, outputs)
    grouped, columns = group_by_original_column(values, encoded_names)
    return ModelExplanation(
        explainer=name, columns=columns,
        output_names=output_labels if len(output_labels) == values.shape[2] else [f"output {i}" for i in range(values.shape[2])],
        values=grouped, base_values=base, outputs=outputs, additivity_max_error=error,
        seconds=time.perf_counter() - start,
    )


def _dense(matrix: Any) -> np.ndarray:
    """A preprocessor's output as a dense float64 array (sparse matrices included)."""
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    return np.asarray(matrix, dtype=np.float64)


def _tree(model: Any, X_background: np.ndarray, X_rows: np.ndarray, seed: int, permutations: int) -> tuple[str, np.ndarray, Any, np.ndarray]:
    explainer = shap.TreeExplainer(model, model_output="raw")
    values = explainer.shap_values(X_rows, check_additivity=False)
    return "tree", np.asarray(values), explainer.expected_value, boosting_raw_output(model, X_rows)


def _deep(model: Any, X_background: np.ndarray, X_rows: np.ndarray, seed: int, permutations: int) -> tuple[str, np.ndarray, Any, np.ndarray]:
    module = model.explain_module()
    background = torch.from_numpy(X_background.astype(np.float32))
    rows = torch.from_numpy(X_rows.astype(np.float32))
    explainer = shap.DeepExplainer(module, background)
    values = explainer.shap_values(rows, check_additivity=False)
    with torch.no_grad():
        outputs = module(rows).numpy().astype(np.float64)
    return "deep", np.asarray(values), explainer.expected_value, outputs


def _linear(model: Any, X_background: np.ndarray, X_rows: np.ndarray, seed: int, permutations: int) -> tuple[str, np.ndarray, Any, np.ndarray]:
    return ("linear", *_explain_linear(model, X_background, X_rows))


def _masker(X_background: np.ndarray) -> Any:
    return shap.maskers.Independent(X_background, max_samples=len(X_background))


def _tree_interventional(model: Any, X_background: np.ndarray, X_rows: np.ndarray, seed: int, permutations: int) -> tuple[str, np.ndarray, Any, np.ndarray]:
    """Interventional tree SHAP against every background row, raw scale; the permutation walk where it is not additive."""
    masker = _masker(X_background)
    explainer = shap.TreeExplainer(model, data=masker, feature_perturbation="interventional", model_output="raw")
    values = explainer.shap_values(X_rows, check_additivity=False)
    outputs = boosting_raw_output(model, X_rows)
    if _additive(_as_3d(np.asarray(values)), explainer.expected_value, outputs):
        return "tree-interventional", np.asarray(values), explainer.expected_value, outputs
    # SHAP's interventional tree algorithm is not additive on some LightGBM
    # models (measured: errors of 0.06 log-odds on wine and 8 units on
    # diabetes; shap issues #1071, #3267). The permutation walk plays the
    # same game over the same background and is additive by construction.
    raw_tree = lambda X: boosting_raw_output(model, X)  # noqa: E731
    values, base = permutation_shap(raw_tree, X_rows, masker.data, permutations=permutations, seed=seed)
    return "permutation", values, base, outputs


def _permutation_network(model: Any, X_background: np.ndarray, X_rows: np.ndarray, seed: int, permutations: int) -> tuple[str, np.ndarray, Any, np.ndarray]:
    raw_output = tensor_function(model.explain_module())
    values, base = permutation_shap(raw_output, X_rows, _masker(X_background).data, permutations=permutations, seed=seed)
    return "permutation", values, base, raw_output(X_rows)


def _linear_interventional(model: Any, X_background: np.ndarray, X_rows: np.ndarray, seed: int, permutations: int) -> tuple[str, np.ndarray, Any, np.ndarray]:
    return ("linear-interventional", *_explain_linear(model, _masker(X_background), X_rows))


def _explain_linear(model: Any, background: Any, X_rows: np.ndarray) -> tuple[np.ndarray, Any, np.ndarray]:
    """SHAP's linear explainer against ``background`` (rows or a masker), on the raw output."""
    explainer = shap.LinearExplainer(model, background)
    values = explainer.shap_values(X_rows)
    raw = linear_raw_output(model, X_rows)
    return np.asarray(values), explainer.expected_value, raw


#: The tabular explainers by method name; the registry says which family uses which in each mode.
TABULAR_METHODS: dict[str, Method] = {
    "tree": _tree,
    "deep": _deep,
    "linear": _linear,
    "tree-interventional": _tree_interventional,
    "permutation": _permutation_network,
    "linear-interventional": _linear_interventional,
}


def permutation_shap(
    model: Callable[[np.ndarray], np.ndarray],
    rows: np.ndarray,
    background: np.ndarray,
    *,
    permutations: int = 1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Antithetic permutation estimate of interventional SHAP values, batched over all rows.

    The same game as ``shap.PermutationExplainer`` with a
    ``shap.maskers.Independent(background)`` masker: a coalition's value is the
    model's output averaged over the background rows, with the coalition's
    features set to the explained row's values. Each row walks a random
    feature order forward (switching features on) and then the same order
    again (switching them off, i.e. the reversed order backwards), crediting
    each feature with the change in output; values are averaged over both
    directions and ``permutations`` orders. The walk telescopes, so base value
    + sum of values = output exactly (up to float rounding), and one
    antithetic pair is exact for models with at most pairwise interactions.

    Unlike SHAP's explainer, every row takes each step at once (one model call
    per step for all rows and background rows), only the (row, background row)
    pairs whose input changed are re-evaluated, and nothing is JIT-compiled
    (SHAP's masker compiles numba kernels for several seconds on first use).

    Returns ``values`` (rows, features, outputs) and ``base`` (outputs,).
    """
    rows = np.asarray(rows, dtype=np.float64)
    background = np.asarray(background, dtype=np.float64)
    n_rows, n_features = rows.shape
    n_background = len(background)
    first = np.asarray(model(background), dtype=np.float64).reshape(n_background, -1)
    base = first.mean(axis=0)
    n_outputs = first.shape[1]
    values = np.zeros((n_rows, n_features, n_outputs))
    if n_rows == 0 or n_features == 0:
        return values, base
    rng = np.random.default_rng(seed)
    row_index = np.arange(n_rows)
    passes = max(int(permutations), 1)
    for _ in range(passes):
        order = rng.permuted(np.tile(np.arange(n_features), (n_rows, 1)), axis=1)
        # masked[r, b] is background row b with row r's coalition switched on.
        masked = np.broadcast_to(background, (n_rows, n_background, n_features)).copy()
        cached = np.broadcast_to(first, (n_rows, n_background, n_outputs)).copy()
        previous = np.broadcast_to(base, (n_rows, n_outputs)).copy()
        for switch_on in (True, False):
            for step in range(n_features):
                feature = order[:, step]
                new = rows[row_index, feature][:, None] if switch_on else background[:, feature].T
                new = np.broadcast_to(new, (n_rows, n_background))
                old = masked[row_index, :, feature]
                changed = new != old
                if not changed.any():
                    continue  # this feature equals every background value for every row: credit 0
                masked[row_index, :, feature] = new
                which_rows, which_background = np.nonzero(changed)
                cached[which_rows, which_background] = np.asarray(
                    model(masked[which_rows, which_background]), dtype=np.float64
                ).reshape(len(which_rows), n_outputs)
                current = cached.mean(axis=1)
                delta = current - previous if switch_on else previous - current
                values[row_index, feature] += delta
                previous = current
    return values / (2 * passes), base


def tensor_function(module: torch.nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    """The network's raw output as a plain function of a float array, batched, without autograd.

    SHAP's masker hands over float64 batches of (background rows x masks);
    converting each batch once and running it under ``no_grad`` keeps the
    model calls cheap (a per-row wrapper is tens of times slower).
    """
    module.eval()

    def raw_output(X: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return module(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))).numpy().astype(np.float64)

    return raw_output


def _additive(values: np.ndarray, base: Any, outputs: np.ndarray) -> bool:
    """Whether base + sum of values reproduces the outputs to float32 precision of their scale."""
    error = additivity_error(values, base, outputs)
    return bool(error <= th.SHAP_ADDITIVITY_TOLERANCE * (1.0 + np.max(np.abs(np.asarray(outputs, dtype=float)), initial=0.0)))


def _as_3d(values: np.ndarray) -> np.ndarray:
    """(rows, features) or (rows, features, outputs) -> (rows, features, outputs)."""
    return values[:, :, np.newaxis] if values.ndim == 2 else values
