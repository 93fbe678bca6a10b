"""engine.registry: a new data kind slots in without touching the pipeline, the CLI or the pages.

The toy kind below lives only in this test: a table with a ``toy_signal``
column, a logistic regression as its ML family and a one-layer torch network
on the shared loop as its DL family, each with its own explainer. ``compare``
runs it to a complete run record, which survives a JSON round trip.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from torch import nn

from engine import DataError, RunRecord, compare, kind_for, profile_dataset
from engine.explain.explanation import ModelExplanation
from engine.models.torch_base import TorchClassifierMixin, TorchEstimator
from engine.registry import DataKindSpec, ModelSpec, dl_model_keys, fit_network, ml_model_keys, register, unregister


class _OneLayerNet(TorchClassifierMixin, TorchEstimator):
    """The smallest network on the shared loop: one linear layer."""

    def __init__(self, learning_rate=0.05, weight_decay=0.0, batch_size=None, max_epochs=30, patience=5,
                 validation_fraction=0.2, max_seconds=None, random_state=0, device="cpu", n_threads=1):
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.max_seconds = max_seconds
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads

    def _build_module(self, X, n_outputs):
        return nn.Linear(X.shape[1], n_outputs)


def _as_matrix(frame: pd.DataFrame) -> np.ndarray:
    return frame.to_numpy(dtype=np.float32)


def _raw(fitted, frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(fitted.decision_function(frame), dtype=float).reshape(len(frame), -1)


def _one_feature_shap(fitted, background, rows, labels, seed) -> ModelExplanation:
    """With one feature, its Shapley value is the output minus the mean background output (exact)."""
    outputs = _raw(fitted, rows)
    base = _raw(fitted, background).mean(axis=0)
    values = (outputs - base)[:, np.newaxis, :]
    return ModelExplanation("toy", ["toy_signal"], labels, values, base, outputs, 0.0, 0.0)


TOY_ML = ModelSpec(
    key="toy-linear", family="ml", label="Toy logistic regression",
    build=lambda profile, seed, budget: Pipeline([("prep", FunctionTransformer(_as_matrix)),
                                                  ("model", LogisticRegression())]),
    explainers={"fast": _one_feature_shap, "shared": _one_feature_shap},
)
TOY_DL = ModelSpec(
    key="toy-net", family="dl", label="Toy one-layer network",
    build=lambda profile, seed, budget: Pipeline([("prep", FunctionTransformer(_as_matrix)),
                                                  ("model", _OneLayerNet(random_state=seed, max_seconds=budget))]),
    fit=fit_network,
    explainers={"fast": _one_feature_shap, "shared": _one_feature_shap},
)
TOY = DataKindSpec(
    key="toy", label="toy",
    matches=lambda profile: "toy_signal" in profile.column_kinds,
    feature_columns=lambda profile: ["toy_signal"],
    ml_models=(TOY_ML,), dl_models=(TOY_DL,), priority=100,
    notes=lambda profile: ["toy kind: one signal column"],
)


@pytest.fixture
def toy_kind():
    register(TOY)
    yield TOY
    unregister(TOY.key)


def _toy_frame(rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    signal = rng.normal(size=rows)
    return pd.DataFrame({"toy_signal": signal, "noise": rng.normal(size=rows),
                         "target": np.where(signal + 0.3 * rng.normal(size=rows) > 0, "yes", "no")})


def test_a_toy_kind_runs_compare_to_a_complete_run_record(toy_kind):
    frame = _toy_frame()
    assert kind_for(profile_dataset(frame, "target")) is TOY
    result = compare(frame, "target", shap_rows=20, max_seconds=60)
    assert result.dataset.kind == "toy"
    assert (result.options.ml_model, result.options.dl_model) == ("toy-linear", "toy-net")
    assert result.ml.name == "Toy logistic regression" and result.dl.name == "Toy one-layer network"
    assert "toy kind: one signal column" in result.notes
    assert any("noise" in note for note in result.notes)  # the column the kind does not use is named
    assert result.ml.metrics["accuracy"] > 0.8 and result.dl.metrics["accuracy"] > 0.8
    assert result.dl.notes and result.dl.notes[0].startswith("trained ")  # the shared loop's summary
    for explanation in result.explanations.values():
        assert explanation.values.shape == (20, 1, 1)
        np.testing.assert_allclose(explanation.base_values + explanation.values.sum(axis=1), explanation.outputs)
    assert result.agreement.spearman is None  # one shared feature: nothing to rank
    assert result.agreement.compared_features == 1
    # The whole record survives JSON and reads back the same, without the models.
    back = RunRecord.from_json(result.to_json())
    assert json.dumps(back.to_dict(), sort_keys=True) == json.dumps(result.record().to_dict(), sort_keys=True)
    assert "toy-linear" in ml_model_keys() and "toy-net" in dl_model_keys()


def test_without_the_toy_kind_the_same_table_is_tabular():
    assert kind_for(profile_dataset(_toy_frame(), "target")).key == "tabular"


def test_an_unknown_model_key_names_the_choices(toy_kind):
    with pytest.raises(DataError, match="choose one of: toy-linear"):
        compare(_toy_frame(), "target", ml_kind="boosting")


def test_a_family_without_the_requested_explainer_fails_before_training(toy_kind):
    built = []

    def build(profile, seed, budget):
        built.append(profile)
        return TOY_ML.build(profile, seed, budget)

    only_fast = ModelSpec(key="toy-linear", family="ml", label="Toy", build=build, explainers={"fast": _one_feature_shap})
    register(DataKindSpec(key="toy", label="toy", matches=TOY.matches, feature_columns=TOY.feature_columns,
                          ml_models=(only_fast,), dl_models=(TOY_DL,), priority=100))
    with pytest.raises(DataError, match="no 'shared' explainer"):
        compare(_toy_frame(), "target", explainer="shared")
    assert built == []  # nothing was trained


TOY_HOSTILE = "<img src=x onerror=alert(1)>"


def _toy_sections(result, output: int) -> list:
    """The toy kind's own section: a caption, and per chosen model a chart of its SHAP per row and an HTML line."""
    import html as html_module

    import plotly.graph_objects as go

    from engine.common.sections import Caption, Chart, Choice, Html, Section

    def per_model(i: int) -> list:
        family = ("ml", "dl")[i]
        values = result.explanations[family].values[:, 0, output]
        figure = go.Figure(go.Bar(y=values), layout={"title": {"text": f"Toy {family}: SHAP of toy_signal per row"}})
        return [Chart(figure, key="toy_chart"), Html(f"<p>toy html {html_module.escape(TOY_HOSTILE)}</p>")]

    return [Section("Toy view of the signal", (
        Caption(f"toy caption {TOY_HOSTILE}"),
        Choice("Toy model", ("classic ML", "deep learning"), per_model, key="toy_model"),
    ))]


