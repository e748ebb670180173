"""The MDX/Markdown parser: frontmatter, headings, paragraphs and components, each with its source span.

`parse_lesson` turns one file's text into (frontmatter, blocks, quizzes). MDX components are interpreted:
`<Quiz .../>` becomes a structured `Quiz` and never enters the text; `<ThinkAboutIt>`, `<FunFact>` and
`<Callout>` keep their text under a label (also when written on one line); `<Illustration>` keeps alt and
caption; imports, exports, MDX comments and other JSX tags are dropped. Attributes may be strings or JSX
expressions (`options={["a", "b"]}`, `answer={1}`). HTML and images inside the Markdown are read as text
(tutor.ingest.markup): `![alt](...)` and `<img alt>` become "Image: alt." descriptions, `<br>`, `<a>`, `<sup>`,
`<details>` and HTML tables their text. Problems raise `LessonError` with the line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from tutor.errors import LessonError
from tutor.ingest.markup import has_markup, read_paragraph

LABELS = {"ThinkAboutIt": "Think about it", "FunFact": "Fun fact", "Callout": "Note"}
LANG_DIR = re.compile(r"^[a-z]{2}([-_][A-Za-z]{2,4})?$")  # "en", "pt-BR"
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
ATTR_NAME = re.compile(r"([A-Za-z_][\w-]*)\s*=\s*")
TAG_OPEN = re.compile(r"^<([A-Z][A-Za-z0-9]*)\b")
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")
MAX_FRONTMATTER = 64 * 1024  # characters
MAX_TAG_LINES = 40  # a component tag spread over more lines than this is taken as unclosed


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


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when built with it: 2-3x faster


def load_yaml(text: str, loader: Any = _LOADER) -> Any:
    """YAML's safe loader, refusing aliases (`*name`) before anything is built: a few nested aliases expand
    to gigabytes (an alias bomb), and neither frontmatter nor quiz files need them."""
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                "YAML aliases (*name) are not allowed in frontmatter",
                event.start_mark,  # type: ignore[arg-type]
            )
    return yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)


def parse_yaml(text: str) -> Any:
    """`load_yaml` for a whole file (a quiz file): its errors raised as ValueError("line N: problem")."""
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ValueError(f"{where}{getattr(exc, 'problem', None) or 'invalid YAML'}") from None


def _parse_frontmatter(text: str, path: str) -> tuple[dict[str, Any], int]:
    """(frontmatter, offset where the body starts)."""
    if not text.startswith("---"):
        return {}, 0
    m = re.match(r"---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|$)", text, re.S)
    if not m:
        raise LessonError(path, "frontmatter opened with '---' is never closed; add a closing '---' line", 1)
    if len(m.group(1)) > MAX_FRONTMATTER:
        raise LessonError(path, f"frontmatter is over {MAX_FRONTMATTER // 1024} KB; keep it to a few fields", 1)
    try:
        data = load_yaml(m.group(1)) or {}
    except yaml.YAMLError as fast_exc:
        exc = fast_exc
        try:  # the pure-Python parser places the error more precisely; errors are rare, so ask it
            load_yaml(m.group(1), yaml.SafeLoader)
        except yaml.YAMLError as slow_exc:
            exc = slow_exc
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


def _scan_tag(line: str, col: int, state: tuple[str, int]) -> tuple[int | None, tuple[str, int]]:
    """Where the tag ends in `line` (the index of its closing '>'), scanning from `col` with `state` = (open
    quote, brace depth) carried over from the tag's previous lines; None and the new state if it goes on."""
    quote, depth = state
    for j in range(col, len(line)):
        ch = line[j]
        if quote:
            quote = "" if ch == quote and line[j - 1] != "\\" else quote
        elif ch in "\"'`":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif ch == ">" and depth == 0:
            return j, ("", 0)
    return None, (quote, depth)


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


# "[Pre-lecture quiz](https://...)" -> "Pre-lecture quiz": what a heading shows, and so its section's name
MD_LINK = re.compile(r"\[([^\[\]]+)\]\((?:[^()\s]|\([^()]*\))*\)")
# "## [Pre-lecture quiz](https://.../quiz/103)": a heading that only links to a quiz marks where the quiz is
# taken, not a section; the text after it stays in the section before (the lesson's opening)
QUIZ_HEADING = re.compile(r"^\[[^\[\]]+\]\([^()\s]*quiz[^()\s]*\)$", re.I)


