"""One reader per lesson format: a file's bytes -> the text as read, its frontmatter, blocks and quiz items.

- `.md`, `.mdx`: tutor.ingest.mdx, the text being the file's own.
- `.txt`: plain text (tutor.ingest.plaintext): inferred headings, a saved page's site chrome left out, helped by
  the lines it shares with the other `.txt` pages of its folder (`shared`).
- `.html`, `.htm`: a saved web page; tutor.ingest.webpage keeps the lesson as Markdown, read by mdx.
- `.pdf`: each page's text (tutor.ingest.pdf), read as plain text with its page as each passage's place.
- `.ipynb`: a notebook's markdown cells as text and code cells as code blocks (tutor.ingest.notebook).

For all but `.md`/`.mdx`/`.txt` the text as read is not the file's: passages' spans index into it, and the
lesson's content hash is taken over it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tutor.errors import LessonError
from tutor.ingest.mdx import Block, Quiz, parse_lesson
from tutor.ingest.notebook import notebook_markdown
from tutor.ingest.plaintext import parse_plain

BINARY = (".pdf",)  # not decoded as text; its NUL bytes are no sign of a mistake
PAGE_BREAK = "\n\f\n"  # between a PDF's pages in the text as read

Parsed = tuple[str, dict[str, Any], list[Block], list[Quiz]]  # (text as read, frontmatter, blocks, quizzes)


def decode(data: bytes, rel: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LessonError(rel, "not valid UTF-8; re-save the file as UTF-8", line) from None


def read_format(suffix: str, data: bytes, rel: str, shared: Iterable[str] = ()) -> Parsed:
    """Parse one lesson file of any supported format (see the module docstring)."""
    suffix = suffix.lower()
    if suffix == ".pdf":
        from tutor.ingest.pdf import pdf_pages  # imported when needed: pypdf and trafilatura take 0.5 s

        pages = pdf_pages(data, rel)
        starts, text = [], ""
        for page in pages:
            text += PAGE_BREAK if text else ""
            starts.append(len(text))
            text += page
        if not text.strip():
            raise LessonError(rel, "the PDF has no text (scanned pages?); run OCR on it or add a text version")
        return text, {}, parse_plain(text, pages=starts), []
    text = decode(data, rel)
    if suffix == ".txt":
        return text, {}, parse_plain(text, shared), []
    if suffix in (".html", ".htm"):
        from tutor.ingest.webpage import page_markdown

        text = page_markdown(text)
        if not text.strip():
            raise LessonError(rel, "no lesson text found in the page; save the lesson's page itself, or as .txt")
    elif suffix == ".ipynb":
        text = notebook_markdown(text, rel)
    meta, blocks, quizzes = parse_lesson(text, rel)
    return text, meta, blocks, quizzes
