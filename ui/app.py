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


def build_app(tutor: Tutor) -> gr.Blocks:
    """The learner's page (`/`) and the teacher's (`/teacher`) for one Tutor, queued; launch with `launch()`."""
    settings = tutor.settings
    gaps = tutor.gaps or GapLog.of(settings)
    line, sessions = Line(lambda: tutor.llm.parallel), Sessions()
    i18n = gr.I18n(**CATALOGUE)
    coach = build_coach(tutor)  # practice, "Check yourself" and the teacher's results share its progress store
    check = CheckYourself(coach, sessions.busy, i18n)
    chat = Chat(tutor, line, sessions)
    feedback = Feedback(tutor, i18n)

    def scope_view(program: str, lesson: str, language: str, request: gr.Request) -> tuple:
        m, sc = tutor.manifest(), scope_of(program, lesson, language)
        lang = choose(language, browser(request))
        try:
            headings = tutor.headings()
        except TutorError:
            headings = []
        samples = [[q] for q in scope.examples(m, headings, sc, lang)]
        return scope.banner(m, chat.titles(), sc, lang), gr.Dataset(samples=samples)

    def load_page(program: str, lesson: str, language: str, request: gr.Request) -> tuple:
        m, lang = tutor.manifest(), choose(language, browser(request))
        sc = scope_of(program, lesson, language)
        return (
            gr.Dropdown(choices=scope.program_choices(m, chat.titles(), lang), value=sc.program),
            gr.Dropdown(choices=scope.lesson_choices(m, sc, lang), value=sc.lesson),
            gr.Dropdown(choices=scope.language_choices(m, lang), value=sc.language),
            render.intro_html(lang),
            scope.lessons_html(m, chat.titles(), lang),
        )

    def pick_filter(program: str, language: str, request: gr.Request) -> Any:
        lang = choose(language, browser(request))
        sc = scope_of(program, render.ALL, language)
        return gr.Dropdown(choices=scope.lesson_choices(tutor.manifest(), sc, lang), value=render.ALL)

    def new_conversation(keep: bool, program: str, lesson: str, language: str, request: gr.Request) -> tuple:
        lang = choose(language, browser(request))
        if keep:
            return [], [], render.intro_html(lang), gr.skip(), gr.skip(), gr.skip(), gr.Button(visible=False)
        return [], [], render.intro_html(lang), render.ALL, render.ALL, render.ALL, gr.Button(visible=False)

    m = tutor.manifest()
    with gr.Blocks(title="Lesson Tutor", analytics_enabled=False, fill_width=True) as demo:
        gr.Markdown(i18n("page.title"))
        with gr.Tab(i18n("tab.chat"), id="chat", elem_id="chat-tab"), gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                banner = gr.HTML(scope.banner(m, chat.titles(), scope.Scope()), elem_id="scope")
                chatbot = gr.Chatbot(
                    label=i18n("chat.label"),
                    height=460,
                    elem_id="chat",
                    sanitize_html=True,
                    render_markdown=True,
                    allow_tags=False,
                    feedback_options=("Like", "Dislike"),  # "Was this helpful?" (ui/feedback.py)
                    buttons=["copy", "copy_all"],
                )
                search_all = gr.Button(i18n("btn.search_all"), visible=False, size="sm", elem_id="search-all")
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        placeholder=i18n("box.placeholder"),
                        show_label=False,
                        scale=5,
                        lines=1,
                        max_lines=6,
                        elem_id="question",
                        autofocus=True,
                    )
                    ask_btn = gr.Button(i18n("btn.ask"), variant="primary", scale=1, min_width=80, elem_id="ask")
                    stop_btn = gr.Button(
                        i18n("btn.stop"), variant="stop", scale=1, min_width=80, elem_id="stop", visible=False
                    )
                ask_error = gr.HTML("", elem_id="ask-error")
                feedback.layout()  # under the box too: a comment on an answer after a thumb down
                check.layout()  # under the box: an offered quiz item never pushes the box out of view
                with gr.Row():
                    program = gr.Dropdown(
                        scope.program_choices(m, chat.titles()),
                        value=render.ALL,
                        label=i18n("filter.program"),
                        elem_id="program",
                    )
                    lesson = gr.Dropdown(
                        scope.lesson_choices(m, scope.Scope()),
                        value=render.ALL,
                        label=i18n("filter.lesson"),
                        elem_id="lesson",
                    )
                    language = gr.Dropdown(
                        scope.language_choices(m), value=render.ALL, label=i18n("filter.language"), elem_id="language"
                    )
                examples = gr.Dataset(
                    components=[question], samples=[], label=i18n("examples.label"), elem_id="examples"
                )
                with gr.Row():
                    new_btn = gr.Button(i18n("btn.new"), size="sm", elem_id="new")
                    keep = gr.Checkbox(True, label=i18n("filter.keep"), elem_id="keep-filters")
            with gr.Column(scale=2, min_width=300, elem_id="side-panel"):
                show_sim = gr.Checkbox(False, label=i18n("sources.similarity"), elem_id="show-sim")
                sources = gr.HTML(render.intro_html("en"), elem_id="sources")
                with gr.Accordion(i18n("lessons.label"), open=False, elem_id="lessons"):
                    lessons_box = gr.HTML(scope.lessons_html(m, chat.titles(), "en"))
        with gr.Tab("Practice", id="practice", elem_id="practice-tab"):
            learner = practice_tab(tutor, coach)
        turns = gr.State([])

        filters = [program, lesson, language]
        outputs = [chatbot, turns, sources, question]
        triggers = [ask_btn.click, question.submit]
        gr.on(
            triggers,
            chat.before_ask,
            [question, language],
            [ask_btn, stop_btn, ask_error],
            queue=False,
            api_visibility="private",
            trigger_mode="multiple",
        )
        gr.on(
            triggers,
            chat.ask_page,
            [question, turns, *filters],
            outputs,
            concurrency_id="chat",
            concurrency_limit=CHAT_CONCURRENCY,
            trigger_mode="multiple",
            api_visibility="private",
        ).then(
            chat.after_turn, [turns, program, lesson], [ask_btn, stop_btn, search_all], api_visibility="private"
        ).then(None, js=FOCUS_BOX).then(**check.after_answer(turns, learner))
        api_btn = gr.Button(visible=False)  # the chat API: same turns, the box returned empty at the end
        api_btn.click(
            chat.ask,
            [question, turns, *filters],
            outputs,
            api_name="ask",
            concurrency_id="chat",
            concurrency_limit=CHAT_CONCURRENCY,
        )
        stop_btn.click(chat.stop, None, None, queue=False, api_visibility="private")
        chatbot.retry(
            lambda: (gr.Button(visible=False), gr.Button(visible=True)),
            None,
            [ask_btn, stop_btn],
            queue=False,
            api_visibility="private",
        )
        chatbot.retry(
            chat.regenerate, [turns, *filters], outputs, concurrency_id="chat", api_visibility="private"
        ).then(
            chat.after_turn, [turns, program, lesson], [ask_btn, stop_btn, search_all], api_visibility="private"
        ).then(**check.after_answer(turns, learner))
        check.wire(learner, [*triggers, chatbot.retry, search_all.click], [new_btn.click, chatbot.clear])
        feedback.wire(chatbot, turns, [*triggers, chatbot.retry, search_all.click, new_btn.click, chatbot.clear])
        search_all.click(
            lambda: (render.ALL, render.ALL, gr.Button(visible=False)),
            None,
            [program, lesson, search_all],
            queue=False,
            api_visibility="private",
        ).then(chat.regenerate, [turns, *filters], outputs, concurrency_id="chat", api_visibility="private").then(
            chat.after_turn, [turns, program, lesson], [ask_btn, stop_btn, search_all], api_visibility="private"
        ).then(**check.after_answer(turns, learner))
        examples.click(lambda x: x[0], examples, question, queue=False, api_visibility="private").then(
            None, js=FOCUS_BOX
        )
        new_btn.click(
            new_conversation,
            [keep, *filters],
            [chatbot, turns, sources, *filters, search_all],
            queue=False,
            api_visibility="private",
        ).then(None, js=FOCUS_BOX)
        chatbot.clear(
            new_conversation,
            [keep, *filters],
            [chatbot, turns, sources, *filters, search_all],
            queue=False,
            api_visibility="private",
        )
        program.input(pick_filter, [program, language], lesson, api_visibility="private")
        language.input(pick_filter, [program, language], lesson, api_visibility="private")
        gr.on(
            [program.change, lesson.change, language.change],
            scope_view,
            filters,
            [banner, examples],
            api_visibility="private",
        )
        show_sim.change(None, show_sim, None, js=SHOW_SIM)
        demo.load(load_page, filters, [program, lesson, language, sources, lessons_box], api_visibility="private").then(
            scope_view, filters, [banner, examples], api_visibility="private"
        )
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
    llm = tutor.llm
    announce(f"model {llm.model_path.name}, GPU offload: {'yes' if llm.gpu_offload else 'no (CPU)'}")
    announce(rule)
    tutor.warm()  # load the embedder and the in-memory search index before the first learner
    demo = build_app(tutor)
    launch(
        demo, settings.host, settings.port, credentials, settings.allowed_hosts, settings.trusted_proxies, quiet=False
    )
