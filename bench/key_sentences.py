"""Key-sentence correctness without the model: how often the sentences picked before the model answer a
lesson's own quiz question, against what the retrieved passages could give.

For each quiz question (asked without its options, in its lesson's language, through `Tutor.retrieve`, the
turn's own path) the key sentences are picked as a turn picks them, and count as right when the option
closest to them in meaning is the key (the measure of `tutor eval`, tutor/evaluation/correctness.py).
References in the same run:
- chance (mean of 1/options) and the ceiling (the quiz's authored explanation used as the answer);
- first passage: the whole first retrieved passage used as the answer;
- oracle sentence: the share of questions where at least one sentence of the passages the picker sees is
  right on its own (what a perfect one-sentence picker could reach; not reachable without the options).
Then the short learner questions of bench/data/learner_questions.json ("corpus" for corpus/, "seeds" for any
other directory): how often the first passage, the best key sentence and any key sentence come from a
section that answers the question (bench/data/answer_sections.json, judged by hand; a label naming no
section of the index stops the run).
Each `--set NAME=VALUE` variant (a constant of tutor/answer/key_sentences.py or context.py) is scored on the same
retrievals, so a sweep compares like with like. No LLM tokens are generated (its tokenizer is loaded for
the prompt budget).

Run: .venv/bin/python bench/key_sentences.py corpus ../shared/corpora/ai-educademy-seeds/ai-seeds/lessons/en
     [--set MAX_UNITS=4 --set OVERLAP_WEIGHT=0.2,NEAR_BEST=0.2] [--index-root DIR] [--show]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
SECTIONS = Path(__file__).resolve().parent / "data" / "answer_sections.json"

import tutor.answer.context as context  # noqa: E402
import tutor.answer.key_sentences as ks  # noqa: E402
from bench.common import DEFAULT_LESSONS  # noqa: E402
from tutor.answer.sentences import clean  # noqa: E402
from tutor.build import build_tutor  # noqa: E402
from tutor.evaluation.correctness import closest_option  # noqa: E402
from tutor.evaluation.quizzes import quiz_queries  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.search.retriever import Filters  # noqa: E402
from tutor.settings import Settings  # noqa: E402


def home(name: str) -> Any:
    """The module of tutor/answer/ (key_sentences.py or context.py) that holds constant `name`, or None."""
    return next((m for m in (ks, context) if hasattr(m, name) and name.isupper()), None)


def variant(spec: str) -> dict[str, float]:
    """ "A=1,B=2" -> {"A": 1.0, "B": 2.0}; names must be constants of tutor/answer/key_sentences.py or
    tutor/answer/context.py."""
    out: dict[str, float] = {}
    for part in filter(None, spec.split(",")):
        name, _, value = part.partition("=")
        if home(name) is None:
            raise SystemExit(f"--set {part}: tutor/answer/key_sentences.py and context.py have no constant {name}")
        out[name] = type(getattr(home(name), name))(float(value))
    return out


def pick_with(tutor: Any, settings: dict[str, float], query: str, qvec: Any, sources: list[Any]) -> list[Any]:
    saved = {k: getattr(home(k), k) for k in settings}
    if settings:  # a variant may embed sentences otherwise: none of another's vectors is reused
        tutor.picker.forget_vectors()
    try:
        for k, v in settings.items():
            setattr(home(k), k, v)
        return tutor.picker.pick(query, qvec, sources)
    finally:
        for k, v in saved.items():
            setattr(home(k), k, v)
        if settings:
            tutor.picker.forget_vectors()


def run(lessons_dir: Path, index_dir: Path, variants: list[dict[str, float]], show: bool) -> None:
    tutor = build_tutor(Settings(lessons_dir=lessons_dir, index_dir=index_dir))
    t0 = time.perf_counter()
    tutor.reindex()
    print(f"\n== {lessons_dir} (index {index_dir}, synced in {time.perf_counter() - t0:.1f} s)")
    embedder = tutor.embedder
    queries = quiz_queries(load_lessons(lessons_dir).lessons)
    names = ["default", *(",".join(f"{k}={v}" for k, v in v_.items()) for v_ in variants[1:])]
    right = dict.fromkeys(names, 0)
    chance = ceiling = first = oracle = answered = 0.0
    for q in queries:
        r = tutor.retrieve(q.question, filters=Filters(language=q.language))
        if not r.covered(tutor.settings.min_evidence):
            continue
        answered += 1
        sources = [p.source() for p in r.passages]
        opts, key = q.quiz.options, q.quiz.answer
        chance += 1 / max(1, len(opts))
        ceiling += closest_option(embedder, q.quiz.explanation, opts, q.question) == key
        first += bool(sources) and closest_option(embedder, sources[0].text, opts, q.question) == key
        sentences = [
            clean(u.text(s.text)) for s in sources if not ks.is_overview(s) for u in tutor.picker.units_of(s)[1]
        ]
        oracle += any(closest_option(embedder, t, opts, q.question) == key for t in sentences)
        for name, settings in zip(names, variants):
            text = " ".join(
                k.text for k in pick_with(tutor, settings, tutor.retriever.expand(r.query), r.query_vector, sources)
            )
            ok = closest_option(embedder, text, opts, q.question) == key
            right[name] += ok
            if show and name == "default" and not ok:
                print(f"  MISS {q.lesson_id}: {q.question}\n       key: {opts[key]}\n       got: {text[:240]}")
    n = max(1.0, answered)
    print(f"questions answered (not refused): {answered:.0f} of {len(queries)}")
    print(f"  chance {chance / n:.3f}   ceiling (authored explanation) {ceiling / n:.3f}")
    print(f"  first passage whole {first / n:.3f}   oracle sentence {oracle / n:.3f}")
    for name in names:
        share = right[name] / n
        print(f"  key sentences [{name}] {share:.3f}   / ceiling {share / max(1e-9, ceiling / n):.2f}")
    key = "corpus" if lessons_dir == DEFAULT_LESSONS.resolve() else "seeds"
    sections(tutor, json.loads(SECTIONS.read_text(encoding="utf-8"))[key], key, names, variants, show)


def sections(
    tutor: Any, labels: dict[str, list[str]], key: str, names: list[str], variants: list[Any], show: bool
) -> None:
    """Short learner questions: how often the first passage, the best key sentence and any key sentence come
    from a section that answers the question (bench/data/answer_sections.json, judged by hand)."""
    known = {f"{Path(c.path).name}#{c.anchor}" for c in tutor.retriever.snapshot().chunks}
    for q, wanted in labels.items():
        for label in wanted:
            if label not in known:
                raise SystemExit(f"bench/data/answer_sections.json: {label} ({q!r}) is no section of this index")
    first = asked = 0
    best = dict.fromkeys(names, 0)
    some = dict.fromkeys(names, 0)
    for q, wanted in labels.items():
        r = tutor.retrieve(q)
        if not r.covered(tutor.settings.min_evidence):
            continue
        asked += 1
        sources = [p.source() for p in r.passages]
        for i, s in enumerate(sources, start=1):
            s.number = i

        answering = {s.number for s in sources if f"{Path(s.path).name}#{s.anchor}" in wanted}
        answers = answering.__contains__
        first += bool(sources) and answers(1)
        for name, settings in zip(names, variants):
            keys = pick_with(tutor, settings, tutor.retriever.expand(r.query), r.query_vector, sources)
            best[name] += bool(keys) and answers(keys[0].number)
            some[name] += any(answers(k.number) for k in keys)
            if show and name == "default" and not any(answers(k.number) for k in keys):
                print(f"  OFF {q}\n       got: {' | '.join(k.breadcrumb for k in keys)[:240]}")
    n = max(1, asked)
    print(f"short learner questions ('{key}' of bench/data/answer_sections.json): {asked} of {len(labels)} answered")
    print(f"  first passage from an answering section {first / n:.3f}")
    for name in names:
        print(
            f"  key sentences [{name}]: the best from an answering section {best[name] / n:.3f},"
            f" any {some[name] / n:.3f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lessons", nargs="+", type=Path)
    ap.add_argument("--set", action="append", default=[], help="a variant: NAME=VALUE[,NAME=VALUE]")
    ap.add_argument("--index-root", type=Path, default=None, help="keep the scratch indexes here between runs")
    ap.add_argument("--show", action="store_true", help="print the default's misses")
    args = ap.parse_args()
    variants = [{}, *(variant(s) for s in args.set)]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    root = args.index_root or Path(tempfile.mkdtemp(prefix="bench-keys-"))
    for i, d in enumerate(args.lessons):
        run(d.resolve(), root / f"{i}-{d.resolve().name}", variants, args.show)


if __name__ == "__main__":
    main()
