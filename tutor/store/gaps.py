"""The course-gap list: questions the tutor refused and those whose explanation was mostly unsupported, in a
local SQLite file, for the teacher to see where the lessons fall short.

A row keeps the question, why it is a gap, the lessons retrieved for it and, when the page has auth, the
signed-in user name: no other personal data. `record` is called by the page after each finished answer.
The file is a tutor/store/sqlite_file.py `SqliteFile`: a damaged one is set aside and recreated, and a gap
the database cannot take now (locked, read-only, full) is queued, listed meanwhile, and written when it is
back, so no refused question drops out of the list.
"""

from __future__ import annotations

import builtins
import csv
import io
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from tutor.events import Answer
from tutor.settings import Settings
from tutor.store.relocate import adopt
from tutor.store.sqlite_file import SqliteFile

SCHEMA = """
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY,
    asked_at REAL NOT NULL,      -- seconds since the epoch
    kind TEXT NOT NULL,          -- 'refused' or 'unsupported'
    question TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',   -- the filter in force, '' for all lessons
    lessons TEXT NOT NULL DEFAULT '', -- lesson ids retrieved, best first, ' ' separated
    user TEXT NOT NULL DEFAULT ''     -- the auth user name, '' without auth
)
"""
COLUMNS = ("asked_at", "kind", "question", "scope", "lessons", "user")
INSERT = f"INSERT INTO gaps ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


def cell(text: str) -> str:
    """`text` safe to open in a spreadsheet: a leading formula character is shown, not run (a ' before it)."""
    return "'" + text if text.startswith(FORMULA_START) else text


@dataclass
class Gap:
    asked_at: float
    kind: str
    question: str
    scope: str
    lessons: str
    user: str


def kind_of(answer: Answer) -> str | None:
    """'refused', 'unsupported' (most of the explanation not backed) or None: not a gap."""
    if answer.refused:
        return "refused"
    return "unsupported" if answer.mostly_unsupported else None


class GapLog:
    def __init__(self, path: Path, legacy: Path | None = None):
        """`legacy`: where an older tutor kept this file; moved to `path` when only it exists."""
        self.path = Path(path)
        if legacy is not None:
            adopt(legacy, self.path, "course-gap list")
        self.db = SqliteFile(self.path, {"gaps"}, self._create, "the course-gap list")

    @classmethod
    def of(cls, settings: Settings) -> GapLog:
        """The list `settings` name; a file left by an older tutor in the folder above the index is moved in
        when the setting is empty."""
        return cls(settings.gaps_path, legacy=None if settings.gaps_db else settings.index_dir.parent / "gaps.sqlite")

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        db.execute("PRAGMA journal_mode=WAL")  # the teacher page reads while a learner's gap is written
        db.execute(SCHEMA)

    def record(self, answer: Answer, scope: str = "", user: str = "") -> bool:
        """Keep `answer`'s question when it is a gap (written now, or queued while the database cannot take
        it); True when it is a gap."""
        kind = kind_of(answer)
        if kind is None:
            return False
        lessons = " ".join(dict.fromkeys(s.lesson_id for s in answer.sources))
        self.db.write(INSERT, (time.time(), kind, answer.question, scope, lessons, user or ""))
        return True

    def list(self, limit: int = 500) -> list[Gap]:
        """The latest gaps first, queued ones included. Raises StoreUnavailable when the file cannot be read."""
        query = f"SELECT {', '.join(COLUMNS)} FROM gaps ORDER BY asked_at DESC, id DESC LIMIT ?"
        queued, rows = self.db.read(lambda con, queued: (queued, con.execute(query, (limit,)).fetchall()))
        return [*(Gap(*r) for r in reversed(queued)), *(Gap(*r) for r in rows)][:limit]

    def set_aside(self) -> builtins.list[Path]:
        """Damaged gap files kept beside this one (the teacher page warns of them)."""
        return self.db.set_aside()

    def csv(self) -> str:
        """Every gap as CSV text with a header row, times as ISO dates; a learner's text never starts a formula."""
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(COLUMNS)
        for g in self.list(limit=1_000_000):
            when = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(g.asked_at))
            w.writerow([when, g.kind, *(cell(x) for x in (g.question, g.scope, g.lessons, g.user))])
        return out.getvalue()
