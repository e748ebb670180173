"""Index races (issue 12): a running server and a reader in this process follow a `tutor index` run by another
process, and only one index run writes at a time, with real processes, real Chroma and real files. The rest of
the reliability probe is in tests/test_reliability.py."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.index_runs import ENV, ZEBRAS, index, two_lessons
from tutor.errors import IndexBusy
from tutor.store.chroma import ChunkStore
from tutor.store.lock import index_lock


# --- 1. a running server follows an outside `tutor index` -------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_a_running_server_answers_after_a_cli_index(tmp_path: Path):
    from gradio_client import Client

    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    assert index(lessons, idx).returncode == 0
    port = free_port()
    env = {**ENV, "TUTOR_MAX_TOKENS": "8", "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen(
        [
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
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        url, deadline, seen = f"http://127.0.0.1:{port}/", time.time() + 240, ""
        while time.time() < deadline and str(port) not in seen:
            line = server.stdout.readline() if server.stdout else ""
            assert line or server.poll() is None, seen
            seen += line
        client = Client(url, verbose=False)
        first = json.dumps(client.predict("How do plants make glucose?", "", "", api_name="/ask"))
        assert "Photosynthesis" in first
        (lessons / "zebras.mdx").write_text(ZEBRAS, encoding="utf-8")
        r = index(lessons, idx)  # another process writes the index the server is reading
        assert r.returncode == 0 and "1 added" in r.stdout, r.stderr
        after = json.dumps(client.predict("Why do zebras have stripes against horseflies?", "", "", api_name="/ask"))
        assert "Zebras" in after and "Error" not in after and "error" not in after
        again = json.dumps(client.predict("How do plants make glucose?", "", "", api_name="/ask"))
        assert "Photosynthesis" in again
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_a_reader_in_this_process_reopens_after_another_process_writes(tmp_path: Path, embedder):
    from tutor.search.retriever import Retriever

    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    assert index(lessons, idx).returncode == 0
    retriever = Retriever(ChunkStore(idx), embedder)
    assert retriever.search("glucose from light", k=1).passages[0].chunk.title == "Photosynthesis"
    (lessons / "zebras.mdx").write_text(ZEBRAS, encoding="utf-8")
    assert index(lessons, idx).returncode == 0
    hits = retriever.search("zebra stripes and horseflies", k=1).passages  # no "Error finding id"
    assert hits and hits[0].chunk.title == "Zebras"


# --- 2. one writer at a time ---------------------------------------------------------------------------
def test_a_second_index_run_waits_then_gives_up_clearly(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    with index_lock(idx):  # another run holds the lock
        r = index(lessons, idx)
    assert r.returncode == 3
    assert "waiting" in r.stderr and "still holds the index" in r.stderr and "Traceback" not in r.stderr
    assert not (idx / "manifest.json").exists()  # nothing was written


def test_a_waiting_run_goes_on_when_the_first_finishes(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    with index_lock(idx):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "tutor.cli", "index", "--lessons", str(lessons), "--index", str(idx)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**ENV, "TUTOR_INDEX_LOCK_TIMEOUT": "120"},
        )
        note = waiting.stderr.readline() if waiting.stderr else ""
        assert "waiting up to 120 s" in note and waiting.poll() is None
    out, err = waiting.communicate(timeout=240)
    assert waiting.returncode == 0 and "2 added" in out, err


def test_the_lock_of_a_killed_run_is_recovered(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from tutor.store.lock import index_lock\n"
            f"with index_lock({str(idx)!r}):\n    print('held', flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert holder.stdout and holder.stdout.readline().strip() == "held"
    with pytest.raises(IndexBusy), index_lock(idx, timeout=0.5):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (idx / ".lock.owner").exists()  # the dead run left its traces
    r = index(lessons, idx)
    assert r.returncode == 0 and "2 added" in r.stdout and "waiting" not in r.stderr


@pytest.mark.slow
def test_two_index_runs_at_once_leave_a_healthy_index(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    cmd = [sys.executable, "-m", "tutor.cli", "index", "--lessons", str(lessons), "--index", str(idx)]
    env = {**ENV, "TUTOR_INDEX_LOCK_TIMEOUT": "300"}
    runs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    added = sorted(o[0].split(" added")[0].rsplit(" ", 1)[-1] for o in outs)
    assert added == ["0", "2"]  # the second run saw the first one's result, not an empty index
    check = run_cli("index", "--index", str(idx), "--check", env=ENV)
    assert check.returncode == 0 and "healthy" in check.stdout, check.stdout
    r = run_cli("search", "magma density", "--index", str(idx), "--json", env=ENV)
    assert r.returncode == 0 and json.loads(r.stdout)["passages"][0]["title"] == "Volcanoes"
