"""Quiz figures per question language (`tutor eval`, bench/quality.py): the grouping on small hand-made
inputs, then `tutor eval` end to end on a course with quizzes in English and Spanish."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import CORPUS, run_cli
from tutor.evaluation.languages import NOT_FOUND, by_language, markdown, table
from tutor.evaluation.quizzes import QuizQuery, retrieval_metrics
from tutor.ingest.lessons import Quiz
from tutor.search.retriever import Filters, Retrieval


def test_rows_group_questions_by_language_english_first_then_by_code():
    rows = by_language(
        ["fr", "en", "es", "en", "fr", "en"],
        [1, 2, NOT_FOUND, 1, 4, 1],
        [True, True, False, True, True, False],
    )
    assert [r["language"] for r in rows] == ["en", "es", "fr"]
    en, es, fr = rows
    assert (en["n"], es["n"], fr["n"]) == (3, 1, 2)
    assert en["recall@1"] == pytest.approx(2 / 3) and en["recall@3"] == 1.0
    assert en["mrr"] == pytest.approx((1 + 1 / 2 + 1) / 3) and en["answered"] == pytest.approx(2 / 3)
    assert es["recall@3"] == 0.0 and es["mrr"] < 1e-5 and es["answered"] == 0.0  # its lesson never came back
    assert fr["recall@1"] == 0.5 and fr["recall@3"] == 0.5 and fr["mrr"] == pytest.approx((1 + 1 / 4) / 2)


def test_rows_need_one_rank_and_one_gate_result_per_question():
    with pytest.raises(ValueError):
        by_language(["en", "es"], [1], [True, True])


def test_rows_come_from_the_searches_retrieval_metrics_ran():
    """A search double ranks each question's own lesson where a table says; the rows follow those searches."""
    placed = {"q-en-1": 1, "q-en-2": 3, "q-es-1": 2, "q-es-2": 1, "q-es-3": 0}  # 0: not returned
    searched: list[str] = []

    def search(question: str, filters: Filters, k: int) -> Retrieval:
        searched.append(question)
        lang = filters.language or ""
        others = [f"c/{lang}/other-{i}" for i in range(k)]
        at = placed[question]
        own = f"c/{lang}/{question}"
        return Retrieval(question, [], 0.5, lessons=others if not at else [*others[: at - 1], own, *others][:k])

    quiz = Quiz("?", ["a", "b"], 0, "", 1)
    queries = [QuizQuery(q, f"c/{q.split('-')[1]}/{q}", quiz, q.split("-")[1]) for q in placed]
    m = retrieval_metrics(search, queries)
    assert searched == list(placed)  # one search per question
    rows = by_language(m.languages, m.ranks, [True] * m.n)
    assert [(r["language"], r["n"]) for r in rows] == [("en", 2), ("es", 3)]
    assert sum(r["n"] for r in rows) == m.n
    en, es = rows
    assert (en["recall@1"], en["recall@3"]) == (0.5, 1.0)
    assert es["recall@1"] == pytest.approx(1 / 3) and es["recall@3"] == pytest.approx(2 / 3)
    # the whole-course figures are the rows weighted by their questions
    for key, k in (("recall@1", 1), ("recall@3", 3)):
        assert sum(r[key] * r["n"] for r in rows) / m.n == pytest.approx(m.recall[k])
    assert sum(r["mrr"] * r["n"] for r in rows) / m.n == pytest.approx(m.mrr)


def test_tables_name_each_language_in_its_own_words():
    rows = by_language(["es", "en", "fr"], [1, 1, 2], [True, True, True])
    text = "\n".join(table(rows))
    assert [line.split()[0] for line in table(rows)[1:]] == ["English", "Español", "Français"]
    assert "recall@1" in text and "answered" in text
    md = markdown(rows)
    assert md[0].startswith("| language |") and "| Español |" in md[3]
    assert len(md) == 2 + len(rows)


def test_eval_reports_each_quiz_language(tmp_path: Path):
    """`tutor eval` over two lessons in English and the same two in Spanish: one row per language in what it
    prints, report.json (codes) and report.md (names), agreeing with the whole-course figures."""
    lessons = tmp_path / "lessons"
    for lang in ("en", "es"):
        (lessons / lang).mkdir(parents=True)
        for slug in ("transformers-and-attention", "what-is-a-language-model"):
            src = CORPUS / "programs" / "large-language-models" / "lessons" / lang / f"{slug}.mdx"
            shutil.copy(src, lessons / lang / src.name)
    out = tmp_path / "report"
    r = run_cli("eval", "--lessons", str(lessons), "--out", str(out), "--no-answers", timeout=600)
    assert r.returncode == 0, r.stderr
    assert "per question language" in r.stdout
    assert any(line.split()[:1] == ["English"] for line in r.stdout.splitlines())
    assert any(line.split()[:1] == ["Español"] for line in r.stdout.splitlines())

    report = json.loads((out / "report.json").read_text())
    rows = report["by_language"]
    assert [row["language"] for row in rows] == ["en", "es"]
    assert sum(row["n"] for row in rows) == report["questions"] and all(row["n"] > 0 for row in rows)
    total = report["questions"]
    for key in ("recall@1", "recall@3", "mrr"):
        assert sum(row[key] * row["n"] for row in rows) / total == pytest.approx(report["retrieval"][key])
    assert sum(row["answered"] * row["n"] for row in rows) / total == pytest.approx(report["refusal"]["quiz_answered"])
    for row in rows:  # the questions not ranked first in a language are that language's listed misses
        misses = [m for m in report["misses"] if f"/{row['language']}/" in m["lesson"]]
        assert len(misses) == round(row["n"] * (1 - row["recall@1"]))
    md = (out / "report.md").read_text()
    assert "## Per question language" in md and "| Español |" in md and "| English |" in md
    assert "| lesson |" in md  # what was there stays
