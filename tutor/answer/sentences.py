"""Sentences and words of lesson and answer text: the units that key sentences and attribution work on.

A passage is cut into units with character spans into it (end exclusive): a prose sentence, one list item,
a heading or a table row. Each unit knows its block (paragraph or list), so a list item can bring the
sentence that introduces the list, and a sentence that opens with "This" or a pronoun can bring the one
before it. Words are compared as the keyword search compares them (tutor/text/words.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.text import segment
from tutor.text.words import glue_words, stem_set

SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]*_]*\s+(?=[\"'(\[*_]*[A-Z0-9])")
ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
HEADING = re.compile(r"^\s*#{1,6}\s")
TABLE = re.compile(r"^\s*\|")
TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")  # the |---|---| line under a table's header
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    kind: str  # "sentence" | "item" | "heading" | "table"
    block: int  # index of the paragraph or list it belongs to

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def units(text: str, language: str = "en") -> list[Unit]:
    """The units of a passage, in order. Blocks are separated by blank lines; inside a block, lines that
    start like list items are items, other lines are prose split into sentences by `language`'s rules."""
    out: list[Unit] = []
    block = -1
    prose: list[tuple[int, int]] = []  # consecutive prose lines of the current block

    def flush() -> None:
        if prose:
            spans = split_sentences(text, prose[0][0], prose[-1][1], language)
            out.extend(Unit(a, b, "sentence", block) for a, b in spans)
            prose.clear()

    pos, blank = 0, True
    for line in text.splitlines(keepends=True):
        start, end = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        if not line.strip():
            flush()
            blank = True
            continue
        if blank:
            block += 1
            blank = False
        lead = len(line) - len(line.lstrip())
        if HEADING.match(line):
            flush()
            out.append(Unit(start + lead, end, "heading", block))
        elif TABLE.match(line):
            flush()
            out.append(Unit(start + lead, end, "table", block))
        elif ITEM.match(line):
            flush()
            out.append(Unit(start + lead, end, "item", block))
        elif out and out[-1].kind == "item" and out[-1].block == block and not prose and lead:
            out[-1] = Unit(out[-1].start, end, "item", block)  # an item's wrapped continuation line
        else:
            prose.append((start + lead, end))
    flush()
    return [u for u in out if text[u.start : u.end].strip()]


def split_sentences(text: str, start: int = 0, end: int | None = None, language: str = "en") -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text[start:end]`, line breaks inside it read as spaces
    (tutor/text/segment.py: sentencex with Markdown repairs, by `language`'s rules)."""
    return segment.sentence_spans(text, start, end, language)


def answer_sentences(text: str) -> list[str]:
    """The sentences of generated text, list items and lines included, stripped."""
    return [text[u.start : u.end].strip() for u in units(text) if u.kind != "table"]


def names_and_numbers(text: str) -> set[str]:
    """Words that state a specific fact: numbers, and capitalised words that do not open the sentence
    (names, acronyms), stemmed like `content_words`."""
    out: set[str] = set()
    for i, m in enumerate(WORD.finditer(text)):
        w = m.group()
        if any(ch.isdigit() for ch in w) or (i > 0 and w[0].isupper() and w.lower() not in glue_words()):
            out |= stem_set(w)
    return out


def clean(text: str) -> str:
    """Display text of a unit: list markers, call-out labels and emphasis marks removed, spaces folded."""
    text = ITEM.sub("", text.strip())
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<!\w)[*_](\S.*?)[*_](?!\w)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()
