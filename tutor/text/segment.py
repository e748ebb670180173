"""Sentences of lesson text as character spans: sentencex (Wikimedia's rule-based segmenter) cuts them, a few
Markdown repairs follow, and a plain rule serves languages sentencex has no rules for.

Chosen by measurement: bench/segmenters.py on bench/data/segmentation.json (131 prose paragraphs of the three
courses split by hand, 403 sentences; en es fr nl hi te): paragraphs split exactly right, boundary precision /
recall, the same with each language's paragraphs run together into one text, and speed (2 AMD EPYC cores):

                         per paragraph            run together     sentences/s
    today's regex        84.0 %  0.954 / 0.923    0.968 / 0.919    ~340,000  (no "।"; spans drop '"' and "**")
    pysbd 0.3.4          85.5 %  0.940 / 0.971    0.952 / 0.952      ~1,000
    sentencex 1.0.32     85.5 %  0.939 / 0.967    0.857 / 0.438    ~670,000  (pairs a backtick with a later ')
    blingfire 0.1.8      84.0 %  0.923 / 0.971    0.945 / 0.952     ~90,000  (cuts inside quotations; no "।")
    this module          95.4 %  0.989 / 0.989    0.992 / 0.977    ~120,000
    pysbd + the repairs  98.5 %  1.000 / 0.993    0.995 / 0.977      ~1,000

sentencex ties pysbd as they come and is some 600 times faster; behind the same repairs pysbd gets 4 more
paragraphs right (3 are Hindi/Telugu '?"' followed by a word, where no capital tells), not worth ~1 ms a
sentence on every answer. Run: .venv/bin/python bench/segmenters.py
"""

from __future__ import annotations

import re

import sentencex

# languages with rules of their own in sentencex 1.0.32 (src/languages/*.rs); any other would silently get
# its English rules, so it gets RULE instead
SENTENCEX_LANGUAGES = frozenset(
    {"am", "ar", "bg", "bn", "ca", "da", "de", "el", "en", "es", "fi", "fr", "gu", "hi", "hy"}
    | {"it", "ja", "kk", "kn", "ml", "mr", "my", "nl", "pa", "pl", "pt", "ru", "sk", "ta", "te"}
)
# the plain rule: a stop (closing quotes, brackets, emphasis kept), spaces, then no lower-case Latin letter;
# after a full-width stop (Chinese, Japanese) no space is needed
RULE = re.compile(r"[。！？]+[」』”’)\]]*(?=\s*\S)|[.!?।॥։።؟۔…]+[\"'”’»)\]*_]*(?=\s+[\"'“‘«(\[*_¿¡]*[^\W_a-z])")
CLOSERS = re.compile(r"[*_\"'”’»)\]]+(?=\s|$)")  # a stop's closing marks, left at the head of the next piece
# sentencex pairs a backtick with a later single quote as a `quote', so a Markdown code span before a 'word'
# hides every sentence end between them; it reads backticks as "|" (same length, so offsets stay put)
NEUTRAL = str.maketrans({"`": "|", "\r": " ", "\n": " "})


def sentence_spans(text: str, start: int = 0, end: int | None = None, language: str = "en") -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text[start:end]`, end exclusive, line breaks inside read as
    spaces, spans stripped of surrounding whitespace and empty ones dropped. `language` is an ISO 639-1
    code ("en", "es", "pt-BR"); a language sentencex has no rules for is cut by a plain rule."""
    end = len(text) if end is None else end
    chunk = text[start:end].translate(NEUTRAL)
    lang = language.lower().replace("_", "-").split("-")[0]
    pieces = _located(chunk, sentencex.segment(lang, chunk)) if lang in SENTENCEX_LANGUAGES else None
    if pieces is None:
        pieces = _by_rule(chunk)
    return [(start + a, start + b) for a, b in _repaired(chunk, pieces)]


def _located(chunk: str, sentences: list[str]) -> list[tuple[int, int]] | None:
    """A segmenter's sentences as contiguous spans of `chunk`, each found after the one before (characters it
    dropped stay with the next sentence); None if one is not in the text as given."""
    out, pos = [], 0
    for piece in sentences:
        core = str(piece).strip()
        if not core:
            continue
        at = chunk.find(core, pos)
        if at < 0:
            return None
        out.append((pos, at + len(core)))
        pos = at + len(core)
    if pos < len(chunk):
        out.append((pos, len(chunk)))
    return out


def _repaired(chunk: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Stripped, non-empty spans; the closing marks a stop left at the head of the next piece ("**Term.|** Next")
    go back to it, and a piece that is the rest of the sentence before it (or glued to it) joins it."""
    merged: list[list[int]] = []
    for a, b in pieces:
        a = _skip_space(chunk, a, b)
        if merged and (m := CLOSERS.match(chunk, a, b)):
            merged[-1][1] = m.end()
            a = _skip_space(chunk, m.end(), b)
        if merged and (_continues(chunk[a:b]) or _glued(chunk, merged[-1][1], a)):
            merged[-1][1] = b
        elif a < b:
            merged.append([a, b])
    spans = [(a, a + len(chunk[a:b].rstrip())) for a, b in merged]
    return [(a, b) for a, b in spans if b > a]


def _skip_space(chunk: str, a: int, b: int) -> int:
    while a < b and chunk[a].isspace():
        a += 1
    return a


def _continues(piece: str) -> bool:
    """A piece that opens with a comma ("..., w_0") or in lower case ('"Wat is dat?"_ - dan ben je') is the
    rest of the sentence before it."""
    head = piece.lstrip("-–— ")[:1]
    return head in (",", ";", ":") or head.islower()


def _glued(chunk: str, prev_end: int, a: int) -> bool:
    """No space between a Latin stop and the next letter ("DALL.E", "v1.Next"): one word, not two sentences."""
    return a == prev_end < len(chunk) and chunk[a - 1] in ".!?" and chunk[a].isascii() and chunk[a].isalnum()


def _by_rule(chunk: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for m in RULE.finditer(chunk):
        out.append((pos, m.end()))
        pos = m.end()
    out.append((pos, len(chunk)))
    return out
