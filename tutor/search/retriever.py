"""Hybrid retrieval over the live chunks held in memory: exact dense search, BM25, fusion, filters, the gate.

The retriever keeps one snapshot of the index per manifest generation (tutor/search/snapshot.py): every
live chunk, its unit vector, its BM25 index and each language's common words. Dense search scores every
live vector against the question (one matrix product, exact), so it cannot miss a close passage the way
Chroma's HNSW graph does after many deletes and re-adds.

Scores: `similarity` is the cosine similarity between the question and the passage, in [-1, 1]; `score`
is the fused score (tutor/search/fusion.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tutor import fitted
from tutor.events import Refusal, Source
from tutor.fitted import Linear
from tutor.ingest.chunking import Chunk
from tutor.models.ports import Embedder
from tutor.search import acronyms, fusion, gate
from tutor.search.keywords import term_set
from tutor.search.snapshot import Snapshot
from tutor.store.chroma import ChunkStore
from tutor.text.words import stem_set

log = logging.getLogger(__name__)

FUSIONS = fusion.FUSIONS
DENSE_K = 40  # candidates from each ranking before fusion
SPARSE_K = 40
DENSE_WEIGHT = 1.0
SPARSE_WEIGHT = {"convex": 0.5, "rrf": 0.8}  # measured: docs/benchmarks.md, "Retrieval quality"
EXTRA_WEIGHT = 0.5  # rankings of secondary queries (a follow-up's own words, beside the combined query)
FRESH_IN_FOLLOW_UP = 2  # a follow-up's own top passages that join the kept ones (after them, for the KV cache)
GATE_TOP = 10  # the evidence gate looks at this many best passages (or k, if more)


@dataclass(frozen=True)
class Filters:
    program: str | None = None
    lesson: str | None = None  # lesson id "program/lang/slug"
    language: str | None = None

    def where(self) -> dict[str, Any] | None:
        """The same filter as a Chroma `where` clause."""
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


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    score: float  # fused score (tutor/search/fusion.py)
    similarity: float  # cosine similarity to the question
    number: int = 0  # 1-based number in the prompt, 0 when not in it

    def source(self) -> Source:
        """The passage as the typed value the edges render; the one place this conversion is written."""
        c = self.chunk
        return Source(
            number=self.number,
            chunk_id=c.id,
            lesson_id=c.lesson_id,
            path=c.path,
            title=c.title,
            breadcrumb=c.breadcrumb,
            anchor=c.anchor,
            language=c.language,
            program=c.program,
            start=c.start,
            end=c.end,
            score=round(self.score, 5),
            similarity=round(self.similarity, 4),
            text=c.text,
        )


@dataclass(frozen=True)
class Retrieval:
    query: str  # the text searched (a follow-up: the previous question and this one)
    passages: list[Passage]  # best first, diversified, within the context budget
    best_similarity: float
    lexical: float = 0.0  # share of the question's terms (stemmed, no stopwords) found in one top passage
    lessons: list[str] = field(default_factory=list)  # lesson ids, best first
    embed_s: float = 0.0
    retrieve_s: float = 0.0
    query_vector: np.ndarray | None = None  # unit vector of `query`, so nobody embeds it again

    coverage: float = 0.0  # rarity-weighted share of the question's terms one top passage holds (search/gate.py)
    unknown: frozenset[str] = frozenset()  # the question's terms that no passage of the index uses
    respelt: str = ""  # the question as searched, when its misspelt words were read as the lessons spell them
    follow_up: bool = False  # searched together with the question it follows (search/conversation.py)
    unheld: frozenset[str] = frozenset()  # what a follow-up names that none of its passages holds: not covered
    language: str | None = None  # the question's language, when the lessons tell (search/conversation.py)
    # passages in another language than the question's, searched because its own language's did not cover it
    other_language: bool = False
    # a "What is X?" whose terms one passage holds, X named by few passages ("What is FAISS?"): the lessons name it
    names_rare: bool = False
    terms: int = 0  # how many terms the question has (search/gate.py `question_terms`)
    embedder_language: str = gate.EMBEDDER_LANGUAGE  # the one language the embedder reads; "": many
    held: float = 1.0  # `coverage` of those of its terms some passage uses (1.0 when it uses none of them)
    # what a turn reads (set by search/conversation.py `search_turn`, the one path of a question)
    answerable: bool = False  # the passages answer it: `covered` at the settings' evidence
    unused: tuple[str, ...] = ()  # words of the question no lesson uses, as typed (search/gate.py `unused_words`)
    asked: str = ""  # the query as ranked: acronyms spelled out as the lessons do
    refusal: Refusal = ""  # why not, when not answerable (tutor/events.py `Refusal`)

    def covered(self, min_evidence: float) -> bool:
        """The evidence gate: a passage close enough in meaning, or one holding what the question asks about
        (short questions and acronyms like 'RLHF' embed poorly but match exactly) while not far in meaning."""
        if self.unheld:
            return False
        # an embedder of one language: cosines run high outside it, and across languages shared word pieces
        # ("capital"/"capitale") count; a multilingual one ("" language) reads every language alike
        one = self.embedder_language
        if one and ((self.language and self.language != one) or self.other_language):
            return (
                bool(self.passages)
                and self.best_similarity >= min_evidence + gate.FOREIGN_OFFSET
                and self.coverage >= gate.FOREIGN_COVERAGE
            )
        model = fitted.load().gate
        if model is not None:
            return bool(self.passages) and self.probability(model) >= model.threshold
        return bool(self.passages) and (
            gate.close_in_meaning(self.best_similarity, min_evidence, self.held, self.terms)
            or (self.coverage >= gate.MIN_COVERAGE and self.best_similarity >= gate.SIMILARITY_FLOOR)
            or self.names_rare
        )

    def features(self) -> list[float]:
        """What the fitted gate reads of this retrieval (tutor/search/gate.py FEATURES)."""
        return gate.row(
            self.best_similarity, self.coverage, self.held, self.names_rare, self.lexical, len(self.unknown), self.terms
        )

    def probability(self, model: Linear) -> float:
        """The fitted gate's probability that the lessons answer the question."""
        return float(model.aligned(gate.FEATURES).probability(np.asarray([self.features()]))[0])


