"""Answer correctness on the lessons' own quizzes, asked without their options.

For each quiz question the tutor answers as a learner would see it; then the displayed answer is compared
with every option (embedder cosine) and counts as right when the closest option is the key. Measured for
the key sentences alone, the model's text alone and the whole answer (key sentences plus the explanation's
supported sentences), beside two references: chance (mean of 1/options) and the measure's ceiling, the same
comparison made with the quiz's own authored explanation as the answer. A measure that scores the authored
explanation at 0.78 cannot be expected to reach 1.0 with any answer.

The support check's precision and recall on the hand-labelled sentences (tests/data/support_labels.jsonl,
when the file is there) complete the picture: how often a sentence shown as backed by the lessons is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tutor.events import Answer, Source
from tutor.models.ports import Embedder

LABELS = Path(__file__).resolve().parents[2] / "tests" / "data" / "support_labels.jsonl"
PARTS = ("key_sentences", "model_text", "whole_answer", "authored_explanation")


def closest_option(embedder: Embedder, text: str, options: Sequence[str]) -> int | None:
    """Index of the option closest in meaning to `text` (None for an empty text)."""
    if not text.strip() or not options:
        return None
    vecs = embedder.embed([text, *options])
    return int(np.argmax(vecs[1:] @ vecs[0]))


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

    def add(self, embedder: Embedder, answer: Answer, options: Sequence[str], key: int, explanation: str) -> None:
        self.questions += 1
        self.chance += 1 / max(1, len(options))
        parts = answer_parts(answer) | {"authored_explanation": explanation}
        for name, text in parts.items():
            self.right[name] += closest_option(embedder, text, options) == key
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
