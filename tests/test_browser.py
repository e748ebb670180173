"""The page in headless Chromium: streamed answers with sources, refusals, re-indexing a live server, and
a hostile lesson whose markup stays text. Runs on its own scratch copy of the corpus and its own index."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from tests.browser import running_site
from tests.conftest import ROOT, lesson
from tutor.answer.sentences import answer_sentences

pytestmark = pytest.mark.browser

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
# a lesson whose passage holds a list, a link and a table (issue 33: raw "- ", "[text](url)" and "|" on the page)
AXOLOTL_LESSON = lesson(
    "Axolotl Tank Care",
    """
    ## Setting up an axolotl tank

    An axolotl tank needs three things before the axolotl moves in:

    - Cool water between 16 and 18 degrees, because warm water stresses an axolotl.
    - A soft sand floor, since an axolotl swallows gravel while feeding.
    - A gentle filter, because strong currents tire an axolotl out.

    The [axolotl care sheet](https://example.org/axolotl-care) lists the water values an axolotl tank needs.

    | Part | Why the axolotl needs it |
    |---|---|
    | Chiller | keeps the axolotl tank water cool |
    """,
    order=98,
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
DONE = """q => [...document.querySelectorAll('#sources .answer:not(.earlier)')].some(e => e.dataset.question === q)"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, embedder, llm):
    hostile = {
        "programs/ai-foundations/lessons/en/quokka-grooming.mdx": HOSTILE_LESSON,
        "programs/ai-foundations/lessons/en/axolotl-tank-care.mdx": AXOLOTL_LESSON,
    }
    with running_site(tmp_path_factory, embedder, llm, "browser", extra_lessons=hostile, max_tokens=48) as site:
        page = site.browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(site.url, wait_until="domcontentloaded")
        page.wait_for_selector("#question textarea", timeout=60_000)
        yield SimpleNamespace(page=page, lessons=site.lessons, tutor=site.tutor, browser=site.browser, url=site.url)


@pytest.fixture(autouse=True)
def fresh_conversation(site):
    """Each test asks standalone questions: "New conversation" first, so a short question is not taken as a
    follow-up of the previous test's (tutor/search/conversation.py)."""
    site.page.click("#new")
    site.page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"user\"]').length === 0")


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
    assert page.locator("#status, #reindex").count() == 0  # model details and re-index are the teacher's
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui.png"), full_page=True)


KEYS_SHOWN = """() => { const b = document.querySelectorAll('#chat [data-testid="bot"]');
                        return b.length > 0 && b[b.length - 1].querySelector('blockquote.key') !== null; }"""


def test_key_sentences_come_first_with_links_to_their_sources(site):
    page = site.page
    question = "What is quantisation?"
    page.fill("#question textarea", question)
    t0 = time.perf_counter()
    page.click("#ask")
    page.wait_for_function(KEYS_SHOWN, timeout=ANSWER_TIMEOUT_S * 1000, polling=10)
    shown_after = time.perf_counter() - t0
    drafting = page.evaluate(LAST_BOT)
    assert "From the lessons".upper() in drafting.upper()
    ask_wait = time.time() + ANSWER_TIMEOUT_S
    while not page.evaluate(DONE, question) and time.time() < ask_wait:
        time.sleep(0.05)
    bot = page.locator('#chat [data-testid="bot"]').last
    keys = bot.locator("blockquote.key")
    assert keys.count() >= 1 and "bits" in (keys.first.inner_text() or "")
    html = bot.inner_html()
    assert html.index("blockquote") < html.index("explanation") if "explanation" in html else True
    link = keys.first.locator("a.cite")
    target = link.get_attribute("href")
    assert target and target.startswith("#src-") and page.locator(f"#sources {target}").count() == 1
    # the lesson's **Quantisation** shows bold in the key sentence and in its source, not as raw asterisks
    assert keys.first.locator("strong").count() >= 1 and "**" not in keys.first.inner_text()
    card = page.locator(f"#sources {target}")
    assert card.locator("strong").count() >= 1 and "**" not in card.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "key_sentences_latency.txt").write_text(f"{shown_after:.3f}\n", encoding="utf-8")
    print(f"key sentences shown {shown_after * 1000:.0f} ms after Ask")


