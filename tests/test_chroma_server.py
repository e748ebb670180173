"""The index on a Chroma server (`chroma run`, started on 127.0.0.1 by the fixtures and stopped by PID).

Indexing into the server and answering from it; the manifest kept in the server, so a second replica (a
fresh client) sees another process's re-index before its next search; two writers never interleave (the
lease lock, its expiry, the compare-and-set on the generation); a server that is down gives one clear error,
and the next question after its restart works. Each test keeps its collections apart with its own prefix.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import lesson, run_cli, stop_process
from tutor.build import build_tutor
from tutor.errors import IndexBusy, TutorError
from tutor.search.retriever import Retriever
from tutor.settings import Settings
from tutor.store.chroma import ChunkStore
from tutor.store.sync import sync_index

CHROMA = Path(sys.executable).with_name("chroma")
ZEBRAS = "Zebra stripes confuse the biting horseflies that land on striped hides less often."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_chroma(path: Path, port: int, wait_s: float = 30.0) -> subprocess.Popen:
    """`chroma run --path PATH --port PORT` on 127.0.0.1, returned once its heartbeat answers."""
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"chroma run exited with {proc.returncode}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    stop_process(proc)
    raise RuntimeError(f"chroma run did not answer on port {port} within {wait_s} s")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    proc = start_chroma(tmp_path_factory.mktemp("chroma"), port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def lessons(tmp_path: Path) -> Path:
    d = tmp_path / "lessons"
    d.mkdir(exist_ok=True)
    (d / "photosynthesis.mdx").write_text(
        lesson("Photosynthesis", "Plants turn light, water and carbon dioxide into glucose in their leaves."), "utf-8"
    )
    (d / "volcanoes.mdx").write_text(
        lesson("Volcanoes", "Magma rises because it is less dense than the rock around it."), "utf-8"
    )
    return d


def env(url: str, prefix: str, **more: str) -> dict[str, str]:
    return {**os.environ, "TUTOR_CHROMA_URL": url, "TUTOR_CHROMA_PREFIX": prefix, **more}


@pytest.mark.slow
def test_index_into_the_server_and_answer_from_it(chroma_url, embedder, llm, tmp_path):
    les = lessons(tmp_path)
    settings = Settings(
        lessons_dir=les, index_dir=tmp_path / "idx", chroma_url=chroma_url, chroma_prefix="answer_", max_tokens=24
    )
    tutor = build_tutor(settings, embedder=embedder, llm=llm)
    summary = tutor.reindex()
    assert summary.added and summary.chunks >= 2
    answer = tutor.ask("Why does magma rise?")
    assert not answer.refused and answer.sources[0].title == "Volcanoes"
    assert not (tmp_path / "idx" / "chroma").exists()  # nothing embedded: the vectors are on the server
    names = tutor.store.collection_names()
    assert "answer_manifest" in names and any(n.startswith("answer_chunks_") for n in names)
    assert not any(n.startswith("answer_lock") for n in names)  # the lease went with the run
    again = tutor.reindex()  # incremental on the server too
    assert again.unchanged == 2 and again.embedded == 0


def test_a_second_replica_sees_a_reindex_before_its_next_search(chroma_url, embedder, tmp_path):
    les = lessons(tmp_path)
    writer = ChunkStore(tmp_path / "a", chroma_url, "replica_")
    sync_index(les, writer, embedder)
    reader = Retriever(ChunkStore(tmp_path / "b", chroma_url, "replica_"), embedder)  # another replica's client
    assert reader.search("glucose from light", k=1).passages[0].chunk.title == "Photosynthesis"
    before = reader.store.manifest().generation
    (les / "volcanoes.mdx").write_text(lesson("Volcanoes", f"Magma rises through the crust. {ZEBRAS}"), "utf-8")
    r = run_cli("index", "--lessons", str(les), "--index", str(tmp_path / "c"), env=env(chroma_url, "replica_"))
    assert r.returncode == 0 and "1 updated" in r.stdout, r.stderr  # another process, another client
    hits = reader.search("why do zebras have stripes against horseflies", k=1).passages
    assert hits and ZEBRAS in hits[0].chunk.text
    assert reader.store.manifest().generation > before


def test_two_index_runs_at_once_do_not_interleave(chroma_url, tmp_path):
    les = lessons(tmp_path)
    cmd = [sys.executable, "-m", "tutor.cli", "index", "--lessons", str(les), "--index", str(tmp_path / "i")]
    e = env(chroma_url, "twice_", TUTOR_INDEX_LOCK_TIMEOUT="120")
    runs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    added = sorted(o[0].split(" added")[0].rsplit(" ", 1)[-1] for o in outs)
    assert added == ["0", "2"]  # the second run waited and saw the first one's result
    check = run_cli("index", "--check", env=e)
    assert check.returncode == 0 and "healthy" in check.stdout, check.stdout + check.stderr


def test_the_lease_lock_waits_expires_and_publishing_compares_the_generation(chroma_url, tmp_path, caplog):
    store = ChunkStore(tmp_path / "x", chroma_url, "lease_")
    other = ChunkStore(tmp_path / "y", chroma_url, "lease_")  # another writer's client
    notes: list[str] = []
    with store.writer_lock(5), pytest.raises(IndexBusy, match="still holds"), other.writer_lock(0.6, notes.append):
        pass
    assert notes and "waiting up to" in notes[0] and str(os.getpid()) in notes[0]
    with other.writer_lock(1):  # released: taken at once
        pass
    # a run that died holding the lock: its lease has expired, the next writer breaks it with a warning
    store._client.create_collection("lease_lock", metadata={"holder": "a dead run", "token": "t", "expires": 1.0})
    with caplog.at_level(logging.WARNING), store.writer_lock(2):
        pass
    assert "breaking the expired index lock of a dead run" in caplog.text
    # ... and when the run breaking it died too, its marker expires in its turn
    store._client.create_collection("lease_lock", metadata={"holder": "dead again", "token": "t2", "expires": 1.0})
    store._client.create_collection("lease_lock_broken_t2", metadata={"expires": 1.0})
    with store.writer_lock(3):
        pass
    assert "breaking the expired index lock of dead again" in caplog.text
    # compare-and-set: a run that started from an older generation may not publish
    from tutor.store.manifest import Manifest

    store.publish(Manifest(collection="lease_chunks_a"))
    stale = Manifest(collection="lease_chunks_b")  # read at generation 0; the server is at 1 now
    with pytest.raises(IndexBusy, match="another index run published generation 1"):
        other.publish(stale)
    assert other.manifest().collection == "lease_chunks_a"


def test_a_long_run_keeps_its_lease_alive(chroma_url, tmp_path, monkeypatch):
    from tutor.store import shared

    monkeypatch.setattr(shared, "LEASE_S", 0.8)  # refreshed every 0.2 s
    store, other = ChunkStore(tmp_path / "x", chroma_url, "alive_"), ChunkStore(tmp_path / "y", chroma_url, "alive_")
    with store.writer_lock(5):
        time.sleep(2.0)  # well past one lease: only the refreshes keep it
        with pytest.raises(IndexBusy, match="still holds"), other.writer_lock(0.5):
            pass
    with other.writer_lock(1):
        pass


def test_a_server_down_gives_a_clear_error_and_the_next_search_after_restart_works(embedder, tmp_path):
    path, port = tmp_path / "chroma", free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_chroma(path, port)
    try:
        store = ChunkStore(tmp_path / "idx", url)
        sync_index(lessons(tmp_path), store, embedder)
        retriever = Retriever(store, embedder)
        assert retriever.search("magma density", k=1).passages[0].chunk.title == "Volcanoes"
        stop_process(proc)
        with pytest.raises(TutorError, match=f"the Chroma server at {url} is not answering.*chroma run"):
            retriever.search("magma density", k=1)
        r = run_cli("search", "magma density", "--index", str(tmp_path / "idx"), env=env(url, "tutor_"))
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert r.returncode == 1 and "Traceback" not in r.stderr and len(lines) == 1, r.stderr
        assert "not answering" in lines[0] and url in lines[0]
        proc = start_chroma(path, port)  # back, with the same data
        assert retriever.search("magma density", k=1).passages[0].chunk.title == "Volcanoes"
        r = run_cli("search", "magma density", "--json", "--index", str(tmp_path / "idx"), env=env(url, "tutor_"))
        assert r.returncode == 0 and json.loads(r.stdout)["passages"][0]["title"] == "Volcanoes", r.stderr
    finally:
        stop_process(proc)
