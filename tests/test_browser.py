"""The page in headless Chromium: streamed answers with sources, refusals, re-indexing a live server, and
a hostile lesson whose markup stays text. Runs on its own scratch copy of the corpus and its own index."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import CORPUS, ROOT, lesson

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
ANSWER_TIMEOUT_S = 300  # the tiny model on 2 busy cores can be slow

HOSTILE_MARKUP = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    "${window.__pwned=5}",
    "{{constructor.constructor('window.__pwned=6')()}}",
]
HOSTILE_LESSON = lesson(
    "Quokka Grooming <img src=x onerror=window.__pwned=4>",
    f"""
    ## How quokkas groom their fur

    Quokkas groom their fur every evening with their small front paws, combing out sand and seeds.
    {HOSTILE_MARKUP[0]} A well groomed quokka coat keeps the animal warm on cold island nights.
    Grooming also spreads natural oils through the fur. {HOSTILE_MARKUP[1]} Young quokkas learn to groom
    by watching their mothers. Template text such as {HOSTILE_MARKUP[2]} and {HOSTILE_MARKUP[3]} is text too.
    """,
    order=99,
)
NEW_WORD = "Zorblaxian"
NEW_SENTENCE = (
    f"\n\nThe {NEW_WORD} index is a made-up kind of vector index that stores every embedding "
    "twice, once forwards and once backwards, to speed up vector search.\n"
)

LAST_BOT = """() => { const b = document.querySelectorAll('#chat [data-testid="bot"]');
                      return b.length ? b[b.length - 1].innerText : ''; }"""
LAST_USER = """() => { const u = document.querySelectorAll('#chat [data-testid="user"]');
                       return u.length ? u[u.length - 1].innerText : ''; }"""
DONE = """q => [...document.querySelectorAll('#sources .answer')].some(e => e.dataset.question === q)"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, embedder, llm):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    from tutor.build import build_tutor, reindex
    from tutor.settings import Settings
    from ui.app import build_app, launch

    base = tmp_path_factory.mktemp("browser")
    lessons = base / "lessons"
    shutil.copytree(CORPUS, lessons)
    (lessons / "programs/ai-foundations/lessons/en/quokka-grooming.mdx").write_text(HOSTILE_LESSON, encoding="utf-8")
    settings = Settings(lessons_dir=lessons, index_dir=base / "index", max_tokens=48)
    tutor = build_tutor(settings, embedder=embedder, llm=llm)
    reindex(tutor)
    demo = build_app(tutor)
    launch(demo, "127.0.0.1", None, None, prevent_thread_lock=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(demo.local_url, wait_until="domcontentloaded")
            page.wait_for_selector("#question textarea", timeout=60_000)
            yield SimpleNamespace(page=page, lessons=lessons)
            browser.close()
    finally:
        demo.close()


def ask(page, question: str) -> list[str]:
    """Send a question and wait for its sources panel; returns the bot message as seen while it streamed."""
    page.fill("#question textarea", question)
    page.click("#ask")
    seen: list[str] = []
    deadline = time.time() + ANSWER_TIMEOUT_S
    while time.time() < deadline:
        seen.append(page.evaluate(LAST_BOT))
        if page.evaluate(DONE, question):
            seen.append(page.evaluate(LAST_BOT))
            return seen
        time.sleep(0.05)
    raise AssertionError(f"no answer to {question!r} within {ANSWER_TIMEOUT_S} s; saw {seen[-3:]}")


def sources_text(page) -> str:
    return page.locator("#sources").text_content() or ""


def test_lesson_question_streams_an_answer_with_sources(site):
    page = site.page
    seen = ask(page, "How does self-attention work?")
    partials = [s for s in dict.fromkeys(seen) if s.strip() and s.strip() != "…"]
    assert len(partials) >= 3, partials  # the answer grew piece by piece before it was done
    assert partials[-1].strip() and "don't cover" not in partials[-1]
    cards = page.locator("#sources .src")
    assert cards.count() >= 1
    titles = [t.strip() for t in page.locator("#sources .src .title").all_text_contents()]
    assert "The Transformer and Self-Attention" in titles
    assert page.locator("#sources .src .bar span").count() == cards.count()
    assert "Model" in (page.locator("#status").text_content() or "")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui.png"), full_page=True)


def test_off_topic_question_is_refused_with_suggestions(site):
    page = site.page
    seen = ask(page, "What is the best recipe for lasagna?")
    assert "don't cover" in seen[-1]
    assert page.locator("#sources .answer.refused").count() == 1
    suggested = [t.strip() for t in page.locator("#sources .suggestions li strong").all_text_contents()]
    assert suggested and all(suggested)


def test_reindex_makes_an_edited_lesson_retrievable_without_restart(site):
    page = site.page
    edited = site.lessons / "programs/ai-foundations/lessons/en/embeddings-and-vector-search.mdx"
    edited.write_text(edited.read_text(encoding="utf-8") + NEW_SENTENCE, encoding="utf-8")
    page.click("#reindex")
    page.wait_for_function(
        "() => (document.querySelector('#sync') || {}).innerText?.includes('1 updated')",
        timeout=ANSWER_TIMEOUT_S * 1000,
    )
    assert "ai-foundations/en/embeddings-and-vector-search" in (page.locator("#sync").text_content() or "")
    ask(page, f"What is the {NEW_WORD} index?")
    assert NEW_WORD in sources_text(page)


def test_hostile_lesson_runs_nothing_and_shows_literally(site):
    page = site.page
    question = "How do quokkas <b>groom</b> their fur?"
    ask(page, question)
    assert page.evaluate(LAST_USER).strip() == question  # the question's tags show as typed
    text = sources_text(page)
    assert "Quokka Grooming" in text
    for markup in HOSTILE_MARKUP:
        assert markup in text, markup
    assert page.locator("#sources script, #sources img, #chat img").count() == 0
    page.click("#lesson input")  # the lesson filter lists the hostile title too
    page.keyboard.press("Escape")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
