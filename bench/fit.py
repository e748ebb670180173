"""Fit the key-sentence scorer and the evidence gate on labelled questions of three courses, judge each on the
course left out, and write tutor/fitted/weights.json (or the embedding model's own file, tutor/fitted OWN_WEIGHTS).

Data: bench/data/labels/<course>.json (bench/labels.py): learner questions with the lesson sentences that
answer them, off-topic questions; and each course's own quiz questions. Every question is asked as a turn
asks it (`Tutor.retrieve`, a follow-up after the question it follows), with the gate's rules deciding
follow-ups, so the data do not depend on an earlier fit.

- Picker: one row per (question, candidate sentence) (tutor/answer/features.py), labelled 1 when the
  sentence is one the labels quote. A logistic regression (scikit-learn) is fitted on two courses; on the
  third the full pick runs (context, lists, comparisons) and we count how often the first key sentence is
  a labelled answering sentence or from the same section ("first key"), beside today's hand rules; and for
  the course's quiz questions asked without options, how often the key sentences' closest option is the
  key, over the same for the authored explanation (the ceiling).
- Gate: one row per question (tutor/search/gate.py FEATURES), 1 for learner and quiz questions, 0 for
  off-topic ones; a logistic regression, its threshold chosen on the training courses' own left-out
  predictions (fit on one, predict the other), never on the course it is judged on.

Run: .venv/bin/python bench/fit.py [--courses corpus seeds afb] [--index-root DIR] [--no-write] [--ablate]
     [--show]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench import labels  # noqa: E402
from bench.common import describe_machine  # noqa: E402
from tutor import fitted  # noqa: E402
from tutor.answer import features  # noqa: E402
from tutor.answer.turn import Turn, shown_before  # noqa: E402
from tutor.build import build_tutor  # noqa: E402
from tutor.evaluation.correctness import closest_option  # noqa: E402
from tutor.evaluation.quizzes import quiz_queries  # noqa: E402
from tutor.events import KeySentence, Source  # noqa: E402
from tutor.fitted import Fitted, Linear  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.search import gate  # noqa: E402
from tutor.search.retriever import Filters  # noqa: E402
from tutor.settings import Settings  # noqa: E402

# Today's hand rules as weights over the same features: the baseline every figure stands beside.
RULES = Linear(
    (
        "cosine",
        "overlap",
        "rank",
        "heading_match",
        "opening",
        "polarity_match",
        "what_defines",
        "polarity_against",
        "why_aside",
        "shown_before",  # the rules dropped what a follow-up's conversation showed, unless nothing else was left
    ),
    np.zeros(10),
    np.ones(10),
    np.asarray([1, 0.35, 0.03, 0.2, -0.3, 0.2, 0.1, -0.2, -0.2, -100], dtype=np.float64),
    0.0,
    gap=0.2,
).aligned(features.NAMES)
GAP = 2.0  # the fitted picker: a further sentence joins within this logit of the best one (e^2: 7.4 times the odds)
C = 1.0  # inverse regularisation strength of both regressions
# The passage's place in the list is not fitted: its retrieval score and cosine carry the same evidence without
# tying a sentence to where the list put its passage (with it, "What are garden robots bad at?" got the
# section on strengths whenever that came first: tests/test_key_sentences.py).
NOT_FITTED = ("rank",)
SECTION_WEIGHT = 0.0  # weight of a sentence from a labelled section (not quoted) as a positive; 0: a negative


@dataclass
class Asked:
    """One question as the turn asked it."""

    kind: str  # learner | quiz | off
    text: str
    query: str = ""  # what the picker reads (acronyms spelled out)
    qvec: np.ndarray | None = None
    sources: list[Source] = field(default_factory=list)
    gate_row: list[float] = field(default_factory=list)
    rules_covered: bool = False
    question: labels.Question | None = None
    sections: set[tuple[str, str]] = field(default_factory=set)  # (path, breadcrumb) of labelled sections
    quiz: Any = None
    shown: list[str] = field(default_factory=list)  # a follow-up's key sentences shown before, as the turn passes
    more: bool = False  # a request for more of the same ("Any examples?"): the turn drops what was shown


@dataclass
class Course:
    name: str
    tutor: Any
    asked: list[Asked]


def path_is(path: str, root: Path, file: str) -> bool:
    p = Path(path)
    return (p if p.is_absolute() else root / p).resolve() == (root / file).resolve()


def same_text(a: str, b: str) -> bool:
    """Two lesson texts say the same sentence: one holds the other, or most words are shared."""
    fa, fb = labels.fold(a), labels.fold(b)
    if not fa or not fb:
        return False
    if fa in fb or fb in fa:
        return True
    wa, wb = set(fa.split()), set(fb.split())
    return min(len(wa), len(wb)) >= 4 and len(wa & wb) >= 0.8 * min(len(wa), len(wb))


def labelled(text: str, path: str, a: Asked, root: Path) -> bool:
    assert a.question is not None
    return any(path_is(path, root, x.file) and same_text(text, x.quote) for x in a.question.answers)


def collect(name: str, index_root: Path) -> Course:
    course = labels.load(name)
    tutor = build_tutor(Settings(lessons_dir=course.root, index_dir=index_root / name))
    t0 = time.perf_counter()
    tutor.reindex()
    chunks = tutor.retriever.snapshot().chunks
    print(f"{name}: {len(chunks)} passages indexed in {time.perf_counter() - t0:.0f} s", flush=True)
    out: list[Asked] = []

    def ask(kind: str, text: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Asked:
        r = tutor.retrieve(text, history, filters)
        a = Asked(kind, text, tutor.retriever.expand(r.query), r.query_vector, [p.source() for p in r.passages])
        a.gate_row, a.rules_covered = r.features(), r.covered(tutor.settings.min_evidence)
        a.shown, a.more = shown_before(text, r.follow_up, history)  # as the turn passes them to the picker
        return a

    by_text = {q.q: q for q in course.learner}
    for q in course.learner:
        history: list[Turn] = []
        if q.after:
            first = ask("learner", q.after)
            keys = tutor.picker.pick(first.query, first.qvec, first.sources) if first.qvec is not None else []
            history = [
                Turn(
                    q.after,
                    " ".join(k.text for k in keys),
                    list(dict.fromkeys(s.lesson_id for s in first.sources)),
                    [s.chunk_id for s in first.sources],
                    query=first.query,
                    keys=[k.text for k in keys],
                )
            ]
            if q.after not in by_text:
                print(f"  note: {q.id} follows {q.after!r}, which is not itself labelled")
        a = ask("learner", q.q, history)
        a.question = q
        a.sections = {
            (c.path, c.breadcrumb)
            for c in chunks
            for x in q.answers
            if path_is(c.path, course.root, x.file) and labels.fold(x.quote) in labels.fold(c.text)
        }
        out.append(a)
    for d in course.off_topic:
        out.append(ask("off", d["q"]))
    for qq in quiz_queries(load_lessons(course.root).lessons):
        if qq.language not in (None, "en"):
            continue
        a = ask("quiz", qq.question, filters=Filters(language=qq.language))
        a.quiz = qq.quiz
        out.append(a)
    return Course(name, tutor, out)


def candidate_rows(c: Course) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows, labels and weights of the learner questions' candidates (questions with a labelled
    candidate)."""
    xs, ys, ws = [], [], []
    root = labels.load(c.name).root
    for a in c.asked:
        if a.kind != "learner" or a.qvec is None or not a.sources:
            continue
        cands, _, x = c.tutor.picker.table(a.query, a.qvec, a.sources, a.shown)
        y = np.asarray([labelled(k.body, a.sources[k.i].path, a, root) for k in cands], dtype=np.int64)
        near = np.asarray([(a.sources[k.i].path, a.sources[k.i].breadcrumb) in a.sections for k in cands])
        w = np.where(y == 1, 1.0, np.where(near, SECTION_WEIGHT, 1.0))
        if y.any():
            xs.append(x)
            ys.append(np.where(near & (SECTION_WEIGHT > 0), 1, y))
            ws.append(np.where(near & (SECTION_WEIGHT == 0), 1.0, w))
    if not xs:
        return np.zeros((0, len(features.NAMES))), np.zeros(0), np.zeros(0)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)


