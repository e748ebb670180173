"""Find and read lesson files into `Lesson` objects with a stable identity (program, language, slug).

Walks a lessons directory (course layout `programs/<program>/lessons/<lang>/<slug>.mdx` or a flat folder),
guards against bad files (too big, too many headings, empty, binary, not UTF-8, link loops, devices and pipes)
and parses each with tutor.ingest.mdx. Reading stays inside the lessons folder: a file or folder whose real path
leaves it (a link to /etc/passwd) is skipped with a warning, unless its folder is one of the `outside_roots`.
Every unreadable file becomes a `LessonError` warning naming it; the other lessons are still returned.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.errors import LessonError, LessonsNotFound
from tutor.ingest.mdx import Block, Quiz, parse_lesson

log = logging.getLogger(__name__)

LESSON_SUFFIXES = (".md", ".mdx")
NOT_LESSONS = {"readme", "source", "license", "licence", "changelog", "contributing", "code_of_conduct"}
MAX_LESSON_BYTES = 5 * 1024 * 1024
MAX_HEADINGS = 1000  # per lesson, checked before any tokenising
MAX_BLOCKS = 20000  # paragraphs, lists, call-outs and headings per lesson
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
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise LessonError(rel, "not a regular file (a device, pipe or socket); not read")
        if st.st_size > MAX_LESSON_BYTES:
            raise LessonError(rel, f"file is {st.st_size / 2**20:.1f} MB, over the 5 MB limit for a lesson; split it")
        data = f.read(MAX_LESSON_BYTES + 1)
    if len(data) > MAX_LESSON_BYTES:
        raise LessonError(rel, "file is over the 5 MB limit for a lesson; split it")
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
    headings = sum(b.kind == "heading" for b in blocks)
    if headings > MAX_HEADINGS or len(blocks) > MAX_BLOCKS:
        raise LessonError(
            rel,
            f"{headings} headings and {len(blocks)} blocks, over the limits of {MAX_HEADINGS} and "
            f"{MAX_BLOCKS} for one lesson; split it",
        )
    if not any(b.kind != "heading" for b in blocks):
        raise LessonError(rel, "no lesson text after the frontmatter; write the lesson or delete the file")
    program, language, slug = _identity(path.relative_to(root), meta, root.name)
    first_h1 = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    title = str(meta.get("title") or first_h1 or slug.replace("-", " ").capitalize())
    return Lesson(program, language, slug, rel, title, text, blocks, quizzes, meta)


def _walk(root: Path, allowed: list[Path], warnings: list[LessonError], failed: list[str]) -> Iterator[Path]:
    """Regular lesson files below root whose real path stays inside `allowed` (root first). Folder links are
    followed once (a loop is reported); a link that leaves the allowed folders, a broken link and anything
    that is not a regular file are reported, and a lesson file among them counts as failed (its indexed
    version is kept)."""
    real_root = allowed[0]
    seen: set[Path] = {real_root}
    stack: list[tuple[Path, Path]] = [(root, real_root)]  # (path as walked, its real path)

    def refuse(entry: Path, lesson: bool, reason: str) -> None:
        rel = entry.relative_to(root).as_posix()
        warnings.append(LessonError(rel, reason))
        if lesson:
            failed.append(rel)

    while stack:
        folder, real_folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            warnings.append(LessonError(folder.relative_to(root).as_posix() or ".", f"cannot list: {exc.strerror}"))
            continue
        for e in entries:
            if e.name.startswith("."):
                continue
            entry = folder / e.name
            lesson = Path(e.name).suffix.lower() in LESSON_SUFFIXES and Path(e.name).stem.lower() not in NOT_LESSONS
            try:
                link = e.is_symlink()
                st = e.stat()  # follows a link
                real = entry.resolve(strict=True) if link else real_folder / e.name
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    refuse(entry, lesson, "link loop (the link points back to itself); fix or remove the link")
                elif link and exc.errno == errno.ENOENT:
                    target = os.readlink(entry) if os.path.islink(entry) else "?"
                    refuse(entry, lesson, f"broken link (to {target}, which does not exist); fix or remove it")
                else:
                    refuse(entry, lesson, f"unreadable: {exc.strerror or exc}")
                continue
            if link and not any(real.is_relative_to(a) for a in allowed):
                refuse(
                    entry,
                    lesson,
                    f"links outside the lessons folder (to {real}); not read. Add that folder to "
                    "outside_roots (TUTOR_OUTSIDE_ROOTS) to allow it",
                )
                continue
            if stat.S_ISDIR(st.st_mode):
                if real in seen:
                    refuse(entry, False, f"folder link loop (back to {real}); not followed")
                    continue
                seen.add(real)
                stack.append((entry, real))
            elif lesson and stat.S_ISREG(st.st_mode):
                yield entry
            elif lesson:
                refuse(entry, True, "not a regular file (a device, pipe or socket); not read")


def _check_root(root: Path) -> None:
    if root.is_dir():
        return
    hint = "pass --lessons DIR or set TUTOR_LESSONS_DIR"
    if root.exists():
        raise LessonsNotFound(f"lessons path {root} is a file, not a folder; {hint} to the folder holding the lessons")
    raise LessonsNotFound(f"lessons directory {root} does not exist; {hint}")


def load_lessons(
    root: Path, *, outside_roots: Sequence[Path] = (), indexed: Mapping[str, str] | None = None
) -> LoadReport:
    """Every readable lesson below root; each unreadable one becomes a warning naming it.

    `indexed`: lesson id -> path of the lessons already in the index. When two files claim one id, the file
    the index already has for it keeps it (else the first by path), and the newcomer is named and skipped.
    """
    root = Path(root)
    _check_root(root)
    warnings: list[LessonError] = []
    failed: list[str] = []
    indexed = indexed or {}
    allowed = [root.resolve(), *(Path(r).resolve() for r in outside_roots)]
    paths = sorted(_walk(root, allowed, warnings, failed))
    in_course = [p for p in paths if "lessons" in p.relative_to(root).parts[:-1]]
    claims: dict[str, list[Lesson]] = {}
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
        claims.setdefault(lesson.id, []).append(lesson)
    lessons: list[Lesson] = []
    for lid, group in claims.items():
        owner_path = indexed.get(lid)
        if owner_path in failed:  # the indexed file failed this time: its indexed version is kept
            keep = None
        else:
            keep = next((le for le in group if le.path == owner_path), group[0])
            lessons.append(keep)
        for le in group:
            if le is not keep:
                holder = keep.path if keep else owner_path
                warnings.append(
                    LessonError(
                        le.path,
                        f"its lesson id {lid} is already taken by {holder}; not indexed: "
                        "give it another slug (frontmatter 'slug:' or file name)",
                    )
                )
    for w in warnings:
        log.warning("%s", w)
    return LoadReport(sorted(lessons, key=_order), warnings, failed)


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
