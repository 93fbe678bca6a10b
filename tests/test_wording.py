"""The one set of words and number formats: counts, millions, outcomes and the verdict sentence."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest

from engine.figures import metrics as metric_figures
from engine.common import wording
from engine.measure.evaluate import ModelResult, Verdict


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [(1, "epoch", "1 epoch"), (2, "epoch", "2 epochs"), (1, "split", "1 split"), (1000, "row", "1,000 rows"),
     (0, "class", "0 classes"), (1, "boosting round", "1 boosting round"), (12_345, "row", "12,345 rows")],
)
def test_count_agrees_the_noun_with_the_number(n: int, noun: str, expected: str) -> None:
    assert wording.count(n, noun) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1_780_000, "1.78 M"), (-1_780_000, "-1.78 M"), (1_296_109, "1.30 M"), (12_345_678, "12.3 M"),
     (999_800, "1.00 M"), (3.2e9, "3.20 bn"), (12_345, "12,345"), (0.4213, "0.4213"), (0.0, "0")],
)
def test_numbers_in_the_millions_read_as_M(value: float, expected: str) -> None:
    assert wording.format_number(value) == expected


def test_signed_numbers_show_their_sign() -> None:
    assert wording.format_signed(-1_780_000) == "-1.78 M" and wording.format_signed(0.01234) == "+0.0123"


def test_the_outcome_reads_fair_and_conclusive_before_the_winner() -> None:
    won = Verdict("dl", "r2", -0.1, (-0.2, -0.05), "")
    assert wording.outcome_phrase(won) == "deep learning won"
    assert wording.outcome_phrase(replace(won, conclusive=False)) == "inconclusive"

    @dataclass(frozen=True)
    class Future(Verdict):  # a verdict helper's future field, set
        fair: bool = True

    assert wording.outcome_phrase(Future("dl", "r2", -0.1, (-0.2, -0.05), "", fair=False)) == "not a fair comparison"
    assert wording.outcome_key({"winner": "ml"}) == "ml"  # a record written before either field existed
    assert wording.outcome_key({"winner": "ml", "conclusive": False}) == "inconclusive"
    assert wording.outcome_label("inconclusive") == "Inconclusive"


def test_a_tie_made_by_the_practical_margin_names_the_margin() -> None:
    tie = metric_figures.describe_verdict(Verdict("tie", "r2", -0.0027, (-0.0062, -0.0002), ""), "ml", agreed=True)
    assert "within the practical-tie margin of 0.5 points (0.005 in R²)" in tie and "0.0027 in R²" in tie
    points = metric_figures.describe_verdict(Verdict("tie", "accuracy", 0.003, (0.001, 0.006), ""), "ml", agreed=True)
    assert "0.30 points of accuracy, within the practical-tie margin of 0.5 points" in points
    assert "+0.10 to +0.60 points" in points  # the interval in the difference's unit, never "-0.000"
    straddles = metric_figures.describe_verdict(Verdict("tie", "r2", 0.001, (-0.01, 0.02), ""), "ml", agreed=True)
    assert "practical-tie margin" not in straddles  # the interval itself contains zero


def test_an_inconclusive_or_unfair_verdict_never_agrees() -> None:
    inconclusive = metric_figures.describe_verdict(Verdict("dl", "r2", -0.1, (-0.2, -0.05), "", conclusive=False), "dl", True)
    assert inconclusive.startswith("Inconclusive (a model scored no better than its baseline), so no winner is named")
    assert "agrees" not in inconclusive and "won" not in inconclusive
    assert "As measured, deep learning scored higher by 0.10 in R²" in inconclusive

    @dataclass(frozen=True)
    class Future(Verdict):
        fair: bool = True

    unfair = metric_figures.describe_verdict(Future("dl", "r2", -0.1, (-0.2, -0.05), "", fair=False), "dl", True)
    assert unfair.startswith("Not a fair comparison") and "larger time budget" in unfair and "agrees" not in unfair
    assert "won" not in unfair  # a record that named a winner before fights were judged fair says what was measured
    unnamed = metric_figures.describe_verdict(Verdict("unfair", "accuracy", 0.04, (0.01, 0.07), "", conclusive=False, fair=False,
                                              unfair_reason="the clock cut deep learning short: retrain with a larger time budget"), "ml", False)
    assert unnamed.count("retrain") == 1 and "won" not in unnamed and "classic ML scored higher by 4.0 points of accuracy" in unnamed


def _model(family: str, balanced: float, auc: float) -> ModelResult:
    return ModelResult(family, family, {"balanced_accuracy": balanced, "roc_auc": auc}, (0.0, 1.0), 0.5, 0.0, 0.0, 0.0, 0,
                       predictions=np.zeros(1), metric="balanced_accuracy")


def test_roc_auc_ranking_the_other_way_is_named_beside_balanced_accuracy() -> None:
    verdict = Verdict("ml", "balanced_accuracy", 0.06, (0.02, 0.1), "")
    other_way = metric_figures.describe_verdict(verdict, "ml", True, models=(_model("ml", 0.80, 0.85), _model("dl", 0.74, 0.90)))
    assert "balanced accuracy" in other_way and "ROC AUC ranks them the other way" in other_way
    assert "0.850" in other_way and "0.900" in other_way
    same_way = metric_figures.describe_verdict(verdict, "ml", True, models=(_model("ml", 0.80, 0.92), _model("dl", 0.74, 0.90)))
    assert "ROC AUC" not in same_way


def test_the_report_says_the_budget_covers_the_whole_run() -> None:
    @dataclass
    class Options:
        max_seconds: float = 20.0

    @dataclass
    class Record:
        options: Options
        budget_stops: list

    assert "for the whole run" in wording.budget_sentence(Record(Options(), []))
    assert "binding: network stopped" in wording.budget_sentence(Record(Options(), ["network stopped"]))

    @dataclass
    class Starved(Record):
        verdict: Verdict = Verdict("unfair", "accuracy", 0.1, (0.0, 0.2), "", conclusive=False, fair=False)

    starved = wording.budget_sentence(Starved(Options(), []))  # nothing cut by the clock, but too little work planned
    assert "all finished within it" not in starved and "too little work for a fair comparison" in starved

    @dataclass
    class Planned(Record):
        plan_reduced: bool = True  # e.g. one split where small data gets ten, 52 of 200 boosting rounds

    planned = wording.budget_sentence(Planned(Options(), []))  # the clock cut nothing; the plan was less than full
    assert "all finished within it" not in planned and "was binding: it planned less than the full work" in planned
    assert "not binding" in wording.budget_sentence(Planned(Options(), [], plan_reduced=False))


def test_units_named_in_the_plural_agree_with_their_count() -> None:
    assert wording.count_units(1, "boosting rounds") == "1 boosting round"
    assert wording.count_units(1, "epochs") == "1 epoch" and wording.count_units(100, "epochs") == "100 epochs"
    assert wording.count_units(1_000, "optimiser steps") == "1,000 optimiser steps"


def test_the_training_sentence_says_rows_and_workers():
    from engine.common.wording import training_sentence

    assert training_sentence({}) is None  # a record saved before the field existed
    assert training_sentence({"rows": 80_000, "workers": 1, "trainer": "one process", "device": None}) == \
        "Trained on 80,000 training rows in one process."
    spread = training_sentence({"rows": 800_000, "workers": 2, "trainer": "TorchTrainer (PyTorch DDP)", "device": "cpu"})
    assert spread == "Trained on all 800,000 training rows, data-parallel on 2 Ray workers (CPU, TorchTrainer (PyTorch DDP))."
