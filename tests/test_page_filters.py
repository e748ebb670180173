"""The page's scope and filters in headless Chromium (issue 13): the scope is shown, a refusal under a program
filter names it and offers all lessons, the examples follow the scope, sources read as text with their course
links and similarity on demand, a citation scrolls to its source, New keeps or drops the filters, and a
dropdown's list closes when focus leaves it. The rest of the page is in tests/test_page.py. Screenshots go to
tests/artifacts/."""

from __future__ import annotations

import pytest

from tests.learner_page import (
    ARTIFACTS,
    LAST_BOT,
    WAIT_MS,
    open_page,
    open_program_list,
    page_site,
    pick_program,
    send,
    wait_done,
)

pytestmark = pytest.mark.browser

NO_OPEN_LIST = "() => ![...document.querySelectorAll('[role=listbox]')].some(e => e.getClientRects().length > 0)"


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder, llm):
    with page_site(tmp_path_factory, embedder, llm) as site:
        yield site


def test_scope_banner_refusal_offers_all_lessons_and_examples_follow_the_scope(server):
    page = open_page(server)
    assert "all lessons" in page.locator("#scope").inner_text().lower()
    pick_program(page, "AI Foundations")
    examples = page.locator("#examples button, #examples td, #examples .gallery-item").all_inner_texts()
    assert examples and not any("attention" in e.lower() for e in examples), examples  # from this program only
    page.keyboard.press("Tab")
    question = "How does self-attention work?"
    send(page, question)
    wait_done(page, question)
    bot = page.evaluate(LAST_BOT)
    assert "AI Foundations" in bot  # the refusal names the filter in force
    page.wait_for_selector("#search-all", state="visible", timeout=WAIT_MS)
    page.click("#search-all")
    page.wait_for_selector("#sources .answer:not(.refused)", timeout=WAIT_MS)
    assert "all lessons" in page.locator("#scope").inner_text().lower()
    titles = page.locator("#sources .src .title").all_inner_texts()
    assert any("Attention" in x for x in titles), titles
    link = page.locator("#sources .src a.course").first.get_attribute("href")
    assert link.startswith("https://course.example/large-language-models/en/")
    assert page.locator("#sources .src .sim").first.is_hidden()  # similarity only on demand
    page.click("#show-sim input")
    page.wait_for_selector("#sources .src .sim", state="visible")
    cite = page.locator("#chat a.cite").first
    target = f"#sources {cite.get_attribute('href')}"
    cite.click()
    assert page.evaluate(f"() => document.querySelector('{target}').classList.contains('flash')")  # scrolled to
    box = page.locator(target).bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "learner.png"), full_page=True)
    pick_program(page, "AI Foundations")
    page.click("#new")  # "Keep the filters" is on by default
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"user\"]').length === 0")
    assert page.input_value("#program input") == "AI Foundations"
    page.uncheck("#keep-filters input")
    page.click("#new")
    page.wait_for_function("() => document.querySelector('#scope').innerText.toLowerCase().includes('all lessons')")
    assert page.input_value("#program input") == "All programs"
    page.context.close()


def test_dropdown_list_closes_when_focus_leaves_it(server):
    page = open_page(server)
    open_program_list(page)
    outside = "() => document.activeElement?.closest('#program, #lesson, #language') === null"
    for _ in range(6):  # past the program, lesson and language dropdowns without choosing (3 Tabs on a calm page)
        page.keyboard.press("Tab")
        if page.evaluate(outside):
            break
    assert page.evaluate(outside)
    page.wait_for_function(NO_OPEN_LIST, timeout=10_000)  # with focus gone, no list stays open
    page.context.close()
