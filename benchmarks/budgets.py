"""Every budget and goal the benchmark checks, in one place (issue 4; this 2-core, no-GPU machine).

Times are wall-clock seconds from process start to the JSON on stdout
(``python -m engine compare ... --json`` run as a child process); memory is the
child's peak resident set size. Budgets decide the exit status; goals are
reported alongside.
"""

from __future__ import annotations

# Rows x columns of the synthetic mixed numeric/categorical tables.
SIZES = (1_000, 10_000, 100_000)
COLUMNS = 20
SEED = 0
# SHAP rows explained for both models in every timed comparison.
SHAP_ROWS = 500

# --- budgets (exit status 1 when one is missed) -----------------------------
COMPARE_10K_SECONDS = 15.0  # fast explainers, end to end
COMPARE_10K_SHARED_SECONDS = 15.0  # shared-definition explainers, end to end
COMPARE_100K_SECONDS = 30.0
COMPARE_100K_PEAK_RSS_BYTES = 1.5e9  # 1.5 GB
ADVISE_100K_SECONDS = 1.5  # load + profile + recommend: `python -m engine recommend`, end to end
# Product time / plain reference script time (process start to exit), run side by side, median of the
# repeats' ratios (issue 21): at most 10 % slower at 10k rows, no slower at 100k, where both sides at once
# and the background import pay most.
REFERENCE_RATIO_10K = 1.10
REFERENCE_RATIO_100K = 1.00

# --- goals (reported) -----------------------------------------------------------
# ML main metric >= a default LightGBM's minus half a point; DL >= scikit-learn's
# default MLP (same split, same encoding).
ML_VS_DEFAULT_LIGHTGBM_POINTS = -0.5
DL_VS_SKLEARN_MLP_POINTS = 0.0

# --- the plain reference script's core work (benchmarks/reference.py) ---------
REFERENCE_HIDDEN = (128, 64)
REFERENCE_EPOCHS = 20
REFERENCE_BATCH_SIZE = 256
REFERENCE_BACKGROUND_ROWS = 100

# Per-child time limit, so a hung run fails the benchmark instead of stalling it.
CHILD_TIMEOUT_SECONDS = 600

# --- large data and the time budget (issue 11; `python -m benchmarks.large`) ---------
# compare on 1,000,000 x 20 with default options: sampled to engine.common.limits.MAX_COMPARE_ROWS.
LARGE_ROWS = 1_000_000
COMPARE_1M_SECONDS = 60.0
COMPARE_1M_PEAK_RSS_BYTES = 2e9  # 2 GB
# compare --max-seconds 10 on 100,000 x 20 ends within 10 s plus engine.common.limits.DEADLINE_OVERHEAD_SECONDS.
DEADLINE_ROWS = 100_000
DEADLINE_SECONDS = 10.0

# --- text data (issue 8; benchmarks/text.py) -------------------------------------
TEXT_DOCUMENTS = 10_000
TEXT_SHAP_ROWS = 100  # documents explained with token SHAP, for both models
TEXT_COMPARE_SECONDS = 30.0  # compare on the 10k-document CSV, end to end
TEXT_PEAK_RSS_BYTES = 2e9  # 2 GB
# Goals (reported): ML >= plain TF-IDF + logistic regression - 1 point; DL >= a plain EmbeddingBag - 1 point.
TEXT_ML_VS_TFIDF_POINTS = -1.0
TEXT_DL_VS_EMBEDDING_BAG_POINTS = -1.0
# --- images (issue 9; benchmarks/images.py) -------------------------------------
# compare on the 5,000 28×28 digits, end to end, with SHAP maps for both models on 20 images.
IMAGES_SHAP_ROWS = 20
IMAGES_COMPARE_SECONDS = 90.0
IMAGES_PEAK_RSS_BYTES = 2e9  # 2 GB
