"""Read lesson files into `Lesson` objects with a stable identity (program, language, slug).

tutor.ingest.walk finds the files (staying inside the lessons folder) and tutor.ingest.folders says which are
lessons, and where they sit: the course layout `programs/<program>/lessons/<lang>/<slug>.mdx`, a flat folder,
or lesson folders with a README.md each. Each file is guarded (too big, too many headings, empty, binary, not
UTF-8) and parsed by its format's reader (tutor.ingest.readers: Markdown/MDX, plain text, saved web pages, PDF,
notebooks); its identity comes from its place and checked frontmatter (tutor.ingest.identity); quiz items
kept in files of their own are attached (tutor.ingest.quizfiles). Every unreadable file becomes a
`LessonError` warning naming it; the other lessons are still returned. What the run left out, and whether
that looks like a mistake, is said by tutor.ingest.coverage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tutor.errors import LessonError, LessonsNotFound
from tutor.ingest import quizfiles, readers
from tutor.ingest.coverage import coverage_warnings
from tutor.ingest.folders import LeftOut, Place, translated_language
from tutor.ingest.identity import frontmatter_ids, path_identity, place_identity
from tutor.ingest.mdx import Block, Quiz
from tutor.ingest.plaintext import shared_lines
from tutor.ingest.walk import survey_lessons
from tutor.text.instructions import model_addressed

log = logging.getLogger(__name__)

MAX_LESSON_BYTES = 5 * 1024 * 1024
MAX_BINARY_BYTES = 50 * 1024 * 1024  # a PDF or a notebook: images inside make them large
READER_VERSION = "4"  # in every content hash: bump when a file reads into other blocks, and each is re-indexed
MAX_HEADINGS = 1000  # per lesson, checked before any tokenising
MAX_BLOCKS = 20000  # paragraphs, lists, call-outs and headings per lesson


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
    quiz_source: str = ""  # quiz items from files of their own, as read: an edit there re-indexes the lesson
    quiz_files: list[str] = field(default_factory=list)  # those files, relative to the lessons directory
    reading: str = ""  # what else shaped how the file was read (a saved page's site lines): an edit re-indexes
    notes: list[LessonError] = field(default_factory=list)  # read, but with a warning (a refused frontmatter slug)

    @property
    def id(self) -> str:
        return f"{self.program}/{self.language}/{self.slug}"

    @property
    def content_hash(self) -> str:
        text = f"{READER_VERSION}\0{self.source}" + ("\0" + self.quiz_source if self.quiz_source else "")
        text += "\0" + self.reading if self.reading else ""
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class LoadReport:
    lessons: list[Lesson]
    warnings: list[LessonError]
    failed_paths: list[str]  # files that exist but could not be read: their indexed version is kept
    left_out: list[LeftOut] = field(default_factory=list)  # not lessons, each with its reason
    candidates: int = 0  # lesson-like files found (readers.SUFFIXES, outside skipped folders)


def read_lesson(path: Path, root: Path, place: Place | None = None, shared: frozenset[str] = frozenset()) -> Lesson:
    """One lesson file of any format (tutor.ingest.readers); `shared`: lines its site's other saved pages
    share with it, left out of a `.txt` page."""
    rel = path.relative_to(root).as_posix()
    suffix = path.suffix.lower()
    limit = MAX_BINARY_BYTES if suffix in (".pdf", ".ipynb") else MAX_LESSON_BYTES
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise LessonError(rel, "not a regular file (a device, pipe or socket); not read")
        if st.st_size > limit:
            size = f"{st.st_size / 2**20:.1f} MB"
            raise LessonError(rel, f"file is {size}, over the {limit >> 20} MB limit for a lesson; split it")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise LessonError(rel, f"file is over the {limit >> 20} MB limit for a lesson; split it")
    if not data.strip():
        raise LessonError(rel, "file is empty; write the lesson or delete the file")
    if suffix not in readers.BINARY and b"\x00" in data[:8192]:
        raise LessonError(rel, "file is binary, not a text lesson; remove it or rename its extension")
    text, meta, blocks, quizzes = readers.read_format(suffix, data, rel, shared)
    reading = ""
    if shared and suffix == ".txt":
        reading = "\n".join(sorted(shared & {line.strip() for line in text.splitlines()}))
    headings = sum(b.kind == "heading" for b in blocks)
    if headings > MAX_HEADINGS or len(blocks) > MAX_BLOCKS:
        raise LessonError(
            rel,
            f"{headings} headings and {len(blocks)} blocks, over the limits of {MAX_HEADINGS} and "
            f"{MAX_BLOCKS} for one lesson; split it",
        )
    if not any(b.kind != "heading" for b in blocks):
        raise LessonError(rel, "no lesson text after the frontmatter; write the lesson or delete the file")
    ids, problems = frontmatter_ids(meta, rel)  # a slug like "../../etc" is refused, with a warning
    said = [s for b in blocks if b.kind in ("text", "callout") for s in model_addressed(b.text)]
    if said:  # lesson text is data: such sentences are never quoted as the answer nor given to the model
        problems.append(
            LessonError(
                rel,
                f"{len(said)} sentence(s) speak to the model, not the learner (“{said[0][:80]}”): they are never "
                "quoted as the lessons' answer; rewrite or remove them",
            )
        )
    if place is None:
        program, language, slug = path_identity(PurePosixPath(rel), ids, root.name)
        first = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    else:  # a lesson folder: identity from the folder path, title from the first heading
        program, language, slug = place_identity(place, ids)
        if place.order is not None and "order" not in meta:
            meta["order"] = place.order
        first = next((b.text for b in blocks if b.kind == "heading"), None)
        if first and place.kind == "companion" and path.parent.name.lower() not in first.lower():
            first = f"{path.parent.name.capitalize()}: {first}"  # "Lab: Multi-Class Classification ..."
    title = str(meta.get("title") or first or slug.rsplit("/", 1)[-1].replace("-", " ").capitalize())
    return Lesson(program, language, slug, rel, title, text, blocks, quizzes, meta, reading=reading, notes=problems)


def load_lessons(
    root: Path, *, outside_roots: Sequence[Path] = (), indexed: Mapping[str, str] | None = None
) -> LoadReport:
    """Every readable lesson below root; each unreadable one becomes a warning naming it.

    `indexed`: lesson id -> path of the lessons already in the index. When two files claim one id, the file
    the index already has for it keeps it (else the first by path), and the newcomer is named and skipped.
    """
    root = Path(root)
    survey = survey_lessons(root, outside_roots=outside_roots)  # raises if root is missing: index untouched
    warnings, failed = survey.warnings, survey.failed
    indexed = indexed or {}
    claims: dict[str, list[Lesson]] = {}
    places: dict[str, Place | None] = {}
    site = _site_lines(list(survey.places))
    for path, place in survey.places.items():
        try:
            lesson = read_lesson(path, root, place, site.get(path.parent, frozenset()))
        except LessonError as exc:
            warnings.append(exc)
            failed.append(exc.path)
            continue
        except OSError as exc:
            rel = path.relative_to(root).as_posix()
            warnings.append(LessonError(rel, f"unreadable: {exc.strerror or exc}"))
            failed.append(rel)
            continue
        places[lesson.path] = place
        warnings += lesson.notes
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
    warnings += _attach_quizzes(root, lessons, places, outside_roots)
    warnings += coverage_warnings(survey.left_out, survey.candidates, len(lessons), len(set(survey.failed)))
    for w in warnings:
        log.warning("%s", w)
    return LoadReport(sorted(lessons, key=_order), warnings, failed, survey.left_out, survey.candidates)


def _site_lines(paths: Sequence[Path]) -> dict[Path, frozenset[str]]:
    """folder -> the lines its `.txt` pages share (a saved site's menus and footer; tutor.ingest.plaintext)."""
    by_folder: dict[Path, list[str]] = {}
    for path in paths:
        if path.suffix.lower() == ".txt":
            try:
                by_folder.setdefault(path.parent, []).append(path.read_bytes()[:MAX_LESSON_BYTES].decode("utf-8-sig"))
            except (OSError, UnicodeDecodeError):
                continue  # reading it as a lesson will say why
    return {folder: shared_lines(texts) for folder, texts in by_folder.items() if len(texts) > 1}


def _attach_quizzes(
    root: Path, lessons: list[Lesson], places: Mapping[str, Place | None], outside_roots: Sequence[Path]
) -> list[LessonError]:
    """Quiz items from files of their own: `<lesson>.quiz.yaml` / a folder's `quiz.yaml`, and quiz-app JSON."""
    warnings: list[LessonError] = []
    extra: dict[str, list[tuple[str, str]]] = {}  # lesson id -> [(file, its text or quiz ids)]
    for le in lessons:
        place = places.get(le.path)
        beside = quizfiles.quiz_yaml_for(root / le.path, place is not None and place.kind != "page")
        if beside is not None:
            rel = beside.relative_to(root).as_posix()
            items, text, problems = quizfiles.read_quiz_yaml(beside, rel)
            le.quizzes = [*le.quizzes, *items]
            warnings += problems
            extra.setdefault(le.id, []).append((rel, text))
    allowed = [root.resolve(), *(Path(r).resolve() for r in outside_roots)]
    files = []
    for path in quizfiles.find_quiz_json(root, allowed):
        qf, problems = quizfiles.read_quiz_app(path, path.relative_to(root).as_posix())
        warnings += problems
        if qf is not None:
            files.append(qf)
    if files:
        targets = [
            quizfiles.Target(
                le.id,
                le.language,
                le.title,
                le.source,
                place.number if place else None,
                place.kind if place else "lesson",
            )
            for le in lessons
            for place in [places.get(le.path)]
        ]
        by_path = {f.path: f for f in files}
        for lid, given in quizfiles.link_quizzes(targets, files).items():
            le = next(x for x in lessons if x.id == lid)
            for rel, qid in given:
                le.quizzes = [*le.quizzes, *by_path[rel].quizzes[qid][1]]
                rows = [[q.question, q.options, q.answer] for q in by_path[rel].quizzes[qid][1]]
                extra.setdefault(lid, []).append((rel, json.dumps([qid, rows])))
    for le in lessons:
        if le.id in extra:
            le.quiz_files = list(dict.fromkeys(rel for rel, _ in extra[le.id]))
            le.quiz_source = "\n".join(f"{rel}\n{text}" for rel, text in extra[le.id])
    return warnings


def _order(lesson: Lesson) -> tuple[str, str, float, str]:
    try:
        order = float(lesson.meta.get("order", 1e9))
    except (TypeError, ValueError):
        order = 1e9
    return (lesson.program, lesson.language, order, lesson.slug)


def program_titles(root: Path) -> dict[str, str]:
    """program slug -> title: from each program.json below root (missing or broken files are skipped), and
    for a course of lesson folders, each section README's first heading."""
    titles: dict[str, str] = {}
    try:
        survey = survey_lessons(Path(root))
    except LessonsNotFound:
        survey = None
    for path, place in survey.places.items() if survey else ():
        if place and place.kind == "section" and place.slug == place.program and not translated_language(path.name):
            try:
                heading = re.search(r"(?m)^#{1,6}\s+(.+?)\s*#*\s*$", path.read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError):
                continue
            if heading:
                titles[place.program] = heading.group(1)
    for pj in Path(root).rglob("program.json"):
        try:
            data = json.loads(pj.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            titles[str(data.get("slug") or pj.parent.name)] = str(data.get("title") or pj.parent.name)
    return titles
