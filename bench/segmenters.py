"""Sentence segmenters on the courses' own prose: today's regular expression against pysbd, sentencex and
blingfire, the module built on the winner (tutor/text/segment.py), and pysbd behind that module's repairs.

Gold: bench/data/segmentation.json, prose paragraphs of the three courses (corpus/programs, the ai-seeds
lessons in five languages, AI for Beginners) split into sentences by hand; its "about" gives the conventions
(a quotation is never split inside; "e.g." ends nothing; "**Does AGI exist?** No." is two sentences).

Printed per language and overall, for each segmenter:
- exact: paragraphs whose every boundary is right (%);
- P / R: precision and recall of sentence boundaries, a boundary being the offset where a sentence starts in
  the paragraph with all whitespace removed (so keeping or trimming spaces does not count); where a
  segmenter leaves characters out of every sentence (today's regex drops a closing quote or "**" after a
  stop) a gold boundary inside the gap counts as found, and "gaps" counts the paragraphs where it happened;
- run together: P / R with each language's paragraphs joined by a space into one text, as a long paragraph
  or an answer without blank lines reads (it caught sentencex pairing a code span's backtick with a later
  single quote);
- speed: sentences per second over the whole gold set (its hand-split sentence count over the median wall
  time of 5 runs), beside today's regex measured in the same process, with the machine it ran on.
Each segmenter gets the paragraph's language; pysbd has no Telugu rules, so Telugu goes to its English ones.

Run: .venv/bin/python bench/segmenters.py
"""

from __future__ import annotations

import functools
import json
import re
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import blingfire  # noqa: E402
import pysbd  # noqa: E402
import sentencex  # noqa: E402

from bench.common import describe_machine, median  # noqa: E402
from tutor.answer.sentences import split_sentences  # noqa: E402
from tutor.text.segment import NEUTRAL, _located, _repaired, sentence_spans  # noqa: E402

GOLD = ROOT / "bench" / "data" / "segmentation.json"
RUNS = 5
SPACE = re.compile(r"\s+")
PYSBD_LANGS = {"en", "es", "fr", "nl", "hi", "de", "it", "ru", "pl", "da", "zh", "ja", "ar", "fa", "ur", "mr"}

Segmenter = Callable[[str, str], list[str]]


@functools.cache
def _pysbd(language: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=language if language in PYSBD_LANGS else "en", clean=False)


def regex(text: str, language: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def pysbd_(text: str, language: str) -> list[str]:
    return [str(s) for s in _pysbd(language).segment(text)]


def sentencex_(text: str, language: str) -> list[str]:
    return list(sentencex.segment(language, text))


def blingfire_(text: str, language: str) -> list[str]:
    return blingfire.text_to_sentences(text).split("\n")


def chosen(text: str, language: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text, language=language)]


def pysbd_repaired(text: str, language: str) -> list[str]:
    """pysbd behind the chosen module's input folding and Markdown repairs: is the choice down to them?"""
    chunk = text.translate(NEUTRAL)
    pieces = _located(chunk, pysbd_(chunk, language)) or [(0, len(chunk))]
    return [text[a:b] for a, b in _repaired(chunk, pieces)]


SEGMENTERS: dict[str, Segmenter] = {
    "regex (today)": regex,
    f"pysbd {version('pysbd')}": pysbd_,
    f"sentencex {version('sentencex')}": sentencex_,
    f"blingfire {version('blingfire')}": blingfire_,
    "tutor.text.segment": chosen,
    "pysbd + repairs": pysbd_repaired,
}


