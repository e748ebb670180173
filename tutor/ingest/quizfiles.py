"""Quiz items kept apart from the lessons: the tutor's own quiz files, and a course's quiz-app JSON.

**The tutor's own format**, for teachers who write their own: a file `<lesson>.quiz.yaml` next to the lesson
(`photosynthesis.quiz.yaml` beside `photosynthesis.mdx`), or `quiz.yaml` in a lesson folder (beside its
README.md; `quiz.es.yaml` for its README.es.md). `.yml` and `.json` work too. A list of questions (or
`questions:` holding the list):

    - question: Which pigment captures light in leaves?
      options: [Chlorophyll, Haemoglobin, Melanin]
      answer: Chlorophyll        # the right option's text, or its 0-based index (0 = the first option)
      explanation: Chlorophyll absorbs red and blue light.   # optional

The items join the lesson's `<Quiz>` items. A bad question is skipped with a warning naming the file, the
question's number and the field; a file that cannot be read at all is named too; the lesson is always kept.

**Quiz-app JSON** (AI-For-Beginners, ML-For-Beginners): JSON files below the lessons folder whose path names a
quiz (`etc/quiz-app/.../en/lesson-7.json`), each `[{"quizzes": [{"id": 107, "title": ..., "quiz": [
{"questionText": ..., "answerOptions": [{"answerText": ..., "isCorrect": true}, ...]}]}]}]`; a language folder
or file name (`en/`, `en.json`) says which lessons' language they are for. A lesson gets the quizzes it links
to by number (`.../quiz/107`); a file named with a number (`lesson-7.json`) holds one lesson's quizzes, and a
link to one of them brings them all. Files no lesson links to go, in turn, to the one lesson whose folder has
that number (`07-ConvNets`), else to the lesson whose title the quiz titles name ("Ethical and Responsible AI:
Pre Quiz").
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.errors import LessonError
from tutor.ingest.folders import translated_language
from tutor.ingest.mdx import LANG_DIR, Quiz, parse_yaml

QUIZ_SUFFIXES = (".quiz.yaml", ".quiz.yml", ".quiz.json")
MAX_QUIZ_BYTES = 2 * 1024 * 1024
QUIZ_LINK = re.compile(r"quiz/(\d+)\b")  # ".../quiz/107" in a lesson's text
FILE_NUMBER = re.compile(r"(\d+)")
TITLE_NOISE = {"pre", "post", "quiz", "lecture", "a", "an", "the", "and", "of", "to", "in"}
MIN_TITLE_SHARE = 0.6  # of a quiz title's words the lesson title must hold (a guess; used after links, numbers)


@dataclass
class Target:
    """What linking needs of one lesson."""

    lesson_id: str
    language: str
    title: str
    text: str
    number: int | None  # from its folder name; None for overviews and companions
    kind: str = "lesson"  # "section" overviews and "companion" labs get quizzes by link only


@dataclass
class QuizFile:
    path: str  # relative to the lessons folder
    language: str | None
    number: int | None  # a per-lesson file's number (lesson-7.json); None: quizzes of many lessons
    quizzes: dict[int, tuple[str, list[Quiz]]] = field(default_factory=dict)  # quiz id -> (title, items)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in TITLE_NOISE}


# --- the tutor's own quiz files ------------------------------------------------------------------------------
def quiz_yaml_for(lesson: Path, folder_lesson: bool) -> Path | None:
    """The quiz file beside a lesson, if there is one; a folder's translated README (README.es.md) takes the
    folder's quiz in its language (quiz.es.yaml), never the untranslated quiz.yaml."""
    names = [lesson.name.rsplit(".", 1)[0] + s for s in QUIZ_SUFFIXES]
    if folder_lesson:
        lang = translated_language(lesson.name)
        names += [("quiz" if lang is None else f"quiz.{lang}") + s[len(".quiz") :] for s in QUIZ_SUFFIXES]
    return next((lesson.parent / n for n in names if (lesson.parent / n).is_file()), None)