def _clean_inline(text: str) -> str:
    """Drop emoji and MDX expression comments; keep Markdown emphasis (it reads fine to models)."""
    text = re.sub(r"\{/\*.*?\*/\}", "", text, flags=re.S)
    return EMOJI.sub("", text).strip()


@dataclass
class _BodyReader:
    """A lesson's body read line by line; the open paragraph, code fence and labelled component carry over
    from line to line, and a component tag may take the lines after it."""

    text: str  # the whole source: offsets and line numbers count from its start
    path: str
    lines: list[str]
    offset: int  # where the next line starts in `text`
    i: int = 0  # the next line's index in `lines`
    blocks: list[Block] = field(default_factory=list)
    quizzes: list[Quiz] = field(default_factory=list)
    para_start: int | None = None
    para_end: int = 0
    in_fence: bool = False
    label: tuple[str, int, int] | None = None  # (component, line, offset) of an open labelled component

    def read(self) -> None:
        while self.i < len(self.lines):
            raw = self.lines[self.i]
            start, end = self.offset, self.offset + len(raw.rstrip("\r\n"))
            self.offset += len(raw)
            self.i += 1
            self._line(raw, start, end)
        self.flush()
        if self.label:
            raise LessonError(self.path, f"<{self.label[0]}> is never closed: add </{self.label[0]}>", self.label[1])

    def flush(self) -> None:
        """The open paragraph as blocks: text, code, a labelled call-out, an HTML heading, its images."""
        para_start, para_end, label = self.para_start, self.para_end, self.label
        if para_start is not None:
            body = _clean_inline(self.text[para_start:para_end])
            kind = "code" if body.startswith("```") else "text"
            images: list[str] = []
            if kind == "text" and has_markup(body):  # HTML and images read as text (tutor.ingest.markup)
                read = read_paragraph(body)
                body, images = read.text, read.images
                if read.level and body and not label:
                    self.blocks.append(Block("heading", body, para_start, para_end, level=read.level))
                    body = ""
            if body:
                if label:
                    body, kind = f"{LABELS[label[0]]}: {body}", "callout"
                self.blocks.append(Block(kind, body, para_start, para_end))
            for alt in images:
                self.blocks.append(Block("illustration", f"Image: {alt.rstrip('.')}.", para_start, para_end))
            self.para_start = None

    def _line(self, raw: str, start: int, end: int) -> None:
        """One source line, `start`..`end` in the text without its line break."""
        stripped = raw.strip()
        if self.in_fence or stripped.startswith("```") or stripped.startswith("~~~"):
            if stripped.startswith("```") or stripped.startswith("~~~"):
                self.in_fence = not self.in_fence
            self._extend(start, end)
            return
        if not stripped:
            self.flush()
            return
        if self.para_start is None and re.match(r"^(import|export)\s", stripped):
            return
        if stripped in ("---", "***", "___") or re.fullmatch(r"\{/\*.*\*/\}", stripped):
            self.flush()
            return
        heading = HEADING.match(stripped)
        if heading and not self.label:
            self._heading(heading, start, end)
            return
        tag = TAG_OPEN.match(stripped)
        if tag:
            self._component(tag.group(1), raw, start, end)
            return
        closing = re.match(r"^</([A-Z][A-Za-z0-9]*)>$", stripped)
        if closing:
            self._close_label(closing.group(1), start)
            return
        self._extend(start, end)
        if self.label and stripped.endswith(f"</{self.label[0]}>"):  # text line that closes the component
            self.para_end = end - len(f"</{self.label[0]}>")
            self.flush()
            self.label = None

    def _extend(self, start: int, end: int) -> None:
        """The open paragraph runs on to `end`; one opens at `start` if none is."""
        self.para_start = start if self.para_start is None else self.para_start
        self.para_end = end

    def _heading(self, heading: re.Match[str], start: int, end: int) -> None:
        self.flush()
        if QUIZ_HEADING.match(heading.group(2).strip()):
            return
        title = MD_LINK.sub(r"\1", _clean_inline(heading.group(2)))  # a linked heading names its text
        if title:
            self.blocks.append(Block("heading", title, start, end, level=len(heading.group(1))))

    def _component(self, name: str, raw: str, start: int, end: int) -> None:
        """A JSX tag opening on this line: a labelled component opens; a quiz or illustration is read; any
        other tag is dropped, and text between such tags stays."""
        self.flush()
        line_no = _line_of(self.text, start)
        if name in LABELS:
            self._open_label(name, raw, start, end, line_no)
            return
        whole, last_raw, last_start, stop = self._whole_tag(name, raw, start, line_no)
        tag_end = last_start + stop + 1
        if name == "Quiz":
            self.quizzes.append(_quiz(whole, self.path, line_no))
        elif name == "Illustration":
            a = _attrs(whole)
            alt = ". ".join(x.strip().rstrip(".") for x in (a.get("alt"), a.get("caption")) if x)
            if alt:
                self.blocks.append(Block("illustration", f"Illustration: {alt}.", start, tag_end))
        rest = last_raw[stop + 1 :].rstrip("\r\n")
        if rest.strip():  # text after the tag on its last line stays
            self.para_start = tag_end + len(rest) - len(rest.lstrip())
            self.para_end = last_start + len(last_raw.rstrip("\r\n"))
            if rest.rstrip().endswith(f"</{name}>"):  # <Badge>text</Badge> on one line: the text stays
                self.para_end = last_start + len(last_raw.rstrip()) - len(f"</{name}>")

    def _whole_tag(self, name: str, raw: str, start: int, line_no: int) -> tuple[str, str, int, int]:
        """A tag may run over several lines: it ends at the first '>' outside quotes and {braces}.
        (the tag's text on one line, its last line, where that line starts, the index of '>' in it)"""
        col, parts, cur_raw, cur_start, state = raw.index("<"), [], raw, start, ("", 0)
        while True:
            stop, state = _scan_tag(cur_raw, col, state)
            if stop is not None:
                parts.append(cur_raw[col : stop + 1].strip())
                return " ".join(parts), cur_raw, cur_start, stop
            parts.append(cur_raw[col:].strip())
            nxt = self.lines[self.i] if self.i < len(self.lines) else ""
            if not nxt.strip() or len(parts) >= MAX_TAG_LINES or (state == ("", 0) and nxt.lstrip()[:1] in "<#"):
                raise LessonError(self.path, f"<{name}> opened here is never closed: end it with '/>'", line_no)
            cur_raw, cur_start, col = nxt, self.offset, 0
            self.offset += len(nxt)
            self.i += 1

    def _open_label(self, name: str, raw: str, start: int, end: int, line_no: int) -> None:
        """<ThinkAboutIt>, <FunFact>, <Callout>: their text goes under a label; it may follow the tag on its
        line and close there too."""
        if self.label:
            raise LessonError(self.path, f"<{name}> opened inside unclosed <{self.label[0]}>", line_no)
        self.label = (name, line_no, start)
        gt = raw.find(">", raw.find("<" + name) + len(name) + 1)
        inline = raw.rstrip("\r\n")[gt + 1 :] if gt >= 0 else ""
        if inline.strip():  # text on the tag's own line, maybe closed there too
            lead = len(inline) - len(inline.lstrip())
            self.para_start, self.para_end = start + gt + 1 + lead, end
            close = f"</{name}>"
            if inline.rstrip().endswith(close):
                self.para_end = start + gt + 1 + len(inline.rstrip()) - len(close)
                self.flush()
                self.label = None

    def _close_label(self, name: str, start: int) -> None:
        """A closing tag alone on its line; only a labelled component's must match an open one."""
        self.flush()
        if name in LABELS:
            if not self.label or self.label[0] != name:
                raise LessonError(self.path, f"</{name}> closes nothing", _line_of(self.text, start))
            self.label = None


def parse_lesson(text: str, path: str) -> tuple[dict[str, Any], list[Block], list[Quiz]]:
    """Parse one lesson's source into frontmatter, retrievable blocks and quizzes."""
    meta, pos = _parse_frontmatter(text, path)
    reader = _BodyReader(text, path, text[pos:].splitlines(keepends=True), pos)
    reader.read()
    return meta, reader.blocks, reader.quizzes
