"""Retrieval quality and the refusal threshold, measured on one or more lesson collections.

For each lessons directory: index it into a scratch index, then
- lesson recall@1/3/5 and MRR of the lessons' own quiz questions (English quizzes, and all languages),
  searched within the quiz's language; targets: recall@1 >= 0.80, recall@3 >= 0.97, MRR >= 0.88;
- the evidence gate: for each candidate `min_evidence`, the share of English quiz questions answered and of
  the shipped off-topic questions (tutor/off_topic.txt) refused; targets: >= 98% answered, >= 97% refused;
- per question language (English first, then by code): n, recall@1, recall@3, MRR of the default fusion and
  the share answered at the default `min_evidence`, from the same searches as the lines above.
Every search goes through `Tutor.search`, the path `tutor search`, `tutor ask`, the page and `tutor eval`
share. The baseline in the same run is a naive dense-only ranking of the same chunks (exact top-k by cosine);
beside the default fusion (convex), the previous convex fusion (min-max scaled cosines), the same hybrid with
reciprocal-rank fusion ("rrf"); with
`--dense-scales FLOOR:FULL[:BM25_WEIGHT],...`, convex fusion with other cosine scales (tutor/search/fusion.py)
and BM25 weights too.

    python bench/quality.py [DIR ...] [--dense-scales 0.2:0.7:1,0.3:0.8:0.5]     # default: corpus/
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_LESSONS, Targets, describe_machine  # noqa: E402
from tutor.build import build_tutor  # noqa: E402
from tutor.evaluation.languages import by_language, table  # noqa: E402
from tutor.evaluation.quizzes import QuizQuery, load_off_topic, quiz_queries, retrieval_metrics  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.models.embedder import Embedder  # noqa: E402
from tutor.search import fusion  # noqa: E402
from tutor.search.retriever import FUSIONS, SPARSE_WEIGHT, Filters, Retriever  # noqa: E402
from tutor.settings import Settings  # noqa: E402
from tutor.store.chroma import ChunkStore  # noqa: E402
from tutor.store.sync import sync_index  # noqa: E402

THRESHOLDS = [0.28, 0.30, 0.32, 0.33, 0.34, 0.35, 0.36, 0.37, 0.38, 0.40]
DEFAULT_THRESHOLD = Settings.model_fields["min_evidence"].default
DEFAULT_FUSION = Settings.model_fields["fusion"].default


@contextmanager
def dense_scale(floor: float, full: float, weight: float | None = None):  # type: ignore[no-untyped-def]
    """Convex fusion with another cosine scale (and BM25 weight) for the duration (module constants, read
    per call)."""
    before = fusion.DENSE_FLOOR, fusion.DENSE_FULL, SPARSE_WEIGHT["convex"]
    fusion.DENSE_FLOOR, fusion.DENSE_FULL = floor, full
    SPARSE_WEIGHT["convex"] = before[2] if weight is None else weight
    try:
        yield
    finally:
        fusion.DENSE_FLOOR, fusion.DENSE_FULL, SPARSE_WEIGHT["convex"] = before


@contextmanager
def previous_convex():  # type: ignore[no-untyped-def]
    """The convex fusion before issue 11, for comparison: cosines min-max scaled over the 40 dense candidates
    (the best candidate always 1.0, however far it is) and BM25 at weight 1.0."""
    before, weight = fusion.dense_values, SPARSE_WEIGHT["convex"]

    def min_max(sims):  # type: ignore[no-untyped-def]
        hi, lo = max(sims, default=0.0), min(sims, default=0.0)
        return [(s - lo) / (hi - lo) if hi > lo else 1.0 for s in sims]

    fusion.dense_values, SPARSE_WEIGHT["convex"] = min_max, 1.0
    try:
        yield
    finally:
        fusion.dense_values, SPARSE_WEIGHT["convex"] = before, weight


def dense_only(retriever: Retriever, embedder: Embedder, queries: list[QuizQuery]) -> tuple[float, float, float]:
    """Baseline: lessons ranked by their best chunk's cosine similarity alone (exact)."""
    ranks = []
    for q in queries:
        hits = retriever.dense(embedder.embed_one(q.question), Filters(language=q.language), 40)
        lessons = list(dict.fromkeys(c.lesson_id for c, _ in hits))
        ranks.append(lessons.index(q.lesson_id) + 1 if q.lesson_id in lessons else 10**6)
    n = max(1, len(ranks))
    return sum(r <= 1 for r in ranks) / n, sum(r <= 3 for r in ranks) / n, sum(1 / r for r in ranks) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--dense-scales", default="", help="convex variants to try, FLOOR:FULL[:BM25_WEIGHT],...")
    args = ap.parse_args()
    dirs = [d.resolve() for d in args.dirs] or [DEFAULT_LESSONS]
    scales = [tuple(float(x) for x in pair.split(":")) for pair in args.dense_scales.split(",") if pair]
    print("== retrieval quality and refusal threshold ==")
    print(describe_machine())
    embedder = Embedder()
    off = load_off_topic(None)
    targets = Targets()
    for d in dirs:
        with tempfile.TemporaryDirectory() as tmp:
            store = ChunkStore(Path(tmp))
            s = sync_index(d, store, embedder)
            settings = Settings(lessons_dir=d, index_dir=Path(tmp))
            tutor = build_tutor(settings, store=store, embedder=embedder)
            others = {
                f: build_tutor(settings.model_copy(update={"fusion": f}), store=store, embedder=embedder)
                for f in FUSIONS
                if f != DEFAULT_FUSION
            }
            queries = quiz_queries(load_lessons(d).lessons)
            print(f"\n{d}: {len(s.added)} lessons, {s.chunks} chunks, {len(queries)} quiz questions")
            every = None  # the default fusion's metrics over every quiz question
            for label, qs in (("English quizzes", [q for q in queries if q.language == "en"]), ("all", queries)):
                if not qs:
                    continue
                m = retrieval_metrics(tutor.search, qs)
                every = m if label == "all" else every
                b1, b3, bmrr = dense_only(tutor.retriever, embedder, qs)
                print(
                    f"  {label:16} n={m.n:3}  hybrid ({DEFAULT_FUSION}) recall@1 {m.recall[1]:.3f} "
                    f"@3 {m.recall[3]:.3f} "
                    f"@5 {m.recall[5]:.3f} MRR {m.mrr:.3f}   | dense-only baseline @1 {b1:.3f} @3 {b3:.3f} "
                    f"MRR {bmrr:.3f}"
                )
                for name, other in others.items():
                    o = retrieval_metrics(other.search, qs)
                    print(
                        f"  {'':16}        fusion {name}: recall@1 {o.recall[1]:.3f} @3 {o.recall[3]:.3f} "
                        f"@5 {o.recall[5]:.3f} MRR {o.mrr:.3f}"
                    )
                with previous_convex():
                    o = retrieval_metrics(tutor.search, qs)
                print(
                    f"  {'':16}        previous convex (min-max cosines, BM25 weight 1): recall@1 {o.recall[1]:.3f}"
                    f" @3 {o.recall[3]:.3f} @5 {o.recall[5]:.3f} MRR {o.mrr:.3f}"
                )
                for scale in scales:
                    with dense_scale(*scale):
                        o = retrieval_metrics(tutor.search, qs)
                    weight = f"{scale[2]:.1f}" if len(scale) > 2 else f"{SPARSE_WEIGHT['convex']:.1f}"
                    print(
                        f"  {'':16}        convex, cosine {scale[0]:.2f} -> 0, {scale[1]:.2f} -> 1, BM25 {weight}:"
                        f" recall@1 {o.recall[1]:.3f} @3 {o.recall[3]:.3f} @5 {o.recall[5]:.3f} MRR {o.mrr:.3f}"
                    )
                if label == "English quizzes":
                    targets.check(f"{d.name} recall@1", m.recall[1], ">=", 0.80)
                    targets.check(f"{d.name} recall@3", m.recall[3], ">=", 0.97)
                    targets.check(f"{d.name} MRR", m.mrr, ">=", 0.88)
            gated = [tutor.search(q.question, Filters(language=q.language)) for q in queries]  # the gate's search
            on = [r for q, r in zip(queries, gated, strict=True) if q.language == "en"]
            gone = [tutor.search(q) for q in off]
            print(f"  evidence gate over {len(on)} English quiz questions and {len(gone)} off-topic questions:")
            for t in THRESHOLDS:
                answered = sum(r.covered(t) for r in on) / max(1, len(on))
                refused = sum(not r.covered(t) for r in gone) / max(1, len(gone))
                mark = "  <- default" if t == DEFAULT_THRESHOLD else ""
                print(f"    min_evidence {t:.2f}: answered {answered:.3f}, refused off-topic {refused:.3f}{mark}")
                if t == DEFAULT_THRESHOLD:
                    targets.check(f"{d.name} quiz questions answered", answered, ">=", 0.98)
                    targets.check(f"{d.name} off-topic refused", refused, ">=", 0.97)
            if every is not None:
                gate = f"answered at min_evidence {DEFAULT_THRESHOLD:.2f}"
                print(f"  per question language (hybrid {DEFAULT_FUSION}; {gate}):")
                rows = by_language(every.languages, every.ranks, [r.covered(DEFAULT_THRESHOLD) for r in gated])
                print("\n".join("  " + line for line in table(rows)))
    targets.report()


if __name__ == "__main__":
    main()
