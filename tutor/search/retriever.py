"""Hybrid retrieval: dense (Chroma) + BM25 (bm25s), fused; lesson diversity, filters, a context budget in
LLM tokens, and the evidence gate.

Scores: `similarity` is cosine similarity (1 - cosine distance) between the question and the passage,
in [-1, 1]; `score` is the fused score, a weighted sum over the rankings a passage appears in of
- fusion "convex" (default): its score in that ranking scaled to [0, 1]: cosine min-max over the dense
  candidates, BM25 divided by the best BM25 score. Score-aware: a strong exact match or a clearly closest
  passage counts for more than a rank;
- fusion "rrf": reciprocal rank, 1 / (RRF_K + rank), rank from 1.
Both are measured in docs/benchmarks.md ("Retrieval quality"); convex is the default because it ranked the
right lesson first more often on both collections.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tutor.ingest.chunking import Chunk
from tutor.models.embedder import Embedder
from tutor.store.chroma import ChunkStore

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)

FUSIONS = ("convex", "rrf")
RRF_K = 60
DENSE_K = 40  # candidates from each ranking before fusion
SPARSE_K = 40
DENSE_WEIGHT = 1.0
SPARSE_WEIGHT = {"convex": 1.0, "rrf": 0.8}  # measured: docs/benchmarks.md, "Retrieval quality"
EXTRA_WEIGHT = 0.5  # rankings of secondary queries (a follow-up's own words, beside the combined query)
FRESH_IN_FOLLOW_UP = 2  # a follow-up's own top passages that join the kept ones (after them, for the KV cache)
LESSON_TOP = 1  # a lesson ranks by its best passage; summing its top 2 or 3 measured worse
LANGUAGE_SAMPLE = 300  # passages per language read to learn its most common words
LANGUAGE_WORDS = 100  # a language's most common words that tell it apart (its function words, mostly)
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Filters:
    program: str | None = None
    lesson: str | None = None  # lesson id "program/lang/slug"
    language: str | None = None

    def where(self) -> dict[str, Any] | None:
        terms = [
            {k: v} for k, v in (("program", self.program), ("lesson_id", self.lesson), ("language", self.language)) if v
        ]
        return None if not terms else terms[0] if len(terms) == 1 else {"$and": terms}

    def allows(self, c: Chunk) -> bool:
        return (
            (not self.program or c.program == self.program)
            and (not self.lesson or c.lesson_id == self.lesson)
            and (not self.language or c.language == self.language)
        )


@dataclass
class Passage:
    chunk: Chunk
    score: float  # fused score (see the module docstring)
    similarity: float  # cosine similarity to the question
    number: int = 0  # 1-based number in the prompt, 0 when not in it


@dataclass
class Retrieval:
    query: str
    passages: list[Passage]  # best first, diversified, within the context budget
    best_similarity: float
    lexical: float = 0.0  # share of the question's terms (stemmed, no stopwords) found in one top passage
    lessons: list[str] = field(default_factory=list)  # lesson ids, best first
    embed_s: float = 0.0
    retrieve_s: float = 0.0

    def covered(self, min_evidence: float) -> bool:
        """The evidence gate: a passage close enough in meaning, or one holding every term of the question
        (an acronym like 'RLHF' embeds poorly but matches exactly)."""
        return bool(self.passages) and (self.best_similarity >= min_evidence or self.lexical >= 1.0)


@functools.cache
def _stemmer() -> Any:
    """English Snowball stemmer: 'winters' matches 'winter'. Other languages are left unstemmed by it."""
    import Stemmer

    return Stemmer.Stemmer("english")


class Retriever:
    def __init__(self, store: ChunkStore, embedder: Embedder, fusion: str = "convex"):
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; use one of {', '.join(FUSIONS)}")
        self.store = store
        self.embedder = embedder
        self.fusion = fusion
        self._lock = threading.Lock()
        self._bm25: Any = None
        self._chunks: list[Chunk] = []
        self._by_id: dict[str, Chunk] = {}
        self._generation = -1
        self._language_words: dict[str, frozenset[str]] = {}

    def _sparse(self) -> tuple[Any, list[Chunk]]:
        """BM25 over the live chunks, rebuilt when the manifest generation changes."""
        m = self.store.require()
        with self._lock:
            if m.generation != self._generation or m.collection != getattr(self, "_collection", None):
                import bm25s

                logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each build at DEBUG
                m, chunks = self.store.all_chunks()
                corpus = [f"{c.breadcrumb}\n{c.text}" for c in chunks]
                model = bm25s.BM25()
                if corpus:
                    model.index(
                        bm25s.tokenize(corpus, stopwords="en", stemmer=_stemmer(), show_progress=False),
                        show_progress=False,
                    )
                self._bm25, self._chunks = model, chunks
                self._by_id = {c.id: c for c in chunks}
                self._language_words = _common_words(chunks)
                self._generation, self._collection = m.generation, m.collection
            return self._bm25, self._chunks

    def language_of(self, text: str) -> str | None:
        """The lesson language `text` is written in, judged by which language's most common words in the
        indexed passages it uses most; None when the index holds one language or no language wins."""
        self._sparse()
        if len(self._language_words) < 2:
            return None
        words = WORD.findall(text.lower())
        hits = sorted(((sum(w in common for w in words), lang) for lang, common in self._language_words.items()))
        (second, _), (best, lang) = hits[-2], hits[-1]
        return lang if best > second else None

    def warm(self) -> None:
        """Build the BM25 index now (after a sync), not on the next learner's question."""
        if self.store.manifest() is not None:
            self._sparse()

    def _sparse_search(self, query: str, filters: Filters, k: int) -> list[tuple[Chunk, float]]:
        import bm25s

        model, chunks = self._sparse()
        if not chunks:
            return []
        q = bm25s.tokenize([query], stopwords="en", stemmer=_stemmer(), show_progress=False, return_ids=False)
        terms = q[0] if q and q[0] else []
        if not terms:
            return []
        scores = np.asarray(model.get_scores(terms), dtype=np.float32)
        if filters.where():
            scores = scores * np.fromiter((filters.allows(c) for c in chunks), bool, len(chunks))
        top = np.argsort(-scores)[:k]
        return [(chunks[i], float(scores[i])) for i in top if scores[i] > 0]

    def search(
        self,
        query: str,
        filters: Filters | None = None,
        *,
        k: int = 6,
        budget_tokens: int | None = None,
        count_tokens: Callable[[str], int] | None = None,
        extra_queries: list[str] | None = None,
        boost_lessons: list[str] | None = None,
        keep: list[str] | None = None,
    ) -> Retrieval:
        """Rank passages for `query`; `extra_queries` add rankings (follow-ups); `boost_lessons` adds a
        ranking of those lessons' own passages, so a follow-up stays on the conversation's topic; `keep`
        (chunk ids) go first, in their order, so a follow-up's prompt shares the previous prompt's prefix."""
        import time

        filters = filters or Filters()
        t0 = time.perf_counter()
        queries = [query, *(extra_queries or [])]
        self._sparse()  # the live chunks in memory, current with the manifest
        known = self._by_id
        vecs = self.embedder.embed(queries)
        t1 = time.perf_counter()
        rankings: list[tuple[float, list[tuple[Chunk, float]], bool]] = []  # (weight, best first, is BM25)
        sims: dict[str, float] = {}
        chunk_of: dict[str, Chunk] = {}
        for i, (q, v) in enumerate(zip(queries, vecs)):
            dense = self.store.query(v, DENSE_K, filters.where(), known)
            sparse = self._sparse_search(q, filters, SPARSE_K)
            for c, s in dense:
                sims[c.id] = max(sims.get(c.id, -1.0), s)
            for c, _ in dense + sparse:
                chunk_of[c.id] = c
            w = 1.0 if i == 0 else EXTRA_WEIGHT
            rankings += [(w * DENSE_WEIGHT, dense, False), (w * SPARSE_WEIGHT[self.fusion], sparse, True)]
        if boost_lessons:
            near = self.store.query(vecs[0], DENSE_K, filters.where(), known)
            rankings.append((DENSE_WEIGHT, [(c, s) for c, s in near if c.lesson_id in boost_lessons], False))
        fused: dict[str, float] = {}
        for weight, scored, bm25 in rankings:
            for c, value in zip((c for c, _ in scored), _fusion_values([s for _, s in scored], self.fusion, bm25)):
                fused[c.id] = fused.get(c.id, 0.0) + weight * value
        missing = [cid for cid in fused if cid not in sims]
        if missing:  # BM25-only hits: their cosine similarity from the stored vectors
            stored = self.store.vectors(missing)
            for cid, vec in stored.items():
                sims[cid] = float(np.max(vecs @ vec))
        order = sorted(fused, key=lambda cid: -fused[cid])
        ranked = [Passage(chunk_of[cid], fused[cid], sims.get(cid, 0.0)) for cid in order]
        lessons = _rank_lessons(ranked)
        passages = _diversify(ranked, k)
        if keep:
            kept = [Passage(c, fused.get(c.id, 0.0), sims.get(c.id, 0.0)) for c in self.store.chunks(keep)]
            ids = {p.chunk.id for p in kept}
            # the new question's best passages still get in: a follow-up may need what was not shown yet
            fresh = [p for p in passages[:FRESH_IN_FOLLOW_UP] if p.chunk.id not in ids]
            passages = kept[: max(0, k - len(fresh))] + fresh
        if budget_tokens and count_tokens:
            passages = _within_budget(passages, budget_tokens, count_tokens)
        best = max((p.similarity for p in ranked[: max(k, 10)]), default=-1.0)
        lexical = _term_coverage(queries[-1] if boost_lessons else query, ranked[: max(k, 10)])
        t2 = time.perf_counter()
        return Retrieval(query, passages, best, lexical, lessons, embed_s=t1 - t0, retrieve_s=t2 - t1)


