"""The evidence gate on short learner questions, quiz questions and off-topic questions.

Learners type short questions ("How does RLHF work?"), which embed far from the passage that answers them;
quiz questions are long and well formed. For each lessons directory (indexed into a scratch index), through
the learner's own retrieval path (`Tutor.retrieve`, question language first):
- answered share of the short lesson questions written for that collection (bench/data/learner_questions.json;
  "corpus" for corpus/, "seeds" for any other directory), of the "named" ones written later ("What is FAISS?",
  "Who is Lee Sedol?": what or who a thing named by a lesson is) and of the English quiz questions, each also
  without the rare-name rule (`gate.names_rare`);
- refused share of the 62 off-topic questions that share a word with a lesson (same file) and of the 70 of
  tutor/evaluation/off_topic.txt;
- a sweep of the cosine threshold (`min_evidence`) and of the term-coverage threshold;
- the short lesson and off-topic questions with one typo (the longest word's middle letter dropped), as typed
  and as the tutor reads them (misspelt words respelt as the lessons spell them, tutor/search/spelling.py).
Targets: >= 95 % of short lesson questions answered, >= 97 % of off-topic ones refused, on both collections.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/gate.py corpus ../shared/corpora/ai-educademy-seeds
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_LESSONS, Targets, describe_machine  # noqa: E402
from tutor.build import build_tutor, reindex  # noqa: E402
from tutor.evaluation.quizzes import load_off_topic  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.search import gate  # noqa: E402
from tutor.settings import Settings  # noqa: E402

QUESTIONS = Path(__file__).resolve().parent / "data" / "learner_questions.json"
SIMS = [0.30, 0.33, 0.35, 0.38, 0.40, 0.45]
COVERAGES = [0.7, 0.8, 0.9, 1.01]


def main() -> None:
    dirs = [Path(a).resolve() for a in sys.argv[1:]] or [DEFAULT_LESSONS]
    data = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    off = data["off_topic"]
    shipped = load_off_topic(None)
    print("== evidence gate: short learner questions, quiz questions, off-topic questions ==")
    print(describe_machine())
    targets = Targets()
    for d in dirs:
        key = "corpus" if d == DEFAULT_LESSONS.resolve() else "seeds"
        with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
            s = Settings(lessons_dir=d, index_dir=Path(tmp) / "index")
            tutor = build_tutor(s)
            reindex(tutor)
            quiz = [q.question for le in load_lessons(d).lessons if le.language == "en" for q in le.quizzes]
            sets = {
                "short lesson questions": data["lesson"][key],
                "named things (held out)": data["named"][key],
                "English quiz questions": quiz,
                "off-topic sharing a word": off,
                "off-topic (tutor/evaluation/off_topic.txt)": shipped,
            }
            got = {name: [tutor.retrieve(q) for q in qs] for name, qs in sets.items()}
            print(f"\n{d} (short questions: the '{key}' set)")
            for name, rs in got.items():
                share = sum(r.covered(s.min_evidence) for r in rs) / max(1, len(rs))
                shown = share if "off-topic" not in name else 1 - share
                verb = "refused" if "off-topic" in name else "answered"
                unnamed = sum(replace(r, names_rare=False).covered(s.min_evidence) for r in rs) / max(1, len(rs))
                before = unnamed if "off-topic" not in name else 1 - unnamed
                print(f"  {name:44} n={len(rs):3}  {verb} {shown:.3f}  (without the rare-name rule {before:.3f})")
                misses = [q for q, r in zip(sets[name], rs) if r.covered(s.min_evidence) == ("off-topic" in name)]
                for q in misses:
                    r = rs[sets[name].index(q)]
                    print(
                        f"      {verb[:-2]}ing missed: {q}  (cosine {r.best_similarity:.2f}, coverage {r.coverage:.2f})"
                    )
                if name in ("short lesson questions", "named things (held out)"):
                    targets.check(f"{d.name}: {name} answered", shown, ">=", 0.95)
                elif name == "off-topic sharing a word":
                    targets.check(f"{d.name}: off-topic questions refused", shown, ">=", 0.97)
            print("  sweep (answered short / answered quiz / refused off-topic):")
            for sim in SIMS:
                cells = []
                for cov in COVERAGES:

                    def ok(r, sim=sim, cov=cov):  # type: ignore[no-untyped-def]
                        return bool(r.passages) and (
                            gate.close_in_meaning(r.best_similarity, sim, r.held, r.terms)
                            or (r.coverage >= cov and r.best_similarity >= gate.SIMILARITY_FLOOR)
                        )

                    a = sum(map(ok, got["short lesson questions"])) / max(1, len(got["short lesson questions"]))
                    b = sum(map(ok, got["English quiz questions"])) / max(1, len(got["English quiz questions"]))
                    c = 1 - sum(map(ok, got["off-topic sharing a word"])) / max(1, len(off))
                    mark = "*" if sim == s.min_evidence and cov == gate.MIN_COVERAGE else " "
                    cells.append(f"cov {cov:.2f}: {a:.2f}/{b:.2f}/{c:.2f}{mark}")
                print(f"    cosine {sim:.2f}  " + "   ".join(cells))
            misspelt(tutor, s.min_evidence, data["lesson"][key], off)
    targets.report()


def typo(question: str) -> str | None:
    """`question` with the middle letter of its longest word (6 letters or more) dropped; None without one."""
    words = re.findall(r"[A-Za-z]{6,}", question)
    if not words:
        return None
    w = max(words, key=len)
    return question.replace(w, w[: len(w) // 2] + w[len(w) // 2 + 1 :], 1)


def misspelt(tutor, min_evidence: float, lesson: list[str], off: list[str]) -> None:  # type: ignore[no-untyped-def]
    """The same questions with one typo, searched as typed (respelling off) and as the tutor reads them."""
    print("  one typo in the longest word (as typed, without respelling / as the tutor reads it):")
    respell = tutor.retriever.respell
    sets = (("short lesson questions", lesson, "answered"), ("off-topic sharing a word", off, "refused"))
    for name, qs, verb in sets:
        typed = [t for t in map(typo, qs) if t]
        shares = []
        for on in (False, True):
            tutor.retriever.respell = respell if on else (lambda q: q)
            covered = sum(tutor.retrieve(q).covered(min_evidence) for q in typed) / max(1, len(typed))
            shares.append(covered if verb == "answered" else 1 - covered)
        tutor.retriever.respell = respell
        print(f"    {name:42} n={len(typed):3}  {verb} {shares[0]:.3f} / {shares[1]:.3f}")


if __name__ == "__main__":
    main()
