"""The page in the course's languages, in headless Chromium (issue 32, item 4), over a course in English,
French, Dutch, Hindi and Telugu (tests/five_languages.py): the Language filter names each language in its own
words, never by code; a French browser gets the page's words, the example questions and the Practice tab in
French; and Hindi and Telugu text is drawn with a font that has their letters (Debian's Noto fonts, which
`make test` installs), not as empty boxes. The font is read from Chromium itself (the DevTools protocol's
platform fonts of a node)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from tests.browser import page_in, playwright, served
from tests.five_languages import NAMES, indexed
from tests.learner_page import ARTIFACTS
from ui.i18n import t

pytestmark = pytest.mark.browser

OPTIONS = (  # each option's own words, without the tick before the chosen one
    "() => [...document.querySelectorAll('[role=listbox] [role=option]')].map(e => e.innerText.trim().split('\\n').pop())"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory, embedder) -> Iterator[SimpleNamespace]:
    """The five-language course indexed and served (no model: nothing here is asked), and a headless Chromium."""
    playwright()  # before indexing: a missing browser skips at once
    with served(indexed(tmp_path_factory, embedder)) as site:
        yield site


def language_options(page) -> list[str]:
    page.click("#language input")
    page.wait_for_selector("[role=listbox] [role=option]", state="visible", timeout=10_000)
    return page.evaluate(OPTIONS)


def pick_language(page, name: str) -> None:
    """Choose a language from the Language filter; the scope banner then names it."""
    language_options(page)
    page.get_by_role("option", name=name, exact=True).click(timeout=10_000)
    page.wait_for_function("n => document.querySelector('#scope').innerText.includes(n)", arg=name)


def fonts_drawing(page, selector: str) -> set[str]:
    """The font families Chromium drew the text of the node `selector` with."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {f["familyName"] for f in fonts if f.get("glyphCount", 0) > 0}


def fonts_for(lang: str) -> set[str]:
    """The installed font families that fontconfig says cover the language `lang`."""
    listed = subprocess.run(["fc-list", f":lang={lang}", "family"], capture_output=True, text=True).stdout
    return {name.strip() for line in listed.splitlines() for name in line.split(",") if name.strip()}


def test_the_language_filter_names_each_language_in_its_own_words(site):
    with page_in(site, "en-US") as page:
        shown = language_options(page)
    assert shown[0] == "Any language" and set(shown[1:]) == set(NAMES.values()), shown
    assert not set(shown) & set(NAMES), shown  # no "fr", "hi", ...


def test_a_french_browser_gets_the_page_and_the_examples_in_french(site):
    with page_in(site, "fr-FR") as page:
        assert t("fr", "filter.language") in page.locator("#language").inner_text()  # gr.I18n, from the catalogue
        assert t("fr", "scope.all") in page.locator("#scope").inner_text()
        examples = page.locator("#examples .gallery-item").all_inner_texts()
        assert examples and all(e.startswith("Qu’enseigne la leçon sur") for e in examples), examples


def test_a_french_browser_gets_the_practice_tab_in_french(site):
    """Its labels through gr.I18n, its lesson list and its "what next" built by the server in French."""
    with page_in(site, "fr-FR") as page:
        page.get_by_role("tab", name=t("fr", "tab.practice")).click()  # its title too
        page.wait_for_selector("#practice-next .what-next", timeout=60_000)
        page.wait_for_function(
            "v => document.querySelector('#practice-lesson input').value === v", arg=t("fr", "practice.choose_lesson")
        )
        tab = page.locator("#practice-tab").inner_text()
        assert page.locator("#practice-start").inner_text().strip() == t("fr", "practice.start")
        assert t("fr", "practice.every_language") in page.locator("#practice-all-languages").inner_text()
        assert t("fr", "practice.hint") in tab and t("fr", "filter.lesson") in tab
        said = page.locator("#practice-next").inner_text()
        assert t("fr", "practice.next") in said or t("fr", "practice.no_items") in said, said
        for english in ("Start a round", "Show the lessons of every language", "Empty lesson", "Next:", "No lesson"):
            assert english not in tab, english


@pytest.mark.parametrize("lang", ["hi", "te"])
def test_hindi_and_telugu_are_drawn_with_a_font_that_has_their_letters(site, lang):
    covering = fonts_for(lang)
    assert covering, f"no installed font covers '{lang}': apt-get install fonts-noto-core (make test does)"
    with page_in(site, "en-US") as page:
        pick_language(page, NAMES[lang])  # the page now speaks it: the banner is all in its script
        banner = page.locator("#scope").inner_text()
        assert t(lang, "scope.some", scope=NAMES[lang]) in banner, banner
        drawn = fonts_drawing(page, "#scope .scope")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"page-language-{lang}.png"))
    assert drawn & covering, f"{NAMES[lang]} drawn with {drawn}, none of which has its letters ({covering})"
