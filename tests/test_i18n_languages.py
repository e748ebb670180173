"""The page in the course's languages, without a browser (issue 32, item 4): languages shown by their own
names, the catalogue complete in every language with the same `{fields}` as English, the machine-drafted
languages marked, and example questions in the lessons' language, never cut inside a word."""

from __future__ import annotations

import html
import re
import string
from types import SimpleNamespace

import pytest

from tests.five_languages import LESSONS, NAMES, PROGRAM, lesson_id, sections
from tutor.learn.next_lesson import NextSteps
from tutor.learn.practice import Feedback, QuizItem, Round
from tutor.store.manifest import LessonEntry, Manifest
from ui import practice_html, scope
from ui.i18n import CATALOGUE, DRAFTED, browser_language, choose, language_name, t
from ui.i18n.catalogue import EN

OTHERS = sorted(set(CATALOGUE) - {"en"})
SAME_WORD = {  # words French or Dutch write as English does
    "fr": {"practice.col.score", "practice.item", "practice.questions.one", "practice.questions.many"},
    "nl": {"practice.col.score"},
}


def fields(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}


def entry(title: str, language: str, slug: str, order: int = 1, program: str = PROGRAM) -> LessonEntry:
    return LessonEntry(
        hash="h", path=f"{slug}.mdx", title=title, program=program, language=language, slug=slug, chunks=2, order=order
    )


def five_language_course() -> tuple[Manifest, list[tuple[str, str]]]:
    """The manifest and chunk breadcrumbs tests/five_languages.py's course indexes into."""
    lessons, headings = {}, []
    for order, (slug, versions) in enumerate(LESSONS.items(), start=1):
        for language, (title, _) in versions.items():
            lid = lesson_id(slug, language)
            lessons[lid] = entry(title, language, slug, order)
            headings += [(lid, title), *((lid, f"{title} > {h}") for h in sections(slug, language))]
    return Manifest(collection="c", lessons=lessons), headings


# --- the catalogue -------------------------------------------------------------------------------------------
def test_the_course_languages_are_in_the_catalogue_and_the_drafted_ones_are_marked():
    assert {"en", "es", "fr", "nl", "hi", "te"} <= set(CATALOGUE)
    assert sorted(DRAFTED) == ["fr", "hi", "nl", "te"] and all(code in CATALOGUE for code in DRAFTED)


@pytest.mark.parametrize("lang", OTHERS)
def test_every_language_has_every_english_message_with_the_same_fields(lang):
    messages = CATALOGUE[lang]
    assert set(messages) == set(EN), (set(EN) - set(messages), set(messages) - set(EN))
    for key, english in EN.items():
        assert fields(messages[key]) == fields(english), (lang, key)
        assert messages[key].strip(), (lang, key)


@pytest.mark.parametrize("lang", sorted(DRAFTED))
def test_a_drafted_language_is_a_translation_not_a_copy_of_english(lang):
    shared = {k for k, v in EN.items() if CATALOGUE[lang][k] == v}
    allowed = {"lesson.order", "panel.sources", "chat.label", *SAME_WORD.get(lang, ())}  # "{title}"; "Sources"
    assert shared <= allowed, shared


@pytest.mark.parametrize("lang", sorted(CATALOGUE))
def test_the_other_language_notice_names_both_languages(lang):
    notice = t(lang, "notice.other_language", asked=language_name("te"), shown=language_name("en"))
    assert "తెలుగు" in notice and "English" in notice and "{" not in notice
    assert notice != t("en", "notice.other_language", asked="తెలుగు", shown="English") or lang == "en"


def test_the_page_speaks_the_browsers_language_when_the_catalogue_has_it():
    assert browser_language("hi-IN,hi;q=0.9,en;q=0.5") == "hi"
    assert browser_language("de-DE,te;q=0.8") == "te"
    assert browser_language("nl-BE") == "nl" and browser_language("de") is None
    assert choose("fr", "en") == "fr" and choose("pt-BR", "te") == "te"
    assert t("fr", "filter.language") == "Langue" and t("te", "filter.language") != t("en", "filter.language")


