"""One writer at a time: the index lock, held by every index run (CLI or page) for its whole length.

The lock is an OS file lock (`filelock`, flock on `INDEX_DIR/.lock`): the kernel drops it when its process
dies, so a run killed with `kill -9` never leaves a stale lock behind. A second run waits for the first,
says once that it is waiting and for whom, and gives up with a clear `IndexBusy` after `timeout` seconds.
The holder's process id sits beside the lock (`.lock.owner`) only to name it in that message.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from tutor.errors import IndexBusy

log = logging.getLogger(__name__)

LOCK = ".lock"
OWNER = ".lock.owner"
FIRST_TRY_S = 0.2  # a free lock is taken at once; past this the waiting message goes out


def _owner(index_dir: Path) -> str:
    try:
        pid = (index_dir / OWNER).read_text(encoding="utf-8").strip()
    except OSError:
        return "another index run"
    return f"another index run (process {pid})" if pid.isdigit() else "another index run"


@contextlib.contextmanager
def index_lock(index_dir: Path, timeout: float = 600.0, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the index's writer lock for the body; wait up to `timeout` seconds for another holder."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / LOCK))
    try:
        lock.acquire(timeout=min(FIRST_TRY_S, timeout))
    except Timeout:
        who = _owner(index_dir)
        message = f"{who} is writing the index at {index_dir}; waiting up to {timeout:.0f} s for it to finish"
        (on_wait or log.warning)(message)
        try:
            lock.acquire(timeout=max(0.0, timeout - FIRST_TRY_S))
        except Timeout:
            raise IndexBusy(
                f"{who} still holds the index at {index_dir} after {timeout:.0f} s: let it finish (or stop it) "
                "and run `tutor index` again"
            ) from None
    try:
        with contextlib.suppress(OSError):
            (index_dir / OWNER).write_text(str(os.getpid()), encoding="utf-8")
        yield
    finally:
        with contextlib.suppress(OSError):
            (index_dir / OWNER).unlink()
        lock.release()
