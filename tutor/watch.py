"""Re-index on save (`tutor serve --watch`): a background thread watches the lessons folder (watchfiles) and,
once a burst of saves has gone quiet, brings the index in step as `tutor index` does.

- **Bursts.** An editor's save is several file events (a temporary file, a rename, the file); a folder copied in
  is hundreds. `Burst` gathers them and says when to sync: after `QUIET_S` without a new event, or at the
  latest `MAX_WAIT_S` after the first, so a stream of saves still syncs now and then.
- **One sync at a time.** The thread runs its syncs one after another, and each holds the index writers' lock
  (tutor/store/lock.py), so a sync waits for the teacher page's re-index or a `tutor index` run, as they wait
  for it. A broken save keeps the lesson's previous version, as in any index run.
- **In a child process.** Chroma keeps one client state per index folder per process, and the page's own store
  reopens it when another writer replaced the manifest; a second writer in the page's process would have its
  state stopped under it. So the syncs run in one child process (`SyncProcess`, started at the first save),
  a writer like `tutor index`, and the page's readers follow its new generation at their next question.
- **Changes made while nobody watched.** `start(catch_up=True)` (as `tutor serve --watch` does) syncs once as
  soon as the watch is set up, so a lesson edited while the page was stopped is re-indexed at start; a save
  during that sync is seen by the watch and synced after it.
- **What changed.** Each sync that changed something (or failed) is written to `watch.json` next to the
  index's progress and gap lists; the teacher page shows the last one.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import watchfiles

from tutor.errors import TutorError
from tutor.settings import Settings
from tutor.store.sync import SyncSummary

log = logging.getLogger(__name__)

QUIET_S = 0.8  # s without a new file event that end a burst (an editor's save is over in well under this)
MAX_WAIT_S = 10.0  # s after a burst's first event at which it syncs even if events keep coming
POLL_MS = 200  # ms the watch waits for events before looking at the clock and the stop flag again
CLOSE_WAIT_S = 30.0  # s a stopping watcher lets a running sync finish before the child is terminated
REPORT = "watch.json"


@dataclass
class WatchReport:
    """One sync after saves: when, which files set it off, and what it did to the index."""

    at: float = 0.0  # time.time() when the sync ended
    files: list[str] = field(default_factory=list)  # changed paths, relative to the lessons folder
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # unreadable after the save: previous version kept
    warnings: list[str] = field(default_factory=list)
    error: str = ""  # the sync failed; the index is as before
    seconds: float = 0.0
    at_start: bool = False  # the sync when watching began: changes made while nobody watched

    @classmethod
    def of(cls, s: SyncSummary) -> WatchReport:
        return cls(
            added=s.added,
            updated=s.updated,
            removed=s.removed,
            kept=s.kept,
            warnings=[str(w) for w in s.warnings],
            seconds=s.seconds,
        )

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.kept or self.error)

    def line(self) -> str:
        if self.error:
            return f"re-index after a save failed: {self.error}"
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.removed)} removed"]
        if self.kept:
            parts.append(f"{len(self.kept)} unreadable (previous version kept)")
        when = "changes made while not watching, re-indexed at start: " if self.at_start else ""
        return f"{when}lessons: {', '.join(parts)} in {self.seconds:.1f} s"


def report_path(settings: Settings) -> Path:
    """Where the last watch report of this index sits: beside its progress and gap lists."""
    return settings.index_dir.parent / REPORT


def save_report(report: WatchReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # its name starts as the report's: ignored alike
    tmp.write_text(json.dumps(asdict(report)), encoding="utf-8")
    os.replace(tmp, path)  # atomic: the teacher page never reads half a report


def load_report(path: Path) -> WatchReport | None:
    try:
        return WatchReport(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


@dataclass
class Burst:
    """File events gathered until they go quiet (debounce); times in seconds of one monotonic clock."""

    quiet_s: float = QUIET_S
    max_wait_s: float = MAX_WAIT_S
    paths: set[str] = field(default_factory=set)
    first: float | None = None
    last: float | None = None

    def add(self, paths: Iterable[str], now: float) -> None:
        paths = set(paths)
        if paths:
            self.paths |= paths
            self.first = now if self.first is None else self.first
            self.last = now

    def due(self, now: float) -> bool:
        if self.first is None or self.last is None:
            return False
        return now - self.last >= self.quiet_s or now - self.first >= self.max_wait_s

    def take(self) -> list[str]:
        paths, self.paths, self.first, self.last = sorted(self.paths), set(), None, None
        return paths


class Watcher:
    """Watch `lessons_dir` in a thread and call `sync` (which returns what it did) after each burst of saves,
    one sync at a time; record each sync that changed something at `report`."""

    def __init__(
        self,
        lessons_dir: Path,
        sync: Callable[[], WatchReport],
        report: Path,
        *,
        ignore: Sequence[Path] = (),
        burst: Burst | None = None,
    ):
        self.lessons_dir = Path(lessons_dir).resolve()
        self.sync_fn, self.report = sync, report
        self.burst = burst or Burst()
        self.ignore = [str(Path(p).resolve()) for p in ignore]  # the index, if it sits inside the lessons
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, catch_up: bool = False) -> None:
        """Watch from now on; `catch_up`: first sync what changed while nobody watched, once the watch is set up."""
        self._thread = threading.Thread(target=self._run, args=(catch_up,), name="tutor-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = CLOSE_WAIT_S) -> None:
        """Stop watching; a sync under way gets `timeout` s to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def step(self, paths: Iterable[str], now: float) -> WatchReport | None:
        """One turn of the loop: gather `paths` (absolute), and sync when the burst is over."""
        self.burst.add(paths, now)
        return self.sync(self.burst.take()) if self.burst.due(now) else None

    def sync(self, paths: Sequence[str], at_start: bool = False) -> WatchReport | None:
        """Run one sync for these changed files (none: the sync when watching began, `at_start`); the report,
        saved when the sync changed something or failed."""
        with self._lock:
            try:
                report = self.sync_fn()
            except TutorError as exc:
                report = WatchReport(error=str(exc))
            except Exception as exc:  # noqa: BLE001 - the watcher must outlive one bad sync
                log.exception("re-index after a save failed")
                report = WatchReport(error=f"{type(exc).__name__}: {exc}")
            report.at = time.time()
            report.files = [os.path.relpath(p, self.lessons_dir) for p in paths]
            report.at_start = at_start
            if report.changed:
                save_report(report, self.report)
                log.warning("%s (after saving %s)", report.line(), ", ".join(report.files[:3]))
            return report

    def _run(self, catch_up: bool) -> None:
        wanted = watchfiles.DefaultFilter(ignore_paths=self.ignore)
        try:
            for changes in watchfiles.watch(
                self.lessons_dir,
                watch_filter=wanted,
                stop_event=self._stop,
                rust_timeout=POLL_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                if catch_up:  # the first turn: the watch is set up, so no save is lost during this sync
                    catch_up = False
                    self.sync([], at_start=True)
                self.step({path for _, path in changes}, time.monotonic())
        except Exception as exc:  # noqa: BLE001 - the folder vanished, the system's watch limit was reached
            log.error("stopped watching %s: %s", self.lessons_dir, exc)
            save_report(WatchReport(at=time.time(), error=f"stopped watching {self.lessons_dir}: {exc}"), self.report)


class SyncProcess:
    """`sync_index` with `settings` in one child process, started at the first call and reused; a callable
    for `Watcher`. A sync that fails raises TutorError with the child's message."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._proc: Any = None
        self._conn: Connection | None = None

    def __call__(self) -> WatchReport:
        if self._proc is None or not self._proc.is_alive() or self._conn is None:
            self._start()
        assert self._conn is not None
        try:
            self._conn.send("sync")
            kind, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            self._proc = None
            raise TutorError(f"the index process stopped during a sync ({exc!r}); the next save tries again") from None
        if kind == "error":
            raise TutorError(value)
        return value  # type: ignore[no-any-return]

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads (the page's)
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_child, args=(self.settings, child), name="tutor-watch-sync", daemon=True)
        self._proc.start()
        child.close()

    def close(self, timeout: float = CLOSE_WAIT_S) -> None:
        """Let the child finish a sync under way (up to `timeout` s), then end it."""
        if self._proc is None:
            return
        try:
            if self._conn is not None:
                self._conn.send(None)
        except OSError:
            pass
        self._proc.join(timeout)
        if self._proc.is_alive():
            self._proc.terminate()  # an interrupted sync leaves the previous index usable; the next run repairs
            self._proc.join(5)
        self._proc = None


def _child(settings: Settings, conn: Connection) -> None:
    """The child: one store and embedder, a sync per request, until the parent says stop or goes away."""
    from tutor.build import build_embedder, build_store
    from tutor.store.sync import sync_index

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops this one
    store = build_store(settings)
    embedder = build_embedder(settings, store)
    while True:
        try:
            if conn.recv() is None:
                return
        except (EOFError, OSError):
            return
        try:
            summary = sync_index(
                settings.lessons_dir,
                store,
                embedder,
                max_tokens=settings.chunk_max_tokens,
                outside_roots=settings.outside_roots,
                lock_timeout=settings.index_lock_timeout,
            )
            reply: tuple[str, Any] = ("ok", WatchReport.of(summary))
        except TutorError as exc:
            reply = ("error", str(exc))
        except Exception as exc:  # noqa: BLE001 - said to the parent, which records it and goes on watching
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except OSError:
            return
