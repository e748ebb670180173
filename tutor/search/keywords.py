"""The keyword (BM25) adapter: the only module that builds a bm25s index.

Texts are tokenised the same way for indexing and for questions: lower case, English stopwords dropped,
English Snowball stems ('winters' matches 'winter'; words of other languages mostly pass through). Scores
are BM25's own (>= 0; 0 means no term in common), one per indexed text, in indexing order.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

from tutor.text.words import stemmer

log = logging.getLogger(__name__)


def _quiet() -> None:
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG


def terms(text: str) -> list[str]:
    """The stemmed, stopword-free terms of `text`, in order (repeats kept)."""
    import bm25s

    _quiet()
    out = bm25s.tokenize([text], stopwords="en", stemmer=stemmer(), show_progress=False, return_ids=False)
    return list(out[0]) if out and out[0] else []


@functools.lru_cache(maxsize=8192)
def term_set(text: str) -> frozenset[str]:
    """`terms(text)` as a set, cached: passages are checked again and again by the evidence gate."""
    return frozenset(terms(text))


class KeywordIndex:
    """BM25 over a fixed list of texts; build a new one when the texts change (bm25s has no updates)."""

    def __init__(self, texts: list[str]):
        import bm25s

        _quiet()
        self.size = len(texts)
        self._model = bm25s.BM25()
        if texts:
            self._model.index(
                bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), show_progress=False),
                show_progress=False,
            )

    def document_frequency(self) -> dict[str, int]:
        """How many indexed texts hold each term (the evidence gate weighs a question's terms by rarity)."""
        if getattr(self, "_df", None) is None:
            df: dict[str, int] = {}
            if self.size:
                indptr = self._model.scores["indptr"]  # term-major sparse matrix: one run of documents per term
                for term, i in self._model.vocab_dict.items():
                    if term and i + 1 < len(indptr):
                        df[term] = int(indptr[i + 1] - indptr[i])
            self._df = df
        return self._df

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed text for `query`, float32, shape (size,); zeros when no term."""
        words = terms(query)
        if not words or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(words), dtype=np.float32)