# --- languages by their own names ---------------------------------------------------------------------------
def test_languages_are_shown_by_their_own_names_never_by_code():
    assert {code: language_name(code) for code in NAMES} == NAMES
    assert language_name("es") == "Español" and language_name("pt-BR").startswith("Português")
    m, _ = five_language_course()
    choices = scope.language_choices(m, "en")
    assert choices[0] == ("Any language", "") and {code: name for name, code in choices[1:]} == NAMES
    assert scope.language_choices(m, "hi")[0][0] == t("hi", "all.languages")
    lessons = scope.lesson_choices(m, scope.Scope(language="te"))
    assert lessons[1][0] == "స్టాక్‌లు మరియు క్యూలు (తెలుగు)"
    assert scope.label(m, {PROGRAM: "Data basics"}, scope.Scope(PROGRAM, "", "nl")) == "Data basics · Nederlands"
    assert "हिन्दी" in scope.banner(m, {}, scope.Scope(language="hi"), "hi")
    html = scope.lessons_html(m, {})
    assert "Français" in html and 'class="lang">fr<' not in html


def test_the_practice_lessons_name_their_language():
    m, _ = five_language_course()
    coach = SimpleNamespace(manifest=lambda: m, order=lambda: list(m.lessons))
    names = [name for name, _ in practice_html.lesson_choices(coach, language="de")]  # type: ignore[arg-type]
    assert any("· हिन्दी" in n for n in names) and any("· Nederlands" in n for n in names)
    assert not any(f"· {code} " in n for n in names for code in NAMES)


# --- the Practice tab's words -----------------------------------------------------------------------------
def text_of(page: str) -> str:
    """What a reader sees of an HTML fragment: its text, tags and attributes left out."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def english_left(lang: str, shown: str) -> set[str]:
    """The English words of the Practice tab's messages (each literal run between fields) that `shown` still
    has, leaving out those `lang` writes the same way."""
    runs = {
        run.strip()
        for key, english in EN.items()
        if key.startswith("practice.") and CATALOGUE[lang][key] != english
        for run, _, _, _ in string.Formatter().parse(english)
    }
    return {run for run in runs if len(run) > 3 and run in shown}


def practice_pages(lang: str) -> str:
    """Everything the Practice tab's HTML says over a round with a missed item, in `lang`."""
    one = QuizItem("p/xx/a", 1, "q-one", ("o-one", "o-two"), "T-a")
    two = QuizItem("p/xx/a", 2, "q-two", ("o-one", "o-two"), "T-a")
    rnd = Round.start([one, two])
    missed = Feedback(one, 1, False, 0, "", None)
    rnd.answer(missed)
    rnd.answer(Feedback(two, 0, True, 0, "", None))  # `one` comes back: "again"
    retry = practice_html.question_html(rnd, lang)
    rnd.answer(Feedback(one, 0, True, 0, "", None))
    m = Manifest(collection="c", lessons={"p/xx/a": entry("T-a", "xx", "a"), "p/xx/b": entry("T-b", "xx", "b")})
    coach = SimpleNamespace(
        manifest=lambda: m, items_per_lesson=lambda: {"p/xx/a": 2}, threshold=0.8, order=lambda: list(m.lessons)
    )
    steps = [
        NextSteps("p/xx/a", "p/xx/b", "xx", {"p/xx/a": 0.5}, False),
        NextSteps(None, None, "xx", {}, True),
        NextSteps(None, None, None, {}, False),
    ]
    pages = [retry, practice_html.feedback_html(missed, lang), practice_html.summary_html(rnd, lang)]
    pages += [practice_html.next_html(s, coach, lang) for s in steps]  # type: ignore[arg-type]
    pages += [name for name, _ in practice_html.lesson_choices(coach, language="xx", lang=lang)]  # type: ignore[arg-type]
    return " ".join(text_of(p) for p in pages)


