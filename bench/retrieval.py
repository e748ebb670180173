"""Dense recall against exact search after many edits, and retrieval latency at ~1k, ~10k and ~100k chunks.

1. Edits: DIR is copied and indexed, then EDIT_CYCLES random cycles each edit a lesson (a few words changed and
   a sentence appended), delete one, or put a deleted one back, and re-index incrementally, as `tutor index`
   does; the retriever follows each new index generation, as a running server does. Then for RECALL_QUERIES
   queries (the quiz questions, then passages' first sentences) the dense top-40 is compared with brute force
   over the stored vectors, read afresh from Chroma: recall@40 of the retriever's exact search (the tutor's
   path) and of Chroma's HNSW query (the previous path, the baseline). Target: mean recall >= 0.99.
2. Latency: `Retriever.search(question, k=6)` end to end, the query embedding included (exact dense search
   over the in-memory vectors, BM25, fusion, evidence-gate figures), p50 and p95 in ms. At each scale the
   same recall check runs again (RECALL_QUERIES queries, the grown collection).

How the big indexes are made: DIR is indexed for real with the default "fast" embedder, then its chunks are
replicated into a scratch ChunkStore collection (bench/replicas.py) until each scale is reached (one
collection grown 1k -> 10k -> 100k). Embedding 100k texts would take hours on 2 cores, so each copy reuses the
already computed vectors plus small Gaussian noise (sigma 0.01 per dimension, then renormalised: cosine ~0.98
to the original), with two words of each chunk's text swapped for other words of the same chunk so BM25 sees
distinct documents. Copies are new lessons (`<slug>-rN`, their own content hash) written with
`ChunkStore.put`; a Manifest listing every copy is published with `ChunkStore.publish`, so the manifest filter
admits them. Copy 0 is DIR's own chunks, unchanged.

The first query after an index change loads the live chunks (texts, vectors) and builds BM25 over them; it is
reported on its own and left out of p50/p95. Queries: DIR's quiz questions, cycled to 60 (chunk breadcrumbs if
DIR has no quizzes), two passes, so 120 timed searches per scale. Baselines in the same run: alternating with
the search query by query, `Embedder.embed_one` alone (how much of the search is the embedding); and Chroma's
HNSW query for the 40 nearest ids alone (the dense path the tutor had before exact search).

This benchmark found that one `Collection.get` of more than 32,766 rows fails in SQLite ("too many SQL
variables"); `ChunkStore` now reads whole collections in pages.

Targets: p50 <= 25 ms at ~10k chunks, p50 <= 60 ms at ~100k chunks; dense recall@40 >= 0.99.

Run: .venv/bin/python bench/retrieval.py [DIR] [--cycles N]
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Targets, header, lessons_arg, median, percentile, perturb_lesson, timed  # noqa: E402
from bench.replicas import Replicas  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.models.embedder import Embedder  # noqa: E402
from tutor.search.retriever import DENSE_K, Retriever  # noqa: E402
from tutor.store.chroma import ChunkStore  # noqa: E402
from tutor.store.sync import sync_index  # noqa: E402

SCALES = (1_000, 10_000, 100_000)
TARGET_P50_MS = {10_000: 25.0, 100_000: 60.0}
N_QUERIES = 60
PASSES = 2
K = 6
EDIT_CYCLES = 50
RECALL_QUERIES = 200
TARGET_RECALL = 0.99


def recall_queries(store: ChunkStore, n: int) -> list[str]:
    """The quiz questions of the live lessons, then first sentences of passages, n in all."""
    m, chunks = store.all_chunks()
    out = [q["question"] for e in m.lessons.values() for q in e.quizzes][:n]
    rng = random.Random(1)
    while len(out) < n:
        out.append(rng.choice(chunks).text.split(". ")[0][:200])
    return out


def dense_recall(retriever: Retriever, store: ChunkStore, emb: Embedder, queries: list[str]) -> tuple[float, float]:
    """Mean recall@DENSE_K against brute force over the stored vectors, read afresh: (retriever, Chroma HNSW)."""
    _, chunks, matrix = ChunkStore(store.index_dir).live_vectors()  # a second client: nothing shared in memory
    ours, hnsw = [], []
    for v in emb.embed(queries):
        exact = {chunks[i].id for i in np.argsort(-(matrix @ v))[:DENSE_K]}
        ours.append(len(exact & {c.id for c, _ in retriever.dense(v, k=DENSE_K)}) / len(exact))
        hnsw.append(len(exact & {c.id for c, _ in store.query(v, DENSE_K)}) / len(exact))
    return float(np.mean(ours)), float(np.mean(hnsw))


def edit_cycles(src: Path, work: Path, emb: Embedder, cycles: int) -> tuple[float, float, str]:
    """Index a copy of `src`, run `cycles` random edit / delete / re-add cycles with incremental re-indexes,
    then measure dense recall. Returns (retriever recall, HNSW recall, what was done)."""
    lessons = work / "lessons"
    shutil.copytree(src, lessons, ignore=shutil.ignore_patterns(".*"))
    store = ChunkStore(work / "index")
    sync_index(lessons, store, emb)
    retriever = Retriever(store, emb)
    retriever.warm()
    files = [lessons / le.path for le in load_lessons(lessons).lessons]
    rng = random.Random(0)
    parked: list[tuple[Path, str]] = []
    done = {"edited": 0, "deleted": 0, "restored": 0, "embedded": 0}
    for _ in range(cycles):
        roll = rng.random()
        if roll < 0.15 and parked:
            path, text = parked.pop(rng.randrange(len(parked)))
            path.write_text(text, encoding="utf-8")
            done["restored"] += 1
        elif roll < 0.3:
            path = rng.choice([f for f in files if f.exists()])
            parked.append((path, path.read_text(encoding="utf-8")))
            path.unlink()
            done["deleted"] += 1
        else:
            path = rng.choice([f for f in files if f.exists()])
            text = perturb_lesson(path.read_text(encoding="utf-8"), rng, 3)
            path.write_text(text + f"\nA note added in an edit, number {rng.randrange(10**6)}.\n", encoding="utf-8")
            done["edited"] += 1
        done["embedded"] += sync_index(lessons, store, emb).embedded
        retriever.warm()  # a running server follows each generation
    ours, hnsw = dense_recall(retriever, store, emb, recall_queries(store, RECALL_QUERIES))
    return ours, hnsw, ", ".join(f"{v} {k}" for k, v in done.items())


def measure(retriever: Retriever, emb: Embedder, queries: list[str]) -> tuple[list[float], ...]:
    """ms per query: search, embed_one (baseline), and the search's own embed_s and retrieve_s. The two calls
    alternate in order query by query, so neither always runs right after the other's CPU burst."""
    search_ms, embed_ms, inner_ms, rest_ms = [], [], [], []
    for i, q in enumerate(queries):
        if i % 2:
            embed_ms.append(1000 * timed(emb.embed_one, q)[0])
        sec, res = timed(retriever.search, q, k=K)
        if not i % 2:
            embed_ms.append(1000 * timed(emb.embed_one, q)[0])
        search_ms.append(1000 * sec)
        inner_ms.append(1000 * res.embed_s)
        rest_ms.append(1000 * res.retrieve_s)
    return search_ms, embed_ms, inner_ms, rest_ms


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def own_cpu_while_idle(seconds: float = 1.0) -> float:
    """Share of one core this process used while the main thread slept (background threads: Chroma, torch)."""
    t = os.times()
    time.sleep(seconds)
    u = os.times()
    return max(0.0, u.user + u.system - t.user - t.system) / seconds


