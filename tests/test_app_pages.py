"""Every page under streamlit.testing.v1.AppTest: recommendation, scorecard, both models' metrics, explanations."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import finish_training

ROOT = Path(__file__).parents[1]
APP = ROOT / "dashboard.py"
SAMPLES = ROOT / "sample_data"
TIMEOUT = 120


def open_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def frame_with(at: AppTest, column: str):
    """The first st.dataframe shown with ``column`` (dataframes carry no key in AppTest)."""
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with a {column!r} column")


def upload(at: AppTest, name: str, content: bytes) -> None:
    at.file_uploader(key="uploader").upload(name, content, "text/csv").run()
    assert not at.exception, at.exception


def test_app_pages_holds_only_pages_and_there_is_no_pages_folder() -> None:
    """Helpers live in views/; no pages/ folder, which Streamlit would serve as pages before dashboard.py runs."""
    from views.state import PAGES

    pages = sorted(p.name for p in (ROOT / "app_pages").glob("*.py") if p.name != "__init__.py")
    assert pages == sorted(Path(path).name for path in PAGES.values())
    assert not (ROOT / "pages").exists()


def test_every_public_page_helper_is_used() -> None:
    """No dead view code: each public function or class of views/*.py is referenced outside its definition."""
    sources = [*ROOT.glob("app_pages/*.py"), *ROOT.glob("views/*.py"), APP]
    referenced: list[str] = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                referenced.append(node.attr)
            elif isinstance(node, ast.Name):
                referenced.append(node.id)
            elif isinstance(node, ast.alias):
                referenced.append(node.name)
    unused = [
        f"{path.name}:{node.name}"
        for path in ROOT.glob("views/*.py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
        and node.name not in referenced
    ]
    assert unused == []


def test_home_says_what_the_app_does_and_loads_a_sample_in_one_click() -> None:
    at = open_app()
    assert "classic machine learning or deep learning" in at.markdown[0].value
    keys = {b.key for b in at.button}
    assert {f"sample_{p.name}" for p in SAMPLES.glob("*.csv")} <= keys
    at.button(key="sample_wine.csv").click().run()
    assert not at.exception
    assert at.title[0].value.startswith("Recommend")  # the click opened the Recommend page
    assert at.session_state["dataset"].name == "wine.csv"
    assert metrics(at)["Recommendation"] == "Classic machine learning"


def test_upload_gives_recommendation_scorecard_and_profile() -> None:
    at = open_app("app_pages/recommend.py")
    upload(at, "breast_cancer.csv", (SAMPLES / "breast_cancer.csv").read_bytes())
    shown = metrics(at)
    assert shown["Recommendation"] == "Classic machine learning"
    assert shown["Confidence"].endswith("%") and int(shown["Confidence"][:-1]) > 50
    assert shown["Rows"] == "569" and shown["Task"] == "binary"
    table = frame_with(at, "criterion")
    assert list(table["criterion"]) == [
        "Data structure",
        "Data volume",
        "Transparency",
        "Compute",
        "Feature engineering",
        "Problem complexity",
    ]
    assert table.set_index("criterion").loc["Data volume", "value"] == "569 labelled rows"
    assert all(isinstance(r, str) and r for r in table["reason"])
    assert "Criterion scorecard: contribution to the vote" in chart_titles(at)
    assert "Class balance of diagnosis" in chart_titles(at)
    profile = frame_with(at, "role")
    assert profile.set_index("column").loc["diagnosis", "role"] == "target"
    assert "What would flip it" in " ".join(m.value for m in at.markdown)


def test_questionnaire_alone_and_the_what_if_updates_the_advice_live() -> None:
    at = open_app("app_pages/recommend.py")
    assert metrics(at)["Recommendation"] == "Classic machine learning"  # tabular, 1,000 rows, CPU
    at.selectbox(key="answer_data_kind").set_value("images").run()
    at.selectbox(key="answer_problem_type").set_value("vision").run()
    at.number_input(key="answer_labelled_rows").set_value(2_000_000).run()
    at.toggle(key="answer_gpu").set_value(True).run()
    assert not at.exception
    assert metrics(at)["Recommendation"] == "Deep learning"
    table = frame_with(at, "criterion").set_index("criterion")
    assert table.loc["Data structure", "favours"] == "Deep learning"
    assert table.loc["Compute", "value"] == "GPU available"
    flips = " ".join(m.value for m in at.markdown)
    assert "would be recommended" in flips


def test_overriding_a_profile_answer_says_what_changed_and_can_be_reset() -> None:
    at = open_app()
    at.button(key="sample_wine.csv").click().run()
    at.selectbox(key="answer_data_kind").set_value("text").run()
    at.selectbox(key="answer_problem_type").set_value("language").run()
    # 178 texts: TF-IDF's ground (engine/common/thresholds.py's text curve), though text leans to deep learning: close
    assert metrics(at)["Recommendation"] == "A close call: train both"
    at.number_input(key="answer_labelled_rows").set_value(5_000_000).run()
    assert metrics(at)["Recommendation"] == "Deep learning"
    assert any("From the profile alone the advice is **Classic machine learning**" in i.value for i in at.info)
    # the answers survive a trip to another page
    at.switch_page("app_pages/train.py").run()
    at.switch_page("app_pages/recommend.py").run()
    assert metrics(at)["Recommendation"] == "Deep learning"
    at.button(key="reset_answers").click().run()
    assert metrics(at)["Recommendation"] == "Classic machine learning"
    assert at.selectbox(key="answer_data_kind").value == "tabular"
    assert at.number_input(key="answer_labelled_rows").value == 178


def test_answers_about_the_user_survive_an_upload_and_answers_about_the_data_follow_it() -> None:
    at = open_app()
    at.button(key="sample_wine.csv").click().run()
    at.toggle(key="answer_gpu").set_value(True).run()
    at.radio(key="answer_transparency").set_value("high").run()
    at.selectbox(key="answer_data_kind").set_value("images").run()
    upload(at, "cars.csv", (SAMPLES / "cars.csv").read_bytes())
    assert at.session_state["dataset"].name == "cars.csv"
    assert at.toggle(key="answer_gpu").value is True
    assert at.radio(key="answer_transparency").value == "high"
    assert at.selectbox(key="answer_data_kind").value == "tabular"  # the new data's own kind
    assert at.number_input(key="answer_labelled_rows").value == 406


def test_a_csv_zipped_alone_uploads_as_that_csv_and_says_so() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cars.csv", (SAMPLES / "cars.csv").read_bytes())
    at = open_app("app_pages/recommend.py")
    upload(at, "cars.zip", buffer.getvalue())
    assert not at.error, [e.value for e in at.error]
    assert metrics(at)["Rows"] == "406" and at.selectbox(key="target_choice").value == "Origin"
    shown = " ".join(element.value for element in (*at.caption, *at.info, *at.warning, *at.markdown))
    assert "read cars.csv, the one file in the ZIP archive" in shown.replace("\\", "")


def test_advice_on_a_table_no_model_can_train_on_warns_beside_it() -> None:
    at = open_app("app_pages/recommend.py")
    upload(at, "ids.csv", ("customer_id,churned\n" + "".join(f"C{i:05d},{i % 2}\n" for i in range(60))).encode())
    assert metrics(at)["Recommendation"] == "Classic machine learning"  # the criteria still answer
    warned = [w.value.replace("\\", "") for w in at.warning if "Train & compare would refuse" in w.value]
    assert warned and warned[0].startswith("No column the models can use: customer_id (identifier).")
    at.switch_page("app_pages/recommend.py").run()
    upload(at, "cars.csv", (SAMPLES / "cars.csv").read_bytes())
    assert not [w for w in at.warning if "Train & compare would refuse" in w.value]


def test_an_excel_workbook_is_read_on_the_recommend_page_with_the_sheet_named() -> None:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Cars"
    cars = pd.read_csv(SAMPLES / "cars.csv")
    book.active.append(list(cars.columns))
    for row in cars.astype(object).where(cars.notna(), None).itertuples(index=False):
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    at = open_app("app_pages/recommend.py")
    at.file_uploader(key="uploader").upload("cars.xlsx", buffer.getvalue(),
                                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert metrics(at)["Rows"] == f"{len(cars)}" and at.selectbox(key="target_choice").value == "Origin"
    shown = " ".join(c.value.replace("\\", "") for c in at.caption)
    assert "read sheet 'Cars' of the workbook" in shown


def test_a_parquet_file_is_read_on_the_recommend_page() -> None:
    import io

    cars = pd.read_csv(SAMPLES / "cars.csv")
    buffer = io.BytesIO()
    cars.to_parquet(buffer)
    at = open_app("app_pages/recommend.py")
    at.file_uploader(key="uploader").upload("cars.parquet", buffer.getvalue(), "application/vnd.apache.parquet").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert metrics(at)["Rows"] == f"{len(cars)}" and at.selectbox(key="target_choice").value == "Origin"
    shown = " ".join(c.value.replace("\\", "") for c in at.caption)
    assert f"read the Parquet file: {len(cars)} rows × {cars.shape[1]} columns" in shown


def test_a_column_that_gives_the_answer_away_is_named_on_the_recommend_page() -> None:
    rows = [f"{i % 7},{(i * 37) % 11},{('moved', 'price')[i % 2] if i % 3 else ''},{'yes' if i % 3 else 'no'}"
            for i in range(150)]
    at = open_app("app_pages/recommend.py")
    upload(at, "leaky.csv", ("tenure,spend,cancel_reason,churned\n" + "\n".join(rows) + "\n").encode())
    warned = [w.value.replace("\\", "") for w in at.warning if "almost perfectly" in w.value]
    assert warned and warned[0].startswith("'cancel_reason' (balanced accuracy 1.00) alone predicts 'churned'")
    upload(at, "cars.csv", (SAMPLES / "cars.csv").read_bytes())
    assert not [w for w in at.warning if "almost perfectly" in w.value]


def test_target_override_reprofiles_the_data() -> None:
    at = open_app("app_pages/recommend.py")
    upload(at, "cars.csv", (SAMPLES / "cars.csv").read_bytes())
    assert at.selectbox(key="target_choice").value == "Origin"
    assert metrics(at)["Task"] == "multiclass"
    at.selectbox(key="target_choice").set_value("Miles_per_Gallon").run()
    assert not at.exception
    assert metrics(at)["Task"] == "regression"
    assert at.session_state["target"] == "Miles_per_Gallon"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"   \n", "empty"),
        ("image.csv", bytes(range(256)) * 40, "not a text CSV"),
        ("one_column.csv", b"a\n1\n2\n3\n", "fewer than 2 columns"),
        ("tiny.csv", b"x,y\n1,a\n2,b\n3,a\n", "at least"),
    ],
)
def test_unusable_uploads_show_one_error_line_and_no_traceback(name: str, content: bytes, expected: str) -> None:
    at = open_app("app_pages/recommend.py")
    upload(at, name, content)
    assert len(at.error) == 1
    assert expected in at.error[0].value.replace("\\", "")
    assert not at.exception


def test_a_class_of_one_row_is_named_on_the_recommend_page_and_the_advice_still_comes() -> None:
    at = open_app("app_pages/recommend.py")
    rows = "\n".join(f"{i % 7},{i % 5},{('cat', 'dog')[i % 2]}" for i in range(60))
    upload(at, "pets.csv", f"legs,age,animal\n{rows}\n3,1,<b>axolotl</b>\n".encode())
    assert not at.exception and not at.error
    shown = [i.value for i in at.info if "too few to both train and test on" in i.value]
    assert len(shown) == 1 and "\\<b\\>" in shown[0]  # the label is escaped: drawn as text, not markup
    assert shown[0].replace("\\", "").startswith("Class '<b>axolotl</b>' of target 'animal' has only 1 row")
    assert "Recommendation" in metrics(at)


def test_an_unusable_target_says_what_to_fix() -> None:
    at = open_app("app_pages/recommend.py")
    upload(at, "cars.csv", (SAMPLES / "cars.csv").read_bytes())
    at.selectbox(key="target_choice").set_value("Name").run()
    assert not at.exception
    message = at.error[0].value.replace("\\", "")
    assert len(at.error) == 1 and "of target 'Name' has 1 row" in message
    assert "Recommendation" not in metrics(at)


@pytest.mark.parametrize(
    ("page", "message", "link_page", "link_label"),
    [
        ("app_pages/train.py", "No dataset yet", "recommend", "Go to Recommend"),
        ("app_pages/explanations.py", "Nothing to explain yet", "train", "Go to Train & compare"),
    ],
)
def test_pages_without_data_say_where_to_start(page: str, message: str, link_page: str, link_label: str) -> None:
    at = open_app(page)
    assert len(at.info) == 1 and at.info[0].value.startswith(message) and not at.error
    assert [(link.proto.page, link.proto.label) for link in at.get("page_link")] == [(link_page, link_label)]
    assert not at.get("form") and not at.get("plotly_chart")  # nothing else: no training form, no charts


# --- training once, then every result view ---------------------------------------------------


@pytest.fixture(scope="module")
def trained() -> AppTest:
    """Wine loaded by its sample button, both families trained from the form (short budget, 20 SHAP rows)."""
    at = open_app()
    at.button(key="sample_wine.csv").click().run()
    at.switch_page("app_pages/train.py").run()
    at.slider(key="train_max_seconds").set_value(2)
    at.number_input(key="train_shap_rows").set_value(20)
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    assert at.button(key="train_start").disabled  # one run at a time
    finish_training(at)
    return at


def test_train_page_shows_both_models_side_by_side(trained: AppTest) -> None:
    at = trained
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error
    labels = [m.label for m in at.metric]
    assert labels.count("Accuracy") == 2 and labels.count("Train time") == 2
    assert labels.count("Predict / 1k rows") == 2 and labels.count("Model size") == 2
    accuracies = [float(m.value) for m in at.metric if m.label == "Accuracy"]
    assert all(0.0 <= a <= 1.0 for a in accuracies)
    table = frame_with(at, "Classic ML")
    assert list(table.columns) == ["Classic ML", "Deep learning"] and "Balanced accuracy" in table.index
    verdict = (at.success or at.warning)[0].value
    assert "recommendation" in verdict
    titles = chart_titles(at)
    for family in ("Classic ML", "Deep learning"):
        assert f"{family}: confusion matrix" in titles
    assert "ROC curves of both models (each class against the rest)" in titles  # one chart, both models
    run = at.session_state["run"]
    assert run.options["max_seconds"] == 2 and run.options["shap_rows"] == 20
    captions = " ".join(c.value for c in at.caption)
    assert "The time budget of 2 s for the whole run" in captions  # binding or not, the page says which
    # Before training, the budget that gives every family its full work: the planner's figure, named as a budget
    from engine.run.pipeline import estimate_run

    data = at.session_state["dataset"]
    plan = estimate_run(data.frame, run.result.advice.profile, 2.0, 20, ml_kind=run.options.get("ml_kind"),
                        on_cluster=False)
    assert f"a budget of about {plan['budget_for_full_work']:,} s gives every family its full work" in captions
    rows = run.result.split.train_rows
    assert captions.count(f"Trained on {rows:,} training rows in one process") == 2  # under each model's card
    assert "one-off start-up" in " ".join(m.help or "" for m in at.metric if m.label == "Train time")
    assert not any("These results are for" in w.value for w in at.warning)  # current data: no stale notice


def test_an_estimate_above_the_budget_says_the_clock_stops_the_run_at_the_budget() -> None:
    """Wine's least work plans about 2.5 s: at a 2 s budget the page says the run still ends by the budget."""
    at = open_app()
    at.button(key="sample_wine.csv").click().run()
    at.switch_page("app_pages/train.py").run()
    for budget in (120, 2):
        at.slider(key="train_max_seconds").set_value(budget).run()
        estimate = next(c.value for c in at.caption if "s of work on a 2-core machine" in c.value)
        planned = float(re.search(r"^Plans at most about ([\d.,]+) s of work", estimate).group(1).replace(",", ""))
        assert (planned > budget) == (budget == 2), estimate
        assert ("the clock stops it at the 2 s budget if not" in estimate) == (budget == 2), estimate


def test_an_unexpected_training_failure_is_one_line_that_says_where_its_details_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import engine.run.pipeline as pipeline

    def compare(*args, **kwargs):
        raise RuntimeError("a bug deep inside training")

    monkeypatch.setattr(pipeline, "compare", compare)  # what the in-process job calls
    at = open_app()
    at.button(key="sample_wine.csv").click().run()
    at.switch_page("app_pages/train.py").run()
    at.button(key="train_start").click().run()
    errors = finish_training(at)  # a failure this quick may be collected, and shown, in the click's own run
    assert errors == ["training failed unexpectedly (RuntimeError); the details are in the server log"], errors
    assert not at.button(key="train_start").disabled  # the page is free to train again


def test_switching_pages_never_retrains(trained: AppTest) -> None:
    at = trained
    before = at.session_state["run"].result
    for page in ("app_pages/recommend.py", "app_pages/explanations.py", "app_pages/home.py", "app_pages/train.py"):
        at.switch_page(page).run()
        assert not at.exception
    assert at.session_state["run"].result is before
    assert not at.status  # no training status box: nothing ran again


def test_explanations_page_holds_charts_for_both_models(trained: AppTest) -> None:
    at = trained
    at.switch_page("app_pages/explanations.py").run()
    assert not at.exception and not at.error
    titles = chart_titles(at)
    for family in ("Classic ML", "Deep learning"):
        assert f"{family}: global importance (mean |SHAP|)" in titles
        assert any(t.startswith(f"{family}: SHAP beeswarm") for t in titles)
        assert any(t.startswith(f"{family}: this row's explanation") for t in titles)
    assert any(t.startswith("Importance per column") for t in titles)
    words = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Spearman rank correlation" in words and "of their top 5 columns are the same" in words
    checks = frame_with(at, "check")
    assert [c.split(" ")[0] for c in checks["check"]] == ["passes", "passes"], list(checks["check"])
    # another output and another row redraw both waterfalls
    at.selectbox(key="explain_output").set_value(2).run()
    at.selectbox(key="explain_row").set_value(5).run()
    assert not at.exception
    waterfalls = [
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if "this row's explanation" in json.loads(c.proto.spec)["layout"]["title"]["text"]
    ]
    assert len(waterfalls) == 2
    assert all("cultivar_2" in w["layout"]["title"]["text"] for w in waterfalls)


def test_explanations_page_switches_shap_definition_without_retraining(trained: AppTest) -> None:
    at = trained
    at.switch_page("app_pages/explanations.py").run()
    models_before = at.session_state["run"].result.models
    at.radio(key="explain_mode").set_value("shared").run()
    assert not at.exception and not at.error
    result = at.session_state["run"].result
    assert result.explainer_mode == "shared"
    assert result.models is models_before  # the same trained models, explained again
    assert result.explanations["dl"].explainer == "permutation"
    at.run()  # on the next run the switch shows the mode now shown, and nothing is recomputed
    assert at.radio(key="explain_mode").value == "shared"
    assert at.session_state["run"].result is result
    checks = frame_with(at, "check")
    assert [c.split(" ")[0] for c in checks["check"]] == ["passes", "passes"], list(checks["check"])
    at.switch_page("app_pages/train.py").run()  # one explainer choice for the session: the next training uses it
    assert at.radio(key="train_explainer").value == "shared"
    at.radio(key="train_explainer").set_value("fast").run()  # and the other way round
    at.switch_page("app_pages/explanations.py").run()
    assert at.radio(key="explain_mode").value == "fast" and at.session_state["run"].result.explainer_mode == "fast"


@pytest.mark.parametrize(("sample", "metric"), [("diabetes.csv", "R²"), ("wine.csv", "Accuracy")])
def test_a_run_read_back_from_json_draws_every_page_without_models(sample: str, metric: str) -> None:
    """A run record written to JSON and read back (no models, no dataset) draws the same pages."""
    from engine import RunRecord, compare, load_dataset_path
    from views.state import Run

    live = compare(load_dataset_path(SAMPLES / sample), max_seconds=1, shap_rows=10)
    record = RunRecord.from_json(live.to_json())
    assert type(record) is RunRecord and not hasattr(record, "models")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["run"] = Run(result=record, options={}, seconds=1.0)
    at.run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error
    assert "dataset" not in at.session_state  # nothing but the record
    shown = [m.value for m in at.metric if m.label == metric]
    main = live.verdict.metric
    assert shown == [f"{live.ml.metrics[main]:.3f}", f"{live.dl.metrics[main]:.3f}"]
    titles = chart_titles(at)
    if metric == "R²":
        assert "Classic ML: predicted vs actual progression" in titles
        assert "Deep learning: predicted vs actual progression" in titles
        assert "Errors of both models against actual progression" in titles
    else:
        assert "Classic ML: confusion matrix" in titles and "Deep learning: confusion matrix" in titles
    at.switch_page("app_pages/explanations.py").run()
    assert not at.exception and not at.error
    assert sum("SHAP beeswarm" in t for t in chart_titles(at)) == 2
    assert at.radio[0].disabled  # no models: the definition cannot be switched
    importance = [json.loads(c.proto.spec)["data"][0] for c in at.get("plotly_chart")[:1]]
    assert importance and len(importance[0]["x"]) == len(live.explanations["ml"].columns)


def test_training_on_an_unusable_target_shows_one_error_and_keeps_the_page() -> None:
    at = open_app("app_pages/recommend.py")
    upload(at, "cars.csv", (SAMPLES / "cars.csv").read_bytes())
    at.switch_page("app_pages/train.py").run()
    at.selectbox(key="train_target").set_value("Name")
    at.button(key="train_start").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "has 1 row" in at.error[0].value
    assert "run" not in at.session_state and "training_job" not in at.session_state


def test_forgetting_the_dataset_returns_to_the_questionnaire() -> None:
    at = open_app()
    at.button(key="sample_diabetes.csv").click().run()
    assert metrics(at)["Task"] == "regression"
    at.button(key="forget_dataset").click().run()
    assert not at.exception and "dataset" not in at.session_state
    assert "Task" not in metrics(at) and metrics(at)["Recommendation"] == "Classic machine learning"


# --- results belong to what produced them ------------------------------------------------------


@pytest.fixture(scope="module")
def wine_run():
    """A small wine comparison made outside the app, seeded into sessions as their last run."""
    from engine import compare, load_dataset_path

    return compare(load_dataset_path(SAMPLES / "wine.csv"), max_seconds=2, shap_rows=10)


def seeded_with(wine_run) -> AppTest:
    from views.state import Run

    at = open_app()
    at.button(key="sample_wine.csv").click().run()
    options = {"max_seconds": 2, "shap_rows": 10, "ml_kind": "boosting", "seed": 0, "explainer": "fast"}
    at.session_state["train_options"] = dict(options)
    at.session_state["run"] = Run(result=wine_run, options=options, seconds=1.0)
    return at


def sidebar_of(at: AppTest) -> tuple[list[str], list[str]]:
    """The sidebar's texts and captions (AppTest runs only the page script after switch_page: rerun the frame)."""
    fresh = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key in ("dataset", "target", "run", "answer_overrides", "train_options"):
        if key in at.session_state:
            fresh.session_state[key] = at.session_state[key]
    fresh.run()
    assert not fresh.exception, fresh.exception
    return [t.value for t in fresh.sidebar.text], [c.value for c in fresh.sidebar.caption]


def stale_notices(at: AppTest) -> list[str]:
    return [w.value.replace("\\", "") for w in at.warning if "These results are for" in w.value]


def test_a_changed_target_shows_the_stale_results_notice_on_every_page_and_retrains(wine_run) -> None:
    at = seeded_with(wine_run)
    for page in ("app_pages/train.py", "app_pages/explanations.py"):
        at.switch_page(page).run()
        assert not stale_notices(at), page  # made on the current data and target
    at.switch_page("app_pages/recommend.py").run()
    at.selectbox(key="target_choice").set_value("alcohol").run()
    for page, button in (("app_pages/train.py", "stale_retrain_train"), ("app_pages/explanations.py", "stale_retrain_explain")):
        at.switch_page(page).run()
        assert not at.exception
        notices = stale_notices(at)
        assert len(notices) == 1 and "for **wine.csv**, target **cultivar**" in notices[0], page
        assert "the current target is alcohol" in notices[0]
        assert at.button(key=button).label == "Train again on alcohol"
    sidebar, captions = sidebar_of(at)
    assert sidebar[:2] == ["wine.csv", "alcohol"]  # the current dataset and target…
    assert "made on wine.csv\ntarget cultivar" in sidebar  # …apart from what the results were made on
    assert any("not the current data" in c for c in captions)
    at.button(key="stale_retrain_explain").click().run()  # retrain from the Explanations page
    finish_training(at)
    assert at.session_state["run"].target == "alcohol" and at.session_state["run"].result.task.value == "regression"
    assert not stale_notices(at) and not any("not the current data" in c for c in sidebar_of(at)[1])


def test_another_file_shows_which_file_the_results_are_for(wine_run) -> None:
    at = seeded_with(wine_run)
    at.switch_page("app_pages/recommend.py").run()
    upload(at, "cars.csv", (SAMPLES / "cars.csv").read_bytes())
    at.switch_page("app_pages/train.py").run()
    notices = stale_notices(at)
    assert len(notices) == 1 and "the current dataset is cars.csv" in notices[0] and "**wine.csv**" in notices[0]
    assert [s.value for s in at.subheader][0].replace("\\", "") == "Verdict on cultivar (wine.csv)"
    sidebar = sidebar_of(at)[0]
    assert sidebar[0] == "cars.csv" and "made on wine.csv\ntarget cultivar" in sidebar


def test_a_number_field_never_starts_training_and_training_survives_leaving_the_page(wine_run) -> None:
    at = seeded_with(wine_run)
    at.switch_page("app_pages/train.py").run()
    at.number_input(key="train_shap_rows").set_value(30).run()  # what Enter in the field does
    assert "training_job" not in at.session_state and at.session_state["run"].options["shap_rows"] == 10
    assert at.session_state["train_options"]["shap_rows"] == 30
    notices = stale_notices(at)
    assert len(notices) == 1 and "the options are now SHAP rows 30" in notices[0]
    at.button(key="train_start").click().run()
    at.switch_page("app_pages/home.py").run()  # leave while it trains: the run goes on
    finish_training(at)
    # AppTest reruns only the page script, so come back to a page that polls (served, the frame collects it anywhere)
    at.switch_page("app_pages/train.py").run()
    assert at.session_state["run"].options["shap_rows"] == 30 and at.session_state["run"].result.options.shap_rows == 30
    assert any("done in" in c for c in sidebar_of(at)[1])


def test_recommend_warns_when_the_classes_are_skewed() -> None:
    rng = np.random.default_rng(0)
    rows = 400
    answer = np.where(rng.random(rows) < 0.06, "Yes", "No")
    frame = pd.DataFrame({"age": rng.integers(18, 90, rows), "income": rng.normal(3e4, 8e3, rows).round(), "default": answer})
    at = open_app("app_pages/recommend.py")
    upload(at, "loans.csv", frame.to_csv(index=False).encode())
    warnings = [w.value.replace("\\", "") for w in at.warning if "skewed" in w.value]
    assert len(warnings) == 1 and "**No** is 9" in warnings[0] and "balanced accuracy" in warnings[0]
    upload(at, "wine.csv", (SAMPLES / "wine.csv").read_bytes())  # a balanced table: no warning
    assert not [w for w in at.warning if "skewed" in w.value]


@pytest.mark.parametrize(("address", "top"), [(None, 600), ("ray://127.0.0.1:1", 3_600)])
def test_the_budget_slider_stops_at_this_installations_cap(monkeypatch, address, top) -> None:
    """Ten minutes in-process, an hour where comparisons go to Ray; drawing the page never connects to the cluster."""
    if address:
        monkeypatch.setenv("ADVISOR_RAY_ADDRESS", address)  # nothing listens there: a connection would be an error
    at = open_app()
    at.button(key="sample_wine.csv").click().run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.slider(key="train_max_seconds").max == top


def test_a_cap_below_the_default_and_every_fair_budget_draws_the_page_and_says_how_to_raise_it(monkeypatch) -> None:
    """A cap under the default budget (120 s) drew a traceback (the slider's value above its top); where no budget
    up to the cap gives a fair fight, the estimate says which cap and what lifts it."""
    from engine.common import limits

    monkeypatch.setenv(limits.MAX_TRAIN_SECONDS_ENV, "5")  # wine needs 10 s for a fair fight
    at = open_app()
    at.button(key="sample_wine.csv").click().run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.slider(key="train_max_seconds").value == 5 == at.session_state["train_options"]["max_seconds"]
    captions = " ".join(c.value for c in at.caption)
    assert ("no budget up to this installation's largest (5 s) gives both sides enough work here: "
            "ADVISOR_MAX_TRAIN_SECONDS raises it") in captions


@pytest.mark.parametrize("cap", ["2", "0.5"])
def test_a_cap_at_or_under_the_sliders_lowest_budget_shows_the_budget_instead_of_a_slider(monkeypatch, cap) -> None:
    """A slider from 2 s to 2 s (or to 0 s) cannot be drawn: the page states the one budget it allows."""
    from engine.common import limits

    monkeypatch.setenv(limits.MAX_TRAIN_SECONDS_ENV, cap)
    at = open_app()
    at.button(key="sample_wine.csv").click().run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not [s for s in at.slider if s.key == "train_max_seconds"]
    assert any(f"**Time budget:** {cap} s, the most this installation allows" in m.value for m in at.markdown)
    assert at.session_state["train_options"]["max_seconds"] == float(cap)


def test_a_symmetric_target_is_not_called_skewed_because_of_its_test_rows() -> None:
    """Train & compare decides skewness on the whole target, as Recommend does, while the session holds the data."""
    from engine.profile.balance import is_skewed_target

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"age": rng.integers(20, 80, 300), "chol": rng.normal(200, 30, 300).round(0),
                          "bp": rng.normal(120, 15, 300).round(1)})
    frame.loc[7, "bp"] = 235.0  # one high reading, which the seeded split puts among the test rows
    at = open_app("app_pages/recommend.py")
    upload(at, "blood_pressure.csv", frame.to_csv(index=False).encode())
    at.selectbox(key="target_choice").set_value("bp").run()
    at.switch_page("app_pages/train.py").run()
    at.slider(key="train_max_seconds").set_value(5)
    at.number_input(key="train_shap_rows").set_value(10)
    at.button(key="train_start").click().run()
    assert finish_training(at) == []
    y_test = at.session_state["run"].result.split.y_test
    assert is_skewed_target(y_test) and not is_skewed_target(frame["bp"])  # the case this test is about
    captions = [c.value for c in at.caption]
    assert not [c for c in captions if "is skewed" in c], captions
    assert at.toggle(key="regression_log").value is False
    at.slider(key="train_max_seconds").set_value(6).run()  # new options make the run stale, not its data
    at.switch_page("app_pages/recommend.py").run()
    at.switch_page("app_pages/train.py").run()  # the toggle's state went with the page: decided afresh
    assert not [c.value for c in at.caption if "is skewed" in c.value]
    assert at.toggle(key="regression_log").value is False
