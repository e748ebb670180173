"""Labelled questions of three courses: the data the key-sentence scorer and the gate are fitted and judged on.

One file per course, bench/data/labels/<course>.json:

    {"course": "afb", "root": "../shared/corpora/ai-for-beginners", "about": "...",
     "learner": [{"id": "afb-001", "q": "what is a perceptron", "kind": "definition",
                  "answers": [{"file": "lessons/3-NeuralNetworks/03-Perceptron/README.md",
                               "quote": "Perceptron is a binary classification model ..."}]},
                 {"id": "afb-002", "q": "how do I fix it?", "after": "What is overfitting?",
                  "kind": "follow-up", "answers": [...]}],
     "off_topic": [{"q": "How do I make a compost heap?", "shares": "heap"}]}

- `root` is relative to the project root; `file` relative to `root`.
- `quote` is one answering sentence (or list item) copied from the lesson file; it is found after folding
  case, markup and spaces (`fold`), so bold marks or a link's target may be left out.
- `kind`: definition, why, how, compare, how-to, follow-up, typo, other. A follow-up names the question it
  follows in `after` (asked first, in the same conversation).
- `shares` names the lesson word an off-topic question shares, or is "" for one sharing none.

Run: .venv/bin/python bench/labels.py [COURSE ...]   checks every quote is in its file; prints counts.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "bench" / "data" / "labels"
COURSES = ("corpus", "seeds", "afb")
KINDS = {"definition", "why", "how", "compare", "how-to", "follow-up", "typo", "other"}
_WORD = re.compile(r"[^\W_]+", re.U)
_LINK = re.compile(r"\]\([^)]*\)")  # a Markdown link's target: "[text](url)" reads as "text"


def fold(text: str) -> str:
    """Lower-case words joined by one space: markup, punctuation and line breaks gone."""
    return " ".join(_WORD.findall(_LINK.sub("]", text).lower()))


@dataclass
class Answer:
    file: str
    quote: str


@dataclass
class Question:
    id: str
    q: str
    kind: str
    answers: list[Answer]
    after: str = ""  # the question this follow-up follows


@dataclass
class Course:
    name: str
    root: Path
    learner: list[Question]
    off_topic: list[dict[str, str]] = field(default_factory=list)


def load(name: str) -> Course:
    data = json.loads((DIR / f"{name}.json").read_text(encoding="utf-8"))
    learner = [
        Question(
            d["id"],
            d["q"],
            d.get("kind", "other"),
            [Answer(a["file"], a["quote"]) for a in d["answers"]],
            d.get("after", ""),
        )
        for d in data["learner"]
    ]
    return Course(name, (ROOT / data["root"]).resolve(), learner, data.get("off_topic", []))


def problems(course: Course) -> list[str]:
    """What is wrong with a course's labels: a file or quote not found, an unknown kind, a repeated id."""
    out: list[str] = []
    texts: dict[str, str] = {}
    ids = Counter(q.id for q in course.learner)
    out += [f"id {i} used {n} times" for i, n in ids.items() if n > 1]
    for q in course.learner:
        if q.kind not in KINDS:
            out.append(f"{q.id}: kind {q.kind!r} is not one of {sorted(KINDS)}")
        if q.kind == "follow-up" and not q.after:
            out.append(f"{q.id}: a follow-up needs `after`, the question it follows")
        if not q.answers:
            out.append(f"{q.id}: no answers")
        for a in q.answers:
            path = course.root / a.file
            if a.file not in texts:
                texts[a.file] = fold(path.read_text(encoding="utf-8")) if path.is_file() else ""
            if not texts[a.file]:
                out.append(f"{q.id}: file {a.file} not found under {course.root}")
            elif len(fold(a.quote).split()) < 3:
                out.append(f"{q.id}: quote too short: {a.quote!r}")
            elif fold(a.quote) not in texts[a.file]:
                out.append(f"{q.id}: quote not found in {a.file}: {a.quote[:80]!r}")
    for d in course.off_topic:
        if not d.get("q"):
            out.append(f"off-topic entry without q: {d}")
    return out


def main(argv: list[str]) -> int:
    bad = 0
    for name in argv or [c for c in COURSES if (DIR / f"{c}.json").exists()]:
        course = load(name)
        errors = problems(course)
        kinds = Counter(q.kind for q in course.learner)
        sharing = sum(bool(d.get("shares")) for d in course.off_topic)
        print(
            f"{name}: {len(course.learner)} learner questions ({dict(sorted(kinds.items()))}), "
            f"{len(course.off_topic)} off-topic ({sharing} sharing a lesson word), {len(errors)} problems"
        )
        for e in errors:
            print("  " + e)
        bad += len(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
