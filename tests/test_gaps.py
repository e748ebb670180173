"""The course-gap list (tutor/store/gaps.py) on a real SQLite file: what is kept, in what order, and a CSV
a spreadsheet opens without running a learner's text as a formula."""

from __future__ import annotations

import csv
import io

from tutor.events import Answer, Source
from tutor.store.gaps import GapLog


def answer(question: str, *, refused: bool = False, unsupported: bool = False) -> Answer:
    src = Source(
        number=1,
        chunk_id="c1",
        lesson_id="ai-foundations/en/what-is-ai",
        path="x.mdx",
        title="What is AI",
        breadcrumb="What is AI",
        anchor="",
        language="en",
        program="ai-foundations",
        start=0,
        end=1,
        score=0.5,
        similarity=0.4,
        text="AI is ...",
    )
    return Answer(
        question=question, text="", refused=refused, sources=[src], citations=[], mostly_unsupported=unsupported
    )


def test_only_refused_and_mostly_unsupported_answers_are_kept_latest_first(tmp_path):
    gaps = GapLog(tmp_path / "gaps.sqlite")
    assert gaps.list() == []
    assert not gaps.record(answer("What is AI?"))  # a backed answer is no gap
    assert gaps.record(answer("Best lasagne recipe?", refused=True), scope="", user="ana")
    assert gaps.record(answer("What is a GPU kernel?", unsupported=True), scope="AI Foundations")
    kept = gaps.list()
    assert [(g.kind, g.question, g.scope, g.user) for g in kept] == [
        ("unsupported", "What is a GPU kernel?", "AI Foundations", ""),
        ("refused", "Best lasagne recipe?", "", "ana"),
    ]
    assert kept[0].lessons == "ai-foundations/en/what-is-ai"
    assert GapLog(tmp_path / "gaps.sqlite").list() == kept  # on disk, not in memory


def test_csv_cells_never_start_a_spreadsheet_formula(tmp_path):
    gaps = GapLog(tmp_path / "gaps.sqlite")
    hostile = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tTAB", "a = b?"]
    for q in hostile:
        gaps.record(answer(q, refused=True), scope="=cmd|' /C calc'!A0", user="@admin")
    rows = list(csv.reader(io.StringIO(gaps.csv())))
    assert rows[0] == ["asked_at", "kind", "question", "scope", "lessons", "user"]
    questions = [r[2] for r in rows[1:]]
    assert sorted(questions) == sorted(["'" + q for q in hostile[:-1]] + ["a = b?"])  # shown as text, kept whole
    for r in rows[1:]:
        assert r[1] == "refused" and r[3] == "'=cmd|' /C calc'!A0" and r[5] == "'@admin"
        assert not any(c.startswith(("=", "+", "-", "@", "\t")) for c in r)
