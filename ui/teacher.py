"""The teacher's page (`/teacher`): the model, GPU and index, the re-index control with the last summary and its
per-lesson warnings, the last re-index after a save (`tutor serve --watch`), the course-gap list (similar questions
grouped: refused, answered off-topic, or marked not helpful by a learner) with a CSV export, and the practice
results per lesson across learners (Practice tab and "Check yourself" answers, first tries only): counts and shares,
never one learner's answers; a per-learner summary only for signed-in (auth) learners. A progress or gap file found
damaged and started again is named in a warning at the top; the CSV export is written at each refresh into Gradio's
own cache folder (so no second copy is made), replacing the previous one, and removed once downloaded (`Exports`).

With `teacher_auth` set, only a request signed in as that user sees it (`tutor serve` refuses teacher
credentials without auth, so nobody reaches it unsigned); every handler checks again, so the re-index API is
closed to learners and anonymous clients too. Without any auth (the page listens on this machine only) it is
open.
"""

from __future__ import annotations

import html
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr

from tutor.answer.turn import Tutor
from tutor.build import reindex
from tutor.errors import TutorError
from tutor.learn.progress import LearnerResults, LessonResults, ProgressStore
from tutor.store.gaps import GapGroup, GapLog
from tutor.store.manifest import Manifest
from tutor.store.sync import SyncSummary
from tutor.watch import load_report, report_path
from ui import render, status_html
from ui.access import parse_auth

log = logging.getLogger(__name__)

LOCKED = (
    '<div class="panel"><p class="error" role="alert">This page is for the teacher: sign in with the '
    "teacher's credentials (TUTOR_TEACHER_AUTH).</p></div>"
)
GAP_HEADERS = ["last asked", "why", "question (similar wordings)", "times", "lessons retrieved", "scope", "comments",
               "asked by"]  # fmt: skip
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
        model, gpu = tutor.model_status()
    except TutorError as exc:
        model, gpu = f"not loaded ({exc})", None
    return status_html.status_html(model, gpu, tutor.manifest(), embedding=tutor.embedder.describe(),
                                   embedder=tutor.embedder.name, checked_at=tutor.checked_at)  # fmt: skip


KIND_WORDS = {"refused": "refused", "off_topic": "answered, with words no lesson uses", "flagged": "not helpful"}
SHOWN_WORDINGS = 3  # a group lists this many wordings of its question, then how many more


def gap_rows(groups: list[GapGroup], manifest: Manifest | None) -> list[list[str]]:
    """One row per group of similar questions, newest first: when last asked, why it is a gap (with counts),
    its wordings, how often, the lessons retrieved (by title), the scope and the learners' comments."""
    rows = []
    for g in groups:
        why = ", ".join(f"{KIND_WORDS.get(k, k)} ×{n}" for k, n in g.kinds.most_common())
        asked = "; ".join(g.questions[:SHOWN_WORDINGS])
        if len(g.questions) > SHOWN_WORDINGS:
            asked += f" (+{len(g.questions) - SHOWN_WORDINGS} more wordings)"
        lessons = [manifest.lessons[x].title if manifest and x in manifest.lessons else x for x in g.lessons[:3]]
        scopes = ", ".join(x or "all lessons" for x in g.scopes)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(g.last_asked))
        comments = " | ".join(g.comments[:3])
        rows.append([when, why, asked, str(g.count), "; ".join(lessons), scopes, comments, ", ".join(g.users)])
    return rows


def helpful_line(up: int, down: int) -> str:
    """How learners rated the answers ("Was this helpful?"): `up` helpful, `down` not."""
    if not up and not down:
        return '<p class="muted">No learner has rated an answer yet ("Was this helpful?" under each answer).</p>'
    rated = f"{up + down} answer{'' if up + down == 1 else 's'}"
    return f"<p>Learners rated {rated}: {up} helpful, {down} not helpful (listed below).</p>"


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


def store_warnings(progress: ProgressStore, gaps: GapLog, problems: list[str]) -> str:
    """A warning per damaged file set aside (and per store that cannot be read now); '' when all is well."""
    lines = [html.escape(p) for p in problems]
    for what, files in (("progress database", progress.set_aside()), ("course-gap list", gaps.set_aside())):
        for f in files:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(f.stat().st_mtime))
            lines.append(
                f"The {what} was damaged and started again (found {when}); the damaged file is kept at "
                f"<code>{html.escape(str(f))}</code>: answers in it are not counted."
            )
    return "".join(f'<p class="error" role="alert">{line}</p>' for line in lines)


