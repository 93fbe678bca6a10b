"""engine.run.pipeline: the whole flow in-process, as the pages and benchmarks call it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn import metrics

from engine.common import thresholds as th

from engine.io.data import DataError
from engine.run.pipeline import advise, compare
from engine.advice.recommend import Transparency
from tests.conftest import SAMPLE_DATA, make_signal_table


def test_advise_with_overrides(signal_table):
    advice = advise(signal_table, transparency=Transparency.LOW, gpu=True)
    assert advice.profile.target == "target"
    assert advice.answers.gpu and advice.answers.transparency is Transparency.LOW
    payload = advice.to_dict()
    assert payload["recommendation"] == advice.recommendation.choice
    assert payload["profile"]["task"] == "binary"
    assert all({"change", "recommendation"} <= set(f) for f in payload["what_would_flip"])


def test_text_only_data_is_advised_as_text_and_compared_by_the_text_kind():
    frame = pd.DataFrame({
        "row_id": range(50),
        "review": [f"the delivery was {'late' if i % 2 else 'early'} again on order {i} sadly" for i in range(50)],
        "target": ["a", "b"] * 25,
    })
    advice = advise(frame)
    assert advice.answers.data_kind.value == "text"
    result = compare(frame, shap_rows=2, max_seconds=30)
    assert result.dataset.kind == "text" and result.explanations["ml"].columns == ["review"]
    assert any("row_id (identifier)" in note for note in result.notes)


def test_a_class_of_one_row_is_left_out_of_the_comparison_and_said_so():
    """A label seen once cannot be in both the training and the test rows: before, the whole table was refused."""
    from tests.conftest import assert_cli_contract

    frame = make_signal_table(rows=300, task="multiclass")
    frame.loc[7, "target"] = "mid "  # a stray space makes a class of its own (the loader strips them; a frame may not)
    result = compare(frame, "target", shap_rows=5, max_seconds=20)
    assert result.classes == ["high", "low", "mid"]
    assert result.split.train_rows + result.split.test_rows == 299
    note = ("class 'mid ' of target 'target' has only 1 row, too few to both train and test on: that row was "
            "left out, and the models predict the other 3 classes")
    assert note in result.notes
    payload = result.to_dict()
    assert_cli_contract(payload)
    assert note in payload["notes"]


def test_compare_reports_progress_and_results():
    frame = make_signal_table(rows=500)
    frame.loc[::10, "target"] = np.nan
    frame["ticket"] = [f"T-{i:05d}" for i in range(len(frame))]
    frame["resolution"] = frame["target"].map({"yes": "closed-won", "no": "closed-lost"})  # written after the outcome
    updates: list[tuple[str, float]] = []
    result = compare(frame, "target", shap_rows=40, max_seconds=30, progress=lambda m, f: updates.append((m, f)))
    fractions = [f for _, f in updates]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert any("epoch" in message for message, _ in updates)
    assert result.split.to_dict()["train_rows"] + result.split.to_dict()["test_rows"] == 450
    assert any("50 rows without a target" in note for note in result.notes)
    assert any("ticket (identifier)" in note for note in result.notes)
    assert any(note.startswith("'resolution' (balanced accuracy 1.00) alone predicts 'target'") for note in result.notes)
    assert any("sample of 40" in note for note in result.notes)
    assert len(result.explained_rows) == 40
    assert result.explanations["ml"].values.shape[0] == result.explanations["dl"].values.shape[0] == 40
    assert set(result.stage_seconds) >= {"train_ml", "train_dl", "explain_ml", "explain_dl"}
    payload = json.loads(json.dumps(result.to_dict()))  # plain JSON, as the CLI prints it
    assert payload["winner"] == result.verdict.winner
    assert payload["agreed_with_recommendation"] == result.agreed_with_recommendation
    _assert_compare_json_values(payload, result)


def _assert_compare_json_values(payload: dict, result) -> None:
    """The compare JSON's numbers, recomputed independently from the models' predictions and explanations."""
    y_train, y_test = result.data_split.y_train.to_numpy(), result.data_split.y_test.to_numpy()
    np.testing.assert_array_equal(result.split.y_test, y_test)  # the record keeps the same test labels
    assert payload["split"] == {"train_rows": len(y_train), "test_rows": len(y_test), "seed": 0}
    features = result.advice.profile.feature_columns
    majority = pd.Series(y_train).value_counts().idxmax()
    for family, scored in (("ml", result.ml), ("dl", result.dl)):
        model = result.models[family]
        shown = payload["models"][family]
        predictions = model.predict(result.data_split.X_test)
        np.testing.assert_array_equal(predictions, scored.predictions)
        probabilities = model.predict_proba(result.data_split.X_test)
        positive = list(model.classes_)[1]
        expected = {
            "accuracy": metrics.accuracy_score(y_test, predictions),
            "balanced_accuracy": metrics.balanced_accuracy_score(y_test, predictions),
            "f1": metrics.f1_score(y_test, predictions, pos_label=positive),
            "roc_auc": metrics.roc_auc_score(y_test == positive, probabilities[:, 1]),
            "log_loss": metrics.log_loss(y_test, probabilities, labels=list(model.classes_)),
        }
        assert shown["metrics"] == pytest.approx(expected, abs=1e-9)
        assert shown["baseline"] == pytest.approx(np.mean(y_test == majority), abs=1e-12)
        # Importance is keyed by the user's columns (one-hot parts summed back), largest first.
        explanation = result.explanations[family]
        importance = payload["explanations"][family]["global_importance"]
        assert list(importance) == sorted(features, key=lambda c: -importance[c]) and set(importance) == set(features)
        mean_abs = np.abs(explanation.values).mean(axis=(0, 2))
        assert [importance[c] for c in explanation.columns] == pytest.approx(list(mean_abs), abs=1e-12)
    # The verdict follows from the numbers shown: difference, interval and the tie rule.
    verdict = payload["verdict"]
    difference = payload["models"]["ml"]["metrics"]["accuracy"] - payload["models"]["dl"]["metrics"]["accuracy"]
    assert verdict["metric"] == "accuracy" and verdict["difference_ml_minus_dl"] == pytest.approx(difference, abs=1e-12)
    low, high = verdict["interval"]
    if low <= 0.0 <= high or abs(difference) < th.PRACTICAL_TIE_MARGIN:
        assert payload["winner"] == "tie"
    else:
        assert payload["winner"] == ("ml" if difference > 0 else "dl")
    choice = payload["recommendation"]["recommendation"]
    agreed = payload["winner"] == "tie" if choice == "either" else payload["winner"] in (choice, "tie")
    assert payload["agreed_with_recommendation"] is agreed
    ml_importance = payload["explanations"]["ml"]["global_importance"]
    dl_importance = payload["explanations"]["dl"]["global_importance"]
    # agreement ranks the columns that carry the importance (engine.explain.explanation.features_that_matter)
    from engine.explain.explanation import features_that_matter

    kept = features_that_matter(ml_importance, dl_importance)
    rho = spearmanr([ml_importance[c] for c in kept], [dl_importance[c] for c in kept]).statistic
    assert payload["explanations"]["agreement"]["spearman"] == pytest.approx(rho, abs=1e-12)
    overlap = len(set(list(ml_importance)[:5]) & set(list(dl_importance)[:5]))
    assert payload["explanations"]["agreement"]["top5_overlap"] == overlap


@pytest.mark.parametrize(
    ("choice", "winner", "agreed"),
    [("ml", "ml", True), ("ml", "tie", True), ("ml", "dl", False), ("dl", "dl", True),
     ("dl", "ml", False), ("either", "tie", True), ("either", "ml", False)],
)
def test_agreement_rule(choice, winner, agreed):
    from types import SimpleNamespace

    from engine.run.record import RunRecord

    advice = SimpleNamespace(recommendation=SimpleNamespace(choice=choice))
    result = RunRecord(dataset=None, options=None, advice=advice, split=None, ml=None, dl=None,
                       verdict=SimpleNamespace(winner=winner), explanations={}, agreement=None,
                       explained_rows=pd.DataFrame(), classes=None)
    assert result.agreed_with_recommendation is agreed


def test_compare_rejects_bad_budgets(signal_table):
    with pytest.raises(DataError, match="time budget"):
        compare(signal_table, max_seconds=0)
    with pytest.raises(DataError, match="SHAP sample"):
        compare(signal_table, shap_rows=0)
    for seed in (-1, 2**31, True):  # scikit-learn refused -1 deep inside training, as an internal error
        with pytest.raises(DataError, match="the seed must be a whole number from 0 to 2,147,483,647"):
            compare(signal_table, seed=seed)


def test_shap_rows_asked_beyond_the_test_set_plan_as_the_test_set_does():
    """Wine has 36 test rows: 100 or 2,000 asked took training time from the plan and inflated the full-work budget."""
    from engine.profile.profile import profile_dataset
    from engine.run.pipeline import estimate_run

    wine = pd.read_csv(SAMPLE_DATA / "wine.csv")
    profile = profile_dataset(wine)
    at_test_rows = estimate_run(wine, profile, 60, 36, ml_kind="boosting")
    for asked in (100, 2_000):
        assert estimate_run(wine, profile, 60, asked, ml_kind="boosting") == at_test_rows
    assert estimate_run(wine, profile, 60, 10, ml_kind="boosting")["budget_for_full_work"] < at_test_rows["budget_for_full_work"]
    runs = [compare(wine, shap_rows=asked, max_seconds=3, ml_kind="boosting") for asked in (36, 2_000)]
    assert runs[0].work_budget == runs[1].work_budget
    # the note names the test set, not a cap of tabular data ("SHAP on tabular data is capped at 36 rows")
    assert "SHAP can explain at most the 36 test rows (asked for 2000)" in runs[1].notes
    assert not any("capped" in note or "test rows (asked" in note for note in runs[0].notes)
    assert not any("capped" in note for note in runs[1].notes)


def test_explain_again_reuses_models_and_rows():
    from engine.run.pipeline import explain_again

    frame = make_signal_table(rows=300)
    fast = compare(frame, "target", shap_rows=30, max_seconds=20)
    shared = explain_again(fast, "shared")
    assert shared.models is fast.models and shared.explained_rows is fast.explained_rows
    assert fast.explainer_mode == "fast" and shared.explainer_mode == "shared"
    assert fast.explanations["dl"].explainer == "deep" and shared.explanations["dl"].explainer == "permutation"
    assert sum(n.startswith("shared SHAP definition") for n in shared.notes) == 1
    assert not any(n.startswith("shared SHAP definition") for n in fast.notes)
    back = explain_again(shared, "fast")
    np.testing.assert_allclose(back.explanations["ml"].values, fast.explanations["ml"].values)
    assert not any(n.startswith("shared SHAP definition") for n in back.notes)
    with pytest.raises(DataError, match="unknown explainer"):
        explain_again(fast, "exact")


def test_training_time_excludes_one_off_start_up_and_the_budget_says_when_it_binds(monkeypatch):
    """A warm-up fit runs before the clock (its own stage), and what the budget cut short is in the record."""
    from engine.run import pipeline
    from engine.kinds import tabular
    from engine.models.torch_base import TorchEstimator
    from engine.registry import TrainingContext

    monkeypatch.setattr(pipeline, "_WARM", set())  # as in a fresh process
    frame = make_signal_table(rows=600)
    fitted: list[int] = []
    real_fit = TorchEstimator.fit
    monkeypatch.setattr(TorchEstimator, "fit", lambda self, X, y, **kw: fitted.append(len(X)) or real_fit(self, X, y, **kw))
    # a budget with room to spare on a loaded machine: the clock's safety net must not fire (it is tested elsewhere)
    result = compare(frame, "target", shap_rows=10, max_seconds=60, ml_kind="boosting")
    assert fitted[0] <= pipeline._WARM_UP_ROWS < fitted[1]  # the warm-up on a few rows, then the real fit
    stages = list(result.stage_seconds)
    assert stages.index("warm_up") < stages.index("train_ml") < stages.index("train_dl")
    payload = json.loads(json.dumps(result.to_dict()))
    assert {k: payload["budget"][k] for k in ("seconds", "cut_short", "run_cut_short")} == {
        "seconds": 60.0, "cut_short": [], "run_cut_short": False}  # the clock's safety net never fired
    # binding: the plan gave some family less than its full work (the notes say which), never the clock here
    assert payload["budget"]["binding"] is (bool(result.work_reduced) or payload["budget"]["work"]["reduced"])
    assert all(f"the time budget plans {payload['budget']['done']['first_split'][f]['planned']} of" in " ".join(result.notes)
               for f in result.work_reduced)
    assert payload["budget"]["work"]["ml"] and payload["budget"]["done"]["first_split"]["dl"]["cut_short"] is False
    assert result.stage_seconds["train_dl"] >= 0 and not result.cut_short
    again = compare(frame, "target", shap_rows=10, max_seconds=60, ml_kind="boosting")  # warm now: no warm-up
    assert len(fitted) == 3 and again.stage_seconds["warm_up"] < result.stage_seconds["warm_up"] + 0.05

    # a budget too short for LightGBM's rounds is reported as binding
    advice = advise(frame, "target")
    model = tabular.BOOSTING.build(advice.profile, 0, 1e-6)
    context = TrainingContext(profile=advice.profile, seed=0, max_seconds=1e-6, report=lambda *_: None)
    notes = tabular.BOOSTING.fit(model, frame.drop(columns="target"), frame["target"].astype(str), context)
    assert context.budget_stops and context.budget_stops[0] in notes


def _without_timings(payload: dict) -> dict:
    """A record's JSON less what a clock measures: stage and model timings (everything else must repeat)."""
    payload = json.loads(json.dumps(payload))
    payload.pop("stage_seconds")
    for side in ("ml", "dl"):
        for key in ("train_seconds", "predict_seconds", "predict_seconds_per_1k_rows"):
            payload["models"][side].pop(key)
        payload["explanations"][side].pop("seconds")
    return payload


