"""Fit how much of e5's common direction to take out (tutor/models/e5.py), judge each fit on a course it was not
fitted on, and write tutor/models/e5_centres.json.

multilingual-e5-small's cosines crowd into a narrow band: an off-topic question's closest passage sits near
0.80, a quiz question's own lesson near 0.89, where all-MiniLM-L6-v2, whose scale every threshold of the tutor
was set or fitted on, gives about 0.17 and 0.62. Taking `shrink` times the mean vector out of every vector
(queries: the mean query, passages: the mean passage) and renormalising spreads the band; `shrink` 1 removes
the whole mean (more spread, but generic texts then point anywhere), 0 leaves e5 as it is.

Data, per course (corpus/, and the seeds and ai-for-beginners courses under ../shared/corpora when present):
its chunks as `tutor index` cuts them, its quiz questions (each with its lesson and language), its labelled
learner questions and off-topic ones (bench/data/labels), and tutor/evaluation/off_topic.txt.
Fit, on the training courses: the means over their chunks and quiz questions; `shrink` on a grid, the one under
which MiniLM's evidence floor best separates their on-topic questions from the off-topic ones (the floor every
threshold of the gate is set against). Measured before choosing this: matching the deciles of MiniLM's best
cosines instead gave shrink 0.80-0.85, where the floor separated 0.83-0.93 (0.91-0.94 at 0.9). Judged on the
course left out: lesson recall@1/@3 of its quiz questions per language, the median best cosine on- and off-
topic, and how well MiniLM's evidence floor (0.35: a passage that close answers) separates on- from off-topic
questions (balanced accuracy), each beside MiniLM and raw e5.
The file written is fitted on all the courses found.

Run: .venv/bin/python bench/e5_centres.py [--cache DIR] [--no-write]   (embedding the seeds takes minutes;
     --cache keeps the raw vectors between runs)
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import labels  # noqa: E402
from bench.common import describe_machine  # noqa: E402
from bench.embedders import LANGS, course, lesson_ranks  # noqa: E402
from tutor.evaluation.quizzes import load_off_topic  # noqa: E402
from tutor.models import e5  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROOTS = {"corpus": ROOT / "corpus", "seeds": ROOT.parent / "shared/corpora/ai-educademy-seeds"}
ROOTS["afb"] = ROOT.parent / "shared/corpora/ai-for-beginners"
FLOOR = 0.35  # MiniLM's evidence floor (settings.min_evidence)
GRID = np.round(np.arange(0.0, 1.0001, 0.05), 2)


@dataclass
class Data:
    name: str
    lessons: np.ndarray  # lesson id per chunk
    quiz: list[tuple[str, str]]  # (lesson id, language) per quiz question
    twins: list[str]  # per quiz question: the English lesson of the same slug, "" for none (or an English quiz)
    languages: np.ndarray  # language per chunk
    vecs: dict[str, np.ndarray]  # "<embedder>_<chunks|quiz|learner|off>" -> unit vectors


def embed_course(name: str, root: Path, cache: Path | None) -> Data:
    """The course's texts and their raw e5 and MiniLM vectors (from `cache` when there)."""
    chunks, questions = course(root, 0)
    lab = labels.load(name) if (labels.DIR / f"{name}.json").exists() else None
    texts = {
        "chunks": [c[3] for c in chunks],
        "quiz": [q.text for q in questions],
        "learner": [q.q for q in lab.learner if not q.after] if lab else [],
        "off": [*(o["q"] for o in (lab.off_topic if lab else [])), *load_off_topic(None)],
    }
    stored = cache / f"{name}.npz" if cache else None
    if stored and stored.exists():
        vecs = dict(np.load(stored))
    else:
        from tutor.models.embedder import Embedder

        raw, mini = e5.E5Embedder(centring=e5.Centres.none()), Embedder(backend="fast")
        vecs = {}
        for part, tx in texts.items():
            vecs[f"e5_{part}"] = raw.embed(tx) if part == "chunks" else raw.embed_query(tx)
            vecs[f"mini_{part}"] = mini.embed(tx)
        if stored:
            stored.parent.mkdir(parents=True, exist_ok=True)
            np.savez(stored, **vecs)
    lessons = np.array([c[0] for c in chunks])
    twins = [q.english_id if q.language != "en" else "" for q in questions]
    languages = np.array([c[1] for c in chunks])
    return Data(name, lessons, [(q.lesson_id, q.language) for q in questions], twins, languages, vecs)


def view(d: Data, c: e5.Centres | None) -> dict[str, np.ndarray]:
    """The course's vectors as MiniLM ("mini", c None) or e5 centred by `c` gives them."""
    if c is None:
        return {k[5:]: v for k, v in d.vecs.items() if k.startswith("mini_")}
    out = {"chunks": e5.centred(d.vecs["e5_chunks"], c.passage, c.shrink)}
    for part in ("quiz", "learner", "off"):
        out[part] = e5.centred(d.vecs[f"e5_{part}"], c.query, c.shrink)
    return out


