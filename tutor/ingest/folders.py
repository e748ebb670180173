"""Which files of a course folder are lessons, and as what: lesson folders, sections and what stays out.

Pure path logic over the candidate files a walk found (POSIX paths relative to the lessons folder); nothing is
read here. Three shapes are told apart:

- A **lesson folder**: a folder whose lesson file is `README.md` or `index.md` (`.mdx` too). Its slug is the
  lower-cased folder path, its order the number its folder name starts with (`03-Perceptron` -> 3).
- A **section**: a folder with lesson folders below it. Top-level sections are the course's programs
  (`2-Regression/1-Tools/README.md` -> program `2-regression`, slug `1-tools`); the section's own README is
  the program's overview lesson (slug = the program, order 0) and its first heading the program's title. A
  lesson folder at the top of a course that has sections is a program of its own; in a course without
  sections every lesson is in the course's program (the folder's name, as for flat folders).
- A **companion folder** (`lab/`, `assignment/`, `exercises/`) inside a lesson folder: its README is a lesson
  of its own, ordered right after its lesson (`03-perceptron/lab`).

A **translated README** (`README.es.md`, `index.pt-BR.md`) beside a lesson folder's README is that lesson in
the language its name gives: the same program and slug, another language (`2-regression/es/1-tools`), as a
file under `lessons/es/` is for the course layout. Other `.md` files inside those folders are lessons too,
slugged below their folder. Left out, each with its reason: the repository's or the course folder's own README
(and their translations), LICENSE / CONTRIBUTING / SOURCE and such, a tool's .txt list (requirements.txt,
robots.txt), files outside a course's `lessons/` folder, and whole folders of translations, images,
sketchnotes, solutions or an app (a folder with a package.json); the walk skips those folders (`skip_folder`),
and their files are not counted as candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from tutor.ingest.mdx import LANG_DIR

FOLDER_LESSON_FILES = {"readme.md", "readme.mdx", "index.md", "index.mdx"}
REPO_FILES = {
    "license",
    "licence",
    "source",
    "changelog",
    "contributing",
    "code_of_conduct",
    "security",
    "support",
    "authors",
    "notice",
}
SKIPPED_FOLDERS = {
    "translations": "translations are not read (the lessons are read in their own language)",
    "translation": "translations are not read (the lessons are read in their own language)",
    "images": "a folder of images, not lesson text",
    "img": "a folder of images, not lesson text",
    "sketchnotes": "a folder of sketchnotes (images), not lesson text",
    "solution": "a folder of solutions, not lesson text",
    "solutions": "a folder of solutions, not lesson text",
    "node_modules": "installed packages, not lesson text",
}
APP_MARKER = "package.json"  # a folder holding one is an app (a quiz site), not lessons
COMPANIONS = {"lab", "labs", "assignment", "assignments", "exercise", "exercises", "homework"}
TRANSLATED_README = re.compile(r"^(readme|index)\.([a-z]{2}([-_][a-z]{2,4})?)$", re.I)  # README.es, index.pt-BR
MARKDOWN = (".md", ".mdx")
LEADING_NUMBER = re.compile(r"^(\d+)(?=\D|$)")
OUTSIDE_LESSONS = "outside the course's lessons/ folders"
DATA_TXT = re.compile(r"^(requirements|constraints|robots|cmakelists|runtime|environment)([-_.].*)?$")  # .txt


@dataclass(frozen=True)
class Place:
    """Where a file sits in the course: its identity and role."""

    program: str
    slug: str
    language: str | None  # from a language folder under lessons/, else None (frontmatter or "en")
    order: float | None  # within the program; None: the frontmatter's or none
    kind: str  # "lesson", "section" (a program's overview), "companion" (a lab), "page" (another file)
    number: int | None = None  # the lesson's number from its folder name, for linking quiz files


@dataclass(frozen=True)
class LeftOut:
    path: str  # a file, or a folder ending in "/"
    reason: str
    files: int = 1  # lesson-like files it stands for (a folder: those inside it)


def slugify(name: str) -> str:
    """'3-NeuralNetworks' -> '3-neuralnetworks'; 'My Lesson!' -> 'my-lesson'."""
    return re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-.") or "lesson"


def folder_number(name: str) -> int | None:
    m = LEADING_NUMBER.match(name)
    return int(m.group(1)) if m else None


def translated_language(name: str) -> str | None:
    """The language a translated README's file name gives ('README.pt-BR.md' -> 'pt-BR'), else None."""
    p = PurePosixPath(name)
    m = TRANSLATED_README.match(p.stem) if p.suffix.lower() in MARKDOWN else None
    return m.group(2)[:2].lower() + m.group(2)[2:] if m else None


def skip_folder(name: str, has_app_marker: bool) -> str | None:
    """The reason a folder is not walked into, or None."""
    if has_app_marker:
        return "an app's folder (it holds a package.json), not lessons"
    return SKIPPED_FOLDERS.get(name.lower())


def _container(parts: tuple[str, ...]) -> int:
    """Index where the course tree starts: after the last `lessons` folder, else 0."""
    return len(parts) - parts[::-1].index("lessons") if "lessons" in parts else 0