class Retriever:
    def __init__(self, store: ChunkStore, embedder: Embedder, fusion: str = "convex"):
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; use one of {', '.join(FUSIONS)}")
        self.store = store
        self.embedder = embedder
        self.fusion = fusion
        self._lock = threading.Lock()
        self._snap = Snapshot()

    def snapshot(self) -> Snapshot:
        """The live chunks in memory, reloaded when the manifest generation (or collection) changed."""
        m = self.store.require()
        with self._lock:
            if m.generation != self._snap.generation or m.collection != self._snap.collection:
                m.require_model(self.embedder.name)
                t0 = time.perf_counter()
                m, chunks, matrix = self.store.live_vectors()
                self._snap = Snapshot.of(m.generation, m.collection, chunks, matrix)
                log.info("retriever: %d live chunks loaded in %.2f s", len(chunks), time.perf_counter() - t0)
            return self._snap

    def warm(self) -> None:
        """Load the live chunks now (after a sync, at start), not on the next learner's question."""
        if self.store.manifest() is not None:
            self.snapshot()

    def language_of(self, text: str) -> str | None:
        """The lesson language `text` is written in, by the indexed passages' common words (None: not clear)."""
        return self.snapshot().language_of(text)

    def dense(self, vector: np.ndarray, filters: Filters | None = None, k: int = DENSE_K) -> list[tuple[Chunk, float]]:
        """The k live chunks closest to a unit `vector`, exactly, with their cosine similarity, best first."""
        s = self.snapshot()
        sims = fusion.cosines(s.matrix, vector[None, :])[0]
        return [(s.chunks[i], float(sims[i])) for i in fusion.top_k(sims, k, s.allowed(filters or Filters()))]

    def expand(self, query: str) -> str:
        """`query` with the lessons' long form after each acronym in it: what the ranking searches for."""
        return acronyms.expand(query, self.snapshot().glossary)

    def respell(self, question: str) -> str:
        """`question` with its words that no passage uses read as the lessons' closest spelling
        (search/spelling.py); unchanged when there is none."""
        s = self.snapshot()
        df = s.keywords.document_frequency() if s.keywords else {}
        reading = s.keywords.query_language(None) if s.keywords else None
        return s.spelling.respell(question, lambda word: all(df.get(t, 0) for t in stem_set(word, reading)))

    def embed_queries(self, queries: list[str]) -> np.ndarray:
        """Unit vectors of the queries as ranked (acronyms spelled out), one row each."""
        return self.embedder.embed_query([self.expand(q) for q in queries])

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
        vectors: np.ndarray | None = None,
        language: str | None = None,
    ) -> Retrieval:
        """Rank passages for `query`; `extra_queries` add rankings (follow-ups); `boost_lessons` adds a
        ranking of those lessons' passages among the dense candidates, so a follow-up stays on the
        conversation's topic; `keep` (chunk ids) go first, in their order, so a follow-up's prompt shares
        the previous prompt's prefix. `vectors`: the unit vectors of [query, *extra_queries] when the caller
        has them already (one row each, from `embed_queries`); else they are embedded here. The ranking reads
        the queries with their acronyms spelled out (`expand`); the evidence gate reads them as asked."""
        filters = filters or Filters()
        t0 = time.perf_counter()
        queries = [query, *(extra_queries or [])]
        vecs = self.embed_queries(queries) if vectors is None else vectors
        t1 = time.perf_counter()
        s = self.snapshot()
        allowed = s.allowed(filters)
        sims = fusion.cosines(s.matrix, vecs)  # (queries, n): every live chunk, exact
        reading = s.keywords.query_language(filters.language or language) if s.keywords else None
        fused = self._fused(self._rankings(s, queries, sims, allowed, boost_lessons, filters.language or language))
        ranked, passages = _passages(s, fused, sims, k, keep)
        if budget_tokens and count_tokens:
            passages = fusion.within_budget(passages, budget_tokens, count_tokens)
        passages = [replace(p, number=i) for i, p in enumerate(passages, start=1)]  # the [n] the prompt shows
        # a follow-up's evidence is read for its own words, the last query
        ev = _evidence(s, queries[-1] if boost_lessons else query, ranked[: max(k, GATE_TOP)], reading)
        t2 = time.perf_counter()
        return Retrieval(
            query,
            passages,
            ev.best_similarity,
            ev.lexical,
            fusion.rank_lessons(ranked),
            t1 - t0,
            t2 - t1,
            query_vector=vecs[0],
            coverage=ev.coverage,
            unknown=ev.unknown,
            names_rare=ev.names_rare,
            terms=ev.terms,
            held=ev.held,
            embedder_language=self.embedder.language,
        )

    def _rankings(
        self,
        s: Snapshot,
        queries: list[str],
        sims: np.ndarray,
        allowed: np.ndarray | None,
        boost_lessons: list[str] | None,
        language: str | None = None,
    ) -> list[tuple[float, list[tuple[int, float]], bool]]:
        """(weight, (row, score) best first, is BM25) of each query's dense and BM25 ranking, and of the
        boosted lessons' passages among the first query's dense candidates."""
        rankings: list[tuple[float, list[tuple[int, float]], bool]] = []
        for i, q in enumerate(queries):
            dense = [(int(r), float(sims[i, r])) for r in fusion.top_k(sims[i], DENSE_K, allowed)]
            bm25 = (
                s.keywords.scores(acronyms.expand(q, s.glossary), language)
                if s.keywords
                else np.zeros(0, dtype=np.float32)
            )
            sparse = [(int(r), float(bm25[r])) for r in fusion.top_k(bm25, SPARSE_K, allowed) if bm25[r] > 0]
            w = 1.0 if i == 0 else EXTRA_WEIGHT
            rankings += [(w * DENSE_WEIGHT, dense, False), (w * SPARSE_WEIGHT[self.fusion], sparse, True)]
            if i == 0 and boost_lessons:
                near = [(r, v) for r, v in dense if s.chunks[r].lesson_id in boost_lessons]
                rankings.append((DENSE_WEIGHT, near, False))
        return rankings

    def _fused(self, rankings: list[tuple[float, list[tuple[int, float]], bool]]) -> dict[int, float]:
        """Each ranked row's fused score: its weighted fusion values summed over the rankings."""
        fused: dict[int, float] = {}
        for weight, scored, bm25_ranking in rankings:
            values = fusion.fusion_values([v for _, v in scored], self.fusion, bm25_ranking)
            for (r, _), value in zip(scored, values):
                fused[r] = fused.get(r, 0.0) + weight * value
        return fused


