"""engine.run.record, engine.explain.explanation and engine.common.wording: the run record and what every view says about it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import RecordError, RunRecord, compare, load_dataset_path
from engine.common import wording
from engine.explain.explanation import ModelExplanation, TokenAttribution, agreement
from engine.run.record import SCHEMA_VERSION
from tests.conftest import SAMPLE_DATA


@pytest.fixture(scope="module")
def wine_run():
    return compare(load_dataset_path(SAMPLE_DATA / "wine.csv"), shap_rows=12, max_seconds=3)


def test_the_record_round_trips_through_json_without_pickle(wine_run):
    text = wine_run.to_json()
    payload = json.loads(text)  # strict JSON: no NaN, no pickled bytes
    assert payload["schema_version"] == SCHEMA_VERSION
    assert "models" not in payload and "background_rows" not in payload
    assert payload["software"]["scikit-learn"] and payload["created_at"]
    back = RunRecord.from_json(text)
    assert back.to_dict() == json.loads(json.dumps(wine_run.record().to_dict()))
    np.testing.assert_array_equal(back.explanations["dl"].values, wine_run.explanations["dl"].values)
    np.testing.assert_array_equal(back.ml.probabilities, wine_run.ml.probabilities)
    assert list(back.split.y_test) == list(wine_run.split.y_test)
    assert back.explained_rows.shape == wine_run.explained_rows.shape
    assert list(back.explained_rows.index) == list(wine_run.explained_rows.index)
    assert back.advice.profile == wine_run.advice.profile
    assert back.agreed_with_recommendation == wine_run.agreed_with_recommendation


def test_the_record_knows_what_made_it(wine_run):
    assert wine_run.dataset.name == "wine.csv" and len(wine_run.dataset.sha256) == 64
    assert wine_run.dataset.kind == "tabular"
    # the classic side is the family the work budget let it choose (the default when no inner CV was planned)
    chosen = wine_run.selection["ml"]["chosen"] if wine_run.selection else "boosting"
    assert wine_run.options.ml_model == chosen and wine_run.options.dl_model == "mlp"
    payload = wine_run.to_dict()
    assert payload["options"]["seed"] == 0 and payload["data_kind"] == "tabular"
    assert payload["models"]["ml"]["key"] == chosen


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"dataset": {}}', "no schema version"),
        (json.dumps({"schema_version": SCHEMA_VERSION + 1}), "newer version"),
        (json.dumps({"schema_version": 1, "dataset": {"name": "x"}}), "malformed"),
    ],
)
def test_a_bad_record_is_one_clear_error(text, message):
    with pytest.raises(RecordError, match=message):
        RunRecord.from_json(text)


def _explanation(importances, outputs=None, tokens=()):
    values = np.array(importances, dtype=float).reshape(1, -1, 1)
    out = np.array([[values.sum()]]) if outputs is None else np.asarray(outputs, dtype=float).reshape(1, 1)
    return ModelExplanation("x", [f"c{i}" for i in range(len(importances))], ["out"], values, np.zeros(1),
                            out, float(abs(out - values.sum()).max()), 0.0, tokens=list(tokens))


def test_agreement_says_when_there_are_too_few_shared_features():
    few = agreement(_explanation([3.0, 1.0]), _explanation([1.0, 3.0]))
    assert few.spearman is None and not few.comparable and few.compared_features == 2
    assert few.to_dict()["comparable"] is False
    enough = agreement(_explanation([3.0, 2.0, 1.0]), _explanation([30.0, 20.0, 10.0]))
    assert enough.spearman == pytest.approx(1.0) and enough.comparable


def test_agreement_falls_back_to_tokens_for_a_single_text_column():
    def text_explanation(weights):
        tokens = TokenAttribution("review", [list(weights)], [np.array(list(weights.values())).reshape(-1, 1)])
        return _explanation([sum(weights.values())], tokens=[tokens])

    a = text_explanation({"great": 3.0, "awful": 2.0, "plot": 0.5, "the": 0.1})
    b = text_explanation({"great": 2.5, "awful": 2.0, "plot": 0.3, "the": 0.05})
    result = agreement(a, b)
    # four words in all; "the" carries under 10 % of both models' importance, so the rank correlation leaves it out
    assert result.compared_on == "tokens" and result.total_features == 4 and result.compared_features == 3
    assert result.spearman == pytest.approx(1.0)


def test_token_summary_ranks_by_mean_absolute_value_and_keeps_the_sign():
    tokens = TokenAttribution(
        "review", [["great ", "film"], ["awful", "film", "Great"]],
        [np.array([[2.0], [0.1]]), np.array([[-3.0], [0.3], [1.0]])],
    )
    summary = tokens.summary(["log-odds"])["log-odds"]
    assert [t["token"] for t in summary] == ["awful", "great", "film"]
    assert summary[1] == {"token": "great", "mean_abs_shap": 1.5, "mean_shap": 1.5, "count": 2}
    assert summary[0]["mean_shap"] == -3.0


def test_additivity_is_judged_relative_to_the_output_scale():
    millions = _explanation([1_000_000.0, 2_000_000.0], outputs=[3_000_005.0])
    assert millions.additivity_max_error == pytest.approx(5.0)
    assert millions.additivity.passed and millions.additivity.describe().startswith("passes")
    small = _explanation([0.1, 0.2], outputs=[0.4])
    assert not small.additivity.passed and small.additivity.describe().startswith("fails")
    approximate = ModelExplanation("gradient", ["c0"], ["out"], np.ones((1, 1, 1)), np.zeros(1), np.array([[2.0]]),
                                   1.0, 0.0, additive_by_design=False)
    assert approximate.additivity.describe().startswith("not additive by design")


def test_one_label_map_and_number_formats():
    assert wording.choice_label("ml") == "Classic machine learning"
    assert wording.side_name("tie") == "Tie" and wording.SIDES["either"].in_sentence == "a close call"
    assert [wording.format_duration(s) for s in (0.0123, 4.56, 185)] == ["12 ms", "4.6 s", "3 min 05 s"]
    assert [wording.format_size(b) for b in (512, 20_480, 5 * 1024 * 1024)] == ["512 B", "20 KiB", "5.0 MiB"]
    table = wording.stage_table({"train_ml": 1.234, "explain_dl": 0.5})
    assert list(table.index) == ["train classic ML", "explain deep learning"]
    assert list(table["seconds"]) == [1.23, 0.5]


def test_an_explanation_extended_by_more_rows_is_the_explanation_of_all_rows():
    from engine.explain.explanation import PixelAttribution

    first = _explanation([1.0, 2.0], tokens=[TokenAttribution("review", [["good"]], [np.ones((1, 1))])])
    first.pixels = PixelAttribution(np.zeros((1, 2, 2, 1)))
    second = _explanation([3.0, 0.5], outputs=[3.6], tokens=[TokenAttribution("review", [["bad", "plot"]], [np.ones((2, 1))])])
    second.pixels = PixelAttribution(np.ones((1, 2, 2, 1)))
    both = first.extended_by(second)
    assert both.values.shape == (2, 2, 1) and both.outputs.tolist() == [[3.0], [3.6]]
    assert both.additivity_max_error == pytest.approx(0.1)  # the larger of the two gaps
    assert both.tokens[0].tokens == [["good"], ["bad", "plot"]] and len(both.tokens[0].values) == 2
    assert both.pixels.values.shape == (2, 2, 2, 1)
    assert first.values.shape == (1, 2, 1)  # the parts are left as they were


def test_the_shap_probe_rows_are_kept_not_explained_twice(monkeypatch):
    """With a deadline, the first rows measure SHAP's cost and stay the explanation's first rows."""
    from engine.kinds import tabular

    calls = []
    original = tabular.BOOSTING.explainers["fast"]

    def counting(fitted, background, rows, labels, seed):
        calls.append(len(rows))
        return original(fitted, background, rows, labels, seed)

    monkeypatch.setitem(tabular.BOOSTING.explainers, "fast", counting)
    result = compare(load_dataset_path(SAMPLE_DATA / "breast_cancer.csv"), shap_rows=30, max_seconds=60,
                     ml_kind="boosting")
    assert calls == [10, 20]  # the probe, then only the rest
    explanation = result.explanations["ml"]
    assert explanation.values.shape[0] == len(result.explained_rows) == 30
    assert explanation.additivity.passed
    direct = original(result.models["ml"], result.background_rows, result.explained_rows, explanation.output_names, 0)
    np.testing.assert_allclose(explanation.values, direct.values, atol=1e-12)
