"""Agreement between the two models' importances: over the columns that matter, in words that follow its value."""

from __future__ import annotations

import numpy as np
import pytest

from engine.figures import explanations as shap_figures
from engine.explain.explanation import ModelExplanation, agreement, features_that_matter


def _explanation(importances: list[float] | np.ndarray) -> ModelExplanation:
    values = np.asarray(importances, dtype=float).reshape(1, -1, 1)
    return ModelExplanation("x", [f"c{i}" for i in range(values.shape[1])], ["out"], values, np.zeros(1),
                            np.zeros((1, 1)), 0.0, 0.0)


def _with_noise(signal: list[float], noise_columns: int, seed: int) -> np.ndarray:
    """``signal`` followed by near-zero columns in an order of their own (uncorrelated between seeds)."""
    return np.concatenate([signal, np.random.default_rng(seed).uniform(0, 1e-3, size=noise_columns)])


def test_near_zero_columns_are_left_out_of_the_rank_correlation() -> None:
    ml = _explanation(_with_noise([10, 8, 6, 4, 2, 1], 80, seed=1))
    dl = _explanation(_with_noise([9, 7, 5, 3, 2, 0.5], 80, seed=2))
    result = agreement(ml, dl)
    assert result.total_features == 86 and result.compared_features < 10
    assert result.spearman == pytest.approx(1.0)  # over all 86 the noise's own order would pull it far below
    words = shap_figures.describe_agreement(result, ml, dl)
    assert "strongly agree" in words and "near zero for both and left out" in words and "columns are near zero for both" in words


def test_columns_that_matter_to_either_model_are_kept() -> None:
    a = {"x": 8.0, "y": 2.0, "z": 0.0, "w": 0.0}
    b = {"z": 5.0, "w": 5.0, "x": 0.0, "y": 0.0}
    assert set(features_that_matter(a, b)) == {"x", "y", "z", "w"}  # each model's 90% is different columns
    assert len(features_that_matter({"x": 1.0, "y": 0.0, "z": 0.0}, {"x": 1.0, "y": 0.0, "z": 0.0})) == 3  # the minimum


def test_a_middling_correlation_with_few_shared_top_columns_never_reads_broadly_agree() -> None:
    # the reported case: Spearman about 0.6 with 2 of the top 5 shared read "broadly agree"
    ml = _explanation(list(range(12, 0, -1)))
    dl = _explanation([12, 11, 7, 6, 5, 10, 3, 8, 2, 4, 9, 1])
    result = agreement(ml, dl)
    assert 0.5 <= result.spearman < 0.8 and result.top5_overlap == 2, result
    words = shap_figures.describe_agreement(result, ml, dl)
    assert "only partly agree" in words and "broadly" not in words


def test_an_older_record_without_the_new_fields_still_reads() -> None:
    from engine.explain.explanation import Agreement

    old = Agreement(spearman=0.7, top5_overlap=3, compared_features=12)
    words = shap_figures.describe_agreement(old, _explanation(list(range(12, 0, -1))), _explanation(list(range(12, 0, -1))))
    assert "over 12 columns" in words and "left out" not in words
