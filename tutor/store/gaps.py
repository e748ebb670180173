"""The course-gap list: questions the tutor refused and those whose explanation was mostly unsupported, in a
local SQLite file, for the teacher to see where the lessons fall short.

A row keeps the question, why it is a gap, the lessons retrieved for it and, when the page has auth, the
signed-in user name: no other personal data. `record` is called by the page after each finished answer.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tutor.events import Answer

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
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        con.execute(SCHEMA)
        return con

    def record(self, answer: Answer, scope: str = "", user: str = "") -> bool:
        """Keep `answer`'s question when it is a gap; True when it was kept."""
        kind = kind_of(answer)
        if kind is None:
            return False
        lessons = " ".join(dict.fromkeys(s.lesson_id for s in answer.sources))
        with self._lock, self._connect() as con:
            con.execute(
                "INSERT INTO gaps (asked_at, kind, question, scope, lessons, user) VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), kind, answer.question, scope, lessons, user or ""),
            )
        return True

    def list(self, limit: int = 500) -> list[Gap]:
        """The latest gaps first."""
        if not self.path.exists():
            return []
        with self._lock, self._connect() as con:
            rows = con.execute(
                f"SELECT {', '.join(COLUMNS)} FROM gaps ORDER BY asked_at DESC, id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [Gap(*r) for r in rows]

    def csv(self) -> str:
        """Every gap as CSV text with a header row, times as ISO dates; a learner's text never starts a formula."""
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(COLUMNS)
        for g in self.list(limit=1_000_000):
            when = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(g.asked_at))
            w.writerow([when, g.kind, *(cell(x) for x in (g.question, g.scope, g.lessons, g.user))])
        return out.getvalue()
