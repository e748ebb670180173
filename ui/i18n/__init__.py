"""Which language the page speaks, and its words in that language (ui/i18n/catalogue.py).

The language is the learner's pick when there is one, else the question's language (for the tutor's own
sentences: refusals, notices), else the browser's (its Accept-Language header), else English. A language is
shown by its own name ("Français", "हिन्दी"), from babel's CLDR data (`language_name`, tutor/text/names.py),
never by its code.
"""

from __future__ import annotations

from tutor.text.names import language_name
from ui.i18n.catalogue import CATALOGUE, DRAFTED

DEFAULT = "en"
__all__ = ["CATALOGUE", "DEFAULT", "DRAFTED", "browser_language", "choose", "language_name", "t"]


def t(lang: str | None, key: str, **fields: object) -> str:
    """The message `key` in `lang` (English when that language or key is missing), fields filled in."""
    text = CATALOGUE.get(lang or DEFAULT, {}).get(key) or CATALOGUE[DEFAULT].get(key, key)
    return text.format(**fields) if fields else text


def browser_language(accept_language: str | None) -> str | None:
    """The first language of an Accept-Language header that the catalogue has ("es-ES,es;q=0.9" -> "es")."""
    ranked = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.split("-")[0].lower()))
    return next((lang for _, _, lang in sorted(ranked) if lang in CATALOGUE), None)


def choose(*candidates: str | None) -> str:
    """The first candidate the catalogue speaks, else English."""
    return next((c for c in candidates if c and c in CATALOGUE), DEFAULT)
