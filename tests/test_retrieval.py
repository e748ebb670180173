"""Fusion of the dense and BM25 rankings: the arithmetic, and both fusions on the real corpus index."""

from __future__ import annotations

import pytest

from tutor.evaluation.quizzes import quiz_queries, retrieval_metrics
from tutor.ingest.lessons import load_lessons
from tutor.search.retriever import RRF_K, Retriever, _fusion_values
from tutor.settings import Settings


def test_convex_scales_each_ranking_to_unit_range():
    # cosines: min-max over the candidates, so the closest passage counts 1 and the last candidate 0
    assert _fusion_values([0.62, 0.50, 0.38], "convex", bm25=False) == pytest.approx([1.0, 0.5, 0.0])
    # BM25: divided by the best score; 0 means no term in common, so the floor is 0, not the last candidate
    assert _fusion_values([8.0, 6.0, 2.0], "convex", bm25=True) == pytest.approx([1.0, 0.75, 0.25])
    assert _fusion_values([0.4], "convex", bm25=False) == [1.0]
    assert _fusion_values([], "convex", bm25=True) == []


def test_rrf_ignores_the_scores():
    assert _fusion_values([9.0, 0.1], "rrf", bm25=True) == pytest.approx([1 / (RRF_K + 1), 1 / (RRF_K + 2)])


def test_unknown_fusion_is_refused(corpus_index, embedder):
    _, store = corpus_index
    with pytest.raises(ValueError, match="unknown fusion 'bm25'"):
        Retriever(store, embedder, "bm25")
    with pytest.raises(ValueError, match="fusion"):
        Settings(fusion="bm25")  # type: ignore[arg-type]


@pytest.mark.parametrize("fusion", ["convex", "rrf"])
def test_both_fusions_find_the_quiz_lessons(corpus_index, embedder, fusion: str):
    settings, store = corpus_index
    queries = [q for q in quiz_queries(load_lessons(settings.lessons_dir).lessons) if q.language == "en"]
    m = retrieval_metrics(Retriever(store, embedder, fusion), queries, ks=(1, 3))
    assert m.n == len(queries) >= 40
    assert m.recall[3] >= 0.95 and m.recall[1] >= 0.8, (fusion, m.recall, m.misses)


def test_language_of_a_question_from_the_lessons_own_words(corpus_index, embedder):
    _, store = corpus_index
    r = Retriever(store, embedder)
    assert r.language_of("What does a transformer's attention layer do with the words of a sentence?") == "en"
    assert r.language_of("¿Qué hace la capa de atención de un transformer con las palabras de una frase?") == "es"
    assert r.language_of("RLHF") is None  # no common word of either language: no preference
