"""The bundled course: loads with no warnings, has the promised shape, and every quiz key is valid."""

from __future__ import annotations

import json
import re

from tests.conftest import CORPUS
from tutor.ingest.lessons import load_lessons


def test_corpus_loads_cleanly_with_enough_lessons_and_quizzes():
    report = load_lessons(CORPUS)
    assert not report.warnings, [str(w) for w in report.warnings]
    english = [le for le in report.lessons if le.language == "en"]
    spanish = [le for le in report.lessons if le.language == "es"]
    assert len(english) >= 10 and len(spanish) >= 3
    for le in report.lessons:
        words = len(re.findall(r"\w+", " ".join(b.text for b in le.blocks)))
        assert 700 <= words <= 1700, (le.id, words)
        assert len(le.quizzes) >= 3, le.id
        for q in le.quizzes:
            assert 0 <= q.answer < len(q.options)
        assert any(b.text.startswith("Think about it:") for b in le.blocks), le.id
        for key in ("title", "description", "order", "difficulty", "duration"):
            assert key in le.meta, (le.id, key)
    english_slugs = {le.slug for le in english}
    assert {le.slug for le in spanish} <= english_slugs


def test_program_files_list_their_lessons():
    for pj in CORPUS.glob("programs/*/program.json"):
        data = json.loads(pj.read_text(encoding="utf-8"))
        assert data["title"] and data["description"]
        on_disk = {p.stem for p in (pj.parent / "lessons" / "en").glob("*.mdx")}
        assert set(data["lessons"]) == on_disk