def test_a_toy_kind_draws_every_page_and_the_report(toy_kind):
    """Nothing outside this test knows the toy kind: every page and the report draw its run, and its own section, from the registry."""
    import dataclasses

    from streamlit.testing.v1 import AppTest

    from engine.io.dataset import Dataset
    from engine.share.report import report_html
    from tests.conftest import ROOT
    from views.state import Run

    register(dataclasses.replace(TOY, explanation_sections=_toy_sections, feature_unit="toy signal",
                                 no_column_charts="the toy reads one signal."))  # the fixture takes it out again
    frame = _toy_frame(200)
    result = compare(frame, "target", shap_rows=10, max_seconds=30)
    record = RunRecord.from_json(result.to_json())  # drawn from the record alone, as a saved run is
    html = report_html(record)
    assert "Toy logistic regression" in html and "Toy one-layer network" in html and "toy_signal" in html
    # The toy's section, drawn statically: its title, its chart at the choice's default, its text escaped.
    assert "<h3>Toy view of the signal</h3>" in html
    assert "Toy ml: SHAP of toy_signal per row" in html and "Toy dl: SHAP" not in html
    assert "Toy model: classic ML" in html
    assert "toy caption &lt;img src=x" in html and "toy html &lt;img src=x" in html and "<img src=x" not in html
    assert "No per-column charts: the toy reads one signal." in html

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["dataset"] = Dataset.from_frame(frame, "toy.csv")
    at.session_state["target"] = "target"
    options = {"max_seconds": 30, "shap_rows": 10, "ml_kind": "toy-linear", "seed": 0, "explainer": "fast"}
    at.session_state["train_options"] = dict(options)
    at.session_state["run"] = Run(result=record, options=options, seconds=1.0)
    at.run()
    assert not at.exception, at.exception
    for page in ("app_pages/recommend.py", "app_pages/train.py", "app_pages/explanations.py", "app_pages/history.py",
                 "app_pages/track_record.py", "app_pages/home.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.selectbox] if hasattr(e, "value"))
        if page == "app_pages/recommend.py":
            assert "toy" in shown  # the kind decision, named on the page
        if page == "app_pages/train.py":
            assert "Toy logistic regression" in shown
        if page == "app_pages/explanations.py":
            _assert_the_toy_section_is_on_the_page(at)


def _chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def _assert_the_toy_section_is_on_the_page(at) -> None:
    assert "Toy view of the signal" in [h.value for h in at.subheader]
    assert "Toy ml: SHAP of toy_signal per row" in _chart_titles(at)
    captions = [c.value for c in at.caption]
    toy_caption = next(c for c in captions if c.startswith("toy caption"))
    assert "\\<img" in toy_caption and "<" not in toy_caption.replace("\\<", "")  # every < escaped for Markdown
    assert "No per-column charts: the toy reads one signal." in captions
    assert any(c.startswith("Each point is one toy signal") for c in captions)
    bodies = [element.proto.body for element in at.get("html")]
    assert any("toy html &lt;img" in body for body in bodies) and not any("<img" in body for body in bodies)
    at.selectbox(key="toy_model").set_value(1).run()  # the reader's choice redraws the section for it
    assert not at.exception, at.exception
    titles = _chart_titles(at)
    assert "Toy dl: SHAP of toy_signal per row" in titles and "Toy ml: SHAP of toy_signal per row" not in titles


# --- a family's raw output: one method of its spec ------------------------------------------------------------


def _probabilities_from_raw(raw: np.ndarray) -> np.ndarray:
    """Class probabilities from raw outputs: the logistic of one log-odds column, else the softmax of logits."""
    if raw.shape[1] == 1:
        positive = 1.0 / (1.0 + np.exp(-raw[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _families(kind: str) -> list[ModelSpec]:
    from engine.registry import kind_named

    spec = kind_named(kind)
    return [*spec.ml_models, *spec.dl_models]


@pytest.mark.parametrize("kind", ["tabular", "text"])
def test_each_familys_raw_output_is_what_its_probabilities_come_from(kind: str):
    """``ModelSpec.raw_output`` reads log-odds or logits: the model's own probabilities follow from them exactly."""
    if kind == "tabular":
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({"a": rng.normal(size=240), "b": rng.normal(size=240)})
        frame["label"] = np.where(frame.a + 0.5 * rng.normal(size=240) > 0, "yes", "no")
    else:
        from tests.test_text import planted_reviews

        frame = planted_reviews(160)
    from engine.registry import kind_named

    profile = profile_dataset(frame, "label")
    X, y = frame[kind_named(kind).feature_columns(profile)], frame["label"]
    checked = []
    for spec in _families(kind):
        fitted = spec.build(profile, 0, 10.0)
        if hasattr(fitted[-1], "max_epochs"):
            fitted[-1].set_params(max_epochs=5)
        fitted.fit(X, y)
        raw = spec.raw_output(fitted[-1], fitted[:-1].transform(X[:12]))
        assert raw.dtype == np.float64 and raw.shape[0] == 12
        np.testing.assert_allclose(_probabilities_from_raw(raw), fitted.predict_proba(X[:12]), atol=1e-4,
                                   err_msg=f"{kind} {spec.key}")
        checked.append(spec.key)
    assert len(checked) == len(_families(kind)) >= 2


def test_a_linear_regressions_raw_output_is_its_prediction():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    frame["y"] = 3.0 * frame.a - frame.b + rng.normal(scale=0.1, size=120)
    profile = profile_dataset(frame, "y")
    linear = next(spec for spec in _families("tabular") if spec.key == "linear")
    fitted = linear.build(profile, 0, 10.0).fit(frame[["a", "b"]], frame["y"])
    raw = linear.raw_output(fitted[-1], fitted[:-1].transform(frame[["a", "b"]][:7]))
    np.testing.assert_allclose(raw[:, 0], fitted.predict(frame[["a", "b"]][:7]))


def test_a_family_without_its_own_reader_is_explained_on_its_prediction():
    spec = ModelSpec(key="toy", family="ml", label="toy", build=lambda *a: None, explainers={})
    model = Pipeline([("model", FunctionTransformer(lambda X: X))])
    model.predict = lambda X: np.asarray(X)[:, 0] * 2.0  # a stand-in with a prediction only
    np.testing.assert_array_equal(spec.raw_output(model, np.array([[1.0], [3.0]])), [[2.0], [6.0]])


#: Methods whose presence was once used to guess how to read a model's raw output; the spec says it now.
_RAW_OUTPUT_METHODS = {"decision_function", "raw_output", "raw_output_float64", "explain_module", "booster_", "forward"}


def test_no_engine_module_guesses_a_models_raw_output_from_its_methods():
    import ast

    from tests.test_import_graph import MODULES

    guesses = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("hasattr", "getattr")
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                    and node.args[1].value in _RAW_OUTPUT_METHODS):
                guesses.append(f"{path.name}:{node.lineno} {node.func.id}(…, {node.args[1].value!r})")
    assert not guesses, guesses
