"""The one retrieval path for a question: `tutor search`, `tutor ask`, the page and `tutor eval` all call
`search_turn`, so they narrow by language and apply filters the same way.

- Language: when the lessons come in several languages and none was chosen, passages are taken in the
  question's language, or when no lesson is written in the question's, in the main language, else in the
  first language written in its script that covers it; when those do not cover the question (the evidence
  gate), all languages are searched, and the passages are taken in the best one's language when that
  covers it (a short question's words may not tell its language). Passages in another language than the
  question's pass the stricter gate for questions outside the embedder's language, unless the question's
  own-language passages hold its terms.
- Follow-ups: a question that leans on the conversation (a pronoun, an opener like "and", four words or
  fewer) and whose own words find no close passage is searched together with the previous question, the
  previous lessons favoured and the previous passages kept first. A short question without a pronoun that
  names its own topic (`names_topic`) is a new question. The question's own search is that check,
  so it runs once; with a `rewrite` function (a bigger LLM), the rewritten question is searched instead.
  A follow-up that opens with "and"/"what about" and names something ("And football?") is not covered
  when neither its passages nor its own search's hold those words (`Retrieval.unheld`).
- Misspellings: a question refused as typed, with words no passage uses, is searched again with those words
  read as the lessons spell them (search/spelling.py); `Retrieval.respelt` says how it was read.
- Each text is embedded once per turn; the query's vector travels in the result (`Retrieval.query_vector`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Protocol

import numpy as np

from tutor.search import gate
from tutor.search.retriever import Filters, Retrieval, Retriever
from tutor.search.snapshot import Snapshot
from tutor.text.kinds import MORE_OF_IT
from tutor.text.phrases import pattern, words
from tutor.text.words import stem_set

# a question that leans on the conversation: a pronoun, or an opener that continues the last one ("why" is not
# one: "Why do bigger models need more data?" is a question of its own, and a bare "Why?" is short), in any
# language with phrases (tutor/text/data: "¿Y por qué es eso?")
OPENER = re.compile(r"^[¿¡\s]*" + pattern("continues", None) + r"\b", re.I)  # "And football?": points back, names
FOLLOW_UP = re.compile(r"\b" + pattern("points_to_conversation", None) + r"\b|" + OPENER.pattern, re.I)
# a possessive bound to a noun before it: "Why do LLMs make up their sources?", "¿Cómo mide un modelo su error?"
POSSESSIVE = frozenset(words("possessives", None))
NOT_A_NOUN = stem_set(" ".join(words("not_a_noun", None)))
SHORT_QUESTION_WORDS = 4  # a question this short leans on the conversation too
# the words of a request for more of the same, however long it is put: "Can you give me an example, please?"
REQUEST_WORDS = stem_set(" ".join(words("request_words", None)))
STANDALONE_SIMILARITY = 0.55  # cosine; lesson questions score 0.36-0.9, bare follow-ups rarely above 0.5
KEPT_LESSONS = 2  # the previous turn's lessons a follow-up favours
TOPIC_WORDS = 40  # a follow-up is searched with at most this many words of what the last turn searched


class PastTurn(Protocol):
    """What retrieval needs of an earlier turn (`answer.turn.Turn` has it)."""

    question: str
    answer: str
    lessons: list[str]  # lesson ids the answer rested on, best first
    passages: list[str]  # chunk ids in the answer's prompt, in prompt order
    query: str  # what its passages were searched with: a follow-up's holds the question it followed


Rewrite = Callable[[Sequence[PastTurn], str], str]  # (history, question) -> a standalone question, "" if none


def refers_back(question: str) -> bool:
    """A pronoun or opener that points at the conversation. A possessive after a noun of the question itself
    points inside it ("Can a model check its own answers?"); "one" is a pronoun only as "which one" and the like
    ("What is one-hot encoding?" is not)."""
    for m in FOLLOW_UP.finditer(question):
        word = m.group().lower()
        if word not in POSSESSIVE or not (stem_set(question[: m.start()]) - gate.QUESTION_WORDS - NOT_A_NOUN):
            return True
    return False


def leans_on_conversation(question: str) -> bool:
    return refers_back(question) or len(question.split()) <= SHORT_QUESTION_WORDS or asks_for_more(question)


def asks_for_more(question: str) -> bool:
    """A request for more of the same with nothing of its own to ask about: "Can you give an example?" leans on
    the conversation as "Any examples?" does; "Can you give an example of overfitting?" names its topic."""
    own = stem_set(question) - gate.QUESTION_WORDS - NOT_A_NOUN - REQUEST_WORDS
    return bool(MORE_OF_IT.search(question)) and not own


def names_topic(question: str, own: Retrieval, min_evidence: float) -> bool:
    """A short question with no pronoun that names its own topic is a new question, not a follow-up:
    its own words pass the evidence gate ("What is positional encoding?" after a question on pre-training),
    or it names something no lesson mentions ("What is distillation?"), which the previous question's
    passages must not be made to answer. Asking for more of the same ("Any examples?") names no topic."""
    if refers_back(question) or MORE_OF_IT.search(question):
        return False
    # a word no lesson uses names a new topic in English; in another language it may be a verb form ("dame")
    unknown = bool(own.unknown) and own.language in (None, gate.EMBEDDER_LANGUAGE)
    return own.covered(min_evidence) or unknown


def named_after_opener(question: str) -> frozenset[str]:
    """What a follow-up opening with "and"/"what about" asks about: the terms after the opener ("And football?"
    -> football); none when it points back with a pronoun or asks for more of the same ("And why is that?",
    "And more examples?")."""
    m = OPENER.match(question)
    if not m or refers_back(question[m.end() :]) or MORE_OF_IT.search(question):
        return frozenset()
    return stem_set(question[m.end() :]) - gate.QUESTION_WORDS


def in_question_language(snapshot: Snapshot, question: str, filters: Filters | None) -> Filters | None:
    """`filters` narrowed to the question's language when the lessons come in several and none was chosen:
    an English question gets English passages; a question in a language no lesson is written in, the main
    language's (the one most lessons are in). None when there is nothing to narrow."""
    f = filters or Filters()
    if f.language or f.lesson:
        return None
    lang = snapshot.language_of(question)
    if lang and lang not in snapshot.languages:
        lang = snapshot.main_language
    return replace(f, language=lang) if lang else None


