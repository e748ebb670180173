"""The teacher's page (`/teacher`): the model, GPU and index, the re-index control with the last summary and its
per-lesson warnings, the last re-index after a save (`tutor serve --watch`), the course-gap list (refused and
mostly unsupported questions) with a CSV export, and the practice results per lesson across learners (Practice
tab and "Check yourself" answers, first tries only): counts and shares, never one learner's answers; a
per-learner summary only for signed-in (auth) learners.

With `teacher_auth` set, only a request signed in as that user sees it (`tutor serve` refuses teacher
credentials without auth, so nobody reaches it unsigned); every handler checks again, so the re-index API is
closed to learners and anonymous clients too. Without any auth (the page listens on this machine only) it is
open.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import gradio as gr

from tutor.answer.turn import Tutor
from tutor.build import reindex
from tutor.errors import TutorError
from tutor.ingest.sync import SyncSummary
from tutor.learn.progress import LearnerResults, LessonResults, ProgressStore
from tutor.store.gaps import GapLog
from tutor.store.manifest import Manifest
from tutor.watch import load_report, report_path
from ui import render
from ui.access import parse_auth

log = logging.getLogger(__name__)

LOCKED = (
    '<div class="panel"><p class="error" role="alert">This page is for the teacher: sign in with the '
    "teacher's credentials (TUTOR_TEACHER_AUTH).</p></div>"
)
GAP_HEADERS = ["asked", "why", "question", "scope", "lessons retrieved", "user"]
PRACTICE_HEADERS = ["lesson", "learners", "answers", "right", "most missed item"]
LEARNER_HEADERS = ["learner (signed in)", "lessons practised", "answers", "right"]


def teacher_user(tutor: Tutor) -> str | None:
    creds = parse_auth(tutor.settings.teacher_auth)
    return creds[0] if creds else None


def allowed(tutor: Tutor, request: gr.Request | None) -> bool:
    """Teacher credentials set: only a request signed in as that user. Else: open without auth (a request
    without a user; `tutor serve` listens on this machine only then), locked to every signed-in user."""
    user = getattr(request, "username", None) if request else None
    teacher = teacher_user(tutor)
    return user == teacher if teacher else user is None


def status(tutor: Tutor) -> str:
    """Model, GPU offload, embedding backend and index; loads the LLM on first call."""
    try:
        model, gpu = tutor.llm.model_path.name, tutor.llm.gpu_offload
    except TutorError as exc:
        model, gpu = f"not loaded ({exc})", None
    return render.status_html(model, gpu, tutor.manifest(), embedding=tutor.embedder.describe(),
                              embedder=tutor.embedder.name)  # fmt: skip


def gap_rows(gaps: GapLog) -> list[list[str]]:
    return [
        [
            time.strftime("%Y-%m-%d %H:%M", time.localtime(g.asked_at)),
            g.kind,
            g.question,
            g.scope or "all lessons",
            g.lessons.replace(" ", ", "),
            g.user,
        ]
        for g in gaps.list()
    ]


def practice_rows(results: list[LessonResults], manifest: Manifest | None) -> list[list[str]]:
    """One row per lesson practised: its title, learners, first-try answers, share right, and the item
    missed most often (its number and question), from the lesson's quizzes in the index."""
    rows = []
    for r in results:
        e = manifest.lessons.get(r.lesson_id) if manifest else None
        missed = "none"
        if r.most_missed is not None:
            quizzes = e.quizzes if e else []
            q = f": {quizzes[r.most_missed - 1]['question']}" if r.most_missed <= len(quizzes) else ""
            missed = f"{r.most_missed}{q} ({r.most_missed_wrong} wrong)"
        title = f"{e.title} ({r.lesson_id})" if e else r.lesson_id
        rows.append([title, str(r.learners), str(r.attempts), f"{round(r.right_share * 100)}%", missed])
    return rows


def learner_rows(results: list[LearnerResults]) -> list[list[str]]:
    return [
        [r.learner.removeprefix("user:"), str(r.lessons), str(r.attempts), f"{round(r.right_share * 100)}%"]
        for r in results
    ]


