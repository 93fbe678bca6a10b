"""Every number the advisor decides with, in one place, each with its source.

The source article (shared/reference) gives directions only ("deep learning
generally requires a large amount of labelled data"); the cut-offs come from
published benchmarks cited next to each constant.
"""

from __future__ import annotations

# --- Data volume: one smooth curve per kind of data ---------------------------
# The volume criterion scores tanh((log10(rows) - midpoint) / width): -1 favours
# classic ML, +1 deep learning. It never decreases as labelled rows grow (the
# article: "deep learning models generally require a large amount of labelled
# data"; more of the same data never argues against them), and it has no
# cliff: its slope in log10(rows) is at most 1 / width, so one more row moves
# it by at most 1 / (width * rows * ln 10). The midpoint is where volume
# favours neither side. Each (midpoint, width) is read off the sources below;
# benchmarks/corpus/calibrate.py may move them only within VOLUME_CURVE_BOUNDS.
#
# Tables: Grinsztajn, Oyallon & Varoquaux, "Why do tree-based models still
# outperform deep learning on typical tabular data?" (NeurIPS 2022 Datasets &
# Benchmarks): trees lead clearly at ~10k training rows and still lead at
# ~50k. McElfresh et al., "When Do Neural Nets Outperform Boosted Trees on
# Tabular Data?" (NeurIPS 2023): over 176 datasets GBDTs stay ahead as size
# grows, and larger, more irregular tables favour them rather than networks.
# So the neutral point is no lower than 1M rows: 1k rows -0.75, 10k -0.6,
# 100k -0.38, 1M 0 (width 2.6).
# Text: Wang & Manning, "Baselines and Bigrams" (ACL 2012), and Joulin et al.,
# "Bag of Tricks for Efficient Text Classification" (EACL 2017): linear models
# on word n-grams match deep networks on sentiment and topic sets; Zhang, Zhao
# & LeCun, "Character-level Convolutional Networks for Text Classification"
# (NeurIPS 2015): n-gram TF-IDF + logistic regression stays best up to a few
# hundred thousand documents, networks lead only at millions. Neutral ~300k.
# Images: LeCun et al. 1998 (MNIST) and Krizhevsky et al. 2012 (ImageNet): CNNs
# beat classifiers on raw pixels; Brigato & Iocchi, "A Close Look at Deep
# Learning with Small Data" (ICPR 2020): small CNNs stay competitive down to a
# few dozen images per class. Neutral ~300 images, steeper (width 1.5).
# Audio: as images (spectrograms are read as images by CNNs; Hershey et al.,
# "CNN Architectures for Large-Scale Audio Classification", ICASSP 2017), a
# little later (~1,000 clips).
# A table with free-text columns (the "mixed" kind) is read as a table: its
# text becomes TF-IDF features next to the others.
VOLUME_CURVES: dict[str, tuple[float, float]] = {
    "tabular": (6.0, 2.6),
    "mixed": (6.0, 2.6),
    "text": (5.5, 2.0),
    "images": (2.5, 1.5),
    "audio": (3.0, 1.5),
}
# What an expert would accept for each (midpoint, width): the calibration may
# not leave these boxes whatever the development data say.
VOLUME_CURVE_BOUNDS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "tabular": ((5.0, 7.0), (1.5, 3.5)),  # neutral between 100k and 10M rows (both papers above)
    "mixed": ((5.0, 7.0), (1.5, 3.5)),
    "text": ((4.5, 6.5), (1.5, 3.0)),  # neutral between 30k and 3M documents (Zhang 2015; Joulin 2017)
    "images": ((1.5, 3.5), (1.0, 2.5)),  # neutral between 30 and 3,000 images (Brigato & Iocchi 2020)
    "audio": ((2.0, 4.0), (1.0, 2.5)),
}
# Below this many labelled rows one split cannot decide a winner (see SMALL_DATA_ROWS).
VOLUME_SMALL_ROWS = 1_000

