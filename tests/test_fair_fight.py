"""benchmarks/corpus/fair_fight.py: the fair fight's verdict, entry selection and table on small fixed inputs."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.corpus.fair_fight import (PRODUCT_TIES_OR_WINS, STILL_LOSES, UPGRADE_TIES_OR_WINS, PackedMLPClassifier,
                                          PackedMLPRegressor, fight_verdict, format_table, losing_entries, merge_results)


@pytest.mark.parametrize("product, upgrades, expected", [
    ("ml", ["ml", "ml"], STILL_LOSES),
    ("ml", [], STILL_LOSES),
    ("ml", ["ml", "tie"], UPGRADE_TIES_OR_WINS),
    ("ml", ["dl", "ml"], UPGRADE_TIES_OR_WINS),
    ("tie", ["ml", "ml"], PRODUCT_TIES_OR_WINS),
    ("dl", ["ml"], PRODUCT_TIES_OR_WINS),
])
def test_verdict(product, upgrades, expected):
    assert fight_verdict(product, upgrades) == expected


@pytest.mark.parametrize("product, upgrades, expected", [
    ("dl", ["dl", "dl"], STILL_LOSES),
    ("dl", ["tie"], UPGRADE_TIES_OR_WINS),
    ("dl", ["ml", "dl"], UPGRADE_TIES_OR_WINS),
    ("ml", ["dl"], PRODUCT_TIES_OR_WINS),
    ("tie", [], PRODUCT_TIES_OR_WINS),
])
def test_the_classic_side_gets_the_same_fair_fight(product, upgrades, expected):
    assert fight_verdict(product, upgrades, side="ml") == expected


RESULTS = {"datasets": [
    {"dataset": "a", "kind": "tabular", "winner": "ml"},
    {"dataset": "b", "kind": "tabular", "winner": "tie"},
    {"dataset": "c", "kind": "images", "winner": "ml"},
    {"dataset": "d", "kind": "text", "winner": "ml"},
    {"dataset": "e", "declared_kind": "tabular", "winner": None, "error": "broken"},
    {"dataset": "f", "kind": "tabular", "winner": "dl"},
]}


def test_losing_entries_are_where_ml_won_on_tables_and_images():
    assert losing_entries(RESULTS) == ["a", "c"]
    assert losing_entries(RESULTS, all_entries=True) == ["a", "b", "c", "f"]
    assert losing_entries(RESULTS, winners=("ml", "dl")) == ["a", "c", "f"]  # both sides' losses get upgrades


def test_merge_keeps_earlier_rows_this_run_did_not_repeat():
    previous = {"datasets": [{"dataset": "z", "verdict": "old"}, {"dataset": "a", "verdict": "old"}]}
    merged = merge_results(previous, [{"dataset": "a", "verdict": "new"}])
    assert merged == [{"dataset": "a", "verdict": "new"}, {"dataset": "z", "verdict": "old"}]
    assert merge_results(None, [{"dataset": "q"}]) == [{"dataset": "q"}]


def test_table_shows_scores_budget_and_verdict():
    rows = [
        {"dataset": "steps", "metric": "r2", "ml_score": 0.98346, "dl_score": 0.7724, "product_winner": "ml",
         "upgrades": [{"name": "longer_wider", "score": 0.80111, "train_seconds": 50.2, "fits_budget": False, "winner": "ml"},
                      {"name": "tabm_packed", "score": 0.79, "train_seconds": 9.0, "fits_budget": True, "winner": "ml"}],
         "verdict": STILL_LOSES},
        {"dataset": "broken", "error": "not built"},
    ]
    text = format_table(rows)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["dataset", "metric", "ML"] and set(lines[1]) <= {"-", " "}
    steps = next(line for line in lines if line.startswith("steps"))
    assert "0.983" in steps and "0.772 (ml)" in steps and STILL_LOSES in steps
    assert "longer_wider 0.801 (50 s, over budget, ml)" in steps and "tabm_packed 0.790 (9 s, ml)" in steps
    assert "error: not built" in next(line for line in lines if line.startswith("broken"))


def test_packed_ensemble_averages_its_members():
    """k members in one module: each trains on its own loss; predictions are the members' average."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    for y, classes in ((X[:, 0] > 0, 2), (np.digitize(X[:, 0], [-0.5, 0.5]), 3)):
        net = PackedMLPClassifier(k=4, hidden_sizes=(8,), max_epochs=3).fit(X, y)
        members = net.module_[0](__import__("torch").from_numpy(X.astype(np.float32))).detach().numpy()
        assert members.shape == (120, 4, 1 if classes == 2 else classes)
        proba = net.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
        if classes == 2:
            expected = (1.0 / (1.0 + np.exp(-members[:, :, 0]))).mean(axis=1)
            np.testing.assert_allclose(proba[:, 1], expected, rtol=1e-4, atol=1e-5)
        else:
            soft = np.exp(members - members.max(axis=2, keepdims=True))
            np.testing.assert_allclose(proba, (soft / soft.sum(axis=2, keepdims=True)).mean(axis=1), rtol=1e-4, atol=1e-5)
    reg = PackedMLPRegressor(k=3, hidden_sizes=(8,), max_epochs=3).fit(X, 10.0 + X[:, 0])
    assert reg.predict(X).shape == (120,)


# --- no verdict from an unfair fight (issue 19) -----------------------------------------------------------


