"""Reading lessons: components, identity, spans, and every bad input named with its file and reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import lesson
from tutor.errors import LessonError, LessonsNotFound
from tutor.ingest.lessons import load_lessons, read_lesson
from tutor.ingest.mdx import parse_lesson

COMPONENTS = """---
title: "Components"
order: 3
---
import Thing from '../thing'
export const meta = {}

# Components

Plain opening paragraph.

## Section A

<ThinkAboutIt>
Why does the sky look blue?
</ThinkAboutIt>

<FunFact>
Honey never spoils.
</FunFact>

<Callout>
Always check your sources.
</Callout>

<Illustration src="/x.svg" alt="A diagram of a cell" caption="Cells are small." />

<Quiz question="What colour is the sky?" options="Green|Blue|Red" answer="1" explanation="Rayleigh scattering favours blue." />

<Quiz
  question="Two lines?"
  options="Yes|No"
  answer="0"
  explanation="It spans lines." />

<Widget foo="bar" />
<Box>
Text inside an unknown component stays.
</Box>
"""


def test_components_are_interpreted():
    meta, blocks, quizzes = parse_lesson(COMPONENTS, "c.mdx")
    texts = [b.text for b in blocks]
    assert meta["title"] == "Components"
    assert "Think about it: Why does the sky look blue?" in texts
    assert "Fun fact: Honey never spoils." in texts
    assert "Note: Always check your sources." in texts
    assert "Illustration: A diagram of a cell. Cells are small." in texts
    assert "Text inside an unknown component stays." in texts
    joined = "\n".join(texts)
    for gone in ("import Thing", "export const", "Widget", "<Box>", "Rayleigh", "What colour", "Two lines"):
        assert gone not in joined
    assert [(q.question, q.answer, q.options) for q in quizzes] == [
        ("What colour is the sky?", 1, ["Green", "Blue", "Red"]),
        ("Two lines?", 0, ["Yes", "No"]),
    ]
    assert quizzes[0].explanation.startswith("Rayleigh")


def test_block_spans_point_into_the_source():
    _, blocks, _ = parse_lesson(COMPONENTS, "c.mdx")
    para = next(b for b in blocks if b.text == "Plain opening paragraph.")
    assert COMPONENTS[para.start : para.end] == "Plain opening paragraph."
    heading = next(b for b in blocks if b.kind == "heading" and b.level == 2)
    assert COMPONENTS[heading.start : heading.end] == "## Section A"


def test_identity_from_course_layout(tmp_path: Path):
    f = tmp_path / "programs" / "basics" / "lessons" / "fr" / "intro.mdx"
    f.parent.mkdir(parents=True)
    f.write_text(lesson("Intro", "Bonjour tout le monde."), encoding="utf-8")
    le = read_lesson(f, tmp_path)
    assert (le.program, le.language, le.slug, le.id) == ("basics", "fr", "intro", "basics/fr/intro")
    assert le.path == "programs/basics/lessons/fr/intro.mdx"


def test_identity_of_a_flat_folder_and_frontmatter_language(tmp_path: Path):
    (tmp_path / "a.md").write_text(lesson("A", "Some text here.", lang="de"), encoding="utf-8")
    le = read_lesson(tmp_path / "a.md", tmp_path)
    assert (le.program, le.language, le.slug) == (tmp_path.name, "de", "a")


BAD = {
    "frontmatter.mdx": ("---\ntitle: [unclosed\n---\n\nText.\n", "frontmatter", 2),
    "unclosed.mdx": ("---\ntitle: x\n---\n\n<Callout>\nNever closed.\n", "never closed", 5),
    "latin1.md": (b"---\ntitle: x\n---\n\ncaf\xe9\n", "UTF-8", 5),
    "empty.md": ("", "empty", None),
    "binary.mdx": (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary", None),
    "badquiz.mdx": ('---\ntitle: x\n---\n\nText.\n\n<Quiz question="Q?" options="a|b" answer="5" />\n', "answer 5", 7),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_named_and_others_survive(tmp_path: Path, name: str):
    content, reason, line = BAD[name]
    (tmp_path / "good.md").write_text(lesson("Good", "Fine text."), encoding="utf-8")
    data = content if isinstance(content, bytes) else content.encode()
    (tmp_path / name).write_bytes(data)
    report = load_lessons(tmp_path)
    assert [le.slug for le in report.lessons] == ["good"]
    (w,) = report.warnings
    assert w.path == name and reason in w.reason and w.line == line
    assert name in str(w)
    assert report.failed_paths == [name]


def test_oversized_file(tmp_path: Path):
    big = tmp_path / "big.md"
    big.write_text(lesson("Big", "word " * (1_100_000)), encoding="utf-8")
    report = load_lessons(tmp_path)
    assert not report.lessons and "5 MB" in report.warnings[0].reason


def test_symlink_loop_is_reported_not_followed(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text(lesson("A", "Alpha text."), encoding="utf-8")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    os.symlink("self.md", tmp_path / "self.md")  # a file link to itself
    report = load_lessons(tmp_path)
    assert [le.slug for le in report.lessons] == ["sub/a"]
    reasons = " ".join(str(w) for w in report.warnings)
    assert "loop" in reasons and "self.md" in reasons


def test_missing_directory():
    with pytest.raises(LessonsNotFound, match="does not exist"):
        load_lessons(Path("/nonexistent/lessons"))


def test_duplicate_identity_keeps_one(tmp_path: Path):
    (tmp_path / "x.md").write_text(lesson("X", "One."), encoding="utf-8")
    (tmp_path / "x.mdx").write_text(lesson("X", "Two."), encoding="utf-8")
    report = load_lessons(tmp_path)
    assert len(report.lessons) == 1 and "same lesson id" in report.warnings[0].reason


def test_lesson_error_message_names_file_and_line():
    err = LessonError("a/b.mdx", "bad thing", 7)
    assert str(err) == "a/b.mdx:7: bad thing"
