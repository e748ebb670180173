"""Practice with the lessons' own quizzes: rounds, checking with the supporting passage, progress in SQLite,
course order and what next, the chat's quiz guard, and `tutor quiz` (real embedder, real Chroma, real CLI)."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from tests.conftest import CORPUS, run_cli
from tutor.learn.next_lesson import course_order, read_programs, what_next
from tutor.learn.practice import Feedback, QuizItem, Round
from tutor.learn.progress import MIGRATIONS, SPACED_RETRY_S, LessonProgress, ProgressStore

FIRST = "ai-foundations/en/what-is-machine-learning"
SECOND = "ai-foundations/en/neural-networks"
ORDER = [FIRST, SECOND, "ai-foundations/en/embeddings-and-vector-search"]


@pytest.fixture(scope="module")
def coach(corpus_index, embedder, tmp_path_factory):
    from tutor.build import build_coach, build_tutor
    from tutor.learn.progress import ProgressStore

    settings, store = corpus_index
    tutor = build_tutor(settings, store=store, embedder=embedder)  # the LLM is never loaded here
    return build_coach(tutor, ProgressStore(tmp_path_factory.mktemp("progress") / "p.sqlite"))


def item(lesson: str, n: int, options: int = 3) -> QuizItem:
    return QuizItem(lesson, n, f"question {n}", tuple(f"option {k}" for k in range(options)), lesson)


def fb(it: QuizItem, correct: bool) -> Feedback:
    return Feedback(it, 0 if correct else 1, correct, 0, "", None)


# --- a round -----------------------------------------------------------------------------------------
def test_a_round_asks_missed_items_again_once_at_the_end_and_scores_first_tries():
    a, b, c = item("p/en/x", 1), item("p/en/x", 2), item("p/en/x", 3)
    rnd = Round.start([a, b, c])
    rnd.answer(fb(a, False))
    rnd.answer(fb(b, True))
    assert rnd.current == c and not rnd.is_retry
    rnd.answer(fb(c, False))
    assert [i.ref for i in rnd.queue] == [a.ref, c.ref] and rnd.is_retry
    rnd.answer(fb(a, False))  # wrong again: not queued a third time
    rnd.answer(fb(c, True))
    assert rnd.done and rnd.right_first_try == 1 and rnd.total == 3
    assert [i.ref for i in rnd.missed] == [a.ref, c.ref]
    with pytest.raises(Exception, match="no quiz items"):
        Round.start([])


# --- progress ----------------------------------------------------------------------------------------
def test_progress_schema_is_created_and_migrated_from_an_older_version(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # a database from a tutor that knew only the first migration
        db.executescript(
            "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);"
            + MIGRATIONS[0]
        )
        db.execute(
            "INSERT INTO attempts (learner, lesson_id, item, question, choice, correct, at) "
            "VALUES ('ana', 'p/en/x', 1, 'q', 0, 1, 1.0)"
        )
    store = ProgressStore(path)
    assert store.version() == len(MIGRATIONS) == 2
    with sqlite3.connect(path) as db:
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "attempts_by_learner" in indexes
    assert store.lessons("ana")["p/en/x"].known == [1]  # the old rows are kept
    assert ProgressStore(path).version() == 2  # opening again changes nothing
    fresh = ProgressStore(tmp_path / "sub" / "new.sqlite")
    assert fresh.version() == 2 and fresh.lessons("ana") == {}


def test_progress_counts_first_tries_and_spaced_retries_per_learner_and_ignores_retries(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    store.record("ana", "p/en/x", 1, "q1", 1, False)
    store.record("ana", "p/en/x", 1, "q1", 0, True, retry=True)  # a retry at the round's end: not counted
    store.record("ana", "p/en/x", 2, "q2", 0, True)
    store.record("bob", "p/en/x", 1, "q1", 0, True)
    ana = store.lessons("ana")["p/en/x"]
    assert ana.known == [2] and ana.missed == [1] and ana.wrong_answers == 1
    assert ana.score(4) == 0.25
    store.record("ana", "p/en/x", 1, "q1", 0, True)  # a new round right after seeing the key: not counted
    assert store.lessons("ana")["p/en/x"].missed == [1]
    assert store.lessons("bob")["p/en/x"].known == [1]
    (res,) = store.results_by_lesson()
    assert (res.lesson_id, res.learners, res.attempts) == ("p/en/x", 2, 3)
    store.record("ana", "p/en/x", 1, "q1", 0, True, at=time.time() + SPACED_RETRY_S)  # a spaced retry counts
    assert store.lessons("ana")["p/en/x"].known == [1, 2]


# --- course order and what next ----------------------------------------------------------------------
def test_course_order_follows_frontmatter_order_and_programs(corpus_index):
    settings, store = corpus_index
    order = course_order(store.require(), settings.lessons_dir)
    assert order[:3] == ORDER
    en = [lid for lid in order if "/en/" in lid]
    assert en.index("large-language-models/en/what-is-a-language-model") > en.index(
        "ai-foundations/en/responsible-ai-use"
    )
    assert all(store.require().lessons[lid].quizzes for lid in order)


def test_programs_json_orders_the_programs(tmp_path):
    (tmp_path / "programs.json").write_text(json.dumps({"programs": [{"slug": "zeta"}, {"slug": "alpha"}]}))
    (tmp_path / "alpha").mkdir()
    (tmp_path / "alpha" / "program.json").write_text(json.dumps({"slug": "alpha", "level": 1, "lessons": ["b", "a"]}))
    ranks, listed = read_programs(tmp_path)
    assert ranks["zeta"] < ranks["alpha"] and listed["alpha"] == ["b", "a"]


def test_what_next_is_the_first_lesson_below_the_threshold_and_review_the_most_missed():
    items = {lid: 4 for lid in ORDER}
    assert what_next(ORDER, items, {}, 0.8).next == FIRST
    progress = {
        FIRST: LessonProgress(FIRST, known=[1, 2, 3, 4], last_at=2.0),
        SECOND: LessonProgress(SECOND, known=[1], missed=[2, 3], wrong_answers=2, last_at=3.0),
    }
    steps = what_next(ORDER, items, progress, 0.8)
    assert steps.next == SECOND and steps.scores[FIRST] == 1.0 and steps.language == "en"
    progress[FIRST] = LessonProgress(FIRST, known=[1, 2, 3], missed=[4], wrong_answers=1, last_at=2.0)
    steps = what_next(ORDER, items, progress, 0.8)
    assert steps.next == FIRST and steps.review == SECOND  # review names another lesson than next
    done = {lid: LessonProgress(lid, known=[1, 2, 3, 4]) for lid in ORDER}
    assert what_next(ORDER, items, done, 0.8).finished


# --- checking with the real index --------------------------------------------------------------------
def test_items_carry_no_key_and_checking_returns_key_explanation_and_supporting_passage(coach):
    m = coach.manifest()
    items = coach.practice.items(FIRST)
    assert len(items) == len(m.lessons[FIRST].quizzes) >= 3
    assert set(items[0].to_json()) == {"lesson_id", "item", "title", "question", "options"}
    quiz = m.lessons[FIRST].quizzes[1]
    right = coach.practice.check(FIRST, 2, quiz["answer"])
    wrong = coach.practice.check(FIRST, 2, (quiz["answer"] + 1) % len(quiz["options"]))
    assert right.correct and not wrong.correct
    assert wrong.key_option == quiz["options"][quiz["answer"]] and wrong.explanation == quiz["explanation"]
    p = wrong.passage
    assert p is not None and p.lesson_id == FIRST and p.start > 0 and p.highlights
    assert all(0 <= a < b <= len(p.text) for a, b in p.highlights)
    with pytest.raises(Exception, match="item 9 does not exist"):
        coach.practice.check(FIRST, 9, 0)


def test_every_quiz_item_of_the_corpus_can_be_checked_with_a_passage_of_its_lesson(coach):
    m = coach.manifest()
    n = 0
    for lid in coach.order():
        for it in coach.practice.items(lid):
            key = m.lessons[lid].quizzes[it.number - 1]["answer"]
            f = coach.practice.check(lid, it.number, key)
            assert f.correct and f.passage is not None and f.passage.lesson_id == lid, (lid, it.number)
            n += 1
    assert n == sum(len(e.quizzes) for e in m.lessons.values())


def test_a_coached_round_records_progress_and_moves_what_next_along(coach):
    learner = "test:round"
    assert coach.next_steps(learner).next == FIRST
    rnd = coach.start(FIRST)
    keys = [q["answer"] for q in coach.manifest().lessons[FIRST].quizzes]
    while not rnd.done:
        cur = rnd.current
        assert cur is not None
        wrong_first = cur.number == 1 and not rnd.is_retry
        coach.answer(
            learner, rnd, (keys[cur.number - 1] + 1) % len(cur.options) if wrong_first else keys[cur.number - 1]
        )
    assert rnd.right_first_try == rnd.total - 1
    p = coach.lessons(learner)[FIRST]
    assert p.missed == [1] and len(p.known) == rnd.total - 1
    rnd = coach.start(FIRST)  # a second round at once, all right: the missed item's key was just shown
    while not rnd.done:
        coach.answer(learner, rnd, keys[rnd.current.number - 1])  # type: ignore[union-attr]
    assert coach.lessons(learner)[FIRST].missed == [1] and coach.next_steps(learner).next == FIRST
    later = time.time() + SPACED_RETRY_S  # the next day, right again: the lesson is practised
    coach.progress.record(learner, FIRST, 1, "q", keys[0], True, at=later)
    assert coach.next_steps(learner).next == SECOND


def test_answering_wrong_to_see_the_keys_then_right_in_a_new_round_does_not_raise_the_score(coach, tmp_path):
    """Issue 35, item 8: the probe's inflation, on the real index and a SQLite file of its own."""
    from tutor.learn.coach import Coach

    coach = Coach(coach.practice, ProgressStore(tmp_path / "p.sqlite"), coach.lessons_dir, coach.threshold)
    learner, lesson = "test:inflate", SECOND
    keys = [q["answer"] for q in coach.manifest().lessons[lesson].quizzes]
    rnd = coach.start(lesson)
    while not rnd.done:  # every first try wrong (each key shown), every retry right
        cur = rnd.current
        assert cur is not None
        coach.answer(learner, rnd, keys[cur.number - 1] if rnd.is_retry else (keys[cur.number - 1] + 1) % 2)
    for _ in range(2):  # new rounds at once, all right
        rnd = coach.start(lesson)
        while not rnd.done:
            coach.answer(learner, rnd, keys[rnd.current.number - 1])  # type: ignore[union-attr]
    p = coach.lessons(learner)[lesson]
    assert p.known == [] and p.score(len(keys)) == 0.0 and len(p.missed) == len(keys)
    assert coach.next_steps(learner).review == lesson or coach.next_steps(learner).next == lesson
    teacher = {r.lesson_id: r for r in coach.progress.results_by_lesson()}[lesson]
    assert teacher.right_share == 0.0  # the teacher's share counts first tries the same way


