"""Keep quiz keys out of the chat: recognise a question that is one of the quizzes' items, copied or reworded,
and pick an item to offer as "Check yourself" after an answer.

`QuizMatcher` embeds each quiz item twice, its question alone and its question with its options ("..., a, b or
c"), and weighs a chat question against both: close to the question with most of its words (a copy), or close
to the whole item while naming two or more of its options, in any order and other words (the item reworded).
Where the line lies (`Line`) is measured by bench/quiz_guard.py on three courses, one left out at a time.
A question alone, reworded, is answered: on the labelled learner questions it cannot be told from what learners
ask ("what is an embedding" sits at cosine 0.96 to "What exactly is an embedding?").

With all-MiniLM-L6-v2, trained on English: a Spanish or French rewording that names the options of a quiz item
in the same language is caught (their word pieces overlap); a question in one language about an item in
another is not; Hindi and Telugu embed alike whatever they say, so there only shared words decide (a copy, or
options named in the item's own words). A multilingual embedder would make the cosines mean something there.

`QuizGuard` keeps a matcher for the index's manifest. A match means the chat should not answer (the answer
would be the key); `QuizGuard.hint` gives what to show instead: the lesson passage to read, with no marks in
it, and a hint naming the section. `tutor eval` searches with the quiz questions directly and never comes here.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Sequence
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
FLOOR = 0.5  # cosine below which an item is not weighed at all (under any threshold the bench tries)
STEM = 5  # words compared by their first 5 letters: "overfits" ~ "overfitting", "embeddings" ~ "embedding"


@dataclass(frozen=True)
class QuizMatch:
    item: QuizItem
    similarity: float  # cosine between the chat question and the quiz question, or the item with its options
    overlap: float  # shared content words, the smaller share of the two questions
    named: int = 0  # options of the item the question names (0 under two)


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


@dataclass(frozen=True)
class Candidate:
    item: QuizItem
    similarity: float  # cosine to the item's question
    whole: float  # cosine to the item's question with its options (`item_text`)
    overlap: float  # shared content words with the item's question (`overlap`)
    named: int  # options of the item the question names (`options_named`)


@dataclass(frozen=True)
class Line:
    """Where the guard draws its line: a chat question is a quiz item when it is close in meaning to the item's
    question with most of its content words (a copy, a light rewording; a script the embedder does not know
    embeds alike, so words always count), or close to the item's question with its options while naming at
    least `named` of them (the item reworded, options in any order)."""

    question: float = 0.95  # cosine to the quiz question, and
    words: float = 0.6  # share of content words shared with it (the smaller of the two directions)
    item: float = 0.70  # cosine to the question with its options (`item_text`), and
    named: int = 2  # options of the item the chat question names (`options_named`)


# chosen by bench/quiz_guard.py on all three courses (docs/benchmarks.md, "Quiz guard"): the most reworded items
# caught with at most 1 % of learner questions hinted; left out, each course's false hints stay under 2 %
LINE = Line()


def caught(c: Candidate, line: Line = LINE) -> bool:
    """Whether a chat question is this quiz item (`Line`)."""
    by_question = c.similarity >= line.question and c.overlap >= line.words
    return by_question or (c.whole >= line.item and c.named >= line.named)


def pick(cands: Sequence[Candidate], line: Line = LINE) -> Candidate | None:
    """Of the candidates `caught`, the closest in meaning plus words; None when none is."""
    hits = [c for c in cands if caught(c, line)]
    return max(hits, key=lambda c: max(c.similarity, c.whole) + c.overlap) if hits else None


def item_text(item: QuizItem) -> str:
    """A quiz item as a learner might type it to get the key: its question and its options, "a, b or c"."""
    opts = [o.strip().rstrip(".") for o in item.options if o.strip()]
    listed = ", ".join(opts[:-1]) + f" or {opts[-1]}" if len(opts) > 1 else "".join(opts)
    return f"{item.question.strip()} {listed}".strip()


def option_words(option: str) -> set[str]:
    """An option's content words; numbers count however short ("2", "70")."""
    return {w[:STEM] for w in words(option) if w not in STOP and (len(w) > 2 or any(c.isdigit() for c in w))}


def options_named(question: str, item: QuizItem) -> int:
    """How many of the item's options the question names: most of an option's words are in it."""
    asked = option_words(question)
    named = [ow for ow in map(option_words, item.options) if ow and len(ow & asked) * 2 >= len(ow)]
    return len(named) if len(named) > 1 else 0  # one option's words alone: a topic, not a list of choices


class QuizMatcher:
    """Quiz items and their vectors: which item a chat question is (or rewords), by meaning and words."""

    def __init__(self, items: Sequence[QuizItem], embedder: Embedder):
        self.items = list(items)
        # a quiz question is a question: embedded as a learner's are (e5's "query: "); the whole item as lesson text
        none = np.zeros((0, 1), dtype=np.float32)
        self.questions = embedder.embed_query([it.question for it in self.items]) if self.items else none
        self.wholes = embedder.embed([item_text(it) for it in self.items]) if self.items else none
        self.embedder = embedder

    def candidates(self, question: str, vector: np.ndarray | None = None) -> list[Candidate]:
        """The items close enough to `question` to be weighed (cosine to the question or the whole item at
        least FLOOR), with what `caught` weighs. `vector`: the question's embedding if the caller has it."""
        if not self.items or not question.strip():
            return []
        v = self.embedder.embed_query([question])[0] if vector is None else vector
        sims, whole = self.questions @ v, self.wholes @ v
        return [
            Candidate(
                self.items[j],
                float(sims[j]),
                float(whole[j]),
                overlap(question, self.items[j].question),
                options_named(question, self.items[j]),
            )
            for j in np.flatnonzero(np.maximum(sims, whole) >= FLOOR)
        ]

    def match(self, question: str, vector: np.ndarray | None = None) -> QuizMatch | None:
        """The quiz item `question` is, or rewords (its question, or its question and options in any order),
        or None (`pick` among the `candidates`)."""
        c = pick(self.candidates(question, vector))
        return (
            None if c is None else QuizMatch(c.item, round(max(c.similarity, c.whole), 4), round(c.overlap, 4), c.named)
        )


class QuizGuard:
    def __init__(self, store: ChunkStore, embedder: Embedder, retriever: Retriever):
        self.store = store
        self.embedder = embedder
        self.retriever = retriever
        self._lock = threading.Lock()
        self._generation = -1
        self._matcher = QuizMatcher([], embedder)

    def matcher(self) -> QuizMatcher:
        """Every quiz item in the manifest with its vectors, rebuilt when the manifest changes."""
        m = self.store.require()
        with self._lock:
            if m.generation != self._generation:
                items = [
                    QuizItem(lid, i, str(q["question"]), tuple(map(str, q["options"])), e.title)
                    for lid, e in sorted(m.lessons.items())
                    for i, q in enumerate(e.quizzes, start=1)
                ]
                self._matcher, self._generation = QuizMatcher(items, self.embedder), m.generation
            return self._matcher

    def match(self, question: str, vector: np.ndarray | None = None) -> QuizMatch | None:
        """The quiz item `question` is (or rewords), or None (QuizMatcher.match)."""
        return self.matcher().match(question, vector)

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
