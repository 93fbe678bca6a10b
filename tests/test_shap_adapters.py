"""ModelExplanation <-> shap.Explanation (issue 18): every kind's explanation reads back the same, and shap plots it."""

from __future__ import annotations

import numpy as np
import pytest

from engine.explain.explanation import ModelExplanation
from engine.profile.profile import profile_dataset
from tests.conftest import make_signal_table
from tests.test_images import pixel_frame
from tests.test_text import planted_reviews


def _tabular() -> tuple[ModelExplanation, object]:
    from engine.explain.explain import explain_tabular
    from engine.models.ml import make_ml_model

    frame = make_signal_table(rows=200, task="multiclass")
    profile = profile_dataset(frame, "target")
    X, y = frame[profile.feature_columns], frame["target"]
    model = make_ml_model(profile, kind="linear", seed=0).fit(X, y)
    labels = [str(c) for c in model.classes_]
    return explain_tabular(model, X[:50], X[:6], labels, 0, method="linear"), X[:6]


def _text() -> tuple[ModelExplanation, object]:
    from engine.kinds.text import TFIDF_LINEAR
    from engine.kinds.text.explain import explain_text
    from engine.kinds.text.models import make_tfidf_model

    frame = planted_reviews(120, with_tabular=True)
    profile = profile_dataset(frame, "label")
    X, y = frame.drop(columns="label"), frame["label"]
    model = make_tfidf_model(profile).fit(X, y)
    return explain_text(model, X[:30], X[:4], ["good"], 0, raw_output=TFIDF_LINEAR.raw_output), X[:4]


def _images() -> tuple[ModelExplanation, object]:
    from engine.kinds.images.explain import explain_images
    from engine.kinds.images import PIXEL_LINEAR

    frame = pixel_frame([f"pixel{i}" for i in range(64)], n=80)
    profile = profile_dataset(frame)
    X, y = frame.drop(columns=profile.target), frame[profile.target]
    model = PIXEL_LINEAR.build(profile, 0, 10.0).fit(X, y)
    return explain_images(model, X[:20], X[:3], [str(model.classes_[1])], 0, method="linear",
                          raw_output=PIXEL_LINEAR.raw_output), X[:3]


@pytest.mark.parametrize("make", [_tabular, _text, _images], ids=["tabular", "text", "images"])
def test_to_shap_and_back_is_the_same_explanation(make):
    explanation, rows = make()
    exported = explanation.to_shap(data=rows)
    assert list(exported.feature_names) == explanation.columns
    assert exported.values.shape[:2] == explanation.values.shape[:2]
    back = ModelExplanation.from_shap(exported, outputs=explanation.outputs, explainer=explanation.explainer)
    np.testing.assert_array_equal(back.values, explanation.values)
    np.testing.assert_array_equal(back.base_values, explanation.base_values)
    assert back.columns == explanation.columns and back.output_names == explanation.output_names
    assert back.global_importance == explanation.global_importance
    assert back.additivity_max_error == pytest.approx(explanation.additivity_max_error, abs=1e-12)
    # shap's own arithmetic on the exported object: base + sum of values = the model's outputs, row by row
    summed = np.asarray(exported.base_values).reshape(len(rows), -1) + np.asarray(exported.values).reshape(
        len(rows), len(explanation.columns), -1).sum(axis=1)
    np.testing.assert_allclose(summed, explanation.outputs, atol=1e-6)


def test_shaps_own_operations_read_an_exported_explanation():
    """What shap's bar and beeswarm plots compute (matplotlib is not installed here): the same importance."""
    explanation, rows = _tabular()
    exported = explanation.to_shap(data=rows)
    mean_abs = exported.abs.mean(0).values  # (columns, outputs)
    ranked = dict(zip(explanation.columns, mean_abs.mean(axis=1)))
    assert ranked == pytest.approx(explanation.global_importance)
    one = exported[0, :, 1]  # a waterfall plot's input: one row, one class
    assert one.values.shape == (len(explanation.columns),)
    assert float(one.base_values) + one.values.sum() == pytest.approx(explanation.outputs[0, 1], abs=1e-9)


def test_token_and_pixel_values_export_adding_up_to_the_output():
    text, _ = _text()
    tokens = text.tokens_to_shap("review")
    for r in range(len(tokens.values)):
        assert tokens.base_values[r] + np.sum(tokens.values[r]) == pytest.approx(text.outputs[r, 0], abs=1e-9)
        assert list(tokens.data[r]) == text.tokens[0].tokens[r]
    images, _ = _images()
    pixels = images.pixels_to_shap()
    assert pixels.values.shape == (3, 8, 8)
    np.testing.assert_allclose(pixels.base_values + pixels.values.sum(axis=(1, 2)), images.outputs[:, 0], atol=1e-6)
    with pytest.raises(ValueError):
        text.pixels_to_shap()


def test_from_shap_refuses_what_one_explanation_cannot_hold():
    import shap

    ragged_base = shap.Explanation(values=np.zeros((2, 3)), base_values=np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="base values differ"):
        ModelExplanation.from_shap(ragged_base)
    plain = ModelExplanation.from_shap(shap.Explanation(values=np.ones((2, 3)), base_values=np.array([0.5, 0.5])))
    assert plain.columns == ["feature 0", "feature 1", "feature 2"] and plain.output_names == ["output 0"]
    np.testing.assert_allclose(plain.outputs, 3.5)
