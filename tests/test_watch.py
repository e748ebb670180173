"""Re-index on save (`tutor serve --watch`, tutor/watch.py): bursts of file events make one sync once quiet; the
watcher's syncs run one at a time, record what changed and keep a broken save's previous version (real index,
real embedder); and a real `tutor serve --watch` process re-indexes at start a lesson edited while it was
stopped, then an edited lesson, answers from the new text at the next question, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import free_port, lesson
from tests.index_runs import ENV, index, two_lessons
from tutor.errors import TutorError
from tutor.store.chroma import ChunkStore
from tutor.store.sync import sync_index
from tutor.watch import Burst, Watcher, WatchReport, load_report

CHLOROPHYLL = lesson(
    "Photosynthesis",
    "## Leaf colour\n\nIn autumn the chlorophyll breaks down and the hidden carotenoids turn maple leaves orange.",
)
BASALT = lesson(
    "Volcanoes",
    "## Basalt columns\n\nCooling lava shrinks and cracks into hexagonal basalt columns, as at the Giant's Causeway.",
)


def test_a_burst_of_events_syncs_once_after_it_goes_quiet():
    b = Burst(quiet_s=0.8, max_wait_s=5.0)
    assert not b.due(0.0)
    for t, path in ((0.0, "a.mdx~"), (0.1, "a.mdx"), (0.5, "a.mdx")):  # an editor's save: temp file, rename, write
        b.add({path}, t)
        assert not b.due(t)
    assert not b.due(1.2) and b.due(1.3)  # 0.8 s after the last event
    assert b.take() == ["a.mdx", "a.mdx~"] and not b.due(10.0)
    for t in range(0, 12):  # a save every 0.5 s, never quiet: synced at the latest 5 s after the first
        b.add({"b.mdx"}, t * 0.5)
        if b.due(t * 0.5):
            break
    assert t * 0.5 == 5.0
    b.add(set(), 20.0)  # no events: nothing to do
    assert b.take() == ["b.mdx"] and not b.due(30.0)


def test_the_watcher_syncs_after_a_save_keeps_a_broken_one_and_records_changes(tmp_path: Path, embedder):
    lessons, store, report = two_lessons(tmp_path), ChunkStore(tmp_path / "idx"), tmp_path / "watch.json"
    sync_index(lessons, store, embedder)
    w = Watcher(lessons, lambda: WatchReport.of(sync_index(lessons, store, embedder)), report)
    volcano = lessons / "volcanoes.mdx"

    volcano.write_text(BASALT, encoding="utf-8")
    assert w.step({str(volcano)}, 0.0) is None  # still in the burst
    r = w.step(set(), 1.0)
    assert r is not None and r.updated == ["lessons/en/volcanoes"] and r.files == ["volcanoes.mdx"]
    saved = load_report(report)
    assert saved is not None and saved.updated == r.updated and abs(saved.at - time.time()) < 60
    assert any("hexagonal" in c.text for c in store.all_chunks()[1])

    volcano.write_text("---\ntitle: [broken\n---\n\nx\n", encoding="utf-8")  # a broken save
    r = w.step({str(volcano)}, 2.0) or w.step(set(), 3.0)
    assert r is not None and r.kept == ["lessons/en/volcanoes"] and not r.removed and not r.error
    assert "volcanoes.mdx" in r.warnings[0] and load_report(report) == r
    assert any("hexagonal" in c.text for c in store.all_chunks()[1])  # the previous version is still served

    before = report.read_text(encoding="utf-8")
    volcano.write_text(BASALT, encoding="utf-8")  # saved again as it was indexed, then a picture: no lesson changed
    (lessons / "notes.png").write_bytes(b"\x89PNG")
    r = w.step({str(volcano), str(lessons / "notes.png")}, 4.0) or w.step(set(), 5.0)
    assert r is not None and not r.changed and report.read_text(encoding="utf-8") == before  # synced, not recorded

    def fail() -> WatchReport:
        raise TutorError("another index run still holds the index")

    w.sync_fn = fail
    r = w.sync([str(volcano)])
    assert r is not None and "still holds" in r.error and load_report(report) == r


def test_syncs_never_overlap_and_a_thread_watches_the_folder(tmp_path: Path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    running, most, calls = [0], [0], []

    def slow_sync() -> WatchReport:
        running[0] += 1
        most[0] = max(most[0], running[0])
        time.sleep(0.2)
        running[0] -= 1
        calls.append(time.monotonic())
        return WatchReport(updated=["x"])

    w = Watcher(lessons, slow_sync, tmp_path / "watch.json", burst=Burst(quiet_s=0.3))
    threads = [threading.Thread(target=w.sync, args=([],)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 4 and most[0] == 1  # one at a time

    calls.clear()
    w.start()
    try:
        time.sleep(0.5)  # the watch is set up
        for i in range(5):  # a burst of five saves
            (lessons / "a.mdx").write_text(f"# A\n\nversion {i}\n", encoding="utf-8")
            time.sleep(0.05)
        deadline = time.monotonic() + 20
        while not calls and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        assert len(calls) == 1, calls  # one sync for the burst
        assert load_report(tmp_path / "watch.json").files == ["a.mdx"]  # type: ignore[union-attr]
    finally:
        t0 = time.monotonic()
        w.stop()
    assert w._thread is not None and not w._thread.is_alive() and time.monotonic() - t0 < 5


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


@pytest.mark.slow
def test_serve_watch_reindexes_at_start_and_after_a_save_and_the_page_answers_from_it(tmp_path: Path):
    from gradio_client import Client

    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    assert index(lessons, idx).returncode == 0
    (lessons / "photosynthesis.mdx").write_text(CHLOROPHYLL, encoding="utf-8")  # edited while nothing serves
    report = tmp_path / "watch.json"
    port = free_port()
    env = {**ENV, "TUTOR_MAX_TOKENS": "8", "GRADIO_ANALYTICS_ENABLED": "False", "TUTOR_INDEX_LOCK_TIMEOUT": "60"}
    cmd = [sys.executable, "-m", "tutor.cli", "serve", "--watch", "--lessons", str(lessons), "--index", str(idx)]
    server = subprocess.Popen(
        [*cmd, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        deadline, seen = time.time() + 240, ""
        while time.time() < deadline and str(port) not in seen:
            line = server.stdout.readline() if server.stdout else ""
            assert line or server.poll() is None, seen
            seen += line
        assert "watching" in seen, seen
        deadline = time.time() + 180
        while time.time() < deadline and not (load_report(report) or WatchReport()).updated:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            time.sleep(0.5)
        r = load_report(report)
        assert r is not None and r.at_start and r.updated == ["lessons/en/photosynthesis"] and not r.files, r
        assert "while not watching" in r.line()
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        autumn = json.dumps(client.predict("Why do maple leaves turn orange in autumn?", "", "", api_name="/ask"))
        assert "carotenoids" in autumn
        question = "Why does cooling lava form hexagonal basalt columns?"
        assert "Causeway" not in json.dumps(client.predict(question, "", "", api_name="/ask"))

        (lessons / "volcanoes.mdx").write_text(BASALT, encoding="utf-8")  # the teacher saves a lesson
        deadline = time.time() + 180
        while time.time() < deadline and (load_report(report) or WatchReport()).at_start:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            time.sleep(0.5)
        r = load_report(report)
        assert r is not None and r.updated == ["lessons/en/volcanoes"] and r.files == ["volcanoes.mdx"], r
        answer = json.dumps(client.predict(question, "", "", api_name="/ask"))  # the learner's next question
        assert "Causeway" in answer and "error" not in answer.lower()
        client.close()
        kids = _children(server.pid)
        assert kids, "the syncs run in a child process"
    finally:
        server.send_signal(signal.SIGTERM)  # stopped by PID
        try:
            code = server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert code == 0
    time.sleep(1.0)
    assert not [k for k in kids if os.path.exists(f"/proc/{k}") and "zombie" not in _state(k)]


def _state(pid: int) -> str:
    try:
        return "zombie" if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z" else "alive"
    except OSError:
        return "gone"
