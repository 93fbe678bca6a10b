"""Small data: the winner over repeated splits with Nadeau & Bengio's corrected resampled t-test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from engine import thresholds as th
from engine.evaluate import Verdict, corrected_resampled_ttest, resampled_verdict
from engine.pipeline import compare
from engine.record import RunRecord
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
    result = compare(make_signal_table(rows=200, seed=1), "target", shap_rows=5, max_seconds=20)
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