# --- Data structure -------------------------------------------------------------
# The data-structure criterion's score per kind. The article's headline
# criterion: structured, tabular features favour classic ML; raw images and
# audio favour deep learning. Text sits between: its words are readable
# features, and TF-IDF with a linear model is a strong baseline (Wang &
# Manning 2012; Joulin et al. 2017), so it leans to deep learning less than
# pixels do. A table with text columns is mostly structured.
STRUCTURE_SCORES: dict[str, float] = {
    "tabular": -1.0,
    "mixed": -0.5,
    "text": 0.5,
    "images": 1.0,
    "audio": 1.0,
}
# Feature engineering on unstructured data: learned features matter most for
# pixels and sound; n-grams are ready-made features for text.
UNSTRUCTURED_FEATURE_SCORES: dict[str, float] = {"text": 0.5, "images": 1.0, "audio": 1.0}

# --- Recommendation vote ----------------------------------------------------
# Weights of the six criteria of DESIGN.md §2. Published prior: data structure
# weighs most (the article's headline criterion and, in both benchmark papers
# above, the divide that decides who wins), then volume and transparency.
# Constraint (tests/test_advice_properties.py): structure weighs at least as
# much as every other criterion, whatever the calibration fits.
PUBLISHED_CRITERION_WEIGHTS = {
    "data_structure": 3.0,
    "data_volume": 2.0,
    "transparency": 2.0,
    "compute": 1.0,
    "feature_engineering": 1.5,
    "problem_complexity": 1.0,
}
# The bounds the calibration may move each weight within.
CRITERION_WEIGHT_BOUNDS = {
    "data_structure": (2.0, 4.0),
    "data_volume": (1.0, 3.0),
    "transparency": (1.0, 3.0),
    "compute": (0.5, 2.0),
    "feature_engineering": (0.5, 2.0),
    "problem_complexity": (0.5, 2.0),
}
# The weights the advisor votes with. benchmarks/corpus/calibrate.py searched
# within the bounds above on the development results only (journal:
# benchmarks/corpus/calibration_journal.jsonl); no variant beat the published
# prior there by more than its noise, so the prior stands (calibration.json).
CRITERION_WEIGHTS = dict(PUBLISHED_CRITERION_WEIGHTS)

# A weighted mean score within +/- this band is a close call: train both.
# The "train both" zone: where the vote is this close, the families measured
# within the practical tie margin on most development datasets.
CLOSE_CALL_BAND = 0.15
CLOSE_CALL_BAND_BOUNDS = (0.05, 0.3)
# A criterion whose score is within +/- this is shown as neutral.
NEUTRAL_SCORE = 0.05

# Confidence shown with a firm choice: P(right) = 1 / (1 + exp(-(a + b |score|))),
# "right" meaning following the advice lost nothing (the advised family won or
# the two tied). Fitted by benchmarks/corpus/calibrate.py on the development
# results, penalised toward the prior a = 0, b = 2 (0.5 at a dead heat), with
# b >= 0 so a more decisive vote never shows less confidence. Refitted on the
# 57 firm choices among the 65 judged real datasets of the complete development
# run (all 77 entries at 4049ba4; issue 17, 2026-12-03; the weights were searched
# again, 301 variants journalled, and none beat the prior out of sample): 56 of 57
# right, mean confidence 0.94; Brier 0.048 with the close calls below, against
# 0.089 for 0.5 + |score| / 2. Earlier fits: a = 0.905, b = 2.641 on 45 datasets
# of a partial run, close calls included, which showed them 0.71-0.77 where 4 of 8
# ended in a tie; a = 0.372, b = 2.352 on 22 older in-sample datasets.
CONFIDENCE_INTERCEPT = 1.2923
CONFIDENCE_SLOPE = 2.661
# A close call ("train both") claims a different event, a tie, so it has its own
# confidence: the share of the development part's close calls that ended in a tie
# (4 of 8), shrunk toward 0.5 by two pseudo-datasets (calibrate.CLOSE_CALL_PRIOR_DATASETS).
# Fitted by benchmarks/corpus/calibrate.py; never above the firm map at the band's edge.
CLOSE_CALL_CONFIDENCE = 0.5

