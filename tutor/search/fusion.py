"""Pure ranking maths: exact nearest neighbours, score fusion, lesson ranking, diversity, the prompt budget.

Nothing here does I/O or holds state; the retriever feeds it arrays and passages.

Fusion adds, over the rankings a passage appears in, weight x its value in that ranking:
- "convex" (default), on absolute scales. Dense: a fixed linear map of the cosine similarity,
  (cosine - DENSE_FLOOR) / (DENSE_FULL - DENSE_FLOOR) clipped to [0, 1], so a passage counts fully only when
  it is really close to the question, however far the other candidates are; a question with no close
  passage gives none a full dense score. BM25: the score divided by the best BM25 score of the question
  (BM25 scores have no fixed scale; 0 means no term in common).
- "rrf": reciprocal rank, 1 / (RRF_K + rank), rank from 1; scores ignored.
Measured in docs/benchmarks.md, "Retrieval quality".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the values live with the retriever; the maths only reads their fields
    from tutor.search.retriever import Passage

FUSIONS = ("convex", "rrf")
RRF_K = 60
# measured (docs/benchmarks.md, "Retrieval quality"): with all-MiniLM-L6-v2, unrelated text scores 0-0.3 and a
# passage that answers the question 0.45-0.85
DENSE_FLOOR = 0.25  # cosine at or below which a passage gets no dense credit
DENSE_FULL = 0.80  # cosine from which it gets full credit
LESSON_TOP = 1  # a lesson ranks by its best passage; summing its top 2 or 3 measured worse
PASSAGE_HEADER_TOKENS = 12  # the "[n] Lesson > Section" line the prompt adds to each passage


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Row indices of the k highest `scores` (shape (n,)), best first, among rows where `allowed` is True."""
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
        k = min(k, int(allowed.sum()))
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


def cosines(matrix: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity of every query in `vectors` (q, d) to every row of `matrix` (n, d), both of unit
    length: shape (q, n), one contiguous row per query. One matrix product, exact; it reads the whole
    matrix (15 MB at 10k x 384, 154 MB at 100k), so its time is mostly memory bandwidth."""
    return vectors @ matrix.T if matrix.shape[0] else np.zeros((vectors.shape[0], 0), dtype=np.float32)


def dense_values(similarities: Sequence[float]) -> list[float]:
    """Convex fusion's dense value of each cosine similarity: its own, never relative to other passages."""
    span = DENSE_FULL - DENSE_FLOOR
    return [min(1.0, max(0.0, (s - DENSE_FLOOR) / span)) for s in similarities]


def fusion_values(scores: Sequence[float], fusion: str, bm25: bool) -> list[float]:
    """Each passage's contribution from one ranking (`scores` best first), before the ranking's weight."""
    if fusion == "rrf":
        return [1.0 / (RRF_K + rank) for rank in range(1, len(scores) + 1)]
    if not bm25:
        return dense_values(scores)
    best = max(scores, default=0.0)
    return [s / best if best > 0 else 0.0 for s in scores]


def term_coverage(query_terms: frozenset[str], passage_terms: Sequence[frozenset[str]]) -> float:
    """Best share of the query's terms that one passage holds (1.0: every term, an exact if rare match)."""
    if not query_terms:
        return 0.0
    return max((len(query_terms & t) / len(query_terms) for t in passage_terms), default=0.0)


def rank_lessons(ranked: Sequence[Passage]) -> list[str]:
    """Lessons by the summed fused score of their best LESSON_TOP passages."""
    per: dict[str, list[float]] = {}
    for p in ranked:
        per.setdefault(p.chunk.lesson_id, []).append(p.score)
    return sorted(per, key=lambda lid: -sum(sorted(per[lid], reverse=True)[:LESSON_TOP]))


FAR_AHEAD = 3.0  # a capped passage scoring this many times another lesson's goes before it (0: off)
OVERVIEW_FREE = 1  # 1: a lesson's overview passage does not use up one of its lesson's places


def diversify(ranked: Sequence[Passage], k: int, per_lesson: int = 2, near_best: float = 0.8) -> list[Passage]:
    """Best first, at most `per_lesson` passages of one lesson until other lessons run out; a passage that
    scores within `near_best` of the best one gets in whatever its lesson (when one lesson holds the three
    best passages, the third must not give way to a weak passage of another lesson). Letting in any capped
    passage that far outweighs another lesson's (1.5x) was tried: it brought "What is RLHF?" its Stage
    three section but lowered key-sentence correctness (bench/key_sentences.py: corpus 0.724 -> 0.707, seeds
    0.535 -> 0.488), as other lessons' passages left the prompt. A lesson's overview passage (its section
    list) takes no place of its lesson: it answers nothing, and used to keep out the section that does
    ("What is mixture of experts?" got a fun fact instead of the definition). But a capped passage FAR_AHEAD
    times another lesson's still goes before it: "What's the difference between open-weight and closed
    models?" got passages at cosine 0.04-0.10 on loss functions instead of the lesson's "Closed models"
    section (bench/key_sentences.py unchanged at 3x; at 2x and 1.5x a short question loses its answer)."""
    chosen: list[Passage] = []
    counts: dict[str, int] = {}
    rest: list[Passage] = []
    close = near_best * ranked[0].score if ranked else 0.0
    for p in ranked:
        lid = p.chunk.lesson_id
        if counts.get(lid, 0) < per_lesson or p.score >= close:
            while FAR_AHEAD and rest and len(chosen) < k and rest[0].score >= FAR_AHEAD * p.score:
                chosen.append(rest.pop(0))  # a capped passage far ahead of this one
            if len(chosen) >= k:
                break
            chosen.append(p)
            counts[lid] = counts.get(lid, 0) + (0 if p.chunk.is_overview and OVERVIEW_FREE else 1)
        else:
            rest.append(p)
        if len(chosen) >= k:
            break
    chosen += rest[: k - len(chosen)]
    return sorted(chosen, key=lambda p: -p.score)


def within_budget(passages: Sequence[Passage], budget: int, count_tokens: Callable[[str], int]) -> list[Passage]:
    """Passages in order while they fit `budget` LLM tokens; the first one always does."""
    out: list[Passage] = []
    used = 0
    for p in passages:
        n = count_tokens(p.chunk.text) + PASSAGE_HEADER_TOKENS
        if out and used + n > budget:
            continue
        out.append(p)
        used += n
    return out
