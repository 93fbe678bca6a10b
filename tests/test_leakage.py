"""engine.profile.leakage: columns that alone give the answer away, named; honest ones and identifiers, not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score

from engine.profile import leakage
from engine.profile.leakage import LEAK_SCORE, MIN_ROWS, leak_note, suspected_leaks
from engine.profile.profile import profile_dataset


def _churn_table(rows: int = 1_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure, spend = rng.normal(size=rows), rng.normal(size=rows)
    churned = np.where(tenure + spend + rng.normal(0, 0.5, rows) > 0, "yes", "no")
    return pd.DataFrame({
        "tenure": tenure, "spend": spend, "churned": churned,
        "status_code": np.where(churned == "yes", "C1", "A7"),  # the target, recoded
        "days_since_cancel": np.where(churned == "yes", rng.integers(1, 30, rows), np.nan),  # known only after
        "risk_score": (churned == "yes") * 5.0 + rng.normal(0, 0.5, rows),  # a threshold on it is the answer
        "customer_id": [f"CU{i:05d}" for i in range(rows)],  # unique: perfect on its own rows, nowhere else
        "row_number": np.arange(rows),
    })


def test_columns_derived_from_a_class_target_are_named_and_honest_ones_are_not():
    leaks = suspected_leaks(_churn_table(), "churned", ["tenure", "spend", "status_code", "days_since_cancel",
                                                        "risk_score", "customer_id", "row_number"], True)
    assert {leak.column for leak in leaks} == {"status_code", "days_since_cancel", "risk_score"}
    assert all(leak.score >= LEAK_SCORE and leak.metric == "balanced accuracy" for leak in leaks)
    assert [leak.score for leak in leaks] == sorted((leak.score for leak in leaks), reverse=True)


def test_a_monotone_function_of_a_number_target_is_named_a_noisy_one_is_not():
    rng = np.random.default_rng(1)
    price = rng.gamma(2.0, 100.0, 800)
    frame = pd.DataFrame({"price": price, "price_in_euros": price * 0.92, "price_rank": pd.Series(price).rank(),
                          "appraisal": price + rng.normal(0, 60, 800), "size": rng.normal(size=800),
                          "band": pd.cut(price, [0, 100, 200, np.inf]).astype(str)})
    leaks = {leak.column: leak for leak in suspected_leaks(
        frame, "price", ["price_in_euros", "price_rank", "appraisal", "size", "band"], False)}
    assert set(leaks) == {"price_in_euros", "price_rank"}
    assert leaks["price_in_euros"].metric == "rank correlation"
    exact = suspected_leaks(frame.assign(price_code=price.round(2).astype(str)), "price", ["price_code"], False)
    assert exact == ()  # a unique code per row: its held-out values were never seen, so it predicts nothing


def test_a_wide_table_of_noise_names_nothing_and_a_small_table_is_not_judged():
    rng = np.random.default_rng(2)
    wide = pd.DataFrame(rng.normal(size=(300, 2_000)), columns=[f"gene_{i}" for i in range(2_000)])
    wide["label"] = rng.integers(0, 2, 300)
    assert suspected_leaks(wide, "label", [f"gene_{i}" for i in range(2_000)], True) == ()
    small = _churn_table(rows=MIN_ROWS - 1)
    assert suspected_leaks(small, "churned", ["status_code"], True) == ()


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.parametrize("seed", range(4))
def test_the_counted_scores_are_scikit_learns_balanced_accuracy_of_each_codes_majority(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    codes, y = rng.integers(0, 6, size=(120, 7)), rng.integers(0, 3, 120)
    codes[:60, 2] = 5 - y[:60] * 2  # one column that follows the classes on the fit rows
    fit, score = np.arange(60), np.arange(60, 120)
    codes[60:, 3] = 9  # values the fit rows never had: the most common class is predicted
    monkeypatch.setattr(leakage, "_MAX_COUNT_CELLS", 40)  # counted in slices of two columns
    expected = []
    for j in range(codes.shape[1]):
        frame = pd.DataFrame({"code": codes[fit, j], "y": y[fit]})
        majority = frame.groupby("code")["y"].agg(lambda s: s.value_counts().sort_index().idxmax())
        fallback = pd.Series(y[fit]).value_counts().sort_index().idxmax()
        predicted = pd.Series(codes[score, j]).map(majority).fillna(fallback).astype(int)
        expected.append(balanced_accuracy_score(y[score], predicted))
    np.testing.assert_allclose(leakage._class_scores(codes, y, fit, score), expected)


def test_rank_correlations_are_scipys_spearman_per_column_and_mean_scores_do_not_depend_on_slicing(monkeypatch):
    from scipy.stats import spearmanr

    rng = np.random.default_rng(5)
    y = rng.normal(size=200)
    block = rng.normal(size=(200, 9))
    block[:, 1] = np.round(block[:, 1])  # ties
    block[:, 2] = 3.0  # constant: 0
    block[rng.random(200) < 0.2, 3] = np.nan  # missing values: correlated over the rows that have one
    block[:, 4] = 2.5 * y  # a monotone function of the target: 1
    expected = []
    for j in range(block.shape[1]):
        present = ~np.isnan(block[:, j])
        constant = np.ptp(block[present, j]) == 0
        expected.append(0.0 if constant else abs(spearmanr(block[present, j], y[present]).statistic))
    np.testing.assert_allclose(leakage._rank_correlations(block, y), expected, atol=1e-12)
    codes = rng.integers(0, 30, size=(200, 11))
    fit, score = np.arange(100), np.arange(100, 200)
    whole = leakage._mean_scores(codes, y, fit, score)
    monkeypatch.setattr(leakage, "_MAX_COUNT_CELLS", 60)  # two columns per slice
    np.testing.assert_allclose(leakage._mean_scores(codes, y, fit, score), whole)


def test_the_profile_carries_the_leaks_and_one_sentence_names_them():
    profile = profile_dataset(_churn_table().drop(columns=["risk_score", "days_since_cancel"]), "churned")
    assert [leak.column for leak in profile.suspected_leaks] == ["status_code"]
    assert profile.to_dict()["suspected_leaks"] == [{"column": "status_code", "score": 1.0, "metric": "balanced accuracy"}]
    assert leak_note(profile.suspected_leaks, "churned") == (
        "'status_code' (balanced accuracy 1.00) alone predicts 'churned' almost perfectly on rows not used to fit "
        "it: check that it is known before the outcome and not computed from it, or both models' scores will not "
        "hold on new data")
    assert leak_note((), "churned") is None