class Exports:
    """CSV exports of the gap list: each written into a folder (the page passes Gradio's cache, where it is
    served without a copy), removed `keep_s` after its download starts, or after `max_s` if never
    downloaded; a new export removes the earlier ones."""

    def __init__(self, folder: Path | None = None, keep_s: float = 60.0, max_s: float = 900.0):
        self.folder, self.keep_s, self.max_s = folder, keep_s, max_s
        self._made: list[Path] = []
        self._lock = threading.Lock()

    def write(self, gaps: GapLog, folder: Path | None = None) -> Path:
        self.forget()
        where = folder or self.folder
        if where is not None:
            where.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix="tutor-gaps-", dir=where)) / "course-gaps.csv"
        path.write_text(gaps.csv(), encoding="utf-8")
        with self._lock:
            self._made.append(path)
        self._later(self.max_s, path)
        return path

    def _later(self, seconds: float, path: Path) -> None:
        timer = threading.Timer(seconds, self.remove, [path])
        timer.daemon = True  # a server stopping does not wait for it
        timer.start()

    def downloaded(self, path: str | Path | None) -> None:
        """The download of `path` started: remove it once the browser has had time to fetch it."""
        if path:
            self._later(self.keep_s, Path(path))

    def remove(self, path: Path) -> None:
        with self._lock:
            if path in self._made:
                self._made.remove(path)
        if path.parent.name.startswith("tutor-gaps-"):
            shutil.rmtree(path.parent, ignore_errors=True)

    def forget(self) -> None:
        """Remove every export made so far."""
        with self._lock:
            made = list(self._made)
        for path in made:
            self.remove(path)