def plan(rels: list[str], root_name: str) -> tuple[dict[str, Place | None], list[LeftOut]]:
    """(path -> place for each file taken in, files left out). A place of None: the file is read with the
    path rules of flat folders and `programs/<program>/lessons/<lang>/<slug>.mdx` (see tutor.ingest.identity)."""
    paths = [PurePosixPath(r) for r in rels]
    in_course = any("lessons" in p.parts[:-1] for p in paths)
    take: dict[str, Place | None] = {}
    left: list[LeftOut] = []
    folder_files: dict[tuple[str, ...], str] = {}  # lesson folder (parts) -> its README/index path
    translated: dict[tuple[str, ...], dict[str, str]] = {}  # lesson folder -> language -> its README.<lang>.md
    for p, rel in zip(paths, rels):
        name, stem = p.name.lower(), p.stem.lower()
        folders = p.parts[:-1]
        start = _container(folders)
        inner = folders[start:]
        if in_course and start and inner and LANG_DIR.match(inner[0]):
            inner = inner[1:]
        if stem in REPO_FILES:
            left.append(LeftOut(rel, "a repository file (licence, contributing, source notes), not a lesson"))
        elif p.suffix.lower() == ".txt" and DATA_TXT.match(stem):
            left.append(LeftOut(rel, "a tool's list (requirements, robots), not a lesson"))
        elif TRANSLATED_README.match(stem) and not translated_language(p.name):
            left.append(LeftOut(rel, "a README's translation in another format than Markdown; not read"))
        elif translated_language(p.name) and not folders:
            left.append(LeftOut(rel, "a translation of the repository's own README, not a lesson"))
        elif name in FOLDER_LESSON_FILES and not folders:
            left.append(LeftOut(rel, "the repository's own README (an overview of the repository), not a lesson"))
        elif in_course and "lessons" not in folders and (name in FOLDER_LESSON_FILES or translated_language(p.name)):
            left.append(LeftOut(rel, "a folder's README outside the course's lessons/ folders (its overview)"))
        elif in_course and "lessons" not in folders:
            left.append(LeftOut(rel, OUTSIDE_LESSONS))
        elif name in FOLDER_LESSON_FILES and not inner:
            left.append(LeftOut(rel, "the course folder's own README (an overview of the course), not a lesson"))
        elif translated_language(p.name) and not inner:
            left.append(LeftOut(rel, "a translation of the course folder's own README, not a lesson"))
        elif lang := translated_language(p.name):
            same = translated.setdefault(tuple(folders), {})
            if lang in same:  # README.es.md and index.es.md: the README wins, as for the lesson itself
                left.append(LeftOut(rel, f"its folder's lesson in {lang} is {same[lang]}; one file a language"))
            else:
                same[lang] = rel
        elif name in FOLDER_LESSON_FILES:
            key = tuple(folders)
            if key in folder_files:  # README.md and index.md in one folder: the README wins
                left.append(LeftOut(rel, f"its folder's lesson is {folder_files[key]}; one lesson file a folder"))
            else:
                folder_files[key] = rel
        else:
            take[rel] = None
    return _places(folder_files, translated, take, root_name, in_course), left


def _places(
    folder_files: dict[tuple[str, ...], str],
    translated: dict[tuple[str, ...], dict[str, str]],
    take: dict[str, Place | None],
    root_name: str,
    in_course: bool,
) -> dict[str, Place | None]:
    def inner(folders: tuple[str, ...]) -> tuple[tuple[str, ...], str | None, str | None]:
        """(folders inside the course tree, language folder, program from `<program>/lessons/`)."""
        start = _container(folders)
        rest, lang = folders[start:], None
        if in_course and start and rest and LANG_DIR.match(rest[0]):
            lang, rest = rest[0], rest[1:]
        program = folders[start - 2] if start >= 2 else None
        return rest, lang, program

    lesson_dirs = sorted({*folder_files, *translated})  # a folder with a translated README alone is a lesson too
    trees = {f: inner(f) for f in lesson_dirs}
    companion = {f for f, (rest, _, _) in trees.items() if rest[-1].lower() in COMPANIONS and f[:-1] in trees}
    lesson_trees = [trees[f][0] for f in lesson_dirs if f not in companion]
    sections = {t[:k] for t in lesson_trees for k in range(1, len(t))}  # folders with lesson folders below
    has_sections = bool(sections)
    out = dict(take)

    def place(rest: tuple[str, ...], lang: str | None, program: str | None, kind: str, tail: str = "") -> Place:
        if program is None and has_sections:
            program = slugify(rest[0])
            slug_parts = rest[1:] or rest[:1]  # a top-level folder: the program's own lesson
        else:
            program = program or root_name
            slug_parts = rest
        slug = "/".join([*(slugify(x) for x in slug_parts), *([tail] if tail else [])])
        number = folder_number(rest[-1])
        order: float | None = float(number) if number is not None else None
        if kind == "section":
            order = 0.0
        elif kind == "companion":
            parent = folder_number(rest[-2]) if len(rest) > 1 else None
            order = parent + 0.5 if parent is not None else None
        elif kind == "page" and order is not None:
            order += 0.6
        return Place(program, slug, lang, order, kind, number if kind == "lesson" else None)

    for f in lesson_dirs:
        rest, lang, program = trees[f]
        kind = "companion" if f in companion else "section" if rest in sections else "lesson"
        if f in folder_files:
            out[folder_files[f]] = place(rest, lang, program, kind)
        for language, rel in translated.get(f, {}).items():  # the same lesson, in the language of its name
            out[rel] = place(rest, language, program, kind)
    lesson_folders = set(lesson_dirs)
    for rel in take:  # another .md file inside a lesson folder or a section: slugged below that folder
        p = PurePosixPath(rel)
        folders = p.parts[:-1]
        if any(folders[:k] in lesson_folders for k in range(1, len(folders) + 1)):
            rest, lang, program = inner(folders)
            if rest:
                out[rel] = place(rest, lang, program, "page", slugify(p.stem))
    return out