def read_quiz_yaml(path: Path, rel: str) -> tuple[list[Quiz], str, list[LessonError]]:
    """(items, the file's text for the lesson's hash, warnings). Never raises for bad content."""
    try:
        if path.stat().st_size > MAX_QUIZ_BYTES:
            return [], "", [LessonError(rel, "quiz file is over 2 MB; not read")]
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], "", [LessonError(rel, f"quiz file unreadable ({exc}); its lesson is indexed without it")]
    try:
        data = parse_yaml(text)
    except ValueError as exc:
        return [], "", [LessonError(rel, f"quiz file is not valid YAML ({exc}); its lesson is indexed without it")]
    if isinstance(data, dict):
        data = data.get("questions")
    if not isinstance(data, list):
        return [], text, [LessonError(rel, "field 'questions': expected a list of questions")]
    items: list[Quiz] = []
    warnings: list[LessonError] = []
    for n, q in enumerate(data, 1):
        try:
            items.append(_yaml_item(q))
        except ValueError as exc:
            warnings.append(LessonError(rel, f"question {n}: {exc}; that question is left out"))
    return items, text, warnings


def _yaml_item(q: Any) -> Quiz:
    if not isinstance(q, dict):
        raise ValueError("expected a mapping with question, options, answer")
    question = q.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("field 'question' is missing or empty")
    options = q.get("options")
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str | int | float) for o in options):
        raise ValueError("field 'options' must list at least two options")
    opts = [str(o).strip() for o in options]
    answer = q.get("answer")
    if isinstance(answer, bool) or answer is None:
        raise ValueError("field 'answer' is missing: give the right option's text or its 0-based index")
    if isinstance(answer, int):
        if not 0 <= answer < len(opts):
            raise ValueError(f"field 'answer': {answer} is not an option index (0..{len(opts) - 1})")
        index = answer
    elif str(answer).strip() in opts:
        index = opts.index(str(answer).strip())
    else:
        raise ValueError(f"field 'answer': {answer!r} is none of the options")
    explanation = q.get("explanation") or ""
    if not isinstance(explanation, str):
        raise ValueError("field 'explanation' must be text")
    return Quiz(question.strip(), opts, index, explanation.strip(), 0)


# --- quiz-app JSON -------------------------------------------------------------------------------------------
def find_quiz_json(root: Path, allowed: Sequence[Path]) -> list[Path]:
    """JSON files below root whose path names a quiz, inside the allowed folders; dot-folders and
    node_modules skipped."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        for name in sorted(files):
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix().lower()
            if name.lower().endswith(".json") and "quiz" in rel and not name.lower().endswith(QUIZ_SUFFIXES):
                real = path.resolve()
                if any(real.is_relative_to(a) for a in allowed) and path.is_file():
                    found.append(path)
    return found


def read_quiz_app(path: Path, rel: str) -> tuple[QuizFile | None, list[LessonError]]:
    """A quiz-app file's quizzes, or None when the JSON is not one (a package.json, a config)."""
    try:
        if path.stat().st_size > MAX_QUIZ_BYTES:
            return None, []
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None, []
    groups = data if isinstance(data, list) else [data]
    quizzes = [q for g in groups if isinstance(g, dict) for q in g.get("quizzes") or [] if isinstance(q, dict)]
    if not quizzes or not any(isinstance(q.get("quiz"), list) for q in quizzes):
        return None, []
    parts = rel.split("/")
    lang = next((p for p in [*parts[:-1][::-1], path.stem] if LANG_DIR.match(p)), None)
    number = FILE_NUMBER.search(path.stem)
    qf = QuizFile(rel, lang, int(number.group(1)) if number else None)
    warnings: list[LessonError] = []
    for k, quiz in enumerate(quizzes, 1):
        qid = quiz.get("id")
        where = f"quiz {qid if qid is not None else k}"
        if not isinstance(qid, int) or isinstance(qid, bool):
            warnings.append(LessonError(rel, f"{where}: field 'id' must be a number; that quiz is left out"))
            continue
        items: list[Quiz] = []
        for n, q in enumerate(quiz.get("quiz") or [], 1):
            try:
                items.append(_app_item(q))
            except ValueError as exc:
                warnings.append(LessonError(rel, f"{where}, question {n}: {exc}; that question is left out"))
        qf.quizzes[qid] = (str(quiz.get("title") or ""), items)
    return qf, warnings


