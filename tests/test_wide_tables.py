"""Wide tables (gene expression, sensors, survey batteries): 10,000 columns load, profile, compare, explain and draw.

The end-to-end test uses 60 rows x 10,000 columns and a few SHAP rows; whether the clock cuts
training short on a busy machine does not matter here: what is checked is that every stage
accepts the width, that every column is explained, and that the pages and the report draw the
top columns, not 10,000. Stage times for 300 x 10,000 are measured by benchmarks/wide.py.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine.common import limits
from engine.common import thresholds as th
from engine.figures import explanations as charts
from engine.io.data import DataError, read_csv_bytes
from engine.profile.features import ColumnsNamed, make_preprocessor
from engine.profile.profile import ColumnKind, column_kind, column_kinds, distinct_counts, profile_dataset

COLUMNS = 10_000  # the target included
ROWS = 60


def wide_csv(rows: int = ROWS, columns: int = COLUMNS, seed: int = 0) -> bytes:
    """``columns - 1`` numeric columns and a yes/no target driven by the first three."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, columns - 1)).round(3)
    target = np.where(values[:, 0] + values[:, 1] - values[:, 2] > 0, "yes", "no")
    frame = pd.DataFrame(values, columns=[f"gene_{i}" for i in range(columns - 1)])
    frame["target"] = target
    return frame.to_csv(index=False).encode()


def test_the_column_limit_admits_ten_thousand_columns() -> None:
    assert limits.MAX_COLUMNS >= 10_000
    with pytest.raises(DataError, match=f"the limit is {limits.MAX_COLUMNS:,}"):
        read_csv_bytes(wide_csv(rows=3, columns=limits.MAX_COLUMNS + 1))


def test_vectorised_column_kinds_follow_the_per_column_rules() -> None:
    """The numeric block is classified at once; each column must get what column_kind gives it alone."""
    rng = np.random.default_rng(1)
    n = 80
    frame = pd.DataFrame({
        "reading": rng.normal(size=n),
        "counter": np.arange(n),  # consecutive integers: an identifier
        "row_id": rng.permutation(n) + 5,  # an id by name, all distinct
        "ones": np.ones(n),  # constant
        "level": np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 3, n)),  # integers with gaps
        "empty": np.full(n, np.nan),
        "one_value_and_gaps": np.where(rng.random(n) < 0.5, np.nan, 1.0),
        "evens": np.arange(n) * 2,  # distinct integers, not consecutive
        "almost_counter": np.r_[np.arange(n - 1), np.nan],
        "flag": rng.integers(0, 2, n).astype(bool),
        "colour": rng.choice(["red", "blue"], n),
    })
    expected = {name: column_kind(frame[name]) for name in frame.columns}
    assert column_kinds(frame) == expected
    assert expected["counter"] is ColumnKind.IDENTIFIER and expected["ones"] is ColumnKind.CONSTANT  # the rules bite
    assert list(distinct_counts(frame)) == [frame[name].nunique() for name in frame.columns]


def test_a_long_column_selection_is_by_name_whatever_the_order() -> None:
    """The mask selector for long column lists must not select by position: a reordered frame gives the same matrix."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.normal(size=(40, 300)), columns=[f"c{i}" for i in range(300)])
    frame["target"] = rng.integers(0, 2, 40)
    profile = profile_dataset(frame, "target")
    X = frame[profile.feature_columns]
    preprocessor = make_preprocessor(profile, for_network=True)
    encoded = preprocessor.fit_transform(X)
    assert isinstance(preprocessor.transformers[0][2], ColumnsNamed)
    np.testing.assert_array_equal(preprocessor.transform(X[X.columns[::-1]]), encoded)


@pytest.fixture(scope="module")
def wide_run():
    from engine.run.pipeline import compare

    frame = read_csv_bytes(wide_csv())
    # "shared" is asked for: on 9,999 columns it is replaced by the fast exact explainers, with a note.
    return frame, compare(frame, "target", max_seconds=10, shap_rows=4, seed=0, explainer="shared",
                          ml_kind="boosting", dl_kind="mlp")


def test_a_ten_thousand_column_table_is_compared_and_every_column_explained(wide_run) -> None:
    frame, result = wide_run
    assert frame.shape == (ROWS, COLUMNS)
    profile = result.advice.profile
    assert len(profile.feature_columns) == COLUMNS - 1
    assert {c.kind for c in profile.columns if c.name != "target"} == {ColumnKind.NUMERIC}
    for family in ("ml", "dl"):
        explanation = result.explanations[family]
        assert len(explanation.columns) == COLUMNS - 1
        assert explanation.values.shape[:2] == (len(result.explained_rows), COLUMNS - 1)
    assert result.explainer_mode == "fast" and result.options.explainer == "fast"
    notes = " ".join(result.notes)
    assert f"SHAP values are computed for all {COLUMNS - 1:,} feature columns" in notes
    assert f"limited to {th.SHAP_SHARED_MAX_COLUMNS:,} columns" in notes
    assert result.agreement is not None and result.agreement.total_features == COLUMNS - 1
    record = json.loads(result.to_json())  # the record holds every column
    assert len(record["explanations"]["ml"]["columns"]) == COLUMNS - 1


def test_switching_a_wide_run_to_the_shared_definition_is_one_clear_error(wide_run) -> None:
    from engine.run.pipeline import explain_again

    with pytest.raises(DataError, match="limited to 2,000 columns"):
        explain_again(wide_run[1], "shared")


def test_the_charts_and_the_report_show_the_top_columns_not_ten_thousand(wide_run) -> None:
    from engine.share.report import report_html

    _, result = wide_run
    for family in ("ml", "dl"):
        bars = charts.importance_bars(result.explanations[family], family)
        assert len(bars.data[0].y) <= 15
    scatter = charts.agreement_scatter(result.explanations["ml"], result.explanations["dl"], result.agreement)
    points = [trace for trace in scatter.data if trace.mode == "markers+text"][0]
    assert len(points.x) == charts.AGREEMENT_SCATTER_MAX_POINTS
    assert f"of {COLUMNS - 1:,} columns with the largest combined share" in scatter.layout.title.text
    html = report_html(result)
    assert "SHAP values are computed for all 9,999 feature columns" in html
    assert html.count("gene_") < 5_000  # a few hundred labels and hover texts, not every column several times


def test_the_explanations_page_draws_a_wide_run(wide_run) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.test_app_pages import APP, TIMEOUT
    from views.state import Run

    # A page over 10,000 columns' records takes longer than a small run's on a busy machine (48 s measured at a
    # load average of 17 on 2 cores): more room than the other page tests, not a bound on speed.
    at = AppTest.from_file(str(APP), default_timeout=max(TIMEOUT, 300))
    at.session_state["run"] = Run(result=wide_run[1], options={}, seconds=1.0)
    at.run()
    at.switch_page("app_pages/explanations.py").run()
    assert not at.exception and not at.error
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert figures
    for figure in figures:
        for trace in figure["data"]:
            points = trace.get("y") or trace.get("x") or []
            assert len(points) <= 2_000, figure["layout"]["title"]["text"]  # no trace with a point per column
