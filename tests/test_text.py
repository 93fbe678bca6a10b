"""Text data (issue 8): detection, both text models, token SHAP for both, bad input.

Small synthetic documents where a few planted words decide the label, so the
right answer is known; few epochs, few explained rows.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import hstack as sparse_hstack

from engine.common import thresholds as th
from engine.io.data import DataError, read_csv_bytes
from engine.kinds.text.explain import explain_text
from engine.kinds.text import TEXT
from engine.kinds.text.models import make_text_network, make_tfidf_model
from engine.run.pipeline import advise, compare
from engine.profile.profile import ColumnKind, column_kind, profile_dataset
from engine.registry import kind_for
from engine.kinds.text.charts import highlighted_document, prediction_direction
from engine.kinds.text.tokens import segments, tokenize, truncate
from tests.conftest import ROOT, SAMPLE_DATA

FILLER = ("the film story plot actor scene music camera ending minute script dialogue character screen cast "
          "director moment audience picture sequence").split()
POSITIVE = ("superb", "delightful")
NEGATIVE = ("awful", "dreadful")
PLANTED = set(POSITIVE + NEGATIVE)


def planted_reviews(rows: int = 240, seed: int = 0, with_tabular: bool = False) -> pd.DataFrame:
    """Nine filler words and one planted word per review; the planted word decides the label."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(rows):
        positive = i % 2 == 0
        words = list(rng.choice(FILLER, size=9))
        words.insert(int(rng.integers(0, 10)), str(rng.choice(POSITIVE if positive else NEGATIVE)))
        texts.append(" ".join(words).capitalize() + ".")
        labels.append("good" if positive else "bad")
    frame = pd.DataFrame({"review": texts, "label": labels})
    if with_tabular:
        frame.insert(1, "stars_shown", rng.integers(1, 6, size=rows))
        frame.insert(2, "channel", rng.choice(["web", "app", "shop"], size=rows))
    return frame


# --- detection -------------------------------------------------------------------------------


