"""Draws a kind's sections (:mod:`engine.common.sections`) with Streamlit: the page never names a kind.

Every plain-text field is Markdown-escaped (:func:`views.state.esc`) here;
HTML fragments go through ``st.html`` (sanitised again by the front end;
``unsafe_allow_html`` is never used); widget options are plain text already.
"""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from engine.common.sections import Block, Caption, Chart, Choice, Columns, Heading, Html, Line, Note, Section
from views import state

__all__ = ["draw"]


def draw(sections: Sequence[Section]) -> None:
    """Each section: its title as a sub-heading, then its blocks in order."""
    for section in sections:
        st.subheader(state.esc(section.title))
        draw_blocks(section.blocks)


def draw_blocks(blocks: Sequence[Block]) -> None:
    for block in blocks:
        _draw_block(block)


def _draw_block(block: Block) -> None:
    if isinstance(block, Heading):
        st.subheader(state.esc(block.text))
    elif isinstance(block, Caption):
        st.caption(state.esc(block.text))
    elif isinstance(block, Note):
        st.info(state.esc(block.text), icon=":material/info:")
    elif isinstance(block, Line):
        st.markdown((f"**{state.esc(block.strong)}** " if block.strong else "") + state.esc(block.text))
    elif isinstance(block, Chart):
        st.plotly_chart(block.figure, key=block.key)
    elif isinstance(block, Html):
        st.html(block.html)
    elif isinstance(block, Columns):
        for container, blocks in zip(st.columns(len(block.columns), gap="large"), block.columns):
            with container:
                draw_blocks(blocks)
    elif isinstance(block, Choice):
        if block.options:
            draw_blocks(block.render(_chosen(block)))
    else:
        raise TypeError(f"not a section block: {type(block).__name__}")


def _chosen(choice: Choice) -> int:
    """The option the reader picks (no widget for a single option)."""
    count = len(choice.options)
    if count == 1:
        return 0
    label = state.esc(choice.label)
    if choice.style == "number":
        first = st.number_input(
            label, min_value=1, max_value=count, value=choice.default + 1, step=choice.step, key=choice.key,
        )
        return min(max(int(first), 1), count) - 1
    if choice.style == "radio":
        picked = st.radio(label, range(count), index=choice.default, format_func=choice.options.__getitem__,
                          horizontal=True, key=choice.key)
    else:
        picked = st.selectbox(label, range(count), index=choice.default, format_func=choice.options.__getitem__,
                              key=choice.key)
    return int(picked or 0)
