"""A lesson's identity, (program, language, slug), from where its file sits and what its frontmatter says.

The lesson id `program/language/slug` names the lesson in the index, in links and in learners' progress, and
its parts are split on "/". So frontmatter may rename a part only with one plain name: a `slug:`, `program:`
or `lang:` holding "/" or "..", or a list, would make an id like `p/en/../../etc`; it is refused with a
warning naming the file and the field, and the part comes from the file's place instead.

Path rules: `programs/<program>/lessons/<lang>/<slug>.mdx` and `<program>/lessons/<lang>/<slug>.mdx`; in a
flat folder the program is the folder's name and the slug the path without suffix (a language folder,
`en/`, gives the language). A file in a course of lesson folders takes its identity from its `Place`
(tutor.ingest.folders).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from tutor.errors import LessonError
from tutor.ingest.folders import Place
from tutor.ingest.mdx import LANG_DIR

ID_FIELDS = ("program", "lang", "language", "slug")  # frontmatter fields that rename a part of the lesson id


def frontmatter_ids(meta: dict[str, Any], rel: str) -> tuple[dict[str, str], list[LessonError]]:
    """The frontmatter's id fields that are plain names (field -> value), and a warning for each that is not."""
    good: dict[str, str] = {}
    problems: list[LessonError] = []
    for name in ID_FIELDS:
        value = meta.get(name)
        if value is None or value == "":
            continue
        text = str(value).strip()
        if isinstance(value, dict | list) or not text:
            why = "is not a single name"
        elif ".." in text:
            why = "holds '..' (a path out of its folder)"
        elif "/" in text or "\\" in text:
            why = "holds a '/' (the parts of a lesson id are split on it)"
        else:
            good[name] = text
            continue
        problems.append(
            LessonError(
                rel,
                f"frontmatter '{name}: {value}' {why}; the {name} comes from the file's place instead. Write one "
                "plain name (letters, digits, '-'), or remove the field",
            )
        )
    return good, problems


def path_identity(rel: PurePosixPath, ids: dict[str, str], root_name: str) -> tuple[str, str, str]:
    """(program, language, slug) of a file read by the path rules; `ids`: its valid frontmatter id fields."""
    parts = list(rel.parts[:-1])
    slug = ids.get("slug") or rel.stem
    program, language = root_name, None
    if "lessons" in parts:
        k = len(parts) - 1 - parts[::-1].index("lessons")
        if k > 0:
            program = parts[k - 1]
        rest = parts[k + 1 :]
        if rest and LANG_DIR.match(rest[0]):
            language, rest = rest[0], rest[1:]
        if rest:
            slug = "/".join([*rest, slug])
    else:
        if parts and LANG_DIR.match(parts[-1]):
            language, parts = parts[-1], parts[:-1]
        if parts:
            slug = "/".join([*parts, slug])
    language = ids.get("lang") or ids.get("language") or language or "en"
    return ids.get("program") or program, language, slug


def place_identity(place: Place, ids: dict[str, str]) -> tuple[str, str, str]:
    """(program, language, slug) of a file in a course of lesson folders."""
    language = ids.get("lang") or ids.get("language") or place.language or "en"
    return ids.get("program") or place.program, language, ids.get("slug") or place.slug
