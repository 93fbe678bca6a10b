"""Every number the advisor decides with, in one place, each with its source.

The source article (shared/reference) gives directions only ("deep learning
generally requires a large amount of labelled data"); the cut-offs come from
published benchmarks cited next to each constant.
"""

from __future__ import annotations

# --- Data volume -----------------------------------------------------------
# Grinsztajn, Oyallon & Varoquaux, "Why do tree-based models still outperform
# deep learning on typical tabular data?", NeurIPS 2022 Datasets & Benchmarks:
# their "medium-sized" regime is ~10k training rows, where tree ensembles win
# clearly; the gap narrows in their "large" regime (~50k rows).
# McElfresh et al., "When Do Neural Nets Outperform Boosted Trees on Tabular
# Data?", NeurIPS 2023: GBDTs stay ahead on most datasets up to ~100k rows.
# ImageNet-scale results (Krizhevsky et al. 2012; Sun et al., "Revisiting
# Unreasonable Effectiveness of Data", ICCV 2017) show networks keep improving
# with ~1M+ labelled examples.
VOLUME_SMALL_ROWS = 1_000
VOLUME_MEDIUM_ROWS = 10_000
VOLUME_LARGE_ROWS = 100_000
VOLUME_VERY_LARGE_ROWS = 1_000_000

# Score per volume band: negative favours classic ML, positive deep learning.
VOLUME_SCORES = {
    "small": -1.0,  # < 1k rows: too few to fit a network's many parameters
    "medium": -0.6,  # 1k-10k: trees clearly ahead (Grinsztajn 2022)
    "large": -0.2,  # 10k-100k: trees usually ahead, gap narrowing (McElfresh 2023)
    "very_large": 0.4,  # 100k-1M: networks become competitive
    "huge": 1.0,  # >= 1M: scale favours learned representations (Sun 2017)
}

# --- Recommendation vote ----------------------------------------------------
# Weights of the six criteria of DESIGN.md §2. Data structure weighs most: it
# is the single strongest predictor in both benchmark papers above.
CRITERION_WEIGHTS = {
    "data_structure": 3.0,
    "data_volume": 2.0,
    "transparency": 2.0,
    "compute": 1.0,
    "feature_engineering": 1.5,
    "problem_complexity": 1.0,
}

# A weighted mean score within +/- this band is a close call: train both.
CLOSE_CALL_BAND = 0.15
# A criterion whose score is within +/- this is shown as neutral.
NEUTRAL_SCORE = 0.05

# --- Profiling --------------------------------------------------------------
# A numeric target with at most this many distinct integer values is treated
# as classes (scikit-learn's type_of_target uses the same integer test).
MAX_CLASSES_FOR_NUMERIC_TARGET = 20
# A text column with at least this many words per value on average is free text.
FREE_TEXT_MIN_MEAN_WORDS = 4.0
# A column whose values are unique in at least this share of rows is an identifier.
IDENTIFIER_UNIQUE_SHARE = 0.95
# A column parses as dates when at least this share of its non-missing values does.
DATETIME_PARSE_SHARE = 0.9
# Fewer rows than this cannot give a meaningful train/test comparison.
MIN_ROWS = 20
# Each class needs at least this many rows for a stratified split.
MIN_ROWS_PER_CLASS = 2

# --- Comparison -------------------------------------------------------------
TEST_FRACTION = 0.2
BOOTSTRAP_RESAMPLES = 500
CONFIDENCE_LEVEL = 0.95
# Differences in the main metric smaller than this are a tie even when the
# paired bootstrap interval excludes zero (half a point of accuracy or R^2).
PRACTICAL_TIE_MARGIN = 0.005
DEFAULT_MAX_SECONDS = 60.0
DEFAULT_SHAP_ROWS = 300
SHAP_BACKGROUND_ROWS = 100
