"""Lesson passages as safe HTML: their markdown (bold, lists, tables, code) rendered, their raw HTML shown
as text, no image or link built from them, and the sentences that support an answer wrapped in <mark>.

markdown-it-py in CommonMark mode with `html` off escapes every tag a lesson holds; a link shows as its words
and an image as its alt text (no `href`, no `src`), autolinks stay text, so nothing in a passage can make the
browser fetch a URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

OPEN, CLOSE = "\ue000", "\ue001"  # private-use marks for highlight bounds, replaced after rendering

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_md.disable(["autolink", "html_inline", "html_block"])
_md.add_render_rule("link_open", lambda *_: "")  # a link: its words only
_md.add_render_rule("link_close", lambda *_: "")
_md.add_render_rule(  # an image: its alt text, escaped (renderInlineAsText gives it raw)
    "image",
    lambda self, tokens, idx, options, env: escapeHtml(
        self.renderInlineAsText(tokens[idx].children or [], options, env)
    ),
)
# what opens a block at a line's start: a list item's bullet or number, a quotation's ">", a heading's "#",
# a table row's "|"; a highlight that starts a line must start after it, or the line reads as plain text
BLOCK_MARK = re.compile(
    r"^" + OPEN + r"([ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+|[ \t]*>[ \t]?|[ \t]*#{1,6}[ \t]+|[ \t]*\|)", re.M
)


def merged(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """(start, end) spans clipped to [0, length], sorted, overlaps joined, empty ones dropped."""
    out: list[list[int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if start >= end:
            continue
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def passage_html(text: str, spans: Iterable[tuple[int, int]] = ()) -> str:
    """`text` (a lesson passage) rendered from markdown, with the character spans highlighted."""
    text = text.replace(OPEN, "").replace(CLOSE, "")
    marked, pos = [], 0
    for start, end in merged(spans, len(text)):
        # a highlight stops at line ends, so a <mark> never spans two blocks (a list item, a table row)
        piece = text[start:end].replace("\n", CLOSE + "\n" + OPEN)
        marked += [text[pos:start], OPEN, piece, CLOSE]
        pos = end
    marked.append(text[pos:])
    rendered = _md.render(BLOCK_MARK.sub(lambda m: m.group(1) + OPEN, "".join(marked)))
    return rendered.replace(OPEN, "<mark>").replace(CLOSE, "</mark>").replace("<mark></mark>", "")
