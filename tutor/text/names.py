"""Languages by name: a lesson's language code ("es") as its speakers write it ("Español"), from babel's CLDR data."""

from __future__ import annotations

import functools

from babel import Locale, UnknownLocaleError


@functools.cache
def language_name(code: str) -> str:
    """The language's own name, capitalised ("English", "Español", "Nederlands"); the code itself when babel
    does not know it."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name() or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]