def fit_linear(
    x: np.ndarray, y: np.ndarray, names: tuple[str, ...], drop: Sequence[str] = (), w: np.ndarray | None = None
) -> Linear:
    from sklearn.linear_model import LogisticRegression

    keep = [i for i, n in enumerate(names) if n not in drop]
    xk = x[:, keep]
    mean, scale = xk.mean(axis=0), xk.std(axis=0)
    scale[scale < 1e-9] = 1.0
    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit((xk - mean) / scale, y, sample_weight=w)
    sub = tuple(names[i] for i in keep)
    return Linear(sub, mean, scale, lr.coef_[0].astype(np.float64), float(lr.intercept_[0])).aligned(names)


def picker_figures(c: Course, model: Linear, show: bool = False) -> dict[str, float]:
    """First key sentence labelled or in a labelled section (learner questions); quiz whole answers over the
    ceiling."""
    root = labels.load(c.name).root
    hit = some = n = picked = 0
    right = ceiling = quizzes = 0
    emb = c.tutor.embedder
    for a in c.asked:
        if a.kind == "off" or a.qvec is None or not a.sources:
            continue
        keys: list[KeySentence] = c.tutor.picker.pick(a.query, a.qvec, a.sources, a.shown, model=model, more=a.more)
        picked += len(keys)
        if a.kind == "learner":
            n += 1

            def good(k: KeySentence, a: Asked = a) -> bool:
                return labelled(k.text, k.path, a, root) or (k.path, k.breadcrumb) in a.sections

            hit += bool(keys) and good(keys[0])
            some += any(good(k) for k in keys)
            if show and keys and not good(keys[0]):
                print(f"    MISS {a.text!r}\n      got: {keys[0].text[:160]!r}")
        else:
            quizzes += 1
            opts = a.quiz.options
            right += closest_option(emb, " ".join(k.text for k in keys), opts, a.text) == a.quiz.answer
            ceiling += closest_option(emb, a.quiz.explanation, opts, a.text) == a.quiz.answer
    return {
        "first_key": hit / max(1, n),
        "any_key": some / max(1, n),
        "quiz": right / max(1, quizzes),
        "ceiling": ceiling / max(1, quizzes),
        "quiz_of_ceiling": right / max(1, ceiling),
        "keys": picked / max(1, n + quizzes),
        "learner": n,
        "quizzes": quizzes,
    }


