"""The Gradio page: the only module that imports gradio. An adapter over `Tutor.stream`'s typed events.

Per-browser history lives in `gr.State` as a list of finished `Answer`s, so one Tutor serves every
learner; the HTML comes from ui/render.py and ui/bubble.py. Chats and re-indexing run in separate queue lanes (`concurrency_id`), and the
core's LLM lock serialises generation, so a re-index never blocks a chat and chats see the new lessons
as soon as the sync publishes them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no usage reports from a local tutor; before the import

import gradio as gr  # noqa: E402

from tutor.events import Answer, Done, KeySentences, Retrieved, Token  # noqa: E402
from tutor.build import build_tutor, reindex  # noqa: E402
from tutor.errors import TutorError  # noqa: E402
from tutor.search.retriever import Filters  # noqa: E402
from tutor.settings import Settings  # noqa: E402
from tutor.answer.turn import Tutor, turn_of  # noqa: E402
from ui import bubble, render  # noqa: E402
from starlette.middleware.trustedhost import TrustedHostMiddleware  # noqa: E402

from ui.access import LoginThrottle, SameOriginOnly, ThrottleLogins, allowed_hosts, listen_credentials  # noqa: E402
from ui.practice import practice_tab  # noqa: E402

log = logging.getLogger(__name__)

CHAT_CONCURRENCY = 4  # chat events handled at once; generation itself is serialised by the LLM lock
EXAMPLES = [
    "How does self-attention work?",
    "What is RLHF?",
    "Why do language models hallucinate?",
    "What is retrieval-augmented generation?",
    "What are embeddings used for?",
]
INTRO = ('<div class="panel"><p class="muted">Ask a question: the passages the answer rests on show up here, '
         "with the sentences that support it highlighted.</p></div>")


def status(tutor: Tutor) -> str:
    """The status line; loads the LLM on first call (it is needed for the first answer anyway)."""
    try:
        model, gpu = tutor.llm.model_path.name, tutor.llm.gpu_offload
    except TutorError as exc:
        model, gpu = f"not loaded ({exc})", None
    return render.status_html(model, gpu, tutor.manifest())


def build_app(tutor: Tutor) -> gr.Blocks:
    """The whole page for one Tutor, queued; launch it with `launch()`."""

    def ask(question: str, answers: list[Answer], program: str, lesson: str) -> Iterator[tuple[Any, ...]]:
        """One turn, streamed to the page. The state is the conversation's finished Answers (the tutor's
        history is derived from them), so every bubble can be drawn again with its key sentences and marks."""
        answers = list(answers or [])
        question = (question or "").strip()
        filters = Filters(program=program or None, lesson=lesson or None)
        keys, draft = None, ""
        events = tutor.stream(question, [turn_of(a) for a in answers], filters)
        try:
            for ev in events:
                if isinstance(ev, Retrieved):  # the question was accepted: show it, clear the box
                    panel = render.retrieved_panel(ev.sources, ev.refused)
                    yield render.chat_messages(answers, question), answers, panel, ""
                elif isinstance(ev, KeySentences):  # the lessons' own words, before the model starts
                    keys = ev.sentences
                    pending = bubble.streaming_bubble(keys, draft)
                    yield render.chat_messages(answers, question, pending), answers, gr.skip(), gr.skip()
                elif isinstance(ev, Token):
                    draft += ev.text
                    pending = bubble.streaming_bubble(keys, draft) if keys is not None else bubble.text(draft)
                    yield render.chat_messages(answers, question, pending), answers, gr.skip(), gr.skip()
                elif isinstance(ev, Done):  # the checked answer replaces the draft
                    answers = [*answers, ev.answer]
                    yield render.chat_messages(answers), answers, render.answer_panel(ev.answer), ""
        except TutorError as exc:
            yield render.chat_messages(answers), answers, render.error_html(str(exc)), question
        finally:  # a learner who leaves mid-answer releases the LLM lock at once
            close = getattr(events, "close", None)
            if close:
                close()

    def new_conversation() -> tuple[Any, ...]:
        return [], [], INTRO, ""

    def pick_program(program: str) -> Any:
        return gr.Dropdown(choices=render.lesson_choices(tutor.manifest(), program), value=render.ALL)

    def refresh(program: str, lesson: str) -> tuple[Any, ...]:
        m = tutor.manifest()
        programs = render.program_choices(m)
        program = program if program in {v for _, v in programs} else render.ALL
        lessons = render.lesson_choices(m, program)
        lesson = lesson if lesson in {v for _, v in lessons} else render.ALL
        return (status(tutor), gr.Dropdown(choices=programs, value=program),
                gr.Dropdown(choices=lessons, value=lesson))

    def do_reindex(program: str, lesson: str, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        def report(stage: str, done: int, total: int) -> None:
            progress(done / total if total else 1.0, desc=f"{stage} {done}/{total}")

        try:
            summary = reindex(tutor, progress=report)
        except TutorError as exc:
            return render.error_html(str(exc)), *refresh(program, lesson)
        return render.sync_html(summary), *refresh(program, lesson)

    m = tutor.manifest()
    with gr.Blocks(title="Lesson Tutor", analytics_enabled=False) as demo:
        gr.Markdown("## Lesson Tutor\nAnswers come from the lessons only, with the passages they rest on.")
        status_box = gr.HTML(status(tutor), css_template=render.CSS, js_on_load=None, elem_id="status")
        with gr.Tab("Chat", id="chat", elem_id="chat-tab"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Conversation", height=460, elem_id="chat", sanitize_html=True,
                                         render_markdown=True, allow_tags=False, feedback_options=None,
                                         buttons=["copy", "copy_all"])
                    with gr.Row():
                        question = gr.Textbox(placeholder="Ask about the lessons…", show_label=False, scale=5,
                                              lines=1, max_lines=6, elem_id="question")
                        ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                    with gr.Row():
                        program = gr.Dropdown(render.program_choices(m), value=render.ALL, label="Program",
                                              elem_id="program")
                        lesson = gr.Dropdown(render.lesson_choices(m), value=render.ALL, label="Lesson",
                                             elem_id="lesson")
                    gr.Examples([[q] for q in EXAMPLES], inputs=[question], label="Try one of these")
                    new_btn = gr.Button("New conversation", size="sm", elem_id="new")
                with gr.Column(scale=2):
                    sources = gr.HTML(INTRO, css_template=render.CSS, js_on_load=None, elem_id="sources")
                    with gr.Accordion("Lessons index", open=True):
                        reindex_btn = gr.Button("Re-index lessons", size="sm", elem_id="reindex")
                        sync_box = gr.HTML("", css_template=render.CSS, js_on_load=None, elem_id="sync")
        with gr.Tab("Practice", id="practice", elem_id="practice-tab"):
            practice_tab(tutor)
        turns = gr.State([])

        gr.on([ask_btn.click, question.submit], ask, [question, turns, program, lesson],
              [chatbot, turns, sources, question], api_name="ask", concurrency_id="chat",
              concurrency_limit=CHAT_CONCURRENCY)
        new_btn.click(new_conversation, None, [chatbot, turns, sources, question], api_visibility="private")
        chatbot.clear(new_conversation, None, [chatbot, turns, sources, question], api_visibility="private")
        program.input(pick_program, program, lesson, api_visibility="private")  # a learner's pick only
        reindex_btn.click(do_reindex, [program, lesson], [sync_box, status_box, program, lesson],
                          api_name="reindex", concurrency_id="reindex", concurrency_limit=1)
        demo.load(refresh, [program, lesson], [status_box, program, lesson], api_visibility="private")
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY)
    return demo


def launch(
    demo: gr.Blocks,
    host: str,
    port: int | None,
    credentials: tuple[str, str] | None,
    extra_hosts: Sequence[str] = (),
    **kw: Any,
) -> Any:
    """Start the server (port None: the first free one from 7860); never a public share link. Every request
    passes `edge` first. `prevent_thread_lock=True` in `kw` returns at once; the URL is then `demo.local_url`."""
    kw.setdefault("quiet", True)
    block = not kw.pop("prevent_thread_lock", False)
    started = demo.launch(server_name=host, server_port=port, auth=credentials, share=False, show_error=True,
                          ssr_mode=False, strict_cors=True, prevent_thread_lock=True, **kw)
    app = demo.server_app  # the edge goes outside everything Gradio put in, its CORS answers included
    app.middleware_stack = edge(app.middleware_stack or app.build_middleware_stack(), host, extra_hosts)
    if block:
        demo.block_thread()
    return started


def edge(app: Any, host: str, extra_hosts: Sequence[str] = ()) -> Any:
    """`app` behind the web edge: the request's Host must be one this server answers to (Starlette's
    TrustedHostMiddleware: no DNS rebinding), its Origin the page's own (no other site's page may use it,
    preflights included), remote images are off (CSP), and failed logins are throttled per client
    (ui/access.py)."""
    hosts = allowed_hosts(host, extra_hosts)
    hosts += [f"[{h}]" for h in hosts if ":" in h]  # IPv6 literals as they appear in a Host header
    inner = SameOriginOnly(ThrottleLogins(app, LoginThrottle()))
    return TrustedHostMiddleware(inner, allowed_hosts=hosts, www_redirect=False)


def serve(settings: Settings, announce: Callable[[str], None] = log.warning) -> None:
    """`tutor serve`: refuse an open address without credentials, build the tutor, load the model (so a bad
    GGUF fails here, in one line), say whether it runs on the GPU, listen until stopped."""
    credentials = listen_credentials(settings.host, settings.auth)
    tutor = build_tutor(settings)
    llm = tutor.llm
    announce(f"model {llm.model_path.name}, GPU offload: {'yes' if llm.gpu_offload else 'no (CPU)'}")
    tutor.warm()  # load the embedder and the in-memory search index before the first learner
    demo = build_app(tutor)
    launch(demo, settings.host, settings.port, credentials, settings.allowed_hosts, quiet=False)  # prints the URL
