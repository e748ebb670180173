"""The command-line edge: the parser, the commands and exit codes. It and tutor/terminal.py (answers, chat and
quiz rounds, progress bars) are the only modules that print; tutor/flags.py turns the parsed arguments into
settings, filters and questions.

Every user-facing error is a TutorError, printed as one line (`error: ...`) with its exit code; `-v` adds
the traceback and debug logging.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from tutor.errors import TutorError
from tutor.flags import add_settings_flags, at_least_one, filters_of, questions_of, settings_of

log = logging.getLogger(__name__)


# --- commands ------------------------------------------------------------------------------------
def cmd_index(args: argparse.Namespace) -> int:
    from tutor import terminal
    from tutor.build import build_store, build_tutor

    s = settings_of(args)
    if args.dry_run:
        return _index_dry_run(s.lessons_dir, s.outside_roots, args.strict)
    if args.check:
        problems = build_store(s).check()
        for problem in problems:
            print(f"problem: {problem}")
        where = s.chroma_url or s.index_dir  # a Chroma server, or the embedded index
        print(f"index at {where}: {'healthy' if not problems else f'{len(problems)} problem(s)'}")
        return 1 if problems else 0
    tutor = build_tutor(s)
    summary = tutor.reindex(
        rebuild=args.rebuild,
        progress=terminal.progress_bar(),
        allow_shrink=args.allow_shrink,
        outside_roots=s.outside_roots,
        lock_timeout=s.index_lock_timeout,
        on_wait=lambda message: print(f"note: {message}", file=sys.stderr, flush=True),
    )
    if summary.dropped:
        print(f"note: removed {len(summary.dropped)} collection(s) left by interrupted index runs")
    for w in summary.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if summary.rebuilt:
        print(f"note: {summary.rebuilt}")
    if summary.swept:
        print(f"note: repaired an interrupted index run ({summary.swept} stray chunks removed)")
    _print_left_out(summary.left_out)
    print(summary.line())
    m = tutor.manifest()
    languages = sorted({e.language for e in m.lessons.values()}) if m else []
    if len(languages) > 1 and tutor.embedder.language:
        print(
            f"note: the lessons come in {len(languages)} languages ({', '.join(languages)}) and the embedding model "
            f"reads {tutor.embedder.language} only; TUTOR_EMBEDDING_MODEL=multilingual-e5-small reads them all "
            "(docs/embedders.md)"
        )
    elif len(languages) > 1 and not tutor.settings.embedding_model:
        print(
            f"note: the lessons come in {len(languages)} languages ({', '.join(languages)}): embedded with "
            f"{tutor.embedder.name.split(':')[0]}, which reads them all; "
            "TUTOR_EMBEDDING_MODEL=all-MiniLM-L6-v2 keeps the English one (docs/embedders.md)"
        )
    return 1 if args.strict and summary.warnings else 0


def _index_dry_run(lessons_dir: Path, outside_roots: list[Path], strict: bool) -> int:
    """What `tutor index` would take in, as which lesson id, and what it would leave out and why."""
    from tutor.ingest.lessons import load_lessons

    report = load_lessons(lessons_dir, outside_roots=outside_roots)
    for le in report.lessons:
        files = f", also from {', '.join(le.quiz_files)}" if le.quiz_files else ""
        print(f"take   {le.id}  <- {le.path}  [{le.title}; {len(le.quizzes)} quiz items{files}]")
    for x in report.left_out:
        print(f"leave  {x.path}: {x.reason}")
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(
        f"dry run: {len(report.lessons)} lessons would be taken in ({sum(len(le.quizzes) for le in report.lessons)} "
        f"quiz items) of {report.candidates} lesson-like files, {sum(x.files for x in report.left_out)} left out, "
        f"{len(report.failed_paths)} unreadable; no index was touched"
    )
    return 1 if strict and report.warnings else 0


def _print_left_out(left_out: list[Any]) -> None:
    """One note per reason, naming up to three of its files."""
    by_reason: dict[str, list[str]] = {}
    for x in left_out:
        by_reason.setdefault(x.reason, []).append(x.path)
    for reason, paths in by_reason.items():
        more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        print(f"note: left out {', '.join(paths[:3])}{more}: {reason}")


def cmd_lessons(args: argparse.Namespace) -> int:
    from tutor.build import build_tutor

    lessons = build_tutor(settings_of(args)).lessons()
    rows = sorted(
        lessons.items(),
        key=lambda kv: (kv[1].program, kv[1].language, 1e9 if kv[1].order is None else kv[1].order, kv[0]),
    )  # a section's overview has order 0 and comes first
    if args.json:
        for lid, e in rows:
            print(
                json.dumps(
                    {
                        "lesson_id": lid,
                        "title": e.title,
                        "path": e.path,
                        "chunks": e.chunks,
                        "quizzes": len(e.quizzes),
                        "language": e.language,
                        "program": e.program,
                    }
                )
            )
        return 0
    for lid, e in rows:
        print(f"{lid:55} {e.chunks:4} chunks {len(e.quizzes):3} quizzes  {e.title}")
    print(f"{len(rows)} lessons, {sum(e.chunks for _, e in rows)} chunks")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from tutor.build import build_embedder
    from tutor.settings import describe

    settings = settings_of(args)
    for name, value, description in describe(settings):
        shown = "***" if name == "auth" and value else value
        print(f"{name:22} = {shown!s:30}  # {description}")
    print(f"# embedding on this machine: {build_embedder(settings).describe()}")
    return 0


def _passage_json(p: Any) -> dict[str, Any]:
    c = p.chunk
    return {
        "lesson_id": c.lesson_id,
        "path": c.path,
        "title": c.title,
        "breadcrumb": c.breadcrumb,
        "anchor": c.anchor,
        "language": c.language,
        "program": c.program,
        "score": round(p.score, 5),
        "similarity": round(p.similarity, 4),
        "chunk_id": c.id,
        "start": c.start,
        "end": c.end,
        "text": c.text,
    }


def cmd_search(args: argparse.Namespace) -> int:
    from tutor.build import build_tutor

    tutor = build_tutor(settings_of(args))
    for q in questions_of(args):
        if not q.strip():
            continue
        r = tutor.search(q, filters_of(args, tutor), k=args.k)
        if args.json:
            print(json.dumps({"question": q, "passages": [_passage_json(p) for p in r.passages]}), flush=True)
            continue
        print(f"? {q}")
        for i, p in enumerate(r.passages, 1):
            print(f"  {i}. [{p.similarity:.2f}] {p.chunk.breadcrumb}  ({p.chunk.path}:{p.chunk.start}-{p.chunk.end})")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from tutor import terminal
    from tutor.build import build_tutor

    tutor = build_tutor(settings_of(args))
    terminal.ask(tutor, questions_of(args), filters_of(args, tutor), args.json)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from tutor import terminal
    from tutor.build import build_tutor

    tutor = build_tutor(settings_of(args))
    terminal.chat(tutor, filters_of(args, tutor))
    return 0


def cmd_quiz(args: argparse.Namespace) -> int:
    import getpass

    from tutor import terminal
    from tutor.build import build_coach, build_tutor

    coach = build_coach(build_tutor(settings_of(args)))
    if args.answer:  # one item checked, for scripts: N:K, both counted from 1
        if not args.lesson:
            raise TutorError("--answer N:K needs --lesson ID (the item numbers are per lesson)")
        try:
            n, k = (int(x) for x in args.answer.split(":"))
        except ValueError:
            raise TutorError(f"--answer takes ITEM:CHOICE, numbers from 1, like 2:3; got {args.answer!r}") from None
        terminal.check_one(coach, args.lesson, n, k, args.learner, args.json)
    else:
        terminal.quiz(coach, filters_of(args), args.learner or getpass.getuser(), args.json)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.app import serve

    s = settings_of(args)
    if not s.watch:
        serve(s, announce=print)
        return 0
    watcher, syncs = _watcher(s)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill PID` stops the page as Ctrl-C does, cleanly
    watcher.start(catch_up=True)  # a lesson edited while the page was stopped is re-indexed now
    print(f"watching {s.lessons_dir} for saves (and syncing what changed while stopped)", flush=True)
    try:
        serve(s, announce=print)
    finally:
        watcher.stop()  # a sync under way finishes first
        syncs.close()
        signal.signal(signal.SIGTERM, previous)
    return 0


def _watcher(s: Any) -> tuple[Any, Any]:
    """The watch of `tutor serve --watch`: a thread over the lessons folder, its syncs in a child process."""
    from tutor.ingest.walk import check_root
    from tutor.watch import SyncProcess, Watcher, report_path

    check_root(s.lessons_dir)  # a missing folder is one line now, not a dead watch later
    syncs = SyncProcess(s)
    # what the page itself writes, should it sit inside the lessons folder
    return Watcher(
        s.lessons_dir, syncs, report_path(s), ignore=[s.index_dir, s.progress_path, s.gaps_path, report_path(s)]
    ), syncs


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def cmd_eval(args: argparse.Namespace) -> int:
    from tutor import terminal
    from tutor.evaluation.quizzes import run_eval

    report = run_eval(
        settings_of(args),
        off_topic=args.off_topic,
        out_dir=Path(args.out),
        answers=not args.no_answers,
        limit=args.limit,
        track=terminal.track,
    )
    print(report.summary())
    return 0


# --- parser --------------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tutor", description="A local chat tutor over lesson files.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    sub = p.add_subparsers(dest="command", required=True)

    def cmd(name: str, fn: Any, help: str, lessons: bool = False) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help)
        sp.set_defaults(fn=fn)
        return sp

    def filters(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--program", help="only this program")
        sp.add_argument("--lesson", help="only this lesson id (program/lang/slug)")
        sp.add_argument("--language", help="only lessons in this language")

    sp = cmd("index", cmd_index, "index the lessons directory (incremental)", lessons=True)
    sp.add_argument("--rebuild", action="store_true", help="start the index over")
    sp.add_argument(
        "--strict",
        action="store_true",
        help="exit non-zero if any lesson had a warning (or none was taken in, or most files were left out)",
    )
    sp.add_argument(
        "--dry-run",
        action="store_true",
        help="list what would be taken in, as which lesson id, and what is left out and why; touches no index",
    )
    sp.add_argument("--allow-shrink", action="store_true", help="let this run remove more than half of the lessons")
    sp.add_argument(
        "--check", action="store_true", help="report the index's health (exit 1 on a problem); changes nothing"
    )
    sp = cmd("lessons", cmd_lessons, "list indexed lessons")
    sp.add_argument("--json", action="store_true")
    cmd("config", cmd_config, "print the effective settings", lessons=True)
    for name, fn, help in (("search", cmd_search, "retrieval only"), ("ask", cmd_ask, "answer one question")):
        sp = cmd(name, fn, help, lessons=True)
        sp.add_argument("question", nargs="?")
        sp.add_argument("--from-file", metavar="FILE", help="one question per line")
        sp.add_argument("--json", action="store_true")
        filters(sp)
        if name == "search":
            sp.add_argument("-k", type=at_least_one, default=5, help="passages to return (1 or more)")
    sp = cmd("chat", cmd_chat, "a conversation in the terminal", lessons=True)
    filters(sp)
    cmd("serve", cmd_serve, "the web UI", lessons=True)
    sp = cmd("quiz", cmd_quiz, "practise with the lessons' own quizzes", lessons=True)
    filters(sp)
    sp.add_argument("--answer", metavar="N:K", help="check item N of --lesson with choice K (both from 1)")
    sp.add_argument("--learner", help="whose progress to record (default: your user name; with --answer: none)")
    sp.add_argument("--json", action="store_true", help="items without keys; with --answer, the check")
    sp = cmd("eval", cmd_eval, "measure retrieval, refusal and answers on the lessons' own quizzes", lessons=True)
    sp.add_argument("--off-topic", metavar="FILE", help="off-topic questions, one a line")
    sp.add_argument("--out", metavar="DIR", default="eval-report")
    sp.add_argument("--no-answers", action="store_true", help="retrieval and refusal only, no LLM")
    sp.add_argument("--limit", type=int, help="use only the first N quiz questions")
    for command in sub.choices.values():  # after each command's own options, so those win a clash
        add_settings_flags(command)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:
        logging.getLogger("tutor.ingest.lessons").setLevel(logging.ERROR)  # the CLI prints those warnings itself
    try:
        code = int(args.fn(args))
        sys.stdout.flush()  # a reader that went away is found here, not in Python's flush at exit
        return code
    except TutorError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tutor lessons --json | head`: the reader stopped; close quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 141  # 128 + SIGPIPE, the shell's code for a writer whose reader went away


if __name__ == "__main__":
    sys.exit(main())
