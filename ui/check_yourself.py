""" "Check yourself" under the chat: after a grounded answer, one quiz item of a lesson the answer rests on.

An adapter over `tutor.learn.coach.Coach` (`offer`, `check_yourself`), wired by ui/app.py. The offered item
(a `QuizItem`: question and options, no key) and the items already offered in this conversation live in
server-side `gr.State`, so each browser session has its own; the browser gets the verdict, the key, the
explanation and the supporting passage only from `check`, after the learner answers. Nothing is offered
while the session still has an answer being written or waiting (ui/turns.py), nor after a refusal, a quiz
question's hint or a stopped answer; asking again hides the offer. Answers are recorded as practice
answers of the same learner as the Practice tab's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from tutor.errors import TutorError
from tutor.events import Answer
from tutor.learn.coach import Coach
from tutor.learn.practice import QuizItem
from ui import render
from ui.i18n import browser_language, choose, t
from ui.practice import learner_id
from ui.practice_html import CSS, feedback_html, offer_html

log = logging.getLogger(__name__)

Refs = tuple[tuple[str, int], ...]  # (lesson id, item number) of the items offered in this conversation


class CheckYourself:
    """The components (laid out by `layout` where the caller is) and their handlers."""

    def __init__(self, coach: Coach, busy: Callable[[str], bool], i18n: Any):
        self.coach = coach
        self.busy = busy  # session hash -> an answer is being written or waits for this session
        self.i18n = i18n

    # --- layout ---------------------------------------------------------------------------------------
    def layout(self) -> None:
        with gr.Group(visible=False, elem_id="check-yourself") as self.group:
            self.prompt = gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, elem_id="check-offer")
            self.choice = gr.Radio([], type="index", label=self.i18n("check.choice"), elem_id="check-choice")
            self.check_btn = gr.Button(self.i18n("check.btn"), size="sm", elem_id="check-btn")
            self.feedback = gr.HTML("", css_template=render.CSS + CSS, js_on_load=None, elem_id="check-feedback")
        self.item = gr.State(None)  # the QuizItem on offer, None once answered
        self.offered: gr.State = gr.State(())  # Refs

    # --- handlers ---------------------------------------------------------------------------------------
    @staticmethod
    def _learner(learner: str, request: gr.Request | None) -> str:
        """The Practice tab's learner id (its load event fills the state), else the same rule applied here."""
        return learner or learner_id(request, "")[0]

    def offer(self, answers: list[Answer], offered: Refs, learner: str, request: gr.Request) -> tuple[Any, ...]:
        """After the session's turns: an item of the last answer's lessons not offered yet, or nothing."""
        if request is not None and self.busy(request.session_hash or ""):
            return (gr.skip(),) * 7  # more questions of this session are being answered
        hidden = (gr.Group(visible=False), "", gr.Radio(choices=[], value=None), gr.Button(), "", offered, None)
        if not answers:
            return hidden
        try:
            item = self.coach.offer(self._learner(learner, request), answers[-1], set(offered))
        except TutorError as exc:
            log.warning("no check-yourself item: %s", exc)
            return hidden
        if item is None:
            return hidden
        lang = choose(browser_language(request.headers.get("accept-language") if request else None))
        return (
            gr.Group(visible=True),
            offer_html(item, lang),
            gr.Radio(choices=list(item.options), value=None, interactive=True),
            gr.Button(interactive=True),
            "",
            (*offered, item.ref),
            item,
        )

    def check(self, choice: int | None, item: QuizItem | None, learner: str, request: gr.Request) -> tuple[Any, ...]:
        lang = choose(browser_language(request.headers.get("accept-language") if request else None))
        if item is None:
            return gr.skip(), gr.skip(), render.error_html(t(lang, "check.gone")), None
        if choice is None:
            return gr.skip(), gr.skip(), render.error_html(t(lang, "check.pick")), item
        try:
            fb = self.coach.check_yourself(self._learner(learner, request), item, int(choice))
        except TutorError as exc:
            return gr.skip(), gr.skip(), render.error_html(str(exc)), item
        return gr.Radio(interactive=False), gr.Button(interactive=False), feedback_html(fb, lang), None

    # --- wiring -----------------------------------------------------------------------------------------
    def outputs(self) -> list[Any]:
        return [self.group, self.prompt, self.choice, self.check_btn, self.feedback, self.offered, self.item]

    def after_answer(self, turns: Any, learner: Any) -> dict[str, Any]:
        """Keyword arguments for `.then(**...)` at the end of a chat event chain."""
        return {
            "fn": self.offer,
            "inputs": [turns, self.offered, learner],
            "outputs": self.outputs(),
            "api_visibility": "private",
        }

    def wire(self, learner: Any, asking: Sequence[Any], new_conversation: Sequence[Any]) -> None:
        """`asking`: triggers that start an answer (the offer hides); `new_conversation`: triggers that also
        forget what was offered."""
        gr.on(
            list(asking),
            lambda: (gr.Group(visible=False), None),
            None,
            [self.group, self.item],
            queue=False,
            api_visibility="private",
        )
        gr.on(
            list(new_conversation),
            lambda: (gr.Group(visible=False), None, ()),
            None,
            [self.group, self.item, self.offered],
            queue=False,
            api_visibility="private",
        )
        self.check_btn.click(
            self.check,
            [self.choice, self.item, learner],
            [self.choice, self.check_btn, self.feedback, self.item],
            api_visibility="private",
        )
