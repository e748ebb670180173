"""Words as the whole tutor compares them: tokens, Snowball stems and stop words, per language.

The only module that imports PyStemmer. The keyword index (tutor/search/keywords.py) tokenises with the same
stemmer, so a word found here is a term found there: 'winters' matches 'winter', and stop words ("the",
"which") never count. Stop word lists are bm25s's own per-language lists (the ones its index drops). A
language without a Snowball stemmer or a stop word list passes words through unstemmed.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from tutor.text import phrases

TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's own token pattern: words of two characters or more

# ISO 639-1 code -> (Snowball stemmer name, bm25s stop word list name)
LANGUAGES = {
    "en": ("english", "STOPWORDS_EN"),
    "es": ("spanish", "STOPWORDS_SPANISH"),
    "fr": ("french", "STOPWORDS_FRENCH"),
    "de": ("german", "STOPWORDS_GERMAN"),
    "pt": ("portuguese", "STOPWORDS_PORTUGUESE"),
    "it": ("italian", "STOPWORDS_ITALIAN"),
    "nl": ("dutch", "STOPWORDS_DUTCH"),
}


@functools.cache
def stemmer(language: str = "en") -> Any:
    """The Snowball stemmer of `language` (English for a language it has none of)."""
    import Stemmer

    name = LANGUAGES.get(language, LANGUAGES["en"])[0]
    return Stemmer.Stemmer(name)


@functools.cache
def stop_words(language: str = "en") -> frozenset[str]:
    """The stop words of `language`, lower case, unstemmed (none for a language bm25s has no list of)."""
    from bm25s import stopwords

    name = LANGUAGES.get(language, ("", ""))[1]
    return frozenset(getattr(stopwords, name, ()))


@functools.lru_cache(maxsize=65536)
def stem_set(text: str, language: str = "en") -> frozenset[str]:
    """The stemmed terms of `text` without stop words: the keyword index's terms of it, computed directly
    (about 50x faster per sentence than tokenising through bm25s)."""
    stop = stop_words(language)
    return frozenset(stemmer(language).stemWords([w for w in TOKEN.findall(text.lower()) if w not in stop]))


@functools.cache
def glue_words(language: str = "en") -> frozenset[str]:
    """The language's question and glue words ("what", "explain", "versus"), lower case, unstemmed."""
    return frozenset(phrases.words("glue_words", language))


@functools.cache
def _glue_stems(language: str) -> frozenset[str]:
    return stem_set(" ".join(glue_words(language)), language)


def content_words(text: str, language: str = "en") -> frozenset[str]:
    """Stemmed content words of `text`, as the keyword search sees them (Snowball stems, no stop words),
    without the question and glue words that say nothing of the topic ("what", "explain")."""
    return stem_set(text, language) - _glue_stems(language)