def _run(unit: str, planned: int, done: int, full: int, stopped_by: str, floor: int = 10) -> dict:
    from engine.measure.budget import STOPPED_CLOCK, STOPPED_CONVERGED

    return {"key": "x", "unit": unit, "planned": planned, "done": done, "full": full, "stopped_by": stopped_by,
            "cut_short": stopped_by == STOPPED_CLOCK, "starved": stopped_by != STOPPED_CONVERGED and done < floor}


def _clear_win():
    from engine.measure.evaluate import Verdict

    return Verdict(winner="ml", metric="accuracy", difference=0.109, interval=(0.08, 0.14), rule="")


def test_a_side_cut_short_by_the_clock_gives_no_winner():
    from engine.measure.budget import STOPPED_CLOCK, STOPPED_COMPLETE, STOPPED_CONVERGED
    from engine.figures.metrics import describe_verdict
    from engine.run.pipeline import judge_fairness

    done = {"ml": _run("boosting rounds", 200, 200, 200, STOPPED_COMPLETE, floor=50),
            "dl": _run("epochs", 200, 1, 200, STOPPED_CLOCK)}
    verdict = judge_fairness(_clear_win(), done)
    assert (verdict.winner, verdict.fair, verdict.conclusive) == ("unfair", False, False)
    assert "deep learning" in verdict.unfair_reason and "1 of 200 epochs" in verdict.unfair_reason
    assert "retrain with a larger time budget" in verdict.unfair_reason
    assert not verdict.counts_for_track_record
    text = describe_verdict(verdict, "ml", agreed=False)
    assert text.startswith("Not a fair comparison") and " won " not in text and "agrees" not in text
    # the same models with both sides done are a fair fight
    done["dl"] = _run("epochs", 200, 17, 200, STOPPED_CONVERGED)
    assert judge_fairness(_clear_win(), done).winner == "ml"


def test_a_starved_side_is_unfair_but_an_early_stopped_one_is_not():
    from engine.measure.budget import STOPPED_COMPLETE, STOPPED_CONVERGED, STOPPED_WORK
    from engine.run.pipeline import judge_fairness

    ml = _run("boosting rounds", 200, 200, 200, STOPPED_COMPLETE, floor=50)
    starved = judge_fairness(_clear_win(), {"ml": ml, "dl": _run("epochs", 2, 2, 200, STOPPED_WORK)})
    assert starved.winner == "unfair" and "far from trained (2 epochs of the 200" in starved.unfair_reason
    converged = judge_fairness(_clear_win(), {"ml": ml, "dl": _run("epochs", 200, 2, 200, STOPPED_CONVERGED)})
    assert converged.fair and converged.winner == "ml"
    few_rounds = judge_fairness(_clear_win(), {"ml": _run("boosting rounds", 12, 12, 200, STOPPED_COMPLETE, floor=50),
                                               "dl": _run("epochs", 200, 17, 200, STOPPED_CONVERGED)})
    assert few_rounds.winner == "unfair" and "classic ML was far from trained" in few_rounds.unfair_reason


def test_a_budget_starved_compare_says_not_a_fair_comparison_and_never_won():
    """30,000 rows on a 2 s budget: the plan leaves the network a few epochs, so no winner and no agreement."""
    from benchmarks.datasets import make_mixed_table
    from engine.figures.metrics import describe_verdict
    from engine.run.pipeline import compare

    result = compare(make_mixed_table(30_000, seed=1), "target", max_seconds=2.0, shap_rows=10, ml_kind="boosting")
    payload = result.to_dict()
    assert payload["winner"] == "unfair" and payload["verdict"]["fair"] is False
    assert payload["verdict"]["conclusive"] is False and payload["verdict"]["counts_for_track_record"] is False
    assert payload["agreed_with_recommendation"] is False
    assert "larger time budget" in payload["verdict"]["unfair_reason"]
    sentence = describe_verdict(result.verdict, result.advice.recommendation.choice, result.agreed_with_recommendation)
    assert " won " not in sentence and "agrees" not in sentence
    first = payload["budget"]["done"]["first_split"]
    assert any(first[side]["starved"] or first[side]["cut_short"] for side in ("ml", "dl"))


def test_an_inner_cross_validation_the_clock_cut_makes_the_fight_unfair(monkeypatch):
    """A fold fit stopped by the clock would bias the choice of family: recorded, and no winner is named."""
    from engine.measure import evaluate
    from engine.run.pipeline import compare
    from tests.conftest import make_signal_table

    real = evaluate.select_family

    def slow_clock(keys, fit, X, y, task, **kw):
        def starved_fit(key, Xf, yf):
            model = fit(key, Xf, yf)
            if key == "boosting":  # as if the clock had stopped boosting after 3 rounds
                monkeypatch.setattr(type(model[-1].booster_), "current_iteration", lambda self: 3)
                # ... and as the boosting callback records it when the clock stops it (every later fit reads it too)
                monkeypatch.setattr(type(model[-1]), "stopped_by_clock_", property(lambda self: True, lambda self, v: None),
                                    raising=False)
            return model
        return real(keys, starved_fit, X, y, task, **kw)

    monkeypatch.setattr(evaluate, "select_family", slow_clock)
    result = compare(make_signal_table(rows=300, seed=6), "target", shap_rows=5, max_seconds=120)
    assert result.selection["ml"]["cut_short"] == ["boosting"]
    assert result.verdict.winner == "unfair" and "inner cross-validation" in result.verdict.unfair_reason
    assert any("inner cross-validation of classic ML cut short by the clock" in stop for stop in result.budget_stops)
