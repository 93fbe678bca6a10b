"""engine.track_record: advice against measurement, per dataset, with the criterion that misled it."""

from __future__ import annotations

import json

import pytest

from engine.__main__ import main
from engine.recommend import Criterion
from engine.track_record import TrackRecord, DatasetRecord, format_table, misleading_criterion, sample_datasets, track_record
from tests.conftest import SAMPLE_DATA


def _criteria() -> list[Criterion]:
    return [
        Criterion("data_structure", "tabular", -1.0, 3.0, ""),  # contribution -3.0
        Criterion("data_volume", "rows", -0.6, 2.0, ""),  # -1.2
        Criterion("transparency", "low", 0.5, 2.0, ""),  # +1.0
        Criterion("compute", "GPU", 0.7, 1.0, ""),  # +0.7
        Criterion("feature_engineering", "unknown", 0.0, 1.5, ""),  # 0
    ]


@pytest.mark.parametrize(
    ("recommendation", "winner", "expected"),
    [
        ("ml", "ml", None),
        ("ml", "tie", None),
        ("dl", "tie", None),
        ("either", "tie", None),
        ("ml", "dl", "data_structure"),  # hardest pull toward ML
        ("dl", "ml", "transparency"),  # hardest pull toward DL
        ("either", "ml", "transparency"),  # a close call, but ML won: DL's strongest pull misled it
        ("either", "dl", "data_structure"),
    ],
)
def test_misleading_criterion(recommendation, winner, expected):
    culprit = misleading_criterion(_criteria(), recommendation, winner)
    assert (culprit.name if culprit else None) == expected


def test_no_criterion_pulled_the_wrong_way():
    only_ml = [c for c in _criteria() if c.contribution <= 0]
    assert misleading_criterion(only_ml, "dl", "ml") is None


def test_agreement_rate_counts_only_compared_datasets():
    record = TrackRecord([
        DatasetRecord("a.csv", agreed=True), DatasetRecord("b.csv", agreed=False),
        DatasetRecord("c.csv", agreed=True), DatasetRecord("bad.csv", error="the file is empty"),
    ])
    payload = record.to_dict()
    assert payload["compared"] == 3 and payload["agreed"] == 2
    assert payload["agreement_rate"] == pytest.approx(2 / 3)
    assert TrackRecord().agreement_rate is None


def test_track_record_on_a_small_subset(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    wine = SAMPLE_DATA / "wine.csv"
    record = track_record([wine, empty], shap_rows=10, max_seconds=5)
    good, bad = record.records
    assert (good.dataset, good.rows, good.task, good.metric) == ("wine.csv", 178, "multiclass", "accuracy")
    assert good.recommendation in ("ml", "dl", "either") and good.winner in ("ml", "dl", "tie")
    assert good.margin == pytest.approx(good.ml_score - good.dl_score)
    assert good.agreed == ((good.winner in (good.recommendation, "tie")) if good.recommendation != "either" else good.winner == "tie")
    assert (good.misled_by is None) == good.agreed
    assert bad.error and bad.agreed is None
    payload = record.to_dict()
    judged = 1 if good.conclusive else 0  # a flagged model makes the verdict inconclusive: not judged
    assert payload["compared"] == judged and payload["agreement_rate"] == (float(good.agreed) if judged else None)
    table = format_table(payload)
    assert "wine.csv" in table and "empty.csv" in table and "agreement: " in table


def test_track_record_command(capsys):
    code = main(["track-record", "--json", "--datasets", str(SAMPLE_DATA / "wine.csv"), "--shap-rows", "10", "--max-seconds", "5"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out)
    assert [d["dataset"] for d in payload["datasets"]] == ["wine.csv"]
    assert set(payload) >= {"datasets", "agreed", "compared", "agreement_rate", "rule"}
    assert set(payload["datasets"][0]) >= {"recommendation", "winner", "margin", "agreed", "misled_by"}


def test_default_datasets_are_the_samples():
    assert [p.name for p in sample_datasets()] == sorted(p.name for p in SAMPLE_DATA.glob("*.csv"))
    assert len(sample_datasets()) >= 5