@pytest.mark.parametrize("lang", OTHERS)
def test_the_practice_tab_says_what_it_builds_in_the_learners_language(lang):
    shown = practice_pages(lang)
    assert not english_left(lang, shown), english_left(lang, shown)
    for expected in (
        t(lang, "practice.again"),
        t(lang, "practice.wrong", choice="o-two"),
        t(lang, "practice.summary", right=1, total=2),
        t(lang, "practice.next"),
        t(lang, "practice.finished", pct=80),
        t(lang, "practice.no_items"),
        t(lang, "practice.choose_lesson"),
    ):
        assert expected in shown, (lang, expected)
    english = practice_pages("en")
    assert "Not quite: you chose “o-two”." in english and "Round over: 1 of 2" in english  # the English still reads


# --- example questions -------------------------------------------------------------------------------------
def test_example_questions_come_from_the_lessons_in_the_learners_language_with_its_question():
    m, headings = five_language_course()
    for lang in NAMES:
        asked = scope.examples(m, headings, scope.Scope(), lang)
        question = t(lang, "examples.question", topic="")
        start, end = question.split(" ", 1)[0], question.rsplit(" ", 1)[-1]
        assert asked and all(q.startswith(start) and q.endswith(end) for q in asked), (lang, asked)
        own = {h for slug in LESSONS for h in sections(slug, lang)}
        assert all(any(h.lower() in q.lower() for h in own) for q in asked), (lang, asked)  # its own headings


def test_a_lesson_in_another_language_is_asked_about_in_its_own_language():
    """The bug: "What does the lesson teach about bienvenue?", an English question around a French heading."""
    m, headings = five_language_course()
    french = scope.examples(m, headings, scope.Scope(language="fr"), "en")  # an English browser, French lessons
    assert french and all(q.startswith("Qu’enseigne la leçon sur") for q in french), french
    only_french = Manifest(collection="c", lessons={k: v for k, v in m.lessons.items() if v.language == "fr"})
    assert all("What does" not in q for q in scope.examples(only_french, headings, scope.Scope(), "en"))
    german = Manifest(collection="c", lessons={"p/de/w": entry("Willkommen", "de", "w", program="p")})
    asked = scope.examples(german, [("p/de/w", "Willkommen > Stapel und Warteschlangen")], scope.Scope(), "en")
    assert asked == ["Stapel und Warteschlangen"]  # no German question in the catalogue: the heading as written


def test_a_long_example_question_is_cut_between_words_in_every_script():
    long = {
        "en": "The two halves of a retrieval-augmented generation system explained",
        "hi": "पुनर्प्राप्ति से संवर्धित पाठ निर्माण प्रणाली के दो हिस्से विस्तार से समझाए गए",
        "te": "పునరుద్ధరణతో మెరుగుపరచిన పాఠ్య నిర్మాణ వ్యవస్థలోని రెండు భాగాలు వివరంగా",
    }
    for lang, heading in long.items():
        m = Manifest(collection="c", lessons={f"p/{lang}/a": entry("A", lang, "a", program="p")})
        (question,) = scope.examples(m, [(f"p/{lang}/a", f"A > {heading}")], scope.Scope(), lang)
        full = t(lang, "examples.question", topic=scope.topic(heading))
        assert len(question) <= scope.EXAMPLE_CHARS and question.endswith("…"), question
        cut = question[:-1]
        assert full.startswith(cut) and full[len(cut)] in " ,", (lang, question)  # a whole word ends there
    quoted = scope.fit("What does the lesson teach about “You Already Use AI Every Day Without Knowing It”?")
    assert quoted.endswith("…”") and len(quoted) <= scope.EXAMPLE_CHARS and quoted.count("“") == quoted.count("”")
    one_word = "x" * 80  # nothing to cut between: whole, never a piece of a word
    assert scope.fit(one_word) == one_word
