"""Words as the whole tutor compares them: tokens, Snowball stems and stop words, per language.

The only module that imports PyStemmer. The keyword index (tutor/search/keywords.py) takes its terms from
`terms` here, so a word found here is a term found there: 'winters' matches 'winter', and stop words ("the",
"of") never count. A token is a run of word characters and combining marks, so the vowel signs and
viramas of Devanagari and Telugu stay inside their word ('हिन्दी', 'అభ్యాసం'); on text without combining
marks it is exactly the token of bm25s's own pattern, `\\b\\w\\w+\\b`. Stop word lists are bm25s's own where it
has one, else the language's data file's `stop_words` (tutor/text/data/<language>.json). A language without
a Snowball stemmer passes words through unstemmed; an unknown language (None, or a code not listed in
LANGUAGES) is read as English, the way every text was read before languages were told apart.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

from tutor.text import phrases

# Unicode's combining marks (categories Mn, Mc, Me) all lie in planes 0, 1 and 14 (Unicode 15); scanning those
# alone takes 30 ms at import instead of 300 ms for all 1.1 million code points
MARK_PLANES = (range(0x20000), range(0xE0000, min(0xE1000, sys.maxunicode + 1)))


def _marks() -> str:
    """The combining marks as the body of a regular expression character class ('\\u0300-\\u036f...')."""
    codes = [c for plane in MARK_PLANES for c in plane if unicodedata.category(chr(c)).startswith("M")]
    runs: list[list[int]] = []
    for c in codes:
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in runs)


WORD_CHAR = rf"[\w{_marks()}]"  # a letter, digit or underscore, or a mark combining with one
TOKEN = re.compile(rf"{WORD_CHAR}{{2,}}")  # a word of two characters or more: a term's source
WORD = re.compile(rf"{WORD_CHAR}+")  # a word of any length ("a", "y"): what tells languages apart

# ISO 639-1 code -> (Snowball stemmer name, bm25s stop word list name); None: the language has none
LANGUAGES: dict[str, tuple[str | None, str | None]] = {
    "en": ("english", "STOPWORDS_EN"),
    "es": ("spanish", "STOPWORDS_SPANISH"),
    "fr": ("french", "STOPWORDS_FRENCH"),
    "de": ("german", "STOPWORDS_GERMAN"),
    "pt": ("portuguese", "STOPWORDS_PORTUGUESE"),
    "it": ("italian", "STOPWORDS_ITALIAN"),
    "nl": ("dutch", "STOPWORDS_DUTCH"),
    "hi": ("hindi", None),  # stop words: tutor/text/data/hi.json
    "te": (None, None),  # stop words: tutor/text/data/te.json
}


# the languages of LANGUAGES written in a script of their own (its code points): their letters tell them
SCRIPTS: dict[str, range] = {"hi": range(0x0900, 0x0980), "te": range(0x0C00, 0x0C80)}


def code(language: str | None) -> str:
    """The LANGUAGES code `language` is read with: its base code ('pt-BR' -> 'pt'), English when unknown."""
    base = (language or "en").replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else "en"


class _Unstemmed:
    """The stemmer of a language Snowball has none for: every word stays as it is."""

    def stemWords(self, words: Sequence[str]) -> list[str]:  # PyStemmer's name
        return list(words)


@functools.cache
def stemmer(language: str | None = "en") -> Any:
    """The Snowball stemmer of `language` (one that leaves words as they are where Snowball has none)."""
    import Stemmer

    name = LANGUAGES[code(language)][0]
    return Stemmer.Stemmer(name) if name else _Unstemmed()


@functools.cache
def stop_words(language: str | None = "en") -> frozenset[str]:
    """The stop words of `language`, lower case, unstemmed: bm25s's list, else its data file's `stop_words`."""
    from bm25s import stopwords

    lang = code(language)
    name = LANGUAGES[lang][1]
    if name:
        return frozenset(getattr(stopwords, name))
    own = phrases.data(lang).get("stop_words", []) if lang in phrases.languages() else []
    return frozenset(tokens(" ".join(own)))


def tokens(text: str) -> list[str]:
    """The words of `text` of two characters or more, lower case, in order (composed to NFC when not ASCII,
    so that a vowel sign typed as two code points matches the one)."""
    text = text.lower()
    return TOKEN.findall(text if text.isascii() else unicodedata.normalize("NFC", text))


def term_lists(texts: Sequence[str], languages: Sequence[str | None]) -> list[list[str]]:
    """Each text's terms in order, repeats kept: its tokens without its language's stop words, stemmed with
    its language's stemmer. Each language's distinct words are stemmed once, whatever the number of texts."""
    kept: list[tuple[str, list[str]]] = []
    distinct: dict[str, dict[str, str]] = {}  # language -> word -> stem (filled below)
    for text, language in zip(texts, languages, strict=True):
        lang = code(language)
        stop = stop_words(lang)
        words = [w for w in tokens(text) if w not in stop]
        seen = distinct.setdefault(lang, {})
        for w in words:
            seen.setdefault(w, w)
        kept.append((lang, words))
    for lang, seen in distinct.items():
        seen.update(zip(seen, stemmer(lang).stemWords(list(seen))))
    return [[distinct[lang][w] for w in words] for lang, words in kept]


def terms(text: str, language: str | None = "en") -> list[str]:
    """The keyword index's terms of `text` in `language`, in order, repeats kept."""
    return term_lists([text], [language])[0]


