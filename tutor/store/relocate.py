"""Data files that moved: an older tutor kept progress and gaps in the folder above the index, so every index
under one folder shared them. Now they live inside the index folder (or where their own setting says), and
a file found only at the old place is moved to the new one, with a log line, the first time it is opened."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)


def adopt(old: Path, new: Path, what: str) -> bool:
    """Move `old` (and its -wal/-shm companions) to `new` when `old` exists and `new` does not; True when
    moved. A file that cannot be moved is left where it is, with a warning, and `new` starts empty."""
    old, new = Path(old), Path(new)
    if not old.is_file() or new.exists() or old.resolve() == new.resolve():
        return False
    try:
        new.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm", ""):  # the main file last: once it is there, the move is done
            src = Path(f"{old}{suffix}")
            if src.exists():
                shutil.move(src, Path(f"{new}{suffix}"))
    except OSError as exc:
        log.warning("%s: could not move %s to %s (%s); starting a new one there", what, old, new, exc)
        return False
    log.warning("%s moved from %s to %s (its place is now inside the index folder)", what, old, new)
    return True
