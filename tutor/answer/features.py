"""What the key-sentence scorer knows of one (question, lesson sentence) pair: a row of numbers.

Each signal the hand rules used to add as a bonus is a feature here, beside signals they never read; the
weights that combine them are fitted on labelled questions of three courses (bench/fit.py) and shipped in
tutor/fitted/weights.json. A feature is a number in a small range (0/1 flags, shares, cosines), so a
weight reads as "how much this counts". Question-kind flags only enter through products with a sentence's
kind ("why" x "fun fact"): a flag that is the same for every sentence of one question would rank nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tutor.answer.sentences import Unit, clean
from tutor.events import Source
from tutor.ingest.mdx import LABELS
from tutor.text import kinds
from tutor.text.kinds import LABEL
from tutor.text.words import content_words

ASIDE = LABELS["FunFact"] + ":"  # how tutor/ingest/mdx.py opens a "Fun fact" call-out: the author's digression

NAMES: tuple[str, ...] = (
    "cosine",  # unit vectors: sentence . question
    "cosine_gap",  # cosine minus the best cosine among this question's sentences (<= 0)
    "overlap",  # share of the question's content words the sentence holds
    "rare_overlap",  # the same share, each word weighted by its rarity among the retrieved sentences
    "overlap_gap",  # overlap minus the best overlap among this question's sentences (<= 0)
    "rare_gap",  # rare_overlap minus the best one (<= 0)
    "cosine_top",  # the sentence with the best cosine
    "rank",  # 1 for the first retrieved passage, falling to 0 for the last (the rules' bonus; not fitted)
    "passage_score",  # the passage's fused retrieval score over the best passage's (1 for the best)
    "passage_similarity",  # the passage's cosine to the question minus the best passage's (<= 0)
    "heading_share",  # share of the question's words in the section's headings (below the lesson title)
    "heading_match",  # those headings hold at least half the question's words
    "title_share",  # share of the question's words in the lesson's title
    "opening",  # a lesson's opening (no section yet) while a section of that lesson is retrieved
    "polarity_match",  # the section's heading is on what the question asks for (strengths / weaknesses)
    "polarity_against",  # the sentence, or its section, is on the other
    "defines",  # the sentence defines what the question names ("X is a ...")
    "what_defines",  # ... and the question asks what X is
    "aside",  # the opening of a "Fun fact" call-out, or a sentence of one
    "why_aside",  # ... for a why-question
    "callout",  # the block opens with a call-out label ("Think about it: ", "Note: ")
    "why_causal",  # a why-question and a sentence that gives a reason ("because", "due to")
    "how_item",  # a how-question and a list item (a step)
    "item",  # a list item
    "table",  # a table row
    "lead_in",  # ends with ":" (introduces a list)
    "leans_back",  # opens with "This", "It", "However": needs the sentence before it
    "refers_back",  # counts back ("all of them") or concludes ("therefore")
    "log_words",  # log(1 + words)
    "short",  # under six words
    "code",  # reads as code (backticks, calls, operators)
    "image",  # an image's description or file
    "not_an_answer",  # a question, navigation, a signpost, a reading-list link
    "instructs",  # an instruction to the learner ("Visit ...")
    "exclaims",  # ends with "!"
    "position",  # where in its passage: 0 first sentence, 1 last
    "first_in_passage",  # the passage's first sentence
    "restates",  # holds most of the question's words (the answer may follow it)
    "shown_before",  # a follow-up's candidate that an earlier answer of the conversation already showed
)
INDEX = {n: i for i, n in enumerate(NAMES)}


@dataclass(frozen=True)
class Asked:
    """What the scorer reads of the question, once per question."""

    words: frozenset[str]
    what: bool
    why: bool
    how: bool
    polarity: int

    @classmethod
    def of(cls, question: str) -> Asked:
        return cls(
            content_words(question),
            kinds.asks_what(question),
            kinds.asks_why(question),
            kinds.asks_how(question),
            kinds.polarity(question),
        )


@dataclass
class Candidate:
    """A lesson sentence that may answer: which passage (index into the sources), which unit, its words."""

    i: int
    unit: Unit
    body: str  # display text (tutor/answer/sentences.py `clean`)
    overlap: float  # share of the question's content words it holds
    words: frozenset[str]


def _share(asked: frozenset[str], words: frozenset[str]) -> float:
    return len(asked & words) / len(asked) if asked else 0.0


def _passage(
    asked: Asked, i: int, sources: Sequence[Source], units: list[Unit], sections: dict[int, bool]
) -> tuple[list[Unit], float, float, int, bool]:
    """What every candidate of passage `i` shares: its prose units, the question's share in its headings and
    its title, its section's polarity, and whether it is a lesson's opening while a section of it is retrieved."""
    s = sources[i]
    crumbs = s.breadcrumb.split(" > ")
    opening = not sections[i] and any(t.lesson_id == s.lesson_id and sections[j] for j, t in enumerate(sources))
    return (
        [u for u in units if u.kind in ("sentence", "item")],
        _share(asked.words, content_words(" ".join(crumbs[1:]))),
        _share(asked.words, content_words(crumbs[0])),
        kinds.polarity(crumbs[-1]) if len(crumbs) > 1 else 0,
        opening,
    )


def rows(
    asked: Asked,
    cands: Sequence[Candidate],
    sims: np.ndarray,
    sources: Sequence[Source],
    every: Sequence[list[Unit]],
    shown: Sequence[str] = (),
) -> np.ndarray:
    """Feature rows (len(cands) x len(NAMES)) for candidates with cosines `sims`; `every[i]` is the unit list
    of sources[i]; `shown`, the key sentences a follow-up's conversation already showed."""
    out = np.zeros((len(cands), len(NAMES)), dtype=np.float32)
    if not cands:
        return out
    n = len(sources)
    best = float(np.max(sims))
    df: dict[str, int] = {}
    for c in cands:
        for w in asked.words & c.words:
            df[w] = df.get(w, 0) + 1
    weight = {w: math.log((len(cands) + 1) / (df.get(w, 0) + 0.5)) for w in asked.words}
    total = sum(weight.values()) or 1.0
    sections = {i: " > " in s.breadcrumb for i, s in enumerate(sources)}
    top_score = max((s.score for s in sources), default=0.0) or 1.0
    top_similarity = max((s.similarity for s in sources), default=0.0)
    passage = {i: _passage(asked, i, sources, every[i], sections) for i in {c.i for c in cands}}  # once each
    seen_before = "\n".join(shown)
    for r, (c, sim) in enumerate(zip(cands, sims)):
        s = sources[c.i]
        units = every[c.i]
        prose, heading_share, title_share, section, opening_hook = passage[c.i]
        opener = clean(next(u for u in units if u.block == c.unit.block).text(s.text))
        aside = opener.startswith(ASIDE)
        f = out[r]
        f[INDEX["cosine"]] = sim
        f[INDEX["cosine_gap"]] = sim - best
        f[INDEX["overlap"]] = c.overlap
        f[INDEX["rare_overlap"]] = sum(weight[w] for w in asked.words & c.words) / total
        f[INDEX["rank"]] = 1 - c.i / (n - 1) if n > 1 else 1.0
        f[INDEX["passage_score"]] = s.score / top_score
        f[INDEX["passage_similarity"]] = s.similarity - top_similarity
        f[INDEX["heading_share"]] = heading_share
        f[INDEX["heading_match"]] = heading_share >= 0.5
        f[INDEX["title_share"]] = title_share
        f[INDEX["opening"]] = opening_hook
        f[INDEX["polarity_match"]] = bool(asked.polarity) and section == asked.polarity
        f[INDEX["polarity_against"]] = bool(asked.polarity) and (kinds.polarity(c.body) or section) == -asked.polarity
        d = kinds.defines(c.body, asked.words)
        f[INDEX["defines"]] = d
        f[INDEX["what_defines"]] = d and asked.what
        f[INDEX["aside"]] = aside
        f[INDEX["why_aside"]] = aside and asked.why
        f[INDEX["callout"]] = bool(LABEL.match(opener))
        f[INDEX["why_causal"]] = asked.why and kinds.causal(c.body)
        f[INDEX["how_item"]] = asked.how and c.unit.kind == "item"
        f[INDEX["item"]] = c.unit.kind == "item"
        f[INDEX["table"]] = c.unit.kind == "table"
        f[INDEX["lead_in"]] = c.body.endswith(":")
        f[INDEX["leans_back"]] = kinds.leans_back(LABEL.sub("", c.body))
        f[INDEX["refers_back"]] = kinds.refers_back(c.body)
        words = len(c.body.split())
        f[INDEX["log_words"]] = math.log1p(words)
        f[INDEX["short"]] = words < 6
        f[INDEX["code"]] = kinds.code(c.body)
        f[INDEX["image"]] = kinds.image(c.body)
        f[INDEX["not_an_answer"]] = kinds.not_an_answer(c.body)
        f[INDEX["instructs"]] = kinds.instructs(c.body)
        f[INDEX["exclaims"]] = c.body.endswith("!")
        at = prose.index(c.unit) if c.unit in prose else units.index(c.unit)
        f[INDEX["position"]] = at / (len(prose) - 1) if len(prose) > 1 else 0.0
        f[INDEX["first_in_passage"]] = at == 0
        f[INDEX["restates"]] = c.overlap >= 0.6
        f[INDEX["shown_before"]] = bool(shown) and c.unit.text(s.text).strip() in seen_before
    for name, gap in (("overlap", "overlap_gap"), ("rare_overlap", "rare_gap")):
        out[:, INDEX[gap]] = out[:, INDEX[name]] - out[:, INDEX[name]].max()
    out[int(np.argmax(sims)), INDEX["cosine_top"]] = 1.0
    return out