def _fusion_values(scores: list[float], fusion: str, bm25: bool) -> list[float]:
    """Each passage's contribution from one ranking (scores best first), before the ranking's weight.
    Convex: cosines min-max scaled over the candidates; BM25 scores (>= 0, 0 = no term in common) divided
    by the best one."""
    if fusion == "rrf":
        return [1.0 / (RRF_K + rank) for rank in range(1, len(scores) + 1)]
    if not scores:
        return []
    hi, lo = max(scores), 0.0 if bm25 else min(scores)
    return [(v - lo) / (hi - lo) if hi > lo else 1.0 for v in scores]


def _common_words(chunks: list[Chunk]) -> dict[str, frozenset[str]]:
    """Per language, its LANGUAGE_WORDS most frequent words over up to LANGUAGE_SAMPLE of its passages."""
    counts: dict[str, Counter[str]] = {}
    seen: Counter[str] = Counter()
    for c in chunks:
        if seen[c.language] < LANGUAGE_SAMPLE:
            seen[c.language] += 1
            counts.setdefault(c.language, Counter()).update(WORD.findall(c.text.lower()))
    return {lang: frozenset(w for w, _ in n.most_common(LANGUAGE_WORDS)) for lang, n in counts.items()}


def _terms(text: str) -> set[str]:
    import bm25s

    return set(bm25s.tokenize([text], stopwords="en", stemmer=_stemmer(), show_progress=False, return_ids=False)[0])


