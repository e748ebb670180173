"""The turns the tutor declines to explain, written without the model.

A question the lessons do not cover gets a refusal naming the nearest lessons (`refusal`, `suggestions`);
a question that is one of the quizzes' own gets the passage to read and a hint, never the key (`quiz_hint`:
the quiz's answer is for Practice). tutor/answer/turn.py's `Tutor.stream` hands over to these after its
evidence gate or its quiz guard.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Mapping
from dataclasses import replace

from tutor.answer import prompts
from tutor.events import Answer, Done, Event, Refusal, Retrieved, Source, Suggestion, Timings, Token
from tutor.learn.guard import QuizHint
from tutor.models import ports
from tutor.search.retriever import Filters, Retrieval
from tutor.store.manifest import Manifest
from tutor.text.names import language_name


def scope_label(manifest: Manifest | None, titles: Mapping[str, str], filters: Filters | None) -> str:
    """The lessons a filter lets through, in words: "Prompting (AI Foundations)", "AI Foundations · Español";
    "" without a filter. `titles`: program slug -> title (program.json)."""
    if filters is None:
        return ""
    parts = []
    entry = manifest.lessons.get(filters.lesson) if manifest and filters.lesson else None
    if entry:
        parts.append(f"{entry.title} ({titles.get(entry.program, entry.program)})")
    elif filters.lesson:
        parts.append(filters.lesson)
    elif filters.program:
        parts.append(titles.get(filters.program, filters.program))
    if filters.language:
        parts.append(language_name(filters.language))
    return " · ".join(parts)


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
    why: Refusal,
    scope: str = "",
    cut: int = 0,
) -> Generator[Event, None, None]:
    """Token, then Done: the lessons (in `scope`, when a filter is on) do not cover `question`, for the reason
    `why`; `sugg` to try instead."""
    if why == "no_lessons":
        text = prompts.NO_LESSONS
    elif why == "filtered":
        text = prompts.REFUSAL_FILTERED.format(scope=scope)
    else:
        text = prompts.REFUSAL
    if sugg:
        text += " " + prompts.SUGGEST + " " + "; ".join(s.title for s in sugg) + "."
    yield Token(text)
    timings.total_s = time.perf_counter() - t0
    yield Done(
        Answer(
            question=question,
            text=text,
            refused=True,
            refusal=why,
            scope=scope,
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
