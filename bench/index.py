"""Indexing benchmark: throughput, no-op and one-edit re-index times, and the fast embedder's retrieval quality.

What it measures, on any lessons directory (default: the bundled corpus/), in one process:
1. Throughput, against the baseline of plain `SentenceTransformer.encode(texts, batch_size=32)` (the float32
   torch model) on the same chunk texts (`Chunk.embed_text` from `chunk_lesson` with the embedder's token_len
   and max_seq_length).
   a. `Embedder("fast").embed` alone against plain encode on up to 256 of the texts (every k-th), the two
      alternating, 7 repetitions, median of the per-repetition ratios. Target >= 1.5x (bench/backends.py
      also measures each backend's agreement with float32).
   b. A full index of DIR into a scratch index with the default "fast" embedder, in chunks/s, against plain
      encode of all texts. Side by side: a full index with the "torch" backend, and the "int8" backend's
      embedding alone. Target: fast index chunks/s >= 0.9 x plain encode chunks/s.
2. No-op re-index of >= 200 lessons (DIR's lessons copied under new slugs, a word or two changed so content
   hashes differ): `sync_index` again with nothing changed, embedder already constructed, median of 3.
   Target <= 2 s. For information, a cold `tutor index` no-op in a subprocess (interpreter start included).
3. One edited lesson re-indexed, as a share of the full index time of those lessons. Target <= 5 %.
4. Quality: lesson recall@1/3/5 and MRR on DIR's quiz questions (tutor.evaluation.quizzes), fast vs torch backend,
   each on its own index from part 1. Target: fast recall@5 no more than 0.01 below torch.

Repetitions of 1b: 3 for a corpus of <= 300 chunks, else 1 (override with --reps); ratios are per repetition,
then the median. `--skip-scale` skips parts 2 and 3 (they embed >= 200 lessons).

Run: .venv/bin/python bench/index.py [DIR] [--reps N] [--skip-scale]
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Targets, header, lessons_arg, median, perturb_lesson, replicate_lessons, timed  # noqa: E402
from tutor.evaluation.quizzes import quiz_queries, retrieval_metrics  # noqa: E402
from tutor.ingest.chunking import chunk_lesson  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.models.embedder import Embedder, native_bf16  # noqa: E402
from tutor.search.retriever import Retriever  # noqa: E402
from tutor.store.chroma import ChunkStore  # noqa: E402
from tutor.store.sync import sync_index  # noqa: E402

SCALE_LESSONS = 200
NOOP_REPS = 3
EDIT_REPS = 3
EMBED_SAMPLE = 256  # chunk texts in the alternating embedding-speed comparison
EMBED_REPS = 7


def full_index(lessons: Path, index_dir: Path, embedder: Embedder) -> tuple[float, int, ChunkStore]:
    """(wall seconds, chunks embedded, store) of a full index into a fresh directory."""
    store = ChunkStore(index_dir)
    seconds, summary = timed(sync_index, lessons, store, embedder)
    return seconds, summary.embedded, store


def plain_encode(plain: Any, texts: list[str]) -> Any:
    """The baseline: `SentenceTransformer.encode` as a user would call it, torch on every core."""
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    return plain.encode(texts, batch_size=32, show_progress_bar=False)


def embed_speed(texts: list[str], fast: Embedder, plain: Any, reps: int) -> list[float]:
    """Per-repetition speed-ups of `fast.embed` over plain `encode`, the two alternating in each repetition
    (which goes first alternates too), on the same texts, after one warm-up call of each."""
    plain_encode(plain, texts[:8])
    fast.embed(texts[:40])
    ratios = []
    for r in range(reps):
        runs = {}
        for name in ("plain", "fast") if r % 2 == 0 else ("fast", "plain"):
            if name == "plain":
                runs[name] = timed(plain_encode, plain, texts)[0]
            else:
                runs[name] = timed(fast.embed, texts)[0]
        ratios.append(runs["plain"] / runs["fast"])
        print(
            f"  embed rep {r + 1}: plain {runs['plain']:.1f} s, fast {runs['fast']:.1f} s, {ratios[-1]:.2f}x",
            flush=True,
        )
    return ratios


def throughput(lessons: Path, work: Path, reps: int, fast: Embedder, torch_e: Embedder, t: Targets) -> dict:
    chunk_s, per_lesson = timed(
        lambda: [chunk_lesson(le, fast.token_len, fast.max_seq_length) for le in load_lessons(lessons).lessons]
    )
    texts = [c.embed_text for cs in per_lesson for c in cs]
    n = len(texts)
    reps = reps or (3 if n <= 300 else 1)
    plain = torch_e._load()  # the SentenceTransformer itself: the baseline
    sample = texts[:: max(1, len(texts) // EMBED_SAMPLE)][:EMBED_SAMPLE]  # every k-th: all lengths represented
    print(f"\n-- 1a. embedding speed: {len(sample)} of the {n} chunk texts, {EMBED_REPS} alternating repetitions --")
    ratios = embed_speed(sample, fast, plain, EMBED_REPS)
    speedup_embed = median(ratios)
    print(
        f"fast ({fast.precision}) / plain encode: median {speedup_embed:.2f}x "
        f"(runs {min(ratios):.2f}-{max(ratios):.2f}x)"
    )

    print(f"\n-- 1b. full index: {len(per_lesson)} lessons, {n} chunks, {reps} repetition(s) --")
    print(f"load + chunk all lessons (token counting included): {chunk_s:.2f} s")
    other = Embedder(backend="int8")  # the approximate backend "fast" never picks, beside it
    rows: dict[str, list[float]] = {k: [] for k in ("plain", "fast_index", "torch_index", "other")}
    stores: dict[str, ChunkStore] = {}
    for r in range(reps):
        rows["plain"].append(timed(plain_encode, plain, texts)[0])
        sec, embedded, stores["fast"] = full_index(lessons, work / f"fast{r}", fast)
        assert embedded == n, f"fast index embedded {embedded} chunks, expected {n}"
        rows["fast_index"].append(sec)
        if r == 0:  # once: the slower paths are only shown beside the default
            sec, embedded, stores["torch"] = full_index(lessons, work / "torch", torch_e)
            rows["torch_index"].append(sec)
            rows["other"].append(timed(other.embed, texts)[0])
        print("  rep", r + 1, " ".join(f"{k} {v[-1]:.1f} s" for k, v in rows.items() if len(v) > r), flush=True)

    def cps(key: str) -> float:
        return n / median(rows[key])

    ratio_index = median([p / f for p, f in zip(rows["plain"], rows["fast_index"])])
    ratio_torch = rows["plain"][0] / rows["torch_index"][0]
    ratio_other = rows["plain"][0] / rows["other"][0]
    print(f"{'path':44} {'chunks/s':>9} {'x plain encode':>15}")
    print(f"{'plain SentenceTransformer.encode (baseline)':44} {cps('plain'):9.1f} {1.0:15.2f}")
    print(f"{f'full index, fast backend ({fast.precision}, default)':44} {cps('fast_index'):9.1f} {ratio_index:15.2f}")
    print(f"{'full index, torch backend (rep 1 only)':44} {cps('torch_index'):9.1f} {ratio_torch:15.2f}")
    print(f"{f'Embedder(backend={other.precision}).embed (rep 1 only)':44} {cps('other'):9.1f} {ratio_other:15.2f}")
    t.check("full index (fast) chunks/s / plain encode chunks/s", ratio_index, ">=", 0.9, "{:.2f}", "x")
    t.check("fast embedding speed-up over plain encode (median)", speedup_embed, ">=", 1.5, "{:.2f}", "x")
    return {"stores": stores, "fast_index_s": median(rows["fast_index"])}


def rescan(lessons: Path, work: Path, fast: Embedder, t: Targets) -> None:
    scratch = work / "lessons200"
    files = replicate_lessons(lessons, scratch, SCALE_LESSONS)
    print(f"\n-- 2/3. re-index of {len(files)} lessons (copies of DIR's lessons under new slugs) --", flush=True)
    store = ChunkStore(work / "index200")
    full_s, summary = timed(sync_index, scratch, store, fast)
    print(f"full index: {summary.embedded} chunks in {full_s:.1f} s ({summary.embedded / full_s:.1f} chunks/s)")

    noop = []
    for _ in range(NOOP_REPS):
        sec, s = timed(sync_index, scratch, store, fast)
        assert s.embedded == 0 and s.unchanged == len(files), s.line()
        noop.append(sec)
    print(f"no-op re-index, in process: median {median(noop):.3f} s  (runs: {', '.join(f'{x:.3f}' for x in noop)})")

    cli = Path(sys.executable).with_name("tutor")
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-m", "tutor.cli"]
    cmd += ["index", "--lessons", str(scratch), "--index", str(work / "index200")]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cold_s, proc = timed(subprocess.run, cmd, cwd=work, env=env, capture_output=True, text=True)
    said = (proc.stdout.strip().splitlines() or [proc.stderr.strip()])[-1]
    print(f"no-op re-index, cold `tutor index` subprocess: {cold_s:.2f} s (rc {proc.returncode}: {said})")

    rng = random.Random(1)
    edit = []
    for k in range(EDIT_REPS):
        path = files[(k * 37) % len(files)]
        path.write_text(perturb_lesson(path.read_text(encoding="utf-8"), rng), encoding="utf-8")
        sec, s = timed(sync_index, scratch, store, fast)
        assert len(s.updated) == 1 and s.embedded > 0, s.line()
        edit.append(sec)
        print(f"  edit {k + 1}: {path.name}, {s.embedded} chunks re-embedded, {sec:.2f} s")
    share = median(edit) / full_s
    print(f"one-lesson edit: median {median(edit):.2f} s = {100 * share:.2f} % of the full index ({full_s:.1f} s)")
    t.check(f"no-op re-index of {len(files)} lessons (in process, median)", median(noop), "<=", 2.0, "{:.2f}", " s")
    t.check("one-lesson edit / full index time", 100 * share, "<=", 5.0, "{:.2f}", " %")


def quality(lessons: Path, stores: dict[str, ChunkStore], embedders: dict[str, Embedder], t: Targets) -> None:
    queries = quiz_queries(load_lessons(lessons).lessons)
    print(f"\n-- 4. retrieval quality on {len(queries)} quiz questions (lesson-level) --")
    if not queries:
        print("no <Quiz> questions in these lessons: quality check skipped")
        return
    recall5, missed = {}, {}
    print(f"{'backend':8} {'recall@1':>9} {'recall@3':>9} {'recall@5':>9} {'MRR':>7} {'p50 ms':>7}")
    for name in ("fast", "torch"):
        m = retrieval_metrics(Retriever(stores[name], embedders[name]), queries, ks=(1, 3, 5))
        recall5[name] = m.recall[5]
        missed[name] = {(x["question"], x["lesson"]): x["rank"] for x in m.misses if (x["rank"] or 10**6) > 5}
        r = m.recall
        print(f"{name:8} {r[1]:9.3f} {r[3]:9.3f} {r[5]:9.3f} {m.mrr:7.3f} {median(m.latency_ms):7.1f}")
    for a, b in (("fast", "torch"), ("torch", "fast")):
        for q, lesson in sorted(set(missed[a]) - set(missed[b])):
            print(f"  not in top 5 with {a} only (rank {missed[a][q, lesson]}): {q[:80]!r} -> {lesson}")
    t.check("recall@5 fast - torch", recall5["fast"] - recall5["torch"], ">=", -0.01, "{:+.3f}")


def main() -> None:
    args = lessons_arg(skip_scale={"action": "store_true", "help": "skip the 200-lesson parts 2 and 3"})
    header("bench/index.py: indexing throughput, re-index times, fast-path quality", args.lessons)
    t0 = time.perf_counter()
    fast, torch_e = Embedder(backend="fast"), Embedder(backend="torch")
    load_fast, _ = timed(fast._load)
    load_torch, _ = timed(torch_e._load)
    import torch

    print(f"fast backend on this CPU: {fast.precision} (bfloat16 instructions: {'yes' if native_bf16() else 'no'})")
    print(f"model load: fast {load_fast:.1f} s, torch {load_torch:.1f} s; torch threads {torch.get_num_threads()}")
    t = Targets()
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        work = Path(tmp)
        out = throughput(args.lessons, work, args.reps, fast, torch_e, t)
        if not args.skip_scale:
            rescan(args.lessons, work, fast, t)
        quality(args.lessons, out["stores"], {"fast": fast, "torch": torch_e}, t)
    t.report()
    print(f"(total run time {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
