"""engine.profile.features: one encoding for both families, names traceable to columns."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd

from engine.profile.features import DATE_PARTS, PART_SEPARATOR, date_parts, make_preprocessor, original_column
from engine.profile.profile import profile_dataset


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120
    return pd.DataFrame({
        "amount": rng.normal(size=n),
        "plan_type": rng.choice(["basic", "pro_plus", "team"], n),
        "joined": pd.date_range("2021-03-01", periods=n, freq="7D").strftime("%Y-%m-%d"),
        "flag": rng.choice([True, False], n),
        "label": rng.choice(["a", "b"], n),
    })


def test_encoded_names_map_back_to_original_columns():
    frame = _frame()
    profile = profile_dataset(frame, "label")
    for for_network in (False, True):
        prep = make_preprocessor(profile, for_network=for_network).fit(frame[profile.feature_columns])
        names = [str(n) for n in prep.get_feature_names_out()]
        assert {original_column(n) for n in names} == {"amount", "plan_type", "joined", "flag"}
        assert f"plan_type{PART_SEPARATOR}pro_plus" in names  # underscores in values stay unambiguous
        matrix = prep.transform(frame[profile.feature_columns])
        assert matrix.shape == (len(frame), len(names))


def test_network_inputs_are_imputed_and_standardised():
    frame = _frame()
    frame.loc[::4, "amount"] = np.nan
    frame.loc[::6, "plan_type"] = np.nan
    profile = profile_dataset(frame, "label")
    network = make_preprocessor(profile, for_network=True).fit(frame[profile.feature_columns])
    matrix = network.transform(frame[profile.feature_columns]).astype(float)
    assert np.isfinite(matrix).all()
    trees = make_preprocessor(profile, for_network=False).fit(frame[profile.feature_columns])
    assert np.isnan(trees.transform(frame[profile.feature_columns]).astype(float)).any()  # LightGBM handles NaN


def test_date_parts():
    parts = date_parts().fit(pd.DataFrame({"d": ["2024-02-29", "not a date"]}))
    values = parts.transform(pd.DataFrame({"d": ["2024-02-29", "not a date"]}))
    assert values[0, 1] == 2 and values[0, 2] == 3  # February, a Thursday
    assert np.isnan(values[1]).all()
    assert list(parts.get_feature_names_out()) == [f"d{PART_SEPARATOR}{p}" for p in DATE_PARTS]


def test_date_parts_read_a_day_first_column_as_fitted_even_on_one_ambiguous_row():
    import pickle

    from sklearn.base import clone

    parts = date_parts().fit(pd.DataFrame({"d": ["25/01/2023", "05/01/2023", "14/03/2023"]}))
    assert parts.day_first_ == [True]
    for fitted in (parts, pickle.loads(pickle.dumps(parts))):
        one_row = fitted.transform(pd.DataFrame({"d": ["05/01/2023"]}))  # alone it would read as the 1st of May
        assert one_row[0, 1] == 1 and one_row[0, 2] == 3  # January; the 5th of January 2023 was a Thursday
    assert clone(parts).fit(pd.DataFrame({"d": ["05/01/2023", "01/25/2023"]})).day_first_ == [False]


def test_encoded_names_and_values_are_pinned_and_survive_pickling():
    frame = _frame()
    frame.loc[0, "amount"] = np.nan
    frame.loc[1, "plan_type"] = np.nan
    profile = profile_dataset(frame, "label")
    prep = make_preprocessor(profile, for_network=False).fit(frame[profile.feature_columns])
    names = [str(n) for n in prep.get_feature_names_out()]
    parts = [f"{column}{PART_SEPARATOR}{part}" for column, part in
             [("plan_type", "(missing)"), ("plan_type", "basic"), ("plan_type", "pro_plus"), ("plan_type", "team"),
              ("joined", "days"), ("joined", "month"), ("joined", "weekday")]]
    assert names == ["amount", "flag", *parts]
    matrix = prep.transform(frame[profile.feature_columns])
    assert matrix.dtype == float
    assert np.isnan(matrix[0, 0]) and matrix[1, 1] == float(frame["flag"].iloc[1])  # booleans as 0.0 / 1.0
    assert list(matrix[1, 2:6]) == [1.0, 0.0, 0.0, 0.0]  # a missing category is its own one-hot column
    assert list(matrix[0, 6:]) == [18_687.0, 3.0, 0.0]  # 2021-03-01: day 18,687, March, a Monday
    again = pickle.loads(pickle.dumps(prep))  # model sizes are measured by pickling the fitted pipeline
    np.testing.assert_array_equal(again.transform(frame[profile.feature_columns]), matrix)
