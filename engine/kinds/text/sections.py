"""The text kinds' sections of the Explanations page and the report: each model's words, and one document twice.

Registered by :mod:`engine.kinds.text` (imported when a page or the report asks: it needs Plotly).
Described with :mod:`engine.common.sections` (no Streamlit): the page draws
them with widgets, the report statically. The highlighted document is HTML
built by :func:`engine.kinds.text.charts.highlighted_document`, which escapes
every token; document labels and predictions are plain text, escaped by
whoever draws them.
"""

from __future__ import annotations

from typing import Any

from engine.common import wording
from engine.common.sections import Block, Caption, Chart, Choice, Columns, Heading, Html, Line, Note, Section
from engine.kinds.text.charts import attribution_for, highlighted_document, prediction_direction, token_bars
from engine.share.consent import ROWS_NOT_KEPT, rows_kept

__all__ = ["explanation_sections", "WORDS_TITLE", "DOCUMENT_TITLE"]

WORDS_TITLE = "Which words matter"
DOCUMENT_TITLE = "One document, both models"

_WORDS_CAPTION = (
    "Token-level SHAP, one definition for both models (Shapley values of the same regex tokens, a hidden word removed "
    "from the text): each word's mean |SHAP| over the explained documents; red bars push toward the output named on "
    "the axis on average, blue bars away from it."
)
_DOCUMENT_CAPTION = (
    "Each word is coloured by its SHAP value for that model's own prediction: red pushes toward it, blue away from "
    "it; stronger colour, larger value. Hover a word for its value."
)
_FAMILIES = ("ml", "dl")


def explanation_sections(result: Any, output: int) -> list[Section]:
    """Words per model for ``output``, then a picked document highlighted for both; none without token values."""
    ml, dl = result.explanations["ml"], result.explanations["dl"]
    columns = [t.column for t in (ml.tokens or dl.tokens)]
    if not columns:
        return []
    pick_column = Choice(
        "Text column", tuple(columns), lambda i: _column_blocks(result, columns[i], output), key="text_column",
    )
    return [Section(WORDS_TITLE, (pick_column,))]


def _column_blocks(result: Any, column: str, output: int) -> list[Block]:
    blocks: list[Block] = [
        Caption(_WORDS_CAPTION),
        Columns(tuple(
            (Chart(token_bars(result.explanations[family], family, column, output), key=f"token_bars_{family}"),)
            for family in _FAMILIES
        )),
        Heading(DOCUMENT_TITLE),
    ]
    if not rows_kept(result):
        return [*blocks, Note(ROWS_NOT_KEPT)]
    rows = result.explained_rows
    documents = [str(text) for text in rows[column].fillna("")]

    def describe(i: int) -> str:
        text = " ".join(documents[i].split())
        return f"row {rows.index[i]}: {text[:80]}{'…' if len(text) > 80 else ''}"

    labels = tuple(describe(i) for i in range(len(documents)))
    pick_document = Choice(
        "Document", labels, lambda i: _document_blocks(result, column, documents[i], i), key="text_document",
    )
    return [*blocks, pick_document]


def _document_blocks(result: Any, column: str, document: str, i: int) -> list[Block]:
    """Document ``i`` of the explained rows, coloured word by word for each model's own prediction."""
    position = result.split.explained_positions[i]
    sides = []
    for family in _FAMILIES:
        explanation = result.explanations[family]
        predicted = getattr(result, family).predictions[position]
        shown = wording.format_number(predicted) if isinstance(predicted, float) else str(predicted)
        side: list[Block] = [Line(f"predicts {shown}", strong=wording.side_name(family))]
        attribution = attribution_for(explanation, column)
        if attribution is None:
            side.append(Caption("No token values for this column."))
        else:
            direction, sign = prediction_direction(result.classes, predicted)
            values = attribution.values[i][:, direction] if attribution.values[i].ndim == 2 else attribution.values[i]
            side.append(Html(highlighted_document(document, attribution.tokens[i], values, sign)))
        sides.append(tuple(side))
    return [Caption(_DOCUMENT_CAPTION), Columns(tuple(sides))]