def first_query(retriever: Retriever, query: str) -> float:
    """Seconds of the first search after an index change: it builds BM25 over every live chunk."""
    return timed(retriever.search, query, k=K)[0]


def main() -> None:
    args = lessons_arg(cycles={"type": int, "default": EDIT_CYCLES, "help": "edit / re-index cycles"})
    header("bench/retrieval.py: Retriever.search latency (query embedding included) by index size", args.lessons)
    t0 = time.perf_counter()
    emb = Embedder(backend="fast")
    t = Targets()
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        work = Path(tmp)
        cycle_s, (ours, hnsw, what) = timed(edit_cycles, args.lessons, work / "edits", emb, args.cycles)
        print(
            f"\nafter {args.cycles} edit / re-index cycles ({what}; {cycle_s:.0f} s), dense recall@{DENSE_K} against"
            f" brute force, {RECALL_QUERIES} queries:\n  retriever (exact, in memory) {ours:.4f}   Chroma HNSW"
            f" query (the previous path, baseline) {hnsw:.4f}\n",
            flush=True,
        )
        t.check(f"dense recall@{DENSE_K} after {args.cycles} edit cycles", ours, ">=", TARGET_RECALL, "{:.4f}")
        base_store = ChunkStore(work / "base")
        index_s, _ = timed(sync_index, args.lessons, base_store, emb)
        base, chunks, vectors = base_store.live_vectors()
        print(f"base index: {len(base.lessons)} lessons, {len(chunks)} chunks embedded in {index_s:.1f} s")

        questions = [q["question"] for e in base.lessons.values() for q in e.quizzes] or [c.breadcrumb for c in chunks]
        queries = [questions[i % len(questions)] for i in range(N_QUERIES)]
        print(f"queries: {N_QUERIES} ({len(questions)} distinct quiz questions, cycled); k={K}")
        for q in queries[:5]:
            emb.embed_one(q)  # warm-up: first calls pay one-off allocation costs

        store = ChunkStore(work / "big")
        reps = Replicas(store, base, chunks, vectors, emb.name)
        retriever = Retriever(store, emb)
        head = f"{'chunks':>8} {'put s':>7} {'1st query s':>11} {'p50 ms':>7} {'p95 ms':>7} {'embed_one':>9} "
        print("\n" + head + f"{'in-search embed':>15} {'rest':>6} {'HNSW query':>10} {'recall':>7} {'HNSW recall':>11}")
        results: dict[int, float] = {}
        recalls: dict[int, float] = {}
        for scale in SCALES:
            put_s = reps.grow_to(scale)
            first_s = first_query(retriever, queries[0])  # rebuilds BM25: timed apart
            idle = own_cpu_while_idle()
            search_ms, embed_ms, inner_ms, rest_ms = measure(retriever, emb, queries * PASSES)
            p50, e50 = median(search_ms), median(embed_ms)
            results[scale] = p50
            qv = emb.embed(queries)
            hnsw_ms = [1000 * timed(store.query, v, DENSE_K)[0] for v in qv]
            ours, hnsw = dense_recall(retriever, store, emb, recall_queries(store, RECALL_QUERIES))
            recalls[scale] = ours
            print(
                f"{reps.n:8d} {put_s:7.1f} {first_s:11.2f} {p50:7.1f} {percentile(search_ms, 95):7.1f} "
                f"{e50:9.1f} {median(inner_ms):15.1f} {median(rest_ms):6.1f} {median(hnsw_ms):10.1f} {ours:7.4f}"
                f" {hnsw:11.4f}",
                flush=True,
            )
            print(
                f"{'':8} load of the live chunks (first query - p50): ~{first_s - p50 / 1000:.2f} s; this process's"
                f" own CPU while idle 1 s before timing: {idle:.0%}; peak RSS {peak_rss_mb():.0f} MB"
            )
        print(
            "columns (ms are medians): put s = ChunkStore.put time for the chunks added at this scale; embed_one ="
            " Embedder.embed_one alone (baseline);\n  in-search embed / rest = Retrieval.embed_s / retrieve_s of"
            " the same searches (rest: exact dense search, BM25, fusion, gate); HNSW query = Chroma's query of"
            f" {DENSE_K} ids alone (the previous dense path);\n  recall / HNSW recall = dense recall@{DENSE_K} of"
            f" the retriever / of Chroma's HNSW against brute force, {RECALL_QUERIES} queries"
        )
        for scale in SCALES:
            name = f"dense recall@{DENSE_K} at ~{scale // 1000}k chunks"
            t.check(name, recalls[scale], ">=", TARGET_RECALL, "{:.4f}")
        for scale, target in TARGET_P50_MS.items():
            t.check(f"search p50 at ~{scale // 1000}k chunks", results[scale], "<=", target, "{:.1f}", " ms")
    t.report()
    print(f"(total run time {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
