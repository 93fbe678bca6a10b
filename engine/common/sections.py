"""A kind's own sections of the Explanations page and the report, described once, drawn by both.

A data kind (``engine.registry.DataKindSpec.explanation_sections``) returns
:class:`Section` objects built from the blocks below: pure descriptions (text,
Plotly figures, HTML fragments and choices), no Streamlit. The page draws them
with widgets (``views/sections.py``); the report draws the same blocks as
static HTML, each choice at its default. So a kind's views are written once and
neither the page nor the report names a kind.

Escaping: every ``str`` field except :attr:`Html.html` is plain text, made inert
by whoever draws it (Markdown escaping on the page, ``html.escape`` in the
report). :attr:`Html.html` is markup its builder has already escaped piece by
piece; figures carry their text escaped (``engine.figures.base.safe_text``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence, Union

__all__ = ["Heading", "Caption", "Note", "Line", "Chart", "Html", "Columns", "Choice", "Block", "Section"]


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section (plain text)."""

    text: str


@dataclass(frozen=True)
class Caption:
    """A line of small explanatory text (plain text)."""

    text: str


@dataclass(frozen=True)
class Note:
    """A notice the reader should not miss (plain text), e.g. that the rows were not kept."""

    text: str


@dataclass(frozen=True)
class Line:
    """A line of body text led by a bold part, e.g. "**Classic ML** predicts spam" (both plain text)."""

    text: str
    strong: str = ""


@dataclass(frozen=True)
class Chart:
    """A Plotly figure; ``key`` identifies it on the page (unique within the page)."""

    figure: Any
    key: str


@dataclass(frozen=True)
class Html:
    """An HTML fragment whose every user-controlled piece its builder escaped (no script: the page sanitises it too)."""

    html: str


@dataclass(frozen=True)
class Columns:
    """Blocks side by side, one tuple of blocks per column (typically classic ML left, deep learning right)."""

    columns: tuple[tuple["Block", ...], ...]


@dataclass(frozen=True)
class Choice:
    """A choice the reader makes (which text column, which document, which images), and what each option shows.

    ``render(index)`` returns the blocks for ``options[index]``; it is called
    only for the chosen option, so a kind may describe many options cheaply.
    With one option no widget is drawn. ``style``: "select" (a drop-down),
    "radio" (buttons in a row) or "number" (a number input over 1..len(options)
    in steps of ``step``, for paging). ``key`` identifies the widget on the page
    (its value survives reruns). The report shows ``options[default]``.
    """

    label: str
    options: tuple[str, ...]
    render: Callable[[int], Sequence["Block"]]
    key: str
    style: Literal["select", "radio", "number"] = "select"
    default: int = 0
    step: int = 1


Block = Union[Heading, Caption, Note, Line, Chart, Html, Columns, Choice]


@dataclass(frozen=True)
class Section:
    """One titled section a kind adds to the Explanations page and the report, above the per-column views."""

    title: str
    blocks: tuple[Block, ...]
