"""A language's phrases, read from its data file (tutor/text/data/<language>.json), as regular expressions.

The data file holds what a language says, never how the tutor weighs it: the words that open a why-question,
those that say a sentence points back, those that signpost a lesson. Each entry is a list of phrases in a
small notation, so that a teacher can read and extend it without knowing regular expressions:

- words are separated by single spaces and match any run of white space;
- `a|b|c` in place of a word: any of those words ("what led|leads to");
- `[word]` or `[a|b]`: an optional word ("you've [now|already] learned"); `_` joins words inside one
  ("[so_far,]");
- `*` is any one word, `…` any words at all ("what does … mean");
- a word written `*ing` is any word with that ending;
- an apostrophe matches a typographic one too ("you'll", "you’ll").

`pattern(name)` gives the alternatives of one entry, longest first, as a regular expression source for the
module that uses it to place (at a sentence's start, anywhere, before a word).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@functools.cache
def data(language: str = "en") -> dict[str, list[str]]:
    """The phrase lists of `language` (English where the language has no data file yet)."""
    path = DATA / f"{language}.json"
    if not path.exists():
        path = DATA / "en.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if not k.startswith("_")}


def languages() -> list[str]:
    """The languages with a data file."""
    return sorted(p.stem for p in DATA.glob("*.json"))


def words(name: str, language: str | None = "en") -> list[str]:
    """The plain words of one entry (an entry of single words: stop words, chat words); with `language`
    None, those of every language that has the entry (a conversation may switch language)."""
    if language is not None:
        return list(data(language).get(name) or data("en")[name])  # English's where the language has none
    return [w for lang in languages() for w in data(lang).get(name, [])]


def _word(token: str) -> str:
    optional = token.startswith("[") and token.endswith("]")
    body = token[1:-1] if optional else token
    alts = []
    for alt in body.split("|"):
        if alt == "*":
            alts.append(r"\w+")
        elif alt.startswith("*"):
            alts.append(r"\w+" + re.escape(alt[1:]))
        else:
            alts.append(r"\s+".join(re.escape(w).replace("'", "['’]") for w in alt.split("_")))
    group = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return f"(?:{group}\\s+)?" if optional else group


def compile_phrase(phrase: str) -> str:
    """One phrase of the notation above as a regular expression source."""
    out = ""
    tokens = phrase.split()
    for k, token in enumerate(tokens):
        if token == "…":
            out += r"\b.*\b"
            continue
        out += _word(token)
        following = tokens[k + 1] if k + 1 < len(tokens) else "…"
        if following != "…" and not token.startswith("["):
            out += r"\s+"
    return out


@functools.cache
def pattern(name: str, language: str | None = "en") -> str:
    """The phrases of entry `name` as one non-capturing group, longest phrase first; with `language` None,
    those of every language that has the entry."""
    phrases = sorted(words(name, language), key=len, reverse=True)
    return "(?:" + "|".join(compile_phrase(p) for p in phrases) + ")"
