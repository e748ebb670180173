"""Read .md/.mdx lessons into `Lesson` objects: frontmatter, identity, text blocks with source spans, quizzes.

A lesson's retrievable text is a list of `Block`s, each carrying the character span it came from in the
source file, so that a UI can show and highlight the exact passage. MDX components are interpreted:
`<Quiz .../>` becomes a structured `Quiz` and never enters the text; `<ThinkAboutIt>`, `<FunFact>` and
`<Callout>` keep their text under a label; `<Illustration>` keeps alt and caption; imports, exports, MDX
comments and other JSX tags are dropped. A file that cannot be read raises `LessonError` naming it.
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

import yaml

from tutor.errors import LessonError, LessonsNotFound

log = logging.getLogger(__name__)

LESSON_SUFFIXES = (".md", ".mdx")
NOT_LESSONS = {"readme", "source", "license", "licence", "changelog", "contributing", "code_of_conduct"}
MAX_LESSON_BYTES = 5 * 1024 * 1024
LABELS = {"ThinkAboutIt": "Think about it", "FunFact": "Fun fact", "Callout": "Note"}
LANG_DIR = re.compile(r"^[a-z]{2}([-_][A-Za-z]{2,4})?$")  # "en", "pt-BR"
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
ATTR_NAME = re.compile(r"([A-Za-z_][\w-]*)\s*=\s*")
TAG_OPEN = re.compile(r"^<([A-Z][A-Za-z0-9]*)\b")
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")


@dataclass(frozen=True)
class Quiz:
    question: str
    options: list[str]
    answer: int  # 0-based index into options
    explanation: str
    line: int


@dataclass(frozen=True)
class Block:
    """A piece of retrievable text: a heading, a paragraph, a list, a labelled call-out."""

    kind: str  # "heading", "text", "callout", "illustration", "code"
    text: str
    start: int  # character offsets into the source file, end exclusive
    end: int
    level: int = 0  # heading level, 1..6


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


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _parse_frontmatter(text: str, path: str) -> tuple[dict[str, Any], int]:
    """(frontmatter, offset where the body starts)."""
    if not text.startswith("---"):
        return {}, 0
    m = re.match(r"---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|$)", text, re.S)
    if not m:
        raise LessonError(path, "frontmatter opened with '---' is never closed; add a closing '---' line", 1)
    try:
        data = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise LessonError(path, f"malformed frontmatter: {problem}; fix the YAML", line) from None
    if not isinstance(data, dict):
        raise LessonError(path, "frontmatter must be a mapping of 'key: value' lines", 2)
    return data, m.end()


def _attrs(tag: str) -> dict[str, str]:
    """JSX attributes: name="..", name='..' or name={expression}; an array expression becomes 'a|b|c'."""
    out: dict[str, str] = {}
    i, n = 0, len(tag)
    while True:
        m = ATTR_NAME.search(tag, i)
        if not m:
            return out
        name, i = m.group(1), m.end()
        if i >= n:
            return out
        if tag[i] in "\"'":
            end = tag.find(tag[i], i + 1)
            end = n if end < 0 else end
            out[name], i = tag[i + 1 : end], end + 1
            continue
        depth, j, quote = 0, i, ""
        while j < n:  # a balanced {expression}, quotes respected
            ch = tag[j]
            if quote:
                quote = "" if ch == quote and tag[j - 1] != "\\" else quote
            elif ch in "\"'`":
                quote = ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        expr = tag[i + 1 : j].strip()
        i = j + 1
        try:
            value = json.loads(expr)
        except ValueError:
            value = expr.strip("\"'`")
        out[name] = "|".join(map(str, value)) if isinstance(value, list) else str(value)


def _quiz(tag: str, path: str, line: int) -> Quiz:
    a = _attrs(tag)
    options = [o.strip() for o in a.get("options", "").split("|") if o.strip()]
    if not a.get("question") or len(options) < 2:
        raise LessonError(path, "<Quiz> needs a question and at least two '|'-separated options", line)
    try:
        answer = int(next((a[k] for k in ("answer", "correct", "correctAnswer", "answerIndex") if k in a), ""))
    except ValueError:
        raise LessonError(path, "<Quiz> answer must be the 0-based index of the right option", line) from None
    if not 0 <= answer < len(options):
        raise LessonError(path, f"<Quiz> answer {answer} is not an option index (0..{len(options) - 1})", line)
    return Quiz(a["question"].strip(), options, answer, a.get("explanation", "").strip(), line)


def _clean_inline(text: str) -> str:
    """Drop emoji and MDX expression comments; keep Markdown emphasis (it reads fine to models)."""
    text = re.sub(r"\{/\*.*?\*/\}", "", text, flags=re.S)
    return EMOJI.sub("", text).strip()


def parse_lesson(text: str, path: str) -> tuple[dict[str, Any], list[Block], list[Quiz]]:
    """Parse one lesson's source into frontmatter, retrievable blocks and quizzes."""
    meta, pos = _parse_frontmatter(text, path)
    blocks: list[Block] = []
    quizzes: list[Quiz] = []
    para_start: int | None = None
    para_end = 0
    in_fence = False
    label: tuple[str, int, int] | None = None  # (component, line, offset) of an open labelled component

    def flush() -> None:
        nonlocal para_start
        if para_start is not None:
            body = _clean_inline(text[para_start:para_end])
            if body:
                kind = "code" if body.startswith("```") else "text"
                if label:
                    body, kind = f"{LABELS[label[0]]}: {body}", "callout"
                blocks.append(Block(kind, body, para_start, para_end))
            para_start = None

    lines = text[pos:].splitlines(keepends=True)
    offset = pos
    i = 0
    while i < len(lines):
        raw = lines[i]
        start, end = offset, offset + len(raw.rstrip("\r\n"))
        stripped = raw.strip()
        offset += len(raw)
        i += 1
        if in_fence or stripped.startswith("```") or stripped.startswith("~~~"):
            if stripped.startswith("```") or stripped.startswith("~~~"):
                in_fence = not in_fence
            para_start = start if para_start is None else para_start
            para_end = end
            continue
        if not stripped:
            flush()
            continue
        if para_start is None and re.match(r"^(import|export)\s", stripped):
            continue
        if stripped in ("---", "***", "___") or re.fullmatch(r"\{/\*.*\*/\}", stripped):
            flush()
            continue
        heading = HEADING.match(stripped)
        if heading and not label:
            flush()
            title = _clean_inline(heading.group(2))
            if title:
                blocks.append(Block("heading", title, start, end, level=len(heading.group(1))))
            continue
        tag = TAG_OPEN.match(stripped)
        if tag:
            flush()
            name = tag.group(1)
            line_no = _line_of(text, start)
            if name in LABELS:
                if label:
                    raise LessonError(path, f"<{name}> opened inside unclosed <{label[0]}>", line_no)
                label = (name, line_no, start)
                gt = raw.find(">", raw.find("<" + name) + len(name) + 1)
                inline = raw.rstrip("\r\n")[gt + 1 :] if gt >= 0 else ""
                if inline.strip():  # text on the tag's own line, maybe closed there too
                    lead = len(inline) - len(inline.lstrip())
                    para_start, para_end = start + gt + 1 + lead, end
                    close = f"</{name}>"
                    if inline.rstrip().endswith(close):
                        para_end = start + gt + 1 + len(inline.rstrip()) - len(close)
                        flush()
                        label = None
                continue
            # a self-closing tag may run over several lines: gather until '/>' or '>'
            whole, tag_end = stripped, end
            while not re.search(r"/?>\s*$", whole) and i < len(lines):
                whole += " " + lines[i].strip()
                tag_end = offset + len(lines[i].rstrip("\r\n"))
                offset += len(lines[i])
                i += 1
            if not re.search(r"/?>\s*$", whole):
                raise LessonError(path, f"<{name}> is never closed: end it with '/>'", line_no)
            if name == "Quiz":
                quizzes.append(_quiz(whole, path, line_no))
            elif name == "Illustration":
                a = _attrs(whole)
                alt = ". ".join(x.strip().rstrip(".") for x in (a.get("alt"), a.get("caption")) if x)
                if alt:
                    blocks.append(Block("illustration", f"Illustration: {alt}.", start, tag_end))
            continue  # any other JSX tag is dropped; text between such tags stays
        closing = re.match(r"^</([A-Z][A-Za-z0-9]*)>$", stripped)
        if closing:
            flush()
            if closing.group(1) in LABELS:
                if not label or label[0] != closing.group(1):
                    raise LessonError(path, f"</{closing.group(1)}> closes nothing", _line_of(text, start))
                label = None
            continue
        para_start = start if para_start is None else para_start
        para_end = end
        if label and stripped.endswith(f"</{label[0]}>"):  # text line that closes the component
            para_end = end - len(f"</{label[0]}>")
            flush()
            label = None
    flush()
    if in_fence:
        log.debug("%s: code fence left open at end of file", path)
    if label:
        raise LessonError(path, f"<{label[0]}> is never closed: add </{label[0]}>", label[1])
    return meta, blocks, quizzes


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
