"""Misspelt words read as the lessons spell them: "whats a transfomer" is searched as "whats a transformer".

A learner's typo in the word that names the topic ("transfomer", "atention") makes a question no passage
matches, and the evidence gate refuses it. Only a word that no passage uses is respelt, and only to a word
of the lessons (their text and headings) that is close in spelling (difflib's ratio, >= CUTOFF); the conversation
(search/conversation.py) searches the respelt question only when the question as typed was refused, and
the learner is told how it was read.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable

WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")  # "transformer's" counts as "transformer"
MIN_LENGTH = 5  # shorter words have too many close neighbours ("tyre" / "type")
CUTOFF = 0.85  # "atention" / "attention" 0.94, "bread" / "break" 0.8
MIN_COUNT = 1  # uses a lesson word needs to be a respelling: 2 lost "chunking", a heading word used once
LENGTH_SLACK = 2  # candidates differ in length by at most this many letters


class Spelling:
    """The lessons' words by length, built on first use from `texts` (a snapshot's chunks)."""

    def __init__(self, texts: Iterable[str]):
        self._texts = texts
        self._by_length: dict[int, list[str]] | None = None
        self._lock = threading.Lock()

    def _words(self) -> dict[int, list[str]]:
        with self._lock:
            if self._by_length is None:
                counts = Counter(w for t in self._texts for w in WORD.findall(t.lower()) if len(w) >= MIN_LENGTH)
                by_length: dict[int, list[str]] = {}
                for w, n in counts.items():
                    if n >= MIN_COUNT:
                        by_length.setdefault(len(w), []).append(w)
                self._by_length = by_length
            return self._by_length

    def respell(self, question: str, known: Callable[[str], bool]) -> str:
        """`question` with each word of MIN_LENGTH letters or more that is not `known` replaced by the
        lessons' closest word, when one is close enough; the question unchanged otherwise."""

        def fix(m: re.Match[str]) -> str:
            word = m.group()
            if len(word) < MIN_LENGTH or known(word):
                return word
            words = self._words()
            near = [w for n in range(len(word) - LENGTH_SLACK, len(word) + LENGTH_SLACK + 1) for w in words.get(n, ())]
            best = difflib.get_close_matches(word.lower(), near, n=1, cutoff=CUTOFF)
            return best[0] if best else word

        return WORD.sub(fix, question)