def test_free_text_is_detected_and_its_look_alikes_are_not():
    n = 200
    rng = np.random.default_rng(0)
    reviews = pd.Series([" ".join(rng.choice(FILLER, size=8)) + f" number {i}" for i in range(n)])
    assert column_kind(reviews) is ColumnKind.TEXT
    look_alikes = {
        "high-cardinality category": pd.Series([f"product {i % 150}" for i in range(n)]),
        "short codes": pd.Series([f"AB-{i:04d}" for i in range(n)]),
        "names": pd.Series([f"{a} {b}" for a, b in zip(rng.choice(["Ann", "Bo", "Cy", "Di"], n), [f"Smith{i}" for i in range(n)])]),
        "urls": pd.Series([f"https://example.com/a/b/{i}?q=some+words+here" for i in range(n)]),
        "dates": pd.Series([f"2021-03-{1 + i % 28:02d} 10:{i % 60:02d}" for i in range(n)]),
        "long repeated category": pd.Series(["strongly agree with the statement", "do not agree at all here"] * (n // 2)),
    }
    for what, series in look_alikes.items():
        assert column_kind(series) is not ColumnKind.TEXT, what


def test_text_data_is_its_own_kind_and_advised_as_unstructured():
    advice = advise(planted_reviews())
    assert kind_for(advice.profile) is TEXT
    assert advice.answers.data_kind.value == "text"
    structure = next(c for c in advice.recommendation.criteria if c.name == "data_structure")
    assert structure.favours == "dl"
    table = planted_reviews().drop(columns="review").assign(x=range(240))
    assert kind_for(profile_dataset(table, "label")).key == "tabular"


# --- the shared tokenizer --------------------------------------------------------------------


def test_tokenizer_segments_rebuild_the_document_and_match_shaps_text_masker():
    import shap

    masker = shap.maskers.Text(r"\W+")
    for text in ["  Hello, world! <img src=x onerror=alert(1)> ok", "Café 😀 naïve", "one", "a b "]:
        pieces = segments(text)
        assert "".join(w + s for w, s in pieces) == text
        assert [w for w, _ in pieces] == list(masker.token_segments(text)[1])
    assert tokenize("Hello, WORLD ... 😀!") == ["hello", "world"]
    assert tokenize("...") == [] and tokenize(float("nan")) == []
    assert truncate("one, two three four", 2) == "one, two"


# --- both models, token SHAP ------------------------------------------------------------------


@pytest.fixture(scope="module")
def text_run():
    return compare(planted_reviews(), "label", shap_rows=8, max_seconds=60)


def test_compare_trains_both_text_models_and_explains_them_token_by_token(text_run):
    result = text_run
    assert result.dataset.kind == "text"
    assert (result.options.ml_model, result.options.dl_model) == ("tfidf-linear", "text-net")
    assert result.ml.name.startswith("TF-IDF") and "token network" in result.dl.name
    assert result.ml.metrics["accuracy"] >= 0.9 and result.dl.metrics["accuracy"] >= 0.9
    for family in ("ml", "dl"):
        explanation = result.explanations[family]
        assert explanation.values.shape == (8, 1, 1) and explanation.columns == ["review"]
        (attribution,) = explanation.tokens
        assert len(attribution.tokens) == len(attribution.values) == 8
        for r, (tokens, values) in enumerate(zip(attribution.tokens, attribution.values)):
            assert values.shape == (len(tokens), 1) == (len(segments(result.explained_rows["review"].iloc[r])), 1)
            # the column's value is the sum over its tokens, and the whole is additive
            np.testing.assert_allclose(values.sum(axis=0), explanation.values[r, 0], atol=1e-12)
        np.testing.assert_allclose(explanation.base_values + explanation.values.sum(axis=1), explanation.outputs,
                                   rtol=0, atol=1e-9)
        assert explanation.additivity.passed
        # the planted words decide the label, and are the top tokens of every explained document
        for tokens, values in zip(attribution.tokens, attribution.values):
            assert tokens[int(np.argmax(np.abs(values[:, 0])))].lower() in PLANTED
        top = explanation.to_dict()["tokens"]["review"][explanation.output_names[0]]
        assert {t["token"] for t in top[:2]} <= PLANTED
    assert result.agreement.compared_on == "tokens"


def test_the_json_carries_token_summaries_per_column(text_run):
    payload = json.loads(json.dumps(text_run.to_dict()))
    for family in ("ml", "dl"):
        explanation = payload["explanations"][family]
        assert list(explanation["global_importance"]) == ["review"]
        summary = explanation["tokens"]["review"]["log-odds of label = good"]
        assert {"token", "mean_abs_shap", "mean_shap", "count"} <= set(summary[0])
        signs = {t["token"]: t["mean_shap"] for t in summary}
        assert all(signs[w] > 0 for w in POSITIVE if w in signs) and all(signs[w] < 0 for w in NEGATIVE if w in signs)


def test_mixed_text_and_tabular_columns_train_both_and_add_up():
    frame = planted_reviews(with_tabular=True)
    result = compare(frame, "label", shap_rows=5, max_seconds=60)
    assert result.dataset.kind == "mixed"  # one text column beside two others: a table with text
    assert result.ml.metrics["accuracy"] >= 0.9 and result.dl.metrics["accuracy"] >= 0.85
    for family in ("ml", "dl"):
        explanation = result.explanations[family]
        assert explanation.columns == ["review", "stars_shown", "channel"]
        np.testing.assert_allclose(explanation.base_values + explanation.values.sum(axis=1), explanation.outputs,
                                   rtol=0, atol=1e-9)
        (attribution,) = explanation.tokens
        for r, values in enumerate(attribution.values):
            np.testing.assert_allclose(values.sum(axis=0), explanation.values[r, 0], atol=1e-12)
        assert list(explanation.global_importance)[0] == "review"


def test_multiclass_text_explains_one_output_per_class():
    frame = planted_reviews(rows=240)
    frame["label"] = np.where(frame.review.str.contains("superb"), "superb",
                              np.where(frame.review.str.contains("awful"), "awful", "other"))
    profile = profile_dataset(frame, "label")
    X, y = frame[["review"]], frame["label"]
    from engine.kinds.text import TEXT_NETWORK, TFIDF_LINEAR

    for model, spec in ((make_tfidf_model(profile), TFIDF_LINEAR), (make_text_network(profile, max_epochs=5), TEXT_NETWORK)):
        model.fit(X, y)
        explanation = explain_text(model, X[:20], X[:3], ["a", "b", "c"], raw_output=spec.raw_output)
        assert explanation.values.shape == (3, 1, 3)
        assert explanation.tokens[0].values[0].shape == (len(segments(X.review.iloc[0])), 3) == (10, 3)
        np.testing.assert_allclose(explanation.base_values + explanation.values.sum(axis=1), explanation.outputs, atol=1e-9)


def _exact_shapley(value, n: int) -> np.ndarray:
    """Shapley values of the set function ``value`` (a frozenset of player positions -> float) by enumeration."""
    from itertools import combinations
    from math import factorial

    phi = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for subset in combinations(others, size):
                phi[i] += weight * (value(frozenset(subset) | {i}) - value(frozenset(subset)))
    return phi


def test_token_shap_is_exact_for_a_model_with_pairwise_token_interactions():
    from engine.kinds.text.explain import explain_documents

    weights = {"good": 2.0, "bad": -1.5, "film": 0.25}

    def value_of(tokens: list[str]) -> float:
        # main effects plus one pairwise interaction: one antithetic walk is exact for this
        return sum(weights.get(t, 0.0) for t in tokens) + tokens.count("good") * tokens.count("film")

    def function(batch) -> np.ndarray:
        return np.array([[value_of(tokenize(text))] for text in batch.texts()])

    documents = ["A good film, not bad!", "bad", "...", "film good good"]
    tokens, values, base = explain_documents(function, documents, seed=3)
    for document, words, token_values, document_base in zip(documents, tokens, values, base):
        assert [w for w, _ in segments(document)] == words
        players = [i for i, w in enumerate(words) if w]
        shown = lambda subset: [words[players[j]].lower() for j in sorted(subset)]  # noqa: E731
        exact = _exact_shapley(lambda subset: value_of(shown(subset)), len(players))
        np.testing.assert_allclose(token_values[players, 0], exact, atol=1e-12)
        assert np.all(token_values[[i for i, w in enumerate(words) if not w], 0] == 0)
        assert document_base[0] == value_of([])


def test_long_documents_are_walked_in_groups_shared_evenly_and_still_add_up():
    from engine.kinds.text.explain import explain_documents, token_groups

    document = " ".join(f"w{i}" for i in range(th.TEXT_SHAP_MAX_GROUPS * 3 + 5))
    groups = token_groups(segments(document))
    assert len(groups) == th.TEXT_SHAP_MAX_GROUPS and sorted(np.concatenate(groups)) == list(range(len(segments(document))))

    def function(batch) -> np.ndarray:
        return np.array([[float(len(tokenize(text))) ** 1.5] for text in batch.texts()])

    (words,), (token_values,), base = explain_documents(function, [document])
    np.testing.assert_allclose(base[0, 0] + token_values.sum(), len(words) ** 1.5, rtol=1e-12)
    for group in groups:  # one value per group, shared evenly
        assert np.ptp(token_values[group, 0]) < 1e-12


def test_cached_character_ngrams_are_scikit_learns_char_wb_ngrams_of_the_tokens():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from engine.kinds.text.tokens import character_ngrams

    def words_only(text: str) -> str:  # markup and punctuation vanish, as for the models
        return " ".join(tokenize(text))

    reference = TfidfVectorizer(preprocessor=words_only, analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    documents = ["A good film", "I", "x y", "ab", "abcd abcde", "<b>ünïcode</b> déjà-vu!!", "", "...", "😀 ok 😀",
                 "Superb, superb... THE the film: no-wait 42"]
    for document in documents:
        assert character_ngrams(document) == reference(document)


def test_tfidf_counts_of_masked_documents_match_the_fitted_vectorizers_on_the_written_text():
    from engine.kinds.text.explain import MaskedDocuments, document_function, tfidf_of_states

    frame = planted_reviews(rows=120)
    frame.loc[0, "review"] = "<b>Superb</b>, superb... the the film: no—wait! 42 ünïcode words"
    profile = profile_dataset(frame, "label")
    model = make_tfidf_model(profile).fit(frame[["review"]], frame["label"])
    documents = list(frame["review"].iloc[:6])
    pieces = [segments(d) for d in documents]
    rng = np.random.default_rng(0)
    owners = rng.integers(0, len(documents), size=200)
    shown = [rng.random(len(pieces[o])) < 0.6 for o in owners]
    batch = MaskedDocuments(pieces, owners, shown)
    text_step = model[0].named_transformers_["text0"]
    written = text_step.transform(pd.Series(batch.texts(), dtype=object))
    union = text_step.named_steps["tfidf"]
    fast = sparse_hstack([tfidf_of_states(v, batch) for _, v in union.transformer_list])
    np.testing.assert_allclose(fast.toarray(), written.toarray(), atol=1e-12)
    from engine.kinds.text import TFIDF_LINEAR

    on_states = document_function(model, TFIDF_LINEAR.raw_output, frame[["review"]].iloc[:6], "review")(batch)
    np.testing.assert_allclose(on_states[:, 0], model.decision_function(pd.DataFrame({"review": batch.texts()})), atol=1e-12)


def test_regression_on_text_uses_ridge_and_the_network_in_target_units():
    frame = planted_reviews(rows=200)
    frame["label"] = np.where(frame.label == "good", 4.0, 1.0) + np.random.default_rng(0).normal(0, 0.1, 200)
    result = compare(frame, "label", shap_rows=3, max_seconds=60)
    assert "ridge regression" in result.ml.name and result.ml.metrics["r2"] > 0.8
    np.testing.assert_allclose(result.explanations["dl"].outputs[:, 0], result.dl.predictions[result.split.explained_positions], rtol=1e-4)


# --- bad input ---------------------------------------------------------------------------------


def test_a_text_target_is_refused_in_one_line():
    frame = planted_reviews()[["label", "review"]]
    with pytest.raises(DataError, match="holds free text"):
        compare(frame, "review")


def test_documents_of_only_punctuation_or_emoji_are_refused_in_one_line():
    frame = pd.DataFrame({"review": ["!!! ??? ... 😀😀 🎬 ;-) :( " + "!" * (i + 1) for i in range(60)],
                          "n": range(60), "label": ["a", "b"] * 30})
    assert kind_for(profile_dataset(frame, "label")) is TEXT
    with pytest.raises(DataError, match="holds no words"):
        compare(frame, "label", shap_rows=2, max_seconds=30)


def test_a_mostly_empty_text_column_a_huge_cell_and_non_utf8_bytes_give_notes_not_tracebacks():
    frame = planted_reviews(rows=200)
    frame.loc[frame.index % 5 != 0, "review"] = np.nan  # empty in 80% of rows
    for row in (0, 1):  # one of each class: at least one lands in the training rows
        frame.loc[row, "review"] = "superb " + "word " * 210_000  # about 1 MB in one cell
    raw = frame.to_csv(index=False).replace("film", "caf\u00e9").encode("cp1252")  # not UTF-8
    loaded = read_csv_bytes(raw)
    assert loaded.shape == frame.shape
    result = compare(loaded, "label", shap_rows=3, max_seconds=60)
    notes = " ".join(result.notes + result.ml.notes)
    assert "empty in 80% of rows" in notes
    assert f"longer than {th.TEXT_MAX_TOKENS} tokens" in notes


def test_one_class_is_refused_in_one_line():
    frame = planted_reviews().assign(label="good")
    with pytest.raises(DataError, match="only one value"):
        compare(frame, "label")


# --- the highlighted document -------------------------------------------------------------------


def test_a_hostile_document_is_escaped_in_the_highlighted_view():
    text = 'Great <img src=x onerror=alert(1)> film & "fun" <script>alert(2)</script>'
    tokens = [w for w, _ in segments(text)]
    markup = highlighted_document(text, tokens, np.linspace(-1, 1, len(tokens)))
    assert "<img" not in markup and "<script" not in markup
    assert all(entity in markup for entity in ("&lt;", "&gt;", "&amp;", "&quot;"))
    assert ">onerror</span>=<span" in markup  # the hostile words are plain, highlighted text
    assert markup.count("<span") == sum(1 for t in tokens if t)
    assert "rgba(229, 62, 62" in markup and "rgba(49, 130, 206" in markup  # red toward, blue away


def test_prediction_direction_flips_for_the_first_of_two_classes():
    assert prediction_direction(["bad", "good"], "good") == (0, 1.0)
    assert prediction_direction(["bad", "good"], "bad") == (0, -1.0)
    assert prediction_direction(["a", "b", "c"], "c") == (2, 1.0)
    assert prediction_direction(None, 3.2) == (0, 1.0)


# --- the sample and the command line -----------------------------------------------------------------


def test_recommend_on_the_text_sample_reports_unstructured_text_favouring_deep_learning():
    out = subprocess.run([sys.executable, "-m", "engine", "recommend", str(SAMPLE_DATA / "movie_reviews.csv"), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["profile"]["column_kinds"]["review"] == "text"
    structure = next(c for c in payload["criteria"] if c["name"] == "data_structure")
    assert structure["favours"] == "dl"


def test_the_token_network_refits_on_every_row_only_for_small_data_and_pools_the_mean_of_a_documents_grams():
    import torch

    frame = planted_reviews(rows=240)
    profile = profile_dataset(frame, "label")
    X, y = frame[["review"]], frame["label"]
    small = make_text_network(profile, max_epochs=8, patience=2).fit(X, y)[-1]
    assert small.best_epoch_ >= 1 and small.refit_epochs_ == small.best_epoch_
    assert "refit on every training row" in small.training_summary()
    large = make_text_network(profile, max_epochs=8, patience=2, refit_max_rows=len(X) - 1).fit(X, y)[-1]
    assert large.refit_epochs_ == 0 and "refit" not in large.training_summary()
    # a document is the mean of its unigram and bigram embeddings; padding (id 0) takes no part
    prepared = small._prepare(X[:2].to_numpy(), reset=False)
    ids = [int(i) for i in prepared[0] if i != 0]
    assert len(ids) == 2 * len(tokenize(X.review.iloc[0])) - 1
    module = small.module_
    with torch.no_grad():
        pooled = module.bags[0].weight[ids].mean(dim=0, keepdim=True)
        np.testing.assert_allclose(module(torch.from_numpy(prepared[:1])).numpy(), module.head(pooled).numpy(), rtol=1e-5, atol=1e-6)
    assert "linear head" in small.display_name and "bigrams" in small.display_name


def test_the_token_network_bounds_its_search_by_optimiser_steps():
    frame = planted_reviews(rows=240)
    profile = profile_dataset(frame, "label")
    # 204 searched rows in batches of 32 are 7 steps an epoch: 20 steps allow 2 epochs
    net = make_text_network(profile, batch_size=32, patience=100, max_steps=20).fit(frame[["review"]], frame["label"])[-1]
    assert net.max_epochs_ == net.n_epochs_ == 2 and net.stopped_by_ == "max_epochs"
    unbounded = make_text_network(profile, batch_size=32, patience=100, max_epochs=3, max_steps=None)
    assert unbounded.fit(frame[["review"]], frame["label"])[-1].n_epochs_ == 3


def test_skewed_text_classes_train_both_families_balanced_as_they_are_judged():
    frame = planted_reviews(rows=200)
    even = profile_dataset(frame, "label")
    skewed_frame = pd.concat([frame[frame.label == "good"], frame[frame.label == "bad"].iloc[:20]], ignore_index=True)
    skewed = profile_dataset(skewed_frame, "label")
    assert make_tfidf_model(even)[-1].class_weight is None and make_text_network(even)[-1].class_weight is None
    assert make_tfidf_model(skewed)[-1].class_weight == "balanced"
    network = make_text_network(skewed, max_epochs=5).fit(skewed_frame[["review"]], skewed_frame["label"])
    assert network[-1].class_weight == "balanced"
    counts = skewed_frame["label"].value_counts()
    expected = len(skewed_frame) / (2 * counts[network[-1].classes_].to_numpy())
    np.testing.assert_allclose(network[-1].class_weights_, expected)


def test_agreement_on_text_is_described_and_drawn_per_word_not_per_column(text_run):
    from engine.figures import explanations as shap_figures
    from engine.explain.explanation import compared_importance

    ml, dl = text_run.explanations["ml"], text_run.explanations["dl"]
    words = shap_figures.describe_agreement(text_run.agreement, ml, dl)
    assert "which words matter" in words and "top 5 words" in words and "columns" not in words
    figure = shap_figures.agreement_scatter(ml, dl, text_run.agreement)
    assert figure.layout.title.text.startswith("Importance per word")
    a, b, compared_on = compared_importance(ml, dl)
    assert compared_on == "tokens" and len(figure.data[1].x) == len([t for t in a if t in b]) > 3
    assert {t for t in list(a)[:2]} <= PLANTED  # the points are the words the agreement ranked
