"""HTML and images inside Markdown, read as the rendered page reads: text, never raw tags.

Lessons written for GitHub mix HTML into Markdown: `<img alt>` and `![alt](...)` become image descriptions
("Image: alt."), `<br>` a line break, `<a>`, `<sup>`, `<summary>` and other inline tags their text (`10<sup>9</sup>`
reads "10^9"), an HTML table one "| cell | cell |" line per row (as a Markdown table reads), `<h2>` a heading,
and comments and tags with nothing to read (`<details>`, `<p align="center">`) go. Only known HTML tag names
are touched, so "List<String>" or "a < b" stay as written; inline code (`<br>`) is left alone. Pure text work
over one paragraph at a time (tutor.ingest.mdx calls `read_paragraph`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

TAGS = [  # only these are read as HTML: "List<String>" stays as written
    *("a", "abbr", "b", "big", "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd"),
    *("del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "font", "h1", "h2", "h3", "h4", "h5"),
    *("h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "picture", "pre", "q", "s", "small", "source"),
    *("span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr"),
    *("tt", "u", "ul", "video", "audio", "iframe", "section", "article"),
]
TAG = re.compile(rf"</?(?:{'|'.join(TAGS)})\b(?:[^<>\"']|\"[^\"]*\"|'[^']*')*/?>", re.I)
COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
MD_IMAGE = re.compile(r"!\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)|!\[([^\]]*)\]\[[^\]]*\]")
IMG = re.compile(r"<img\b(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>", re.I)
ALT = re.compile(r"\balt\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
EMPTY_LINK = re.compile(r"\[\s*\]\((?:[^()]|\([^()]*\))*\)")  # what a linked image leaves: [](url)
TABLE = re.compile(r"<table\b.*?(</table>|$)", re.I | re.S)
ROW = re.compile(r"<tr\b.*?(?=<tr\b|</table>|$)", re.I | re.S)
CELL = re.compile(r"<t[hd]\b[^>]*>(.*?)(?=<t[hd]\b|</tr>|$)", re.I | re.S)
HEADING = re.compile(r"^<h([1-6])\b[^>]*>(.*?)</h\1>$", re.I | re.S)
CODE_SPAN = re.compile(r"(`+)[^`]*?\1")
BREAKS = re.compile(r"<br\s*/?>|</?(?:p|div|li|tr|dt|dd|summary|figcaption|blockquote|section|article)\b[^>]*>", re.I)


@dataclass(frozen=True)
class Read:
    """One paragraph as read: its text, the images' descriptions, and its heading level if it is an <hN>."""

    text: str
    images: list[str]
    level: int = 0


def has_markup(text: str) -> bool:
    return "<" in text or "![" in text or ("&" in text and ";" in text)


def read_paragraph(text: str) -> Read:
    """A Markdown paragraph with its HTML and images read as text (see the module docstring)."""
    if not has_markup(text):
        return Read(text, [])
    images: list[str] = []
    heading = HEADING.match(text.strip())
    if heading:
        title = re.sub(r"\s+", " ", _read_html(heading.group(2), images)).strip()
        return Read(title, images, int(heading.group(1)))
    out, pos = [], 0
    for m in CODE_SPAN.finditer(text):  # inline code is kept as written
        out += [_read_html(text[pos : m.start()], images), m.group(0)]
        pos = m.end()
    out.append(_read_html(text[pos:], images))
    body = "\n".join(re.sub(r"[ \t]{2,}", " ", line).strip() for line in "".join(out).splitlines())
    body = re.sub(r"\n{2,}", "\n", body).strip()
    return Read(body, images)


def _alt(tag: str) -> str:
    m = ALT.search(tag)
    return html.unescape(next((g for g in m.groups() if g), "")).strip() if m else ""


def _table(m: re.Match[str]) -> str:
    rows = []
    for row in ROW.finditer(m.group(0)):
        cells = [re.sub(r"\s+", " ", TAG.sub(" ", c.group(1))).strip() for c in CELL.finditer(row.group(0))]
        if any(cells):
            rows.append("| " + " | ".join(cells) + " |")
    return "\n" + "\n".join(rows) + "\n"


def _read_html(text: str, images: list[str]) -> str:
    text = COMMENT.sub("", text)
    for m in MD_IMAGE.finditer(text):
        images.append((m.group(1) or m.group(2) or "").strip())
    text = MD_IMAGE.sub("", text)
    for m in IMG.finditer(text):
        images.append(_alt(m.group(0)))
    text = IMG.sub("", text)
    text = EMPTY_LINK.sub("", text)
    images[:] = [a for a in images if a]
    text = TABLE.sub(_table, text)
    text = re.sub(r"<sup\b[^>]*>(.*?)</sup>", r"^\1", text, flags=re.I | re.S)
    text = BREAKS.sub("\n", text)
    return html.unescape(TAG.sub("", text))
