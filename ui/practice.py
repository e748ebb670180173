"""The Practice tab: rounds over the lessons' own quiz items, feedback from the lesson, progress, what next.

An adapter over `tutor.learn.coach.Coach`. The round (`Round`, with every item's key reachable through the
coach) stays in a server-side `gr.State`; the browser only ever gets the question and its options until the
learner answers, then the verdict, the key, the explanation and the supporting passage. The learner is the
auth user name when auth is on, else an id kept in the browser's local storage (`gr.BrowserState`), else
the page session. The HTML comes from ui/practice_html.py, which escapes everything from a lesson. The tab's
words come from the catalogue (ui/i18n): its labels through the page's `gr.I18n`, in the browser's language,
and the sentences built here with `t`, in the learner's language (`language`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import gradio as gr

from tutor.answer.turn import Tutor
from tutor.build import build_coach
from tutor.errors import TutorError
from tutor.ingest.lessons import program_titles
from tutor.learn.coach import Coach
from tutor.learn.practice import Round
from ui import render, scope
from ui.i18n import CATALOGUE, browser_language, choose, t
from ui.practice_html import CSS, feedback_html, lesson_choices, next_html, question_html, summary_html

log = logging.getLogger(__name__)


def learner_id(request: gr.Request | None, stored: str) -> tuple[str, str]:
    """(learner id, the id to keep in the browser): the auth user, else the browser's id, else a new one."""
    user = getattr(request, "username", None) if request is not None else None
    if user:
        return f"user:{user}", stored
    key = stored or (getattr(request, "session_hash", None) or uuid.uuid4().hex)
    return f"browser:{key}", key


