"""The learning service the edges use: rounds of practice, answers checked and recorded, what next.

`Coach` ties `Practice` (items, checking), `ProgressStore` (per-learner answers in SQLite) and the course
order together, so the page and the terminal only render what it returns. Learner ids are opaque strings
chosen by the edge ("user:NAME" with auth, "browser:ID" otherwise, "terminal:NAME" in the CLI).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from tutor.errors import QuizNotFound
from tutor.events import Answer
from tutor.learn.next_lesson import NextSteps, course_order, what_next
from tutor.learn.practice import Feedback, Practice, QuizItem, Round
from tutor.learn.progress import LessonProgress, ProgressStore
from tutor.store.manifest import Manifest

log = logging.getLogger(__name__)


def lessons_of(answer: Answer) -> list[str]:
    """The lessons a finished chat answer rests on, best first: those of its key sentences (the lessons'
    own words the learner reads), then those of the passages it cites, in citation order. None for a
    refusal, a quiz question's hint or an answer the learner stopped."""
    if answer.refused or answer.quiz_hint or getattr(answer, "stopped", False):
        return []
    by_number = {s.number: s.lesson_id for s in answer.sources}
    cited = [by_number[n] for n in answer.citations if n in by_number]
    return list(dict.fromkeys([k.lesson_id for k in answer.key_sentences] + cited))


class Coach:
    def __init__(self, practice: Practice, progress: ProgressStore, lessons_dir: Path, threshold: float):
        self.practice = practice
        self.progress = progress
        self.lessons_dir = Path(lessons_dir)
        self.threshold = threshold
        self._lock = threading.Lock()
        self._order: tuple[int, list[str]] = (-1, [])

    def manifest(self) -> Manifest:
        return self.practice.store.require()

    def order(self) -> list[str]:
        """Lesson ids with quiz items in course order, re-read when the index changes."""
        m = self.manifest()
        with self._lock:
            if self._order[0] != m.generation:
                self._order = (m.generation, course_order(m, self.lessons_dir))
            return self._order[1]

    def items_per_lesson(self) -> dict[str, int]:
        return {lid: len(e.quizzes) for lid, e in self.manifest().lessons.items() if e.quizzes}

    # --- a round --------------------------------------------------------------------------------------
    def start(self, lesson_id: str | None = None, program: str | None = None, language: str | None = None) -> Round:
        """A round over one lesson's items, or over a program's lessons in course order (in one language:
        the one asked for, else the program's first lesson's)."""
        if lesson_id:
            return Round.start(self.practice.items(lesson_id))
        m = self.manifest()
        lessons = [lid for lid in self.order() if not program or m.lessons[lid].program == program]
        if not lessons:
            raise QuizNotFound(f"no lessons with quiz items in program {program!r}; pick another program")
        language = language or m.lessons[lessons[0]].language
        items: list[QuizItem] = []
        for lid in lessons:
            if m.lessons[lid].language == language:
                items += self.practice.items(lid)
        return Round.start(items)

    def answer(self, learner: str, rnd: Round, choice: int) -> Feedback:
        """Check `choice` (0-based) for the round's current item, record it for the learner, advance."""
        item = rnd.current
        if item is None:
            raise QuizNotFound("this round is over; start a new one")
        retry = rnd.is_retry
        fb = self.practice.check(item.lesson_id, item.number, choice)
        self.progress.record(learner, item.lesson_id, item.number, item.question, choice, fb.correct, retry=retry)
        rnd.answer(fb)
        return fb

    # --- progress -------------------------------------------------------------------------------------
    def lessons(self, learner: str) -> dict[str, LessonProgress]:
        return self.progress.lessons(learner)

    def next_steps(self, learner: str, language: str | None = None) -> NextSteps:
        return what_next(self.order(), self.items_per_lesson(), self.lessons(learner), self.threshold, language)

    def check_item(self, learner: str, lesson_ids: list[str], offered: set[tuple[str, int]]) -> QuizItem | None:
        """ "Check yourself" after a chat answer resting on `lesson_ids`: an item not offered in this
        conversation yet, and not one the learner already gets right, when there is such an item."""
        known = {(lid, n) for lid, p in self.lessons(learner).items() for n in p.known} if learner else set()
        return self.practice.check_item(lesson_ids, offered | known) or self.practice.check_item(lesson_ids, offered)

    def offer(self, learner: str, answer: Answer, offered: set[tuple[str, int]]) -> QuizItem | None:
        """The "Check yourself" item for a finished chat answer, or None (no lesson behind it has quiz
        items left to offer, or the answer is a refusal, a quiz hint or stopped)."""
        lesson_ids = lessons_of(answer)
        return self.check_item(learner, lesson_ids, offered) if lesson_ids else None

    def check_yourself(self, learner: str, item: QuizItem, choice: int) -> Feedback:
        """Check `choice` (0-based) for an item offered after a chat answer and record it as a first-try
        practice answer of the learner."""
        fb = self.practice.check(item.lesson_id, item.number, choice)
        self.progress.record(learner, item.lesson_id, item.number, item.question, choice, fb.correct)
        return fb