def test_a_program_round_takes_its_lessons_in_course_order_in_one_language(coach):
    rnd = coach.start(program="ai-foundations")
    lessons = list(dict.fromkeys(i.lesson_id for i in rnd.queue))
    assert lessons[:2] == [FIRST, SECOND] and all("/en/" in lid for lid in lessons)


# --- the chat's pieces: quiz guard and "Check yourself" ----------------------------------------------
@pytest.fixture(scope="module")
def guard(coach):
    from tutor.learn.guard import QuizGuard

    return QuizGuard(coach.practice.store, coach.practice.embedder, coach.practice.retriever)


def test_quiz_questions_and_close_rewordings_are_recognised_and_get_a_hint_not_the_key(guard, coach):
    m = coach.manifest()
    for lid in coach.order():
        for it in coach.practice.items(lid):
            match = guard.match(it.question)
            assert match is not None and match.item.ref == it.ref, it.question
    reworded = guard.match(  # the question and two of its options, reworded
        "Is my model overfitting when it trains very fast, or when it scores far better on training data than on held-out data?"
    )
    assert reworded is not None and reworded.item.lesson_id == FIRST
    hint = guard.hint(reworded)
    key = m.lessons[FIRST].quizzes[reworded.item.number - 1]
    assert key["options"][key["answer"]] not in hint.text and key["explanation"] not in hint.text
    assert hint.passage is not None and hint.passage.lesson_id == FIRST and not hint.passage.highlights


