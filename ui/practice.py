"""The Practice tab: rounds over the lessons' own quiz items, feedback from the lesson, progress, what next.

An adapter over `tutor.learn.coach.Coach`. The round (`Round`, with every item's key reachable through the
coach) stays in a server-side `gr.State`; the browser only ever gets the question and its options until the
learner answers, then the verdict, the key, the explanation and the supporting passage. The learner is the
auth user name when auth is on, else an id kept in the browser's local storage (`gr.BrowserState`), else
the page session. Everything from a lesson is escaped (ui/render.py's `esc`, `source_card`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import gradio as gr

from tutor.answer.turn import Tutor
from tutor.build import build_coach
from tutor.errors import TutorError
from tutor.learn.coach import Coach
from tutor.learn.next_lesson import NextSteps
from tutor.learn.practice import Feedback, Round
from ui import render
from ui.render import esc

log = logging.getLogger(__name__)

CSS = """
.practice .verdict { font-weight: 700; font-size: 1.1em; }
.practice.right .verdict { color: #1a7f37; } .practice.wrong .verdict { color: #cf222e; }
.practice .item-meta { color: #57606a; font-size: 0.85em; }
.practice .question { font-size: 1.1em; font-weight: 600; margin: 0.3em 0; }
.practice table { border-collapse: collapse; } .practice td, .practice th { padding: 0.1em 0.6em; text-align: left; }
"""


# --- HTML (pure) ------------------------------------------------------------------------------------
def question_html(rnd: Round) -> str:
    item = rnd.current
    if item is None:
        return ""
    again = '<span class="again">Again: you missed this one. </span>' if rnd.is_retry else ""
    return (
        f'<div class="panel practice question-card" data-lesson="{esc(item.lesson_id)}" '
        f'data-item="{item.number}" data-answered="{rnd.answered}">'
        f'<p class="item-meta">{again}{esc(item.title)} &middot; question {item.number} &middot; '
        f"{rnd.answered} answered, {rnd.right_first_try} right on the first try, {len(rnd.queue)} to go</p>"
        f'<p class="question">{esc(item.question)}</p></div>'
    )


def feedback_html(fb: Feedback) -> str:
    verdict = "Right." if fb.correct else f"Not quite: you chose “{esc(fb.item.options[fb.choice])}”."
    passage = ""
    if fb.passage is not None:
        passage = (
            "<h4>From the lesson</h4>"
            + render.source_card(fb.passage)
            + f'<p class="muted where">{esc(fb.passage.path)}#{esc(fb.passage.anchor)} '
            f"(characters {fb.passage.start}-{fb.passage.end})</p>"
        )
    explanation = f'<p class="explanation">{esc(fb.explanation)}</p>' if fb.explanation else ""
    return (
        f'<div class="panel practice feedback {"right" if fb.correct else "wrong"}" '
        f'data-lesson="{esc(fb.item.lesson_id)}" data-item="{fb.item.number}">'
        f'<p class="verdict">{verdict}</p><p class="key">The answer: <strong>{esc(fb.key_option)}</strong></p>'
        f"{explanation}{passage}</div>"
    )


def summary_html(rnd: Round) -> str:
    missed = "".join(f'<li>{esc(i.question)} <span class="muted">({esc(i.title)})</span></li>' for i in rnd.missed)
    missed = f"<h4>Missed on the first try</h4><ul>{missed}</ul>" if missed else ""
    return (
        f'<div class="panel practice summary"><p class="verdict">Round over: {rnd.right_first_try} of '
        f"{rnd.total} right on the first try.</p>{missed}</div>"
    )


def next_html(steps: NextSteps, coach: Coach) -> str:
    m = coach.manifest()
    items = coach.items_per_lesson()

    def title(lid: str) -> str:
        e = m.lessons.get(lid)
        return esc(e.title if e else lid)

    pct = round(coach.threshold * 100)
    if steps.next:
        nxt = (
            f'<p class="next">Next: <strong data-lesson="{esc(steps.next)}">{title(steps.next)}</strong> '
            f'<span class="muted">(the first lesson in course order not yet practised to {pct}%)</span></p>'
        )
    elif steps.finished:
        nxt = f'<p class="next">Every lesson practised to {pct}%. Well done.</p>'
    else:
        nxt = '<p class="next muted">No lesson with quiz items is indexed.</p>'
    review = ""
    if steps.review:
        review = (
            f'<p class="review">Review: <strong data-lesson="{esc(steps.review)}">{title(steps.review)}'
            '</strong> <span class="muted">(the most items missed)</span></p>'
        )
    rows = "".join(
        f"<tr><td>{title(lid)}</td><td>{round(score * 100)}%</td><td>{items.get(lid, 0)}</td></tr>"
        for lid, score in steps.scores.items()
    )
    table = (
        f'<table class="scores"><tr><th>Lesson practised</th><th>score</th><th>items</th></tr>{rows}</table>'
        if rows
        else ""
    )
    return f'<div class="panel practice what-next">{nxt}{review}{table}</div>'


def lesson_choices(coach: Coach, program: str = render.ALL) -> list[tuple[str, str]]:
    m = coach.manifest()
    ids = [lid for lid in coach.order() if not program or m.lessons[lid].program == program]
    return [
        ("Choose a lesson", render.ALL),
        *(
            (f"{m.lessons[lid].title} ({m.lessons[lid].language}, {len(m.lessons[lid].quizzes)} items)", lid)
            for lid in ids
        ),
    ]


def learner_id(request: gr.Request | None, stored: str) -> tuple[str, str]:
    """(learner id, the id to keep in the browser): the auth user, else the browser's id, else a new one."""
    user = getattr(request, "username", None) if request is not None else None
    if user:
        return f"user:{user}", stored
    key = stored or (getattr(request, "session_hash", None) or uuid.uuid4().hex)
    return f"browser:{key}", key


# --- the tab ----------------------------------------------------------------------------------------
def practice_tab(tutor: Tutor) -> None:
    """Lay out the Practice tab inside the caller's `gr.Tab` and wire its events."""
    coach = build_coach(tutor)

    def identify(stored: str, request: gr.Request) -> tuple[Any, ...]:
        learner, keep = learner_id(request, stored)
        try:
            steps = coach.next_steps(learner)
            m = coach.manifest()
        except TutorError as exc:
            return learner, keep, render.error_html(str(exc)), None, gr.skip(), gr.skip()
        programs = render.program_choices(m)
        return (
            learner,
            keep,
            next_html(steps, coach),
            steps.next,
            gr.Dropdown(choices=programs, value=render.ALL),
            gr.Dropdown(choices=lesson_choices(coach)),
        )

    def pick_program(program: str) -> Any:
        return gr.Dropdown(choices=lesson_choices(coach, program), value=render.ALL)

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

    m = tutor.store.manifest()
    stored = gr.BrowserState("", storage_key="lesson-tutor-learner")
    learner = gr.State("")
    rnd = gr.State(None)  # the Round, keys included: server-side only
    suggested = gr.State(None)  # lesson id "what next" names
    gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, visible=False)
    next_box = gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, elem_id="practice-next")
    with gr.Row():
        program = gr.Dropdown(render.program_choices(m), value=render.ALL, label="Program", elem_id="practice-program")
        lesson = gr.Dropdown(choices(), value=render.ALL, label="Lesson", elem_id="practice-lesson")
        start_btn = gr.Button("Start a round", variant="primary", elem_id="practice-start")
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
    program.input(pick_program, program, lesson, api_visibility="private")
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
