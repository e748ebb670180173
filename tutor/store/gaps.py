"""The course-gap list: the learners' questions the lessons do not answer well, in a local SQLite file, for
the teacher to see where the lessons fall short.

A gap is one of three things, each a fact the turn or the learner states (never a score of the explanation):
- **refused**: no lesson covers the question (a refusal only because the learner's filter kept the right
  lessons out is no gap: the course answers it);
- **off_topic**: answered, but the question uses words no lesson uses (the answer said so): the lessons came
  nearest, and may not be what the learner asked about;
- **flagged**: the learner said the answer was not helpful ("Was this helpful?" under each answer), with an
  optional comment. A later "helpful", or the thumb taken back, for the same answer replaces it.

A row keeps the question, the kind, the lessons retrieved, the scope in force and, when the page has auth, the
signed-in user name: no other personal data. Rows are only added (a learner's feedback is a new row for the
same answer id, the newest wins), so a write queued while the file is busy never overwrites a later one.
`groups` folds the list into what a teacher acts on: similar questions together (the same content words, as the
keyword search stems them), with counts, newest first.

The file is a tutor/store/sqlite_file.py `SqliteFile`: a damaged one is set aside and recreated, and a row the
database cannot take now (locked, read-only, full) is queued, listed meanwhile, and written when it is back.
A file written by an older tutor gains the new columns; its "unsupported" rows (a mostly unsupported model
explanation, once counted as a gap) are no longer listed.
"""

from __future__ import annotations

import builtins
import csv
import io
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tutor.events import Answer
from tutor.settings import Settings
from tutor.store.relocate import adopt
from tutor.store.sqlite_file import SqliteFile
from tutor.text.words import content_words

SCHEMA = """
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY,
    asked_at REAL NOT NULL,      -- seconds since the epoch
    kind TEXT NOT NULL,          -- 'refused', 'off_topic', 'flagged'; 'helpful' and 'unrated' end a flag
    question TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',   -- the filter in force, '' for all lessons
    lessons TEXT NOT NULL DEFAULT '', -- lesson ids retrieved, best first, ' ' separated
    user TEXT NOT NULL DEFAULT '',    -- the auth user name, '' without auth
    comment TEXT NOT NULL DEFAULT '', -- the learner's words with a flag
    answer_id TEXT NOT NULL DEFAULT ''  -- the answer a flag is about
)
"""
COLUMNS = ("asked_at", "kind", "question", "scope", "lessons", "user", "comment", "answer_id")
ADDED = ("comment", "answer_id")  # columns an older tutor's file lacks
INSERT = f"INSERT INTO gaps ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
GAP_KINDS = ("refused", "off_topic", "flagged")
FEEDBACK_KINDS = ("flagged", "helpful", "unrated")
SIMILAR = 0.5  # questions share at least half of their content words (Jaccard): one list entry
COMMENT_CHARS = 500
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
    comment: str = ""
    answer_id: str = ""


@dataclass
class GapGroup:
    """Similar questions on the list: the newest first, how often each kind came, the lessons retrieved."""

    questions: list[str]  # distinct wordings, newest first
    last_asked: float
    kinds: Counter[str]
    lessons: list[str]  # lesson ids retrieved, most often first
    scopes: list[str]
    comments: list[str] = field(default_factory=list)  # newest first
    users: list[str] = field(default_factory=list)  # signed-in learners who asked, newest first

    @property
    def count(self) -> int:
        return sum(self.kinds.values())


def kind_of(answer: Answer) -> str | None:
    """'refused', 'off_topic' or None (not a gap) for a finished answer."""
    if answer.refused:
        return "refused" if answer.refusal in ("", "not_covered") else None
    return "off_topic" if answer.unused and not answer.quiz_hint else None


def lessons_of(answer: Answer) -> str:
    return " ".join(dict.fromkeys(s.lesson_id for s in answer.sources))


def group(gaps: list[Gap], language: str = "en") -> list[GapGroup]:
    """`gaps` (newest first) folded into groups of similar questions, newest group first: a question joins
    the first group whose content words it shares by SIMILAR or more (or, without content words, the same
    text)."""
    groups: list[tuple[frozenset[str], GapGroup]] = []
    for g in gaps:
        words = content_words(g.question, language) or frozenset({g.question.strip().lower()})
        home = next((gr for w, gr in groups if len(w & words) >= SIMILAR * len(w | words)), None)
        if home is None:
            home = GapGroup([], g.asked_at, Counter(), [], [])
            groups.append((words, home))
        if g.question not in home.questions:
            home.questions.append(g.question)
        home.kinds[g.kind] += 1
        home.lessons.extend(g.lessons.split())
        if g.scope not in home.scopes:
            home.scopes.append(g.scope)
        if g.comment:
            home.comments.append(g.comment)
        if g.user and g.user not in home.users:
            home.users.append(g.user)
    for _, gr in groups:
        gr.lessons = [lid for lid, _ in Counter(gr.lessons).most_common()]
    return [gr for _, gr in groups]