def test_ordinary_lesson_questions_are_not_taken_for_quiz_questions(guard):
    for q in (
        "How does self-attention work?",
        "What is RLHF?",
        "Why do language models hallucinate?",
        "What is retrieval-augmented generation?",
        "What are embeddings used for?",
        "What is the best recipe for lasagna?",
    ):
        assert guard.match(q) is None, q


def test_check_yourself_offers_an_item_of_the_answers_lesson_not_offered_before(coach):
    first = coach.check_item("", ["no/such/lesson", FIRST], set())
    assert first is not None and first.lesson_id == FIRST
    second = coach.check_item("", [FIRST], {first.ref})
    assert second is not None and second.ref != first.ref
    every = {i.ref for i in coach.practice.items(FIRST)}
    assert coach.check_item("", [FIRST], every) is None  # each item is offered once per conversation
    coach.progress.record("test:knows-1", FIRST, 1, "q", 0, True)
    known_skipped = coach.check_item("test:knows-1", [FIRST], set())
    assert known_skipped is not None and known_skipped.number == 2  # an item the learner gets right comes last


# --- tutor quiz ----------------------------------------------------------------------------------------
def cli(corpus_index, *args: str, **kw: object):
    settings, _ = corpus_index
    return run_cli("quiz", "--index", str(settings.index_dir), "--lessons", str(settings.lessons_dir), *args, **kw)


