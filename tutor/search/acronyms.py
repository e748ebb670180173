"""The lessons' own acronyms: "reinforcement learning from human feedback (RLHF)" read once at load, so a
learner's "What is RLHF?" is searched with the words the lessons spell it out in.

A short question built around an acronym embeds poorly (MiniLM has no idea what "RLHF" is: cosine 0.12-0.20
to the sections that explain it), and BM25 then favours whichever passage repeats the acronym most, not the
one that explains it. Courses spell an acronym out where they introduce it; `glossary` collects those
definitions from the live passages and `expand` adds the long form after each acronym of a query. Only the
ranking reads the expanded query: the evidence gate still weighs the learner's own words.

A definition counts when the acronym's letters are the initials of the words just before the parenthesis
(or before "- or ABBR -"), read backwards: a word may give one letter or, written in capitals ("AI feedback
(RLAIF)"), all of its letters; small words ("from", "of") may be skipped. "Direct Preference Optimisation
(DPO)", "byte-pair encoding (BPE)" and "Artificial Intelligence - or AI -" count; "a mixture of experts (the
usual name)" does not. An acronym found in more than half of the passages is the course's own subject ("AI"
in an AI course) and is spelled out only when the question asks about it alone ("What is AI?"): in every
other query it would add the same words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tutor.text.phrases import words
from tutor.text.words import WORD as ANY_WORD  # a word in any script, its vowel signs kept

DEFINED = re.compile(r"((?:[\w'’*-]+[ \t]+){1,9}?[\w'’*-]+)[ \t]*\((?:the[ \t]+)?([A-Z][A-Za-z]{1,7}?)s?\)")
DEFINED_OR = re.compile(  # "**Artificial Intelligence** - or **AI** -", "machine learning, or ML,"
    r"((?:[\w'’*-]+[ \t]+){1,9}?[\w'’*-]+)[ \t]*[-–—,][ \t]*or[ \t]+\**([A-Z][A-Za-z]{1,7}?)s?\**(?=[ \t]*[-–—,)])"
)
WORD = re.compile(r"[A-Za-z]+")
SMALL = frozenset(words("small_words"))  # words an acronym may skip: "from" in "learning from human feedback"
TOKEN = re.compile(r"\b[A-Za-z]{2,8}\b")
ASKING = frozenset(words("asks_acronym"))  # the words of "What does AI stand for?" and the like
SUBJECT_SHARE = 0.5  # an acronym in more of the passages than this is the course's subject (the seeds' "AI": 83 %)


def long_form(words: list[str], acronym: str) -> str | None:
    """The words, from the end of `words`, whose initials spell `acronym`; None when they do not."""
    letters = acronym.upper()
    taken: list[str] = []
    i = len(letters)
    for word in reversed(words):
        if i == 0:
            break
        parts = WORD.findall(word)
        initials = "".join(p[0].upper() for p in parts)  # "byte-pair" gives B and P
        if not parts:
            return None
        if word.isupper() and len(word) > 1 and letters[:i].endswith(word):  # "AI" in "AI feedback (RLAIF)"
            i -= len(word)
        elif letters[:i].endswith(initials):
            i -= len(initials)
        elif word.lower() not in SMALL:  # "from" in "learning from human feedback" may be skipped
            return None
        taken.append(word)
    if i != 0 or len(taken) < 2:
        return None
    return " ".join(w.strip("*_") for w in reversed(taken))


@dataclass(frozen=True)
class Glossary:
    terms: dict[str, str] = field(default_factory=dict)  # acronym (lower case) -> its long form (lower case)
    subjects: frozenset[str] = frozenset()  # those in most passages: spelled out only in "What is AI?"


def glossary(texts: Iterable[str]) -> Glossary:
    """Each acronym of `texts` (lower case) with its most frequent long form there (lower case), and which of
    them are in more than SUBJECT_SHARE of the texts."""
    texts = list(texts)
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for m in (*DEFINED.finditer(text), *DEFINED_OR.finditer(text)):
            acronym = m.group(2)
            if sum(c.isupper() for c in acronym) < 2:  # "(Python)" names, it does not abbreviate
                continue
            words = m.group(1).split()[-(len(acronym) + 3) :]
            form = long_form(words, acronym)
            if form:
                seen.setdefault(acronym.lower(), Counter())[form.lower()] += 1
    used = Counter(a for text in texts for a in {t.lower() for t in TOKEN.findall(text)} & seen.keys())
    return Glossary(
        {a: forms.most_common(1)[0][0] for a, forms in seen.items()},
        frozenset(a for a in seen if used[a] > SUBJECT_SHARE * len(texts)),
    )


def expand(query: str, known: Glossary) -> str:
    """`query` with the long form after each acronym the glossary knows and the query does not spell out;
    the course's subject acronyms only when the question asks about nothing else ("What is AI?")."""
    if not known.terms:
        return query
    low = query.lower()
    rest = [w for w in ANY_WORD.findall(low) if w not in ASKING]  # in any script: "AI के लिए ..." asks more
    alone = rest[0] if len(rest) == 1 else None
    added: list[str] = []
    for token in TOKEN.findall(query):
        a = token.lower()
        form = known.terms.get(a)
        if form and (a not in known.subjects or a == alone) and form not in low and form not in added:
            added.append(form)
    return f"{query} ({'; '.join(added)})" if added else query