class TeacherPage:
    """The page's components (laid out by `layout` inside `demo.route(...)`), the handlers, each checking the
    request again (`allowed`), and their wiring (`wire`)."""

    def __init__(self, tutor: Tutor, gaps: GapLog, progress: ProgressStore):
        self.tutor, self.gaps, self.progress = tutor, gaps, progress
        self.last: SyncSummary | None = None  # the last re-index from this page since the server started
        self.exports = Exports()

    # --- handlers ---------------------------------------------------------------------------------------
    def practice(self, problems: list[str]) -> tuple:
        try:
            manifest: Manifest | None = self.tutor.manifest()
        except TutorError:
            manifest = None
        try:
            learners = learner_rows(self.progress.results_by_learner())
            lessons = practice_rows(self.progress.results_by_lesson(), manifest)
        except TutorError as exc:  # the progress database is busy or unreadable now: said, not shown raw
            problems.append(f"Practice results are not shown: {exc}")
            return gr.skip(), gr.skip()
        return lessons, gr.Dataframe(learners, visible=bool(learners))

    def show(self, request: gr.Request) -> tuple:
        tutor, gaps = self.tutor, self.gaps
        if not allowed(tutor, request):
            return LOCKED, *(gr.skip(),) * 8
        summary = self.last
        idle = '<p class="muted">No re-index since the server started.</p>'
        sync = status_html.sync_html(summary) if summary else idle
        s = tutor.settings
        watch = status_html.watch_html(load_report(report_path(s)), str(s.lessons_dir) if s.watch else None)
        problems: list[str] = []
        try:
            groups, (up, down) = gaps.overview()
            rows: object = gap_rows(groups, tutor.manifest())
            rated: object = helpful_line(up, down)
        except TutorError as exc:
            problems.append(f"The course gaps are not shown: {exc}")
            rows = rated = gr.skip()
        results = self.practice(problems)
        csv = self.export()
        return status(tutor), store_warnings(self.progress, gaps, problems), sync, watch, rated, rows, csv, *results

    def export(self) -> object:
        try:
            return str(self.exports.write(self.gaps, Path(self.download.GRADIO_CACHE)))
        except (TutorError, OSError) as exc:
            log.warning("course gaps not exported: %s", exc)
            return None

    def downloaded(self, path: str | None, request: gr.Request) -> None:
        if allowed(self.tutor, request):
            self.exports.downloaded(path)  # removed shortly; the next refresh writes a new one

    def do_reindex(self, request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008
        """Gradio injects `request` and `progress` by their annotations, so the handler names them itself."""
        tutor = self.tutor
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
        self.last = summary
        return status(tutor), status_html.sync_html(summary)

    # --- layout -----------------------------------------------------------------------------------------
    def layout(self) -> None:
        self.layout_status()
        self.layout_gaps()
        self.layout_practice()

    def layout_status(self) -> None:
        """The heading, the model and index, store warnings, the re-index control and the last re-indexes."""
        gr.Markdown(
            "## Lesson Tutor: the teacher's page\nThe model, the index and the questions the lessons do not "
            "answer yet. Learners use the main page."
        )
        self.status_box = gr.HTML(LOCKED, elem_id="status")
        self.warnings_box = gr.HTML("", elem_id="store-warnings")  # damaged progress or gap files set aside
        with gr.Row():
            self.reindex_btn = gr.Button("Re-index lessons", size="sm", elem_id="reindex")
        self.sync_box = gr.HTML("", elem_id="sync")
        self.watch_box = gr.HTML("", elem_id="watch")  # `tutor serve --watch`: the last re-index after a save

    def layout_gaps(self) -> None:
        """The course-gap list: the learners' ratings, the table, refresh and the CSV export."""
        gr.Markdown(
            "### Course gaps\nQuestions no lesson covers (refusals not caused by a learner's filter), questions "
            "answered though they use words no lesson uses, and answers learners marked not helpful, similar "
            "questions together, newest first: candidates for new or longer lessons."
        )
        self.rated_box = gr.HTML("", elem_id="rated")
        self.gaps_table = gr.Dataframe(
            headers=GAP_HEADERS,
            value=[],
            interactive=False,
            wrap=True,
            elem_id="gaps",
            column_widths=["9%", "11%", "24%", "5%", "17%", "10%", "16%", "8%"],
        )
        with gr.Row():
            self.refresh_btn = gr.Button("Refresh", size="sm", elem_id="gaps-refresh")
            self.download = gr.DownloadButton("Export as CSV", size="sm", elem_id="gaps-csv")

    def layout_practice(self) -> None:
        """The practice results per lesson, and per signed-in learner (hidden while there are none)."""
        gr.Markdown(
            "### Practice results\nPer lesson, across learners: first-try answers to its quiz items on the Practice "
            "tab and in “Check yourself” after a chat answer (retries at the end of a round are not counted)."
        )
        self.practice_table = gr.Dataframe(
            headers=PRACTICE_HEADERS,
            value=[],
            interactive=False,
            wrap=True,
            elem_id="practice-results",
            column_widths=["30%", "9%", "9%", "8%", "44%"],
        )
        self.learners_table = gr.Dataframe(
            headers=LEARNER_HEADERS, value=[], interactive=False, visible=False, elem_id="practice-learners"
        )

    # --- wiring -----------------------------------------------------------------------------------------
    def wire(self, demo: gr.Blocks) -> None:
        show = self.show  # one bound method for every event that shows the page: one queue lane, as one function
        outs = [self.status_box, self.warnings_box, self.sync_box, self.watch_box, self.rated_box, self.gaps_table,
                self.download, self.practice_table, self.learners_table]  # fmt: skip
        gr.on([self.refresh_btn.click], show, None, outs, api_visibility="private")
        self.download.click(self.downloaded, self.download, None, api_visibility="private")
        gr.on(
            [self.reindex_btn.click],
            self.do_reindex,
            None,
            [self.status_box, self.sync_box],
            api_name="reindex",
            concurrency_id="reindex",
            concurrency_limit=1,
            show_progress_on=[self.sync_box],
        ).then(show, None, outs, api_visibility="private")
        demo.load(show, None, outs, api_visibility="private")


def teacher_page(demo: gr.Blocks, tutor: Tutor, gaps: GapLog, progress: ProgressStore | None = None) -> None:
    """The page's components and events; call inside `demo.route(...)`. `progress`: the learners' practice
    answers (by default the store at `settings.progress_path`)."""
    page = TeacherPage(tutor, gaps, progress or ProgressStore.of(tutor.settings))
    page.layout()
    page.wire(demo)