def export(gaps: GapLog) -> str:
    """The gap list written to a fresh CSV file; its path, for the download button."""
    folder = Path(tempfile.mkdtemp(prefix="tutor-gaps-"))
    path = folder / "course-gaps.csv"
    path.write_text(gaps.csv(), encoding="utf-8")
    return str(path)


def teacher_page(demo: gr.Blocks, tutor: Tutor, gaps: GapLog, progress: ProgressStore | None = None) -> None:
    """The page's components and events; call inside `demo.route(...)`. `progress`: the learners' practice
    answers (by default the store at `settings.progress_path`)."""
    last: dict[str, SyncSummary | None] = {"summary": None}
    progress = progress or ProgressStore(tutor.settings.progress_path)

    def practice() -> tuple:
        try:
            manifest: Manifest | None = tutor.manifest()
        except TutorError:
            manifest = None
        learners = learner_rows(progress.results_by_learner())
        return practice_rows(progress.results_by_lesson(), manifest), gr.Dataframe(learners, visible=bool(learners))

    def show(request: gr.Request) -> tuple:
        if not allowed(tutor, request):
            return LOCKED, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        summary = last["summary"]
        sync = render.sync_html(summary) if summary else '<p class="muted">No re-index since the server started.</p>'
        s = tutor.settings
        watch = render.watch_html(load_report(report_path(s)), str(s.lessons_dir) if s.watch else None)
        return status(tutor), sync, watch, gap_rows(gaps), export(gaps), *practice()

    def do_reindex(request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        """Gradio injects `request` and `progress` by their annotations, so the handler names them itself."""
        if not allowed(tutor, request):
            return LOCKED, gr.skip()

        def report(stage: str, done: int, total: int) -> None:
            if total:
                progress(done / total, desc=f"{stage} {done}/{total}")
            else:
                progress(None, desc=stage)

        try:
            summary = reindex(tutor, progress=report)
        except TutorError as exc:
            return status(tutor), render.error_html(str(exc))
        last["summary"] = summary
        return status(tutor), render.sync_html(summary)

    gr.Markdown(
        "## Lesson Tutor: the teacher's page\nThe model, the index and the questions the lessons do not "
        "answer yet. Learners use the main page."
    )
    status_box = gr.HTML(LOCKED, elem_id="status")
    with gr.Row():
        reindex_btn = gr.Button("Re-index lessons", size="sm", elem_id="reindex")
    sync_box = gr.HTML("", elem_id="sync")
    watch_box = gr.HTML("", elem_id="watch")  # `tutor serve --watch`: the last re-index after a save
    gr.Markdown(
        "### Course gaps\nQuestions the tutor refused, and those whose explanation was mostly not backed "
        "by the lessons: candidates for new or longer lessons."
    )
    gaps_table = gr.Dataframe(
        headers=GAP_HEADERS,
        value=[],
        interactive=False,
        wrap=True,
        elem_id="gaps",
        column_widths=["11%", "8%", "30%", "13%", "30%", "8%"],
    )
    with gr.Row():
        refresh_btn = gr.Button("Refresh", size="sm", elem_id="gaps-refresh")
        download = gr.DownloadButton("Export as CSV", size="sm", elem_id="gaps-csv")

    gr.Markdown(
        "### Practice results\nPer lesson, across learners: first-try answers to its quiz items on the Practice "
        "tab and in “Check yourself” after a chat answer (retries at the end of a round are not counted)."
    )
    practice_table = gr.Dataframe(
        headers=PRACTICE_HEADERS,
        value=[],
        interactive=False,
        wrap=True,
        elem_id="practice-results",
        column_widths=["30%", "9%", "9%", "8%", "44%"],
    )
    learners_table = gr.Dataframe(
        headers=LEARNER_HEADERS, value=[], interactive=False, visible=False, elem_id="practice-learners"
    )

    outs = [status_box, sync_box, watch_box, gaps_table, download, practice_table, learners_table]
    gr.on([refresh_btn.click], show, None, outs, api_visibility="private")
    gr.on(
        [reindex_btn.click],
        do_reindex,
        None,
        [status_box, sync_box],
        api_name="reindex",
        concurrency_id="reindex",
        concurrency_limit=1,
        show_progress_on=[sync_box],
    ).then(show, None, outs, api_visibility="private")
    demo.load(show, None, outs, api_visibility="private")
