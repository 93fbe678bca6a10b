"""ML vs DL Advisor engine: load → profile → recommend → train → evaluate → explain.

Pure Python, no Streamlit. The light entry points are importable from here;
training and explanation live in :mod:`engine.pipeline` (which imports torch
and shap only when a comparison runs).
"""

from engine.data import DataError, read_csv_bytes, read_csv_path
from engine.profile import ColumnKind, DatasetProfile, Task, profile_dataset
from engine.recommend import Answers, DataKind, ProblemType, Recommendation, Transparency, recommend

__all__ = [
    "DataError",
    "read_csv_bytes",
    "read_csv_path",
    "ColumnKind",
    "DatasetProfile",
    "Task",
    "profile_dataset",
    "Answers",
    "DataKind",
    "ProblemType",
    "Recommendation",
    "Transparency",
    "recommend",
]
