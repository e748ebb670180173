"""Keep quiz keys out of the chat: recognise a question that is one of the quizzes' own, and pick an item
to offer as "Check yourself" after an answer.

`QuizGuard.match` compares a chat question with every quiz question in the manifest by cosine similarity of
their embeddings and by word overlap. A match means the chat should not answer (the answer would be the
key); `QuizGuard.hint` gives what to show instead: the lesson passage to read, with no marks in it, and a
hint naming the section. `tutor eval` searches with the quiz questions directly and never goes through here.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass

import numpy as np

from tutor.events import Source
from tutor.learn.practice import QuizItem, source_of
from tutor.models.ports import Embedder
from tutor.search.retriever import Filters, Retriever
from tutor.store.chroma import ChunkStore

log = logging.getLogger(__name__)

WORD = re.compile(r"\w+")
STOP = frozenset(
    WORD.findall("""
    a an the and or but of to in on at for with by from as is are was were be been being it its this that these
    those there their they them he she we you your do does did not no so than then can could will would should may
    might must has have had what which who whom how why when where also very more most such into about one
    some any all each other true false following best""")
)
# measured on the bundled course (docs/benchmarks.md, "Quiz guard"): reworded quiz questions score above
# these, the page's example questions and the evaluation's lesson questions below
SAME_QUESTION = 0.95  # cosine at or above which a question is a quiz question, if it also shares
SAME_WORDS = 0.4  # this many of its words (scripts the embedder does not know all embed alike)
CLOSE_QUESTION = 0.80  # cosine at or above which enough shared words make it one
SHARED_WORDS = 0.6  # share of content words in common (the smaller of the two directions)
STEM = 5  # words compared by their first 5 letters: "overfits" ~ "overfitting", "embeddings" ~ "embedding"


@dataclass(frozen=True)
class QuizMatch:
    item: QuizItem
    similarity: float  # cosine between the chat question and the quiz question
    overlap: float  # shared content words, the smaller share of the two questions


@dataclass(frozen=True)
class QuizHint:
    """What the chat shows for a quiz question: a passage to read and a hint, never the key."""

    item: QuizItem
    text: str
    passage: Source | None


def words(text: str) -> list[str]:
    """Lower-cased words split at white space, punctuation and symbols dropped; a word keeps its combining
    marks, so Devanagari or Telugu words stay whole (`\\w` would cut them at every vowel sign)."""
    kept = "".join(" " if unicodedata.category(ch)[0] in "PSZ" else ch for ch in text.lower())
    return kept.split()


def content_words(text: str) -> set[str]:
    return {w[:STEM] for w in words(text) if w not in STOP and len(w) > 2}


def overlap(a: str, b: str) -> float:
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return 0.0
    shared = len(wa & wb)
    return min(shared / len(wa), shared / len(wb))


class QuizGuard:
    def __init__(self, store: ChunkStore, embedder: Embedder, retriever: Retriever):
        self.store = store
        self.embedder = embedder
        self.retriever = retriever
        self._lock = threading.Lock()
        self._generation = -1
        self._items: list[QuizItem] = []
        self._vectors = np.zeros((0, 1), dtype=np.float32)

    def _index(self) -> tuple[list[QuizItem], np.ndarray]:
        """Every quiz question in the manifest and its embedding, rebuilt when the manifest changes."""
        m = self.store.require()
        with self._lock:
            if m.generation != self._generation:
                items = [
                    QuizItem(lid, i, str(q["question"]), tuple(map(str, q["options"])), e.title)
                    for lid, e in sorted(m.lessons.items())
                    for i, q in enumerate(e.quizzes, start=1)
                ]
                self._vectors = (
                    self.embedder.embed([it.question for it in items]) if items else np.zeros((0, 1), dtype=np.float32)
                )
                self._items, self._generation = items, m.generation
            return self._items, self._vectors

    def match(self, question: str, vector: np.ndarray | None = None) -> QuizMatch | None:
        """The quiz item `question` is (or closely rewords), or None. `vector`: the question's embedding if
        the caller already has it (saves one embedding)."""
        items, vecs = self._index()
        if not items or not question.strip():
            return None
        v = self.embedder.embed_one(question) if vector is None else vector
        sims = vecs @ v
        best: QuizMatch | None = None
        for j in np.flatnonzero(sims >= CLOSE_QUESTION):  # close in meaning; then the one sharing most words
            sim, shared = float(sims[j]), overlap(question, items[j].question)
            caught = shared >= (SAME_WORDS if sim >= SAME_QUESTION else SHARED_WORDS)
            if caught and (best is None or sim + shared > best.similarity + best.overlap):
                best = QuizMatch(items[j], round(sim, 4), round(shared, 4))
        return best

    def hint(self, match: QuizMatch) -> QuizHint:
        """The passage of the item's lesson closest to the question alone (the key option plays no part, and
        nothing in it is marked), and a hint that names where to read."""
        item = match.item
        r = self.retriever.search(item.question, Filters(lesson=item.lesson_id), k=4)
        passages = [p for p in r.passages if p.chunk.start > 0] or r.passages
        source = source_of(passages[0]) if passages else None
        where = f"“{source.breadcrumb}”" if source else f"the lesson “{item.title}”"
        text = (
            f"That is one of the quiz questions of “{item.title}”, so the tutor will not hand out its answer. "
            f"Read {where}, then try the question in Practice."
        )
        return QuizHint(item, text, source)
