"""compare's time budget bounds the whole run: both trainings and SHAP share one deadline."""

from __future__ import annotations

import time

import pytest

from benchmarks.datasets import make_mixed_table
from engine.common import limits
from engine.measure.deadline import Deadline
from engine.run.pipeline import compare


@pytest.fixture(scope="module")
def table():
    return make_mixed_table(30_000, seed=1)


def test_compare_ends_within_its_budget_plus_the_documented_overhead(table) -> None:
    import shap  # noqa: F401  (imports are start-up, before the clock, as in the CLI's budget)
    import torch._dynamo  # noqa: F401

    start = time.perf_counter()
    result = compare(table, "target", max_seconds=3.0, shap_rows=2_000)
    elapsed = time.perf_counter() - start
    print(f"\ncompare of 30,000 x 20 with a 3 s budget took {elapsed:.1f} s")
    assert elapsed <= 3.0 + limits.DEADLINE_OVERHEAD_SECONDS
    # 3 s plans a sliver of every family's work: no winner is named from models that far from trained
    assert result.verdict.winner == "unfair" and not result.verdict.conclusive
    work = result.to_dict()["budget"]["work"]
    assert work["selection_skipped"] and work["dl"]["mlp"]["planned"] < work["dl"]["mlp"]["full"]
    assert any("the time budget plans" in n for n in result.notes), result.notes
    assert 10 <= len(result.explained_rows) < 2_000


def test_a_spent_deadline_still_gives_a_result_with_notes(table) -> None:
    deadline = Deadline(0.01)
    time.sleep(0.02)
    start = time.perf_counter()
    result = compare(table.iloc[:5_000], "target", shap_rows=300, deadline=deadline, ml_kind="boosting")
    assert time.perf_counter() - start <= limits.DEADLINE_OVERHEAD_SECONDS
    assert any(stop.startswith("classic ML training cut short by the clock: 1 of ") for stop in result.budget_stops), \
        result.budget_stops
    assert any(stop.startswith("deep learning training cut short by the clock: 1 of ") for stop in result.budget_stops)
    assert result.cut_short and result.to_dict()["budget"]["run_cut_short"] is True
    assert result.verdict.winner == "unfair" and "the clock cut classic ML short" in result.verdict.unfair_reason
    assert len(result.explained_rows) == 10  # the probe rows are the explanation
    assert any("SHAP explains 10 of the" in n and "left room for no more" in n for n in result.notes), result.notes


def test_budgets_and_shap_rows_over_the_caps_are_capped_with_a_note(table, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_TRAIN_SECONDS", 5.0)
    monkeypatch.setattr(limits, "MAX_SHAP_ROWS", 40)
    result = compare(table.iloc[:2_000], "target", max_seconds=1e6, shap_rows=10_000)
    assert "the time budget (seconds) capped at 5 (engine.common.limits), 1e+06 was asked for" in result.notes
    assert "the SHAP sample (rows) capped at 40 (engine.common.limits), 10000 was asked for" in result.notes
    assert len(result.explained_rows) <= 40
    # The plan's "a budget of N s plans them all" names a budget the cap forbids: the note says so and how to lift it
    assert any("plans them all, more than the 5 s this installation allows: ADVISOR_MAX_TRAIN_SECONDS raises it" in n
               for n in result.notes), result.notes


def test_on_a_ray_cluster_the_budget_cap_is_an_hour(table, monkeypatch) -> None:
    from engine.models import distributed

    monkeypatch.setattr(distributed, "on_cluster", lambda: True)  # as inside a Ray task; 2,000 rows stay in one process
    result = compare(table.iloc[:2_000], "target", max_seconds=1_200, shap_rows=10)
    assert not any("time budget (seconds) capped" in n for n in result.notes), result.notes
    assert result.options.max_seconds == 1_200


def test_large_tables_are_sampled_for_the_comparison(monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_COMPARE_ROWS", 1_000)
    frame = make_mixed_table(5_000, seed=2)
    result = compare(frame, "target", max_seconds=10, shap_rows=20)
    assert result.split.train_rows + result.split.test_rows == 1_000
    assert result.advice.profile.rows == 5_000  # the advice sees every row
    assert any("5,000 labelled rows" in n and "sample of 1,000 rows, stratified by class" in n for n in result.notes)


def test_the_safety_net_shares_the_time_left_in_proportion_to_the_plan() -> None:
    from engine.measure.deadline import SafetyNet

    net = SafetyNet(Deadline(100.0), planned_seconds=10.0)
    first = net.allow(2.0)  # 2 of 10 planned seconds: a fifth of the 100 s left
    assert 19.0 < first <= 20.0
    assert net.allow(8.0) > 99.0  # the last stage may use all that is left
    assert net.allow(0.0) >= 0.05  # a stage planned at nothing still gets the floor
