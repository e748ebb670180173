"""The Practice tab: rounds over the lessons' own quiz items, feedback from the lesson, progress, what next.

An adapter over `tutor.learn.coach.Coach`. The round (`Round`, with every item's key reachable through the
coach) stays in a server-side `gr.State`; the browser only ever gets the question and its options until the
learner answers, then the verdict, the key, the explanation and the supporting passage. The learner is the
auth user name when auth is on, else an id kept in the browser's local storage (`gr.BrowserState`), else
the page session. The HTML comes from ui/practice_html.py, which escapes everything from a lesson.
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
from ui.i18n import browser_language, choose
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
def practice_tab(tutor: Tutor, coach: Coach | None = None) -> gr.State:
    """Lay out the Practice tab inside the caller's `gr.Tab` and wire its events. Returns the learner id
    state (filled when the page loads), for the chat's "Check yourself"."""
    coach = coach or build_coach(tutor)

    def identify(stored: str, request: gr.Request) -> tuple[Any, ...]:
        learner, keep = learner_id(request, stored)
        try:
            steps = coach.next_steps(learner)
            m = coach.manifest()
        except TutorError as exc:
            return learner, keep, render.error_html(str(exc)), None, gr.skip(), gr.skip()
        programs = scope.program_choices(m, program_titles(tutor.settings.lessons_dir))
        return (
            learner,
            keep,
            next_html(steps, coach),
            steps.next,
            gr.Dropdown(choices=programs, value=render.ALL),
            gr.Dropdown(choices=lesson_choices(coach, render.ALL, language(request))),
        )

    def language(request: gr.Request | None) -> str:
        """The learner's language: the browser's, when the catalogue speaks it."""
        return choose(browser_language(request.headers.get("accept-language") if request else None))

    def pick_program(program: str, every: bool, request: gr.Request) -> Any:
        lang = None if every else language(request)
        return gr.Dropdown(choices=lesson_choices(coach, program, lang), value=render.ALL)

    def start(program: str, lesson: str, suggested: str | None) -> tuple[Any, ...]:
        try:
            rnd = coach.start(lesson or (None if program else suggested), program or None)
        except TutorError as exc:
            return (
                None,
                render.error_html(str(exc)),
                gr.Radio(choices=[], value=None),
                gr.Button(interactive=False),
                "",
                gr.Button(visible=False),
            )
        return rnd, *ask(rnd)

    def ask(rnd: Round) -> tuple[Any, ...]:
        item = rnd.current
        assert item is not None
        return (
            question_html(rnd),
            gr.Radio(choices=list(item.options), value=None, interactive=True, visible=True),
            gr.Button(interactive=True),
            "",
            gr.Button(visible=False),
        )

    def check(choice: int | None, rnd: Round | None, learner: str) -> tuple[Any, ...]:
        if rnd is None or rnd.current is None:
            return rnd, gr.skip(), render.error_html("Start a round first."), gr.skip(), gr.skip(), gr.skip()
        if choice is None:
            return rnd, gr.skip(), render.error_html("Choose an answer first."), gr.skip(), gr.skip(), gr.skip()
        try:
            fb = coach.answer(learner, rnd, int(choice))
            steps = coach.next_steps(learner)
        except TutorError as exc:
            return rnd, gr.skip(), render.error_html(str(exc)), gr.skip(), gr.skip(), gr.skip()
        label = "Next question" if not rnd.done else "See the round's score"
        return (
            rnd,
            gr.Radio(interactive=False),
            feedback_html(fb),
            gr.Button(interactive=False),
            gr.Button(label, visible=True),
            next_html(steps, coach),
        )

    def advance(rnd: Round | None, learner: str) -> tuple[Any, ...]:
        if rnd is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Button(visible=False), gr.skip(), None
        if rnd.done:
            steps = coach.next_steps(learner)
            return (
                summary_html(rnd),
                gr.Radio(choices=[], value=None, visible=False),
                gr.Button(interactive=False),
                "",
                gr.Button(visible=False),
                next_html(steps, coach),
                steps.next,
            )
        return *ask(rnd), gr.skip(), gr.skip()

    def choices() -> list[tuple[str, str]]:
        try:
            return lesson_choices(coach)
        except TutorError:  # no index yet: the page says so in the status line
            return [("Choose a lesson", render.ALL)]

    m = tutor.manifest()
    stored = gr.BrowserState("", storage_key="lesson-tutor-learner")
    learner = gr.State("")
    rnd = gr.State(None)  # the Round, keys included: server-side only
    suggested = gr.State(None)  # lesson id "what next" names
    gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, visible=False)
    next_box = gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, elem_id="practice-next")
    with gr.Row():
        program = gr.Dropdown(
            scope.program_choices(m, program_titles(tutor.settings.lessons_dir)),
            value=render.ALL,
            label="Program",
            elem_id="practice-program",
        )
        lesson = gr.Dropdown(choices(), value=render.ALL, label="Lesson", elem_id="practice-lesson")
        start_btn = gr.Button("Start a round", variant="primary", elem_id="practice-start")
    every = gr.Checkbox(False, label="Show the lessons of every language", elem_id="practice-all-languages")
    gr.Markdown("Empty lesson and program: the round is the lesson named in “Next”.")
    question = gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, elem_id="practice-question")
    choice = gr.Radio([], type="index", label="Your answer", elem_id="practice-choice", visible=False)
    check_btn = gr.Button("Check", interactive=False, elem_id="practice-check")
    feedback = gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, elem_id="practice-feedback")
    next_btn = gr.Button("Next question", visible=False, elem_id="practice-advance")

    gr.on(
        None,
        identify,
        [stored],
        [learner, stored, next_box, suggested, program, lesson],
        api_visibility="private",
        trigger_mode="once",
    )
    program.input(pick_program, [program, every], lesson, api_visibility="private")
    every.input(pick_program, [program, every], lesson, api_visibility="private")
    start_btn.click(
        start,
        [program, lesson, suggested],
        [rnd, question, choice, check_btn, feedback, next_btn],
        api_visibility="private",
    )
    check_btn.click(
        check, [choice, rnd, learner], [rnd, choice, feedback, check_btn, next_btn, next_box], api_visibility="private"
    )
    next_btn.click(
        advance,
        [rnd, learner],
        [question, choice, check_btn, feedback, next_btn, next_box, suggested],
        api_visibility="private",
    )
    return learner
