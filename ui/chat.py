"""The chat tab's turn handlers: a question streamed through `Tutor.stream` into the chat, each browser
session's waiting questions and Stop (ui/turns.py), regenerate, and the hooks that swap Ask and Stop.

`Chat`'s methods are the Gradio handlers ui/app.py wires to the page and to the `/ask` API; Gradio inspects
their signatures, so the parameter lists (a `gr.Request` gets the request injected) match the events' inputs.
Per-browser history arrives and leaves as the `gr.State` list of finished `Answer`s, so one Chat serves every
learner.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from typing import Any

import gradio as gr

from tutor.answer.turn import Tutor, turn_of
from tutor.errors import TutorError
from tutor.events import Answer, Done, KeySentences, Retrieved, Token
from tutor.ingest.lessons import program_titles
from tutor.search.retriever import Filters
from tutor.store.manifest import Manifest
from ui import bubble, render, scope
from ui.i18n import browser_language, choose, t
from ui.turns import Line, Pending, Sessions, stopped_answer

log = logging.getLogger(__name__)


def browser(request: gr.Request | None) -> str | None:
    return browser_language(request.headers.get("accept-language") if request else None)


def scope_of(program: str, lesson: str, language: str) -> scope.Scope:
    return scope.Scope(program or render.ALL, lesson or render.ALL, language or render.ALL)


class Chat:
    """The chat handlers for one Tutor: the line for the model and the sessions' turns."""

    def __init__(self, tutor: Tutor, line: Line, sessions: Sessions) -> None:
        self.tutor, self.settings = tutor, tutor.settings
        self.line, self.sessions = line, sessions

    def titles(self) -> dict[str, str]:
        return program_titles(self.settings.lessons_dir)

    def links(self, m: Manifest | None) -> render.Links:
        return partial(scope.course_link, self.settings.course_url, m)

    def question_language(self, question: str) -> str | None:
        try:
            return self.tutor.language_of(question)
        except TutorError:
            return None

    def one_turn(
        self, item: Pending, answers: list[Answer], key: str, request: gr.Request | None, box: Any, first_box: Any
    ):
        """One question through the core, streamed; returns the conversation with its answer (or the part
        written before Stop)."""
        sc: scope.Scope = item.scope
        q, m = item.question, self.tutor.manifest()
        lang = choose(sc.language, self.question_language(q), browser(request))
        links = self.links(m)
        s = self.sessions.session(key)
        keys, draft, sources, refused, ticket, stopped = None, "", [], False, None, False
        turn = len(answers)  # this answer's number in the conversation: its citations name it

        def chat(pending: str) -> list[dict[str, str]]:
            waiting = [p.question for p in self.sessions.waiting(key)]
            return render.chat_messages(answers, q, pending, waiting, lang, links)

        filters = Filters(program=sc.program or None, lesson=sc.lesson or None, language=sc.language or None)
        # the question shows and the box empties at once, before retrieval: a late start (a loaded machine)
        # must not wipe what the learner has typed since
        yield chat("…"), answers, gr.skip(), first_box
        learner = (request.username or "") if request else ""
        events = self.tutor.stream(q, [turn_of(a) for a in answers], filters, learner=learner)
        try:
            for ev in events:
                if isinstance(ev, Retrieved):
                    sources, refused = ev.sources, ev.refused
                    yield chat("…"), answers, render.retrieved_panel(ev.sources, ev.refused, lang), box
                elif isinstance(ev, KeySentences):  # the lessons' own words; then wait for the model's turn
                    keys = ev.sentences
                    yield chat(bubble.streaming_bubble(keys, "", lang, turn=turn)), answers, gr.skip(), box
                    ticket = self.line.join()
                    while not self.line.wait_turn(ticket) and not s.stop.is_set():
                        place = self.line.ahead(ticket) + 1
                        yield chat(bubble.streaming_bubble(keys, "", lang, place, turn)), answers, gr.skip(), box
                    if s.stop.is_set():
                        stopped = True
                        break
                elif isinstance(ev, Token) and not refused:
                    if s.stop.is_set():
                        stopped = True
                        break
                    draft += ev.text
                    yield chat(bubble.streaming_bubble(keys, draft, lang, turn=turn)), answers, gr.skip(), box
                elif isinstance(ev, Done):
                    a = ev.answer
                    answers = [*answers, a]
                    yield (
                        render.chat_messages(
                            answers, None, "", [p.question for p in self.sessions.waiting(key)], lang, links
                        ),
                        answers,
                        render.answers_panel(answers, lang, links),
                        box,
                    )
                    return answers
        except TutorError as exc:
            waiting = [p.question for p in self.sessions.waiting(key)]
            messages = render.chat_messages(answers, None, "", waiting, lang, links)
            yield messages, answers, render.error_html(str(exc)), box
            return answers
        finally:  # Stop, an error or a learner who leaves releases the LLM lock and the line at once
            events.close()
            if ticket is not None:
                self.line.leave(ticket)
        if stopped:
            a = stopped_answer(q, sources, keys or [], draft)
            answers = [*answers, a]
            yield (
                render.chat_messages(answers, None, "", [p.question for p in self.sessions.waiting(key)], lang, links),
                answers,
                render.answers_panel(answers, lang, links),
                box,
            )
        return answers

    def run(self, item: Pending, answers: list[Answer], request: gr.Request | None, api: bool) -> Iterator[tuple]:
        """The session's turns: `item`, then each question sent while it was being answered."""
        key = request.session_hash if request and request.session_hash else f"anon-{id(answers)}"
        box = "" if api else gr.skip()  # the page's box is cleared once, as the question is taken
        if not item.question:
            lang = choose(item.scope.language, browser(request))
            chat = (
                gr.skip()
                if self.sessions.busy(key)
                else render.chat_messages(answers, lang=lang, links=self.links(self.tutor.manifest()))
            )
            yield chat, gr.skip(), render.error_html(t(lang, "empty")), item.question if api else gr.skip()
            return
        if not self.sessions.start(key, item):  # an answer is being written: this question waits its turn
            yield gr.skip(), gr.skip(), gr.skip(), ""
            return
        try:
            next_item: Pending | None = item
            first_box: Any = ""
            while next_item is not None:
                answers = yield from self.one_turn(next_item, answers, key, request, box, first_box)
                next_item, first_box = self.sessions.next_or_finish(key), box
        finally:
            self.sessions.finish(key)

    def ask(
        self,
        question: str,
        answers: list[Answer],
        program: str,
        lesson: str,
        language: str = render.ALL,
        request: gr.Request = None,  # type: ignore[assignment]  # gradio passes it; None outside a request
    ) -> Iterator[tuple]:
        """The chat API (`/ask`): one question and the questions sent behind it, streamed."""
        item = Pending((question or "").strip(), scope_of(program, lesson, language))
        yield from self.run(item, list(answers or []), request, api=True)

    def ask_page(
        self, question: str, answers: list[Answer], program: str, lesson: str, language: str, request: gr.Request
    ) -> Iterator[tuple]:
        item = Pending((question or "").strip(), scope_of(program, lesson, language))
        yield from self.run(item, list(answers or []), request, api=False)

    def regenerate(
        self, answers: list[Answer], program: str, lesson: str, language: str, request: gr.Request
    ) -> Iterator[tuple]:
        """The last answer again (with the filters now in force): it is replaced."""
        answers = list(answers or [])
        if not answers or self.sessions.busy(request.session_hash or ""):
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        item = Pending(answers[-1].question, scope_of(program, lesson, language))
        yield from self.run(item, answers[:-1], request, api=False)

    def before_ask(self, question: str, language: str, request: gr.Request) -> tuple:
        """At once, in the browser's session: an empty question is pointed out next to the box; otherwise Ask
        becomes Stop."""
        if not (question or "").strip():
            msg = t(choose(language, browser(request)), "empty")
            return gr.skip(), gr.skip(), f'<p class="error" role="alert">{render.esc(msg)}</p>'
        return gr.Button(visible=False), gr.Button(visible=True), ""

    def after_turn(self, answers: list[Answer], program: str, lesson: str, request: gr.Request) -> tuple:
        """When the session's answers are done: Stop becomes Ask; a refusal under a filter offers all lessons."""
        if self.sessions.busy(request.session_hash or ""):
            return gr.skip(), gr.skip(), gr.skip()
        offer = bool(answers) and answers[-1].refusal == "filtered" and bool(program or lesson)
        return gr.Button(visible=True), gr.Button(visible=False), gr.Button(visible=offer)

    def stop(self, request: gr.Request) -> None:
        self.sessions.stop(request.session_hash or "")
