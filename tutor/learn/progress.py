"""Per-learner progress in a local SQLite file (standard library sqlite3): answers, scores, missed items.

One schema, created and migrated here: `schema_version` holds the number of MIGRATIONS applied, and opening
the store applies the missing ones in a transaction. Every answer is a row in `attempts`, so progress is
there as soon as a learner answers (a reload or a crash mid-round loses nothing).

What counts toward a lesson's score: each item's first answer ever, and later a spaced retry, an answer
given SPACED_RETRY_S or more after the learner's previous answer to that item (when the key was last shown).
An answer sooner than that, in this round or a new one, is kept but does not count: answering wrong to see
the key and then right in a new round does not raise the score. A retry of a missed item at the end of a
round is stored with `retry = 1` and never counts.

Connections are opened per call (handlers run on many threads); WAL lets readers run beside one writer.
tutor/store/sqlite_file.py checks the tables on every open (a damaged file is set aside and recreated) and
queues an answer the database cannot take now (locked, read-only, full), writing it when it is back.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from tutor.errors import ConfigError, TutorError
from tutor.settings import Settings
from tutor.store.relocate import adopt
from tutor.store.sqlite_file import SqliteFile

log = logging.getLogger(__name__)

SPACED_RETRY_S = 20 * 3600.0  # a later answer counts once the key was last seen this long ago (next day)
INSERT = (
    "INSERT INTO attempts (learner, lesson_id, item, question, choice, correct, retry, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
# every answer that counts (see above): a non-retry row that is an item's first or comes SPACED_RETRY_S or
# more after the learner's previous answer to it; `?` is SPACED_RETRY_S
COUNTED = """
WITH seq AS (
    SELECT *, LAG(at) OVER (PARTITION BY learner, lesson_id, item ORDER BY id IS NULL, id, at) AS prev
    FROM attempts
)
SELECT * FROM seq WHERE retry = 0 AND (prev IS NULL OR at - prev >= ?)
"""

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
    known: list[int] = field(default_factory=list)  # items whose latest counted answer was right
    missed: list[int] = field(default_factory=list)  # items whose latest counted answer was wrong
    wrong_answers: int = 0  # every wrong counted answer ever given in this lesson
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
    def __init__(self, path: Path, legacy: Path | None = None, spacing_s: float = SPACED_RETRY_S):
        """`legacy`: where an older tutor kept this file; moved to `path` when only it exists."""
        self.path = Path(path)
        self.spacing_s = spacing_s
        if legacy is not None:
            adopt(legacy, self.path, "progress database")
        self.db = SqliteFile(self.path, {"attempts", "schema_version"}, self._migrate, "the progress database")
        try:
            self.db.run(lambda db: None)
        except (OSError, sqlite3.Error, TutorError) as exc:
            raise ConfigError(
                f"cannot open the progress database {self.path}: {exc}; set TUTOR_PROGRESS_DB to a writable file"
            ) from exc

    @classmethod
    def of(cls, settings: Settings) -> ProgressStore:
        """The store `settings` name; a file left by an older tutor in the folder above the index is moved
        in when the setting is empty."""
        legacy = None if settings.progress_db else settings.index_dir.parent / "progress.sqlite"
        return cls(settings.progress_path, legacy=legacy)

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if version > len(MIGRATIONS):
            raise ConfigError(
                f"the progress database has schema version {version}, newer than this tutor's ({len(MIGRATIONS)}): "
                "upgrade the tutor or set TUTOR_PROGRESS_DB to another file"
            )
        for n, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("progress database: applying migration %d", n)
            db.executescript(
                f"BEGIN; {sql} DELETE FROM schema_version; INSERT INTO schema_version VALUES ({n}); COMMIT;"
            )

    def version(self) -> int:
        return self.db.run(lambda db: int(db.execute("SELECT version FROM schema_version").fetchone()[0]))

    def set_aside(self) -> list[Path]:
        """Damaged progress files kept beside this one (the teacher page warns of them)."""
        return self.db.set_aside()

    # --- writes -----------------------------------------------------------------------------------
    def record(
        self,
        learner: str,
        lesson_id: str,
        item: int,
        question: str,
        choice: int,
        correct: bool,
        retry: bool = False,
        at: float | None = None,
    ) -> bool:
        """Keep one answer; True when written now, False when queued (the database is busy, read-only or
        full: it is written as soon as it takes writes, and the reads below include it meanwhile)."""
        row = (learner, lesson_id, item, question, choice, int(correct), int(retry), time.time() if at is None else at)
        return self.db.write(INSERT, row)

    # --- reads ------------------------------------------------------------------------------------
    def _counted(self, where: str = "", params: tuple = ()) -> list[tuple]:
        """Counted answers as (learner, lesson_id, item, correct, at), queued ones included, in order."""
        return self.db.read(lambda db, queued: self._select(db, queued, where, params))

    def _select(self, db: sqlite3.Connection, pending: list[tuple], where: str, params: tuple) -> list[tuple]:
        sql = COUNTED
        if pending:  # queued rows (no id yet) come after the stored ones; the temp table ends with the connection
            db.execute("PRAGMA temp_store=MEMORY")  # queued rows stay in memory, never in a temporary file
            db.execute("CREATE TEMP TABLE queued AS SELECT * FROM main.attempts WHERE 0")
            db.executemany(INSERT.replace("INTO attempts", "INTO temp.queued"), pending)
            sql = sql.replace("FROM attempts", "FROM (SELECT * FROM main.attempts UNION ALL SELECT * FROM temp.queued)")
        return db.execute(
            f"SELECT learner, lesson_id, item, correct, at FROM ({sql}) {where} ORDER BY id IS NULL, id, at",
            (self.spacing_s, *params),
        ).fetchall()

    def lessons(self, learner: str) -> dict[str, LessonProgress]:
        """lesson id -> progress, for every lesson the learner has answered in."""
        rows = self._counted("WHERE learner = ?", (learner,))
        latest: dict[tuple[str, int], bool] = {}
        out: dict[str, LessonProgress] = {}
        for _, lesson_id, item, correct, at in rows:
            latest[(lesson_id, item)] = bool(correct)
            p = out.setdefault(lesson_id, LessonProgress(lesson_id))
            p.wrong_answers += not correct
            p.last_at = max(p.last_at, at)
        for (lesson_id, item), correct in sorted(latest.items()):
            (out[lesson_id].known if correct else out[lesson_id].missed).append(item)
        return out

    def results_by_lesson(self) -> list[LessonResults]:
        """Per lesson across all learners: how many learners, counted answers and the share right."""
        rows = self._counted()
        per: dict[str, list[tuple]] = {}
        for r in rows:
            per.setdefault(r[1], []).append(r)
        out = []
        for lid in sorted(per):
            rs = per[lid]
            wrong: dict[int, int] = {}
            for _, _, item, correct, _ in rs:
                if not correct:
                    wrong[item] = wrong.get(item, 0) + 1
            worst = min(wrong, key=lambda i: (-wrong[i], i)) if wrong else None
            right = sum(r[3] for r in rs) / len(rs)
            out.append(
                LessonResults(
                    lid, len({r[0] for r in rs}), len(rs), round(right, 4), worst, wrong.get(worst, 0) if worst else 0
                )
            )
        return out

    def results_by_learner(self, prefix: str = "user:") -> list[LearnerResults]:
        """Per learner whose id starts with `prefix` (signed-in users): lessons practised, counted answers
        and the share right."""
        rows = self._counted("WHERE substr(learner, 1, ?) = ?", (len(prefix), prefix))
        per: dict[str, list[tuple]] = {}
        for r in rows:
            per.setdefault(r[0], []).append(r)
        return [
            LearnerResults(who, len({r[1] for r in rs}), len(rs), round(sum(r[3] for r in rs) / len(rs), 4))
            for who, rs in sorted(per.items())
        ]
