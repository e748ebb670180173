"""Walk a lessons folder: which files are there to read, which stay out (and why), and what cannot be read.

Reading stays inside the lessons folder: a file or folder whose real path leaves it (a link to /etc/passwd) is
skipped with a warning, unless its folder is one of the `outside_roots`. Links to folders are followed once (a
loop is reported); devices, pipes and broken links are reported. Folders of translations, images or an app
are not entered (tutor.ingest.folders names them), and the candidates found are sorted into lessons and files
left out by tutor.ingest.folders.plan. No lesson is parsed here.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tutor.errors import LessonError, LessonsNotFound
from tutor.ingest.folders import APP_MARKER, LeftOut, Place, plan, skip_folder

LESSON_SUFFIXES = (".md", ".mdx", ".txt", ".html", ".htm", ".pdf", ".ipynb")  # each read by tutor.ingest.readers
PLACEHOLDER_WORDS = 10  # a lesson folder's README with fewer words ("Placeholder", "Coming soon") stays out
PLACEHOLDER_BYTES = 1024  # only files this small are read to count their words
MAX_COUNTED = 10000  # entries looked at when counting the lesson-like files of a skipped folder


@dataclass
class Survey:
    """The walk and its verdicts, before any lesson is parsed."""

    places: dict[Path, Place | None]  # file to read -> its place in a folder course (None: path rules)
    left_out: list[LeftOut]
    warnings: list[LessonError]
    failed: list[str]
    candidates: int


def survey_lessons(root: Path, *, outside_roots: Sequence[Path] = ()) -> Survey:
    """Walk root and say which files will be read as lessons (and where they sit) and which stay out, and why;
    no lesson is parsed (a lesson folder's README under 1 KB is read, to leave out placeholders)."""
    root = Path(root)
    check_root(root)
    warnings: list[LessonError] = []
    failed: list[str] = []
    skipped: list[LeftOut] = []
    allowed = [root.resolve(), *(Path(r).resolve() for r in outside_roots)]
    paths = sorted(walk(root, allowed, warnings, failed, skipped))
    by_rel = {p.relative_to(root).as_posix(): p for p in paths}
    places, left_out = plan(list(by_rel), root.name)
    taken: dict[Path, Place | None] = {}
    for rel, place in places.items():
        words = _placeholder_words(by_rel[rel]) if place and place.kind in ("lesson", "companion") else None
        if words is not None and words < PLACEHOLDER_WORDS:
            left_out.append(LeftOut(rel, f"a placeholder ({words} word{'s' if words != 1 else ''}), not a lesson yet"))
        else:
            taken[by_rel[rel]] = place
    left_out.sort(key=lambda x: x.path)
    return Survey(taken, skipped + left_out, warnings, failed, len(paths))


def _placeholder_words(path: Path) -> int | None:
    try:
        if path.stat().st_size > PLACEHOLDER_BYTES:
            return None
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return None
    return len(re.findall(r"\w+", re.sub(r"(?m)^#+ .*$", "", text)))


def check_root(root: Path) -> None:
    if root.is_dir():
        return
    hint = "pass --lessons DIR or set TUTOR_LESSONS_DIR"
    if root.exists():
        raise LessonsNotFound(f"lessons path {root} is a file, not a folder; {hint} to the folder holding the lessons")
    raise LessonsNotFound(f"lessons directory {root} does not exist; {hint}")


def walk(
    root: Path, allowed: list[Path], warnings: list[LessonError], failed: list[str], skipped: list[LeftOut]
) -> Iterator[Path]:
    """Regular lesson files below root whose real path stays inside `allowed` (root first). Folder links are
    followed once (a loop is reported); a link that leaves the allowed folders, a broken link and anything
    that is not a regular file are reported, and a lesson file among them counts as failed (its indexed
    version is kept). Folders of translations, images or an app are not entered: each goes to `skipped`."""
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
            lesson = Path(e.name).suffix.lower() in LESSON_SUFFIXES
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
                why = skip_folder(e.name, (entry / APP_MARKER).is_file())
                if why:
                    n = _lesson_files_in(entry)
                    if n:  # a folder of images alone is not worth a line
                        rel = entry.relative_to(root).as_posix()
                        reason = f"{why} ({n} lesson file{'s' if n != 1 else ''} not read)"
                        skipped.append(LeftOut(f"{rel}/", reason, files=n))
                    continue
                if real in seen:
                    refuse(entry, False, f"folder link loop (back to {real}); not followed")
                    continue
                seen.add(real)
                stack.append((entry, real))
            elif lesson and stat.S_ISREG(st.st_mode):
                yield entry
            elif lesson:
                refuse(entry, True, "not a regular file (a device, pipe or socket); not read")


def _lesson_files_in(folder: Path) -> int:
    """How many lesson files a skipped folder holds (links not followed; counting stops after a while)."""
    n = seen = 0
    for _, dirs, files in os.walk(folder):
        seen += len(dirs) + len(files)
        n += sum(Path(f).suffix.lower() in LESSON_SUFFIXES for f in files)
        if seen > MAX_COUNTED:
            break
    return n
