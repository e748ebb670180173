"""The keyword (BM25) adapter: the only module that builds a bm25s index.

A text's terms are its words as tutor/text/words.py reads them in the text's language: lower case, that
language's stop words dropped, its Snowball stems ('winters' matches 'winter'; Hindi 'भाषाओं' matches
'भाषा'; Telugu words pass unstemmed), whole words in every script. A text of unknown language (None) is read
as English, as every text was before the index told languages apart. A question is read in its language when
told; when not, each text is scored with the question read in that text's language (in an index of English
texts alone: as English, as before). Scores are BM25's own (>= 0; 0 means no term in common), one per indexed
text, in indexing order.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

import numpy as np

from tutor.text import words

log = logging.getLogger(__name__)


def _quiet() -> None:
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG


def terms(text: str, language: str | None = None) -> list[str]:
    """The stemmed, stopword-free terms of `text` in `language`, in order (repeats kept)."""
    return words.terms(text, language)


@functools.lru_cache(maxsize=8192)
def term_set(text: str, language: str | None = None) -> frozenset[str]:
    """`terms(text, language)` as a set, cached: passages are checked again and again by the evidence gate."""
    return frozenset(terms(text, language))


class KeywordIndex:
    """BM25 over a fixed list of texts; build a new one when the texts change (bm25s has no updates).
    `languages`: each text's language, in the order of `texts` (None: all read as English)."""

    def __init__(self, texts: list[str], languages: Sequence[str | None] | None = None):
        import bm25s

        _quiet()
        self.size = len(texts)
        self._df: dict[str, int] | None = None
        self._model = bm25s.BM25()
        told = list(languages) if languages is not None else [None] * len(texts)
        codes = [words.code(lang) for lang in told]
        self.languages = frozenset(codes) or frozenset({"en"})
        self._rows = {lang: np.asarray([c == lang for c in codes], dtype=bool) for lang in self.languages}  # (size,)
        vocab: dict[str, int] = {}  # term -> its id, in order of first use
        ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in words.term_lists(texts, told)]
        self._indexed = bool(vocab)  # bm25s cannot index texts without a single term
        if self._indexed:
            self._model.index((ids, vocab), show_progress=False)

    def document_frequency(self) -> dict[str, int]:
        """How many indexed texts hold each term (the evidence gate weighs a question's terms by rarity)."""
        if self._df is None:
            df: dict[str, int] = {}
            if self._indexed:
                indptr = self._model.scores["indptr"]  # term-major sparse matrix: one run of documents per term
                for term, i in self._model.vocab_dict.items():
                    if term and i + 1 < len(indptr):
                        df[term] = int(indptr[i + 1] - indptr[i])
            self._df = df
        return self._df

    def query_language(self, language: str | None) -> str | None:
        """The one language a question's terms are read in: `language` when told, else the indexed texts'
        language when they have one (a French course's questions are read in French), else None (as English)."""
        if language:
            return language
        return next(iter(self.languages)) if len(self.languages) == 1 else None

    def scores(self, query: str, language: str | None = None) -> np.ndarray:
        """BM25 score of every indexed text for `query`, float32, shape (size,); zeros when no term. The query
        is read in `query_language(language)`; in an index of several languages and none told, each text's
        score is the query's read in that text's language."""
        one = self.query_language(language)
        if one is not None:
            return self._scores(terms(query, one))
        out = np.zeros(self.size, dtype=np.float32)
        for lang, rows in self._rows.items():
            out[rows] = self._scores(terms(query, lang))[rows]
        return out

    def _scores(self, asked: list[str]) -> np.ndarray:
        if not asked or not self._indexed:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(asked), dtype=np.float32)
