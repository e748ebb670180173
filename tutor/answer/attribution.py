"""Checks an answer against its passages: citations, sentence support, and the extractive quote.

Support of an answer sentence = the best cosine similarity between it and any sentence of the prompt's
passages, or failing that a lexical overlap (share of the sentence's content words found in one passage).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from tutor.events import Quote, SentenceCheck, Source
from tutor.models.embedder import Embedder

CITE = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[*])|\n+")
WORD = re.compile(r"[a-z0-9]+")
STOP = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "we",
        "you",
        "i",
        "do",
        "does",
        "did",
        "not",
        "no",
        "so",
        "than",
        "then",
        "can",
        "could",
        "will",
        "would",
        "should",
        "may",
        "might",
        "must",
        "has",
        "have",
        "had",
        "what",
        "which",
        "who",
        "how",
        "why",
        "when",
        "where",
        "also",
        "very",
        "more",
        "most",
        "such",
    ]
)
SUPPORT_SIM = 0.62  # cosine to a passage sentence at or above which a sentence counts as supported
SUPPORT_OVERLAP = 0.7  # or: share of its content words found in one passage


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`."""
    spans, pos = [], 0
    for m in SENTENCE_END.finditer(text):
        if text[pos : m.start()].strip():
            spans.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        spans.append((pos, len(text.rstrip())))
    return spans


def parse_citations(text: str, n_passages: int) -> tuple[str, list[int]]:
    """(text without citations of non-existent passages, cited passage numbers in order of first use)."""
    cited: list[int] = []

    def keep(m: re.Match[str]) -> str:
        nums = [int(x) for x in re.split(r"\s*[,;]\s*", m.group(1))]
        good = [n for n in nums if 1 <= n <= n_passages]
        cited.extend(n for n in good if n not in cited)
        return "[" + ", ".join(map(str, good)) + "]" if good else ""

    cleaned = CITE.sub(keep, text)
    return re.sub(r"[ \t]+([.,;!?])", r"\1", cleaned).strip(), cited


def _content(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOP and len(w) > 2}


class Grounder:
    """Sentence embeddings of passages are cached by chunk id: follow-ups reuse them."""

    def __init__(self, embedder: Embedder, cache_size: int = 512):
        self.embedder = embedder
        self._cache: OrderedDict[str, tuple[list[tuple[int, int]], np.ndarray]] = OrderedDict()
        self._size = cache_size

    def _sentences(self, sources: Sequence[Source]) -> list[tuple[list[tuple[int, int]], np.ndarray]]:
        todo = [s for s in sources if s.chunk_id not in self._cache]
        if todo:
            spans = [split_sentences(s.text) for s in todo]
            flat = [s.text[a:b] for s, sp in zip(todo, spans) for a, b in sp]
            vecs = self.embedder.embed(flat)
            row = 0
            for s, sp in zip(todo, spans):
                self._cache[s.chunk_id] = (sp, vecs[row : row + len(sp)])
                row += len(sp)
        for s in sources:
            self._cache.move_to_end(s.chunk_id)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return [self._cache[s.chunk_id] for s in sources]

    def check(self, answer: str, sources: Sequence[Source]) -> list[SentenceCheck]:
        """Each answer sentence, supported or not; marks supporting passage sentences in `highlights`."""
        spans = split_sentences(answer)
        texts = [CITE.sub("", answer[a:b]).strip() for a, b in spans]
        texts = [t for t in texts if len(WORD.findall(t.lower())) >= 3]
        if not texts or not sources:
            return [SentenceCheck(t, False, 0.0, None) for t in texts]
        per_source = self._sentences(sources)
        vecs = self.embedder.embed(texts)
        out = []
        for t, v in zip(texts, vecs):
            best, best_src, best_span = -1.0, None, None
            for src, (sp, sv) in zip(sources, per_source):
                if not len(sp):
                    continue
                sims = sv @ v
                j = int(np.argmax(sims))
                if sims[j] > best:
                    best, best_src, best_span = float(sims[j]), src, sp[j]
            words = _content(t)
            overlap = max((len(words & _content(s.text)) / len(words) for s in sources), default=0.0) if words else 0.0
            supported = best >= SUPPORT_SIM or overlap >= SUPPORT_OVERLAP
            if supported and best_src is not None and best_span and best_span not in best_src.highlights:
                best_src.highlights.append(best_span)
            out.append(SentenceCheck(t, supported, round(best, 4), best_src.number if best_src else None))
        return out

    def quote(self, question_vec: np.ndarray, source: Source, max_sentences: int = 2) -> Quote:
        """The passage's sentences closest to the question, verbatim and in passage order."""
        ((spans, vecs),) = self._sentences([source])
        if not spans:
            a, b = 0, len(source.text)
        else:
            sims = vecs @ question_vec
            best = sorted(np.argsort(-sims)[:max_sentences].tolist())
            # keep the quote contiguous: the best sentence, plus its best neighbour if adjacent
            if len(best) == 2 and best[1] - best[0] != 1:
                best = [int(np.argmax(sims))]
            a, b = spans[best[0]][0], spans[best[-1]][1]
        text = source.text[a:b].strip()
        return Quote(text, source.title, source.breadcrumb, source.path, source.start, source.end)
