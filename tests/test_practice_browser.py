"""The Practice tab in headless Chromium, signed in with auth: a full round (right and wrong answers, the
supporting passage shown, no key or explanation in the network traffic before the answer), progress that
survives a reload and a new browser for the same user, and "what next" in course order. Runs on its own
copy of corpus/ and its own index and progress database."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.browser import running_site, sign_in
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

USER, PASSWORD = "ana", "practice-pw"
FIRST, FIRST_TITLE = "ai-foundations/en/what-is-machine-learning", "What Is Machine Learning?"
SECOND_TITLE = "How Neural Networks Learn"
WAIT_MS = 120_000
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def site(tmp_path_factory, embedder, llm):
    with running_site(tmp_path_factory, embedder, llm, "practice-browser", credentials=(USER, PASSWORD)) as site:
        quizzes = {q["question"]: q for q in site.tutor.store.require().lessons[FIRST].quizzes}
        yield SimpleNamespace(browser=site.browser, url=site.url, quizzes=quizzes, settings=site.settings)


def signed_in(site):
    """A new browser context (its own cookies and local storage), signed in, on the Practice tab."""
    page, traffic = sign_in(site, (USER, PASSWORD), WAIT_MS)
    open_practice(page)
    return page, traffic


def open_practice(page) -> None:
    page.wait_for_selector("#question textarea", timeout=WAIT_MS)
    page.get_by_role("tab", name="Practice").click()
    page.wait_for_selector("#practice-next .what-next", timeout=WAIT_MS)


def next_title(page) -> str:
    return page.locator("#practice-next .next strong").inner_text().strip()


def play_round(page, site, traffic, wrong_items: set[int]) -> list[dict]:
    """Start a round on the lesson "what next" names; answer items in `wrong_items` wrong on the first try,
    everything else right. Returns what each answer showed."""
    page.click("#practice-start")
    shown, answered = [], 0
    while True:
        page.wait_for_selector(f'#practice-question .question-card[data-answered="{answered}"]', timeout=WAIT_MS)
        question = page.locator("#practice-question .question").inner_text().strip()
        quiz = site.quizzes[question]
        number = int(page.locator("#practice-question .question-card").get_attribute("data-item") or 0)
        retry = "Again" in page.locator("#practice-question").inner_text()
        if not retry:  # nothing so far has carried this item's explanation or any verdict on it
            seen = traffic.text()
            assert quiz["explanation"] not in seen and f'data-item="{number}">' not in seen.replace("\\", "")
            assert answered > 0 or "The answer:" not in seen
        options = page.locator("#practice-choice label")
        assert options.all_inner_texts() == quiz["options"]
        pick = quiz["answer"] if retry or number not in wrong_items else (quiz["answer"] + 1) % len(quiz["options"])
        options.nth(pick).click()
        page.click("#practice-check")
        page.wait_for_selector(f'#practice-feedback .feedback[data-item="{number}"]', timeout=WAIT_MS)
        fb = page.locator("#practice-feedback .feedback")
        shown.append(
            {
                "number": number,
                "retry": retry,
                "right": "right" in (fb.get_attribute("class") or ""),
                "key": page.locator("#practice-feedback .key strong").inner_text().strip(),
                "text": fb.inner_text(),
                "marks": page.locator("#practice-feedback .src mark").count(),
                "explanation": quiz["explanation"],
                "answer": quiz["options"][quiz["answer"]],
            }
        )
        assert quiz["explanation"] in traffic.text()  # the recording does see the feedback when it comes
        answered += 1
        advance = page.locator("#practice-advance")
        label = advance.inner_text()
        advance.click()
        if "score" in label:
            page.wait_for_selector("#practice-question .summary", timeout=WAIT_MS)
            return shown


def test_a_full_round_gives_grounded_feedback_and_keeps_keys_out_of_the_traffic(site):
    page, traffic = signed_in(site)
    assert next_title(page) == FIRST_TITLE  # a new learner starts at the course's first lesson
    shown = play_round(page, site, traffic, wrong_items={1})
    n = len(site.quizzes)
    assert [s["number"] for s in shown] == [*range(1, n + 1), 1]  # the missed item comes back once, last
    assert [s["right"] for s in shown] == [False] + [True] * (n - 1) + [True]
    for s in shown:
        assert s["key"] == s["answer"] and s["explanation"] in s["text"]
        assert "From the lesson" in s["text"] and "programs/ai-foundations/lessons/en/" in s["text"]
        assert s["marks"] >= 1  # the sentences that support the key are highlighted
    assert "Not quite" in shown[0]["text"]
    summary = page.locator("#practice-question .summary").inner_text()
    assert f"{n - 1} of {n} right on the first try" in summary
    assert next_title(page) == FIRST_TITLE  # 75% is under the 80% threshold: this lesson is still next
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "practice.png"), full_page=True)
    page.context.close()


def test_progress_survives_a_reload_and_a_new_browser_for_the_signed_in_learner(site):
    page, _ = signed_in(site)
    row = page.locator("#practice-next .scores tr", has_text=FIRST_TITLE)
    n = len(site.quizzes)
    assert f"{round((n - 1) / n * 100)}%" in row.inner_text()
    page.reload(wait_until="domcontentloaded")
    open_practice(page)
    assert (
        f"{round((n - 1) / n * 100)}%" in page.locator("#practice-next .scores tr", has_text=FIRST_TITLE).inner_text()
    )
    page.context.close()


def test_what_next_follows_course_order(site):
    page, traffic = signed_in(site)
    assert next_title(page) == FIRST_TITLE
    play_round(page, site, traffic, wrong_items=set())
    assert next_title(page) == SECOND_TITLE  # lesson 1 practised to the threshold: order 2 comes next
    assert "100%" in page.locator("#practice-next .scores tr", has_text=FIRST_TITLE).inner_text()
    page.click("#practice-start")
    page.wait_for_selector('#practice-question .question-card[data-answered="0"]', timeout=WAIT_MS)
    assert page.locator("#practice-question .question-card").get_attribute("data-lesson") == (
        "ai-foundations/en/neural-networks"
    )
    page.context.close()
