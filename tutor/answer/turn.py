"""A conversation turn: retrieve -> gate -> prompt -> stream -> cite -> check support.

`Tutor.stream` yields typed events (`Retrieved`, `Token`..., `Done`); `Tutor.ask` is the same turn without
streaming. History is passed in by the caller (a UI session, the terminal chat) as `Turn`s: the tutor keeps
no per-learner state, so one instance serves many sessions.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field, replace

from tutor.answer import prompts
from tutor.events import Answer, Done, Event, Retrieved, Source, Suggestion, Timings, Token
from tutor.models.embedder import Embedder
from tutor.errors import BadQuestion
from tutor.answer.attribution import Grounder, parse_citations
from tutor.store.chroma import ChunkStore
from tutor.models.llm_local import GenerationStats, LocalLLM
from tutor.search.retriever import Filters, Passage, Retrieval, Retriever
from tutor.settings import Settings

log = logging.getLogger(__name__)

# a question that leans on the conversation: a pronoun, or an opener that continues the last one
FOLLOW_UP = re.compile(
    r"\b(it|its|it's|this|that|these|those|they|them|their|theirs|he|she|his|her|one|ones|same|"
    r"above|previous|former|latter)\b|^(and|but|so|also|what about|how about|why|then)\b",
    re.I,
)
STANDALONE_SIMILARITY = 0.55  # cosine; lesson questions score 0.36-0.9, bare follow-ups rarely above 0.5
HISTORY_TURNS = 2  # earlier turns shown to the model
HISTORY_ANSWER_TOKENS = 120


@dataclass
class Turn:
    question: str
    answer: str
    lessons: list[str] = field(default_factory=list)  # lesson ids the answer rested on, best first
    passages: list[str] = field(default_factory=list)  # chunk ids in the answer's prompt, in prompt order


class Tutor:
    def __init__(
        self,
        settings: Settings,
        store: ChunkStore,
        embedder: Embedder,
        llm: LocalLLM | Callable[[], LocalLLM],
    ):
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.retriever = Retriever(store, embedder, settings.fusion)
        self.grounder = Grounder(embedder)
        self._llm = llm

    @property
    def llm(self) -> LocalLLM:
        if not isinstance(self._llm, LocalLLM):
            self._llm = self._llm()
        return self._llm

    # --- retrieval ----------------------------------------------------------------------------------
    def retrieve(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Retrieval:
        """History-aware retrieval: a follow-up is searched together with the previous question, and
        the previous turn's lessons are favoured; with `rewrite_followups` a bigger LLM rewrites it."""
        query, extra, boost, keep = question, [], None, None
        last = history[-1] if history else None
        if last and self.settings.rewrite_followups:
            msgs = prompts.rewrite_messages([(t.question, t.answer) for t in history[-HISTORY_TURNS:]], question)
            prompt, stop = self.llm.render(msgs)
            rewritten = self.llm.complete(prompt, stop, max_tokens=64).strip().splitlines()
            if rewritten and rewritten[0].strip():
                query, extra = rewritten[0].strip(), [question]
        elif (
            last
            and (FOLLOW_UP.search(question) or len(question.split()) <= 4)
            and not self._standalone(question, filters)
        ):
            # a follow-up leans on the last answer: search with the last question, favour its lessons, and
            # keep its passages first so llama.cpp reuses the evaluated prompt prefix
            query, extra, boost, keep = f"{last.question} {question}", [question], last.lessons[:2], last.passages

        def search(f: Filters | None) -> Retrieval:
            return self.retriever.search(
                query,
                f,
                k=self.settings.max_passages,
                budget_tokens=self.settings.context_tokens,
                count_tokens=self.llm.count_tokens,
                extra_queries=extra,
                boost_lessons=boost,
                keep=keep,
            )

        preferred = self._in_question_language(question, filters)
        if preferred is not None:
            r = search(preferred)
            if r.covered(self.settings.min_evidence):
                return r
        return search(filters)

    def _in_question_language(self, question: str, filters: Filters | None) -> Filters | None:
        """`filters` narrowed to the question's language when the lessons come in several and none was
        chosen: an English question gets English passages. None when there is nothing to narrow."""
        f = filters or Filters()
        if f.language or f.lesson:
            return None
        lang = self.retriever.language_of(question)
        return replace(f, language=lang) if lang else None

    def _standalone(self, question: str, filters: Filters | None) -> bool:
        """A question with a pronoun can still stand alone ("How do quokkas groom their fur?"): it does
        when its own words find a passage this close, and then the conversation does not steer it."""
        r = self.retriever.search(question, filters, k=1)
        return r.best_similarity >= STANDALONE_SIMILARITY

    def suggestions(self, retrieval: Retrieval, n: int = 3) -> list[Suggestion]:
        m = self.store.require()
        best: dict[str, float] = {}
        for p in retrieval.passages:
            best[p.chunk.lesson_id] = max(best.get(p.chunk.lesson_id, -1.0), p.similarity)
        for lid in retrieval.lessons:
            best.setdefault(lid, -1.0)
        out = []
        for lid in list(best)[:n]:
            e = m.lessons.get(lid)
            if e:
                out.append(Suggestion(lid, e.title, e.path, round(best[lid], 4)))
        return out

    # --- a turn -------------------------------------------------------------------------------------
    def stream(
        self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None
    ) -> Generator[Event, None, None]:
        t0 = time.perf_counter()
        question = (question or "").strip()
        if not question:
            raise BadQuestion("the question is empty: type a question about the lessons")
        notice = ""
        limit = max(32, self.settings.n_ctx // 4)
        if self.llm.count_tokens(question) > limit:
            question = self.llm.truncate(question, limit)
            notice = prompts.CUT_NOTICE.format(kept=limit)
        timings = Timings()
        r = self.retrieve(question, history, filters)
        timings.embed_s, timings.retrieve_s = r.embed_s, r.retrieve_s
        for i, p in enumerate(r.passages, start=1):
            p.number = i
        sources = [_source(p) for p in r.passages]
        refused = not r.covered(self.settings.min_evidence)
        yield Retrieved(sources, refused)
        if refused:
            sugg = self.suggestions(r)
            text = prompts.REFUSAL if r.lessons else prompts.NO_LESSONS
            if sugg:
                text += " " + prompts.SUGGEST + " " + "; ".join(s.title for s in sugg) + "."
            yield Token(text)
            timings.total_s = time.perf_counter() - t0
            yield Done(
                Answer(
                    question, text, True, sources, [], [], None, sugg, self.llm.gpu_offload, timings, r.query, notice
                )
            )
            return
        t1 = time.perf_counter()
        past = [(t.question, self.llm.truncate(t.answer, HISTORY_ANSWER_TOKENS)) for t in history[-HISTORY_TURNS:]]
        prompt, stop = self.llm.render(prompts.answer_messages(r.passages, past, question))
        timings.prompt_build_s = time.perf_counter() - t1
        stats = GenerationStats()
        pieces: list[str] = []
        for piece in self.llm.stream(
            prompt,
            stop,
            max_tokens=self.settings.max_tokens,
            temperature=self.settings.temperature,
            repeat_penalty=self.settings.repeat_penalty,
            stats=stats,
        ):
            if not pieces:
                timings.ttft_s = time.perf_counter() - t0
            pieces.append(piece)
            yield Token(piece)
        timings.prompt_tokens, timings.completion_tokens = stats.prompt_tokens, stats.completion_tokens
        timings.llm_ttft_s = stats.ttft_s
        t2 = time.perf_counter()
        text, cited = parse_citations("".join(pieces), len(sources))
        for s in sources:
            s.cited = s.number in cited
        sources.sort(key=lambda s: (not s.cited, cited.index(s.number) if s.cited else s.number))
        checks = self.grounder.check(text, sources)
        qvec = self.embedder.embed_one(r.query)
        quote = self.grounder.quote(qvec, next(s for s in sources if s.number == 1))
        timings.check_s = time.perf_counter() - t2
        timings.total_s = time.perf_counter() - t0
        yield Done(
            Answer(
                question, text, False, sources, cited, checks, quote, [], self.llm.gpu_offload, timings, r.query, notice
            )
        )

    def ask(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Answer:
        for event in self.stream(question, history, filters):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("a turn always ends with Done")


def turn_of(answer: Answer) -> Turn:
    """The history entry a finished answer leaves for the next question."""
    lessons = list(dict.fromkeys(s.lesson_id for s in answer.sources if s.cited or s.number == 1))
    if answer.refused:
        return Turn(answer.question, answer.text)
    passages = [s.chunk_id for s in sorted(answer.sources, key=lambda s: s.number) if s.number > 0]
    return Turn(answer.question, answer.text, lessons, passages)


def _source(p: Passage) -> Source:
    c = p.chunk
    return Source(
        p.number,
        c.id,
        c.lesson_id,
        c.path,
        c.title,
        c.breadcrumb,
        c.anchor,
        c.language,
        c.program,
        c.start,
        c.end,
        round(p.score, 5),
        round(p.similarity, 4),
        c.text,
    )
