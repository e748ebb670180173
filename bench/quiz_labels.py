"""Silver answering sentences for each course's own quiz questions, and the tally of those checked by hand.

For every English quiz item of a course (`tutor.evaluation.quizzes.quiz_queries`), the sentences of the quiz's
own lesson are read from the lesson file (text and call-out blocks only: no headings, code, images or quiz
text; list items and table rows are units of their own, cut into sentences by `tutor.text.segment`; sentences
under 4 words are left out). Each is embedded with the project's embedder, as is "question + key option +
authored explanation" (the explanation is empty in afb); the closest sentence is the silver answer, and the
second closest joins it when its cosine is within MARGIN of the first. Every quote is checked to be in its
file after `bench.labels.fold`; one that is not is dropped and counted.

Output, one file per course, bench/data/labels/quiz_<course>.json:

    {"course": "afb", "root": "../shared/corpora/ai-for-beginners", "about": "...",
     "quiz": [{"id": "quiz-afb-001", "q": "...", "options": [...], "key": 1,
               "answers": [{"file": "lessons/1-Intro/README.md", "quote": "..."}], "checked": null}]}

`checked` is null (silver), true (checked by hand: the sentence supports the key), false (it does not and no
sentence of the lesson does) or "corrected" (it did not; `answers` now holds a sentence that does). A rerun
keeps what was checked by hand: an item with the same id and question keeps its `checked`, and a corrected
one keeps its answers. The items to check are drawn with a fixed seed before looking (`--sample`).

Run: HF_HUB_OFFLINE=1 .venv/bin/python bench/quiz_labels.py [COURSE ...]   writes the files, prints counts
     .venv/bin/python bench/quiz_labels.py --sample                       the 50 ids to check by hand
     .venv/bin/python bench/quiz_labels.py --tally                        the hand-check tally, files as they are
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import labels  # noqa: E402
from tutor.evaluation.quizzes import quiz_queries  # noqa: E402
from tutor.ingest.lessons import Lesson, load_lessons  # noqa: E402
from tutor.text.segment import sentence_spans  # noqa: E402

COURSES = labels.COURSES
MARGIN = 0.03  # a second sentence joins the first when its cosine is this close
MIN_WORDS = 4
SAMPLE = {"corpus": 17, "seeds": 17, "afb": 16}  # items checked by hand per course
SEED = 20240611
PROSE = {"text", "callout"}
_ITEM = re.compile(r"\s*(?:>\s*)*(?:[-*+]|\d+[.)])\s+")  # a list item's opening
_IMAGE = re.compile(r"!\[|<img\b", re.I)
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")
_LEAD = re.compile(r"^(?:>\s*)*(?:[-*+]\s+|\d+[.)]\s+)?")  # blockquote marks and a list marker, left off a quote


@dataclass
class Sentence:
    start: int
    end: int
    quote: str


def file_path(lesson: Lesson) -> str:
    """The lesson file relative to the course root (the lesson's own path is relative to the same folder)."""
    return Path(lesson.path).as_posix()


def units(source: str, start: int, end: int) -> list[tuple[int, int]]:
    """A block's lines grouped into units: a paragraph, one list item with its continuation lines, one table
    row. Image lines and table rules are left out."""
    out: list[list[int]] = []
    pos = start
    joinable = False
    for line in source[start:end].splitlines(keepends=True):
        a, b = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        body = line.strip()
        if not body or _IMAGE.search(body) or _TABLE_RULE.match(body) and "-" in body:
            joinable = False
            continue
        row = body.startswith("|")
        if joinable and not row and not _ITEM.match(line):
            out[-1][1] = b
        else:
            out.append([a, b])
        joinable = not row
    return [(a, b) for a, b in out]


def sentences(lesson: Lesson) -> list[Sentence]:
    """The lesson's prose sentences of MIN_WORDS words or more, as spans of its file and their quotes."""
    out: list[Sentence] = []
    src = lesson.source
    for block in lesson.blocks:
        if block.kind not in PROSE:
            continue
        for ua, ub in units(src, block.start, block.end):
            for a, b in sentence_spans(src, ua, ub, "en"):
                quote = " ".join(src[a:b].replace("|", " ").split())
                quote = _LEAD.sub("", quote).strip()
                if len(labels.fold(quote).split()) >= MIN_WORDS:
                    out.append(Sentence(a, b, quote))
    return out


def query_text(q: Any) -> str:
    quiz = q.quiz
    return " ".join(x for x in (quiz.question, quiz.options[quiz.answer], quiz.explanation) if x.strip())


def silver(course: str, embedder: Any) -> tuple[dict[str, Any], dict[str, int]]:
    """The course's quiz items with their silver answers, and counts: items, no sentence, dropped quotes."""
    meta = json.loads((labels.DIR / f"{course}.json").read_text(encoding="utf-8"))
    root = (labels.ROOT / meta["root"]).resolve()
    lessons = load_lessons(root).lessons
    by_id = {le.id: le for le in lessons}
    queries = [q for q in quiz_queries(lessons) if q.language in (None, "en")]
    counts = {"quiz": len(queries), "items": 0, "no_sentence": 0, "dropped": 0, "two": 0}
    cache: dict[str, tuple[list[Sentence], Any, str]] = {}
    items: list[dict[str, Any]] = []
    qvecs = embedder.embed([query_text(q) for q in queries])
    for n, (q, qv) in enumerate(zip(queries, qvecs), 1):
        lesson = by_id[q.lesson_id]
        if lesson.id not in cache:
            sents = sentences(lesson)
            vecs = embedder.embed([s.quote for s in sents]) if sents else None
            text = labels.fold((root / file_path(lesson)).read_text(encoding="utf-8"))
            cache[lesson.id] = (sents, vecs, text)
        sents, vecs, text = cache[lesson.id]
        if not sents:
            counts["no_sentence"] += 1
            continue
        scores = vecs @ qv
        order = scores.argsort()[::-1]
        picks = [order[0]] + [i for i in order[1:2] if scores[i] >= scores[order[0]] - MARGIN]
        answers = []
        for i in picks:
            quote = sents[i].quote
            if labels.fold(quote) in text:
                answers.append({"file": file_path(lesson), "quote": quote})
            else:
                counts["dropped"] += 1
        if not answers:
            continue
        counts["two"] += len(answers) == 2
        items.append(
            {
                "id": f"quiz-{course}-{n:03d}",
                "q": q.question,
                "options": list(q.quiz.options),
                "key": q.quiz.answer,
                "answers": answers,
                "checked": None,
            }
        )
    counts["items"] = len(items)
    return {"course": course, "root": meta["root"], "about": "", "quiz": items}, counts


def merged(new: dict[str, Any], path: Path) -> dict[str, Any]:
    """`new` with the hand checks of the file already at `path` kept (same id and question)."""
    if not path.exists():
        return new
    old = {d["id"]: d for d in json.loads(path.read_text(encoding="utf-8"))["quiz"]}
    for d in new["quiz"]:
        o = old.get(d["id"])
        if o and o["q"] == d["q"] and o.get("checked") is not None:
            d["checked"] = o["checked"]
            if o["checked"] == "corrected":
                d["answers"] = o["answers"]
    return new


def tally(data: dict[str, Any]) -> dict[str, int]:
    checked = [d["checked"] for d in data["quiz"] if d.get("checked") is not None]
    return {
        "checked": len(checked),
        "right": sum(c is True for c in checked),
        "corrected": sum(c == "corrected" for c in checked),
        "wrong": sum(c is False for c in checked),
    }


def about(counts: dict[str, int], t: dict[str, int]) -> str:
    text = (
        f"Silver labels for the course's own English quiz items ({counts['quiz']}): the sentence(s) of the quiz's "
        f"own lesson closest, by the tutor's embedder, to question + key option + authored explanation; a second "
        f"sentence when within {MARGIN} cosine of the first ({counts['two']} items have two). Written by "
        f"bench/quiz_labels.py; {counts['items']} items, {counts['dropped']} quotes dropped as not found in their "
        f"file, {counts['no_sentence']} items without a lesson sentence."
    )
    if t["checked"]:
        text += (
            f" Checked by hand (drawn with seed {SEED} before looking): {t['checked']}, of which {t['right']} "
            f"right (read alone, the silver sentence, or one of two, states what singles out the key); "
            f"{t['corrected']} wrong and corrected to a sentence that does, {t['wrong']} wrong with no "
            f"supporting sentence in the lesson."
        )
    return text


def sample() -> dict[str, list[str]]:
    """The ids to check by hand, drawn with SEED from each course's file as written."""
    rng = random.Random(SEED)
    out = {}
    for course, k in SAMPLE.items():
        data = json.loads((labels.DIR / f"quiz_{course}.json").read_text(encoding="utf-8"))
        out[course] = sorted(rng.sample([d["id"] for d in data["quiz"]], k))
    return out


def print_tally(courses: list[str]) -> None:
    total = {"checked": 0, "right": 0, "corrected": 0, "wrong": 0}
    for course in courses:
        path = labels.DIR / f"quiz_{course}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        t = tally(data)
        total = {k: total[k] + t[k] for k in total}
        print(
            f"{course}: hand-checked {t['checked']}: {t['right']} right, {t['corrected']} corrected, "
            f"{t['wrong']} wrong without a supporting sentence"
        )
    print(
        f"all: hand-checked {total['checked']}: {total['right']} right "
        f"({total['right'] / max(1, total['checked']):.0%}), {total['corrected']} corrected, {total['wrong']} wrong"
    )


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("courses", nargs="*", default=list(COURSES))
    ap.add_argument("--sample", action="store_true", help="print the ids to check by hand")
    ap.add_argument("--tally", action="store_true", help="print the hand-check tally of the files as they are")
    args = ap.parse_args(argv)
    if args.sample:
        for course, ids in sample().items():
            print(course, " ".join(ids))
        return 0
    if not args.tally:
        from tutor.build import build_embedder
        from tutor.settings import Settings

        embedder = build_embedder(Settings(embedding_model="all-MiniLM-L6-v2"))  # the labels are MiniLM's
        for course in args.courses:
            data, counts = silver(course, embedder)
            path = labels.DIR / f"quiz_{course}.json"
            data = merged(data, path)
            data["about"] = about(counts, tally(data))
            path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(
                f"{course}: {counts['quiz']} English quiz items, {counts['items']} labelled "
                f"({counts['two']} with two sentences), {counts['dropped']} quotes dropped (not in file), "
                f"{counts['no_sentence']} without a lesson sentence -> {path.relative_to(labels.ROOT)}"
            )
    print_tally(args.courses)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
