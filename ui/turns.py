"""Turn control in the page's process: the line of answers waiting for the model, and each browser session's
waiting questions and Stop. No gradio here; ui/chat.py drives these from its chat handlers.

The model writes `width` answers at once: one for the model in this process (the core's LLM lock), a model
server's slots for llama-server `--parallel N` (`Generator.parallel`). `Line` is a first-come, first-served gate
in front of it: a turn that needs the model joins after its key sentences are shown and pulls the model's first
token only once it is among the first `width` of the line, so each waiting learner can be told their place,
and a learner who stops while waiting costs the model nothing. A session that asks again while its answer is
being written gets its question queued (`Sessions.start` returns False) and answered next by the running handler.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tutor.events import Answer

POLL_S = 0.4  # how often a waiting turn re-checks its place and its Stop


class Line:
    """Tickets for the model, served in the order taken, `width` at a time (a number, or a function giving it:
    the model, and with it a server's slot count, may load after the page is built)."""

    def __init__(self, width: int | Callable[[], int] = 1) -> None:
        self._width = width if callable(width) else (lambda: width)
        self._cond = threading.Condition()
        self._order: list[int] = []
        self._numbers = itertools.count(1)

    def join(self) -> int:
        with self._cond:
            ticket = next(self._numbers)
            self._order.append(ticket)
            return ticket

    def ahead(self, ticket: int) -> int:
        """Turns that must finish before this one is written; 0 once it is being written."""
        with self._cond:
            place = self._order.index(ticket) if ticket in self._order else 0
            return max(0, place - max(1, self._width()) + 1)

    def wait_turn(self, ticket: int, timeout: float = POLL_S) -> bool:
        """True once `ticket` is among the first `width`; False after `timeout` seconds without getting there."""
        with self._cond:
            return self._cond.wait_for(lambda: ticket in self._order[: max(1, self._width())], timeout)

    def leave(self, ticket: int) -> None:
        with self._cond:
            if ticket in self._order:
                self._order.remove(ticket)
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._order)


@dataclass
class Pending:
    """A question taken while the session's previous answer was being written, with its filters then."""

    question: str
    scope: Any  # the Filters in force when it was sent


@dataclass
class Session:
    waiting: deque[Pending] = field(default_factory=deque)
    stop: threading.Event = field(default_factory=threading.Event)


class Sessions:
    """Browser sessions with an answer in progress, by Gradio session hash; an idle session holds nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: dict[str, Session] = {}

    def start(self, key: str, item: Pending) -> bool:
        """True: the session was idle and now runs `item`; False: `item` waits behind its running answer."""
        with self._lock:
            if key in self._busy:
                self._busy[key].waiting.append(item)
                return False
            self._busy[key] = Session()
            return True

    def session(self, key: str) -> Session:
        with self._lock:
            return self._busy.get(key) or Session()

    def waiting(self, key: str) -> list[Pending]:
        with self._lock:
            s = self._busy.get(key)
            return list(s.waiting) if s else []

    def next_or_finish(self, key: str) -> Pending | None:
        """The next waiting question (its Stop reset), or None: the session is idle again."""
        with self._lock:
            s = self._busy.get(key)
            if s and s.waiting:
                s.stop.clear()
                return s.waiting.popleft()
            self._busy.pop(key, None)
            return None

    def finish(self, key: str) -> None:
        with self._lock:
            self._busy.pop(key, None)

    def stop(self, key: str) -> bool:
        """Stop the answer being written for this session; True when there was one."""
        with self._lock:
            s = self._busy.get(key)
        if s:
            s.stop.set()
        return s is not None

    def busy(self, key: str) -> bool:
        with self._lock:
            return key in self._busy


@dataclass(kw_only=True)
class Stopped(Answer):
    """An answer the learner stopped: the key sentences and the unchecked part of the explanation written
    until then (`explanation`), kept in the conversation as such."""

    stopped: bool = True


def stopped_answer(question: str, sources: list[Any], keys: list[Any], draft: str) -> Stopped:
    text = " ".join(f"{k.text} [{k.number}]" for k in keys)
    cited = list(dict.fromkeys(k.number for k in keys))
    return Stopped(
        question=question,
        text=text,
        refused=False,
        sources=[replace(s, cited=s.number in cited) for s in sources],
        citations=cited,
        key_sentences=keys,
        explanation=draft.strip(),
    )
