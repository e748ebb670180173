""" "Check yourself" after a chat answer, the chat's quiz guard and the teacher's practice results.

The pieces (which lessons an answer rests on, the offer's rules, recording, the per-lesson results) on the
real index and embedder; then the page in headless Chromium with the real tutor and model, signed in with
auth: a grounded answer offers one of its lesson's quiz items with no key or explanation in the network
traffic until the learner answers, a wrong choice gets the explanation and the supporting passage and is
recorded; a quiz question typed in the chat gets a passage and a hint, not the key; the teacher page shows
per-lesson results. Runs on its own copy of corpus/, its own index and its own progress database.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from tests.browser import running_site, sign_in
from tests.conftest import ROOT
from tests.learner_page import pick_program
from tutor.events import Answer, KeySentence, Source
from tutor.learn.coach import lessons_of
from tutor.learn.progress import ProgressStore

FIRST, FIRST_TITLE = "ai-foundations/en/what-is-machine-learning", "What Is Machine Learning?"
SECOND, SECOND_TITLE = "ai-foundations/en/neural-networks", "How Neural Networks Learn"
LEARNER, TEACHER = ("ana", "check-pw-1"), ("teacher", "teach-pw-1")
WAIT_MS = 300_000  # the tiny model on 2 busy cores can be slow
ARTIFACTS = ROOT / "tests" / "artifacts"
SHOWS = "([sel, text]) => (document.querySelector(sel)?.innerText || '').includes(text)"


def source(n: int, lesson_id: str, cited: bool = True) -> Source:
    return Source(
        number=n, chunk_id=f"c{n}", lesson_id=lesson_id, path="p.mdx", title=lesson_id, breadcrumb="b",
        anchor="a", language="en", program="p", start=10, end=20, score=0.5, similarity=0.5, text="t", cited=cited,
    )  # fmt: skip


def answer(**kw: object) -> Answer:
    """A grounded answer: a key sentence from SECOND, passages of FIRST (cited) and of a third lesson (not)."""
    key = KeySentence(
        number=2, text="k", lesson_id=SECOND, title="", breadcrumb="", path="", start=0, end=1, file_start=0,
        file_end=1, score=1.0,
    )  # fmt: skip
    base = Answer(
        question="q",
        text="k [2] e [1]",
        refused=False,
        sources=[source(1, FIRST), source(2, SECOND), source(3, "other/en/x", cited=False)],
        citations=[2, 1],
        key_sentences=[key],
    )
    return replace(base, **kw)


@pytest.fixture(scope="module")
def coach(corpus_index, embedder, tmp_path_factory):
    from tutor.build import build_coach, build_tutor

    settings, store = corpus_index
    tutor = build_tutor(settings, store=store, embedder=embedder)  # the LLM is never loaded here
    return build_coach(tutor, ProgressStore(tmp_path_factory.mktemp("check") / "p.sqlite"))


# --- the pieces ----------------------------------------------------------------------------------------
def test_an_answer_rests_on_its_key_sentences_lessons_then_its_cited_ones_and_refusals_on_none():
    assert lessons_of(answer()) == [SECOND, FIRST]  # the uncited passage's lesson plays no part
    assert lessons_of(answer(refused=True)) == []
    assert lessons_of(answer(quiz_hint=True)) == []
    assert lessons_of(answer(key_sentences=[], citations=[])) == []
    from ui.turns import Stopped

    stopped = Stopped(question="q", text="k [2]", refused=False, sources=answer().sources, citations=[2])
    assert lessons_of(stopped) == []


def test_offer_takes_an_unoffered_item_of_the_answers_lessons_and_checking_records_a_first_try(coach):
    item = coach.offer("user:offer", answer(), set())
    assert item is not None and item.lesson_id == SECOND and item.number == 1
    assert not hasattr(item, "answer") and "explanation" not in item.to_json()
    every = {i.ref for i in coach.practice.items(SECOND)}
    then = coach.offer("user:offer", answer(), every)
    assert then is not None and then.lesson_id == FIRST  # the next lesson the answer rests on
    assert coach.offer("user:offer", answer(refused=True), set()) is None
    assert coach.offer("user:offer", answer(quiz_hint=True), set()) is None

    key = int(coach.manifest().lessons[SECOND].quizzes[0]["answer"])
    fb = coach.check_yourself("user:offer", item, (key + 1) % len(item.options))
    assert not fb.correct and fb.key == key and fb.explanation
    assert fb.passage is not None and fb.passage.lesson_id == SECOND and fb.passage.highlights
    progress = coach.lessons("user:offer")[SECOND]
    assert progress.missed == [1] and progress.known == []  # recorded like a practice answer's first try


def test_results_by_lesson_name_the_most_missed_item_and_only_signed_in_learners_are_listed(tmp_path):
    store = ProgressStore(tmp_path / "p.sqlite")
    store.record("user:ben", "p/en/x", 1, "q1", 0, True)
    store.record("user:ben", "p/en/x", 2, "q2", 1, False)
    store.record("user:cy", "p/en/x", 2, "q2", 2, False)
    store.record("user:cy", "p/en/x", 3, "q3", 1, False)
    store.record("user:cy", "p/en/x", 3, "q3", 0, True, retry=True)  # a retry: not counted
    store.record("browser:abc", "p/en/y", 1, "q1", 0, True)
    x, y = store.results_by_lesson()
    assert (x.lesson_id, x.learners, x.attempts, x.right_share) == ("p/en/x", 2, 4, 0.25)
    assert (x.most_missed, x.most_missed_wrong) == (2, 2)
    assert (y.most_missed, y.most_missed_wrong) == (None, 0)
    assert [(r.learner, r.lessons, r.attempts) for r in store.results_by_learner()] == [
        ("user:ben", 1, 2),
        ("user:cy", 1, 2),
    ]


def test_teacher_rows_name_the_lesson_and_its_most_missed_question(coach):
    from tutor.learn.progress import LessonResults
    from ui.teacher import practice_rows

    m = coach.manifest()
    (row,) = practice_rows([LessonResults(FIRST, 3, 7, 0.4286, 2, 3)], m)
    assert row[:4] == [f"{FIRST_TITLE} ({FIRST})", "3", "7", "43%"]
    assert row[4] == f"2: {m.lessons[FIRST].quizzes[1]['question']} (3 wrong)"
    assert practice_rows([LessonResults("gone/en/x", 1, 1, 1.0)], m) == [["gone/en/x", "1", "1", "100%", "none"]]


# --- the page ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory, embedder, llm):
    auth = {"auth": ":".join(LEARNER), "teacher_auth": ":".join(TEACHER)}
    with running_site(tmp_path_factory, embedder, llm, "check-browser", credentials=[LEARNER, TEACHER], **auth) as site:
        quizzes = {lid: e.quizzes for lid, e in site.tutor.store.require().lessons.items()}
        yield SimpleNamespace(browser=site.browser, url=site.url, quizzes=quizzes, settings=site.settings)


def signed_in(site, creds=LEARNER, path: str = ""):
    """A new browser context, signed in, its traffic recorded from the first request."""
    page, traffic = sign_in(site, creds, WAIT_MS)
    if path:
        page.goto(site.url.rstrip("/") + path, wait_until="domcontentloaded")
    return page, traffic


def wait_answered(page, question: str) -> None:
    page.wait_for_function(
        "q => [...document.querySelectorAll('#sources .answer')].some(e => e.dataset.question === q)",
        arg=question,
        timeout=WAIT_MS,
    )


def ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")
    wait_answered(page, question)
    page.wait_for_selector("#ask", state="visible", timeout=WAIT_MS)  # the turn's events are done


@pytest.mark.browser
def test_check_yourself_after_an_answer_keeps_the_key_out_of_the_traffic_and_records_a_wrong_answer(site):
    page, traffic = signed_in(site)
    ask(page, "What is supervised learning?")
    offer = page.locator("#check-yourself .check-offer")
    offer.wait_for(state="visible", timeout=WAIT_MS)
    lesson, number = offer.get_attribute("data-lesson"), int(offer.get_attribute("data-item") or 0)
    assert lesson == FIRST  # the lesson the answer rests on
    quiz = site.quizzes[FIRST][number - 1]
    assert quiz["question"] in offer.inner_text() and "Check yourself" in offer.inner_text()
    options = page.locator("#check-choice label")
    assert options.all_inner_texts() == quiz["options"]
    seen = traffic.text()
    assert quiz["explanation"] not in seen and "practice feedback" not in seen  # the catalogue ships "The answer:"

    wrong = (quiz["answer"] + 1) % len(quiz["options"])
    options.nth(wrong).click()
    page.click("#check-btn")
    fb = page.locator("#check-feedback .feedback")
    fb.wait_for(timeout=WAIT_MS)
    text = fb.inner_text()
    assert "wrong" in (fb.get_attribute("class") or "") and "Not quite" in text
    assert quiz["explanation"] in text and quiz["options"][quiz["answer"]] in text
    assert "From the lesson" in text and "What Is Machine Learning?" in text and ".mdx" not in text  # no path
    assert page.locator("#check-feedback .src mark").count() >= 1  # the sentences that support the key
    assert quiz["explanation"] in traffic.text()  # the recording does see the feedback when it comes
    progress = ProgressStore(site.settings.progress_path).lessons(f"user:{LEARNER[0]}")
    assert progress[FIRST].missed == [number]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "check-yourself.png"), full_page=True)
    page.context.close()


@pytest.mark.browser
def test_a_quiz_question_typed_in_the_chat_gets_a_passage_and_a_hint_not_the_key(site):
    page, traffic = signed_in(site)
    quiz = site.quizzes[FIRST][0]
    key = quiz["options"][quiz["answer"]]
    ask(page, quiz["question"])
    bubble = page.locator("#chat [data-testid='bot']").last
    hint = bubble.inner_text()
    assert bubble.locator(".quiz-hint").count() == 1 and "Read" in hint and "Practice" in hint
    assert key not in hint and quiz["explanation"] not in traffic.text()
    panel = page.locator("#sources").inner_text()
    assert "what-is-machine-learning" in panel or FIRST_TITLE in panel  # the passage to read
    assert page.locator("#sources .src").count() >= 1
    assert page.locator("#check-yourself").is_hidden()  # a quiz question offers no quiz item either
    page.context.close()


@pytest.mark.browser
def test_the_teacher_page_shows_practice_results_per_lesson(site):
    store = ProgressStore(site.settings.progress_path)
    n2 = site.quizzes[SECOND][1]["question"]
    store.record("user:ben", SECOND, 1, "q1", 0, True)
    store.record("user:ben", SECOND, 2, n2, 1, False)
    store.record("user:cy", SECOND, 2, n2, 2, False)
    store.record("browser:abc", SECOND, 3, "q3", 0, True)
    page, _ = signed_in(site, TEACHER, "/teacher")
    page.wait_for_function(SHOWS, arg=["#practice-results", SECOND_TITLE], timeout=WAIT_MS)
    page.wait_for_function(SHOWS, arg=["#practice-learners", "ben"], timeout=WAIT_MS)
    table = " ".join(page.locator("#practice-results").inner_text().split())  # cells, one space apart
    assert f"{SECOND_TITLE} ({SECOND}) 3 4 50% 2: {n2} (2 wrong)" in table
    learners = page.locator("#practice-learners").inner_text()
    assert "cy" in learners and "abc" not in learners  # only signed-in learners, by name
    page.context.close()


# an offer seen beside Stop for 10 polls in a row (250 ms): more than the instant between Ask turning into
# Stop and the offer hiding (two events) when a question is sent under an offer
WATCH_BUSY_OFFERS = """() => {
    window.offeredWhileBusy = false;
    let together = 0;
    const shown = sel => { const e = document.querySelector(sel); return !!e && e.offsetParent !== null; };
    setInterval(() => {
        together = shown('#check-yourself .check-offer') && shown('#stop') ? together + 1 : 0;
        if (together >= 10) window.offeredWhileBusy = true;
    }, 25);
}"""


@pytest.mark.browser
def test_each_session_has_its_own_offer_and_a_queued_question_is_answered_before_any_offer(site):
    one, _ = signed_in(site)
    two, _ = signed_in(site)
    first, second, third = (
        "What is unsupervised learning?",
        "What is reinforcement learning?",
        "What is the difference between training and inference?",
    )
    one.evaluate(WATCH_BUSY_OFFERS)
    one.fill("#question textarea", first)
    one.click("#ask")
    one.wait_for_selector("#stop", state="visible", timeout=WAIT_MS)
    box_empty = "() => document.querySelector('#question textarea').value === ''"
    one.wait_for_function(box_empty, timeout=WAIT_MS)  # the question was taken, as a learner sees it leave
    one.fill("#question textarea", second)  # sent while the first answer is written: it waits its turn
    one.press("#question textarea", "Enter")
    one.wait_for_function(box_empty, timeout=WAIT_MS)
    wait_answered(one, first)
    one.fill("#question textarea", third)  # sent while the second is written, the first one done
    one.press("#question textarea", "Enter")
    wait_answered(one, third)
    offer_one = one.locator("#check-yourself .check-offer")
    offer_one.wait_for(state="visible", timeout=WAIT_MS)
    users = [u.strip() for u in one.locator("#chat [data-testid='user']").all_inner_texts()]
    assert users == [first, second, third]  # all answered, then one offer under the last answer
    assert one.evaluate("() => window.offeredWhileBusy") is False  # never while an answer was pending
    item_one = (offer_one.get_attribute("data-lesson"), offer_one.get_attribute("data-item"))

    ask(two, "What is supervised learning?")
    offer_two = two.locator("#check-yourself .check-offer")
    offer_two.wait_for(state="visible", timeout=WAIT_MS)
    lesson, number = offer_two.get_attribute("data-lesson"), int(offer_two.get_attribute("data-item") or 0)
    quiz = site.quizzes[lesson][number - 1]
    two.locator("#check-choice label").nth(quiz["answer"]).click()
    two.click("#check-btn")
    two.locator("#check-feedback .feedback.right").wait_for(timeout=WAIT_MS)
    assert two.locator("#check-btn").is_disabled()  # one answer per offer

    one.wait_for_timeout(1000)  # the other session is untouched: its own offer, unanswered
    assert (offer_one.get_attribute("data-lesson"), offer_one.get_attribute("data-item")) == item_one
    assert one.locator("#check-feedback .feedback").count() == 0 and one.locator("#check-btn").is_enabled()
    for page in (one, two):
        page.context.close()


@pytest.mark.browser
def test_a_refusal_offers_nothing_and_searching_all_lessons_then_offers_an_item_of_the_answer(site):
    page, _ = signed_in(site)
    page.wait_for_selector("#examples .gallery-item", timeout=WAIT_MS)  # the load events are done
    pick_program(page, "AI Foundations")
    question = "How does self-attention work?"  # in the other program's lessons only: refused here
    ask(page, question)
    assert page.locator("#sources .answer.refused").count() == 1
    page.wait_for_timeout(1000)  # the offer step has run by now
    assert page.locator("#check-yourself").is_hidden()
    page.click("#search-all")
    page.wait_for_selector("#sources .answer:not(.refused)", timeout=WAIT_MS)
    offer = page.locator("#check-yourself .check-offer")
    offer.wait_for(state="visible", timeout=WAIT_MS)
    assert offer.get_attribute("data-lesson") == "large-language-models/en/transformers-and-attention"
    page.context.close()
