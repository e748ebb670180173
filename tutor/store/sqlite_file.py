"""A small local SQLite file that survives damage and a busy or full disk: the progress and gap stores' base.

- **Damage** (a truncated file, random bytes, a table gone): every connection checks that the expected tables
  are there; a file that is not a database, is malformed, or lost its tables is moved aside as
  `NAME.damaged-YYYYmmdd-HHMMSS` (with a warning in the log) and recreated empty, so the page goes on;
  `set_aside()` lists the moved files for the teacher page.
- **Busy, read-only or full**: a write waits at most WRITE_WAIT_S for another process's lock, then is queued
  in memory and written, in order, by a background thread as soon as the database takes writes again;
  `pending()` hands the queued rows to readers so nothing a learner did disappears meanwhile. A read that
  cannot be done raises `StoreUnavailable`, a TutorError whose message says what happened in plain words.
"""

from __future__ import annotations

import atexit
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from tutor.errors import TutorError

log = logging.getLogger(__name__)

T = TypeVar("T")
WRITE_WAIT_S = 2.0  # seconds a write waits for another process's lock before it is queued
READ_WAIT_S = 5.0  # seconds a read waits for a lock (WAL readers rarely wait at all)
RETRY_EVERY_S = 1.0  # how often queued writes are tried again
DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")  # sqlite's names for a file that is not (or no more) a database
UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN")


class StoreUnavailable(TutorError):
    """A local database cannot be read now (locked by another process, a disk error); nothing was lost."""


class Damaged(Exception):
    """The file is not the database it should be; raised inside this module only."""


def is_damage(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(DAMAGED) or "no such table" in str(exc) or "no such column" in str(exc)


def plain(exc: BaseException) -> str:
    """What went wrong, in words a learner or teacher can act on (never sqlite's own message)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "it is locked by another program"
    if name.startswith("SQLITE_READONLY"):
        return "it cannot be written (a read-only file or folder)"
    if name.startswith("SQLITE_FULL"):
        return "the disk is full"
    return "the disk or file cannot be read or written"


class SqliteFile:
    """One SQLite file with `tables` that `prepare` creates or migrates (idempotent); `what` names it in
    messages ("the progress database")."""

    def __init__(self, path: Path, tables: set[str], prepare: Callable[[sqlite3.Connection], None], what: str):
        self.path, self.tables, self.prepare, self.what = Path(path), tables, prepare, what
        self._ready = False  # prepared once by this process: later opens only check the tables
        self._lock = threading.Lock()  # moving a damaged file aside; the queue
        self._queue: list[tuple[str, tuple[Any, ...]]] = []
        self._flushing = threading.Lock()  # one flush at a time, so no queued row is written twice
        self._told = False  # the log said writes are being queued
        atexit.register(self.flush)  # a last try for what is still queued when the process ends
        self._flusher: threading.Thread | None = None

    # --- connections ----------------------------------------------------------------------------------
    @contextmanager
    def _open(self, wait_s: float) -> Iterator[sqlite3.Connection]:
        """A connection whose tables were checked; raises Damaged or sqlite3.Error. Commits on success."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=wait_s)) as db:
            try:
                found = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            except sqlite3.Error as exc:
                if is_damage(exc):
                    raise Damaged(str(exc)) from exc
                raise
            if not self.tables <= found:
                if found or self._ready:  # tables lost, or the file emptied under a running store
                    raise Damaged(f"tables missing: {', '.join(sorted(self.tables - found))}")
                self._ready = False
            if not self._ready:
                self.prepare(db)
                self._ready = True
            with db:  # commit or roll back
                yield db

    def _set_aside(self, why: str) -> None:
        with self._lock:
            stamp, n = time.strftime("%Y%m%d-%H%M%S"), 1
            aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
            while aside.exists():  # damaged twice within a second: keep both
                n += 1
                aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{n}")
            for suffix in ("", "-wal", "-shm"):
                src = Path(f"{self.path}{suffix}")
                if src.exists():
                    src.replace(Path(f"{aside}{suffix}"))
            self._ready = False
        log.warning("%s at %s was damaged (%s): kept aside as %s, a new one started", self.what, self.path, why, aside)

    def run(self, fn: Callable[[sqlite3.Connection], T], wait_s: float = READ_WAIT_S) -> T:
        """`fn(db)` on a checked connection; a damaged file is set aside and `fn` runs once more on a new one.
        Raises StoreUnavailable when the file cannot be used now."""
        for attempt in (1, 2):
            try:
                try:
                    with self._open(wait_s) as db:
                        return fn(db)
                except Damaged as exc:
                    self._set_aside(str(exc))
                except sqlite3.DatabaseError as exc:
                    if not is_damage(exc) or attempt == 2:
                        raise
                    self._set_aside(str(exc))
            except (sqlite3.Error, OSError) as exc:  # setting aside can fail too (a read-only folder)
                raise StoreUnavailable(f"{self.what} cannot be used right now: {plain(exc)}") from exc
        raise StoreUnavailable(f"{self.what} at {self.path} is damaged again as soon as it is recreated")

    # --- writes ---------------------------------------------------------------------------------------
    def write(self, sql: str, params: tuple[Any, ...]) -> bool:
        """Run one INSERT; True when written now, False when queued (the database busy, read-only or full)."""
        with self._lock:
            self._queue.append((sql, params))
        if self.flush(WRITE_WAIT_S):
            return True
        self._start_flusher()
        return False

    def flush(self, wait_s: float = WRITE_WAIT_S) -> bool:
        """Write every queued row, in order, in one transaction; True when the queue is empty."""
        with self._flushing:
            with self._lock:
                rows = list(self._queue)
            if not rows:
                return True

            def insert(db: sqlite3.Connection) -> None:
                for sql, params in rows:
                    db.execute(sql, params)

            try:
                self.run(insert, wait_s)
            except StoreUnavailable as exc:
                if not self._told:  # once per outage, not once a second
                    log.warning("%s: %d write(s) queued until it is back (%s)", self.what, len(rows), exc)
                    self._told = True
                return False
            if self._told:
                log.warning("%s is back: %d queued write(s) saved", self.what, len(rows))
                self._told = False
            with self._lock:
                del self._queue[: len(rows)]
                return not self._queue

    def read(self, fn: Callable[[sqlite3.Connection, list[tuple[Any, ...]]], T]) -> T:
        """`fn(db, queued rows)`, no flush running meanwhile, so a queued row is seen once: queued or stored."""
        with self._flushing:
            queued = self.pending()
            return self.run(lambda db: fn(db, queued))

    def pending(self) -> list[tuple[Any, ...]]:
        """The queued rows' parameters, oldest first."""
        with self._lock:
            return [params for _, params in self._queue]

    def _start_flusher(self) -> None:
        with self._lock:
            if self._flusher is not None and self._flusher.is_alive():
                return
            self._flusher = threading.Thread(target=self._flush_until_empty, name="sqlite-flush", daemon=True)
            self._flusher.start()

    def _flush_until_empty(self) -> None:
        while True:
            time.sleep(RETRY_EVERY_S)
            if self.flush():
                return

    # --- for the teacher page -------------------------------------------------------------------------
    def set_aside(self) -> list[Path]:
        """Damaged copies of this file kept beside it, oldest first."""
        return sorted(
            p for p in self.path.parent.glob(f"{self.path.name}.damaged-*") if not p.name.endswith(("-wal", "-shm"))
        )
