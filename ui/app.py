"""The Gradio page: its layout, the wiring of its events, and `tutor serve` (launched through ui/server.py).

The chat turns themselves are ui/chat.py's `Chat`, whose methods this module wires to the page and to the
`/ask` API. Per-browser history lives in `gr.State` as a list of finished `Answer`s, so one Tutor serves every
learner; the HTML comes from ui/render.py and ui/bubble.py. Chats and re-indexing run in separate queue
lanes (`concurrency_id`), and the core's LLM lock serialises generation, so a re-index never blocks a chat
and chats see the new lessons as soon as the sync publishes them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no usage reports from a local tutor; before the import

import gradio as gr  # noqa: E402

from tutor.answer.turn import Tutor  # noqa: E402
from tutor.build import build_coach, build_tutor  # noqa: E402
from tutor.errors import TutorError  # noqa: E402
from tutor.settings import Settings  # noqa: E402
from tutor.store.gaps import GapLog  # noqa: E402
from tutor.store.manifest import Manifest  # noqa: E402
from ui import render, scope  # noqa: E402
from ui.access import listen_credentials, parse_auth, teacher_rule  # noqa: E402
from ui.chat import Chat, browser, scope_of  # noqa: E402
from ui.check_yourself import CheckYourself  # noqa: E402
from ui.feedback import Feedback  # noqa: E402
from ui.i18n import CATALOGUE, choose  # noqa: E402
from ui.page_js import FOCUS_BOX, PAGE_JS, SHOW_SIM  # noqa: E402
from ui.practice import practice_tab  # noqa: E402
from ui.server import launch  # noqa: E402
from ui.teacher import teacher_page  # noqa: E402
from ui.turns import Line, Sessions  # noqa: E402

log = logging.getLogger(__name__)

CHAT_CONCURRENCY = 16  # chat events handled at once; they wait in ui/turns.py's Line, then for the LLM lock


class ChatTab:
    """The chat tab: its components (laid out by `layout` inside the caller's `gr.Tab`), the handlers of its
    scope filters and of a new conversation, and the wiring (`wire`) of ui/chat.py's `Chat`, "Check yourself"
    and "Was this helpful?" to them."""

    def __init__(self, tutor: Tutor, chat: Chat, check: CheckYourself, feedback: Feedback, i18n: Any):
        self.tutor, self.chat, self.check, self.feedback, self.i18n = tutor, chat, check, feedback, i18n

    # --- handlers ---------------------------------------------------------------------------------------
    def scope_view(self, program: str, lesson: str, language: str, request: gr.Request) -> tuple:
        m, sc = self.tutor.manifest(), scope_of(program, lesson, language)
        lang = choose(language, browser(request))
        try:
            headings = self.tutor.headings()
        except TutorError:
            headings = []
        samples = [[q] for q in scope.examples(m, headings, sc, lang)]
        return scope.banner(m, self.chat.titles(), sc, lang), gr.Dataset(samples=samples)

    def load_page(self, program: str, lesson: str, language: str, request: gr.Request) -> tuple:
        m, lang = self.tutor.manifest(), choose(language, browser(request))
        sc = scope_of(program, lesson, language)
        return (
            gr.Dropdown(choices=scope.program_choices(m, self.chat.titles(), lang), value=sc.program),
            gr.Dropdown(choices=scope.lesson_choices(m, sc, lang), value=sc.lesson),
            gr.Dropdown(choices=scope.language_choices(m, lang), value=sc.language),
            render.intro_html(lang),
            scope.lessons_html(m, self.chat.titles(), lang),
        )

    def pick_filter(self, program: str, language: str, request: gr.Request) -> Any:
        lang = choose(language, browser(request))
        sc = scope_of(program, render.ALL, language)
        return gr.Dropdown(choices=scope.lesson_choices(self.tutor.manifest(), sc, lang), value=render.ALL)

    @staticmethod
    def new_conversation(keep: bool, program: str, lesson: str, language: str, request: gr.Request) -> tuple:
        lang = choose(language, browser(request))
        if keep:
            return [], [], render.intro_html(lang), gr.skip(), gr.skip(), gr.skip(), gr.Button(visible=False)
        return [], [], render.intro_html(lang), render.ALL, render.ALL, render.ALL, gr.Button(visible=False)

    # --- layout -----------------------------------------------------------------------------------------
    def layout(self, m: Manifest | None) -> None:
        """The chat column (the conversation, the box, the filters) and the side panel (sources, lessons)."""
        with gr.Column(scale=3, min_width=320):
            self.layout_chat(m)
            self.layout_filters(m)
        with gr.Column(scale=2, min_width=300, elem_id="side-panel"):
            self.layout_side_panel(m)

    def layout_chat(self, m: Manifest | None) -> None:
        """The scope banner, the conversation, the box with its buttons, and what shows under the box."""
        i18n = self.i18n
        self.banner = gr.HTML(scope.banner(m, self.chat.titles(), scope.Scope()), elem_id="scope")
        self.chatbot = gr.Chatbot(
            label=i18n("chat.label"),
            show_label=False,  # its floating label sat over the first lines of a scrolled conversation
            height=460,
            elem_id="chat",
            sanitize_html=True,
            render_markdown=True,
            allow_tags=False,
            feedback_options=("Like", "Dislike"),  # "Was this helpful?" (ui/feedback.py)
            buttons=["copy", "copy_all"],
        )
        self.search_all = gr.Button(i18n("btn.search_all"), visible=False, size="sm", elem_id="search-all")
        with gr.Row(equal_height=True):
            self.question = gr.Textbox(
                placeholder=i18n("box.placeholder"),
                show_label=False,
                scale=5,
                lines=1,
                max_lines=6,
                elem_id="question",
                autofocus=True,
            )
            self.ask_btn = gr.Button(i18n("btn.ask"), variant="primary", scale=1, min_width=80, elem_id="ask")
            self.stop_btn = gr.Button(
                i18n("btn.stop"), variant="stop", scale=1, min_width=80, elem_id="stop", visible=False
            )
        self.ask_error = gr.HTML("", elem_id="ask-error")
        self.feedback.layout()  # under the box too: a comment on an answer after a thumb down
        self.check.layout()  # under the box: an offered quiz item never pushes the box out of view

    def layout_filters(self, m: Manifest | None) -> None:
        """The program, lesson and language filters, the example questions, and a new conversation."""
        i18n = self.i18n
        with gr.Row():
            self.program = gr.Dropdown(
                scope.program_choices(m, self.chat.titles()),
                value=render.ALL,
                label=i18n("filter.program"),
                elem_id="program",
            )
            self.lesson = gr.Dropdown(
                scope.lesson_choices(m, scope.Scope()),
                value=render.ALL,
                label=i18n("filter.lesson"),
                elem_id="lesson",
            )
            self.language = gr.Dropdown(
                scope.language_choices(m), value=render.ALL, label=i18n("filter.language"), elem_id="language"
            )
        self.examples = gr.Dataset(
            components=[self.question], samples=[], label=i18n("examples.label"), elem_id="examples"
        )
        with gr.Row():
            self.new_btn = gr.Button(i18n("btn.new"), size="sm", elem_id="new")
            self.keep = gr.Checkbox(True, label=i18n("filter.keep"), elem_id="keep-filters")

    def layout_side_panel(self, m: Manifest | None) -> None:
        """The sources of the last answer (similarity shown on request) and the list of lessons."""
        self.show_sim = gr.Checkbox(False, label=self.i18n("sources.similarity"), elem_id="show-sim")
        self.sources = gr.HTML(render.intro_html("en"), elem_id="sources")
        with gr.Accordion(self.i18n("lessons.label"), open=False, elem_id="lessons"):
            self.lessons_box = gr.HTML(scope.lessons_html(m, self.chat.titles(), "en"))

    # --- wiring -----------------------------------------------------------------------------------------
    def filters(self) -> list[Any]:
        return [self.program, self.lesson, self.language]

    def outputs(self) -> list[Any]:
        """What a chat turn updates."""
        return [self.chatbot, self.turns, self.sources, self.question]

    def triggers(self) -> list[Any]:
        """The events that ask a question."""
        return [self.ask_btn.click, self.question.submit]

    def after_turn(self) -> dict[str, Any]:
        """Keyword arguments for `.then(**...)` after a chat turn: the buttons as the turn left them."""
        return {
            "fn": self.chat.after_turn,
            "inputs": [self.turns, self.program, self.lesson],
            "outputs": [self.ask_btn, self.stop_btn, self.search_all],
            "api_visibility": "private",
        }

    def wire(self, demo: gr.Blocks, turns: gr.State, learner: gr.State) -> None:
        """Every event of the tab. `turns`: the session's finished answers; `learner`: the Practice tab's
        learner id, for "Check yourself"."""
        self.turns = turns
        self.wire_asking(learner)
        self.wire_retry(learner)
        answering = [*self.triggers(), self.chatbot.retry, self.search_all.click]
        self.check.wire(learner, answering, [self.new_btn.click, self.chatbot.clear])
        self.feedback.wire(self.chatbot, turns, [*answering, self.new_btn.click, self.chatbot.clear])
        self.wire_search_all(learner)
        self.wire_conversation()
        self.wire_filters(demo)

    def wire_asking(self, learner: gr.State) -> None:
        """A question from the box (the Ask button or Enter), the `/ask` API, and stopping an answer."""
        chat, filters, outputs = self.chat, self.filters(), self.outputs()
        gr.on(
            self.triggers(),
            chat.before_ask,
            [self.question, self.language],
            [self.ask_btn, self.stop_btn, self.ask_error],
            queue=False,
            api_visibility="private",
            trigger_mode="multiple",
        )
        gr.on(
            self.triggers(),
            chat.ask_page,
            [self.question, self.turns, *filters],
            outputs,
            concurrency_id="chat",
            concurrency_limit=CHAT_CONCURRENCY,
            trigger_mode="multiple",
            api_visibility="private",
        ).then(**self.after_turn()).then(None, js=FOCUS_BOX).then(**self.check.after_answer(self.turns, learner))
        api_btn = gr.Button(visible=False)  # the chat API: same turns, the box returned empty at the end
        api_btn.click(
            chat.ask,
            [self.question, self.turns, *filters],
            outputs,
            api_name="ask",
            concurrency_id="chat",
            concurrency_limit=CHAT_CONCURRENCY,
        )
        self.stop_btn.click(chat.stop, None, None, queue=False, api_visibility="private")

    def wire_retry(self, learner: gr.State) -> None:
        """The chat's retry button: the last question answered again."""
        self.chatbot.retry(
            lambda: (gr.Button(visible=False), gr.Button(visible=True)),
            None,
            [self.ask_btn, self.stop_btn],
            queue=False,
            api_visibility="private",
        )
        self.chatbot.retry(
            self.chat.regenerate,
            [self.turns, *self.filters()],
            self.outputs(),
            concurrency_id="chat",
            api_visibility="private",
        ).then(**self.after_turn()).then(**self.check.after_answer(self.turns, learner))

    def wire_search_all(self, learner: gr.State) -> None:
        """The "Search all lessons" button (shown after a refusal under a filter): the program and lesson
        filters cleared, the last question answered again."""
        search_all = self.search_all
        search_all.click(
            lambda: (render.ALL, render.ALL, gr.Button(visible=False)),
            None,
            [self.program, self.lesson, search_all],
            queue=False,
            api_visibility="private",
        ).then(
            self.chat.regenerate,
            [self.turns, *self.filters()],
            self.outputs(),
            concurrency_id="chat",
            api_visibility="private",
        ).then(**self.after_turn()).then(**self.check.after_answer(self.turns, learner))

    def wire_conversation(self) -> None:
        """An example question into the box; a new conversation (the button, or the chat's clear button)."""
        new_conversation = self.new_conversation  # one function for both events: one queue lane, as before
        inputs = [self.keep, *self.filters()]
        outputs = [self.chatbot, self.turns, self.sources, *self.filters(), self.search_all]
        self.examples.click(lambda x: x[0], self.examples, self.question, queue=False, api_visibility="private").then(
            None, js=FOCUS_BOX
        )
        self.new_btn.click(new_conversation, inputs, outputs, queue=False, api_visibility="private").then(
            None, js=FOCUS_BOX
        )
        self.chatbot.clear(new_conversation, inputs, outputs, queue=False, api_visibility="private")

    def wire_filters(self, demo: gr.Blocks) -> None:
        """The filters: a program or language narrows the lessons, any change redraws the banner and the
        examples; the page's load fills them for the browser's language; the similarity toggle."""
        pick_filter, scope_view = self.pick_filter, self.scope_view  # one bound method each: one queue lane each
        program, language, filters = self.program, self.language, self.filters()
        program.input(pick_filter, [program, language], self.lesson, api_visibility="private")
        language.input(pick_filter, [program, language], self.lesson, api_visibility="private")
        gr.on(
            [program.change, self.lesson.change, language.change],
            scope_view,
            filters,
            [self.banner, self.examples],
            api_visibility="private",
        )
        self.show_sim.change(None, self.show_sim, None, js=SHOW_SIM)
        demo.load(
            self.load_page,
            filters,
            [program, self.lesson, language, self.sources, self.lessons_box],
            api_visibility="private",
        ).then(scope_view, filters, [self.banner, self.examples], api_visibility="private")


def build_app(tutor: Tutor) -> gr.Blocks:
    """The learner's page (`/`) and the teacher's (`/teacher`) for one Tutor, queued; launch with `launch()`."""
    settings = tutor.settings
    gaps = tutor.gaps or GapLog.of(settings)
    line, sessions = Line(tutor.answers_at_once), Sessions()
    i18n = gr.I18n(**CATALOGUE)
    coach = build_coach(tutor)  # practice, "Check yourself" and the teacher's results share its progress store
    check = CheckYourself(coach, sessions.busy, i18n)
    chat = Chat(tutor, line, sessions)
    feedback = Feedback(tutor, i18n)
    tab = ChatTab(tutor, chat, check, feedback, i18n)

    m = tutor.manifest()
    with gr.Blocks(title="Lesson Tutor", analytics_enabled=False, fill_width=True) as demo:
        gr.Markdown(i18n("page.title"))
        with gr.Tab(i18n("tab.chat"), id="chat", elem_id="chat-tab"), gr.Row(equal_height=False):
            tab.layout(m)
        with gr.Tab(i18n("tab.practice"), id="practice", elem_id="practice-tab"):
            learner = practice_tab(tutor, coach)
        turns = gr.State([])  # the session's finished `Answer`s, server-side
        tab.wire(demo, turns, learner)
    with demo.route("Teacher", "/teacher", show_in_navbar=False):
        teacher_page(demo, tutor, gaps, coach.progress)
    demo.tutor_i18n = i18n  # type: ignore[attr-defined]  # launch() hands it to Gradio
    demo.tutor_css, demo.tutor_js = render.CSS + render.PAGE_CSS, PAGE_JS  # type: ignore[attr-defined]  # Gradio 6: launch()
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY)
    return demo


def serve(settings: Settings, announce: Callable[[str], None] = log.warning) -> None:
    """`tutor serve`: refuse an open address without credentials, build the tutor, load the model (so a bad
    GGUF fails here, in one line), say whether it runs on the GPU, listen until stopped."""
    credentials: Any = listen_credentials(settings.host, settings.auth)
    rule = teacher_rule(settings.auth, settings.teacher_auth)  # teacher credentials alone: refused here
    teacher = parse_auth(settings.teacher_auth)
    if credentials and teacher:  # with auth on, the teacher signs in too (ui/teacher.py checks the name)
        credentials = [credentials, teacher]
    tutor = build_tutor(settings)
    model, gpu = tutor.model_status()
    announce(f"model {model}, GPU offload: {'unknown (model server)' if gpu is None else 'yes' if gpu else 'no (CPU)'}")
    announce(rule)
    tutor.warm()  # load the embedder and the in-memory search index before the first learner
    demo = build_app(tutor)
    launch(
        demo, settings.host, settings.port, credentials, settings.allowed_hosts, settings.trusted_proxies, quiet=False
    )