@functools.lru_cache(maxsize=65536)
def stem_set(text: str, language: str | None = "en") -> frozenset[str]:
    """The stemmed terms of `text` without stop words, as a set: the keyword index's terms of it."""
    return frozenset(terms(text, language))


@functools.cache
def glue_words(language: str | None = "en") -> frozenset[str]:
    """The language's question and glue words ("what", "explain", "versus"), lower case, unstemmed."""
    return frozenset(phrases.words("glue_words", code(language)))


@functools.cache
def _glue_stems(language: str | None) -> frozenset[str]:
    return stem_set(" ".join(glue_words(language)), language)


def content_words(text: str, language: str | None = "en") -> frozenset[str]:
    """Stemmed content words of `text`, as the keyword search sees them (Snowball stems, no stop words),
    without the question and glue words that say nothing of the topic ("what", "explain")."""
    return stem_set(text, language) - _glue_stems(language)


def same_script(a: str | None, b: str | None) -> bool:
    """Whether two languages are written in the same script (SCRIPTS; the others in Latin letters)."""
    return code(a) in SCRIPTS and code(a) == code(b) or not {code(a), code(b)} & SCRIPTS.keys()


@functools.cache
def function_words(language: str | None) -> frozenset[str]:
    """The words that carry `language`'s grammar, not a topic: its stop words and its data file's own glue and
    question words (never English's in their place), lower case."""
    lang = code(language)
    own = phrases.data(lang) if lang in phrases.languages() else {}
    extra = " ".join([*own.get("glue_words", []), *own.get("question_words", [])])
    return stop_words(lang) | frozenset(WORD.findall(extra.lower()))


def guess_language(text: str) -> str | None:
    """The language of LANGUAGES `text` is written in, known without any lesson: the one whose own script its
    letters are in (Hindi, Telugu: "ELIZA क्या थी?", English terms mixed in), else the one whose function words
    it uses most, strictly more than any other's; None when nothing tells ("RLHF?", "transformer attention")."""
    letters = [ord(ch) for ch in text if ch.isalpha()]
    written = max((sum(c in script for c in letters), lang) for lang, script in SCRIPTS.items())
    if written[0]:
        return written[1]
    tokens = WORD.findall(text.lower())
    hits = sorted((sum(t in function_words(lang) for t in tokens), lang) for lang in LANGUAGES if lang not in SCRIPTS)
    (second, _), (best, lang) = hits[-2], hits[-1]
    return lang if best > second else None