# Cases an expert would reject if the advice got them wrong, from the sources
# above; the calibration keeps only variants that pass every one, and
# tests/test_advice_properties.py checks the engine's numbers against them.
# (kind, labelled rows, transparency, gpu, problem type, choices allowed)
EXPERT_CASES: tuple[tuple[str, int, str, bool, str, tuple[str, ...]], ...] = (
    # A credit table: Grinsztajn 2022 and McElfresh 2023 give it to boosted trees, GPU or not.
    ("tabular", 150_000, "medium", True, "business_prediction", ("ml",)),
    ("tabular", 150_000, "medium", True, "other", ("ml",)),
    # Small tables of any purpose: trees (Grinsztajn 2022's medium regime and below).
    ("tabular", 5_000, "low", True, "other", ("ml", "either")),
    # A few hundred images in class folders: CNNs learn from raw pixels (Brigato & Iocchi 2020).
    ("images", 400, "medium", False, "vision", ("dl",)),
    # Tens of thousands of short texts: TF-IDF is strong (Wang & Manning 2012; Zhang et al. 2015).
    ("text", 19_000, "medium", False, "language", ("ml", "either")),
    ("text", 5_000, "medium", False, "language", ("ml", "either")),
    # Millions of images with a GPU: deep learning's home ground.
    ("images", 1_000_000, "low", True, "vision", ("dl",)),
)

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
# Classes with fewer rows than MIN_ROWS_PER_CLASS (a typing slip, a category seen once) are left out of the
# comparison, with a note, when their rows are at most this share of the labelled rows and two classes remain;
# more than that and the table is refused, since leaving them out would change the question (AutoGluon, too,
# drops classes too rare to validate on and says so).
RARE_CLASS_MAX_SHARE = 0.05

# --- Comparison -------------------------------------------------------------
TEST_FRACTION = 0.2
BOOTSTRAP_RESAMPLES = 500
CONFIDENCE_LEVEL = 0.95
# Differences in the main metric smaller than this are a tie even when the
# paired bootstrap interval excludes zero (half a point of accuracy or R^2).
PRACTICAL_TIE_MARGIN = 0.005
# The verdict uses balanced accuracy instead of accuracy when the largest class
# has at least this many times the rows of the smallest (the imbalance ratio,
# IR). Fernández et al., "Learning from Imbalanced Data Sets" (Springer, 2018),
# call IR > 1.5 imbalanced and IR > 9 highly imbalanced; at IR 3 a model that
# always says the majority already scores 75 % accuracy on two classes, which
# is where accuracy stops telling models apart. Balanced accuracy (mean recall
# per class; Brodersen et al., ICPR 2010) gives that model 1 / classes.
SKEWED_CLASS_RATIO = 3.0
# A regression target whose sample skewness is above this (in absolute value) is
# "highly skewed" (Bulmer, Principles of Statistics, 1979: |skewness| > 1): most
# rows crowd at one end, so its charts offer a log scale and a residual view.
SKEWED_TARGET_SKEWNESS = 1.0
# A model whose verdict metric is within this of its trivial baseline (majority
# class, or the mean) is flagged as no better than the baseline.
BASELINE_MARGIN = 0.0
# The time budget of the CLI and the page when none is given. The work budget
# (engine.measure.budget) it plans, measured with engine.run.pipeline.estimate_run: every
# bundled table sample gets every family's full work and 3-6 repeated splits,
# the text sample 535 of 640 network steps, the digit ZIP full work; a
# generated 100,000 x 20 table 122 of 200 boosting rounds and 36 of 100 MLP
# epochs (fair from 60 s). Only the 5,000 28x28 MNIST digits need more (fair
# from 180 s: the CNN's epochs), which the page's estimate says before training.
DEFAULT_MAX_SECONDS = 120.0

# --- Small data: the verdict from repeated splits ---------------------------
# Below this many labelled rows one 80/20 split leaves fewer than 200 test
# rows: the standard error of an accuracy near 0.85 is then about 2.5 points
# (sqrt(p(1 - p) / n)), and R² on 90 rows moves by ten points between splits
# (the bundled diabetes set: the network 10.3 R² points ahead, still a tie).
# Same cut as VOLUME_SMALL_ROWS. Below it the winner is decided over repeated
# random 80/20 splits with the corrected resampled t-test of Nadeau & Bengio
# ("Inference for the Generalization Error", Machine Learning 52, 2003): the
# variance of the mean difference is (1/J + n_test/n_train) * s², which
# accounts for the overlap of the training sets that makes the naive t-test
# far too eager. Bouckaert & Frank (PAKDD 2004) found it the test with an
# acceptable type I error and the best replicability of those they compared.
SMALL_DATA_ROWS = 1_000
# At most this many splits (Nadeau & Bengio used J = 15): with n_test/n_train
# = 0.25 the 1/J term is already below half of it at J = 10, so more splits
# buy little power for their cost.
SMALL_DATA_MAX_SPLITS = 10
# With fewer splits than this the t-test has under 2 degrees of freedom: the
# single split's paired bootstrap decides instead, and a note says so.
SMALL_DATA_MIN_SPLITS = 3
# Repeated splits may use this share of the time left after the first split
# (the rest stays for SHAP); each later split trains each family for at most
# twice its first fit time, so one slow split cannot eat the budget.
SMALL_DATA_TIME_SHARE = 0.5
DEFAULT_SHAP_ROWS = 300
# SHAP modes: each model's fastest exact explainer, or one definition for both (engine.explain.explain).
EXPLAINER_MODES = ("fast", "shared")
SHAP_BACKGROUND_ROWS = 100

