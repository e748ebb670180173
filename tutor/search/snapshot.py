"""The live chunks of one manifest generation, held in memory with everything derived from them.

A `Snapshot` holds every live chunk, its unit vector (a float32 matrix, 154 MB at 100k chunks of 384
dimensions), per-row codes of the filter fields, the BM25 index, each language's common words, the
lessons' acronym glossary and their spellings. The retriever (tutor/search/retriever.py) keeps one and
reloads it when the manifest generation changes; nothing here reads the store.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tutor.ingest.chunking import Chunk
from tutor.search import acronyms
from tutor.search.keywords import KeywordIndex
from tutor.search.spelling import Spelling
from tutor.text.words import WORD, code, guess_language, same_script

if TYPE_CHECKING:  # the filters live with the retriever; the snapshot only reads their fields
    from tutor.search.retriever import Filters

LANGUAGE_SAMPLE = 300  # passages per language read to learn its most common words
LANGUAGE_WORDS = 100  # a language's most common words that tell it apart (its function words, mostly)


@dataclass
class Snapshot:
    """The live chunks of one manifest generation, with everything derived from them."""

    generation: int = -1
    collection: str = ""
    chunks: list[Chunk] = field(default_factory=list)
    row: dict[str, int] = field(default_factory=dict)  # chunk id -> row
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))  # (n, dim) unit rows
    columns: dict[str, tuple[dict[str, int], np.ndarray]] = field(default_factory=dict)  # field -> codes, per row
    keywords: KeywordIndex | None = None
    language_words: dict[str, frozenset[str]] = field(default_factory=dict)
    glossary: acronyms.Glossary = field(default_factory=acronyms.Glossary)  # the lessons' acronyms (search/acronyms.py)
    spelling: Spelling = field(default_factory=lambda: Spelling(()))  # the lessons' words, built on first use

    @classmethod
    def of(cls, generation: int, collection: str, chunks: list[Chunk], matrix: np.ndarray) -> Snapshot:
        """The snapshot of `chunks` (with their unit vectors, one row each, in `matrix`)."""
        return cls(
            generation,
            collection,
            chunks,
            {c.id: i for i, c in enumerate(chunks)},
            matrix,
            {name: _codes([getattr(c, name) for c in chunks]) for name in ("program", "lesson_id", "language")},
            KeywordIndex([c.embed_text for c in chunks], [c.language for c in chunks]),
            _common_words(chunks),
            acronyms.glossary(c.text for c in chunks),
            Spelling([c.embed_text for c in chunks]),
        )

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Rows the filters let through (None: all)."""
        mask = None
        wanted = (("program", filters.program), ("lesson_id", filters.lesson), ("language", filters.language))
        for name, value in wanted:
            if value:
                codes, per_row = self.columns[name]
                hit = per_row == codes.get(value, -1)
                mask = hit if mask is None else mask & hit
        return mask

    @functools.cached_property
    def by_lessons(self) -> list[str]:
        """The lessons' languages, the one most lessons are written in first (English first on a tie, then by
        code)."""
        lessons: dict[str, set[str]] = {}
        for c in self.chunks:
            lessons.setdefault(c.language, set()).add(c.lesson_id)
        return sorted(lessons, key=lambda lang: (-len(lessons[lang]), code(lang) != "en", lang))

    @property
    def main_language(self) -> str | None:
        """The language most of the lessons are written in; None when there are none."""
        return self.by_lessons[0] if self.by_lessons else None

    @property
    def languages(self) -> frozenset[str]:
        """The languages the live lessons are written in."""
        return frozenset(self.language_words)

    def readable_languages(self, language: str) -> list[str]:
        """For a question in `language`, which no lesson is written in: the lessons' languages after the main
        one that are written in its script, most lessons first (a Spanish learner reads French before Hindi)."""
        return [lang for lang in self.by_lessons[1:] if same_script(lang, language)]

    def has_lesson(self, lesson_id: str) -> bool:
        """Whether the live index holds the lesson."""
        return lesson_id in self.columns.get("lesson_id", ({}, None))[0]

    def reading_language(self, language: str | None) -> str | None:
        """The language a question's terms are read in (search/keywords.py `query_language`)."""
        return self.keywords.query_language(language) if self.keywords else language

    def language_of(self, text: str) -> str | None:
        """The language `text` is written in: a language the lessons lack when its script or function words
        tell it (a Spanish question in a course in English and French: tutor/text/words.py `guess_language`),
        else the lesson language whose most common words in the passages it uses most; None when the snapshot
        holds one language (and `text` is in it or does not tell) or no language wins."""
        guess = guess_language(text)
        if guess and guess not in {code(lang) for lang in self.language_words}:
            return guess
        words = self.language_words
        if len(words) < 2:
            return None
        tokens = WORD.findall(text.lower())
        hits = sorted((sum(w in common for w in tokens), lang) for lang, common in words.items())
        (second, _), (best, lang) = hits[-2], hits[-1]
        return lang if best > second else None


def _codes(values: list[str]) -> tuple[dict[str, int], np.ndarray]:
    """Each distinct value's number, and the number per row (for vectorised filters)."""
    codes: dict[str, int] = {}
    return codes, np.fromiter((codes.setdefault(v, len(codes)) for v in values), np.int32, len(values))


def _common_words(chunks: list[Chunk]) -> dict[str, frozenset[str]]:
    """Per language, its LANGUAGE_WORDS most frequent words over up to LANGUAGE_SAMPLE of its passages."""
    counts: dict[str, Counter[str]] = {}
    seen: Counter[str] = Counter()
    for c in chunks:
        if seen[c.language] < LANGUAGE_SAMPLE:
            seen[c.language] += 1
            counts.setdefault(c.language, Counter()).update(WORD.findall(c.text.lower()))
    return {lang: frozenset(w for w, _ in n.most_common(LANGUAGE_WORDS)) for lang, n in counts.items()}
