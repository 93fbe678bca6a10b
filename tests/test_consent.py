"""Results-only records: the SHAP summaries per column, word and pixel read the same numbers as the full record."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.share.consent import _summary, kept_sentence, minimise, rows_kept
from engine.explain.explanation import ModelExplanation, PixelAttribution, TokenAttribution
from engine.run.record import RunRecord
from tests.share_helpers import hostile_record


def _explanation(rng: np.random.Generator, rows: int = 12, outputs: int = 3) -> ModelExplanation:
    words = ["Alpha", "beta", "gamma", "delta", "the", "a", "Beta "]
    tokens = [list(rng.choice(words, size=rng.integers(1, 9))) for _ in range(rows)]
    values = [rng.normal(size=(len(t), outputs)) for t in tokens]
    return ModelExplanation(
        explainer="partition", columns=["review", "stars"], output_names=["neg", "neu", "pos"],
        values=rng.normal(size=(rows, 2, outputs)), base_values=np.zeros(outputs),
        outputs=rng.normal(size=(rows, outputs)), additivity_max_error=1e-9, seconds=0.1,
        tokens=[TokenAttribution("review", tokens, values)],
        pixels=PixelAttribution(rng.normal(size=(rows, 4, 4, outputs))),
    )  # fmt: skip


def test_word_pixel_and_column_summaries_survive_exactly() -> None:
    full = _explanation(np.random.default_rng(0))
    summary = _summary(full)
    assert summary.values.shape[0] == 1 and summary.pixels.values.shape[0] == 1
    assert summary.global_importance == pytest.approx(full.global_importance)
    assert summary.additivity.scale == pytest.approx(full.additivity.scale)
    np.testing.assert_allclose(summary.pixels.mean_abs_map(), full.pixels.mean_abs_map())
    before, after = full.to_dict()["tokens"]["review"], summary.to_dict()["tokens"]["review"]
    for output in before:
        assert [t["token"] for t in after[output]] == [t["token"] for t in before[output]]
        for mine, theirs in zip(after[output], before[output]):
            assert mine["count"] == theirs["count"]
            assert mine["mean_abs_shap"] == pytest.approx(theirs["mean_abs_shap"])
            assert mine["mean_shap"] == pytest.approx(theirs["mean_shap"])
    kept_words = {t.strip().lower() for row in summary.tokens[0].tokens for t in row}
    assert kept_words <= {"alpha", "beta", "gamma", "delta", "the", "a"} and len(summary.tokens[0].tokens) == 1


def test_a_minimised_record_keeps_no_rows_and_says_so() -> None:
    record = hostile_record()
    small = minimise(record)
    assert rows_kept(record) and not rows_kept(small) and minimise(small) is small
    assert len(small.explained_rows) == 0 and small.split.y_test.size == 0 and small.ml.predictions.size == 0
    assert small.rows_explained == record.rows_explained > 0
    back = RunRecord.from_json(small.to_json())
    assert not rows_kept(back) and back.summarised_rows == record.rows_explained
    assert record.kept == "everything" and not rows_kept(replace(record, kept="results"))


def test_the_sentence_names_what_is_kept() -> None:
    assert "results" in kept_sentence(False, False) and "explained rows" not in kept_sentence(False, False)
    assert "explained rows" in kept_sentence(True, False) and "uploaded data" in kept_sentence(True, True)
