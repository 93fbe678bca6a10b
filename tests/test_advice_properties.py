"""The advice's expert constraints, as properties (Hypothesis): monotone, smooth, structure first, a train-both zone."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.common import thresholds as th
from engine.advice.recommend import (
    Answers, DataKind, ProblemType, Transparency, VoteParams, recommend, volume_score,
)

answers_strategy = st.builds(
    Answers,
    data_kind=st.sampled_from(list(DataKind)),
    labelled_rows=st.integers(min_value=1, max_value=50_000_000),
    transparency=st.sampled_from(list(Transparency)),
    gpu=st.booleans(),
    domain_experts=st.sampled_from([None, True, False]),
    problem_type=st.sampled_from(list(ProblemType)),
)

FLIP = {"ml", "dl"}


@settings(max_examples=300, deadline=None)
@given(answers_strategy, st.integers(min_value=1, max_value=50_000_000))
def test_more_labelled_rows_never_move_the_advice_away_from_deep_learning(answers, more):
    fewer = recommend(answers)
    larger = recommend(replace(answers, labelled_rows=answers.labelled_rows + more))
    assert larger.score >= fewer.score - 1e-12
    order = {"ml": 0, "either": 1, "dl": 2}
    assert order[larger.choice] >= order[fewer.choice]


@settings(max_examples=300, deadline=None)
@given(answers_strategy)
def test_one_more_row_never_flips_the_advice_between_the_families(answers):
    now = recommend(answers)
    after = recommend(replace(answers, labelled_rows=answers.labelled_rows + 1))
    assert {now.choice, after.choice} != FLIP
    # ... and moves the vote by at most the curve's slope bound times one row's step in log10
    _, width = th.VOLUME_CURVES.get(answers.data_kind.value, th.VOLUME_CURVES["tabular"])
    step = math.log10(answers.labelled_rows + 1) - math.log10(answers.labelled_rows)
    share = th.CRITERION_WEIGHTS["data_volume"] / sum(th.CRITERION_WEIGHTS.values())
    assert abs(after.score - now.score) <= share * step / width + 1e-12


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(th.VOLUME_CURVES)), st.floats(min_value=0.0, max_value=8.0),
       st.floats(min_value=0.0, max_value=8.0))
def test_the_volume_score_is_smooth_and_monotone_in_log_rows(kind, log_a, log_b):
    rows_a, rows_b = int(10 ** log_a), int(10 ** log_b)
    score_a, score_b = volume_score(kind, rows_a), volume_score(kind, rows_b)
    _, width = th.VOLUME_CURVES[kind]
    distance = abs(math.log10(max(rows_a, 1)) - math.log10(max(rows_b, 1)))
    assert abs(score_a - score_b) <= distance / width + 1e-12  # Lipschitz in log10(rows): no cliff
    if rows_a <= rows_b:
        assert score_a <= score_b + 1e-12
    assert -1.0 <= score_a <= 1.0


def test_structure_weighs_at_least_as_much_as_every_other_criterion():
    structure = th.CRITERION_WEIGHTS["data_structure"]
    assert all(structure >= weight for weight in th.CRITERION_WEIGHTS.values())
    # ... and its pull (weight x the widest swing of its score) is the largest single pull
    swing = max(th.STRUCTURE_SCORES.values()) - min(th.STRUCTURE_SCORES.values())
    assert structure * swing >= max(w * 2 for n, w in th.CRITERION_WEIGHTS.items() if n != "data_structure")
    low, high = th.CRITERION_WEIGHT_BOUNDS["data_structure"]
    assert all(high >= h for _, h in th.CRITERION_WEIGHT_BOUNDS.values())


@settings(max_examples=200, deadline=None)
@given(answers_strategy)
def test_switching_table_for_images_moves_the_vote_more_than_any_other_single_answer(answers):
    """Structured vs unstructured is the strongest single criterion, measured on the vote itself."""
    table = replace(answers, data_kind=DataKind.TABULAR)
    images = replace(answers, data_kind=DataKind.IMAGES)
    structure_effect = abs(recommend(images).criteria[0].contribution - recommend(table).criteria[0].contribution)
    for name in ("transparency", "compute", "problem_complexity"):
        contributions = []
        for changed in (replace(answers, transparency=t) for t in Transparency) if name == "transparency" else \
                (replace(answers, gpu=g) for g in (True, False)) if name == "compute" else \
                (replace(answers, problem_type=p) for p in ProblemType):
            contributions.append(next(c for c in recommend(changed).criteria if c.name == name).contribution)
        assert structure_effect >= max(contributions) - min(contributions)


@pytest.mark.parametrize("kind", list(DataKind))
def test_there_is_a_train_both_zone_between_the_families(kind):
    """Somewhere between 1 and a billion rows, for answers leaning each way, the advice passes through "train both"."""
    seen_either = False
    for answers in (Answers(data_kind=kind, transparency=Transparency.LOW, gpu=True, domain_experts=False),
                    Answers(data_kind=kind, transparency=Transparency.MEDIUM, gpu=False),
                    Answers(data_kind=kind, transparency=Transparency.HIGH, gpu=False)):
        choices = [recommend(replace(answers, labelled_rows=int(10 ** (k / 20)))).choice for k in range(0, 181)]
        for before, after in zip(choices, choices[1:]):
            assert {before, after} != FLIP, (kind, answers)  # ml and dl never touch: "train both" lies between
        seen_either |= "either" in choices
    assert seen_either or kind is DataKind.TABULAR
    assert any(recommend(Answers(data_kind=kind, labelled_rows=n, transparency=t, gpu=g)).choice == "either"
               for n in (100, 10_000, 1_000_000, 100_000_000) for t in Transparency for g in (True, False))


@pytest.mark.parametrize(("kind", "rows", "transparency", "gpu", "problem", "allowed"), th.EXPERT_CASES)
def test_expert_cases(kind, rows, transparency, gpu, problem, allowed):
    answers = Answers(data_kind=DataKind(kind), labelled_rows=rows, transparency=Transparency(transparency),
                      gpu=gpu, problem_type=ProblemType(problem))
    assert recommend(answers).choice in allowed


def test_a_variant_that_breaks_a_constraint_is_caught():
    """The expert cases can fail: a vote with volume weighed over structure sends the credit table to DL."""
    from benchmarks.corpus.calibrate import constraint_failures, prior

    assert constraint_failures(prior()) == []
    bad = VoteParams(weights=th.PUBLISHED_CRITERION_WEIGHTS | {"data_structure": 0.5, "data_volume": 6.0},
                     volume_curves=th.VOLUME_CURVES | {"tabular": (4.5, 0.5)})
    failures = constraint_failures(bad)
    assert any("weighs 6.00 > structure 0.50" in f for f in failures)
    assert any(f.startswith("150,000 tabular rows") and f.endswith(": dl") for f in failures)


@settings(max_examples=5, deadline=None)
@given(answers_strategy)
def test_no_cliff_anywhere_on_a_fine_grid_of_log_rows(answers):
    """A jump anywhere between 1 and 100 million rows breaks the slope bound between two neighbouring grid points.

    (Random row counts almost never land on a cliff's exact row; a fine grid cannot step over one.)
    """
    _, width = th.VOLUME_CURVES.get(answers.data_kind.value, th.VOLUME_CURVES["tabular"])
    share = th.CRITERION_WEIGHTS["data_volume"] / sum(th.CRITERION_WEIGHTS.values())
    logs = [k / 200 for k in range(0, 1_601)]
    rows = sorted({max(int(round(10 ** x)), 1) for x in logs})
    decided = [recommend(replace(answers, labelled_rows=n)) for n in rows]
    for (n1, a), (n2, b) in zip(zip(rows, decided), zip(rows[1:], decided[1:])):
        bound = share * (math.log10(n2) - math.log10(n1)) / width
        assert abs(b.score - a.score) <= bound + 1e-12, (n1, n2, a.score, b.score)
        assert {a.choice, b.choice} != FLIP, (n1, n2)
