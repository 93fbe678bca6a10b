"""Budgets in work (engine.measure.budget): a pure plan fixed before training, the same on an idle and a busy machine."""

from __future__ import annotations

import subprocess
import sys

from engine.common import limits
from engine.common import thresholds as th
from engine.measure.budget import DataSize, estimate_seconds, plan_work
from engine.kinds.tabular import BOOSTING, LINEAR, MLP
from engine.kinds.text import TEXT_NETWORK, TFIDF_LINEAR

TABLE = {"ml": {"boosting": BOOSTING, "linear": LINEAR}, "dl": {"mlp": MLP}}


def _plan(rows: int, seconds: float, small: bool = False, **kw):
    return plan_work(TABLE["ml"], TABLE["dl"], DataSize(rows=rows, width=20), seconds, 100, small_data=small,
                     select_ml=True, **kw)


def test_the_plan_is_a_pure_function_of_size_and_budget():
    assert _plan(50_000, 60) == _plan(50_000, 60)
    assert _plan(50_000, 60).to_dict() == _plan(50_000, 60).to_dict()


def test_more_time_never_plans_less_work_and_ample_time_plans_the_full_work():
    budgets = [_plan(80_000, seconds) for seconds in (5, 20, 60, 240, 600)]
    for fewer, more in zip(budgets, budgets[1:]):
        for side in ("ml", "dl"):
            for key, plan in getattr(fewer, side).items():
                assert getattr(more, side)[key].planned >= plan.planned
        assert more.shap_rows >= fewer.shap_rows
    roomy = _plan(500, 600)
    assert all(plan.planned == plan.full for plan in (*roomy.ml.values(), *roomy.dl.values()))


def test_small_data_gets_its_repeated_splits_from_the_plan_not_from_the_clock():
    roomy = _plan(400, 600, small=True)
    assert roomy.splits == th.SMALL_DATA_MAX_SPLITS
    tight = _plan(400, 1, small=True)
    assert tight.splits == 1  # never 2: fewer than SMALL_DATA_MIN_SPLITS keeps the one split's bootstrap
    assert _plan(400, 600, small=False).splits == 1


def test_a_tight_budget_shares_the_cut_and_keeps_a_minimum_of_shap_rows():
    tight = _plan(100_000, 10)
    assert tight.dl["mlp"].planned < tight.dl["mlp"].full
    assert tight.shap_rows >= limits.SHAP_MIN_ROWS
    assert tight.estimated_seconds <= 10  # the plan fits the budget on the reference machine


def test_text_families_are_bounded_too():
    size = DataSize(rows=16_000, width=1, outputs=1, tokens=15.0)
    plan = plan_work({"tfidf-linear": TFIDF_LINEAR}, {"text-net": TEXT_NETWORK}, size, 30, 100, small_data=False)
    assert plan.ml["tfidf-linear"].unit == "solver iterations" and plan.ml["tfidf-linear"].planned <= 2_000
    assert plan.dl["text-net"].unit == "optimiser steps" and plan.dl["text-net"].planned <= th.TEXT_NET_MAX_STEPS
    assert plan.estimated_seconds <= 30


def test_the_estimate_the_page_shows_before_training():
    estimate = estimate_seconds(TABLE["ml"], TABLE["dl"], DataSize(rows=8_000, width=12), 60, 100, small_data=False,
                                select_ml=True)
    assert 0 < estimate["expected"] <= 60
    at_that_budget = _plan(8_000, estimate["budget_for_full_work"])
    assert all(p.planned == p.full for p in (*at_that_budget.ml.values(), *at_that_budget.dl.values()))


def test_estimate_run_before_training_names_a_fair_budget():
    from engine.run.pipeline import estimate_run
    from engine.advice.recommend import advise
    from tests.conftest import make_signal_table

    frame = make_signal_table(rows=3_000, seed=1)
    profile = advise(frame, "target").profile
    estimate = estimate_run(frame, profile, 60, 100)
    assert 0 < estimate["expected"] <= 60 and estimate["plan"]["ml"] and estimate["plan"]["dl"]
    assert estimate["fair_budget"] is not None
    assert estimate_run(frame, profile, 60, 100) == estimate  # nothing timed: the same answer every time
    assert th.DEFAULT_MAX_SECONDS >= estimate["fair_budget"]