def current(rows: list[Gap]) -> list[Gap]:
    """The gaps in `rows` (newest first): a learner's feedback counts once per answer, by its newest row, and
    only a flag is a gap; rows of kinds this tutor no longer counts are left out."""
    seen: set[str] = set()
    out = []
    for g in rows:
        if g.kind in FEEDBACK_KINDS:
            if g.answer_id in seen:
                continue
            seen.add(g.answer_id)
        if g.kind in GAP_KINDS:
            out.append(g)
    return out


def ratings(rows: list[Gap]) -> tuple[int, int]:
    """(helpful, not helpful) among `rows` (newest first), each answer counted by its newest feedback."""
    seen: set[str] = set()
    counts: Counter[str] = Counter()
    for g in rows:
        if g.kind in FEEDBACK_KINDS and g.answer_id not in seen:
            seen.add(g.answer_id)
            counts[g.kind] += 1
    return counts["helpful"], counts["flagged"]


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
        have = {r[1] for r in db.execute("PRAGMA table_info(gaps)")}
        for name in ADDED:
            if name not in have:
                db.execute(f"ALTER TABLE gaps ADD COLUMN {name} TEXT NOT NULL DEFAULT ''")

    def record(self, answer: Answer, user: str = "") -> bool:
        """Keep `answer`'s question when it is a gap (written now, or queued while the database cannot take
        it); True when it is a gap."""
        kind = kind_of(answer)
        if kind is None:
            return False
        self.db.write(INSERT, (time.time(), kind, answer.question, answer.scope, lessons_of(answer), user, "", ""))
        return True

    def feedback(self, answer: Answer, helpful: bool | None, comment: str = "", user: str = "") -> None:
        """A learner's "Was this helpful?" on `answer`: False flags it (with `comment`, cut to COMMENT_CHARS);
        True or None (taken back) ends an earlier flag of the same answer."""
        kind = "unrated" if helpful is None else "helpful" if helpful else "flagged"
        row = (time.time(), kind, answer.question, answer.scope, lessons_of(answer), user,
               " ".join(comment.split())[:COMMENT_CHARS], answer.id)  # fmt: skip
        self.db.write(INSERT, row)

    def rows(self, limit: int = 5000) -> list[Gap]:
        """Every row, newest first, queued ones included. Raises StoreUnavailable when the file cannot be
        read."""
        query = f"SELECT {', '.join(COLUMNS)} FROM gaps ORDER BY asked_at DESC, id DESC LIMIT ?"
        queued, rows = self.db.read(lambda con, queued: (queued, con.execute(query, (limit,)).fetchall()))
        return [*(Gap(*r) for r in reversed(queued)), *(Gap(*r) for r in rows)][:limit]

    def list(self, limit: int = 5000) -> builtins.list[Gap]:
        """The gaps, newest first (a flag taken back is not one)."""
        return current(self.rows(limit))

    def groups(self, limit: int = 5000, language: str = "en") -> builtins.list[GapGroup]:
        """The gaps as groups of similar questions, newest first."""
        return group(self.list(limit), language)

    def helpful(self, limit: int = 5000) -> tuple[int, int]:
        """(answers learners found helpful, found not helpful), each answer by its newest feedback."""
        return ratings(self.rows(limit))

    def overview(self, limit: int = 5000, language: str = "en") -> tuple[builtins.list[GapGroup], tuple[int, int]]:
        """`groups` and `helpful` from one read of the file (the teacher page shows both)."""
        rows = self.rows(limit)
        return group(current(rows), language), ratings(rows)

    def set_aside(self) -> builtins.list[Path]:
        """Damaged gap files kept beside this one (the teacher page warns of them)."""
        return self.db.set_aside()

    def csv(self) -> str:
        """Every gap as CSV text with a header row, times as ISO dates; a learner's text never starts a formula."""
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(COLUMNS[:7])
        for g in self.list(limit=1_000_000):
            when = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(g.asked_at))
            w.writerow([when, g.kind, *(cell(x) for x in (g.question, g.scope, g.lessons, g.user, g.comment))])
        return out.getvalue()