# --- the tab ----------------------------------------------------------------------------------------
class PracticeTab:
    """The tab's components (laid out by `layout` inside the caller's `gr.Tab`), their handlers and their
    wiring (`wire`)."""

    def __init__(self, tutor: Tutor, coach: Coach, i18n: Any = None):
        self.tutor = tutor
        self.coach = coach
        # a label carries only its key: the browser reads it from the gr.I18n the page was launched with
        self.i18n = i18n if i18n is not None else gr.I18n(**CATALOGUE)

    # --- handlers ---------------------------------------------------------------------------------------
    def identify(self, stored: str, request: gr.Request) -> tuple[Any, ...]:
        coach = self.coach
        learner, keep = learner_id(request, stored)
        lang = self.language(request)
        try:
            steps = coach.next_steps(learner)
            m = coach.manifest()
        except TutorError as exc:
            return learner, keep, render.error_html(str(exc)), None, gr.skip(), gr.skip()
        programs = scope.program_choices(m, program_titles(self.tutor.settings.lessons_dir), lang)
        return (
            learner,
            keep,
            next_html(steps, coach, lang),
            steps.next,
            gr.Dropdown(choices=programs, value=render.ALL),
            gr.Dropdown(choices=lesson_choices(coach, render.ALL, lang, lang)),
        )

    @staticmethod
    def language(request: gr.Request | None) -> str:
        """The learner's language: the browser's, when the catalogue speaks it."""
        return choose(browser_language(request.headers.get("accept-language") if request else None))

    def pick_program(self, program: str, every: bool, request: gr.Request) -> Any:
        lang = self.language(request)
        choices = lesson_choices(self.coach, program, None if every else lang, lang)
        return gr.Dropdown(choices=choices, value=render.ALL)

    def start(self, program: str, lesson: str, suggested: str | None, request: gr.Request) -> tuple[Any, ...]:
        try:
            rnd = self.coach.start(lesson or (None if program else suggested), program or None)
        except TutorError as exc:
            return (
                None,
                render.error_html(str(exc)),
                gr.Radio(choices=[], value=None),
                gr.Button(interactive=False),
                "",
                gr.Button(visible=False),
            )
        return rnd, *self.ask(rnd, self.language(request))

    @staticmethod
    def ask(rnd: Round, lang: str) -> tuple[Any, ...]:
        item = rnd.current
        assert item is not None
        return (
            question_html(rnd, lang),
            gr.Radio(choices=list(item.options), value=None, interactive=True, visible=True),
            gr.Button(interactive=True),
            "",
            gr.Button(visible=False),
        )

    def check(self, choice: int | None, rnd: Round | None, learner: str, request: gr.Request) -> tuple[Any, ...]:
        lang = self.language(request)
        if rnd is None or rnd.current is None:
            return rnd, gr.skip(), render.error_html(t(lang, "practice.start_first")), gr.skip(), gr.skip(), gr.skip()
        if choice is None:
            return rnd, gr.skip(), render.error_html(t(lang, "check.pick")), gr.skip(), gr.skip(), gr.skip()
        try:
            fb = self.coach.answer(learner, rnd, int(choice))
            steps = self.coach.next_steps(learner)
        except TutorError as exc:
            return rnd, gr.skip(), render.error_html(str(exc)), gr.skip(), gr.skip(), gr.skip()
        label = t(lang, "practice.see_score" if rnd.done else "practice.next_question")
        return (
            rnd,
            gr.Radio(interactive=False),
            feedback_html(fb, lang),
            gr.Button(interactive=False),
            gr.Button(label, visible=True),
            next_html(steps, self.coach, lang),
        )

    def advance(self, rnd: Round | None, learner: str, request: gr.Request) -> tuple[Any, ...]:
        lang = self.language(request)
        if rnd is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Button(visible=False), gr.skip(), None
        if rnd.done:
            steps = self.coach.next_steps(learner)
            return (
                summary_html(rnd, lang),
                gr.Radio(choices=[], value=None, visible=False),
                gr.Button(interactive=False),
                "",
                gr.Button(visible=False),
                next_html(steps, self.coach, lang),
                steps.next,
            )
        return *self.ask(rnd, lang), gr.skip(), gr.skip()

    def choices(self) -> list[tuple[str, str]]:
        try:
            return lesson_choices(self.coach)
        except TutorError:  # no index yet: the page says so in the status line
            return [(t("en", "practice.choose_lesson"), render.ALL)]

    # --- layout -----------------------------------------------------------------------------------------
    def layout(self) -> None:
        m, i18n = self.tutor.manifest(), self.i18n
        self.stored = gr.BrowserState("", storage_key="lesson-tutor-learner")
        self.learner = gr.State("")
        self.rnd = gr.State(None)  # the Round, keys included: server-side only
        self.suggested = gr.State(None)  # lesson id "what next" names
        gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, visible=False)
        self.next_box = gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, elem_id="practice-next")
        with gr.Row():
            self.program = gr.Dropdown(
                scope.program_choices(m, program_titles(self.tutor.settings.lessons_dir)),
                value=render.ALL,
                label=i18n("filter.program"),
                elem_id="practice-program",
            )
            self.lesson = gr.Dropdown(
                self.choices(), value=render.ALL, label=i18n("filter.lesson"), elem_id="practice-lesson"
            )
            self.start_btn = gr.Button(i18n("practice.start"), variant="primary", elem_id="practice-start")
        self.every = gr.Checkbox(False, label=i18n("practice.every_language"), elem_id="practice-all-languages")
        gr.Markdown(i18n("practice.hint"))
        self.question = gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, elem_id="practice-question")
        self.choice = gr.Radio([], type="index", label=i18n("check.choice"), elem_id="practice-choice", visible=False)
        self.check_btn = gr.Button(i18n("check.btn"), interactive=False, elem_id="practice-check")
        self.feedback = gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, elem_id="practice-feedback")
        self.next_btn = gr.Button(i18n("practice.next_question"), visible=False, elem_id="practice-advance")

    # --- wiring -----------------------------------------------------------------------------------------
    def wire(self) -> None:
        pick_program = self.pick_program  # one bound method for both events: one queue lane, as one function
        gr.on(
            None,
            self.identify,
            [self.stored],
            [self.learner, self.stored, self.next_box, self.suggested, self.program, self.lesson],
            api_visibility="private",
            trigger_mode="once",
        )
        self.program.input(pick_program, [self.program, self.every], self.lesson, api_visibility="private")
        self.every.input(pick_program, [self.program, self.every], self.lesson, api_visibility="private")
        self.start_btn.click(
            self.start,
            [self.program, self.lesson, self.suggested],
            [self.rnd, self.question, self.choice, self.check_btn, self.feedback, self.next_btn],
            api_visibility="private",
        )
        self.check_btn.click(
            self.check,
            [self.choice, self.rnd, self.learner],
            [self.rnd, self.choice, self.feedback, self.check_btn, self.next_btn, self.next_box],
            api_visibility="private",
        )
        self.next_btn.click(
            self.advance,
            [self.rnd, self.learner],
            [self.question, self.choice, self.check_btn, self.feedback, self.next_btn, self.next_box, self.suggested],
            api_visibility="private",
        )


def practice_tab(tutor: Tutor, coach: Coach | None = None, i18n: Any = None) -> gr.State:
    """Lay out the Practice tab inside the caller's `gr.Tab` and wire its events. Returns the learner id
    state (filled when the page loads), for the chat's "Check yourself". `i18n`: the page's `gr.I18n`."""
    tab = PracticeTab(tutor, coach or build_coach(tutor), i18n)
    tab.layout()
    tab.wire()
    return tab.learner