def best(v: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Best cosine to any chunk: on-topic questions (quiz and learner), off-topic ones."""
    on = np.concatenate([v["quiz"], v["learner"]]) if len(v["learner"]) else v["quiz"]
    return (on @ v["chunks"].T).max(1), (v["off"] @ v["chunks"].T).max(1)


def fit(train: list[Data]) -> e5.Centres:
    q = np.concatenate([d.vecs["e5_quiz"] for d in train]).mean(0).astype(np.float32)
    p = np.concatenate([d.vecs["e5_chunks"] for d in train]).mean(0).astype(np.float32)

    def separation(shrink: float) -> float:  # mean over the training courses; the smaller shrink on a tie
        return float(np.mean([judge(d, view(d, e5.Centres(q, p, shrink)))["bacc"] for d in train])) - shrink / 1e6

    return e5.Centres(q, p, float(max(GRID, key=separation)))


def judge(d: Data, v: dict[str, np.ndarray]) -> dict[str, object]:
    ranks = lesson_ranks(v["quiz"] @ v["chunks"].T, d.lessons, [lesson for lesson, _ in d.quiz])
    per = {}
    for lang in LANGS:
        idx = [i for i, (_, la) in enumerate(d.quiz) if la == lang]
        if idx:
            per[lang] = (len(idx), np.mean([ranks[i] <= 1 for i in idx]), np.mean([ranks[i] <= 3 for i in idx]))
    on, off = best(v)
    return {
        "per": per,
        "on": np.median(on),
        "off": np.median(off),
        "bacc": (np.mean(on >= FLOOR) + np.mean(off < FLOOR)) / 2,
    }


def twin_cosines(d: Data, v: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each non-English quiz question with an English twin lesson: the best cosine to its own lesson, to
    the twin, and to the closest English chunk of another lesson (other slug): what it meets when the English
    lessons are all there is, with and without one that answers it."""
    idx = [i for i, twin in enumerate(d.twins) if twin]
    if not idx:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    sims = v["quiz"][idx] @ v["chunks"].T
    slug = np.array([lesson.rsplit("/", 1)[-1] for lesson in d.lessons])
    own, twin, other = [], [], []
    for row, i in zip(sims, idx):
        own.append(row[d.lessons == d.quiz[i][0]].max())
        twin.append(row[d.lessons == d.twins[i]].max())
        other.append(row[(d.languages == "en") & (slug != d.twins[i].rsplit("/", 1)[-1])].max())
    return np.array(own), np.array(twin), np.array(other)


def fit_gap(train: list[Data], c: e5.Centres) -> float:
    """How much lower a question's cosine to a passage in another language runs than to the same passage in
    its own: the median over the training courses' translated quiz questions (own lesson - English twin)."""
    gaps = [o - t for d in train for o, t in zip(*twin_cosines(d, view(d, c))[:2])]
    return round(float(np.median(gaps)), 3) if gaps else 0.0


def judge_gap(d: Data, c: e5.Centres, gap: float) -> str:
    """On a course's translated questions, with only English lessons to answer from: the share answered when
    the twin is there (twin cosine + gap at the floor or above), and the share refused when only other
    lessons are (their best cosine + gap below the floor)."""
    _, twin, other = twin_cosines(d, view(d, c))
    if not len(twin):
        return ""
    return (
        f"{d.name}: {len(twin)} translated quiz questions against the English lessons, cross-language gap "
        f"{gap:.3f}: answered by the twin {np.mean(twin + gap >= FLOOR):.2f} (without the gap "
        f"{np.mean(twin >= FLOOR):.2f}); refused with only other lessons {np.mean(other + gap < FLOOR):.2f} "
        f"(without {np.mean(other < FLOOR):.2f})"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, help="keep the raw vectors here between runs")
    p.add_argument("--no-write", action="store_true", help="print the figures only")
    args = p.parse_args(argv)
    print("== e5 centring: fitted on two courses, judged on the third ==")
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(describe_machine())
    data = [embed_course(n, r, args.cache) for n, r in ROOTS.items() if r.is_dir()]
    print("| left out | shrink | embedder | lang | quiz qs | R@1 | R@3 | on best | off best | bal.acc@0.35 |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for d in data:
        train = [x for x in data if x is not d] or [d]
        c = fit(train)
        for label, v in (("MiniLM", view(d, None)), ("e5 raw", view(d, e5.Centres.none())), ("e5 centred", view(d, c))):
            j = judge(d, v)
            for lang, (n, r1, r3) in j["per"].items():  # type: ignore[attr-defined]
                print(
                    f"| {d.name} | {c.shrink:.2f} | {label} | {lang} | {n} | {r1:.2f} | {r3:.2f} | "
                    f"{j['on']:.2f} | {j['off']:.2f} | {j['bacc']:.3f} |"
                )
        with_twins = [x for x in data if x is not d and any(x.twins)]
        if any(d.twins) and with_twins:
            print(judge_gap(d, c, fit_gap(with_twins, c)))
    final = fit(data)
    gap = fit_gap(data, final)
    print(f"fitted on {', '.join(d.name for d in data)}: shrink {final.shrink:.2f}")
    print(f"(measured, not used: cross-language gap {gap:.3f}; with it wrong lessons pass the floor too)")
    if not args.no_write:
        out = {
            "about": f"bench/e5_centres.py on {', '.join(d.name for d in data)}, "
            f"{datetime.date.today():%Y-%m-%d}: mean query and passage vectors of raw e5, and the share taken out",
            "shrink": final.shrink,
            "query": [round(float(x), 6) for x in final.query],
            "passage": [round(float(x), 6) for x in final.passage],
        }
        e5.CENTRES.write_text(json.dumps(out) + "\n", encoding="utf-8")
        print(f"wrote {e5.CENTRES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