# --- Explanations -----------------------------------------------------------
# Shared-definition mode (engine.explain.explain, explainer="shared"): both models are
# explained against the same background rows through one Independent masker.
# The interventional tree explainer costs rows x background x trees and the
# permutation explainer rows x (2 x features + 1) x background network rows,
# so this background is smaller than the deep explainer's; 50 rows keeps the
# 10k-row comparison within its budget (benchmarks/budgets.py). SHAP's docs
# call 1-1000 background samples reasonable (shap.maskers.Independent).
SHAP_SHARED_BACKGROUND_ROWS = 50
# Antithetic permutations per explained row for the network in shared mode.
# One forward+backward pass is exact for models with at most second-order
# interactions (shap.PermutationExplainer docs) and additive always.
SHAP_SHARED_PERMUTATIONS = 1
# Feature columns above which "shared" mode is not run: the permutation walk
# costs 2 x features + 1 steps per explained row, each a model call on rows x
# background rows (and a copy of that block), so 10,000 columns would take
# hours. 2,000 was the column limit before wide tables were accepted, so no
# table that had the shared mode loses it. Wider tables are explained by each
# model's fast exact explainer (tree SHAP, deep SHAP: cost linear in the
# columns), with a note in the record and on screen.
SHAP_SHARED_MAX_COLUMNS = 2_000
# Feature columns from which a table is "wide" for the explanation's note: the
# charts and the report show the top columns by mean |SHAP|, not every column.
WIDE_TABLE_COLUMNS = 1_000

# --- Large data -------------------------------------------------------------
# From this many training rows the network trains with larger mini-batches and
# a proportionally larger step (Goyal et al. 2017, "Accurate, Large Minibatch
# SGD": scale the learning rate with the batch; we scale by the square root,
# 512 -> 2048 rows and 2e-3 -> 4e-3, as is usual for Adam-type optimisers).
# Measured on the 100k x 20 benchmark table: same test accuracy (0.894 vs
# 0.895) in about half the training time, which keeps that comparison within
# its 30 s budget (benchmarks/budgets.py).
DL_LEARNING_RATE = 2e-3
LARGE_DATA_TRAIN_ROWS = 50_000
LARGE_DATA_DL_BATCH_SIZE = 2_048
LARGE_DATA_DL_LEARNING_RATE = 4e-3

# --- Track record -------------------------------------------------------------
# The track record (engine.evidence.track_record) judges the advice by the measured
# winner; it explains only a few rows per dataset, since SHAP does not decide it.
TRACK_RECORD_SHAP_ROWS = 50
# Over the corpus (python -m engine track-record --corpus): a time budget per
# comparison and a few SHAP rows (SHAP does not decide the winner). The budget
# plans the work (capped at engine.common.limits.MAX_TRAIN_SECONDS like every
# comparison) and is the whole comparison's safety net (not capped; see
# engine.evidence.track_record._compare_for_record): 1,800 s, the README's documented
# runs, so the planned work decides and a busy machine still finishes it. It
# was 60 s, which planned less work than the documented runs and made a run
# without --max-seconds a different experiment.
CORPUS_MAX_SECONDS = 1800.0
CORPUS_SHAP_ROWS = 10
# An explainer is additive when base value + sum of SHAP values reproduces the
# model output within this share of the output's scale (1 + max |output|):
# float32 leaf values and network weights round at ~1e-7 relative, so 1e-5
# leaves room for sums over hundreds of trees and background rows.
SHAP_ADDITIVITY_TOLERANCE = 1e-5
# The additivity check shown to users (engine.explain.explanation.AdditivityCheck):
# passes when the largest gap is within this share of the output scale
# (1 + max |output|). Looser than SHAP_ADDITIVITY_TOLERANCE, which decides
# whether an exact algorithm can be trusted: the deep explainer runs in
# float32 and the permutation and partition explainers sum hundreds of model
# calls, so a gap of 0.1 % of the scale is rounding, not a wrong explanation.
# Relative, because an absolute gap of 5 on predictions in the millions is
# rounding too.
SHAP_ADDITIVITY_RELATIVE_TOLERANCE = 1e-3
# Two importance rankings are compared (Spearman) only over at least this many
# shared features: with one or two, any correlation is +1 or -1 by construction.
MIN_FEATURES_TO_COMPARE = 3
# Tokens listed per model and output in the JSON and on the page (text data).
TOP_TOKENS = 20

