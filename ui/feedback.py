""" "Was this helpful?" under each answer: the chat's own thumbs (Gradio's like event), and after a thumb down a
box for an optional comment. Each rating reaches the course-gap list through `Tutor.feedback`: a thumb down
flags the answer for the teacher (ui/teacher.py), a thumb up or the thumb taken back ends the flag.

Wired by ui/app.py; the answer a comment is about lives in a server-side `gr.State` (its id), so a comment
always joins its own answer, also after newer answers came.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from tutor.answer.turn import Tutor
from tutor.errors import TutorError
from tutor.events import Answer
from ui import render
from ui.i18n import browser_language, t

log = logging.getLogger(__name__)


# after a thumb down on an earlier answer, the comment box opens under the question box, maybe below the fold:
# bring it into view and give it the focus
SHOW_COMMENT_BOX = """() => { const box = document.querySelector('#feedback-comment textarea');
  if (box && box.offsetParent !== null) { box.scrollIntoView({block: 'nearest'}); box.focus(); } }"""


def answer_at(answers: list[Answer], message: Any) -> Answer | None:
    """The finished answer whose bubble is chat message number `message` (a question and its answer per
    turn); None for a question, an answer still being written or a waiting one."""
    if not isinstance(message, int) or message % 2 == 0:
        return None
    i = message // 2
    return answers[i] if i < len(answers) else None


def said(lang: str, key: str) -> str:
    return f'<p class="muted" role="status">{render.esc(t(lang, key))}</p>'


def shown(html: str) -> Any:
    """The thanks line with `html`, hidden when empty (an empty block would still take room under the box)."""
    return gr.HTML(html, visible=bool(html))


class Feedback:
    def __init__(self, tutor: Tutor, i18n: Any):
        self.tutor = tutor
        self.i18n = i18n

    def layout(self) -> None:
        """The comment box (shown after a thumb down) and the thanks line; place under the chat."""
        with gr.Row(visible=False, equal_height=True, elem_id="feedback") as self.row:
            self.comment = gr.Textbox(
                placeholder=self.i18n("feedback.placeholder"),
                show_label=False,
                scale=5,
                lines=1,
                max_lines=3,
                elem_id="feedback-comment",
            )
            self.send = gr.Button(self.i18n("feedback.send"), size="sm", scale=1, min_width=80, elem_id="feedback-send")
        self.thanks = gr.HTML("", visible=False, elem_id="feedback-thanks")
        self.about = gr.State("")  # the id of the answer the comment box is for

    def wire(self, chatbot: gr.Chatbot, turns: gr.State, hide_on: list[Any]) -> None:
        """The thumbs of `chatbot` (whose answers are in `turns`); `hide_on`: events that close the box."""
        outs = [self.row, self.comment, self.thanks, self.about]  # the thanks line: `shown`
        chatbot.like(self.rated, turns, outs, queue=False, api_visibility="private").then(
            None, js=SHOW_COMMENT_BOX, api_visibility="private"
        )
        gr.on([self.send.click, self.comment.submit], self.sent, [self.comment, self.about, turns],
              outs, queue=False, api_visibility="private")  # fmt: skip
        gr.on(hide_on, lambda: (gr.Row(visible=False), "", shown(""), ""), None, outs, queue=False,
              api_visibility="private")  # fmt: skip

    @staticmethod
    def _lang(request: gr.Request | None) -> str:
        return browser_language(request.headers.get("accept-language") if request else None) or "en"

    def _keep(self, answer: Answer, helpful: bool | None, comment: str, request: gr.Request | None) -> str:
        """'' when kept, else what went wrong, for the page."""
        try:
            self.tutor.feedback(answer, helpful, comment, (request.username or "") if request else "")
        except TutorError as exc:
            log.warning("feedback not kept: %s", exc)
            return render.error_html(str(exc))
        return ""

    def rated(self, answers: list[Answer], data: gr.LikeData, request: gr.Request) -> tuple:
        """A thumb on an answer: down opens the comment box for it; up or taken back closes it."""
        answer = answer_at(list(answers or []), data.index)
        if answer is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        helpful = data.liked if isinstance(data.liked, bool) else None  # '' when the thumb is taken back
        problem = self._keep(answer, helpful, "", request)
        lang = self._lang(request)
        if helpful is False and not problem:
            return gr.Row(visible=True), "", shown(said(lang, "feedback.flagged")), answer.id
        return gr.Row(visible=False), "", shown(problem or (said(lang, "feedback.thanks") if helpful else "")), ""

    def sent(self, comment: str, about: str, answers: list[Answer], request: gr.Request) -> tuple:
        """The comment joins the flag of the answer the box was opened for."""
        answer = next((a for a in answers or [] if a.id == about), None)
        if answer is None or not (comment or "").strip():
            return gr.Row(visible=False), "", shown(""), ""
        problem = self._keep(answer, False, comment, request)
        return gr.Row(visible=False), "", shown(problem or said(self._lang(request), "feedback.sent")), ""