@functools.lru_cache(maxsize=4096)
def _chunk_terms(chunk_id: str, text: str) -> frozenset[str]:
    return frozenset(_terms(text))


def _term_coverage(query: str, passages: list[Passage]) -> float:
    """Best share of the query's terms that one passage contains (1.0: an exact, if rare, match)."""
    terms = _terms(query)
    if not terms:
        return 0.0
    return max(
        (len(terms & _chunk_terms(p.chunk.id, f"{p.chunk.breadcrumb} {p.chunk.text}")) / len(terms) for p in passages),
        default=0.0,
    )


def _rank_lessons(ranked: list[Passage]) -> list[str]:
    """Lessons by the summed fused score of their best LESSON_TOP passages: a lesson that answers the
    question usually has more than one passage about it."""
    per: dict[str, list[float]] = {}
    for p in ranked:
        per.setdefault(p.chunk.lesson_id, []).append(p.score)
    return sorted(per, key=lambda lid: -sum(sorted(per[lid], reverse=True)[:LESSON_TOP]))


def _diversify(ranked: list[Passage], k: int, per_lesson: int = 2) -> list[Passage]:
    """Best-first, at most `per_lesson` passages of one lesson until other lessons run out."""
    chosen: list[Passage] = []
    counts: dict[str, int] = {}
    rest: list[Passage] = []
    for p in ranked:
        lid = p.chunk.lesson_id
        if counts.get(lid, 0) < per_lesson:
            chosen.append(p)
            counts[lid] = counts.get(lid, 0) + 1
        else:
            rest.append(p)
        if len(chosen) >= k:
            break
    chosen += rest[: k - len(chosen)]
    return sorted(chosen, key=lambda p: -p.score)


def _within_budget(passages: list[Passage], budget: int, count_tokens: Callable[[str], int]) -> list[Passage]:
    out: list[Passage] = []
    used = 0
    for p in passages:
        n = count_tokens(p.chunk.text) + 12  # header line per passage
        if out and used + n > budget:
            continue
        out.append(p)
        used += n
    return out
