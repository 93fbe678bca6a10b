"""engine.common.limits: stratified sampling of large tables; engine.measure.deadline: one clock for a run; the
server settings read from the environment when the dashboard starts."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from engine.common import limits
from engine.measure.deadline import Deadline
from engine.common.limits import clamp, sample_for_training


def _classes(counts: dict[str, int]) -> pd.DataFrame:
    labels = np.concatenate([[k] * v for k, v in counts.items()])
    rng = np.random.default_rng(0)
    rng.shuffle(labels)
    return pd.DataFrame({"x": np.arange(len(labels)), "y": labels})


def test_small_tables_are_returned_unchanged_without_a_note():
    frame = _classes({"a": 10, "b": 5})
    sample = sample_for_training(frame, "y", True, max_rows=15)
    assert sample.frame is frame and sample.note is None


def test_classification_sample_keeps_class_shares_and_rare_classes():
    frame = _classes({"a": 9_000, "b": 900, "c": 97, "d": 3})
    sample = sample_for_training(frame, "y", True, max_rows=1_000, seed=1)
    counts = sample.frame["y"].value_counts()
    assert len(sample.frame) == 1_000
    assert counts["d"] >= 2 and counts["c"] >= 9  # the rare classes survive for a stratified split
    assert abs(counts["a"] / 1_000 - 0.9) < 0.01 and abs(counts["b"] / 1_000 - 0.09) < 0.01
    assert sample.frame.index.is_monotonic_increasing  # row order kept
    assert "10,000 labelled rows" in sample.note and "sample of 1,000 rows, stratified by class" in sample.note


def test_sample_is_deterministic_per_seed():
    frame = _classes({"a": 500, "b": 500})
    first = sample_for_training(frame, "y", True, max_rows=100, seed=3).frame.index
    again = sample_for_training(frame, "y", True, max_rows=100, seed=3).frame.index
    other = sample_for_training(frame, "y", True, max_rows=100, seed=4).frame.index
    assert first.equals(again) and not first.equals(other)


def test_more_classes_than_room_keeps_pairs_of_the_biggest():
    frame = _classes({f"c{i}": 10 + i for i in range(20)})
    sample = sample_for_training(frame, "y", True, max_rows=10)
    counts = sample.frame["y"].value_counts()
    assert len(sample.frame) == 10 and set(counts) == {2}
    assert set(counts.index) == {f"c{i}" for i in range(15, 20)}


def test_regression_sample_spans_the_target_range():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": np.arange(50_000), "y": rng.exponential(size=50_000)})
    sample = sample_for_training(frame, "y", False, max_rows=2_000)
    assert len(sample.frame) == 2_000 and "target decile" in sample.note
    deciles = np.quantile(frame["y"], np.linspace(0, 1, 11))
    per_decile = np.histogram(sample.frame["y"], bins=deciles)[0]
    assert per_decile.min() >= 195 and per_decile.max() <= 205


def test_clamp_says_when_it_capped():
    assert clamp(10, 20, "x") == (10, None)
    value, note = clamp(5_000, limits.MAX_SHAP_ROWS, "SHAP rows")
    assert value == limits.MAX_SHAP_ROWS and "5000 was asked for" in note


def test_deadline_counts_down():
    deadline = Deadline(0.2)
    assert 0.1 < deadline.remaining() <= 0.2 and not deadline.expired()
    assert deadline.share(0.5) <= 0.1 and deadline.share(0.0, floor=1.0) == 1.0
    time.sleep(0.25)
    assert deadline.expired() and deadline.remaining() == 0.0
    with pytest.raises(ValueError):
        Deadline(0)


def test_the_time_budget_cap_is_ten_minutes_here_an_hour_on_a_cluster_or_what_the_variable_says():
    assert limits.max_train_seconds(on_cluster=False, environ={}) == limits.MAX_TRAIN_SECONDS == 600.0
    assert limits.max_train_seconds(on_cluster=True, environ={}) == limits.CLUSTER_MAX_TRAIN_SECONDS == 3_600.0
    assert limits.max_train_seconds(on_cluster=False, environ={limits.MAX_TRAIN_SECONDS_ENV: " 1800 "}) == 1_800.0
    for bad in ("abc", "0", "-5", "nan", "inf"):
        with pytest.raises(ValueError, match="ADVISOR_MAX_TRAIN_SECONDS must be a positive number of seconds"):
            limits.max_train_seconds(on_cluster=True, environ={limits.MAX_TRAIN_SECONDS_ENV: bad})


def test_a_bad_budget_cap_variable_is_one_error_line_from_compare(monkeypatch, capsys):
    from engine.__main__ import main
    from tests.conftest import SAMPLE_DATA

    monkeypatch.setenv(limits.MAX_TRAIN_SECONDS_ENV, "ten minutes")
    code = main(["compare", str(SAMPLE_DATA / "wine.csv"), "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.strip().splitlines() == [
        "error: ADVISOR_MAX_TRAIN_SECONDS must be a positive number of seconds, not 'ten minutes'"]



@pytest.mark.parametrize(("value", "megabytes"), [("", 512), ("64", 64), ("0", 0), ("abc", 512), ("-1", 512), ("nan", 512)])
def test_the_parse_cache_size_reads_the_environment_and_a_bad_value_keeps_the_default(monkeypatch, value, megabytes) -> None:
    from engine.measure.capacity import PARSE_CACHE_MB_ENV, parse_cache_bytes

    monkeypatch.setenv(PARSE_CACHE_MB_ENV, value)
    assert parse_cache_bytes() == megabytes * 2**20


@pytest.mark.parametrize(("value", "threads"), [("", 1), ("3", 3), ("abc", 1), ("-1", 1), ("0", 1)])
def test_the_torch_threads_setting_reads_the_environment_and_a_bad_value_keeps_one(monkeypatch, value, threads) -> None:
    import torch

    from engine.models import torch_base

    monkeypatch.setenv(torch_base.THREADS_ENV, value)
    before = torch.get_num_threads()
    try:
        assert torch_base.set_process_threads() == threads == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(("value", "expected"), [("", 7.0), ("2.5", 2.5), ("abc", 7.0), ("0", 7.0), ("-3", 7.0),
                                                 ("inf", 7.0), ("nan", 7.0), (" 4 ", 4.0)])
def test_a_setting_read_at_start_up_keeps_its_default_unless_it_is_a_finite_number_it_accepts(value, expected) -> None:
    assert limits.env_number("ADVISOR_EXAMPLE", 7.0, environ={"ADVISOR_EXAMPLE": value}) == expected
    assert limits.env_number("ADVISOR_EXAMPLE", 7.0, lambda v: v >= 0, environ={"ADVISOR_EXAMPLE": "0"}) == 0.0


def test_a_seed_is_a_whole_number_every_derived_seed_keeps_in_range():
    from engine.common import thresholds as th
    from engine.measure.evaluate import SPLIT_SEED_STRIDE

    assert limits.check_seed(0) == 0 and limits.check_seed(np.int64(7)) == 7
    assert limits.check_seed(limits.MAX_SEED) == limits.MAX_SEED
    for bad in (-1, limits.MAX_SEED + 1, True, 1.0, "3"):
        with pytest.raises(ValueError, match="whole number from 0 to"):
            limits.check_seed(bad)  # type: ignore[arg-type]
    # the largest split seed a run derives is still a seed scikit-learn takes (0 to 2**32 - 1)
    assert limits.MAX_SEED + (th.SMALL_DATA_MAX_SPLITS - 1) * SPLIT_SEED_STRIDE < 2**32
