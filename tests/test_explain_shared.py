"""engine.explain.explain, shared-definition mode: both models, one background, one masker, one raw scale."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import expit, softmax

from engine.__main__ import main
from engine.measure.evaluate import split_data
from engine.explain.explain import output_names, permutation_shap
from engine.kinds.tabular import BOOSTING, MLP
from engine.models import make_dl_model, make_ml_model
from engine.run.pipeline import compare
from engine.profile.profile import profile_dataset
from tests.conftest import SAMPLE_DATA, make_signal_table


def _fitted(task: str, rows: int = 500):
    frame = make_signal_table(rows=rows, task=task)
    profile = profile_dataset(frame, "target")
    split = split_data(frame[profile.feature_columns], frame["target"], profile.task, 0)
    ml = make_ml_model(profile).fit(split.X_train, split.y_train)
    dl = make_dl_model(profile, max_epochs=30).fit(split.X_train, split.y_train)
    classes = [str(c) for c in ml.classes_] if profile.task.is_classification else None
    return ml, dl, split, output_names(classes, "target")


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_shared_values_sum_to_both_outputs_on_the_same_scale(task):
    ml, dl, split, labels = _fitted(task)
    background, rows = split.X_train.iloc[:30], split.X_test.iloc[:40]
    explained = {
        "ml": BOOSTING.explainers["shared"](ml, background, rows, labels, 0),
        "dl": MLP.explainers["shared"](dl, background, rows, labels, 0),
    }
    assert explained["ml"].explainer in ("tree-interventional", "permutation")
    assert explained["dl"].explainer == "permutation"
    assert explained["ml"].columns == explained["dl"].columns
    for family, pipeline in (("ml", ml), ("dl", dl)):
        e = explained[family]
        assert e.values.shape == (40, 8, 3 if task == "multiclass" else 1)
        # Additivity: base value + SHAP values = the model's raw output, per row and output.
        np.testing.assert_allclose(e.base_values + e.values.sum(axis=1), e.outputs, rtol=0, atol=1e-6)
        assert e.additivity_max_error < 1e-6
        # Same background rows: the base value is each model's mean raw output over them.
        encoded_background = pipeline[:-1].transform(background)
        raw_background = _raw(pipeline[-1], encoded_background)
        np.testing.assert_allclose(e.base_values, raw_background.mean(axis=0), rtol=0, atol=1e-6)
        # Same scale: log-odds / logits / target units of both models' own predictions.
        encoded_rows = pipeline[:-1].transform(rows)
        if task == "binary":
            np.testing.assert_allclose(expit(e.outputs[:, 0]), pipeline.predict_proba(rows)[:, 1], rtol=0, atol=1e-6)
        elif task == "multiclass":
            np.testing.assert_allclose(softmax(e.outputs, axis=1), pipeline.predict_proba(rows), rtol=0, atol=1e-6)
        else:
            np.testing.assert_allclose(e.outputs[:, 0], pipeline.predict(rows), rtol=0, atol=1e-4)
        np.testing.assert_allclose(e.outputs, _raw(pipeline[-1], encoded_rows), rtol=0, atol=1e-6)


def _raw(model, X) -> np.ndarray:
    if hasattr(model, "booster_"):
        return np.asarray(model.predict(X, raw_score=True), dtype=float).reshape(len(X), -1)
    raw = model.decision_function(X) if hasattr(model, "decision_function") else model.predict(X)
    return np.asarray(raw, dtype=float).reshape(len(X), -1)


def test_permutation_walk_is_exact_for_pairwise_interactions():
    rng = np.random.default_rng(3)
    background, rows = rng.normal(size=(7, 4)), rng.normal(size=(5, 4))

    def f(X):
        return (1.5 * X[:, 0] - X[:, 1] + 2.0 * X[:, 2] * X[:, 3] + 0.5 * X[:, 0] * X[:, 1] + 0.3)[:, None]

    values, base = permutation_shap(f, rows, background, permutations=1, seed=11)
    assert values.shape == (5, 4, 1)
    np.testing.assert_allclose(base, f(background).mean(axis=0), rtol=0, atol=1e-12)
    for r in range(len(rows)):
        np.testing.assert_allclose(values[r, :, 0], _exact_interventional_shapley(f, rows[r:r + 1], background)[0, :, 0],
                                   rtol=0, atol=1e-12)


def test_permutation_walk_agrees_with_shap_permutation_explainer():
    """Same game as shap.PermutationExplainer over an Independent masker holding every background row.

    With at most pairwise interactions one antithetic pair of orders gives the exact
    Shapley values, and SHAP's explainer also walks antithetic pairs, so both are
    exact here and may differ only by float64 rounding of a few sums of 10-row means
    of O(1) outputs (measured: 9e-16). atol=1e-12 (as in the exactness test above)
    leaves room for that, while a different game is off by far more: half the
    background rows gives differences of 0.7, a three-way term 0.6.
    """
    import shap

    rng = np.random.default_rng(5)
    background, rows = rng.normal(size=(10, 5)), rng.normal(size=(4, 5))

    def f(X):
        return np.column_stack([
            1.5 * X[:, 0] - X[:, 1] + 2.0 * X[:, 2] * X[:, 3] + 0.5 * X[:, 0] * X[:, 4] + 0.3,
            np.sin(X[:, 1]) * X[:, 4] - 0.7 * X[:, 3] ** 2 + X[:, 2],
        ])

    values, base = permutation_shap(f, rows, background, permutations=1, seed=2)
    masker = shap.maskers.Independent(background, max_samples=len(background))
    reference = shap.PermutationExplainer(f, masker, seed=0)(rows, max_evals=2 * (2 * 5 + 1) * 3)
    assert reference.values.shape == values.shape == (4, 5, 2)
    np.testing.assert_allclose(values, reference.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.broadcast_to(base, (4, 2)), reference.base_values, rtol=0, atol=1e-12)


def _exact_interventional_shapley(f, rows, background):
    """Shapley values by enumerating every coalition: v(S) = mean over background rows of f(row on S, background elsewhere)."""
    from itertools import combinations
    from math import factorial

    n = rows.shape[1]

    def value(row, coalition):
        mixed = background.copy()
        mixed[:, list(coalition)] = row[list(coalition)]
        return f(mixed).mean(axis=0)

    out = np.zeros((len(rows), n, f(rows[:1]).shape[1]))
    for r, row in enumerate(rows):
        for j in range(n):
            others = [k for k in range(n) if k != j]
            for size in range(n):
                weight = factorial(size) * factorial(n - size - 1) / factorial(n)
                for coalition in combinations(others, size):
                    out[r, j] += weight * (value(row, coalition + (j,)) - value(row, coalition))
    return out


def test_permutation_walk_converges_to_exact_shapley_values_with_higher_order_interactions():
    """Additivity holds by construction (the walk telescopes); what can fail is the values themselves."""
    rng = np.random.default_rng(4)
    background, rows = rng.normal(size=(6, 5)), rng.normal(size=(4, 5))

    def f(X):
        return np.column_stack([np.tanh(X[:, 0] * X[:, 1] * X[:, 2]) + X[:, 4], X.prod(axis=1)])

    exact = _exact_interventional_shapley(f, rows, background)
    few, _ = permutation_shap(f, rows, background, permutations=1, seed=0)
    many, _ = permutation_shap(f, rows, background, permutations=200, seed=0)
    scale = np.abs(exact).max()
    assert np.abs(many - exact).max() < 0.1 * scale  # unbiased: more walks, closer to the exact values
    assert np.abs(many - exact).max() < np.abs(few - exact).max()
    # A feature equal to every background value gets no credit.
    background[:, 3] = 2.0
    rows[:, 3] = 2.0
    values, _ = permutation_shap(f, rows, background, permutations=2, seed=0)
    np.testing.assert_array_equal(values[:, 3, :], 0.0)


def test_compare_threads_the_mode_and_keeps_the_contract():
    frame = make_signal_table(rows=400)
    result = compare(frame, "target", shap_rows=30, max_seconds=5, explainer="shared")
    payload = result.to_dict()
    explanations = payload["explanations"]
    assert explanations["mode"] == "shared"
    assert explanations["ml"]["explainer"] in ("tree-interventional", "permutation")
    assert explanations["dl"]["explainer"] == "permutation"
    assert set(explanations["ml"]["global_importance"]) == set(frame.columns) - {"target"}
    assert {"spearman", "top5_overlap"} <= set(explanations["agreement"])
    assert any("shared SHAP definition" in note for note in payload["notes"])
    for family in ("ml", "dl"):
        e = result.explanations[family]
        np.testing.assert_allclose(e.base_values + e.values.sum(axis=1), e.outputs, rtol=0, atol=1e-6)
    # The two models' explanations used the same background rows: with a known
    # signal, both put signal_a and signal_b at the top.
    for family in ("ml", "dl"):
        assert set(list(result.explanations[family].global_importance)[:2]) == {"signal_a", "signal_b"}
    fast = compare(frame, "target", shap_rows=30, max_seconds=5)
    assert fast.to_dict()["explanations"]["mode"] == "fast"
    assert (fast.explanations["ml"].explainer, fast.explanations["dl"].explainer) == ("tree", "deep")


def test_cli_explainer_flag(capsys):
    code = main(["compare", str(SAMPLE_DATA / "wine.csv"), "--explainer", "shared", "--shap-rows", "20", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out)
    assert payload["explanations"]["mode"] == "shared"
    assert payload["explanations"]["dl"]["explainer"] == "permutation"
    assert payload["explanations"]["ml"]["additivity_max_error"] < 1e-6
    # The network runs in float32 (epsilon 1.2e-7) on logits up to ~10, and SHAP's rows are now explained in two
    # batches (the deadline's probe rows, then the rest), so its sums round at ~1e-6; the page's check is relative.
    assert payload["explanations"]["dl"]["additivity_max_error"] < 1e-5
    assert payload["explanations"]["dl"]["additivity"]["passed"]
    assert set(payload["stage_seconds"]) >= {"load", "profile", "recommend", "train_ml", "train_dl", "explain_ml", "explain_dl"}


def test_cli_rejects_an_unknown_explainer(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", str(SAMPLE_DATA / "wine.csv"), "--explainer", "kernel", "--json"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("error:")