# --- Text data (engine.kinds.text) ----------------------------------------------
# Both text models read a document's first this many tokens; longer documents
# (a 1 MB cell) are cut, so training, prediction and token SHAP stay bounded.
TEXT_MAX_TOKENS = 400
# A free-text column has distinct values in at least this share of its rows:
# a column of a few long, repeated phrases (survey answers) is a category.
FREE_TEXT_MIN_UNIQUE_SHARE = 0.3
# Vocabulary caps of the text network (unigrams and bigrams, from the training split).
TEXT_NET_MAX_VOCABULARY = 30_000
# The token network (engine.kinds.text.models): a fastText-style linear head on
# mean-pooled unigram + bigram embeddings, AdamW at this step (batches from
# engine.models.torch_base.auto_batch_size: 32 below 2,000 rows, then 128),
# early stopping with patience 2. Chosen by 3-fold cross-validation inside the
# training split of sample_data/movie_reviews.csv (seeds 0-2, 1,600-row fits;
# test rows unseen): batch 128 0.698 vs 64 0.692 vs 32 0.685; lr 1e-2 0.681
# vs 5e-3 0.692; unigrams only 0.675; a hidden layer of 64 with dropout 0.3
# 0.658 (the old head); embedding width 32 0.687 vs 64 0.692-0.699.
TEXT_NET_LEARNING_RATE = 5e-3
# ... and at most this many optimiser steps in the early-stopping search (the
# epochs are cut to fit): the sample's searches stop by epoch 11-13 of 16
# steps (~200 steps), the planted-word test data needs its 40 epochs of 6
# steps; the 10,000-document benchmark (53 steps an epoch) never stops early
# and is held to 11 epochs (~6 s). Cutting the sample's search at 12 epochs
# cross-validated like 40 (0.701 vs 0.699).
TEXT_NET_MAX_STEPS = 640
# The token network refits on every training row (validation slice included)
# for the early-stopped epoch count only up to this many rows: below it the
# slice's 15 % of the rows help (cross-validated as above: 0.692 with the
# refit, 0.688 without); above it the refit doubles training time for less.
TEXT_NET_REFIT_MAX_ROWS = 5_000
# Token SHAP (engine.kinds.text.explain): antithetic permutation walks per document,
# about this many model calls per document and model. A walk costs 2 x tokens
# calls and is exact when tokens interact at most in pairs (a linear model on
# counts; TF-IDF's norm couples every token weakly), but a mean-pooled network
# is far from pairwise: a short review gets several walks (a 10-token one, 10),
# a 45-token one 2. The same budget as SHAP's Partition explainer's
# max_evals=300, which this replaced: it ran the same number of calls one
# document at a time and compiled numba kernels on first use (192 s for
# compare on 10,000 documents against a 30 s budget).
TEXT_SHAP_CALLS_PER_DOCUMENT = 200
# More walks than this add little against their cost (the estimate's noise falls as 1/sqrt(walks)).
TEXT_SHAP_MAX_WALKS = 10
# Documents longer than this many tokens are walked in this many contiguous
# groups, each group's value shared evenly by its tokens (Partition kept its
# deepest groups whole in the same way): it bounds a walk at 2 x 64 calls.
TEXT_SHAP_MAX_GROUPS = 64
# Masked documents sent to a model per call: large batches amortise the
# vectorizer's and the network's per-call cost; this bounds the memory of one
# call (4,096 documents of up to 400 tokens).
TEXT_SHAP_BATCH_DOCUMENTS = 4_096
# Background rows for the tabular columns next to text (their Shapley walk).
TEXT_TABULAR_BACKGROUND_ROWS = 20
