"""Embedding backends side by side: how close their vectors are to float32, how fast they embed, and how many
of the tutor's decisions change when only the backend changes.

For each lessons directory (default: the bundled corpus/), in one process:
1. Vectors. The chunk texts (`Chunk.embed_text`) are embedded by plain `SentenceTransformer.encode(texts,
   batch_size=32)` in float32 (the baseline) and by each backend's `Embedder.embed`. Per backend: the cosine of
   each vector to its float32 one, as min / p1 / mean over all chunks (the agreement target is >= 0.999 for every
   vector), and the speed on up to 192 of the texts (every k-th), backend and baseline alternating, `--reps`
   repetitions: chunks/s and the median ratio to the baseline.
2. Decisions. Each backend indexes the directory into its own scratch index and answers, without the model,
   the questions of the directory: its quiz questions (in their lesson's language), the short learner questions
   and the off-topic ones of bench/data/learner_questions.json ("corpus" for corpus/, "seeds" otherwise) and
   tutor/evaluation/off_topic.txt. For each question, as a turn makes them: the gate's decision (answered or
   refused), the passages shown (the first, and the set), and the key sentences picked before the model.
   Reported: the share of questions where each differs from the float32 `torch` backend's, and where any does.

`fast` is not a backend of its own here: it runs as `bf16` or `torch` (tutor/models/embedder.py). On a CPU
without bfloat16 instructions `bf16` is emulated: its vectors and decisions are those of a native run (the
same rounding of the weights), its speed is not, so it is not timed there.

Run: .venv/bin/python bench/backends.py [DIR ...] [--backends torch,bf16,int8] [--reps 5] [--skip-vectors]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_LESSONS, describe_machine, median  # noqa: E402
from tutor.build import build_tutor, reindex  # noqa: E402
from tutor.evaluation.quizzes import load_off_topic, quiz_queries  # noqa: E402
from tutor.ingest.chunking import chunk_lesson  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.models.embedder import Embedder, describe_backend, native_bf16  # noqa: E402
from tutor.search.retriever import Filters  # noqa: E402
from tutor.settings import Settings  # noqa: E402

QUESTIONS = Path(__file__).resolve().parent / "data" / "learner_questions.json"
SPEED_TEXTS = 192


def chunk_texts(lessons_dir: Path, ref: Embedder) -> list[str]:
    return [
        c.embed_text
        for le in load_lessons(lessons_dir).lessons
        for c in chunk_lesson(le, ref.token_len, ref.max_seq_length)
    ]


def vectors(texts: list[str], backends: list[str], reps: int) -> None:
    """Part 1: agreement with float32 on every chunk, and speed against plain encode."""
    ref = Embedder(backend="torch")
    model = ref._load()  # the float32 SentenceTransformer itself: the baseline is its own encode()
    plain = model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    sample = texts[:: max(1, len(texts) // SPEED_TEXTS)][:SPEED_TEXTS]
    print(f"\n{len(texts)} chunks; speed on {len(sample)} of them, {reps} repetitions, baseline alternating")
    print(f"{'backend':8} {'cos min':>9} {'cos p1':>9} {'cos mean':>9} {'chunks/s':>9} {'plain/s':>8} {'ratio':>6}")
    for b in backends:
        e = Embedder(backend=b)
        cos = (e.embed(texts) * plain).sum(axis=1)
        ratios, rates, base = [], [], []
        if b == "bf16" and not native_bf16():
            print(f"{b:8} {cos.min():9.5f} {np.percentile(cos, 1):9.5f} {cos.mean():9.5f}  (emulated: not timed)")
            continue
        for _ in range(reps):
            t0 = time.perf_counter()
            model.encode(sample, batch_size=32, show_progress_bar=False)
            t_plain = time.perf_counter() - t0
            t0 = time.perf_counter()
            e.embed(sample)
            t_b = time.perf_counter() - t0
            ratios.append(t_plain / t_b)
            rates.append(len(sample) / t_b)
            base.append(len(sample) / t_plain)
        print(
            f"{b:8} {cos.min():9.5f} {np.percentile(cos, 1):9.5f} {cos.mean():9.5f} {median(rates):9.1f} "
            f"{median(base):8.1f} {median(ratios):5.2f}x  (runs {min(ratios):.2f}-{max(ratios):.2f}x)",
            flush=True,
        )


def decisions(tutor: Any, questions: list[tuple[str, str | None]]) -> list[tuple[Any, ...]]:
    """(answered, first passage, passages shown, key sentences, passages cited) for each (question, language)
    as a turn makes them, without the model."""
    out = []
    for q, lang in questions:
        r = tutor.retrieve(q, filters=Filters(language=lang) if lang else None)
        answered = r.covered(tutor.settings.min_evidence)
        sources = [p.source() for p in r.passages]
        for i, s in enumerate(sources, start=1):
            s.number = i
        keys = tutor.picker.pick(tutor.retriever.expand(r.query), r.query_vector, sources) if answered else []
        shown = tuple(s.chunk_id for s in sources)
        cited = frozenset(sources[k.number - 1].chunk_id for k in keys)  # the passages the answer quotes
        out.append((answered, shown[:1], frozenset(shown), tuple(k.text for k in keys), cited))
    return out


def flips(lessons_dir: Path, backends: list[str], root: Path) -> None:
    """Part 2: the share of questions whose decisions change with the backend, against float32."""
    data = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    key = "corpus" if lessons_dir == DEFAULT_LESSONS.resolve() else "seeds"
    questions = [(q.question, q.language) for q in quiz_queries(load_lessons(lessons_dir).lessons)]
    questions += [(q, None) for q in [*data["lesson"][key], *data["named"][key], *data["off_topic"]]]
    questions += [(q, None) for q in load_off_topic(None)]
    got = {}
    for b in dict.fromkeys(["torch", *backends]):
        tutor = build_tutor(Settings(lessons_dir=lessons_dir, index_dir=root / b, embedding_backend=b))
        t0 = time.perf_counter()
        reindex(tutor)
        got[b] = decisions(tutor, questions)
        print(f"  {b}: indexed and asked {len(questions)} questions in {time.perf_counter() - t0:.0f} s", flush=True)
    base = got["torch"]
    n = len(base)
    print(f"\n{n} questions; share whose decision differs from the float32 (torch) backend's")
    print(
        f"{'backend':8} {'gate':>7} {'1st passage':>12} {'passages':>9} {'key sentences':>14} {'cited':>7} "
        f"{'answer':>7} {'any':>7}"
    )
    for b in backends:
        if b == "torch":
            continue
        diff = [[x[i] != y[i] for i in range(5)] for x, y in zip(got[b], base)]
        shares = [sum(d[i] for d in diff) / n for i in range(5)]
        answer = sum(d[0] or d[3] or d[4] for d in diff) / n  # what the learner reads: gate, key sentences, cites
        anyone = sum(any(d) for d in diff) / n
        print(
            f"{b:8} {shares[0]:7.3f} {shares[1]:12.3f} {shares[2]:9.3f} {shares[3]:14.3f} {shares[4]:7.3f} "
            f"{answer:7.3f} {anyone:7.3f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lessons", nargs="*", type=Path, default=[DEFAULT_LESSONS])
    ap.add_argument("--backends", default="torch,bf16,int8")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--skip-decisions", action="store_true", help="part 1 only")
    ap.add_argument("--skip-vectors", action="store_true", help="part 2 only")
    args = ap.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print("== embedding backends: agreement with float32, speed, and the decisions that change ==")
    print(describe_machine())
    print(f"default on this machine: {describe_backend('fast')}")
    ref = Embedder(backend="torch")
    for d in (p.resolve() for p in args.lessons):
        print(f"\n=== {d}")
        if not args.skip_vectors:
            vectors(chunk_texts(d, ref), backends, args.reps)
        if not args.skip_decisions:
            with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
                flips(d, backends, Path(tmp))


if __name__ == "__main__":
    main()
