"""The turns the tutor declines to explain, written without the model.

A question the lessons do not cover gets a refusal naming the nearest lessons (`refusal`, `suggestions`);
a question that is one of the quizzes' own gets the passage to read and a hint, never the key (`quiz_hint`:
the quiz's answer is for Practice). tutor/answer/turn.py's `Tutor.stream` hands over to these after its
evidence gate or its quiz guard.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import replace

from tutor.answer import prompts
from tutor.events import Answer, Done, Event, Retrieved, Source, Suggestion, Timings, Token
from tutor.learn.guard import QuizHint
from tutor.models import ports
from tutor.search.retriever import Retrieval
from tutor.store.manifest import Manifest


def suggestions(manifest: Manifest, retrieval: Retrieval, n: int = 3) -> list[Suggestion]:
    """Up to `n` lessons to try instead, best first: the retrieved passages' lessons, then the ranked ones."""
    best: dict[str, float] = {}
    for p in retrieval.passages:
        best[p.chunk.lesson_id] = max(best.get(p.chunk.lesson_id, -1.0), p.similarity)
    for lid in retrieval.lessons:
        best.setdefault(lid, -1.0)
    out = []
    for lid in list(best)[:n]:
        e = manifest.lessons.get(lid)
        if e:
            out.append(Suggestion(lid, e.title, e.path, round(best[lid], 4)))
    return out


def refusal(
    question: str,
    r: Retrieval,
    sugg: list[Suggestion],
    sources: list[Source],
    *,
    llm: ports.Generator,
    timings: Timings,
    t0: float,
    notice: str,
    cut: int = 0,
) -> Generator[Event, None, None]:
    """Token, then Done: the lessons do not cover `question` (or there are none yet); `sugg` to try instead."""
    text = prompts.REFUSAL if r.lessons else prompts.NO_LESSONS
    if sugg:
        text += " " + prompts.SUGGEST + " " + "; ".join(s.title for s in sugg) + "."
    yield Token(text)
    timings.total_s = time.perf_counter() - t0
    yield Done(
        Answer(
            question=question,
            text=text,
            refused=True,
            sources=sources,
            citations=[],
            suggestions=sugg,
            gpu_offload=llm.gpu_offload,
            timings=timings,
            retrieval_query=r.query,
            notice=notice,
            question_cut=cut,
        )
    )


def quiz_hint(
    question: str, hint: QuizHint, *, llm: ports.Generator, timings: Timings, t0: float
) -> Generator[Event, None, None]:
    """Retrieved, Token, Done: a quiz's own question answered with the passage to read and a hint."""
    sources = []
    if hint.passage is not None:
        sources = [replace(hint.passage, number=1, cited=True)]
    yield Retrieved(sources, False)
    yield Token(hint.text)
    timings.total_s = time.perf_counter() - t0
    yield Done(
        Answer(
            question=question,
            text=hint.text,
            refused=False,
            quiz_hint=True,
            sources=sources,
            citations=[s.number for s in sources],
            gpu_offload=llm.gpu_offload,
            timings=timings,
        )
    )
