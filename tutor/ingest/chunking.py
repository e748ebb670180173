"""Heading-aware chunks with breadcrumbs and source spans.

A chunk never spans two sections (any heading starts a new one) and fits the embedder's window: lengths are
measured in the embedder's own word pieces (all-MiniLM-L6-v2 silently truncates past 256), title and
breadcrumb included, because that is what gets embedded. Paragraphs are packed whole; a paragraph too long
on its own is split by LangChain's recursive splitter with the same token measure.

A section that ends on a lead-in ("Here are five simple tips:") whose list is its subsections' headings
("### 1. Be Specific", "### 2. Give Context") gets those headings as a list after the lead-in, as the lesson
reads on screen: alone, its last chunk said "tips:" and nothing more, and a question on the tips found only
one tip per passage. The list is the headings' own words; the chunk's file span stays that of its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from langchain_text_splitters import RecursiveCharacterTextSplitter

from tutor.ingest.lessons import Lesson
from tutor.ingest.mdx import Block

CHUNKER_VERSION = "4"  # bump when chunk boundaries change: the index re-embeds every lesson
TokenLen = Callable[[str], int]  # word pieces of a text, special tokens excluded


@dataclass(frozen=True)
class Chunk:
    id: str
    lesson_id: str
    lesson_hash: str
    program: str
    language: str
    slug: str
    title: str
    path: str
    breadcrumb: str  # "Lesson > Section > Subsection"
    anchor: str  # heading anchor of the section, "" for the lesson's opening text
    start: int  # character span in the source file, end exclusive
    end: int
    text: str  # the passage as shown to learners and the LLM

    @property
    def embed_text(self) -> str:
        return f"{self.breadcrumb}\n{self.text}"

    @property
    def is_overview(self) -> bool:
        return is_overview(self.breadcrumb, self.title, self.text)

    def metadata(self) -> dict[str, str | int]:
        return {
            "lesson_id": self.lesson_id,
            "lesson_hash": self.lesson_hash,
            "program": self.program,
            "language": self.language,
            "slug": self.slug,
            "title": self.title,
            "path": self.path,
            "breadcrumb": self.breadcrumb,
            "anchor": self.anchor,
            "start": self.start,
            "end": self.end,
        }

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, m: dict) -> Chunk:
        return cls(
            chunk_id,
            str(m["lesson_id"]),
            str(m["lesson_hash"]),
            str(m["program"]),
            str(m["language"]),
            str(m["slug"]),
            str(m["title"]),
            str(m["path"]),
            str(m["breadcrumb"]),
            str(m["anchor"]),
            int(m["start"]),
            int(m["end"]),
            text,
        )


class Piece(NamedTuple):
    """A chunk's text and place before it gets its lesson's identity."""

    breadcrumb: str
    anchor: str
    start: int  # character span in the source file, end exclusive
    end: int
    text: str


def anchor_of(heading: str) -> str:
    """GitHub-style heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", heading.strip().lower()))


OUTLINE = 1  # 1: a section ending on a lead-in ":" gets its subsections' headings as a list (0: off)


def _sections(lesson: Lesson) -> list[tuple[list[str], str, list[Block]]]:
    """(headings below the title, anchor, body blocks) per section with a body, in file order; a section
    ending on a lead-in gets the outline of its subsections as a last block (`_outline`)."""
    stack: list[tuple[int, str]] = []
    out: list[tuple[list[str], str, list[Block]]] = [([], "", [])]
    for block in lesson.blocks:
        if block.kind != "heading":
            out[-1][2].append(block)
            continue
        if block.level == 1:
            stack = []  # the lesson's own title; the breadcrumb starts with it anyway
            out.append(([], anchor_of(block.text), []))
            continue
        stack = [(lvl, t) for lvl, t in stack if lvl < block.level] + [(block.level, block.text)]
        out.append(([t for _, t in stack], anchor_of(block.text), []))
    if OUTLINE:
        for i, (headings, _, blocks) in enumerate(out):
            outline = _outline(headings, blocks, out[i + 1 :])
            if outline:
                blocks.append(outline)
    return [s for s in out if s[2]]


