"""A conversation turn: retrieve -> gate -> prompt -> stream -> cite -> check support.

`Tutor.stream` yields typed events (`Retrieved`, `Token`..., `Done`); `Tutor.ask` is the same turn without
streaming. A refusal and a quiz's hint are written without the model (tutor/answer/declined.py). History is
passed in by the caller (a UI session, the terminal chat) as `Turn`s: the tutor keeps no per-learner state,
so one instance serves many sessions.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tutor.answer import declined, prompts
from tutor.answer.attribution import Attributor, trim_to_sentence
from tutor.answer.citations import cite, numbered, other_language
from tutor.errors import BadQuestion, TutorError
from tutor.events import (
    Answer,
    Done,
    Event,
    KeySentence,
    KeySentences,
    Retrieved,
    Source,
    Suggestion,
    Timings,
    Token,
)  # fmt: skip
from tutor.ingest.lessons import program_titles
from tutor.learn.guard import QuizGuard
from tutor.models import ports
from tutor.models.llm_local import GenerationStats
from tutor.models.ports import Embedder
from tutor.search.conversation import PastTurn, search_turn
from tutor.search.retriever import Filters, Retrieval, Retriever
from tutor.settings import Settings
from tutor.store.chroma import ChunkStore
from tutor.store.gaps import GapLog
from tutor.store.manifest import LessonEntry, Manifest
from tutor.store.sync import Progress, SyncSummary, sync_index
from tutor.text.kinds import MORE_OF_IT, SAY_AGAIN
from tutor.text.names import language_name

log = logging.getLogger(__name__)

HISTORY_TURNS = 2  # earlier turns shown to the model
FOLLOW_UP_SHARE = 4  # a follow-up's new excerpts get a quarter of the excerpt budget


@dataclass
class Turn:
    question: str
    answer: str
    lessons: list[str] = field(default_factory=list)  # lesson ids the answer rested on, best first
    passages: list[str] = field(default_factory=list)  # chunk ids in the answer's prompt, in prompt order
    prompt: str = ""  # the user message the model was given (excerpts and question), verbatim
    reply: str = ""  # the model's reply, verbatim: with `prompt`, the next turn's prompt prefix
    query: str = ""  # what its passages were searched with (a follow-up's: the question it follows, and it)
    keys: list[str] = field(default_factory=list)  # its key sentences, verbatim: a follow-up shows others


class Tutor:
    """One tutor over one index; its parts come from tutor/build.py (tests pass their own)."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: ChunkStore,
        retriever: Retriever,
        embedder: Embedder,
        generator: ports.Generator,
        attributor: Attributor,
        quiz_guard: QuizGuard | None = None,
        gaps: GapLog | None = None,
    ):
        self.settings = settings
        self.store = store
        self.retriever = retriever
        self.embedder = embedder
        self.generator = generator
        self.attributor = attributor  # checks explanations; its picker chooses the key sentences
        self.picker = attributor.picker
        self.quiz_guard = quiz_guard  # a quiz's own question gets a passage to read and a hint, not the key
        self.gaps = gaps  # learners' questions the lessons do not answer well (None: kept nowhere)
        self.checked_at = 0.0  # when this process last brought the index in step with the lessons (0: not yet)

    @property
    def llm(self) -> ports.Generator:
        return self.generator

    def answers_at_once(self) -> int:
        """How many answers the model writes at the same time (a model server's slots; 1 in this process)."""
        return self.llm.parallel

    def model_status(self) -> tuple[str, bool | None]:
        """(the model's file name, whether it runs on the GPU; None: its server does not say). Loads the
        model on first call; raises TutorError when it cannot."""
        return self.llm.model_path.name, self.llm.gpu_offload

    # --- the index ----------------------------------------------------------------------------------
    def manifest(self) -> Manifest | None:
        """The live index manifest (None before the first `tutor index`)."""
        return self.store.manifest()

    def lessons(self) -> dict[str, LessonEntry]:
        """The indexed lessons by id; raises IndexMissing when there is no index."""
        return self.store.require().lessons

    def headings(self) -> list[tuple[str, str]]:
        """(lesson id, breadcrumb) of every live passage, in lesson order (the page's example questions)."""
        return [(c.lesson_id, c.breadcrumb) for c in self.retriever.snapshot().chunks]

    def language_of(self, question: str) -> str | None:
        """The index language a question is written in, when the index holds more than one."""
        return self.retriever.language_of(question)

    def warm(self) -> None:
        """Load the embedder and the retriever's in-memory index now, not on the first learner's question."""
        self.embedder.embed_one("warm up")
        self.retriever.warm()

    def reindex(self, *, rebuild: bool = False, progress: Progress | None = None, **kw: Any) -> SyncSummary:
        """Bring the index in step with the lessons directory (`kw`: more `sync_index` options), then load
        it, so the next question does not wait for it."""
        summary = sync_index(
            self.settings.lessons_dir,
            self.store,
            self.embedder,
            max_tokens=self.settings.chunk_max_tokens,
            rebuild=rebuild,
            progress=progress,
            **{"outside_roots": self.settings.outside_roots, "lock_timeout": self.settings.index_lock_timeout, **kw},
        )
        self.retriever.warm()
        self.checked_at = time.time()
        return summary

    # --- retrieval ----------------------------------------------------------------------------------
    def search(self, question: str, filters: Filters | None = None, *, k: int | None = None) -> Retrieval:
        """Retrieval only (`tutor search`, `tutor eval`): the same path as a turn's, without the prompt's
        token budget, so the LLM is not loaded."""
        return search_turn(
            self.retriever,
            question,
            (),
            filters,
            k=k or self.settings.max_passages,
            min_evidence=self.settings.min_evidence,
        )

    def retrieve(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Retrieval:
        """The passages of a turn (tutor/search/conversation.py), within the prompt's token budget; with
        `rewrite_followups` the LLM rewrites a follow-up into a standalone question first."""
        return search_turn(
            self.retriever,
            question,
            history,
            filters,
            k=self.settings.max_passages,
            min_evidence=self.settings.min_evidence,
            budget_tokens=self.settings.context_tokens,
            count_tokens=self.llm.count_tokens,
            rewrite=self._rewrite if self.settings.rewrite_followups else None,
        )

    def _rewrite(self, history: Sequence[PastTurn], question: str) -> str:
        """A follow-up rewritten by the LLM into a standalone question ("" when it gives nothing)."""
        msgs = prompts.rewrite_messages([(t.question, t.answer) for t in history[-HISTORY_TURNS:]], question)
        prompt, stop = self.llm.render(msgs)
        lines = self.llm.complete(prompt, stop, max_tokens=64).strip().splitlines()
        return lines[0].strip() if lines else ""

    def suggestions(self, retrieval: Retrieval, n: int = 3) -> list[Suggestion]:
        """Lessons to try instead of a refused question (tutor/answer/declined.py)."""
        return declined.suggestions(self.store.require(), retrieval, n)

    # --- a turn -------------------------------------------------------------------------------------
    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        *,
        guard: bool = True,
        learner: str | None = None,
    ) -> Generator[Event, None, None]:
        """One turn: Retrieved, then KeySentences (the lessons' own words, before the model starts), then
        the model's explanation as Tokens, then Done with every sentence attributed or withheld. A question
        that is one of the quizzes' own (`guard`; `tutor eval` turns it off) gets the passage to read and a
        hint instead: the quiz's answer is for Practice. `learner`: who asks ("" unnamed); a learner's
        answer that shows a course gap is kept on the gap list before Done. None: not a learner's question
        (evaluation, benchmarks), nothing is kept."""
        for event in self._turn(question, history, filters, guard):
            if isinstance(event, Done) and learner is not None:
                self.record_gap(event.answer, learner)
            yield event

    def _turn(
        self, question: str, history: Sequence[Turn], filters: Filters | None, guard: bool
    ) -> Generator[Event, None, None]:
        t0 = time.perf_counter()
        question, notice, cut = self._read(question)
        timings = Timings()
        if guard and self.quiz_guard is not None:
            match = self.quiz_guard.match(question)
            if match is not None:
                hint = self.quiz_guard.hint(match)
                yield from declined.quiz_hint(question, hint, llm=self.llm, timings=timings, t0=t0)
                return
        r = self.retrieve(question, history, filters)  # the one pass through search/: what follows reads it
        timings.embed_s, timings.retrieve_s = r.embed_s, r.retrieve_s
        read_as = r.respelt or question  # a misspelt word read as the lessons spell it: the model reads it so too
        if r.respelt:
            notice = prompts.joined(notice, prompts.RESPELT_NOTICE.format(question=read_as))
        sources = [p.source() for p in r.passages]
        if not r.answerable:
            yield Retrieved(sources, True)
            scope = self._scope(filters)
            yield from declined.refusal(
                question, r, self.suggestions(r), sources, llm=self.llm, timings=timings, t0=t0, notice=notice,
                why=r.refusal, scope=scope, cut=cut,
            )  # fmt: skip
            return
        if r.unused:  # "copyrighted": answered from what the lessons say nearby, and the learner is told
            notice = prompts.joined(notice, prompts.UNUSED_NOTICE.format(words=prompts.quoted(r.unused)))
        other = other_language(r.language, sources)
        if other:  # no lesson in the question's language covers it: the learner is told whose lessons answer
            asked, shown_in = language_name(r.language or ""), language_name(other)
            notice = prompts.joined(notice, prompts.OTHER_LANGUAGE_NOTICE.format(asked=asked, shown=shown_in))
        shown, more = shown_before(question, r.follow_up, history)
        qvec = r.query_vector if r.query_vector is not None else self.embedder.embed_query([r.asked])[0]
        keys, sources = numbered(self.picker.pick(r.asked, qvec, sources, shown, more=more), sources)
        timings.key_s = time.perf_counter() - t0
        yield Retrieved(sources, False)
        yield KeySentences(keys)
        answer = yield from self._explain(question, read_as, keys, sources, history, timings, t0)
        yield Done(replace(answer, retrieval_query=r.query, notice=notice, question_cut=cut, read_as=r.respelt,
                           unused=list(r.unused), language=r.language or "", other_language=other))  # fmt: skip

    def _scope(self, filters: Filters | None) -> str:
        """The filter in words (a refusal's wording, the gap list); the program titles are read only when one
        is on, not on every refusal."""
        if filters is None or filters.where() is None:
            return ""
        return declined.scope_label(self.manifest(), program_titles(self.settings.lessons_dir), filters)

    def _read(self, question: str) -> tuple[str, str, int]:
        """(the question as asked, a notice, the tokens it was cut to or 0): a long question is cut to a
        quarter of the context; an empty one is refused with a message."""
        question = (question or "").strip()
        if not question:
            raise BadQuestion("the question is empty: type a question about the lessons")
        limit = max(32, self.settings.n_ctx // 4)
        if self.llm.count_tokens(question) <= limit:
            return question, "", 0
        return self.llm.truncate(question, limit), prompts.CUT_NOTICE.format(kept=limit), limit

    def _explain(
        self,
        question: str,
        read_as: str,
        keys: list[KeySentence],
        sources: list[Source],
        history: Sequence[Turn],
        timings: Timings,
        t0: float,
    ) -> Generator[Event, None, Answer]:
        """The model's explanation of the key sentences as Tokens; returns the answer with every sentence
        attributed or withheld and the sources in order of first citation."""
        t1 = time.perf_counter()
        past = [(t.prompt, t.reply) for t in history[-HISTORY_TURNS:] if t.prompt]
        # a follow-up's earlier excerpts are still in the prompt: it adds its new key sentences and little else,
        # so llama.cpp evaluates a short new turn after the reused prefix
        budget = self.settings.excerpt_tokens // FOLLOW_UP_SHARE if past else self.settings.excerpt_tokens
        block = prompts.excerpts(keys, sources, budget, self.llm.count_tokens, " ".join(q for q, _ in past))
        messages, user_message = prompts.explain_messages(past, block, read_as)
        prompt, stop = self.llm.render(messages)
        timings.prompt_build_s = time.perf_counter() - t1
        stats = GenerationStats()
        pieces: list[str] = []
        settings = self.settings
        for piece in self.llm.stream(
            prompt, stop, max_tokens=settings.max_tokens, temperature=settings.temperature,
            repeat_penalty=settings.repeat_penalty, stats=stats,
        ):  # fmt: skip
            if not pieces:
                timings.ttft_s = time.perf_counter() - t0
            pieces.append(piece)
            yield Token(piece)
        timings.prompt_tokens, timings.completion_tokens = stats.prompt_tokens, stats.completion_tokens
        timings.llm_ttft_s = stats.ttft_s
        t2 = time.perf_counter()
        reply = "".join(pieces)
        explanation = prompts.unfenced(reply).strip()  # a small model may echo the fence around the excerpts
        if stats.completion_tokens >= settings.max_tokens:  # cut by the limit: end on a whole sentence
            explanation = trim_to_sentence(explanation)
        checks = self.attributor.check(self.attributor.sentences(explanation, keys, read_as), sources, read_as)
        sources, cited = cite(keys, checks, sources)
        unsupported = sum(not c.supported for c in checks)
        answer_text = " ".join(f"{k.text} [{k.number}]" for k in keys)
        supported_text = " ".join(f"{c.text} [{', '.join(map(str, c.citations))}]" for c in checks if c.supported)
        timings.check_s = time.perf_counter() - t2
        timings.total_s = time.perf_counter() - t0
        return Answer(
            question=question,
            text=" ".join(x for x in (answer_text, supported_text) if x),
            refused=False,
            sources=sources,
            citations=cited,
            key_sentences=keys,
            explanation=explanation,
            sentences=checks,
            mostly_unsupported=bool(checks) and unsupported * 2 > len(checks),
            gpu_offload=self.llm.gpu_offload,
            timings=timings,
            model_text=reply,
            prompt_message=user_message,
        )

    # --- what learners leave behind --------------------------------------------------------------------
    def record_gap(self, answer: Answer, learner: str = "") -> None:
        """Keep `answer` on the course-gap list when it shows one (tutor/store/gaps.py); a list that cannot be
        written is logged, never raised: it must not cost a learner the answer."""
        if self.gaps is None:
            return
        try:
            self.gaps.record(answer, learner)
        except (sqlite3.Error, TutorError) as exc:
            log.warning("course-gap list not written: %s", exc)

    def feedback(self, answer: Answer, helpful: bool | None, comment: str = "", learner: str = "") -> None:
        """A learner's "Was this helpful?" on `answer` (None: taken back); an unhelpful answer is a gap.
        Raises StoreUnavailable when the list cannot be written or queued."""
        if self.gaps is not None:
            self.gaps.feedback(answer, helpful, comment, learner)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        *,
        guard: bool = True,
        learner: str | None = None,
    ) -> Answer:
        """`stream` to its end: the finished answer."""
        for event in self.stream(question, history, filters, guard=guard, learner=learner):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("a turn always ends with Done")


def shown_before(question: str, follow_up: bool, history: Sequence[Turn]) -> tuple[list[str], bool]:
    """(the key sentences the conversation showed, whether the question asks for more than those) for the
    picker: what was shown is weighed; "Any examples?" asks for more; "Can you explain that more simply?" may
    get the same sentences again, so it passes none."""
    if not follow_up or SAY_AGAIN.search(question):
        return [], False
    return [k for t in history for k in t.keys], bool(MORE_OF_IT.search(question))


def turn_of(answer: Answer) -> Turn:
    """The history entry a finished answer leaves for the next question."""
    if answer.refused:
        return Turn(answer.question, answer.text)
    lessons = list(dict.fromkeys(s.lesson_id for s in answer.sources if s.cited or s.number == 1))
    passages = [s.chunk_id for s in sorted(answer.sources, key=lambda s: s.number) if s.number > 0]
    keys = [k.text for k in answer.key_sentences]
    return Turn(
        answer.question,
        answer.text,
        lessons,
        passages,
        answer.prompt_message,
        answer.model_text,
        answer.retrieval_query,
        keys,
    )
