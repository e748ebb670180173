"""Lesson passages as safe HTML: their markdown (bold, lists, tables, code) rendered, their raw HTML shown
as text, no image or link built from them, and the sentences that support an answer wrapped in <mark>.

markdown-it-py in CommonMark mode with `html` off escapes every tag a lesson holds; images, links and
autolinks are switched off, so nothing in a passage can make the browser fetch a URL.
"""

from __future__ import annotations

from collections.abc import Iterable

from markdown_it import MarkdownIt

OPEN, CLOSE = "\ue000", "\ue001"  # private-use marks for highlight bounds, replaced after rendering

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_md.disable(["image", "link", "autolink", "html_inline", "html_block"])


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
    rendered = _md.render("".join(marked))
    return rendered.replace(OPEN, "<mark>").replace(CLOSE, "</mark>").replace("<mark></mark>", "")
