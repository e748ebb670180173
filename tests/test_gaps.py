"""The course-gap list (tutor/store/gaps.py) on a real SQLite file: what is a gap and what is not, learners'
"Was this helpful?", similar questions grouped, an older tutor's file, and a CSV a spreadsheet opens without
running a learner's text as a formula."""

from __future__ import annotations

import csv
import io
import sqlite3
from contextlib import closing

from tutor.events import Answer, Source
from tutor.store.gaps import GapLog


def answer(
    question: str, *, refusal: str = "", unused: tuple[str, ...] = (), unsupported: bool = False, scope: str = ""
) -> Answer:
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
        question=question,
        text="",
        refused=bool(refusal),
        refusal=refusal,  # type: ignore[arg-type]
        sources=[src],
        citations=[],
        mostly_unsupported=unsupported,
        unused=list(unused),
        scope=scope,
    )


def test_a_gap_is_a_refusal_no_filter_caused_an_off_topic_answer_or_a_flag(tmp_path):
    gaps = GapLog(tmp_path / "gaps.sqlite")
    assert gaps.list() == []
    assert not gaps.record(answer("What is AI?"))  # a backed answer is no gap
    assert not gaps.record(answer("whats overfitting", unsupported=True))  # a weak explanation alone is none
    assert not gaps.record(answer("What is RAG?", refusal="filtered", scope="Prompting"))  # the course answers
    assert not gaps.record(answer("What is RAG?", refusal="no_lessons"))  # nothing indexed: not the lessons' fault
    assert gaps.record(answer("Best lasagne recipe?", refusal="not_covered"), user="ana")
    assert gaps.record(answer("Is this copyrighted?", unused=("copyrighted",)), user="ben")
    kept = gaps.list()
    assert [(g.kind, g.question, g.user) for g in kept] == [
        ("off_topic", "Is this copyrighted?", "ben"),
        ("refused", "Best lasagne recipe?", "ana"),
    ]
    assert kept[0].lessons == "ai-foundations/en/what-is-ai"
    assert GapLog(tmp_path / "gaps.sqlite").list() == kept  # on disk, not in memory


def test_not_helpful_flags_an_answer_with_a_comment_and_helpful_takes_it_back(tmp_path):
    gaps = GapLog(tmp_path / "gaps.sqlite")
    a, b = answer("What is a token?"), answer("What is an epoch?")
    gaps.feedback(a, False)
    gaps.feedback(a, False, "  It quoted the   wrong lesson  ", user="ana")  # the comment joins the same flag
    gaps.feedback(b, False)
    assert [(g.kind, g.question, g.comment) for g in gaps.list()] == [
        ("flagged", "What is an epoch?", ""),
        ("flagged", "What is a token?", "It quoted the wrong lesson"),
    ]
    gaps.feedback(b, True)  # changed their mind: helpful
    assert [g.question for g in gaps.list()] == ["What is a token?"]
    assert gaps.helpful() == (1, 1)
    gaps.feedback(a, None)  # the thumb taken back: neither
    assert gaps.list() == [] and gaps.helpful() == (1, 0)


def test_similar_questions_are_one_entry_with_counts_newest_first(tmp_path):
    gaps = GapLog(tmp_path / "gaps.sqlite")
    for q, kind in [
        ("What is overfitting?", "not_covered"),
        ("Best lasagne recipe?", "not_covered"),
        ("whats overfitting", "not_covered"),
        ("overfitting??", ""),
    ]:
        a = answer(q, refusal=kind)
        gaps.record(a) if kind else gaps.feedback(a, False, "too short")
    groups = gaps.groups()
    assert [g.questions for g in groups] == [
        ["overfitting??", "whats overfitting", "What is overfitting?"],
        ["Best lasagne recipe?"],
    ]
    assert groups[0].count == 3 and groups[0].kinds == {"refused": 2, "flagged": 1}
    assert groups[0].comments == ["too short"] and groups[0].lessons == ["ai-foundations/en/what-is-ai"]
    assert groups[0].last_asked >= groups[1].last_asked


def test_a_list_an_older_tutor_wrote_is_read_and_its_unsupported_rows_no_longer_count(tmp_path):
    path = tmp_path / "gaps.sqlite"
    with closing(sqlite3.connect(path)) as db, db:  # the schema before feedback and comments
        db.execute(
            "CREATE TABLE gaps (id INTEGER PRIMARY KEY, asked_at REAL NOT NULL, kind TEXT NOT NULL, question "
            "TEXT NOT NULL, scope TEXT NOT NULL DEFAULT '', lessons TEXT NOT NULL DEFAULT '', user TEXT NOT NULL "
            "DEFAULT '')"
        )
        db.execute("INSERT INTO gaps (asked_at, kind, question) VALUES (1, 'refused', 'Best lasagne recipe?')")
        db.execute("INSERT INTO gaps (asked_at, kind, question) VALUES (2, 'unsupported', 'whats overfitting')")
    gaps = GapLog(path)
    assert [(g.kind, g.question) for g in gaps.list()] == [("refused", "Best lasagne recipe?")]
    gaps.feedback(answer("What is a token?"), False, "wrong")
    assert [g.comment for g in gaps.list()] == ["wrong", ""] and gaps.db.set_aside() == []


def test_csv_cells_never_start_a_spreadsheet_formula(tmp_path):
    gaps = GapLog(tmp_path / "gaps.sqlite")
    hostile = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tTAB", "a = b?"]
    for q in hostile:
        gaps.record(answer(q, refusal="not_covered", scope="=cmd|' /C calc'!A0"), user="@admin")
    rows = list(csv.reader(io.StringIO(gaps.csv())))
    assert rows[0] == ["asked_at", "kind", "question", "scope", "lessons", "user", "comment"]
    questions = [r[2] for r in rows[1:]]
    assert sorted(questions) == sorted(["'" + q for q in hostile[:-1]] + ["a = b?"])  # shown as text, kept whole
    for r in rows[1:]:
        assert r[1] == "refused" and r[3] == "'=cmd|' /C calc'!A0" and r[5] == "'@admin"
        assert not any(c.startswith(("=", "+", "-", "@", "\t")) for c in r)