def test_unsupported_sentences_are_greyed_and_marked_inline(site, monkeypatch):
    """The model is scripted here (one sentence the lessons back, one they do not), so the marking is
    seen for certain; the other tests use the real model."""
    page = site.page
    question = "What does quantisation do to weights?"
    # two sentences of the first passage that are not key sentences (a repeat of one is dropped unchecked),
    # whichever the scorer picks: the first cited, the second's citation left to the check
    r = site.tutor.retrieve(question)
    sources = [p.source() for p in r.passages]
    keys = " ".join(
        k.text for k in site.tutor.picker.pick(site.tutor.retriever.expand(r.query), r.query_vector, sources)
    )
    own = [
        t
        for t in answer_sentences(sources[0].text)
        if len(t.split()) >= 8 and t[0].isupper() and t.endswith(".") and t not in keys and "*" not in t
    ]
    assert len(own) >= 2, own
    script = [f"{own[0][:-1]} [1]. ", f"{own[1]} ", "It was invented by Professor Zanzibar Quill in 1871."]

    def scripted(prompt, stop, *, stats=None, **kw):
        for piece in script:
            if stats is not None:
                stats.completion_tokens += 1
            yield piece

    monkeypatch.setattr(site.tutor.llm, "stream", scripted)
    ask(page, question)
    bot = page.locator('#chat [data-testid="bot"]').last
    unsupported = bot.locator("span.unsupported")  # the sentence itself (the phone copy lists it too)
    assert unsupported.count() == 1 and "Zanzibar" in unsupported.inner_text()
    assert bot.locator(".flag").inner_text().strip() == "not in the lessons"
    color = unsupported.evaluate("e => getComputedStyle(e).color")
    assert color in ("rgb(140, 149, 159)",), color  # grey, not the normal text colour
    supported = bot.locator(".supported")
    assert supported.count() == 2 and supported.locator("a.cite").count() == 2  # the second one's is inferred
    # issue 33: the invented sentence is only inside the explanation, never a box above the sources (nor in
    # the phone's copy of them)
    assert bot.locator(".explain span.unsupported").count() == 1
    assert "Zanzibar" not in sources_text(page) and page.locator("#sources .unsupported").count() == 0
    assert "Zanzibar" not in (bot.locator(".phone-sources").text_content() or "")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "answer_marks.png"), full_page=True)


def cited_card(page, link):
    """Click a citation link; the source card it opened (the visible one that flashes)."""
    link.click()
    page.wait_for_selector("#sources .src.flash", timeout=5_000)
    card = page.locator("#sources .src.flash")
    assert card.count() == 1 and card.is_visible()
    return card


def test_a_citation_of_an_earlier_answer_opens_that_answers_own_source(site):
    """Issue 33: the sources panel showed only the newest answer's passages, so [1] in an earlier answer
    flashed another answer's card. Three answers on three lessons; each answer's first citation opens a
    card of the lesson its key sentence quotes."""
    page = site.page
    questions = ["What is quantisation?", "How does self-attention work?", "What are embeddings used for?"]
    for q in questions:
        ask(page, q)
    bots = page.locator('#chat [data-testid="bot"]')
    assert bots.count() == 3
    lessons = []
    for i in (0, 1, 2, 0):  # oldest first, then the newest, then the oldest again
        key = bots.nth(i).locator("blockquote.key").first
        quoted = key.locator("small").inner_text().split(" > ")[0].strip()  # the key sentence's lesson title
        card = cited_card(page, key.locator("a.cite").first)
        assert card.locator(".title").inner_text().strip() == quoted, (i, quoted)
        assert questions[i] in page.locator("#sources .answer:visible").inner_text()  # which answer's sources
        page.wait_for_timeout(1_600)  # the flash is over
        lessons.append(quoted)
    assert len(set(lessons)) >= 2  # the answers rest on different lessons: a mix-up would show


