"""Issue 35, items 5, 6 and 10, on a real `tutor serve` process (127.0.0.1, stopped by PID) and its pages in
headless Chromium: a Practice answer given while another process locks the progress database shows its
feedback (no "database is locked") and is written once the lock is gone; refreshing the teacher page leaves
no CSV folder in the system's temporary folder (one export at most, in Gradio's own cache); and a progress
file truncated while serving is set aside with a warning on the page instead of "no such table"."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser import ARGS, CHROMIUM
from tests.conftest import MINI, free_port
from tests.index_runs import ENV, index, lessons_dir
from tests.test_stores_survive import holding, rows_on_disk
from tutor.learn.progress import ProgressStore

HAS_TEXT = "([sel, text]) => (document.querySelector(sel)?.innerText || '').includes(text)"


def serve(lessons: Path, idx: Path, env: dict[str, str]) -> subprocess.Popen:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "tutor.cli",
        "serve",
        "--lessons",
        str(lessons),
        "--index",
        str(idx),
        "--port",
        str(port),
    ]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    seen, deadline = "", time.monotonic() + 240
    while time.monotonic() < deadline and f"127.0.0.1:{port}" not in seen:
        line = server.stdout.readline() if server.stdout else ""
        assert line or server.poll() is None, seen
        seen += line
    server.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    return server


@pytest.mark.browser
def test_served_pages_survive_a_locked_then_a_truncated_progress_file_and_leave_no_exports(tmp_path: Path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    lessons, idx = lessons_dir(tmp_path, **MINI), tmp_path / "idx"
    assert index(lessons, idx).returncode == 0
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**ENV, "TMPDIR": str(tmp), "GRADIO_TEMP_DIR": str(tmp / "gradio"), "GRADIO_ANALYTICS_ENABLED": "False"}
    server = serve(lessons, idx, env)
    try:
        progress = ProgressStore(idx / "progress.sqlite")  # inside the index folder: the server's file
        progress.record("browser:x", "lessons/en/photosynthesis", 1, "q", 0, True)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            learner = browser.new_page(viewport={"width": 1400, "height": 1000})
            learner.goto(server.url, wait_until="domcontentloaded")  # type: ignore[attr-defined]
            learner.wait_for_selector("#question textarea", timeout=120_000)
            learner.get_by_role("tab", name="Practice").click()
            learner.wait_for_selector("#practice-next .what-next", timeout=120_000)
            learner.click("#practice-start")
            learner.wait_for_selector("#practice-choice label", timeout=60_000)
            locker = holding(progress.path, "BEGIN EXCLUSIVE", 15)  # another program holds the write lock
            try:
                learner.locator("#practice-choice label").nth(0).click()  # Chlorophyll, the key
                t0 = time.monotonic()
                learner.click("#practice-check")
                learner.wait_for_selector("#practice-feedback .feedback", timeout=60_000)
                assert time.monotonic() - t0 < 10  # a bounded wait, then the answer is queued
                assert "locked" not in learner.inner_text("body") and rows_on_disk(progress.path, "attempts") == 1
            finally:
                locker.wait(30)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and rows_on_disk(progress.path, "attempts") < 2:
                time.sleep(0.3)
            assert rows_on_disk(progress.path, "attempts") == 2  # written once the lock was gone
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url + "/teacher", wait_until="domcontentloaded")  # type: ignore[attr-defined]
            page.wait_for_function(HAS_TEXT, arg=["#practice-results", "Photosynthesis"], timeout=120_000)
            for _ in range(3):
                page.click("#gaps-refresh")
                page.wait_for_timeout(1500)
            assert not list(tmp.glob("tutor-gaps-*"))  # no folder of learners' questions per refresh
            assert len(list((tmp / "gradio").rglob("course-gaps.csv"))) <= 1  # one export, in Gradio's cache
            subprocess.run([sys.executable, "-c", f"open({str(progress.path)!r}, 'r+b').truncate(0)"], check=True)
            page.click("#gaps-refresh")
            page.wait_for_function(HAS_TEXT, arg=["#store-warnings", "damaged"], timeout=60_000)
            assert "no such table" not in page.inner_text("body")
            assert progress.set_aside() and str(progress.set_aside()[0]) in page.inner_text("#store-warnings")
            browser.close()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
