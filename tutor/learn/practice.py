"""Quiz practice: the lessons' own quiz items, one round at a time, checked with the lesson's support.

Items come from the index manifest (`LessonEntry.quizzes`), never from re-reading lesson files. A learner
sees a `QuizItem` (question and options, no key); `Practice.check` returns `Feedback`: right or wrong, the
key, the authored explanation and the lesson passage that supports the key, found by searching the
lesson with the question plus the key option, its best-matching sentences marked in `highlights`.
`Round` is the pure state of one round: wrong items come back once at its end.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from tutor.errors import QuizNotFound
from tutor.events import Source
from tutor.models.ports import Embedder
from tutor.search.retriever import Filters, Passage, Retriever
from tutor.store.chroma import ChunkStore

log = logging.getLogger(__name__)

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[*]*[A-Z0-9])|\n+")
SUPPORT_CANDIDATES = 4  # passages of the lesson searched for the one that supports the key
HIGHLIGHT_SENTENCES = 2  # at most this many sentences of the supporting passage are marked:
HIGHLIGHT_MARGIN = 0.1  # the closest one, and the next if its cosine to the query is within this margin


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences and lines of `text`, end exclusive."""
    spans, pos = [], 0
    for m in SENTENCE_END.finditer(text):
        if text[pos : m.start()].strip():
            spans.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        spans.append((pos, len(text.rstrip())))
    return spans


def source_of(p: Passage) -> Source:
    """A retrieved passage as the typed value the edges render (number 0: not a numbered prompt passage)."""
    return replace(p.source(), number=0)


@dataclass(frozen=True)
class QuizItem:
    """What the learner may see before answering: no key, no explanation."""

    lesson_id: str
    number: int  # 1-based, in the lesson's file order
    question: str
    options: tuple[str, ...]
    title: str  # the lesson's title

    @property
    def ref(self) -> tuple[str, int]:
        return self.lesson_id, self.number

    def to_json(self) -> dict[str, Any]:
        return {
            "lesson_id": self.lesson_id,
            "item": self.number,
            "title": self.title,
            "question": self.question,
            "options": list(self.options),
        }


@dataclass(frozen=True)
class Feedback:
    item: QuizItem
    choice: int  # 0-based
    correct: bool
    key: int  # 0-based
    explanation: str
    passage: Source | None  # the lesson passage that supports the key, with highlights

    @property
    def key_option(self) -> str:
        return self.item.options[self.key]

    def to_json(self) -> dict[str, Any]:
        """For scripts: choice and key count from 1, like the item numbers."""
        p = self.passage
        passage = (
            None
            if p is None
            else {
                "lesson_id": p.lesson_id,
                "title": p.title,
                "path": p.path,
                "breadcrumb": p.breadcrumb,
                "anchor": p.anchor,
                "start": p.start,
                "end": p.end,
                "text": p.text,
                "highlights": [list(h) for h in p.highlights],
            }
        )
        return {
            **self.item.to_json(),
            "choice": self.choice + 1,
            "correct": self.correct,
            "key": self.key + 1,
            "key_option": self.key_option,
            "explanation": self.explanation,
            "passage": passage,
        }