def test_the_same_run_under_cpu_load_and_alone_gives_the_same_record():
    """Budgets in work: two CPU-burning processes change the timings, never the models, the verdict or SHAP."""
    import subprocess
    import sys

    frame = make_signal_table(rows=400, seed=5)
    options = dict(shap_rows=20, max_seconds=60, seed=3)
    alone = compare(frame, "target", **options)
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        loaded = compare(frame, "target", **options)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert not alone.budget_stops and not loaded.budget_stops  # the clock's safety net never fired
    assert _without_timings(loaded.to_dict()) == _without_timings(alone.to_dict())
    assert loaded.stage_seconds != alone.stage_seconds  # the timings are real measurements, not copies


def test_a_work_note_writes_budgets_of_thousands_of_seconds_with_separators(monkeypatch):
    # "a budget of 1216 s" beside "1,000 rows" on the same screen read as a different kind of number.
    from engine.common import limits
    from engine.measure.budget import FamilyPlan, WorkBudget
    from engine.run import pipeline

    monkeypatch.setenv(limits.MAX_TRAIN_SECONDS_ENV, "1000")
    tfidf = FamilyPlan(key="tfidf-linear", unit="solver iterations", full=200, planned=59, floor=50, estimated_seconds=150.0)
    net = FamilyPlan(key="text-net", unit="epochs", full=640, planned=640, floor=120, estimated_seconds=25.0)
    work = WorkBudget(ml={"tfidf-linear": tfidf}, dl={"text-net": net}, shap_rows=50, shap_rows_asked=50, splits=1,
                      selection_folds=0, estimated_seconds=194.0, full_seconds=700.0, max_seconds=600.0)
    done = {family: {"planned": plan.planned, "full": plan.full, "unit": plan.unit, "done": plan.planned,
                     "cut_short": False} for family, plan in (("ml", tfidf), ("dl", net))}
    needed = pipeline.budget_for_full_work(work)
    assert needed >= 1_000
    stops, notes = pipeline._work_lines(work, done, [])
    assert stops == [] and len(notes) == 1
    assert f"a budget of {needed:,} s plans them all, more than the 1,000 s this installation allows" in notes[0]