def _outline(headings: list[str], blocks: list[Block], after: list[tuple[list[str], str, list[Block]]]) -> Block | None:
    """The headings of a section's direct subsections as a list block, when its text ends on a lead-in (":")
    and they follow it; None otherwise. The block has no span of its own: it sits at the lead-in's end."""
    if not blocks or blocks[-1].kind != "text" or not blocks[-1].text.rstrip().endswith(":"):
        return None
    depth = len(headings)
    children = []
    for sub, _, _ in after:
        if len(sub) <= depth or sub[:depth] != headings:
            break  # past the section
        if len(sub) == depth + 1:
            children.append(sub[-1])
    if not children:
        return None
    end = blocks[-1].end
    return Block("text", "\n".join(f"- {h}" for h in children), end, end)


def chunk_lesson(lesson: Lesson, token_len: TokenLen, max_tokens: int) -> list[Chunk]:
    """Split one lesson into chunks of at most `max_tokens` word pieces (+2 special tokens)."""
    pieces: list[Piece] = []
    overview = _overview(lesson, token_len, max_tokens)
    if overview:
        pieces.append(overview)
    for headings, anchor, blocks in _sections(lesson):
        breadcrumb = " > ".join([lesson.title, *headings])
        budget = max(16, max_tokens - 2 - token_len(breadcrumb) - 1)
        group: list[Block] = []
        used = 0
        for block in blocks:
            n = token_len(block.text)
            if block.start == block.end and (not group or used + n > budget):
                continue  # an outline (`_outline`) only goes with its lead-in, never alone
            if group and used + n > budget:
                pieces.append(_join(breadcrumb, anchor, group))
                group, used = [], 0
            if n > budget:
                pieces.extend(_split_long(lesson.source, breadcrumb, anchor, block, budget, token_len))
                continue
            group.append(block)
            used += n
        if group:
            pieces.append(_join(breadcrumb, anchor, group))
    return [
        Chunk(
            f"{lesson.id}#{lesson.content_hash}:{i}",
            lesson.id,
            lesson.content_hash,
            lesson.program,
            lesson.language,
            lesson.slug,
            lesson.title,
            lesson.path,
            p.breadcrumb,
            p.anchor,
            p.start,
            p.end,
            p.text,
        )
        for i, p in enumerate(pieces)
    ]


def is_overview(breadcrumb: str, title: str, text: str) -> bool:
    """Whether a passage is the lesson-level one `_overview` writes (description and section list): it
    signposts a lesson and answers what the lesson covers, not a question about its content."""
    return breadcrumb == title and "Sections: " in text


def _overview(lesson: Lesson, token_len: TokenLen, max_tokens: int) -> Piece | None:
    """A lesson-level passage: title, description and section headings. Questions about what a lesson
    covers match it, and it lifts the lesson as a whole in the ranking."""
    description = str(lesson.meta.get("description") or "").strip()
    sections = [b.text for b in lesson.blocks if b.kind == "heading" and b.level == 2]
    if not description and not sections:
        return None
    text = " ".join(x for x in (description, "Sections: " + "; ".join(sections) + "." if sections else "") if x)
    while sections and token_len(f"{lesson.title}\n{text}") + 3 > max_tokens:
        sections.pop()
        text = " ".join(x for x in (description, "Sections: " + "; ".join(sections) + "." if sections else "") if x)
    heading_end = next((b.start for b in lesson.blocks), len(lesson.source))
    return Piece(lesson.title, "", 0, max(1, heading_end), text)


def _join(breadcrumb: str, anchor: str, group: list[Block]) -> Piece:
    return Piece(breadcrumb, anchor, group[0].start, group[-1].end, "\n\n".join(b.text for b in group))


def _split_long(
    source: str, breadcrumb: str, anchor: str, block: Block, budget: int, token_len: TokenLen
) -> list[Piece]:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=budget,
        chunk_overlap=min(24, budget // 8),
        length_function=token_len,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
    )
    out: list[Piece] = []
    for doc in splitter.create_documents([block.text]):
        text = doc.page_content.strip()
        # locate the piece in the source; labels and dropped emoji make block text differ slightly
        found = source.find(text[:60], block.start, block.end)
        start = found if found >= 0 else block.start + int(doc.metadata.get("start_index", 0))
        end = min(block.end, start + len(text))
        out.append(Piece(breadcrumb, anchor, start, max(end, start + 1), text))
    return out
