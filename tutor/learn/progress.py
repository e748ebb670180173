"""Per-learner progress in a local SQLite file (standard library sqlite3): answers, scores, missed items.

One schema, created and migrated here: `schema_version` holds the number of MIGRATIONS applied, and opening
the store applies the missing ones in a transaction. Every answer is a row in `attempts`, so progress is
there as soon as a learner answers (a reload or a crash mid-round loses nothing). A retry of a missed item
at the end of a round is stored with `retry = 1` and does not count toward the lesson's score: the score is
the share of a lesson's items whose latest first-try answer was right.

Connections are opened per call (handlers run on many threads); WAL lets readers run beside one writer.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tutor.errors import ConfigError

log = logging.getLogger(__name__)

MIGRATIONS = [
    # 1: the answers themselves
    """
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        learner TEXT NOT NULL,
        lesson_id TEXT NOT NULL,
        item INTEGER NOT NULL,          -- 1-based number of the quiz item in its lesson
        question TEXT NOT NULL,         -- kept so a reworded or removed item can be told apart
        choice INTEGER NOT NULL,        -- 0-based option chosen
        correct INTEGER NOT NULL,       -- 1 right, 0 wrong
        retry INTEGER NOT NULL DEFAULT 0,
        at REAL NOT NULL                -- seconds since the epoch
    );
    """,
    # 2: the per-learner, per-lesson reads every page load makes
    "CREATE INDEX attempts_by_learner ON attempts (learner, lesson_id, item, id);",
]


@dataclass
class LessonProgress:
    lesson_id: str
    known: list[int] = field(default_factory=list)  # items whose latest first-try answer was right
    missed: list[int] = field(default_factory=list)  # items whose latest first-try answer was wrong
    wrong_answers: int = 0  # every wrong first-try answer ever given in this lesson
    last_at: float = 0.0  # time of the latest answer

    @property
    def answered(self) -> int:
        return len(self.known) + len(self.missed)

    def score(self, items: int) -> float:
        """Share of the lesson's `items` answered right (unanswered items count as not known)."""
        return len(self.known) / items if items else 0.0


@dataclass
class LessonResults:
    """One lesson across learners (for a teacher's view): no individual answers."""

    lesson_id: str
    learners: int
    attempts: int
    right_share: float
    most_missed: int | None = None  # the item answered wrong most often on a first try (lowest number on a tie)
    most_missed_wrong: int = 0  # how many wrong first tries that item had


@dataclass
class LearnerResults:
    """One learner across lessons (for a teacher's view when auth names the learners)."""

    learner: str
    lessons: int
    attempts: int
    right_share: float


class ProgressStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                self._migrate(db)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the progress database {self.path}: {exc}; set TUTOR_PROGRESS_DB to a writable file"
            ) from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:  # `with db`: commit or roll back
            yield db

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if version > len(MIGRATIONS):
            raise sqlite3.DatabaseError(f"schema version {version} is newer than this tutor ({len(MIGRATIONS)})")
        for n, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("progress database: applying migration %d", n)
            db.executescript(
                f"BEGIN; {sql} DELETE FROM schema_version; INSERT INTO schema_version VALUES ({n}); COMMIT;"
            )

    def version(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT version FROM schema_version").fetchone()[0])

    # --- writes -----------------------------------------------------------------------------------
    def record(
        self, learner: str, lesson_id: str, item: int, question: str, choice: int, correct: bool, retry: bool = False
    ) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO attempts (learner, lesson_id, item, question, choice, correct, retry, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (learner, lesson_id, item, question, choice, int(correct), int(retry), time.time()),
            )

    # --- reads ------------------------------------------------------------------------------------
    def lessons(self, learner: str) -> dict[str, LessonProgress]:
        """lesson id -> progress, for every lesson the learner has answered in."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT lesson_id, item, correct, at FROM attempts WHERE learner = ? AND retry = 0 ORDER BY id",
                (learner,),
            ).fetchall()
        latest: dict[tuple[str, int], bool] = {}
        out: dict[str, LessonProgress] = {}
        for lesson_id, item, correct, at in rows:
            latest[(lesson_id, item)] = bool(correct)
            p = out.setdefault(lesson_id, LessonProgress(lesson_id))
            p.wrong_answers += not correct
            p.last_at = max(p.last_at, at)
        for (lesson_id, item), correct in sorted(latest.items()):
            (out[lesson_id].known if correct else out[lesson_id].missed).append(item)
        return out

    def results_by_lesson(self) -> list[LessonResults]:
        """Per lesson across all learners: how many learners, first-try answers and the share right."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT lesson_id, COUNT(DISTINCT learner), COUNT(*), AVG(correct) FROM attempts "
                "WHERE retry = 0 GROUP BY lesson_id ORDER BY lesson_id"
            ).fetchall()
            wrong = db.execute(
                "SELECT lesson_id, item, SUM(1 - correct) AS w FROM attempts WHERE retry = 0 "
                "GROUP BY lesson_id, item HAVING w > 0 ORDER BY lesson_id, w DESC, item"
            ).fetchall()
        worst: dict[str, tuple[int, int]] = {}
        for lid, item, w in wrong:
            worst.setdefault(lid, (int(item), int(w)))
        return [LessonResults(lid, n, a, round(float(r), 4), *worst.get(lid, (None, 0))) for lid, n, a, r in rows]

    def results_by_learner(self, prefix: str = "user:") -> list[LearnerResults]:
        """Per learner whose id starts with `prefix` (signed-in users): lessons practised, first-try
        answers and the share right."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT learner, COUNT(DISTINCT lesson_id), COUNT(*), AVG(correct) FROM attempts "
                "WHERE retry = 0 AND substr(learner, 1, ?) = ? GROUP BY learner ORDER BY learner",
                (len(prefix), prefix),
            ).fetchall()
        return [LearnerResults(who, n, a, round(float(r), 4)) for who, n, a, r in rows]