def boundaries(text: str, sentences: list[str], gold: frozenset[int] = frozenset()) -> tuple[set[int], bool]:
    """Offsets, in `text` without whitespace, where a sentence starts (the first aside); and whether the
    sentences cover the text (False: some characters fell between them, as today's regex leaves a closing
    quote or "**" after a stop out of both spans; a gold boundary inside such a gap counts as found)."""
    flat = SPACE.sub("", text)
    out: set[int] = set()
    pos, intact = 0, True
    for s in sentences:
        piece = SPACE.sub("", s)
        if not piece:
            continue
        at = flat.find(piece, pos)
        if at < 0:  # characters changed, not just dropped: place it by length
            at = pos
        if at != pos:
            intact = False
        if pos:
            out.add(next((g for g in sorted(gold) if pos <= g <= at), at))
        pos = at + len(piece)
    if pos != len(flat):
        intact = False
    return out, intact


def score(paras: list[dict], seg: Segmenter) -> dict[str, float]:
    exact = tp = npred = ngold = gaps = 0
    for p in paras:
        gold, _ = boundaries(p["text"], p["sentences"])
        pred, intact = boundaries(p["text"], seg(p["text"], p["language"]), frozenset(gold))
        exact += pred == gold
        tp += len(pred & gold)
        npred += len(pred)
        ngold += len(gold)
        gaps += not intact
    return {
        "n": len(paras),
        "exact": 100 * exact / len(paras),
        "p": tp / npred if npred else 1.0,
        "r": tp / ngold if ngold else 1.0,
        "gaps": gaps,
    }


def run_together(paras: list[dict], seg: Segmenter) -> dict[str, float]:
    """Boundary precision and recall with each language's paragraphs joined by a space into one text: what a
    long paragraph or an answer without blank lines looks like, and a test of state carried across sentences."""
    tp = npred = ngold = 0
    for lang in sorted({p["language"] for p in paras}):
        group = [p for p in paras if p["language"] == lang]
        text = " ".join(p["text"] for p in group)
        gold, _ = boundaries(text, [s for p in group for s in p["sentences"]])
        pred, _ = boundaries(text, seg(text, lang), frozenset(gold))
        tp, npred, ngold = tp + len(pred & gold), npred + len(pred), ngold + len(gold)
    return {"p": tp / npred if npred else 1.0, "r": tp / ngold if ngold else 1.0}


def speed(paras: list[dict], seg: Segmenter) -> float:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        for p in paras:
            seg(p["text"], p["language"])
        times.append(time.perf_counter() - t0)
    return sum(len(p["sentences"]) for p in paras) / median(times)


def main() -> None:
    paras = json.loads(GOLD.read_text(encoding="utf-8"))["paragraphs"]
    langs = sorted({p["language"] for p in paras}, key=lambda lang: (lang != "en", lang))
    print("== sentence segmenters on hand-split course prose ==")
    print(describe_machine())
    n_sentences = sum(len(p["sentences"]) for p in paras)
    print(f"gold: {GOLD.relative_to(ROOT)}: {len(paras)} paragraphs, {n_sentences} sentences")
    print(f"\n{'segmenter':<20} {'lang':<8} {'paras':>5} {'exact':>7} {'P':>6} {'R':>6}  gaps")
    for name, seg in SEGMENTERS.items():
        for lang in [*langs, "all"]:
            group = paras if lang == "all" else [p for p in paras if p["language"] == lang]
            s = score(group, seg)
            print(f"{name:<20} {lang:<8} {s['n']:>5} {s['exact']:>6.1f}% {s['p']:>6.3f} {s['r']:>6.3f}  {s['gaps']}")
        print()
    print("run together (each language's paragraphs as one text)")
    for name, seg in SEGMENTERS.items():
        s = run_together(paras, seg)
        print(f"{name:<20} P {s['p']:.3f}  R {s['r']:.3f}")
    print(f"\nspeed (sentences/s, median of {RUNS} runs over the gold set)")
    base = speed(paras, regex)
    for name, seg in SEGMENTERS.items():
        sps = base if seg is regex else speed(paras, seg)
        print(f"{name:<20} {sps:>12,.0f}  {sps / base:>7.3f}x regex")


if __name__ == "__main__":
    main()
