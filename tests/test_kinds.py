"""One decision of the data kind (issue 18): the advice and ``compare`` read it from one function."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from engine.io.json_safe import json_safe
from engine.run.pipeline import advise, compare
from engine.profile.profile import profile_dataset
from engine.registry import decide_kind
from tests.conftest import assert_cli_contract
from tests.test_images import pixel_frame
from tests.test_text import planted_reviews


def numbers_and_a_review(rows: int = 160, seed: int = 0) -> pd.DataFrame:
    """Six numeric columns and one review column (the planted word decides the label)."""
    frame = planted_reviews(rows, seed=seed)
    rng = np.random.default_rng(seed)
    for i in range(6):
        frame.insert(1 + i, f"measure_{i}", rng.normal(size=rows))
    return frame


def test_a_table_with_one_review_column_is_mixed_for_the_advice_and_for_compare():
    frame = numbers_and_a_review()
    advice = advise(frame, "label")
    decision = decide_kind(advice.profile)
    assert decision.kind == "mixed"
    assert "6 numeric" in decision.why and "1 column" in decision.why
    assert advice.answers.data_kind.value == "mixed"
    assert advice.to_dict()["data_kind_decision"] == decision.to_dict()
    structure = next(c for c in advice.recommendation.criteria if c.name == "data_structure")
    assert "text" in structure.value and structure.score > -1.0  # mostly structured, with text: not fully tabular

    result = compare(frame, "label", shap_rows=4, max_seconds=20)
    assert result.dataset.kind == decision.kind
    payload = json.loads(json.dumps(json_safe(result.to_dict())))  # as the CLI prints it
    assert_cli_contract(payload)
    assert payload["data_kind"] == payload["recommendation"]["data_kind_decision"]["kind"] == "mixed"
    assert payload["recommendation"]["answers"]["data_kind"] == "mixed"
    # both families read the text and the columns
    assert {"review", "measure_0"} <= set(result.explanations["ml"].columns) & set(result.explanations["dl"].columns)


def test_each_kind_is_decided_with_its_reason():
    reviews = planted_reviews(120)
    assert decide_kind(profile_dataset(reviews, "label")).kind == "text"
    with_two_columns = planted_reviews(120, with_tabular=True)  # one text column beside two others
    assert decide_kind(profile_dataset(with_two_columns, "label")).kind == "mixed"
    table = reviews.drop(columns="review").assign(x=np.arange(120) % 7, z=np.arange(120) % 5)
    decision = decide_kind(profile_dataset(table, "label"))
    assert decision.kind == "tabular" and "2 numeric" in decision.why
    pixels = pixel_frame([f"pixel{i}" for i in range(64)])
    decision = decide_kind(profile_dataset(pixels))
    assert decision.kind == "images" and "8×8" in decision.why