class Practice:
    """Quiz items and their checking over one index; stateless between calls, so one serves every learner."""

    def __init__(self, store: ChunkStore, retriever: Retriever, embedder: Embedder):
        self.store = store
        self.retriever = retriever
        self.embedder = embedder

    def items(self, lesson_id: str) -> list[QuizItem]:
        m = self.store.require()
        e = m.lessons.get(lesson_id)
        if e is None:
            raise QuizNotFound(f"no lesson {lesson_id!r} in the index; `tutor lessons` lists the lesson ids")
        return [
            QuizItem(lesson_id, i, str(q["question"]), tuple(map(str, q["options"])), e.title)
            for i, q in enumerate(e.quizzes, start=1)
        ]

    def check(self, lesson_id: str, number: int, choice: int) -> Feedback:
        """Check `choice` (0-based) for item `number` of the lesson; the supporting passage comes with it."""
        items = self.items(lesson_id)
        if not 1 <= number <= len(items):
            raise QuizNotFound(f"lesson {lesson_id} has {len(items)} quiz items; item {number} does not exist")
        item = items[number - 1]
        if not 0 <= choice < len(item.options):
            raise QuizNotFound(f"item {number} of {lesson_id} has options 1 to {len(item.options)}; choose one")
        q = self.store.require().lessons[lesson_id].quizzes[number - 1]
        key = int(q["answer"])
        return Feedback(item, choice, choice == key, key, str(q.get("explanation") or ""), self.support(item, key))

    def check_item(self, lesson_ids: list[str], exclude: Collection[tuple[str, int]] = ()) -> QuizItem | None:
        """The item to offer as "Check yourself" after an answer resting on `lesson_ids` (best first): from
        the first of them with quiz items, its first item not in `exclude` (already offered or known)."""
        lessons = self.store.require().lessons
        for lid in lesson_ids:
            fresh = [it for it in (self.items(lid) if lid in lessons else []) if it.ref not in exclude]
            if fresh:
                return fresh[0]
        return None

    def support(self, item: QuizItem, key: int) -> Source | None:
        """The lesson passage closest to the question together with its key option, with the sentences that
        match best marked. The lesson overview (title, description, section list; it starts at offset 0)
        is passed over when the lesson has other passages."""
        query = f"{item.question} {item.options[key]}" if 0 <= key < len(item.options) else item.question
        r = self.retriever.search(query, Filters(lesson=item.lesson_id), k=SUPPORT_CANDIDATES)
        passages = [p for p in r.passages if p.chunk.start > 0] or r.passages
        if not passages:
            return None
        best = max(passages, key=lambda p: p.score)
        c, src = best.chunk, source_of(best)
        spans = sentence_spans(c.text)
        if spans:
            vecs = self.embedder.embed([c.text[a:b] for a, b in spans] + [query])
            sims = vecs[:-1] @ vecs[-1]
            best_j = np.argsort(-sims)[:HIGHLIGHT_SENTENCES]
            src.highlights = sorted(spans[int(j)] for j in best_j if sims[j] >= sims[best_j[0]] - HIGHLIGHT_MARGIN)
        return src


@dataclass
class Round:
    """One practice round: items in order, each wrong one asked again once after the others."""

    queue: list[QuizItem]
    total: int
    right_first_try: int = 0
    retries: set[tuple[str, int]] = field(default_factory=set)  # items queued again
    missed: list[QuizItem] = field(default_factory=list)  # wrong on the first try
    answered: int = 0

    @classmethod
    def start(cls, items: list[QuizItem]) -> Round:
        if not items:
            raise QuizNotFound("no quiz items to practise here; pick a lesson that has a quiz")
        return cls(list(items), len(items))

    @property
    def current(self) -> QuizItem | None:
        return self.queue[0] if self.queue else None

    @property
    def is_retry(self) -> bool:
        """The current item is a missed one asked again (its answer does not change the score)."""
        return bool(self.queue) and self.queue[0].ref in self.retries

    @property
    def done(self) -> bool:
        return not self.queue

    def answer(self, feedback: Feedback) -> None:
        item = self.queue.pop(0)
        if item.ref != feedback.item.ref:
            raise ValueError(f"answered {feedback.item.ref}, but the current item is {item.ref}")
        self.answered += 1
        if item.ref in self.retries:
            return
        if feedback.correct:
            self.right_first_try += 1
        else:
            self.missed.append(item)
            self.retries.add(item.ref)
            self.queue.append(item)

    def summary(self) -> dict[str, Any]:
        return {"right": self.right_first_try, "total": self.total, "missed": [asdict(i) for i in self.missed]}
