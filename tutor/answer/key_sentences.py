"""Key sentences: the one to three sentences of the retrieved passages that answer the question best.

They are the lessons' own words, picked before the model writes anything, and they carry the answer:
the model only explains them. The candidates are the first passage's sentences and the others' sentences
that share a word with the question (at most MAX_EMBEDDED get a vector, the latency budget); each becomes a
row of features (tutor/answer/features.py: cosine to the question, shared and rare words, headings, the
sentence's kind, its place, what it leans on) and a logistic model fitted on labelled questions of three
courses (tutor/fitted/weights.json, refitted by bench/fit.py) scores it. The best sentence is picked, and
further ones within the model's `gap` (log-odds) of it. A pick brings what it leans on
(tutor/answer/context.py): the sentence before a "This ...", a list's lead-in, the reasons before a
why-question's answer that closes its paragraph. Overview passages ("Sections: ...") and headings are never
candidates, nor a table row unless it holds half the question's words, nor a sentence that speaks to the
model (tutor/text/instructions.py: lesson text is data), nor (HARD_FILTERS) what
tutor/text/kinds.py finds is no answer (a signpost, an instruction to the learner).

A lead-in to a short list ("Scientists generally talk about two types:") is embedded with the list's items, as
it is shown, and a short list counts as one sentence of the answer's length. Unit vectors are cached by chunk
id, so a follow-up on the same passages embeds nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from cachetools import LRUCache

from tutor import fitted
from tutor.answer import context, features
from tutor.answer.sentences import TABLE_RULE, Unit, clean, units
from tutor.events import KeySentence, Source
from tutor.fitted import Linear
from tutor.ingest import chunking
from tutor.models.ports import Embedder
from tutor.text.instructions import addresses_the_model
from tutor.text.kinds import QUOTED, asks_why, defines, instructs, not_an_answer
from tutor.text.words import content_words

MAX_PICKS = 3  # sentences chosen for their score
MAX_UNITS = 5  # sentences shown, at most, including those brought along for their context
SAME_AS = 0.92  # cosine above which two sentences say the same thing (only one is shown)
MIN_WORDS = 4  # shorter sentences are not picked, unless they name what the question asks about
NAMES_THE_TERM = 1  # 1: a short sentence holding half the question's words can be picked ("That's X."), with context
RESTATES = 0.6  # a sentence holding this share of the question's words brings the unit after it (0: off)
STEPS_OUT = 1  # 1: an instruction to the learner ("Visit ...", "Type a description ...") is never picked
DEFINITIONS_FIRST = 1  # 1: for "What is X?", the sentences defining X (any passage) are embedded before the rest
TABLE_ROWS = 1  # 1: a table row holding half the question's words can be picked (a name found only in a table)
LEAD_IN_WITH_LIST = 1  # 1: a lead-in to a short list is embedded with its items, as it is shown
LIST_AS_ONE = 1  # 1: short list items count as one sentence together towards MAX_UNITS
MAX_EMBEDDED = 16  # sentences embedded for one question, at most (the key sentences' latency budget)
HARD_FILTERS = 1  # 1: a question, navigation, a signpost or an instruction to the learner is never a candidate


def is_overview(source: Source) -> bool:
    """The lesson-level passage (description and section list) that chunking adds to every lesson."""
    return chunking.is_overview(source.breadcrumb, source.title, source.text)


class KeySentencePicker:
    def __init__(self, embedder: Embedder, cache_size: int = 8192, model: Linear | None = None):
        self.embedder = embedder
        self.model = (model or fitted.load(fitted.weights_for(embedder.name)).picker).aligned(features.NAMES)
        # least recently used entries go first: chunk id -> units; (chunk id, unit start) -> vector
        self._units: LRUCache[str, tuple[list[Unit], list[Unit]]] = LRUCache(maxsize=max(1, cache_size // 8))
        self._vecs: LRUCache[tuple[str, int], np.ndarray] = LRUCache(maxsize=cache_size)

    def units_of(self, source: Source) -> tuple[list[Unit], list[Unit]]:
        """(all the passage's units, the prose ones worth comparing)."""
        got = self._units.get(source.chunk_id)
        if got is None:
            every = units(source.text, source.language or "en")
            got = self._units[source.chunk_id] = (every, [u for u in every if _prose(u, source.text)])
        return got

    def vectors(self, source: Source, wanted: Sequence[Unit]) -> np.ndarray:
        """Unit vectors of `wanted` units of one passage, embedding only those not seen before."""
        return self.vectors_of([(source, list(wanted))])[0]

    def vectors_of(self, requests: Sequence[tuple[Source, list[Unit]]]) -> list[np.ndarray]:
        """Unit vectors for several passages at once: one embedding call for everything new."""
        todo = [(s.chunk_id, u.start, self._meaning(s, u)) for s, us in requests for u in us]
        have: dict[tuple[str, int], np.ndarray] = {}
        for cid, start, _ in todo:
            if (cid, start) in self._vecs:
                have[(cid, start)] = self._vecs[(cid, start)]  # a hit counts as a recent use
        new = [(cid, start, body) for cid, start, body in todo if (cid, start) not in have]
        if new:
            for (cid, start, _), v in zip(new, self.embedder.embed([body for _, _, body in new])):
                have[(cid, start)] = self._vecs[(cid, start)] = v
        out = []
        for s, us in requests:
            keys = [(s.chunk_id, u.start) for u in us]
            out.append(np.stack([have[k] for k in keys]) if keys else np.zeros((0, 1), dtype=np.float32))
        return out

    def forget_vectors(self) -> None:
        """Drop the cached sentence vectors (bench/key_sentences.py: a variant may embed sentences otherwise)."""
        self._vecs.clear()

    def _meaning(self, source: Source, u: Unit) -> str:
        """The text a unit is embedded as: its own, and for a lead-in to a short list (shown with it) the list's
        items too ("Researchers also group AI by how it processes information: Reactive Machines; ...")."""
        body = clean(u.text(source.text))
        if not LEAD_IN_WITH_LIST or not body.endswith(":"):
            return body
        every = self.units_of(source)[0]
        items = context.short_list(every.index(u), every, source.text)
        return " ".join([body, "; ".join(clean(w.text(source.text)) for w in items)]) if items else body

    def candidates(self, query: str, sources: Sequence[Source]) -> tuple[features.Asked, list[features.Candidate]]:
        """The sentences worth a vector for `query`: every sentence of the first passage, then those of the
        others that share a word with the question (most shared first), at most MAX_EMBEDDED. Never a heading,
        an overview passage, a lead-in whose list is elsewhere, or a table row holding under half the
        question's words."""
        asked = features.Asked.of(query)
        pool: list[features.Candidate] = []
        for i, s in enumerate(sources):
            if is_overview(s):
                continue
            every, prose = self.units_of(s)
            following = {a.start: b.kind for a, b in zip(every, every[1:])}
            rows = [u for u in every if _table_row(u, every, s.text)] if TABLE_ROWS else []
            for u in [*prose, *rows]:
                body = clean(u.text(s.text))
                if body.endswith(":") and following.get(u.start) != "item":
                    continue  # it introduces what this passage does not hold (the list is in the next chunk)
                if addresses_the_model(body):
                    continue  # lesson text is data: a sentence that speaks to the model is never the answer
                if HARD_FILTERS and (not_an_answer(body) or (STEPS_OUT and instructs(body))):
                    continue
                words = content_words(QUOTED.sub(" ", u.text(s.text)))  # a quoted example is not a claim
                overlap = len(asked.words & words) / len(asked.words) if asked.words else 0.0
                if u.kind == "table":  # a row naming what the question asks about: "| 2016 | AlphaGo beats Lee Sedol |"
                    if overlap >= 0.5:
                        pool.append(features.Candidate(i, u, body, overlap, words))
                    continue
                if len(body.split()) >= MIN_WORDS or (NAMES_THE_TERM and overlap >= 0.5):  # "That's X." names it
                    pool.append(features.Candidate(i, u, body, overlap, words))
        first = [c for c in pool if c.i == 0]
        rest = sorted((c for c in pool if c.i > 0 and c.overlap > 0), key=lambda c: (-c.overlap, c.i))
        ordered = first + rest
        if asked.what and DEFINITIONS_FIRST:  # "What is X?": the passages' definitions of X get a vector first
            ordered.sort(key=lambda c: not defines(c.body, asked.words))  # stable
        cands = ordered[:MAX_EMBEDDED]
        if len(cands) < MAX_EMBEDDED:  # room left: the next passages' sentences, in passage order
            cands += [c for c in pool if c.i > 0 and c.overlap == 0][: MAX_EMBEDDED - len(cands)]
        return asked, cands

    def table(
        self, query: str, query_vector: np.ndarray, sources: Sequence[Source], shown: Sequence[str] = ()
    ) -> tuple[list[features.Candidate], np.ndarray, np.ndarray]:
        """(candidates, their unit vectors, their feature rows) for `query` among `sources`; `shown`: the key
        sentences the conversation already showed (a follow-up's)."""
        asked, cands = self.candidates(query, sources)
        if not cands:
            return [], np.zeros((0, 1), dtype=np.float32), np.zeros((0, len(features.NAMES)), dtype=np.float32)
        per: dict[int, list[features.Candidate]] = {}
        for c in cands:
            per.setdefault(c.i, []).append(c)
        order = list(per)
        vecs = self.vectors_of([(sources[i], [c.unit for c in per[i]]) for i in order])
        cands = [c for i in order for c in per[i]]
        vectors = np.concatenate(vecs)
        every = [self.units_of(s)[0] for s in sources]
        return cands, vectors, features.rows(asked, cands, vectors @ query_vector, sources, every, shown)

    def pick(
        self,
        query: str,
        query_vector: np.ndarray,
        sources: Sequence[Source],
        shown: Sequence[str] = (),
        model: Linear | None = None,
        more: bool = False,
    ) -> list[KeySentence]:
        """The key sentences for `query` among `sources` (those with a prompt number), best first: the
        candidates (`candidates`) ranked by the fitted scorer (tutor/fitted; `model` overrides it), each with
        what it leans on. A follow-up passes the key sentences already `shown`: whether a candidate was shown
        is a feature the scorer weighs ("Any examples?" wants the lessons' next sentences; "How do I fix it?"
        may want the fix an earlier answer already quoted). A request for `more` ("Tell me more", "Any
        examples?") asks for what was not shown: it gets the best sentences not shown yet, unless none is left."""
        sources = [s for s in sources if s.number > 0]
        if not sources:
            return []
        model = self.model if model is None else model.aligned(features.NAMES)
        cands, vectors, x = self.table(query, query_vector, sources, shown)
        if not cands:
            return []
        why = asks_why(query)
        logits = model.logit(x)
        scored = sorted(
            ((float(sc), c.i, c.unit, v, c.overlap) for sc, c, v in zip(logits, cands, vectors)), key=lambda t: -t[0]
        )
        if more:  # the rows already say which candidates were shown
            was_shown = x[:, features.INDEX["shown_before"]] > 0
            fresh = {(c.i, c.unit) for c, w in zip(cands, was_shown) if not w}
            scored = [t for t in scored if (t[1], t[2]) in fresh] or scored
        best = scored[0][0]
        chosen: list[tuple[float, int, list[Unit]]] = []
        used = 0
        seen: list[np.ndarray] = []
        for score, i, u, v, overlap in scored:
            if len(chosen) >= MAX_PICKS or used >= MAX_UNITS or score < best - model.gap:
                break
            if any(float(v @ w) > SAME_AS for w in seen) or any(u in run for _, j, run in chosen if j == i):
                continue
            every = self.units_of(sources[i])[0]
            run = context.with_list(context.with_context(u, every, sources[i].text), every, sources[i].text)
            k = every.index(run[-1])
            restates = RESTATES and overlap >= RESTATES and k + 1 < len(every) and every[k + 1].block == run[-1].block
            restates = restates and u.kind != "table"  # a table's next row is another fact, not the answer
            if restates and not context.dangles(k + 1, every, sources[i].text):
                # it restates the question: the answer is what follows (a lead-in with its items)
                run = [*run, every[k + 1], *context.items_after(k + 1, every, sources[i].text)]
            if why and not chosen:  # the best pick of a "Why ...?" question: the reasons before it
                run = context.with_reasons(u, run, every, sources[i].text)
            if used and used + _length(run, sources[i].text) > MAX_UNITS:
                continue
            chosen.append((score, i, run))
            seen.append(v)
            used += _length(run, sources[i].text)
        return _merge(chosen, sources)


def _length(run: list[Unit], text: str) -> int:
    """How many sentences `run` reads as: a list of short items ("1. Be Specific", "2. Give Context") as one."""
    short = [u for u in run if u.kind == "item" and len(clean(u.text(text)).split()) <= context.SHORT_ITEM]
    return len(run) - len(short) + (1 if short and LIST_AS_ONE else len(short))


def _prose(u: Unit, text: str) -> bool:
    """Worth a vector: a sentence or list item of at least three words."""
    return u.kind in ("sentence", "item") and len(clean(u.text(text)).split()) >= 3


def _table_row(u: Unit, every: list[Unit], text: str) -> bool:
    """A table row of content: not the rule under the header, not the header above it."""
    if u.kind != "table" or TABLE_RULE.match(u.text(text)):
        return False
    k = every.index(u)
    return not (k + 1 < len(every) and every[k + 1].kind == "table" and TABLE_RULE.match(every[k + 1].text(text)))


def _merge(chosen: list[tuple[float, int, list[Unit]]], sources: Sequence[Source]) -> list[KeySentence]:
    """One KeySentence per run of adjacent units of one passage, best first."""
    out: list[KeySentence] = []
    spans: dict[int, list[tuple[float, int, int]]] = {}
    for score, i, run in chosen:
        a, b = run[0].start, run[-1].end
        merged = False
        for k, (sc, x, y) in enumerate(spans.get(i, [])):
            gap = sources[i].text[min(b, y) : max(a, x)]
            if a <= y and x <= b or not gap.strip():  # overlapping or touching: one quote
                spans[i][k] = (max(sc, score), min(a, x), max(b, y))
                merged = True
                break
        if not merged:
            spans.setdefault(i, []).append((score, a, b))
    flat = sorted(((sc, i, a, b) for i, lst in spans.items() for sc, a, b in lst), key=lambda t: -t[0])
    for score, i, a, b in flat:
        s = sources[i]
        out.append(
            KeySentence(
                number=s.number,
                text=s.text[a:b].strip(),
                lesson_id=s.lesson_id,
                title=s.title,
                breadcrumb=s.breadcrumb,
                path=s.path,
                start=a,
                end=b,
                file_start=s.start,
                file_end=s.end,
                score=round(score, 4),
            )
        )
    return out