def _passages(
    s: Snapshot, fused: dict[int, float], sims: np.ndarray, k: int, keep: list[str] | None
) -> tuple[list[Passage], list[Passage]]:
    """(every fused row as a passage, best first; the k for the prompt, diversified, with `keep` first)."""
    order = sorted(fused, key=lambda r: -fused[r])
    keep_rows = [s.row[cid] for cid in keep or [] if cid in s.row]  # gone or replaced chunks are skipped
    wanted = np.asarray(order + keep_rows, dtype=np.int64)
    best_sim = dict(zip(wanted.tolist(), sims[:, wanted].max(axis=0).tolist())) if wanted.size else {}
    ranked = [Passage(s.chunks[r], fused[r], best_sim[r]) for r in order]
    passages = fusion.diversify(ranked, k)
    if keep:
        kept = [Passage(s.chunks[r], fused.get(r, 0.0), best_sim[r]) for r in keep_rows]
        ids = {p.chunk.id for p in kept}
        # the new question's best passages still get in: a follow-up may need what was not shown yet
        fresh = [p for p in passages[:FRESH_IN_FOLLOW_UP] if p.chunk.id not in ids]
        passages = kept[: max(0, k - len(fresh))] + fresh
    return ranked, passages


@dataclass(frozen=True)
class _Evidence:
    """What the evidence gate reads of the top passages (the `Retrieval` fields of the same names)."""

    best_similarity: float
    lexical: float
    coverage: float
    unknown: frozenset[str]
    names_rare: bool
    terms: int
    held: float


def _evidence(s: Snapshot, question: str, top: list[Passage], language: str | None = None) -> _Evidence:
    """The evidence the `top` passages hold for `question`, as asked, read in `language` (None: English)."""
    lexical = fusion.term_coverage(
        term_set(question, language), [term_set(p.chunk.embed_text, p.chunk.language) for p in top]
    )
    best = max((p.similarity for p in top), default=-1.0)
    df = s.keywords.document_frequency() if s.keywords else {}
    asked = gate.question_terms(question, language)
    holding = [gate.passage_terms(p.chunk.embed_text, p.chunk.language) for p in top]
    covers = gate.coverage(asked, holding, df, len(s.chunks))
    names_rare = gate.names_rare(question, asked, covers, df)
    used = frozenset(t for t in asked if df.get(t))
    held = gate.coverage(used, holding, df, len(s.chunks)) if used else 1.0
    unknown = frozenset(t for t in asked if not df.get(t)) if df else frozenset()
    return _Evidence(best, lexical, covers, unknown, names_rare, len(asked), held)
