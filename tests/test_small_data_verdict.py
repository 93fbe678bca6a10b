"""Small data: the winner over repeated splits with Nadeau & Bengio's corrected resampled t-test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from engine.common import thresholds as th
from engine.measure.evaluate import Verdict, corrected_resampled_ttest, resampled_verdict
from engine.run.pipeline import compare
from engine.run.record import RunRecord
from tests.conftest import make_signal_table

REAL_SMALL_DATA_ROWS = 1_000


def test_published_threshold_is_the_small_volume_band():
    assert REAL_SMALL_DATA_ROWS == th.VOLUME_SMALL_ROWS


def test_corrected_t_test_arithmetic_on_a_fixed_table():
    d = np.array([0.02, 0.05, -0.01, 0.04, 0.03])
    mean, (low, high), p = corrected_resampled_ttest(d, n_train=400, n_test=100)
    se = np.sqrt((1 / 5 + 100 / 400) * d.var(ddof=1))  # (1/J + n_test/n_train) s²
    assert mean == pytest.approx(0.026)
    assert p == pytest.approx(2 * stats.t.sf(0.026 / se, 4))
    assert (low, high) == pytest.approx((0.026 - stats.t.ppf(0.975, 4) * se, 0.026 + stats.t.ppf(0.975, 4) * se))
    naive_p = stats.ttest_1samp(d, 0.0).pvalue
    assert p > naive_p  # the overlap correction is more cautious than the naive t-test


def test_resampled_verdict_rule():
    first = Verdict(winner="tie", metric="r2", difference=-0.1, interval=(-0.3, 0.1), rule="")
    clear = resampled_verdict(first, [-0.10, -0.09, -0.12, -0.11, -0.10, -0.08], 350, 90)
    assert (clear.winner, clear.splits, clear.method) == ("dl", 6, "corrected resampled t-test")
    assert clear.interval[1] < 0 and clear.p_value < 0.05 and clear.split_differences[0] == -0.10
    noisy = resampled_verdict(first, [-0.10, 0.08, -0.12, 0.11, -0.02], 350, 90)
    assert noisy.winner == "tie" and noisy.interval[0] < 0 < noisy.interval[1]
    tiny = resampled_verdict(first, [0.003, 0.003, 0.003], 350, 90)
    assert tiny.winner == "tie"  # decisive but under the practical margin


def test_small_data_compare_repeats_splits_and_says_so(monkeypatch):
    monkeypatch.setattr(th, "SMALL_DATA_ROWS", REAL_SMALL_DATA_ROWS)
    result = compare(make_signal_table(rows=200, seed=1), "target", shap_rows=5, max_seconds=120, ml_kind="boosting")
    verdict = result.verdict
    assert th.SMALL_DATA_MIN_SPLITS <= verdict.splits <= th.SMALL_DATA_MAX_SPLITS
    assert verdict.method == "corrected resampled t-test" and len(verdict.split_differences) == verdict.splits
    assert verdict.difference == pytest.approx(np.mean(verdict.split_differences))
    assert any(f"decided over {verdict.splits} random 80/20 splits" in note for note in result.notes)
    payload = result.to_dict()["verdict"]
    assert payload["splits"] == verdict.splits and payload["method"] == verdict.method
    assert "repeated_splits" in result.stage_seconds
    assert RunRecord.from_json(result.to_json()).verdict == verdict  # a saved run keeps its splits


def test_larger_data_keeps_one_split(monkeypatch):
    monkeypatch.setattr(th, "SMALL_DATA_ROWS", 100)
    result = compare(make_signal_table(rows=150, seed=1), "target", shap_rows=5, max_seconds=20)
    assert (result.verdict.splits, result.verdict.method) == (1, "paired bootstrap")
    assert result.to_dict()["verdict"]["splits"] == 1 and "repeated_splits" not in result.stage_seconds


def test_pooled_interval_p_value_and_winner_agree_on_a_fixed_table():
    """Three seeds' splits pooled into one corrected t-test: the interval, p and winner are that test's."""
    from engine.measure.evaluate import pooled_verdict, split_seeds

    first = Verdict(winner="tie", metric="accuracy", difference=0.0, interval=(0.0, 0.0), rule="")
    table = {0: [0.031, 0.012, 0.040, 0.025], 1: [0.018, 0.044, 0.009, 0.030], 2: [0.027, 0.035, 0.016, 0.022]}
    runs = [resampled_verdict(first, d, 400, 100, split_seeds=split_seeds(seed, 4)) for seed, d in table.items()]
    pooled = pooled_verdict(runs)
    every = [x for d in table.values() for x in d]
    mean, (low, high), p = corrected_resampled_ttest(np.array(every), 400, 100)
    assert pooled.splits == 12 and pooled.difference == pytest.approx(mean)
    assert pooled.interval == pytest.approx((low, high)) and pooled.p_value == pytest.approx(p)
    assert pooled.winner == "ml" and pooled.p_value < 0.05 and pooled.interval[0] > 0  # they agree
    # not an average of per-seed bounds, nor a median p-value
    assert pooled.interval[0] != pytest.approx(np.mean([r.interval[0] for r in runs]))
    assert pooled.p_value != pytest.approx(np.median([r.p_value for r in runs]))
    # the agreement holds whichever way the evidence goes
    for differences in ([0.01, -0.02, 0.03, -0.01], [-0.05, -0.04, -0.06, -0.05], [0.002, 0.003, 0.002, 0.003]):
        v = resampled_verdict(first, differences, 400, 100)
        excludes_zero = v.interval[0] > 0 or v.interval[1] < 0
        assert excludes_zero == (v.p_value < 0.05)
        if v.winner != "tie":
            assert excludes_zero and (v.winner == "ml") == (v.difference > 0)


def test_split_seeds_do_not_overlap_across_run_seeds_and_pooling_counts_a_shared_split_once():
    from engine.measure.evaluate import pooled_verdict, split_seeds

    seeds = [set(split_seeds(seed, th.SMALL_DATA_MAX_SPLITS)) for seed in range(3)]
    assert not (seeds[0] & seeds[1]) and not (seeds[1] & seeds[2]) and split_seeds(5, 3)[0] == 5
    first = Verdict(winner="tie", metric="r2", difference=0.0, interval=(0.0, 0.0), rule="")
    a = resampled_verdict(first, [0.1, 0.2, 0.3], 80, 20, split_seeds=[1, 2, 3])
    b = resampled_verdict(first, [0.5, 0.4, 0.6], 80, 20, split_seeds=[3, 4, 5])
    pooled = pooled_verdict([a, b])
    assert pooled.splits == 5 and sorted(pooled.split_differences) == pytest.approx([0.1, 0.2, 0.4, 0.4, 0.6])  # split 3: mean of 0.3 and 0.5


def test_pooling_an_unfair_or_flagged_run_keeps_it_out_of_a_verdict():
    from dataclasses import replace

    from engine.measure.evaluate import pooled_verdict

    first = Verdict(winner="tie", metric="r2", difference=0.0, interval=(0.0, 0.0), rule="")
    good = resampled_verdict(first, [0.1, 0.12, 0.11], 80, 20, split_seeds=[0, 1, 2])
    unfair = replace(resampled_verdict(first, [0.2, 0.1, 0.3], 80, 20, split_seeds=[7, 8, 9]),
                     fair=False, winner="unfair", unfair_reason="the clock cut deep learning short")
    assert pooled_verdict([good, unfair]).winner == "unfair"
    flagged = replace(good, conclusive=False)
    assert pooled_verdict([flagged, replace(unfair, fair=True, winner="ml")]).conclusive is False


def test_the_number_of_splits_is_planned_not_timed(monkeypatch):
    """The splits come from the work budget (recorded before training), on split seeds that never overlap."""
    monkeypatch.setattr(th, "SMALL_DATA_ROWS", REAL_SMALL_DATA_ROWS)
    frame = make_signal_table(rows=150, seed=2)
    result = compare(frame, "target", shap_rows=5, max_seconds=120, ml_kind="boosting")
    planned = result.to_dict()["budget"]["work"]["splits"]
    assert result.verdict.splits == planned >= th.SMALL_DATA_MIN_SPLITS
    assert result.verdict.split_seeds == tuple(range(0, planned * 7_919, 7_919))
    assert len(result.work_done["later_splits"]) == planned - 1