def _app_item(q: Any) -> Quiz:
    if not isinstance(q, dict) or not isinstance(q.get("questionText"), str) or not q["questionText"].strip():
        raise ValueError("field 'questionText' is missing or empty")
    options = q.get("answerOptions")
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, dict) for o in options):
        raise ValueError("field 'answerOptions' must list at least two options")
    texts = [str(o.get("answerText") or "").strip() for o in options]
    if not all(texts):
        raise ValueError("field 'answerText' is empty in an option")
    right = [i for i, o in enumerate(options) if o.get("isCorrect") is True or o.get("isCorrect") == "true"]
    if len(right) != 1:
        raise ValueError(f"field 'isCorrect' is true in {len(right)} options; exactly one must be")
    return Quiz(q["questionText"].strip(), texts, right[0], "", 0)


def link_quizzes(targets: Sequence[Target], files: Sequence[QuizFile]) -> dict[str, list[tuple[str, int]]]:
    """lesson id -> [(quiz file path, quiz id)] it gets: by link, then by folder number, then by title."""
    units: dict[tuple[str, int], list[int]] = {}  # (file, first id) -> quiz ids given together
    owner: dict[tuple[str | None, int], tuple[str, int]] = {}  # (language, quiz id) -> its unit
    for f in files:
        ids = sorted(f.quizzes)
        for qid in ids:
            unit = (f.path, ids[0]) if f.number is not None else (f.path, qid)
            units.setdefault(unit, []).append(qid)
            owner.setdefault((f.language, qid), unit)
    by_path = {f.path: f for f in files}
    given: dict[str, list[tuple[str, int]]] = {}
    claimed: set[tuple[str, int]] = set()

    def fits(unit: tuple[str, int], t: Target) -> bool:
        lang = by_path[unit[0]].language
        return unit not in claimed and (lang is None or lang == t.language)

    def give(t: Target, unit: tuple[str, int]) -> None:
        claimed.add(unit)
        given.setdefault(t.lesson_id, []).extend((unit[0], q) for q in units[unit])

    for t in targets:  # 1. the lesson's own links
        for n in dict.fromkeys(int(x) for x in QUIZ_LINK.findall(t.text)):
            hit = owner.get((t.language, n)) or owner.get((None, n))
            if hit and fits(hit, t):
                give(t, hit)
    numbers: dict[tuple[str, int], list[Target]] = {}
    for t in targets:
        if t.number is not None:
            numbers.setdefault((t.language, t.number), []).append(t)
    for unit in units:  # 2. a per-lesson file to the one lesson with its number
        f = by_path[unit[0]]
        holders = [t for (lang, n), ts in numbers.items() for t in ts if n == f.number and f.language in (None, lang)]
        if len(holders) == 1 and fits(unit, holders[0]) and holders[0].lesson_id not in given:
            give(holders[0], unit)
    for unit in units:  # 3. by title, to a lesson that has no quiz items from files yet
        if unit in claimed:
            continue
        words = _words(" ".join(by_path[unit[0]].quizzes[q][0] for q in units[unit]))
        best, share = None, 0.0
        for t in targets:
            if t.kind != "lesson" or t.lesson_id in given or not fits(unit, t):
                continue
            s = len(words & _words(t.title)) / max(1, len(words))
            best, share = (t, s) if s > share else (best, share)
        if best is not None and share >= MIN_TITLE_SHARE:
            give(best, unit)
    return given
