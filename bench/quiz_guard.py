"""Where the chat's quiz guard draws its line, on three courses: how many reworded quiz items get the hint, and
how many learner questions that must be answered get it instead of an answer (false hints).

Per course (bench/data/labels/<course>.json names its root): the quiz items are read as the tutor reads them
(`tutor.ingest.lessons.load_lessons`: <Quiz> tags, quiz files, quiz-app JSON), embedded with the project's
embedder (`tutor.learn.guard.QuizMatcher`); the rewordings are bench/data/quiz_rewordings.json (written by
hand, each naming the quiz question it rewords), the learner questions are the labels' `learner` questions.

The guard's line (`tutor.learn.guard.Line`: cosine and shared words to a quiz question; cosine to the question
with its options and how many options a question names) is chosen leaving one course out: on the other two,
the line that hints the most rewordings while hinting at most TARGET of the learner questions, then judged on
the course left out. Last, the guard's own line on every course (with its false hints and misses named), and
each course's quiz questions caught as themselves.

Usage: HF_HUB_OFFLINE=1 .venv/bin/python bench/quiz_guard.py [COURSE ...]   (about a minute on 2 cores)
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import labels  # noqa: E402
from bench.common import describe_machine  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.learn import guard as g  # noqa: E402
from tutor.learn.practice import QuizItem  # noqa: E402
from tutor.models.embedder import Embedder  # noqa: E402

REWORDINGS = labels.ROOT / "bench" / "data" / "quiz_rewordings.json"
TARGET = 0.01  # false hints allowed on the courses a threshold is chosen on (the issue asks under 2 % when judged)


@dataclass
class Asked:
    q: str
    cands: list[g.Candidate]
    of: str = ""  # the quiz question a rewording rewords ("" for a learner question)
    kind: str = ""


@dataclass
class Course:
    name: str
    items: list[QuizItem]
    reworded: list[Asked]
    learner: list[Asked]
    matcher: g.QuizMatcher


def quiz_items(root: Path) -> list[QuizItem]:
    lessons = load_lessons(root).lessons
    return [
        QuizItem(le.id, i, q.question, tuple(q.options), le.title)
        for le in lessons
        for i, q in enumerate(le.quizzes, start=1)
    ]


def load_course(name: str, embedder: Embedder, rewordings: list[dict[str, str]]) -> Course:
    course = labels.load(name)
    items = quiz_items(course.root)
    questions = {it.question for it in items}
    for r in rewordings:
        if r["of"] not in questions:
            sys.exit(f"{REWORDINGS}: {name}: no quiz question {r['of']!r} in {course.root}; copy it from the lesson")
    matcher = g.QuizMatcher(items, embedder)
    texts = [r["q"] for r in rewordings] + [q.q for q in course.learner]
    vecs = embedder.embed(texts)
    asked = [Asked(t, matcher.candidates(t, v)) for t, v in zip(texts, vecs)]
    for a, r in zip(asked, rewordings):
        a.of, a.kind = r["of"], r["kind"]
    return Course(name, items, asked[: len(rewordings)], asked[len(rewordings) :], matcher)


def rates(c: Course, line: g.Line) -> tuple[float, float, float]:
    """(hint rate on rewordings, share of rewordings hinted with their own item, false-hint rate)."""
    picks = [g.pick(a.cands, line) for a in c.reworded]
    hinted = sum(p is not None for p in picks) / len(c.reworded)
    right = sum(p is not None and p.item.question == a.of for p, a in zip(picks, c.reworded)) / len(c.reworded)
    false = sum(g.pick(a.cands, line) is not None for a in c.learner) / len(c.learner)
    return hinted, right, false


def lines() -> list[g.Line]:
    return [
        g.Line(q, w, t, n)
        for q in (0.80, 0.85, 0.90, 0.95)
        for w in (0.4, 0.6, 0.8, 1.0)
        for t in [round(0.5 + 0.025 * i, 3) for i in range(21)]
        for n in (2, 3)
    ]


def choose(train: list[Course]) -> g.Line:
    """The line that hints the most rewordings of `train` (pooled) while hinting at most TARGET of its learner
    questions; of equals, the strictest."""
    n_r, n_l = sum(len(c.reworded) for c in train), sum(len(c.learner) for c in train)
    best: tuple[float, tuple[float, ...], g.Line] | None = None
    for line in lines():
        got = [rates(c, line) for c in train]
        false = sum(f * len(c.learner) for (_, _, f), c in zip(got, train)) / n_l
        if false > TARGET:
            continue
        hinted = sum(h * len(c.reworded) for (h, _, _), c in zip(got, train)) / n_r
        key = (hinted, (line.question, line.words, line.item, line.named))
        if best is None or key > best[:2]:
            best = (*key, line)
    return best[2] if best else g.Line(1.0, 1.0, 1.0, 99)


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def main() -> None:
    names = sys.argv[1:] or list(labels.COURSES)
    data = json.loads(REWORDINGS.read_text(encoding="utf-8"))["courses"]
    embedder = Embedder()
    courses = [load_course(n, embedder, data[n]) for n in names]
    print(describe_machine())
    print(f"embedder {embedder.name}")
    print("\n| course left out | quiz items | line chosen on the others | rewordings hinted (own item) | false hints |")
    print("| --- | --- | --- | --- | --- |")
    for c in courses:
        line = choose([o for o in courses if o is not c] or [c])
        hinted, right, false = rates(c, line)
        print(f"| {c.name} | {len(c.items)} | {show(line)} | {pct(hinted)} ({pct(right)}) of {len(c.reworded)} "
              f"| {pct(false)} of {len(c.learner)} |")  # fmt: skip
    print(f"\nchosen on every course: {show(choose(courses))}; the guard's: {show(g.LINE)}")
    for c in courses:
        hinted, right, false = rates(c, g.LINE)
        kinds = {}
        for kind in sorted({a.kind for a in c.reworded}):
            some = [a for a in c.reworded if a.kind == kind]
            kinds[kind] = f"{sum(g.pick(a.cands) is not None for a in some)}/{len(some)}"
        own = sum((m := c.matcher.match(it.question)) is not None and m.item.ref == it.ref for it in c.items)
        print(f"  {c.name}: rewordings {pct(hinted)} {kinds}; false hints {pct(false)}; "
              f"quiz questions caught as themselves {own}/{len(c.items)}")  # fmt: skip
        for a in c.learner:
            if (p := g.pick(a.cands)) is not None:
                print(f"    false hint: {a.q!r} ~ {p.item.question[:60]!r} (cos {p.similarity:.3f} / "
                      f"{p.whole:.3f}, words {p.overlap:.2f}, named {p.named})")  # fmt: skip
        for a in c.reworded:
            if g.pick(a.cands) is None:
                top = max(a.cands, key=lambda x: x.whole, default=None)
                near = (
                    f"cos {top.similarity:.3f} / {top.whole:.3f}, words {top.overlap:.2f}, named {top.named}"
                    if top
                    else ""
                )
                print(f"    missed ({a.kind}): {a.q[:70]!r} ({near or 'no quiz item near'})")


def show(line: g.Line) -> str:
    return f"question {line.question} + words {line.words}, or item {line.item} + {line.named} options"


if __name__ == "__main__":
    main()
