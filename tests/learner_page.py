"""The learner's page as tests/test_page.py and tests/test_page_filters.py drive it (tests/test_check_yourself.py
picks a program the same way): the corpus served with a learner's and the teacher's credentials, signing in,
sending a question and waiting for its answer, choosing a program from its list."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from tests.browser import running_site
from tests.conftest import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"
WAIT_MS = 240_000
TEACHER = ("teacher", "teach-pass-1")
LEARNER = ("learner", "learn-pass-1")
BOTS = "#chat [data-testid='bot']"
LAST_BOT = (
    f"() => {{ const b = document.querySelectorAll(\"{BOTS}\"); return b.length ? b[b.length-1].innerText : ''; }}"
)
DONE = "q => [...document.querySelectorAll('#sources .answer:not(.earlier)')].some(e => e.dataset.question === q)"


@contextlib.contextmanager
def page_site(tmp_path_factory: pytest.TempPathFactory, embedder, llm) -> Iterator[SimpleNamespace]:
    """The app on its own copy of corpus/ with the LEARNER's and TEACHER's credentials, 24-token answers and
    course links, and a headless Chromium: yields url, browser, tutor, settings."""
    with running_site(
        tmp_path_factory,
        embedder,
        llm,
        "page",
        credentials=[LEARNER, TEACHER],
        max_tokens=24,
        course_url="https://course.example/{program}/{language}/{slug}#{anchor}",
        auth=":".join(LEARNER),
        teacher_auth=":".join(TEACHER),
    ) as site:
        yield SimpleNamespace(url=site.url, browser=site.browser, tutor=site.tutor, settings=site.settings)


def open_page(server, creds=LEARNER, path="", **context):
    ctx = server.browser.new_context(viewport=context.pop("viewport", {"width": 1400, "height": 1000}), **context)
    page = ctx.new_page()
    page.goto(server.url, wait_until="domcontentloaded")
    page.wait_for_selector("input[type=password]", timeout=60_000)
    page.fill("input[type=text]", creds[0])
    page.fill("input[type=password]", creds[1])
    page.keyboard.press("Enter")
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.wait_for_selector("#examples .gallery-item", timeout=60_000)  # the load events are done
    if path:
        page.goto(server.url.rstrip("/") + path, wait_until="domcontentloaded")
    return page


def send(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")


def wait_done(page, question: str) -> None:
    page.wait_for_function(DONE, arg=question, timeout=WAIT_MS)


def list_shown(page) -> None:
    page.wait_for_selector("[role=listbox]", state="visible", timeout=10_000)


def open_program_list(page, then=list_shown) -> None:
    """Open the program list and do `then`; up to three times, as the list can be redrawn under the click
    (an update landing just then) and not open."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        page.click("#program input")
        try:
            then(page)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def pick_program(page, title: str) -> None:
    """Choose a program from its list."""
    open_program_list(page, lambda page: page.get_by_role("option", name=title).click(timeout=10_000))
    page.wait_for_function(f"() => document.querySelector('#scope').innerText.includes('{title}')")
