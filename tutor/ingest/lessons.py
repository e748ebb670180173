"""Find and read lesson files into `Lesson` objects with a stable identity (program, language, slug).

Walks a lessons directory (course layout `programs/<program>/lessons/<lang>/<slug>.mdx` or a flat folder),
guards against bad files (too big, empty, binary, not UTF-8, symlink loops) and parses each with tutor.ingest.mdx.
Every unreadable file becomes a `LessonError` warning naming it; the other lessons are still returned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.errors import LessonError, LessonsNotFound
from tutor.ingest.mdx import Block, Quiz, parse_lesson

log = logging.getLogger(__name__)

LESSON_SUFFIXES = (".md", ".mdx")
NOT_LESSONS = {"readme", "source", "license", "licence", "changelog", "contributing", "code_of_conduct"}
MAX_LESSON_BYTES = 5 * 1024 * 1024
LANG_DIR = re.compile(r"^[a-z]{2}([-_][A-Za-z]{2,4})?$")  # "en", "pt-BR"


@dataclass
class Lesson:
    program: str
    language: str
    slug: str
    path: str  # relative to the lessons directory, POSIX separators
    title: str
    source: str
    blocks: list[Block]
    quizzes: list[Quiz]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.program}/{self.language}/{self.slug}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]


@dataclass
class LoadReport:
    lessons: list[Lesson]
    warnings: list[LessonError]
    failed_paths: list[str]  # files that exist but could not be read: their indexed version is kept


def _identity(rel: Path, meta: dict[str, Any], root_name: str) -> tuple[str, str, str]:
    """(program, language, slug) from the path shape and frontmatter.

    `programs/<program>/lessons/<lang>/<slug>.mdx` and `<program>/lessons/<lang>/<slug>.mdx` are read as
    such; for a flat folder the program is the folder's name and the slug the path without suffix.
    """
    parts = list(rel.parts[:-1])
    slug = str(meta.get("slug") or rel.stem)
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
    language = str(meta.get("lang") or meta.get("language") or language or "en")
    return str(meta.get("program") or program), language, slug


def read_lesson(path: Path, root: Path) -> Lesson:
    rel = path.relative_to(root).as_posix()
    size = path.stat().st_size
    if size > MAX_LESSON_BYTES:
        raise LessonError(rel, f"file is {size / 2**20:.1f} MB, over the 5 MB limit for a lesson; split it")
    data = path.read_bytes()
    if not data.strip():
        raise LessonError(rel, "file is empty; write the lesson or delete the file")
    if b"\x00" in data[:8192]:
        raise LessonError(rel, "file is binary, not a text lesson; remove it or rename its extension")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LessonError(rel, "not valid UTF-8; re-save the file as UTF-8", line) from None
    meta, blocks, quizzes = parse_lesson(text, rel)
    if not any(b.kind != "heading" for b in blocks):
        raise LessonError(rel, "no lesson text after the frontmatter; write the lesson or delete the file")
    program, language, slug = _identity(path.relative_to(root), meta, root.name)
    first_h1 = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    title = str(meta.get("title") or first_h1 or slug.replace("-", " ").capitalize())
    return Lesson(program, language, slug, rel, title, text, blocks, quizzes, meta)


def _walk(root: Path, warnings: list[LessonError]) -> Iterator[Path]:
    """Lesson files below root, following directory links once (a link loop is reported, not followed)."""
    seen: set[Path] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = folder.resolve()
        if real in seen:
            warnings.append(LessonError(folder.relative_to(root).as_posix(), "symlink loop; not followed"))
            continue
        seen.add(real)
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            warnings.append(LessonError(folder.relative_to(root).as_posix() or ".", f"cannot list: {exc}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    stack.append(entry)
                elif entry.suffix.lower() in LESSON_SUFFIXES and entry.is_file():
                    yield entry
                elif entry.suffix.lower() in LESSON_SUFFIXES and entry.is_symlink():
                    rel = entry.relative_to(root).as_posix()
                    warnings.append(LessonError(rel, "symlink loop or broken link; fix or remove the link"))
            except OSError as exc:  # e.g. a link to itself: "too many levels of symbolic links"
                warnings.append(LessonError(entry.relative_to(root).as_posix(), f"unreadable: {exc.strerror}"))


def load_lessons(root: Path) -> LoadReport:
    """Every readable lesson below root; each unreadable one becomes a warning naming it."""
    root = Path(root)
    if not root.is_dir():
        raise LessonsNotFound(f"lessons directory {root} does not exist; pass --lessons DIR or set TUTOR_LESSONS_DIR")
    warnings: list[LessonError] = []
    failed: list[str] = []
    lessons: dict[str, Lesson] = {}
    paths = [p for p in _walk(root, warnings) if p.stem.lower() not in NOT_LESSONS]
    in_course = [p for p in paths if "lessons" in p.relative_to(root).parts[:-1]]
    for path in in_course or paths:  # a course repository: only files under lessons/ are lessons
        try:
            lesson = read_lesson(path, root)
        except LessonError as exc:
            warnings.append(exc)
            failed.append(exc.path)
            continue
        except OSError as exc:
            rel = path.relative_to(root).as_posix()
            warnings.append(LessonError(rel, f"unreadable: {exc.strerror or exc}"))
            failed.append(rel)
            continue
        if lesson.id in lessons:
            warnings.append(
                LessonError(lesson.path, f"same lesson id {lesson.id} as {lessons[lesson.id].path}; skipped")
            )
            continue
        lessons[lesson.id] = lesson
    for w in warnings:
        log.warning("%s", w)
    return LoadReport(sorted(lessons.values(), key=_order), warnings, failed)


def _order(lesson: Lesson) -> tuple[str, str, float, str]:
    try:
        order = float(lesson.meta.get("order", 1e9))
    except (TypeError, ValueError):
        order = 1e9
    return (lesson.program, lesson.language, order, lesson.slug)


def program_titles(root: Path) -> dict[str, str]:
    """program slug -> title, from each program.json below root (missing or broken files are skipped)."""
    titles: dict[str, str] = {}
    for pj in Path(root).rglob("program.json"):
        try:
            data = json.loads(pj.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            titles[str(data.get("slug") or pj.parent.name)] = str(data.get("title") or pj.parent.name)
    return titles