def test_lists_links_and_tables_of_a_lesson_read_as_such(site):
    """Issue 33: a highlighted list item showed a raw "- ", a markdown link and a table showed their syntax
    in the key sentences and the source cards."""
    page = site.page
    ask(page, "What does an axolotl tank need?")
    card = page.locator("#sources .src", has_text="Axolotl").first
    text = card.inner_text()
    assert "](" not in text and "axolotl care sheet" in text  # the link's words, no markdown
    assert "|" not in text and card.locator("table td").count() >= 2
    assert card.locator("li").count() == 3
    assert not [line for line in text.splitlines() if line.strip().startswith(("- ", "* "))], text
    keys = page.locator('#chat [data-testid="bot"]').last.locator("blockquote.key")
    for quote in keys.all_inner_texts():
        assert "](" not in quote and "|" not in quote and not quote.strip().startswith("- "), quote


def test_off_topic_question_is_refused_with_suggestions(site):
    page = site.page
    seen = ask(page, "What is the best recipe for lasagna?")
    assert "don't cover" in seen[-1]
    assert page.locator("#sources .answer.refused").count() == 1
    suggested = [t.strip() for t in page.locator("#sources .suggestions li strong").all_text_contents()]
    assert suggested and all(suggested)


def teacher_page(site):
    """/teacher in a second tab of the same browser (no auth here: the page is open on loopback)."""
    teacher = site.browser.new_page(viewport={"width": 1400, "height": 1000})
    teacher.goto(site.url.rstrip("/") + "/teacher", wait_until="domcontentloaded")
    teacher.wait_for_function(
        "() => (document.querySelector('#status')?.innerText || '').includes('Model')", timeout=ANSWER_TIMEOUT_S * 1000
    )
    return teacher


def test_teacher_page_shows_the_model_and_the_index(site):
    teacher = teacher_page(site)
    status = teacher.locator("#status").inner_text()
    assert "SmolLM2" in status and "GPU offload" in status and "lessons" in status
    teacher.close()


def test_reindex_makes_an_edited_lesson_retrievable_without_restart(site):
    page = site.page
    edited = site.lessons / "programs/ai-foundations/lessons/en/embeddings-and-vector-search.mdx"
    edited.write_text(edited.read_text(encoding="utf-8") + NEW_SENTENCE, encoding="utf-8")
    teacher = teacher_page(site)
    teacher.click("#reindex")
    teacher.wait_for_function(
        "() => (document.querySelector('#sync') || {}).innerText?.includes('1 updated')",
        timeout=ANSWER_TIMEOUT_S * 1000,
    )
    assert "ai-foundations/en/embeddings-and-vector-search" in (teacher.locator("#sync").text_content() or "")
    teacher.close()
    ask(page, f"What is the {NEW_WORD} index?")  # the learner's page, never reloaded, finds the new text
    assert NEW_WORD in sources_text(page)


def test_hostile_lesson_runs_nothing_and_shows_literally(site):
    page = site.page
    question = "How do quokkas <b>groom</b> their fur?"
    ask(page, question)
    assert page.evaluate(LAST_USER).strip() == question  # the question's tags show as typed
    text = sources_text(page)
    assert "Quokka Grooming" in text
    for markup in (m for m in HOSTILE_MARKUP if not m.startswith("<img")):
        assert markup in text, markup
    # an <img> in lesson text is read as a rendered page reads it (tutor/ingest/markup.py): its alt text, here
    # none, so its attributes never become passage text; the title's tag shows literally
    assert "Grooming also spreads natural oils" in text and 'onerror="window.__pwned=2"' not in text
    assert page.locator("#sources script, #sources img, #chat img").count() == 0
    page.click("#lesson input")  # the lesson filter lists the hostile title too
    page.keyboard.press("Escape")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