@dataclass(frozen=True)
class _Query:
    """One search of a turn: the query, the extra queries ranked beside it, the lessons favoured, the passages
    kept first, and the unit vectors of [query, *extra]."""

    text: str
    extra: list[str]
    boost: list[str] | None
    keep: list[str] | None
    vectors: np.ndarray


@dataclass
class _TurnSearch:
    """What the searches of one turn share: the retriever and its settings, the question's language, and the
    texts embedded so far (each once a turn)."""

    retriever: Retriever
    snapshot: Snapshot  # the index as this turn reads it: its languages and lessons
    filters: Filters | None
    narrowed: Filters | None  # `filters` in the question's language (`in_question_language`)
    language: str | None  # the question's: the gate is stricter on questions not in English
    k: int
    min_evidence: float
    budget_tokens: int | None
    count_tokens: Callable[[str], int] | None
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    embed_s: float = 0.0

    @property
    def foreign(self) -> bool:
        """The question is in a language no lesson is written in, and no language was chosen."""
        return self.narrowed is not None and bool(self.language) and self.narrowed.language != self.language

    def embedded(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            t0 = time.perf_counter()
            self.vectors.update(zip(missing, self.retriever.embed_queries(missing)))
            self.embed_s += time.perf_counter() - t0
        return np.stack([self.vectors[t] for t in texts])

    def search(
        self, query: str, extra: list[str], boost: list[str] | None = None, keep: list[str] | None = None
    ) -> Retrieval:
        """`query` searched in the question's language, then in all (module docstring)."""
        q = _Query(query, extra, boost, keep, self.embedded([query, *extra]))
        fallback = False
        if self.narrowed is not None:
            r = self.within(q, self.narrowed)
            if r.covered(self.min_evidence):
                return r
            fallback = r.coverage < gate.MIN_COVERAGE
            # no lesson in the question's language: the main language's did not do, so those in its script
            for lang in self.snapshot.readable_languages(self.language or "") if self.foreign else ():
                r = self.within(q, replace(self.narrowed, language=lang), fallback)
                if r.covered(self.min_evidence):
                    return r
        r = self.within(q, self.filters, fallback)
        languages = {p.chunk.language for p in r.passages}
        f = self.filters or Filters()
        if len(languages) > 1 and not (f.language or f.lesson):
            # a question whose language the words do not tell ("whats a transformer"): passages in the best
            # one's language, not the same section twice, in English and in its translation
            same = self.within(q, replace(f, language=r.passages[0].chunk.language), fallback)
            if same.covered(self.min_evidence):
                r = same
        return self.translated(q, r) if self.foreign else r

    def translated(self, q: _Query, r: Retrieval) -> Retrieval:
        """`r`, covered by a lesson in a script the learner does not write (a Spanish question answered from
        Hindi passages, the translations' cosines under the gate), taken from that lesson's translation in
        the main language or the question's script when the course has one: the evidence is the lesson's, the
        passages its translation's, ranked for the question."""
        if not (r.passages and r.covered(self.min_evidence)) or self.narrowed is None:
            return r
        top = r.passages[0].chunk
        readable = [self.narrowed.language, *self.snapshot.readable_languages(self.language or "")]
        if top.language in readable:
            return r
        for lang in readable:
            twin = f"{top.program}/{lang}/{top.slug}"
            if self.snapshot.has_lesson(twin):
                t = self.within(q, replace(self.filters or Filters(), lesson=twin), fallback=True)
                if t.passages:
                    evidence = ("best_similarity", "coverage", "held", "lexical", "names_rare", "terms")
                    return replace(t, **{name: getattr(r, name) for name in evidence})
        return r

    def within(self, q: _Query, f: Filters | None, fallback: bool = False) -> Retrieval:
        """`q` searched within `f`; `fallback`: after the question's own language's passages did not do."""
        r = self.retriever.search(
            q.text,
            f,
            k=self.k,
            budget_tokens=self.budget_tokens,
            count_tokens=self.count_tokens,
            extra_queries=q.extra,
            boost_lessons=q.boost,
            keep=q.keep,
            vectors=q.vectors,
            language=self.language,
        )
        # the lessons in the question's language did not cover it nor hold its terms: another language's
        # passages must pass the stricter gate ("What is the capital of France?" is close to a French
        # lesson's example, quoted in the English lesson). One whose terms they hold ("What is a causal
        # mask?", cosine 0.197) may be lifted by the translation of that section.
        own_language = self.narrowed.language if self.narrowed is not None else None
        other = fallback and any(p.chunk.language != own_language for p in r.passages)
        return replace(r, embed_s=self.embed_s, language=self.language, other_language=other)

    def respelt(self, question: str, own: Retrieval) -> tuple[str, Retrieval, str]:
        """A misspelt topic ("transfomer") read as the lessons spell it, when that reading is covered:
        (the question as searched, its retrieval, the respelt question or "")."""
        if not (own.unknown and not own.covered(self.min_evidence)):
            return question, own, ""
        respelt = self.retriever.respell(question)
        again = self.search(respelt, []) if respelt != question else own
        if again is not own and again.covered(self.min_evidence):
            return respelt, again, respelt
        return question, own, ""

    def follow_up(self, question: str, own: Retrieval, last: PastTurn) -> Retrieval:
        """A follow-up leans on the last answer: search with the last question, favour its lessons, and keep
        its passages first so llama.cpp reuses the evaluated prompt prefix."""
        # the topic is what the last turn searched: "Why does that matter?" after "Tell me more" after "What
        # are weights?" is about weights (its last TOPIC_WORDS words, so a long conversation stays one query)
        topic = " ".join((last.query or last.question).split()[-TOPIC_WORDS:])
        r = self.search(f"{topic} {question}", [question], last.lessons[:KEPT_LESSONS], last.passages)
        # read in English only: Spanish drops the pronoun ("¿Y por qué es cara?" is about the last answer)
        named = named_after_opener(question) if own.language in (None, gate.EMBEDDER_LANGUAGE) else frozenset()
        if named and not any(
            named <= gate.passage_terms(p.chunk.embed_text, p.chunk.language) for p in [*r.passages, *own.passages]
        ):
            return replace(r, follow_up=True, unheld=named)  # "And football?" after a question on AI: nothing on it
        return replace(r, follow_up=True)


def search_turn(
    retriever: Retriever,
    question: str,
    history: Sequence[PastTurn] = (),
    filters: Filters | None = None,
    *,
    k: int = 6,
    min_evidence: float = 0.35,
    budget_tokens: int | None = None,
    count_tokens: Callable[[str], int] | None = None,
    rewrite: Rewrite | None = None,
) -> Retrieval:
    """The passages for one question of a conversation (module docstring), with what the turn reads of them:
    whether they answer it (`answerable`), the words of it no lesson uses (`unused`), the query as ranked
    (`asked`) or, when they do not answer it, why (`refusal`: the whole course is searched once more when a
    filter is on, to tell a filter's refusal from the course's)."""
    within = partial(_search, retriever, question, history, k=k, min_evidence=min_evidence,
                     budget_tokens=budget_tokens, count_tokens=count_tokens, rewrite=rewrite)  # fmt: skip
    r = within(filters)
    if r.covered(min_evidence):
        # in a language no lesson is written in, every word is one no lesson uses: nothing worth saying
        s = retriever.snapshot()
        told = r.language is None or r.language in s.languages
        reading = s.reading_language(r.language)
        unused = tuple(gate.unused_words(r.respelt or question, r.unknown, reading)) if told else ()
        return replace(r, answerable=True, unused=unused, asked=retriever.expand(r.query))
    whole = r
    if filters is not None and filters.where() is not None:
        whole = within(None)
        if whole.covered(min_evidence):
            return replace(r, refusal="filtered")
    return replace(r, refusal="not_covered" if whole.lessons else "no_lessons")


def _search(
    retriever: Retriever,
    question: str,
    history: Sequence[PastTurn],
    filters: Filters | None,
    *,
    k: int,
    min_evidence: float,
    budget_tokens: int | None,
    count_tokens: Callable[[str], int] | None,
    rewrite: Rewrite | None,
) -> Retrieval:
    s = retriever.snapshot()
    turn = _TurnSearch(
        retriever,
        s,
        filters,
        narrowed=in_question_language(s, question, filters),
        language=s.language_of(question),
        k=k,
        min_evidence=min_evidence,
        budget_tokens=budget_tokens,
        count_tokens=count_tokens,
    )
    last = history[-1] if history else None
    if last and rewrite:
        rewritten = rewrite(history, question).strip()
        return turn.search(rewritten, [question]) if rewritten and rewritten != question else turn.search(question, [])
    own = turn.search(question, [])
    question, own, respelt = turn.respelt(question, own)
    r = own
    if (
        last
        and leans_on_conversation(question)
        and own.best_similarity < STANDALONE_SIMILARITY
        and not names_topic(question, own, min_evidence)
    ):
        r = turn.follow_up(question, own, last)
    return replace(r, respelt=respelt)