def gate_rows(courses: Sequence[Course]) -> tuple[np.ndarray, np.ndarray]:
    rows = [(a.gate_row, a.kind != "off") for c in courses for a in c.asked]
    return np.asarray([r for r, _ in rows], dtype=np.float64), np.asarray([y for _, y in rows], dtype=np.int64)


def threshold(probs: np.ndarray, y: np.ndarray) -> float:
    """The probability threshold with the best balanced accuracy (mean of answered and refused rates)."""
    best, at = -1.0, 0.5
    for t in np.unique(np.round(probs, 4)):
        ans = (probs >= t)[y == 1].mean() if (y == 1).any() else 0.0
        ref = (probs < t)[y == 0].mean() if (y == 0).any() else 0.0
        if (ans + ref) / 2 > best:
            best, at = (ans + ref) / 2, float(t)
    return at


def fit_gate(courses: Sequence[Course]) -> Linear:
    """Fitted on `courses`; the threshold from their leave-one-course-out predictions (or, for one course,
    its own)."""
    x, y = gate_rows(courses)
    model = fit_linear(x, y, gate.FEATURES)
    if len(courses) < 2:
        return replace(model, threshold=threshold(model.probability(x), y))
    probs, ys = [], []
    for k, held in enumerate(courses):
        inner = fit_linear(*gate_rows([c for j, c in enumerate(courses) if j != k]), gate.FEATURES)
        hx, hy = gate_rows([held])
        probs.append(inner.probability(hx))
        ys.append(hy)
    return replace(model, threshold=threshold(np.concatenate(probs), np.concatenate(ys)))


def gate_figures(c: Course, model: Linear | None) -> dict[str, float]:
    def answered(a: Asked) -> bool:
        if model is None:
            return a.rules_covered
        return bool(a.sources) and float(model.probability(np.asarray([a.gate_row]))[0]) >= model.threshold

    def rate(kind: str, want: bool) -> float:
        xs = [answered(a) == want for a in c.asked if a.kind == kind]
        return sum(xs) / max(1, len(xs))

    return {
        "learner_answered": rate("learner", True),
        "quiz_answered": rate("quiz", True),
        "off_refused": rate("off", False),
    }


