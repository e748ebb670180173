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


def test_a_frontmatter_slug_that_leaves_its_place_is_refused_and_the_file_keeps_its_own_id(tmp_path: Path):
    files = {
        "programs/basics/lessons/en/intro.mdx": lesson("Intro", "The first lesson of the course.", slug='"../../etc"'),
        "programs/basics/lessons/en/deeper.mdx": lesson("Deeper", "A second lesson of the course.", slug='"a/b/c"'),
        "programs/basics/lessons/en/named.mdx": lesson("Named", "A lesson renamed in its frontmatter.", slug="ok-1"),
        "programs/basics/lessons/en/moved.mdx": lesson("Moved", "A lesson that names another program.", program="x/y"),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    folder = tmp_path / "folders" / "2-Start" / "README.md"  # a lesson folder's README: its place's slug
    folder.parent.mkdir(parents=True)
    folder.write_text(
        lesson("Start", "Where the course starts, what it asks of you and how long it takes.", slug="'..'"),
        encoding="utf-8",
    )
    report = load_lessons(tmp_path / "programs")
    ids = sorted(le.id for le in report.lessons)
    assert ids == ["basics/en/deeper", "basics/en/intro", "basics/en/moved", "basics/en/ok-1"]
    warned = {w.path.rsplit("/", 1)[-1]: str(w) for w in report.warnings}
    assert [w.path for w in report.warnings if w.path.endswith("intro.mdx")] == ["basics/lessons/en/intro.mdx"]
    assert set(warned) == {"intro.mdx", "deeper.mdx", "moved.mdx"}
    assert "slug: ../../etc" in warned["intro.mdx"] and "'..'" in warned["intro.mdx"]
    assert "slug: a/b/c" in warned["deeper.mdx"] and "remove the field" in warned["deeper.mdx"]
    assert "program: x/y" in warned["moved.mdx"]
    assert not report.failed_paths  # each is still read, under the id its file gives it
    folder_report = load_lessons(tmp_path / "folders")
    assert [le.id for le in folder_report.lessons] == ["folders/en/2-start"]
    assert [w.path for w in folder_report.warnings] == ["2-Start/README.md"]


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
    assert len(report.lessons) == 1 and "already taken" in report.warnings[0].reason


def test_lesson_error_message_names_file_and_line():
    err = LessonError("a/b.mdx", "bad thing", 7)
    assert str(err) == "a/b.mdx:7: bad thing"


# --- issue 12: reading stays inside the lessons folder, bounded, and nothing dropped silently ---------------
def test_links_leaving_the_lessons_folder_are_skipped(tmp_path: Path):
    root = tmp_path / "lessons"
    root.mkdir()
    (root / "good.md").write_text(lesson("Good", "Fine text."), encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(lesson("Secret", "Do not read me."), encoding="utf-8")
    os.symlink(outside / "secret.md", root / "x.md")
    os.symlink(outside, root / "folder")
    os.symlink("/dev/zero", root / "zero.md")
    os.symlink(root / "good.md", root / "alias.md")  # a link that stays inside is fine
    report = load_lessons(root)
    assert {le.path for le in report.lessons} <= {"alias.md", "good.md"}
    assert not any("Secret" in le.title for le in report.lessons)
    reasons = {w.path: w.reason for w in report.warnings}
    assert "links outside the lessons folder" in reasons["x.md"] and "links outside" in reasons["folder"]
    assert "outside" in reasons["zero.md"] and "loop" not in reasons["zero.md"]
    assert set(report.failed_paths) == {"x.md", "zero.md"}  # their indexed versions are kept
    allowed = load_lessons(root, outside_roots=[outside])
    assert "Secret" in {le.title for le in allowed.lessons}


def test_only_regular_files_are_read(tmp_path: Path):
    (tmp_path / "good.md").write_text(lesson("Good", "Fine text."), encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.md")  # reading it would block forever
    report = load_lessons(tmp_path)
    assert [le.slug for le in report.lessons] == ["good"]
    assert "not a regular file" in report.warnings[0].reason and report.failed_paths == ["pipe.md"]


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path: Path):
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 4)]
    (tmp_path / "bomb.md").write_text("---\ntitle: Bomb\n" + "\n".join(levels) + "\n---\n\nText.\n", encoding="utf-8")
    (tmp_path / "good.md").write_text(lesson("Good", "Fine text."), encoding="utf-8")
    report = load_lessons(tmp_path)
    assert [le.slug for le in report.lessons] == ["good"]
    (w,) = report.warnings
    assert w.path == "bomb.md" and "aliases" in w.reason and w.line == 4


