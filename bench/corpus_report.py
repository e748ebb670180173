"""What the tutor makes of a course folder as published: for each lessons directory, the lesson-like files
found, the lessons taken in, the files left out (with their reasons, as `tutor index --dry-run` gives them), the
chunks and quiz items indexed, and lesson recall@1/@3 of the course's own quiz questions (each searched in its
quiz's language through `Tutor.search`, the path the page uses; a hit is a passage of the quiz's own lesson).
Each course goes into its own scratch index, embedded with the default embedder.

    python bench/corpus_report.py [DIR ...]     # default: corpus/
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_LESSONS, describe_machine  # noqa: E402
from tutor.build import build_tutor  # noqa: E402
from tutor.errors import TutorError  # noqa: E402
from tutor.evaluation.quizzes import quiz_queries, retrieval_metrics  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.models.embedder import Embedder  # noqa: E402
from tutor.settings import Settings  # noqa: E402
from tutor.store.chroma import ChunkStore  # noqa: E402
from tutor.store.sync import sync_index  # noqa: E402


@dataclass
class CourseReport:
    name: str
    found: int = 0  # lesson-like files the walk found
    lessons: int = 0
    left_out: Counter[str] = field(default_factory=Counter)  # reason -> files
    unreadable: int = 0
    warnings: list[str] = field(default_factory=list)
    chunks: int = 0
    quiz_items: int = 0
    recall: dict[int, float] = field(default_factory=dict)  # k -> share of quiz questions
    error: str = ""

    def row(self) -> str:
        r1, r3 = (f"{self.recall[k]:.3f}" if k in self.recall else "-" for k in (1, 3))
        left = sum(self.left_out.values())
        return (
            f"| {self.name} | {self.found} | {self.lessons} | {left} | {self.unreadable} | {self.chunks} | "
            f"{self.quiz_items} | {r1} | {r3} |"
        )


def measure(lessons_dir: Path, embedder: Embedder) -> CourseReport:
    """One course: what the loader takes in and leaves out, then its scratch index and quiz retrieval."""
    out = CourseReport(lessons_dir.name)
    try:
        report = load_lessons(lessons_dir)
    except TutorError as exc:
        out.error = str(exc)
        return out
    out.found, out.lessons = report.candidates, len(report.lessons)
    out.left_out = Counter(x.reason for x in report.left_out)
    out.unreadable, out.warnings = len(report.failed_paths), [str(w) for w in report.warnings]
    out.quiz_items = sum(len(le.quizzes) for le in report.lessons)
    if not report.lessons:
        return out
    with tempfile.TemporaryDirectory(prefix="corpus-report-") as tmp:
        store = ChunkStore(Path(tmp))
        out.chunks = sync_index(lessons_dir, store, embedder).chunks
        queries = quiz_queries(report.lessons)
        if queries:
            tutor = build_tutor(Settings(lessons_dir=lessons_dir, index_dir=Path(tmp)), store=store, embedder=embedder)
            out.recall = retrieval_metrics(tutor.search, queries, ks=(1, 3)).recall
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("dirs", nargs="*", type=Path, help="lessons directories (default: corpus/)")
    args = ap.parse_args()
    dirs = [d.resolve() for d in args.dirs] or [DEFAULT_LESSONS]
    print("== corpus report: what each course folder gives the tutor ==")
    print(describe_machine())
    sys.stdout.flush()
    embedder = Embedder()
    reports = []
    for d in dirs:
        r = measure(d, embedder)
        reports.append(r)
        print(f"  {d}: {r.lessons} lessons, {r.chunks} chunks, {r.quiz_items} quiz items", flush=True)
    columns = "course, files found, lessons taken in, left out, unreadable, chunks, quiz items, recall@1, recall@3"
    print(f"\n| {' | '.join(columns.split(', '))} |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in reports:
        print(r.row())
    for r in reports:
        if r.error or r.left_out or r.warnings:
            print(f"\n{r.name}:")
        if r.error:
            print(f"  error: {r.error}")
        for reason, n in r.left_out.most_common():
            print(f"  left out, {n} file{'s' if n != 1 else ''}: {reason}")
        for w in r.warnings[:8]:
            print(f"  warning: {w}")
        if len(r.warnings) > 8:
            print(f"  ... and {len(r.warnings) - 8} more warnings")


if __name__ == "__main__":
    main()