def loco(courses: list[Course], drop: Sequence[str] = (), show: bool = False) -> dict[str, dict[str, Any]]:
    rows = {c.name: candidate_rows(c) for c in courses}
    out: dict[str, dict[str, Any]] = {}
    for c in courses:
        train = [rows[o.name] for o in courses if o is not c]
        x, y, w = (np.concatenate([t[k] for t in train]) for k in range(3))
        picker = replace(fit_linear(x, y, features.NAMES, (*NOT_FITTED, *drop), w), gap=GAP)
        g = fit_gate([o for o in courses if o is not c])
        out[c.name] = {
            "picker": picker_figures(c, picker, show),
            "gate": gate_figures(c, g),
            "gate_threshold": g.threshold,
        }
    return out


def table(title: str, rules: dict[str, Any], fit: dict[str, Any]) -> None:
    print(f"\n{title}")
    print(
        "| left-out course | first key: rules | fitted | quiz / ceiling: rules | fitted | "
        "learner answered: rules | fitted | off-topic refused: rules | fitted |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in fit:
        r, f = rules[name], fit[name]
        print(
            f"| {name} ({f['picker']['learner']} q, {f['picker']['quizzes']} quiz) "
            f"| {r['picker']['first_key']:.3f} | {f['picker']['first_key']:.3f} "
            f"| {r['picker']['quiz_of_ceiling']:.2f} | {f['picker']['quiz_of_ceiling']:.2f} "
            f"| {r['gate']['learner_answered']:.3f} | {f['gate']['learner_answered']:.3f} "
            f"| {r['gate']['off_refused']:.3f} | {f['gate']['off_refused']:.3f} |"
        )


ABLATE = (
    ("cosine", "cosine_gap"),
    ("overlap", "rare_overlap", "restates"),
    ("passage_score", "passage_similarity"),
    ("heading_share", "heading_match", "title_share"),
    ("opening",),
    ("polarity_match", "polarity_against"),
    ("defines", "what_defines"),
    ("aside", "why_aside", "callout"),
    ("why_causal", "how_item"),
    ("item", "table", "lead_in"),
    ("leans_back", "refers_back"),
    ("log_words", "short"),
    ("code", "image", "not_an_answer", "instructs", "exclaims"),
    ("position", "first_in_passage"),
)


# Hand rules still in the picker's code: (module, constant, its "off" value). Each is switched off in turn,
# the scorer refitted, and the left-out figures compared.
SWITCHES = (
    ("key_sentences", "HARD_FILTERS", 0),
    ("key_sentences", "DEFINITIONS_FIRST", 0),
    ("key_sentences", "RESTATES", 0),
    ("key_sentences", "TABLE_ROWS", 0),
    ("key_sentences", "NAMES_THE_TERM", 0),
    ("key_sentences", "LEAD_IN_WITH_LIST", 0),
    ("context", "REASONS_BEFORE", 0),
)


def ablation_row(label: str, res: dict[str, dict[str, Any]], courses: Sequence[Course]) -> None:
    print(
        f"| {label} | "
        + " | ".join(f"{res[c.name]['picker']['first_key']:.3f}" for c in courses)
        + " | "
        + " | ".join(f"{res[c.name]['picker']['quiz']:.3f}" for c in courses)
        + " |"
    )


def ablate(courses: Sequence[Course], base: dict[str, dict[str, Any]]) -> None:
    import tutor.answer.context as context_module
    import tutor.answer.key_sentences as ks_module

    modules = {"key_sentences": ks_module, "context": context_module}
    print("\nAblation (fitted, each course left out; a drop that lowers a figure earns its place):")
    print(
        "| dropped | "
        + " | ".join(f"{c.name} first key" for c in courses)
        + " | "
        + " | ".join(f"{c.name} quiz right" for c in courses)
        + " |"
    )
    print("|---|" + "---|" * (2 * len(courses)))
    ablation_row("nothing (all features, all rules)", base, courses)
    for group in ABLATE:
        ablation_row("features: " + ", ".join(group), loco(list(courses), drop=group), courses)
    for where, name, off in SWITCHES:
        module = modules[where]
        saved = getattr(module, name)
        setattr(module, name, off)
        for c in courses:
            c.tutor.picker.forget_vectors()
        try:
            ablation_row(f"rule: {where}.{name} = {off}", loco(list(courses)), courses)
        finally:
            setattr(module, name, saved)
            for c in courses:
                c.tutor.picker.forget_vectors()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--courses", nargs="+", default=list(labels.COURSES))
    ap.add_argument("--index-root", type=Path, default=Path.home() / ".cache" / "lesson-tutor-fit")
    ap.add_argument("--no-write", action="store_true", help="print the figures; leave weights.json as it is")
    ap.add_argument("--ablate", action="store_true", help="the left-out figures with each feature group dropped")
    ap.add_argument("--show", action="store_true", help="print the fitted picker's misses")
    ap.add_argument(
        "--picker",
        choices=("rules", "fitted"),
        default="rules",
        help="which scorer weights.json switches on (the fitted one is written beside it either way)",
    )
    ap.add_argument(
        "--gate",
        choices=("rules", "fitted"),
        default="rules",
        help="which gate weights.json switches on (the fitted one is written beside it either way)",
    )
    ap.add_argument("--gap", type=float, default=GAP, help="the fitted picker's logit gap for further sentences")
    args = ap.parse_args()
    globals()["GAP"] = args.gap
    print(describe_machine())
    shipped = fitted.load()
    fitted.load = lambda path=fitted.WEIGHTS: replace(shipped, gate=None)  # type: ignore[assignment]  # rules gate
    courses = [collect(n, args.index_root) for n in args.courses]
    for c in courses:
        print(f"{c.name}: " + ", ".join(f"{k} {sum(a.kind == k for a in c.asked)}" for k in ("learner", "quiz", "off")))
    rules = {c.name: {"picker": picker_figures(c, RULES), "gate": gate_figures(c, None)} for c in courses}
    fit = loco(courses, show=args.show)
    table("Leave one course out (fit on the other two):", rules, fit)
    for name, f in fit.items():
        print(
            f"  {name}: fitted any key {f['picker']['any_key']:.3f} (rules {rules[name]['picker']['any_key']:.3f}); "
            f"quiz answered {f['gate']['quiz_answered']:.3f} (rules {rules[name]['gate']['quiz_answered']:.3f}); "
            f"gate threshold {f['gate_threshold']:.3f}; ceiling {f['picker']['ceiling']:.3f}"
        )
    if args.ablate:
        ablate(courses, fit)
    if args.no_write:
        return
    rows = [candidate_rows(c) for c in courses]
    x, y, w = (np.concatenate([r[k] for r in rows]) for k in range(3))
    picker = replace(fit_linear(x, y, features.NAMES, NOT_FITTED, w), gap=GAP)
    g = fit_gate(courses)
    about = (
        f"fitted by bench/fit.py on {', '.join(c.name for c in courses)} ({time.strftime('%Y-%m-%d')}); "
        + ("picker fitted; " if args.picker == "fitted" else "picker: the rules' weights (see picker_fitted); ")
        + (
            "gate fitted, its threshold from leave-one-course-out predictions"
            if args.gate == "fitted"
            else "gate: its rules (see gate_fitted)"
        )
    )
    out = Fitted(courses[0].tutor.embedder.name, picker, g, about)
    # an embedder with weights of its own (tutor/fitted OWN_WEIGHTS) gets them written to its file
    target = fitted.WEIGHTS.with_name(fitted.OWN_WEIGHTS.get(out.embedder.split(":")[0], fitted.WEIGHTS.name))
    target.write_text(
        json.dumps(
            {
                "about": out.about,
                "embedder": out.embedder,
                "picker": picker.to_dict() if args.picker == "fitted" else RULES.to_dict(),
                "picker_fitted": picker.to_dict(),  # for the record, while "picker" holds the rules' weights
                "gate": g.to_dict() if args.gate == "fitted" else None,
                "gate_fitted": g.to_dict(),  # for the record; the gate's rules decide while "gate" is null
                # what the shipped weights give on each course when fitted on the other two (`tutor eval`)
                "left_out": {
                    name: {
                        "first_key": round((f if args.picker == "fitted" else rules[name])["picker"]["first_key"], 3),
                        "quiz_of_ceiling": round(
                            (f if args.picker == "fitted" else rules[name])["picker"]["quiz_of_ceiling"], 3
                        ),
                        "off_refused": round((f if args.gate == "fitted" else rules[name])["gate"]["off_refused"], 3),
                        "learner_answered": round(
                            (f if args.gate == "fitted" else rules[name])["gate"]["learner_answered"], 3
                        ),
                    }
                    for name, f in fit.items()
                },
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nwrote {target}")
    for n, w in sorted(zip(picker.names, picker.coef), key=lambda t: -abs(t[1])):
        print(f"  picker {n:18s} {w:+.3f}")
    for n, w in zip(g.names, g.coef):
        print(f"  gate   {n:18s} {w:+.3f}")


if __name__ == "__main__":
    main()