def test_cli_lists_items_without_keys(corpus_index):
    r = cli(corpus_index, "--lesson", FIRST, "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["item"] for row in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 3
    assert all(set(row) == {"lesson_id", "item", "title", "question", "options"} for row in rows)
    settings, store = corpus_index
    for q in store.require().lessons[FIRST].quizzes:
        assert q["explanation"] not in r.stdout


def test_cli_checks_an_answer_with_the_supporting_passage(corpus_index):
    settings, store = corpus_index
    quiz = store.require().lessons[FIRST].quizzes[0]
    right = json.loads(cli(corpus_index, "--lesson", FIRST, "--answer", f"1:{quiz['answer'] + 1}", "--json").stdout)
    assert right["correct"] is True and right["key"] == quiz["answer"] + 1
    assert right["explanation"] == quiz["explanation"]
    assert {"lesson_id", "breadcrumb", "start", "end", "text"} <= set(right["passage"])
    assert right["passage"]["lesson_id"] == FIRST and right["passage"]["end"] > right["passage"]["start"]
    source = (settings.lessons_dir / right["passage"]["path"]).read_text(encoding="utf-8")
    assert right["passage"]["breadcrumb"].split(" > ")[-1] in source
    wrong_choice = (quiz["answer"] + 1) % len(quiz["options"]) + 1
    wrong = json.loads(cli(corpus_index, "--lesson", FIRST, "--answer", f"1:{wrong_choice}", "--json").stdout)
    assert wrong["correct"] is False and wrong["key_option"] == quiz["options"][quiz["answer"]]
    bad = cli(corpus_index, "--lesson", FIRST, "--answer", "9:1", "--json")
    assert bad.returncode == 2 and "item 9 does not exist" in bad.stderr and not bad.stdout
    unknown = cli(corpus_index, "--lesson", "no/en/such", "--json")
    assert unknown.returncode == 2 and "tutor lessons" in unknown.stderr


def test_cli_interactive_round_brings_missed_items_back_and_records_progress(corpus_index):
    settings, store = corpus_index
    keys = [q["answer"] + 1 for q in store.require().lessons[FIRST].quizzes]
    wrong = keys[0] % len(store.require().lessons[FIRST].quizzes[0]["options"]) + 1
    answers = [wrong, *keys[1:], keys[0]]  # item 1 wrong, the rest right, item 1 again at the end
    r = cli(corpus_index, "--lesson", FIRST, "--learner", "cli-test", input="\n".join(map(str, answers)) + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("wrong:") == 1 and r.stdout.count("right:") == len(keys)
    assert "again: " in r.stdout and f"score: {len(keys) - 1} of {len(keys)}" in r.stdout
    assert "From the lesson" in r.stdout and "next: What Is Machine Learning?" in r.stdout
    progress = ProgressStore(settings.progress_path).lessons("terminal:cli-test")
    assert progress[FIRST].missed == [1]


def test_cli_does_not_read_the_shared_corpus():
    assert "shared" not in str(CORPUS)


def test_the_learner_is_the_signed_in_user_else_this_browser():
    from types import SimpleNamespace

    from ui.practice import learner_id

    assert learner_id(SimpleNamespace(username="ana", session_hash="s1"), "kept") == ("user:ana", "kept")
    assert learner_id(SimpleNamespace(username=None, session_hash="s1"), "kept") == ("browser:kept", "kept")
    assert learner_id(SimpleNamespace(username=None, session_hash="s1"), "") == ("browser:s1", "s1")  # kept from now


def test_the_practice_tab_answers_in_the_learners_language():
    """Issue 32, item 4: the tab's handlers build their sentences in the browser's language, from the catalogue
    (a stand-in coach that grades by the first option: no index, no model)."""
    from types import SimpleNamespace

    from tutor.learn.next_lesson import NextSteps
    from ui.i18n import t
    from ui.practice import PracticeTab

    def answer(learner: str, rnd: Round, choice: int) -> Feedback:
        f = Feedback(rnd.current, choice, choice == 0, 0, "", None)  # type: ignore[arg-type]
        rnd.answer(f)
        return f

    coach = SimpleNamespace(
        answer=answer,
        next_steps=lambda learner: NextSteps("p/en/x", None, "en", {}, False),
        manifest=lambda: SimpleNamespace(lessons={}),
        items_per_lesson=lambda: {},
        threshold=0.8,
    )
    tab = PracticeTab(None, coach)  # type: ignore[arg-type]
    french = SimpleNamespace(headers={"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"})
    rnd = Round.start([item("p/en/x", 1), item("p/en/x", 2)])

    _, _, nothing_chosen, *_ = tab.check(None, rnd, "browser:b", french)  # type: ignore[arg-type]
    assert t("fr", "check.pick") in nothing_chosen and "Choose an answer first" not in nothing_chosen
    _, _, no_round, *_ = tab.check(0, None, "browser:b", french)  # type: ignore[arg-type]
    assert t("fr", "practice.start_first") in no_round and "Start a round" not in no_round

    _, _, wrong, _, advance, what_next = tab.check(1, rnd, "browser:b", french)  # type: ignore[arg-type]
    assert t("fr", "practice.wrong", choice="option 1") in wrong and "Not quite" not in wrong
    assert advance.value == t("fr", "practice.next_question") and t("fr", "practice.next") in what_next
    asked, *_ = tab.advance(rnd, "browser:b", french)  # type: ignore[arg-type]
    assert t("fr", "practice.item", number=2) in asked and "right on the first try" not in asked
    _, _, right, _, advance, _ = tab.check(0, rnd, "browser:b", french)  # type: ignore[arg-type]
    assert t("fr", "practice.right") in right and advance.value == t("fr", "practice.next_question")
    again, *_ = tab.advance(rnd, "browser:b", french)  # type: ignore[arg-type]  # item 1 comes back
    assert t("fr", "practice.again") in again and "Again" not in again
    *_, advance, _ = tab.check(0, rnd, "browser:b", french)  # type: ignore[arg-type]
    assert advance.value == t("fr", "practice.see_score")
    summary, *_ = tab.advance(rnd, "browser:b", french)  # type: ignore[arg-type]
    assert t("fr", "practice.summary", right=1, total=2) in summary and "Round over" not in summary

    _, _, english, *_ = tab.check(None, rnd, "browser:b", SimpleNamespace(headers={}))  # type: ignore[arg-type]
    assert "Start a round first." in english  # the round is over; no header: English
