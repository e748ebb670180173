"""Progress and gap stores that survive (issue 35): a damaged file is set aside and recreated (item 5); a
database locked by another process loses no answer and shows no raw error (item 6); progress and gaps live
inside the index folder, an old file is moved in, CSV exports are removed after download (item 10). Real
SQLite files, changed or locked by real other processes; item 8 (scores) is in tests/test_practice.py."""

from __future__ import annotations

import gc
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import MINI, run_cli
from tests.index_runs import ENV, index, lessons_dir
from tutor.events import Answer
from tutor.learn.progress import ProgressStore
from tutor.store.gaps import GapLog
from tutor.store.sqlite_file import WRITE_WAIT_S, StoreUnavailable


def refused(question: str) -> Answer:
    return Answer(question=question, text="", refused=True, sources=[], citations=[])


def in_another_process(code: str) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r


def holding(path: Path, sql: str, seconds: float) -> subprocess.Popen:
    """Another process that runs `sql` on the database and keeps its lock for `seconds`."""
    code = (
        "import sqlite3, sys, time\n"
        f"db = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        f"for s in {sql!r}.split(';'):\n    db.execute(s)\n"
        "print('held', flush=True)\n"
        f"time.sleep({seconds})\n"
        "db.close()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held", (
        proc.stderr.read() if proc.stderr else ""
    )
    return proc


def rows_on_disk(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


# --- 5. a damaged file is set aside, and the stores go on ---------------------------------------------------
@pytest.mark.parametrize(
    "damage",
    [
        "open(P, 'r+b').truncate(0)",  # emptied while the server runs
        "open(P, 'r+b').truncate(1024)",  # cut after its first page
        "import os; open(P, 'wb').write(os.urandom(8192))",  # random bytes
    ],
)
def test_a_damaged_progress_file_is_set_aside_and_recreated(tmp_path: Path, damage: str):
    path = tmp_path / "index" / "progress.sqlite"
    store = ProgressStore(path)  # the server's store, open before the damage
    for n in range(1, 40):
        store.record("ana", "p/en/x", n, f"q{n}", 0, True)
    in_another_process(f"P = {str(path)!r}\n{damage}")
    assert store.lessons("ana") == {}  # no "no such table", no "file is not a database"
    assert store.record("ana", "p/en/x", 1, "q1", 0, True)
    assert store.lessons("ana")["p/en/x"].known == [1]
    assert store.results_by_lesson()[0].attempts == 1
    (aside,) = store.set_aside()
    assert aside.name.startswith("progress.sqlite.damaged-") and aside.parent == path.parent
    assert ProgressStore(path).lessons("ana")["p/en/x"].known == [1]  # a new process reads the new file


def test_a_damaged_gap_list_is_set_aside_and_the_teacher_page_says_so(tmp_path: Path):
    from ui.teacher import store_warnings

    gaps, progress = GapLog(tmp_path / "gaps.sqlite"), ProgressStore(tmp_path / "progress.sqlite")
    gaps.record(refused("Best lasagne recipe?"))
    in_another_process(f"import os; open({str(gaps.path)!r}, 'wb').write(os.urandom(4096))")
    assert gaps.list() == []
    assert gaps.record(refused("What is a GPU kernel?")) and [g.question for g in gaps.list()] == [
        "What is a GPU kernel?"
    ]
    warning = store_warnings(progress, gaps, [])
    assert "course-gap list was damaged" in warning and str(gaps.set_aside()[0]) in warning
    assert "progress database" not in warning  # that one is fine


# --- 6. a locked database: nothing lost, no raw error ------------------------------------------------------
def test_an_answer_given_while_another_process_locks_the_database_is_kept_and_written_later(tmp_path: Path):
    store, gaps = ProgressStore(tmp_path / "progress.sqlite"), GapLog(tmp_path / "gaps.sqlite")
    store.record("ana", "p/en/x", 1, "q1", 1, False)
    gaps.record(refused("first"))
    lockers = [holding(p, "BEGIN EXCLUSIVE", 12) for p in (store.path, gaps.path)]
    try:
        t0 = time.monotonic()
        assert store.record("ana", "p/en/x", 2, "q2", 0, True) is False  # queued, not lost, no error
        assert gaps.record(refused("Can quizzes be skipped?"))  # a refused question stays on the list
        assert time.monotonic() - t0 < 2 * WRITE_WAIT_S + 2  # a bounded wait, not sqlite's 10 s each
        p = store.lessons("ana")["p/en/x"]  # readers see the queued answer meanwhile
        assert p.known == [2] and p.missed == [1]
        assert [g.question for g in gaps.list()] == ["Can quizzes be skipped?", "first"]
        assert rows_on_disk(store.path, "attempts") == 1
    finally:
        for proc in lockers:
            proc.wait(30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (
        rows_on_disk(store.path, "attempts") < 2 or rows_on_disk(gaps.path, "gaps") < 2
    ):
        time.sleep(0.3)
    assert rows_on_disk(store.path, "attempts") == 2 and rows_on_disk(gaps.path, "gaps") == 2  # written once back
    assert store.db.pending() == [] and ProgressStore(store.path).lessons("ana")["p/en/x"].known == [2]


def test_a_read_the_database_refuses_is_a_plain_message_not_sqlites(tmp_path: Path):
    store = ProgressStore(tmp_path / "progress.sqlite")
    store.record("ana", "p/en/x", 1, "q1", 0, True)
    # exclusive locking mode: this process keeps even readers out until it ends
    locker = holding(store.path, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; SELECT * FROM attempts", 12)
    try:
        with pytest.raises(StoreUnavailable) as err:
            store.lessons("ana")
        assert "locked by another program" in str(err.value) and "database is locked" not in str(err.value)
    finally:
        locker.wait(30)
    assert store.lessons("ana")["p/en/x"].known == [1]


def test_an_answer_and_a_gap_given_while_the_files_are_read_only_are_written_when_they_are_writable(tmp_path: Path):
    store, gaps = ProgressStore(tmp_path / "progress.sqlite"), GapLog(tmp_path / "gaps.sqlite")
    store.record("ana", "p/en/x", 1, "q1", 1, False)
    gaps.record(refused("first"))
    files = [str(store.path), str(gaps.path)]
    if subprocess.run(["chattr", "+i", *files], capture_output=True).returncode != 0:  # root ignores chmod
        pytest.skip("chattr +i (an immutable file) is not allowed on this file system")
    try:
        assert store.record("ana", "p/en/x", 2, "q2", 0, True) is False  # no "attempt to write a readonly database"
        assert gaps.record(refused("Can quizzes be skipped?"))
        assert store.lessons("ana")["p/en/x"].known == [2]
        assert [g.question for g in gaps.list()] == ["Can quizzes be skipped?", "first"]
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (store.db.pending() or gaps.db.pending()):
        time.sleep(0.3)
    assert rows_on_disk(store.path, "attempts") == 2 and rows_on_disk(gaps.path, "gaps") == 2


def test_an_answer_given_on_a_full_disk_is_written_once_there_is_room(tmp_path: Path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("mounting a small tmpfs (a disk to fill) is not allowed here")
    try:
        store = ProgressStore(disk / "progress.sqlite")
        store.record("ana", "p/en/x", 1, "q1", 1, False)
        filler = disk / "filler"
        with pytest.raises(OSError), open(filler, "wb") as f:  # noqa: PT012 (fill until the disk says no)
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        assert store.record("ana", "p/en/x", 2, "q2 " * 5000, 0, True) is False  # no "database or disk is full"
        try:
            assert store.lessons("ana")["p/en/x"].known == [2]
        except StoreUnavailable as exc:  # WAL readers need room for their shared-memory file too
            assert "disk" in str(exc) and "I/O error" not in str(exc)
        filler.unlink()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and store.db.pending():
            time.sleep(0.3)
        assert rows_on_disk(store.path, "attempts") == 2
    finally:
        gc.collect()  # a connection whose statement an exception's traceback still holds closes now
        subprocess.run(["umount", str(disk)], check=True)


# --- 10. data inside the index folder; an old file moved in; exports removed ---------------------------------
def test_each_index_folder_keeps_its_own_progress_and_an_old_shared_file_is_moved_in(tmp_path: Path):
    lessons = lessons_dir(tmp_path, **MINI)
    a, b = tmp_path / "runs" / "a", tmp_path / "runs" / "b"
    for idx in (a, b):
        assert index(lessons, idx).returncode == 0
    old = tmp_path / "runs" / "progress.sqlite"  # where an older tutor kept every index's progress
    ProgressStore(old).record("terminal:ana", "lessons/en/photosynthesis", 1, "q", 1, False)

    def answer(idx: Path, choice: str) -> subprocess.CompletedProcess:
        args = ["quiz", "--lessons", str(lessons), "--index", str(idx), "--lesson", "lessons/en/photosynthesis"]
        return run_cli(*args, "--answer", f"1:{choice}", "--learner", "ana", env=ENV)

    r = answer(a, "1")
    assert r.returncode == 0, r.stderr
    assert not old.exists() and (a / "progress.sqlite").exists() and "moved from" in r.stderr
    assert rows_on_disk(a / "progress.sqlite", "attempts") == 2  # the old answer and the new one
    r = answer(b, "1")
    assert r.returncode == 0 and "moved from" not in r.stderr
    assert rows_on_disk(b / "progress.sqlite", "attempts") == 1  # index b has its own file
    assert not list((tmp_path / "runs").glob("*.sqlite"))


def test_a_csv_export_is_written_on_request_and_removed_after_download(tmp_path: Path):
    from ui.teacher import Exports

    gaps = GapLog(tmp_path / "gaps.sqlite")
    gaps.record(refused("Best lasagne recipe?"))
    cache = tmp_path / "cache"
    exports = Exports(keep_s=0.2)
    first = exports.write(gaps, cache)
    assert "Best lasagne recipe?" in first.read_text(encoding="utf-8")
    second = exports.write(gaps, cache)  # a second export removes the first
    assert not first.exists() and second.exists()
    exports.downloaded(second)
    time.sleep(1.0)
    assert not second.exists() and list(cache.iterdir()) == []  # nothing left with learners' questions