def test_per_lesson_limits_before_tokenising(tmp_path: Path):
    (tmp_path / "many.md").write_text("".join(f"## H{i}\n\nText {i}.\n\n" for i in range(1001)), encoding="utf-8")
    (tmp_path / "fm.md").write_text("---\ntitle: " + "x" * 70_000 + "\n---\n\nText.\n", encoding="utf-8")
    report = load_lessons(tmp_path)
    reasons = {w.path: w.reason for w in report.warnings}
    assert "1001 headings" in reasons["many.md"] and "split it" in reasons["many.md"]
    assert "frontmatter is over 64 KB" in reasons["fm.md"]


def test_a_lessons_path_that_is_a_file(tmp_path: Path):
    (tmp_path / "x.md").write_text("# x\n\ntext\n", encoding="utf-8")
    with pytest.raises(LessonsNotFound, match="is a file, not a folder"):
        load_lessons(tmp_path / "x.md")


def test_an_id_collision_keeps_the_indexed_file(tmp_path: Path):
    (tmp_path / "prompting.md").write_text(lesson("Prompting", "The real lesson."), encoding="utf-8")
    (tmp_path / "a-new.md").write_text(lesson("New", "A newcomer.", slug="prompting"), encoding="utf-8")
    lid = f"{tmp_path.name}/en/prompting"
    report = load_lessons(tmp_path, indexed={lid: "prompting.md"})
    assert [le.title for le in report.lessons] == ["Prompting"]
    (w,) = report.warnings
    assert w.path == "a-new.md" and "already taken by prompting.md" in w.reason
    # the indexed file fails to parse: the newcomer still does not take its place
    (tmp_path / "prompting.md").write_text("---\ntitle: [broken\n---\n\nx\n", encoding="utf-8")
    report = load_lessons(tmp_path, indexed={lid: "prompting.md"})
    assert report.lessons == [] and report.failed_paths == ["prompting.md"]


UNCLOSED_QUIZ = """# Lesson

Intro text.

<Quiz question="Q?" options="a|b" answer="0"

## Section that must not vanish

Important text.

<Callout type="info">
Note.
</Callout>
"""


def test_an_unclosed_component_is_reported_at_its_opening_line():
    with pytest.raises(LessonError, match="<Quiz> opened here is never closed") as exc:
        parse_lesson(UNCLOSED_QUIZ, "q.mdx")
    assert exc.value.line == 5


def test_text_after_a_tag_on_its_line_stays():
    text = '# T\n\n<Badge label="a > b" /> Text after the badge.\n\n<Box>Inline box text.</Box>\n'
    _, blocks, _ = parse_lesson(text, "t.mdx")
    assert [b.text for b in blocks if b.kind == "text"] == ["Text after the badge.", "Inline box text."]
    assert all(text[b.start : b.end] == b.text for b in blocks if b.kind == "text")


def test_a_linked_heading_names_its_section_by_the_links_text_and_a_quiz_link_is_no_section():
    """A heading that is a link reads as the link's text. Courses on GitHub head a lesson's opening with
    its quiz link ("## [Pre-lecture quiz](.../quiz/103)"): that marks where the quiz is taken, so the text
    after it stays in the lesson's opening; found on the page, where the breadcrumbs of AI-For-Beginners'
    lessons read "Pre-lecture quiz" and the suggested questions asked what the lesson teaches about it."""
    src = (
        "# Perceptron\n\n## [Pre-lecture quiz](https://example.net/quiz/103)\n\nA perceptron is a classifier.\n\n"
        "## [Training it](https://example.net/notes/training)\n\nWeights move towards the error.\n"
    )
    _, blocks, _ = parse_lesson(src, "p.md")
    assert [b.text for b in blocks if b.kind == "heading"] == ["Perceptron", "Training it"]
