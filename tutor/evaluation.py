"""`tutor eval`: measure retrieval, refusal, groundedness, quiz accuracy and latency on any lessons.

The lessons' own `<Quiz>` questions are the queries and each one's target is its own lesson (quizzes are
not in the index). Each question is searched within its lesson's language, as a learner reading that
language would. Figures go to report.json, report.md and PNG plots.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.lessons import Lesson, Quiz
from tutor.retrieval import Filters, Retriever

log = logging.getLogger(__name__)

DEFAULT_OFF_TOPIC = Path(__file__).with_name("off_topic.txt")


@dataclass
class QuizQuery:
    question: str
    lesson_id: str
    quiz: Quiz
    language: str


@dataclass
class RetrievalMetrics:
    n: int
    recall: dict[int, float]  # k -> share of questions whose lesson is in the top k lessons
    mrr: float
    misses: list[dict[str, Any]] = field(default_factory=list)  # rank > 1: question, lesson, got, rank
    latency_ms: list[float] = field(default_factory=list)


def quiz_queries(lessons: list[Lesson]) -> list[QuizQuery]:
    return [QuizQuery(q.question, le.id, q, le.language) for le in lessons for q in le.quizzes]


def retrieval_metrics(
    retriever: Retriever, queries: list[QuizQuery], ks: tuple[int, ...] = (1, 3, 5)
) -> RetrievalMetrics:
    ranks: list[int] = []
    misses: list[dict[str, Any]] = []
    latency: list[float] = []
    for q in queries:
        t0 = time.perf_counter()
        r = retriever.search(q.question, Filters(language=q.language), k=max(ks))
        latency.append((time.perf_counter() - t0) * 1000)
        rank = r.lessons.index(q.lesson_id) + 1 if q.lesson_id in r.lessons else 10**6
        ranks.append(rank)
        if rank > 1:
            misses.append(
                {
                    "question": q.question,
                    "lesson": q.lesson_id,
                    "got": r.lessons[0] if r.lessons else None,
                    "rank": rank if rank < 10**6 else None,
                }
            )
    n = max(1, len(ranks))
    return RetrievalMetrics(
        len(ranks),
        {k: sum(r <= k for r in ranks) / n for k in ks},
        sum(1 / r for r in ranks) / n,
        misses,
        latency,
    )


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def load_off_topic(path: Path | None) -> list[str]:
    path = Path(path) if path else DEFAULT_OFF_TOPIC
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
