"""Shared set-up for the real-browser tests: a tutor (by default the app on its own scratch copy of corpus/
and its own index) served on loopback to headless Chromium, the page as a browser in a given language opens
it, and a recorder of what the page receives."""

from __future__ import annotations

import base64
import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import CORPUS

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def playwright():
    """Playwright's sync API; skips the test when Chromium or Playwright is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    return pytest.importorskip("playwright.sync_api")


@contextlib.contextmanager
def served(tutor, credentials: object = None) -> Iterator[SimpleNamespace]:
    """`tutor` served by the app on loopback (launched with `credentials`) and a headless Chromium: yields url,
    browser. Skips when Chromium or Playwright is missing."""
    sync_api = playwright()
    from ui.app import build_app
    from ui.server import launch

    demo = build_app(tutor)
    launch(demo, "127.0.0.1", None, credentials, prevent_thread_lock=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield SimpleNamespace(url=demo.local_url, browser=browser)
            browser.close()
    finally:
        demo.close()


@contextlib.contextmanager
def running_site(
    tmp_path_factory: pytest.TempPathFactory,
    embedder,
    llm,
    name: str,
    *,
    credentials: object = None,
    extra_lessons: dict[str, str] | None = None,
    **settings: object,
) -> Iterator[SimpleNamespace]:
    """The corpus copied into a `name` scratch folder (plus `extra_lessons`, path under it -> text), indexed,
    served by the app (launched with `credentials`) and a headless Chromium: yields url, browser, tutor,
    settings, lessons. Skips when Chromium or Playwright is missing. `settings` go to Settings."""
    playwright()  # before indexing: a missing browser skips at once
    from tutor.build import build_tutor, reindex
    from tutor.settings import Settings

    base = tmp_path_factory.mktemp(name)
    lessons = base / "lessons"
    shutil.copytree(CORPUS, lessons)
    for path, text in (extra_lessons or {}).items():
        (lessons / path).write_text(text, encoding="utf-8")
    config = Settings(lessons_dir=lessons, index_dir=base / "index", **settings)
    tutor = build_tutor(config, embedder=embedder, llm=llm)
    reindex(tutor)
    with served(tutor, credentials) as site:
        yield SimpleNamespace(url=site.url, browser=site.browser, tutor=tutor, settings=config, lessons=lessons)


@contextlib.contextmanager
def page_in(site, locale: str):
    """The page as a browser set to `locale` shows it (no sign-in), once its load events are done."""
    context = site.browser.new_context(locale=locale, viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    page.goto(site.url, wait_until="domcontentloaded")
    page.wait_for_selector("#examples .gallery-item", timeout=60_000)
    try:
        yield page
    finally:
        context.close()


class Traffic:
    """Every response body the page receives, the queue's event stream included (read through the Chrome
    DevTools protocol as it streams, since an SSE response may stay open)."""

    def __init__(self, page):
        self.parts: list[str] = []
        page.on("requestfinished", self._finished)
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.on("Network.responseReceived", self._stream)
        self.cdp.on("Network.dataReceived", self._data)
        self.cdp.send("Network.enable")

    def _finished(self, request) -> None:
        response = request.response()
        if response is not None and "queue/data" not in request.url:
            with contextlib.suppress(Exception):  # a redirect or a body the browser dropped: nothing to read
                self.parts.append(response.body().decode("utf-8", "replace"))

    def _stream(self, event) -> None:
        if "queue/data" not in event["response"]["url"]:
            return
        rid = {"requestId": event["requestId"]}
        try:
            got = self.cdp.send("Network.streamResourceContent", rid)
            self.parts.append(base64.b64decode(got.get("bufferedData", "")).decode("utf-8", "replace"))
        except Exception:  # the stream finished before we asked: its whole body is still there to read
            with contextlib.suppress(Exception):
                body = self.cdp.send("Network.getResponseBody", rid)
                raw = base64.b64decode(body["body"]) if body.get("base64Encoded") else body["body"].encode()
                self.parts.append(raw.decode("utf-8", "replace"))

    def _data(self, event) -> None:
        if event.get("data"):
            self.parts.append(base64.b64decode(event["data"]).decode("utf-8", "replace"))

    def text(self) -> str:
        return "".join(self.parts)


def sign_in(site, creds: tuple[str, str], wait_ms: int):
    """A new browser context (its own cookies and local storage), signed in through the login form, its
    traffic recorded from the first request: (page, Traffic)."""
    page = site.browser.new_context(viewport={"width": 1300, "height": 1100}).new_page()
    traffic = Traffic(page)
    page.goto(site.url, wait_until="domcontentloaded")
    page.fill("input[type=password]", creds[1])
    page.fill("input[type=text]", creds[0])
    page.click("button:has-text('Login')")
    page.wait_for_selector("#question textarea", timeout=wait_ms)
    return page, traffic
