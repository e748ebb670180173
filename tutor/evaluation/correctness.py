"""Answer correctness on the lessons' own quizzes, asked without their options.

For each quiz question the tutor answers as a learner would see it; then the displayed answer is compared
with every option and counts as right when the closest option is the key. Closeness is the embedder cosine
plus LEXICAL_WEIGHT x the share of the option's own words (those neither the question nor every option
uses) that the answer holds outside a negation: cosine alone misses a number ("roughly 35 %" came out
closest to "About 5 %") and a negation ("isn't programming - it's asking good questions" closest to "write
Python code"). Against answers judged by hand (tests/data/quiz_judgements.jsonl and the seeds course's
quizzes, docs/benchmarks.md "How the measure was checked") the words raised agreement from 0.72 to 0.76 on
corpus/ and from 0.70 to 0.81 on the seeds (0.78 and 0.84 once negated words do not count), and the share of
authored explanations the measure scores right from 0.78 to 0.80 and 0.81 to 0.91. Measured for the key
sentences alone, the model's text alone and the whole answer (key sentences plus the explanation's
supported sentences), beside two references: chance (mean of 1/options) and the measure's ceiling, the same
comparison made with the quiz's own authored explanation as the answer. A measure that scores the authored
explanation at 0.78 cannot be expected to reach 1.0 with any answer.

The support check's precision and recall on the hand-labelled sentences (tests/data/support_labels.jsonl,
when the file is there) complete the picture: how often a sentence shown as backed by the lessons is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tutor.events import Answer, Source
from tutor.models.ports import Embedder
from tutor.text.words import stem_set

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
LABELS = DATA / "support_labels.jsonl"
JUDGED = DATA / "quiz_judgements.jsonl"
PARTS = ("key_sentences", "model_text", "whole_answer", "authored_explanation")
LEXICAL_WEIGHT = 0.3  # beside the cosine: the share of an option's own words the answer holds
# words the answer says are not so hold nothing: "isn't programming", "You don't need to write code" (to the
# next punctuation or dash); checked against the judged answers (docs/benchmarks.md, "How the measure was checked")
NEGATED = re.compile(
    r"\b(?:not|never|no|without|isn't|aren't|doesn't|don't|didn't|can't|cannot|won't)\b(?: need to)?"
    r"[^.,;:!?\u2014\u2013]*?(?=[.,;:!?\u2014\u2013]| - |$)",
    re.I,
)


def own_words(options: Sequence[str], question: str = "") -> list[frozenset[str]]:
    """Each option's words (stems) that tell it apart: not in the question, not shared by every option."""
    words = [stem_set(o) - stem_set(question) for o in options]
    common = frozenset.intersection(*words) if words else frozenset()
    return [w - common for w in words]


def closest_option(embedder: Embedder, text: str, options: Sequence[str], question: str = "") -> int | None:
    """Index of the option closest to `text`: cosine plus the share of the option's own words it holds
    outside a negation (None for an empty text)."""
    if not text.strip() or not options:
        return None
    vecs = embedder.embed([text, *options])
    held = stem_set(NEGATED.sub(" ", text))
    lexical = np.array([len(w & held) / len(w) if w else 0.0 for w in own_words(options, question)])
    return int(np.argmax(vecs[1:] @ vecs[0] + LEXICAL_WEIGHT * lexical))


def answer_parts(answer: Answer) -> dict[str, str]:
    """What the learner reads, split: the lessons' sentences, the model's text, and the two together
    (the explanation's unsupported sentences are not part of the answer shown as such)."""
    keys = " ".join(k.text for k in answer.key_sentences)
    supported = " ".join(c.text for c in answer.sentences if c.supported)
    return {"key_sentences": keys, "model_text": answer.explanation, "whole_answer": f"{keys} {supported}".strip()}


@dataclass
class Correctness:
    """Running counts over answered quiz questions; `report()` turns them into shares."""

    questions: int = 0
    chance: float = 0.0  # sum of 1/options
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    cited: int = 0  # answers with at least one citation
    sentences: int = 0
    supported: int = 0

    def add(
        self, embedder: Embedder, answer: Answer, options: Sequence[str], key: int, explanation: str, question: str
    ) -> None:
        self.questions += 1
        self.chance += 1 / max(1, len(options))
        parts = answer_parts(answer) | {"authored_explanation": explanation}
        for name, text in parts.items():
            self.right[name] += closest_option(embedder, text, options, question) == key
        self.cited += bool(answer.citations)
        self.sentences += len(answer.sentences)
        self.supported += sum(c.supported for c in answer.sentences)

    def report(self) -> dict[str, Any]:
        n = max(1, self.questions)
        shares = {name: self.right[name] / n for name in PARTS}
        ceiling = shares["authored_explanation"]
        return {
            "questions": self.questions,
            "chance": self.chance / n,
            **{f"right_{name}": v for name, v in shares.items()},
            "whole_vs_ceiling": shares["whole_answer"] / ceiling if ceiling else 0.0,
            "cited_share": self.cited / n,
            "sentences": self.sentences,
            "supported_share": self.supported / max(1, self.sentences),
        }


def support_check_quality(attributor: Any, path: Path = LABELS) -> dict[str, float] | None:
    """Precision and recall of the attribution on hand-labelled sentences (None when the file is absent).
    Each sentence goes through what an explanation goes through: repeats of the question are dropped
    (counted as not shown as supported), then the support check against the passages the model had."""
    if not path.is_file():
        return None
    tp = fp = fn = n = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        sources = [
            Source(
                number=s["number"],
                chunk_id=f"label:{s['number']}:{hash(s['text'])}",
                lesson_id="",
                path="",
                title=s["title"],
                breadcrumb=s["breadcrumb"],
                anchor="",
                language="en",
                program="",
                start=0,
                end=len(s["text"]),
                score=0.0,
                similarity=0.0,
                text=s["text"],
            )
            for s in r["sources"]
        ]
        for item in r["sentences"]:
            kept = attributor.sentences(item["text"], (), r["question"])
            said = bool(kept) and all(c.supported for c in attributor.check(kept, sources, r["question"]))
            n += 1
            tp += said and item["label"]
            fp += said and not item["label"]
            fn += not said and item["label"]
    return {"labelled": n, "precision": tp / max(1, tp + fp), "recall": tp / max(1, tp + fn)}


def measure_agreement(embedder: Embedder, path: Path = JUDGED) -> dict[str, float] | None:
    """How often the measure agrees with answers judged by hand (None when the file is absent): each line
    holds a quiz question, its options and key, an answer text and a judgement ("right", "partly",
    "wrong"); the measure agrees when it calls the text right exactly when the judgement is "right"."""
    if not path.is_file():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    agree = sum(
        (closest_option(embedder, r["text"], r["options"], r["question"]) == r["answer"]) == (r["judgement"] == "right")
        for r in rows
    )
    return {"judged": len(rows), "agreement": agree / max(1, len(rows))}
