"""`tutor eval`: measure retrieval, refusal, groundedness, quiz accuracy and latency on any lessons.

The lessons' own `<Quiz>` questions are the queries and each one's target is its own lesson (quizzes are
not in the index). Each question is searched within its lesson's language, as a learner reading that
language would. Figures go to report.json, report.md and PNG plots, over all questions and per question
language (tutor/evaluation/languages.py) from the same searches.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor import fitted
from tutor.evaluation.languages import NOT_FOUND, LanguageRow, by_language, markdown, table
from tutor.ingest.lessons import Lesson, Quiz, load_lessons
from tutor.search.retriever import Filters, Retrieval

if TYPE_CHECKING:  # type hints only: the tutor is built (tutor.build) when an evaluation runs
    from tutor.answer.turn import Tutor

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
    ranks: list[int] = field(default_factory=list)  # per question, in order: its lesson's rank (NOT_FOUND: absent)
    languages: list[str] = field(default_factory=list)  # per question, in order: the language it was asked in


def quiz_queries(lessons: list[Lesson]) -> list[QuizQuery]:
    return [QuizQuery(q.question, le.id, q, le.language) for le in lessons for q in le.quizzes]


Search = Callable[..., Retrieval]  # (question, filters, k=...) -> Retrieval: `Tutor.search`
Track = Callable[[Iterable[Any], str], Iterable[Any]]  # (items, label) -> the same items, shown as they go


def retrieval_metrics(
    search: Search, queries: Iterable[QuizQuery], ks: tuple[int, ...] = (1, 3, 5)
) -> RetrievalMetrics:
    """Lesson recall@k and MRR of quiz questions, each searched in its lesson's language through `search`."""
    ranks: list[int] = []
    misses: list[dict[str, Any]] = []
    latency: list[float] = []
    languages: list[str] = []
    for q in queries:
        t0 = time.perf_counter()
        r = search(q.question, Filters(language=q.language), k=max(ks))
        latency.append((time.perf_counter() - t0) * 1000)
        rank = r.lessons.index(q.lesson_id) + 1 if q.lesson_id in r.lessons else NOT_FOUND
        ranks.append(rank)
        languages.append(q.language)
        if rank > 1:
            misses.append(
                {
                    "question": q.question,
                    "lesson": q.lesson_id,
                    "got": r.lessons[0] if r.lessons else None,
                    "rank": rank if rank < NOT_FOUND else None,
                }
            )
    n = max(1, len(ranks))
    return RetrievalMetrics(
        len(ranks),
        {k: sum(r <= k for r in ranks) / n for k in ks},
        sum(1 / r for r in ranks) / n,
        misses,
        latency,
        ranks,
        languages,
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


@dataclass
class EvalReport:
    lessons_dir: str
    questions: int
    retrieval: dict[str, Any]
    refusal: dict[str, Any]
    answers: dict[str, Any] | None
    latency_ms: dict[str, float]
    misses: list[dict[str, Any]]
    files: list[str] = field(default_factory=list)
    embedding: str = ""  # the embedding backend that ran and the CPU features that chose it
    fitted: str = ""  # the key-sentence scorer's and the gate's weights (tutor/fitted), and for which embedder
    by_language: list[LanguageRow] = field(default_factory=list)  # per question language, English first

    def summary(self) -> str:
        r, f = self.retrieval, self.refusal
        lines = [
            f"{self.questions} quiz questions from {self.lessons_dir}",
            f"embedding: {self.embedding}",
            f"key sentences and gate: {self.fitted}",
            f"lesson recall@1 {r['recall@1']:.3f}  @3 {r['recall@3']:.3f}  @5 {r['recall@5']:.3f}  MRR {r['mrr']:.3f}",
            f"off-topic refused {f['off_topic_refused']:.3f} of {f['off_topic']}; "
            f"quiz questions answered {f['quiz_answered']:.3f}",
            *(["per question language:", *table(self.by_language)] if self.by_language else []),
            f"retrieval p50 {self.latency_ms['retrieval_p50']:.1f} ms, p95 {self.latency_ms['retrieval_p95']:.1f} ms",
        ]
        if self.answers:
            a = self.answers
            c = a["correctness"]
            lines += [
                f"answer correctness ({c['questions']} quiz questions asked without options; closest option "
                f"is the key): whole answer {c['right_whole_answer']:.3f}, key sentences "
                f"{c['right_key_sentences']:.3f}, model text {c['right_model_text']:.3f}; chance {c['chance']:.3f}, "
                f"ceiling (authored explanation) {c['right_authored_explanation']:.3f}; whole / ceiling "
                f"{c['whole_vs_ceiling']:.3f}"
                + (
                    f"; the measure agrees with {a['measure_check']['judged']} answers judged by hand at "
                    f"{a['measure_check']['agreement']:.3f}"
                    if a.get("measure_check")
                    else ""
                ),
                f"answers citing a passage {c['cited_share']:.3f}; explanation sentences shown as supported "
                f"{c['supported_share']:.3f}"
                + (
                    f"; support check on {a['support_check']['labelled']} labelled sentences: precision "
                    f"{a['support_check']['precision']:.3f}, recall {a['support_check']['recall']:.3f}"
                    if a["support_check"]
                    else ""
                ),
                f"groundedness {a['groundedness']:.3f} of {a['sentences']} answer sentences "
                f"({a['grounded_by_cited']:.3f} by a cited passage); quiz accuracy {a['quiz_accuracy']:.3f} "
                f"of {a['quizzes']}",
                f"time to first token p50 {self.latency_ms['ttft_p50']:.0f} ms, "
                f"p95 {self.latency_ms['ttft_p95']:.0f} ms",
            ]
        lines.append("wrote " + ", ".join(self.files))
        return "\n".join(lines)


def _quiz_choice(reply: str, n_options: int) -> int | None:
    m = re.search(r"\b([1-9])\b", reply)
    return int(m.group(1)) - 1 if m and int(m.group(1)) <= n_options else None


def run_eval(
    settings: Any,
    *,
    off_topic: Path | None = None,
    out_dir: Path = Path("eval-report"),
    answers: bool = True,
    limit: int | None = None,
    track: Track = lambda items, label: items,
) -> EvalReport:
    """Index `settings.lessons_dir` into out_dir/index (reused on later runs) and measure everything.
    `track` shows progress (the CLI passes a progress bar)."""
    from tutor.build import build_tutor, reindex
    from tutor.settings import Settings

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(**{**settings.model_dump(), "index_dir": out_dir / "index"})
    tutor = build_tutor(settings)
    reindex(tutor)
    queries = quiz_queries(load_lessons(settings.lessons_dir).lessons)[:limit]
    ks = tuple(range(1, 11))
    metrics = retrieval_metrics(tutor.search, track(queries, "retrieval"), ks)
    refusal, answered = _refusal(tutor, load_off_topic(off_topic), queries, settings.min_evidence)
    latency = {"retrieval_p50": percentile(metrics.latency_ms, 50), "retrieval_p95": percentile(metrics.latency_ms, 95)}
    answer_stats: dict[str, Any] | None = None
    ttft: list[float] = []
    if answers:
        answer_stats, ttft, key_ms = _ask_quizzes(tutor, queries, track)
        latency |= {
            "ttft_p50": percentile(ttft, 50),
            "ttft_p95": percentile(ttft, 95),
            "key_sentences_p50": percentile(key_ms, 50),
        }
    report = EvalReport(
        str(settings.lessons_dir),
        len(queries),
        {f"recall@{k}": metrics.recall[k] for k in ks} | {"mrr": metrics.mrr},
        refusal,
        answer_stats,
        latency,
        metrics.misses,
        embedding=tutor.embedder.describe(),
        fitted=fitted.describe(tutor.embedder.name),
        by_language=by_language(metrics.languages, metrics.ranks, answered),
    )
    report.files = _write_report(report, out_dir, metrics, ttft)
    return report


def _refusal(
    tutor: Tutor, off: list[str], queries: list[QuizQuery], min_evidence: float
) -> tuple[dict[str, Any], list[bool]]:
    """How many off-topic questions the evidence gate refuses, and how many quiz questions it lets through;
    and whether it let each quiz question through, in order."""
    refused_off = sum(not tutor.search(q).covered(min_evidence) for q in off)
    answered = [tutor.search(q.question, Filters(language=q.language)).covered(min_evidence) for q in queries]
    figures = {
        "off_topic": len(off),
        "off_topic_refused": refused_off / max(1, len(off)),
        "quiz_answered": sum(answered) / max(1, len(queries)),
        "min_evidence": min_evidence,
    }
    return figures, answered


def _ask_quizzes(
    tutor: Tutor, queries: list[QuizQuery], track: Track
) -> tuple[dict[str, Any], list[float], list[float]]:
    """Each quiz question asked without its options, then as a quiz: (the answers' figures, time to first
    token and to key sentences of each answer, in ms)."""
    from tutor.evaluation import correctness

    sentences = supported = by_cited = correct = 0
    right = correctness.Correctness()
    ttft: list[float] = []
    key_ms: list[float] = []
    for q in track(queries, "answers"):
        a = tutor.ask(q.question, filters=Filters(language=q.language), guard=False)  # the quiz is the test
        if a.refused:
            continue
        ttft.append(a.timings.ttft_s * 1000)
        key_ms.append(a.timings.key_s * 1000)
        right.add(tutor.embedder, a, q.quiz.options, q.quiz.answer, q.quiz.explanation, q.question)
        sentences += len(a.sentences)
        supported += sum(s.supported for s in a.sentences)
        by_cited += sum(s.supported and bool(s.citations) for s in a.sentences)
        correct += _quiz_choice_right(tutor, q)
    stats = {
        "sentences": sentences,
        "groundedness": supported / max(1, sentences),
        "grounded_by_cited": by_cited / max(1, sentences),
        "quizzes": len(queries),
        "quiz_accuracy": correct / max(1, len(queries)),
        "model": tutor.llm.model_path.name,
        "correctness": right.report(),
        "support_check": correctness.support_check_quality(tutor.attributor),
        "measure_check": correctness.measure_agreement(tutor.embedder),
    }
    return stats, ttft, key_ms


def _quiz_choice_right(tutor: Tutor, q: QuizQuery) -> bool:
    """The LLM, shown the question's passages and its numbered options, picks the right one."""
    from tutor.answer import prompts

    r = tutor.retrieve(q.question, filters=Filters(language=q.language))
    prompt, stop = tutor.llm.render(prompts.quiz_messages(r.passages, q.question, q.quiz.options))
    reply = tutor.llm.complete(prompt, stop, max_tokens=8)
    return _quiz_choice(reply, len(q.quiz.options)) == q.quiz.answer


def _write_report(report: EvalReport, out_dir: Path, metrics: RetrievalMetrics, ttft: list[float]) -> list[str]:
    """The plots, report.json and report.md written into `out_dir`: their paths."""
    from tutor.evaluation import plots

    shares: dict[str, float] = dict(report.answers["correctness"]) if report.answers else {}
    files = [
        *([plots.correctness_bars(shares, out_dir / "correctness.png")] if shares.get("questions") else []),
        plots.recall_curve(metrics.recall, out_dir / "recall_at_k.png", "Lesson recall@k on quiz questions"),
        plots.latency_histogram(
            {"retrieval": metrics.latency_ms, "first token": ttft}, out_dir / "latency.png", "Latency per question"
        ),
    ]
    (out_dir / "report.json").write_text(json.dumps(asdict(report), indent=2), encoding="utf-8")
    (out_dir / "report.md").write_text(_markdown(report), encoding="utf-8")
    return [str(p) for p in [*files, out_dir / "report.json", out_dir / "report.md"]]


def _markdown(r: EvalReport) -> str:
    rows = "\n".join(f"| {m['lesson']} | {m['question']} | {m['got']} | {m['rank'] or '-'} |" for m in r.misses)
    lines = [
        "# Tutor evaluation",
        "",
        "```",
        r.summary(),
        "```",
        "",
        "![recall](recall_at_k.png) ![latency](latency.png)",
        "",
        "## Per question language",
        "",
        *markdown(r.by_language),
        "",
        "## Questions whose lesson was not ranked first",
        "",
        "| lesson | quiz question | ranked first | rank of its lesson |",
        "|---|---|---|---|",
        rows,
        "",
    ]
    return "\n".join(lines)