def test_a_plan_of_one_split_where_small_data_gets_ten_is_a_binding_budget(monkeypatch) -> None:
    """The clock cut nothing, but the budget planned one split (and fewer rounds): the record, the JSON and the
    sentence on the Train page and in the report say the budget was binding, never "all finished within it"."""
    from engine.common import limits
    from engine.common import thresholds as th
    from engine.common.wording import budget_sentence

    monkeypatch.setattr(th, "SMALL_DATA_ROWS", 1_000)  # as users get it (conftest turns it off)
    frame = make_signal_table(rows=200)
    for seconds, splits, note in ((15, 1, "plans one split only"), (40, 6, "plans 6 of 10 repeated splits")):
        result = compare(frame, "target", shap_rows=10, max_seconds=seconds, ml_kind="boosting")
        payload = result.to_dict()
        assert payload["budget"]["work"]["splits"] == splits and payload["budget"]["work"]["reduced"] is True
        assert payload["budget"]["binding"] is True
        assert result.verdict.fair or result.cut_short  # planned work for a fair fight; only the clock may cut it
        assert any(note in n for n in result.notes), result.notes
        if not result.cut_short:  # the clock's safety net did not fire (it may on a very busy machine)
            sentence = budget_sentence(result)
            assert "was binding: it planned less than the full work" in sentence and "not binding" not in sentence
    # A budget for all ten splits above this installation's cap is named as such, as the families' notes do.
    monkeypatch.setenv(limits.MAX_TRAIN_SECONDS_ENV, "20")
    capped = compare(frame, "target", shap_rows=10, max_seconds=15, ml_kind="boosting")
    assert any("repeats it on 10 splits, more than the 20 s this installation allows" in n for n in capped.notes), capped.notes
