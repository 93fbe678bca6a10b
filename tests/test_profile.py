"""engine.profile.profile: column kinds, task, target guess and target validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.io.data import DataError
from engine.profile.features import date_parts
from engine.profile.profile import ColumnKind, Task, column_kind, guess_target, guess_target_details, profile_dataset


def test_column_kinds():
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({
        "customer_id": np.arange(1000, 1000 + n),
        "age": rng.integers(18, 90, n),
        "income": rng.normal(50_000, 10_000, n),
        "plan": rng.choice(["basic", "pro", "team"], n),
        "signed_up": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "comment": [f"the service was fine on day {i} thanks a lot" for i in range(n)],
        "code": [f"X{i:05d}" for i in range(n)],
        "country": ["FR"] * n,
        "churned": rng.choice(["yes", "no"], n),
    })
    kinds = profile_dataset(frame, "churned").column_kinds
    assert kinds == {
        "customer_id": "identifier", "age": "numeric", "income": "numeric", "plan": "categorical",
        "signed_up": "datetime", "comment": "text", "code": "identifier", "country": "constant",
        "churned": "categorical",
    }


def test_pandas_string_dtype_is_categorical():
    series = pd.Series(["a", "b", "a", None] * 10, dtype="str")
    assert column_kind(series) is ColumnKind.CATEGORICAL


def test_small_integers_are_numeric_not_dates():
    assert column_kind(pd.Series([1, 2, 3, 4, 5] * 10)) is ColumnKind.NUMERIC
    assert column_kind(pd.Series(["1.5", "2.5", "3"] * 10)) is not ColumnKind.DATETIME


def test_dates_with_the_months_name_are_dates_when_they_carry_a_year():
    # As app stores, reports and R's monthly series write them ("Last Updated", "1939 Jan").
    for written in (["January 7, 2018", "August 1, 2018", "Sept. 3, 2019"], ["7 Jan 2018", "20 Jun 2018", "1 Aug 2018"],
                    ["1939 Jan", "1939 Feb", "1940 Dec"]):
        assert column_kind(pd.Series(written * 10)) is ColumnKind.DATETIME, written
    assert column_kind(pd.Series(["May 5", "Jun 6", "Jul 7"] * 10)) is ColumnKind.CATEGORICAL  # no year: not a day
    assert column_kind(pd.Series(["May Smith 2019", "Jan Novak 2020", "June Carter"] * 10)) is ColumnKind.CATEGORICAL
    parts = date_parts().fit_transform(pd.DataFrame({"updated": ["January 7, 2018", "August 1, 2018", "Sept. 3, 2019"]}))
    assert parts[:, 1].tolist() == [1.0, 8.0, 9.0]  # the month, as the encoder gives it to both models


def test_task_inference(signal_table):
    assert profile_dataset(signal_table, "target").task is Task.BINARY
    regression = signal_table.assign(target=np.linspace(0, 1, len(signal_table)))
    assert profile_dataset(regression, "target").task is Task.REGRESSION
    three = signal_table.assign(target=np.arange(len(signal_table)) % 3)
    assert profile_dataset(three, "target").task is Task.MULTICLASS


def test_guess_prefers_label_named_column_then_last_usable():
    frame = pd.DataFrame({"label": ["a", "b"] * 20, "x": range(40), "y": [1.5, 2.5] * 20})
    assert guess_target(frame) == "label"
    frame = pd.DataFrame({"x": range(40), "y": ["a", "b"] * 20, "row_id": range(40)})
    assert guess_target(frame) == "y"  # the identifier at the end is skipped


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (pd.DataFrame({"row_id": range(30), "note": ["a long free text comment here"] * 30}), "note"),
        (pd.DataFrame({"when": pd.date_range("2020-01-01", periods=30).strftime("%Y-%m-%d"), "id": range(30)}), "id"),
        (pd.DataFrame({"a": [np.nan] * 30, "b": [None] * 30}), "b"),
        (pd.DataFrame({"only": [1] * 3}), "only"),
        (pd.DataFrame({"x": [], "y": []}), "y"),
    ],
)
def test_guess_always_names_a_column_and_never_raises(frame, expected):
    """The pages call guess_target without a DataError handler: the guess never refuses, prepare_target judges."""
    assert guess_target(frame) == expected


def test_profile_summary_values(signal_table):
    frame = signal_table.copy()
    frame.loc[:59, "noise_0"] = np.nan
    profile = profile_dataset(frame)
    assert profile.target == "target"
    assert profile.rows == len(frame)
    assert sum(profile.class_balance.values()) == pytest.approx(1.0)
    assert dict(profile.to_dict()["missing_by_column"])["noise_0"] == pytest.approx(0.1)
    assert "target" not in profile.feature_columns
    assert set(profile.feature_columns) == set(frame.columns) - {"target"}


@pytest.mark.parametrize(
    ("frame", "target", "message"),
    [
        (pd.DataFrame({"x": range(30), "y": [1] * 30}), "y", "only one value"),
        (pd.DataFrame({"x": range(30), "y": [np.nan] * 30}), "y", "all missing"),
        (pd.DataFrame({"x": range(30), "y": [f"u{i}" for i in range(30)]}), "y", "identifier"),
        (pd.DataFrame({"x": range(30), "y": ["a"] * 29 + ["b"]}), "y", "each class needs"),
        (pd.DataFrame({"x": range(10), "y": [0, 1] * 5}), "y", "at least 20"),
        (pd.DataFrame({"x": range(30), "y": [0, 1] * 15}), "nope", "not found"),
    ],
)
def test_unusable_targets(frame, target, message):
    with pytest.raises(DataError, match=message):
        profile_dataset(frame, target)


def test_guess_passes_over_a_broken_best_candidate_and_says_so():
    """The guess never blocks: an all-missing label column is skipped, the next usable one taken, with a note."""
    frame = pd.DataFrame({"x": np.arange(30.0), "outcome": [np.nan] * 30})
    assert guess_target(frame) == "x"
    profile = profile_dataset(frame)
    assert profile.target == "x"
    guess = profile.target_guess.to_dict()
    assert guess["skipped"] == [{"column": "outcome", "why": "has no values (all missing)"}]
    assert "'outcome', cannot be used (has no values (all missing))" in guess["note"]
    assert profile_dataset(frame, "x").target_guess is None  # named by the user: nothing guessed


def test_with_no_usable_column_the_best_ranked_error_is_reported():
    frame = pd.DataFrame({"x": ["u"] * 30, "outcome_code": [np.nan] * 30})
    guess = guess_target_details(frame)
    assert not guess.usable and guess.note is None
    with pytest.raises(DataError, match="all missing"):
        profile_dataset(frame)


def test_date_target_is_refused_with_one_line():
    frame = pd.DataFrame({
        "x": np.arange(40.0),
        "when": pd.date_range("2024-01-01", periods=40, freq="D").strftime("%Y-%m-%d"),
    })
    with pytest.raises(DataError, match="target column 'when' holds dates"):
        profile_dataset(frame, "when")


def test_a_class_of_one_row_is_left_out_with_a_note_and_the_task_is_that_of_the_classes_that_remain():
    labels = ["Yes", "No"] * 20 + ["no"]
    frame = pd.DataFrame({"x": np.arange(41.0), "answer": labels})
    profile = profile_dataset(frame, "answer")
    assert profile.task is Task.BINARY and profile.left_out_classes == ("no",)
    assert profile.class_balance == {"Yes": 0.5, "No": 0.5}
    assert profile.left_out_note == ("class 'no' of target 'answer' has only 1 row (it differs from 'No' only in "
                                     "letter case), too few to both train and test on: that row was left out, and "
                                     "the models predict the other 2 classes")
    assert len(profile.labelled(frame)) == 40 and "no" not in set(profile.labelled(frame)["answer"])
    assert profile.to_dict()["left_out_classes"] == ["no"]
    from engine.advice.recommend import answers_from_profile

    assert answers_from_profile(profile).labelled_rows == 40  # the criteria count the rows the models can use
    three = frame.assign(answer=["a", "b", "c"] * 13 + ["d", "e"])  # 2 of 41 rows: within the 5 %
    assert profile_dataset(three, "answer").left_out_note == (
        "classes 'd' and 'e' of target 'answer' have only 1 row each, too few to both train and test on: those 2 "
        "rows were left out, and the models predict the other 3 classes")
    assert profile_dataset(frame.iloc[:40], "answer").left_out_classes == ()


def test_too_many_rows_in_classes_of_one_row_or_a_single_class_left_refuse_the_table():
    labels = ["Yes", "No"] * 15 + ["no", "maybe"]  # 2 of 32 rows: more than 5 %
    frame = pd.DataFrame({"x": np.arange(32.0), "answer": labels})
    with pytest.raises(DataError, match=r"class 'no' of target 'answer' has 1 row \(it differs from 'No' only in "
                                        r"letter case\); each class needs at least 2"):
        profile_dataset(frame, "answer")
    lonely = pd.DataFrame({"x": np.arange(41.0), "answer": ["Yes"] * 40 + ["maybe"]})  # leaving it out leaves 1 class
    with pytest.raises(DataError, match=r"class 'maybe' of target 'answer' has 1 row; each class"):
        profile_dataset(lonely, "answer")
    # a label written over two lines (a quoted field) is named on one line: the message is one line
    broken = frame.assign(answer=labels[:-2] + ["no\nreally", "maybe"])
    with pytest.raises(DataError, match=r"^class 'no\\nreally' of target 'answer' has 1 row; each class needs"):
        profile_dataset(broken, "answer")
    few = pd.DataFrame({"x": np.arange(20.0), "answer": ["a", "b"] * 9 + ["a", "c"]})  # 19 rows would be left
    with pytest.raises(DataError, match=r"class 'c' of target 'answer' has 1 row; each class"):
        profile_dataset(few, "answer")


def test_too_many_classes_are_refused():
    from engine.common import limits

    n_classes = limits.MAX_CLASSES + 1
    frame = pd.DataFrame({"x": np.arange(4.0 * n_classes), "label": [f"c{i % n_classes}" for i in range(4 * n_classes)]})
    with pytest.raises(DataError, match=f"has {n_classes} classes; the limit is {limits.MAX_CLASSES}"):
        profile_dataset(frame, "label")
    assert profile_dataset(frame.iloc[: 4 * limits.MAX_CLASSES].query("label != 'c50'"), "label").task is Task.MULTICLASS


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["risk", "income", "housing", "age"], "risk"),  # a binary risk column first, age last
        (["tenure", "monthly_charges", "Churn", "customer_age"], "Churn"),
        (["amount", "is_fraud", "merchant", "hour"], "is_fraud"),
        (["age", "diagnosis", "tumour_size"], "diagnosis"),  # a task word in the middle beats the last column
        (["label", "risk", "x"], "label"),  # a generic label name wins over a domain one
        (["pressure", "temperature", "yield"], "yield"),  # no label-like name: the last column, as before
        (["price_band_width", "area", "rooms"], "rooms"),  # "price" only as a whole word at the end
        (["gender", "class", "fare", "churned"], "churned"),  # a task-named last column beats a generic name earlier
        (["Spam", "Price", "Urban"], "Spam"),  # two task words, the first wins
        (["AtBat", "credit_risk", "NewLeague"], "credit_risk"),  # a task word as the name's last word
        (["pos_x", "pos_y", "speed"], "speed"),  # "y" counts only as the whole name, never as pos_y's last word
        (["gender", "salary", "hours", "status"], "status"),  # no label word: the last column
    ],
)
def test_target_guess_prefers_names_that_mean_a_label(columns, expected):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({name: rng.integers(0, 2, size=60) if i % 2 == 0 else rng.normal(size=60)
                          for i, name in enumerate(columns)})
    assert guess_target(frame) == expected


def test_a_target_not_found_names_the_column_it_likely_meant_and_counts_the_rest():
    from engine.profile.profile import prepare_target

    frame = pd.DataFrame({f"col{i}": range(30) for i in range(12)} | {"Outcome": [0, 1] * 15})
    for typed in ("outcome", " Outcome ", "Outcme"):
        with pytest.raises(DataError, match=rf"target column '{typed}' not found; did you mean 'Outcome'\? Columns are: "
                                            r"col0, col1, .*col9 and 3 more$"):
            prepare_target(frame, typed)
    with pytest.raises(DataError, match=r"target column 'price' not found; columns are: col0, .* and 3 more$"):
        prepare_target(frame, "price")
