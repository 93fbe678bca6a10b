"""engine.advice.recommend: each criterion's direction, the vote, the what-if."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from engine.common import thresholds as th
from engine.profile.profile import profile_dataset
from engine.advice.recommend import (
    Answers, DataKind, ProblemType, Transparency, VoteParams, answers_from_profile, recommend, volume_score,
    what_would_flip,
)

BASE = Answers(labelled_rows=20_000, transparency=Transparency.MEDIUM)


def score(answers: Answers) -> float:
    return recommend(answers).score


def criterion(answers: Answers, name: str):
    return next(c for c in recommend(answers).criteria if c.name == name)


def test_six_criteria_with_reasons():
    rec = recommend(BASE)
    assert [c.name for c in rec.criteria] == [
        "data_structure", "data_volume", "transparency", "compute", "feature_engineering", "problem_complexity",
    ]
    for c in rec.criteria:
        assert c.reason.endswith(".") and len(c.reason) > 20
        assert c.weight == th.CRITERION_WEIGHTS[c.name]
        assert c.favours in ("ml", "dl", "neutral")


def test_unstructured_data_moves_toward_dl():
    for kind in (DataKind.TEXT, DataKind.IMAGES, DataKind.AUDIO):
        changed = replace(BASE, data_kind=kind)
        assert score(changed) > score(BASE)
        assert criterion(changed, "data_structure").favours == "dl"
    assert criterion(BASE, "data_structure").favours == "ml"


def test_more_data_moves_toward_dl_monotonically():
    sizes = [500, 5_000, 50_000, 500_000, 5_000_000]
    scores = [score(replace(BASE, labelled_rows=n)) for n in sizes]
    assert scores == sorted(scores) and scores[0] < scores[-1]
    assert criterion(replace(BASE, labelled_rows=500), "data_volume").favours == "ml"
    assert criterion(replace(BASE, labelled_rows=5_000_000), "data_volume").favours == "dl"


def test_volume_is_a_smooth_curve_of_log_rows_per_kind():
    """No bands: the score at the old 10k cut-off is continuous, and each kind has its own neutral point."""
    below = criterion(replace(BASE, labelled_rows=9_999), "data_volume").score
    at = criterion(replace(BASE, labelled_rows=10_000), "data_volume").score
    assert 0 < at - below < 1e-4
    for kind, (midpoint, width) in th.VOLUME_CURVES.items():
        assert volume_score(kind, int(round(10 ** midpoint))) == pytest.approx(0.0, abs=1e-3)
        assert volume_score(kind, int(10 ** (midpoint + width))) == pytest.approx(math.tanh(1.0), abs=1e-4)
    # images turn neutral hundreds of times sooner than tables (Brigato & Iocchi 2020 vs Grinsztajn et al. 2022)
    assert volume_score("images", 400) > 0 > volume_score("text", 19_000) > volume_score("tabular", 19_000)
    assert volume_score("unknown kind", 5_000) == volume_score("tabular", 5_000)  # read as a table
    table = criterion(replace(BASE, labelled_rows=150_000), "data_volume")
    assert table.favours == "ml" and "Grinsztajn" in table.reason and "150,000 rows favours classic ML" in table.reason


def test_transparency_high_moves_toward_ml():
    high = score(replace(BASE, transparency=Transparency.HIGH))
    low = score(replace(BASE, transparency=Transparency.LOW))
    assert high < score(BASE) < low
    assert criterion(replace(BASE, transparency=Transparency.LOW), "transparency").favours == "dl"


def test_gpu_moves_toward_dl():
    assert score(replace(BASE, gpu=True)) > score(BASE)
    assert criterion(replace(BASE, gpu=True), "compute").favours == "dl"
    assert criterion(BASE, "compute").favours == "ml"


def test_feature_engineering():
    experts = score(replace(BASE, domain_experts=True))
    nobody = score(replace(BASE, domain_experts=False))
    assert experts < score(BASE) < nobody
    assert criterion(BASE, "feature_engineering").favours == "neutral"
    assert criterion(replace(BASE, data_kind=DataKind.IMAGES), "feature_engineering").favours == "dl"


def test_problem_complexity():
    business = score(replace(BASE, problem_type=ProblemType.BUSINESS_PREDICTION))
    vision = score(replace(BASE, problem_type=ProblemType.VISION))
    assert business < score(BASE) < vision


def test_vote_outcomes_and_confidence():
    tabular = recommend(Answers(labelled_rows=2_000, transparency=Transparency.HIGH, problem_type=ProblemType.BUSINESS_PREDICTION))
    assert tabular.choice == "ml" and tabular.confidence > 0.75
    images = recommend(Answers(data_kind=DataKind.IMAGES, labelled_rows=2_000_000, transparency=Transparency.LOW, gpu=True, problem_type=ProblemType.VISION))
    assert images.choice == "dl" and images.confidence > 0.75
    close = recommend(Answers(data_kind=DataKind.TEXT, labelled_rows=19_000, problem_type=ProblemType.LANGUAGE))
    assert close.choice == "either"
    assert 0.5 <= close.confidence < min(tabular.confidence, images.confidence)
    assert close.confidence == th.CLOSE_CALL_CONFIDENCE  # a close call's own fitted share of ties, not the firm map
    for rec in (tabular, images, close):
        weighted = sum(c.contribution for c in rec.criteria) / sum(c.weight for c in rec.criteria)
        assert rec.score == pytest.approx(weighted)
    for rec in (tabular, images):
        assert rec.confidence == pytest.approx(1 / (1 + math.exp(-(th.CONFIDENCE_INTERCEPT + th.CONFIDENCE_SLOPE * abs(rec.score)))))


def test_the_published_sources_decide_the_cases_an_expert_would_check():
    """Issue 17: the credit table stays with trees, a few hundred images go to a CNN, short texts are close or ML."""
    credit = Answers(labelled_rows=150_000, transparency=Transparency.MEDIUM, gpu=True)
    assert recommend(credit).choice == "ml"
    assert recommend(replace(credit, problem_type=ProblemType.BUSINESS_PREDICTION)).choice == "ml"
    # the old bands' cliff: 99,999 and 100,000 rows now get the same advice and nearly the same score
    assert recommend(Answers(labelled_rows=99_999)).choice == recommend(Answers(labelled_rows=100_000)).choice == "ml"
    assert abs(score(Answers(labelled_rows=100_000)) - score(Answers(labelled_rows=99_999))) < 1e-5
    assert recommend(Answers(data_kind=DataKind.IMAGES, labelled_rows=400, problem_type=ProblemType.VISION)).choice == "dl"
    assert recommend(Answers(data_kind=DataKind.TEXT, labelled_rows=19_000, problem_type=ProblemType.LANGUAGE)).choice in ("ml", "either")
    assert recommend(Answers(data_kind=DataKind.TEXT, labelled_rows=500, problem_type=ProblemType.LANGUAGE)).choice in ("ml", "either")
    # deep learning on a table only when nearly everything else leans that way and the table is huge
    leaning = Answers(labelled_rows=50_000_000, transparency=Transparency.LOW, gpu=True, domain_experts=False,
                      problem_type=ProblemType.VISION)
    assert recommend(leaning).choice == "dl"
    assert recommend(replace(leaning, labelled_rows=5_000)).choice != "dl"


def test_vote_params_change_the_vote_and_default_to_the_thresholds():
    answers = Answers(labelled_rows=150_000, gpu=True)
    assert recommend(answers, VoteParams()).score == pytest.approx(recommend(answers).score)
    volume_heavy = VoteParams(weights=th.CRITERION_WEIGHTS | {"data_volume": 10.0},
                              volume_curves=th.VOLUME_CURVES | {"tabular": (4.0, 0.5)})
    heavy = recommend(answers, volume_heavy)
    assert heavy.choice == "dl" and next(c for c in heavy.criteria if c.name == "data_volume").weight == 10.0


def test_what_if_names_changes_that_flip():
    answers = Answers(data_kind=DataKind.TEXT, labelled_rows=20_000, transparency=Transparency.MEDIUM, gpu=True,
                      problem_type=ProblemType.LANGUAGE)
    assert recommend(answers).choice == "dl"
    flips = what_would_flip(answers)
    assert flips, "a call this close must be flippable"
    for flip in flips:
        assert recommend(flip.answers).choice == flip.choice != recommend(answers).choice
    assert any(f.description == "without a GPU" for f in flips)
    assert not any("more labelled rows" in f.description for f in flips)  # more data never moves it away from DL


def test_what_if_offers_pairs_when_no_single_actionable_change_flips():
    answers = Answers(data_kind=DataKind.IMAGES, labelled_rows=1_000, transparency=Transparency.MEDIUM)
    assert recommend(answers).choice == "dl"
    flips = what_would_flip(answers)
    assert all(f.description.startswith("if the data were") for f in flips if " and " not in f.description)
    assert any(" and " in f.description for f in flips)
    assert all(recommend(f.answers).choice != "dl" for f in flips)
    # a small table with nothing leaning to deep learning: no single answer nor pair the user controls flips it
    assert not [f for f in what_would_flip(Answers(labelled_rows=50)) if not f.description.startswith("if the data were")]


def test_answers_from_profile_and_overrides(signal_table):
    profile = profile_dataset(signal_table)
    answers = answers_from_profile(profile)
    assert answers.data_kind is DataKind.TABULAR
    assert answers.labelled_rows == len(signal_table)
    assert answers.problem_type is ProblemType.OTHER  # a table does not say what it is for: "not sure"
    changed = answers_from_profile(profile, gpu=True, transparency=Transparency.HIGH, labelled_rows=None)
    assert changed.gpu and changed.transparency is Transparency.HIGH
    assert changed.labelled_rows == len(signal_table)


def test_text_columns_suggest_text_data():
    import pandas as pd

    frame = pd.DataFrame({
        "review": [f"this product was really quite good number {i}" for i in range(40)],
        "stars": ["good", "bad"] * 20,
    })
    answers = answers_from_profile(profile_dataset(frame, "stars"))
    assert answers.data_kind is DataKind.TEXT
    assert recommend(answers).score > recommend(replace(answers, data_kind=DataKind.TABULAR)).score


@pytest.mark.parametrize("answers", [BASE, replace(BASE, data_kind=DataKind.IMAGES, gpu=True, labelled_rows=5_000_000)])
def test_to_dict_contract(answers):
    payload = json.loads(json.dumps(recommend(answers).to_dict()))  # plain JSON, as the CLI prints it
    assert payload["recommendation"] in ("ml", "dl", "either")
    assert 0.0 <= payload["confidence"] <= 1.0
    for c in payload["criteria"]:
        assert set(c) >= {"name", "value", "favours", "weight", "reason"}
    # The JSON alone reproduces the vote: weighted mean score, the side it picks, the confidence.
    criteria = payload["criteria"]
    score = sum(c["score"] * c["weight"] for c in criteria) / sum(c["weight"] for c in criteria)
    assert payload["score"] == pytest.approx(score, abs=1e-3)
    side = "ml" if score <= -th.CLOSE_CALL_BAND else "dl" if score >= th.CLOSE_CALL_BAND else "either"
    assert payload["recommendation"] == side
    expected = 1 / (1 + math.exp(-(th.CONFIDENCE_INTERCEPT + th.CONFIDENCE_SLOPE * abs(payload["score"]))))
    if side == "either":  # its own share of ties, kept below the firm map at the band's edge
        expected = min(th.CLOSE_CALL_CONFIDENCE,
                       1 / (1 + math.exp(-(th.CONFIDENCE_INTERCEPT + th.CONFIDENCE_SLOPE * th.CLOSE_CALL_BAND))))
    assert payload["confidence"] == pytest.approx(expected, abs=1e-3)
    for c in criteria:
        expected = "ml" if c["score"] <= -th.NEUTRAL_SCORE else "dl" if c["score"] >= th.NEUTRAL_SCORE else "neutral"
        assert c["favours"] == expected, c
    assert payload["answers"]["labelled_rows"] == answers.labelled_rows
    assert payload["answers"]["data_kind"] == answers.data_kind.value
    assert payload["answers"]["gpu"] is answers.gpu


def test_confidence_rises_with_the_margin_and_the_boundary_reads_one_way(monkeypatch):
    """A close call never shows more confidence than a firm call; at exactly the band the call is firm."""
    import importlib

    from engine.common import thresholds as th
    from engine.advice.recommend import Criterion

    module = importlib.import_module("engine.advice.recommend")

    def decide(score: float):
        # One criterion carrying the whole vote, so the weighted mean is ``score`` itself.
        monkeypatch.setattr(module, "_CRITERIA", [lambda a, p: Criterion("data_structure", "x", score, 1.0, "")])
        return recommend(Answers())

    scores = np.linspace(-1.0, 1.0, 401)
    decided = [decide(float(v)) for v in scores]
    confidences = np.array([d.confidence for d in decided])
    order = np.argsort(np.abs(scores), kind="stable")
    assert np.all(np.diff(confidences[order]) >= -1e-12)  # monotonic in the margin
    firm = [d.confidence for d in decided if d.choice != "either"]
    close = [d.confidence for d in decided if d.choice == "either"]
    assert close and firm and max(close) < min(firm)
    assert decide(-th.CLOSE_CALL_BAND).choice == "ml" and decide(th.CLOSE_CALL_BAND).choice == "dl"
    assert decide(-th.CLOSE_CALL_BAND + 1e-9).choice == "either"


def test_what_would_flip_tries_the_problem_type():
    answers = Answers(labelled_rows=1_000_000, transparency=Transparency.LOW, gpu=True, problem_type=ProblemType.OTHER)
    current = recommend(answers).choice
    flips = what_would_flip(answers)
    problem_flips = [f for f in flips if f.description.startswith("if the problem were")]
    assert problem_flips, [f.description for f in flips]
    for flip in problem_flips:
        assert recommend(flip.answers).choice == flip.choice != current
        assert flip.answers.problem_type is not answers.problem_type
