"""Nothing lost, nothing leaked (issue 12): each reproduction of the reliability probe, with real processes,
real Chroma and real files. The index races (a server following another process's index run, one writer at a
time) are in tests/test_index_races.py; the web edge is in tests/test_web_edge.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, lesson, run_cli
from tests.index_runs import ENV, ZEBRAS, index, lessons_dir, two_lessons
from tutor.store.chroma import ChunkStore


# --- 7. leftovers of killed runs ------------------------------------------------------------------------
def test_orphaned_collections_are_reported_and_swept(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    assert index(lessons, idx).returncode == 0
    # a run killed after creating its collection, before publishing it (as a killed --rebuild is)
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal, numpy as np\nfrom tutor.store.chroma import ChunkStore\n"
            f"s = ChunkStore({str(idx)!r}); c = s.collection('chunks_killedrun00')\n"
            "c.upsert(ids=['x'], embeddings=[[0.1] * 384], documents=['orphan'], metadatas=[{'lesson_id': 'x', 'lesson_hash': 'y'}])\n"
            "os.kill(os.getpid(), signal.SIGKILL)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    check = run_cli("index", "--index", str(idx), "--check", env=ENV)
    assert check.returncode == 1 and "chunks_killedrun00" in check.stdout
    r = index(lessons, idx)
    assert r.returncode == 0 and "removed 1 collection" in r.stdout
    check = run_cli("index", "--index", str(idx), "--check", env=ENV)
    assert check.returncode == 0 and "healthy" in check.stdout
    assert ChunkStore(idx).collection_names() == [ChunkStore(idx).require().collection]


def test_check_reports_a_manifest_that_disagrees_with_the_rows(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    assert index(lessons, idx).returncode == 0
    store = ChunkStore(idx)
    m = store.require()
    store.collection(m.collection).delete(where={"lesson_id": next(iter(m.lessons))})
    check = run_cli("index", "--index", str(idx), "--check", env=ENV)
    assert check.returncode == 1 and "chunk counts" in check.stdout


# --- 5. nothing lost without a word ---------------------------------------------------------------------
def test_an_id_collision_keeps_the_indexed_lesson_and_names_the_newcomer(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    assert index(lessons, idx).returncode == 0
    before = ChunkStore(idx).require().lessons["lessons/en/volcanoes"]
    intruder = lesson("Intruder", "A short text that claims another lesson's slug.", slug="volcanoes")
    (lessons / "a-intruder.mdx").write_text(intruder, encoding="utf-8")  # sorts before the real file
    r = index(lessons, idx, "--strict")
    assert r.returncode == 1 and "a-intruder.mdx" in r.stderr and "already taken by volcanoes.mdx" in r.stderr
    after = ChunkStore(idx).require().lessons["lessons/en/volcanoes"]
    assert (after.path, after.hash, after.chunks) == (before.path, before.hash, before.chunks)


def test_an_empty_or_wrong_folder_does_not_empty_the_index(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    assert index(lessons, idx).returncode == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    r = index(empty, idx)
    assert r.returncode == 2 and "would remove 2 of the 2 indexed lessons" in r.stderr and "--allow-shrink" in r.stderr
    assert len(ChunkStore(idx).require().lessons) == 2
    other = lessons_dir(tmp_path / "other", **{"zebras.mdx": ZEBRAS})
    assert index(other, idx).returncode == 2  # another folder with fewer lessons: also refused
    r = index(empty, idx, "--allow-shrink")
    assert r.returncode == 0 and "2 removed" in r.stdout


def test_a_lesson_turned_into_a_broken_link_keeps_its_indexed_version(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    assert index(lessons, idx).returncode == 0
    (lessons / "volcanoes.mdx").unlink()
    os.symlink(tmp_path / "gone.mdx", lessons / "volcanoes.mdx")
    r = index(lessons, idx)
    assert r.returncode == 0 and "broken link" in r.stderr and "previous version kept" in r.stdout
    assert "lessons/en/volcanoes" in ChunkStore(idx).require().lessons


def test_an_unclosed_quiz_fails_strict_and_keeps_the_indexed_version(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    assert index(lessons, idx).returncode == 0
    text = lesson(
        "Volcanoes",
        """
        Magma rises because it is less dense than the rock around it.

        <Quiz question="Why does magma rise?" options="It is lighter|It is heavier" answer="0"

        ## Eruptions

        Pressure drops and dissolved gas expands.

        <Callout type="warn">
        Stay away from lava.
        </Callout>
        """,
    )
    (lessons / "volcanoes.mdx").write_text(text, encoding="utf-8")
    r = index(lessons, idx, "--strict")
    line = (
        text.splitlines().index(
            '<Quiz question="Why does magma rise?" options="It is lighter|It is heavier" answer="0"'
        )
        + 1
    )
    assert r.returncode == 1 and f"volcanoes.mdx:{line}: <Quiz> opened here is never closed" in r.stderr
    assert ChunkStore(idx).require().lessons["lessons/en/volcanoes"].chunks >= 1


# --- 3. reading stays inside the lessons folder, through the CLI -------------------------------------
def test_a_link_to_a_secret_file_is_not_indexed_or_searchable(tmp_path: Path):
    lessons, idx = two_lessons(tmp_path), tmp_path / "idx"
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash nologin shadow entry\n", encoding="utf-8")
    os.symlink(secret, lessons / "x.md")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "leak.md").write_text(lesson("Leak", "root x 0 0 root bin bash nologin"), encoding="utf-8")
    os.symlink(tmp_path / "outside", lessons / "linked")
    r = index(lessons, idx)
    assert r.returncode == 0 and r.stderr.count("links outside the lessons folder") == 2
    assert set(ChunkStore(idx).require().lessons) == {"lessons/en/photosynthesis", "lessons/en/volcanoes"}
    r = run_cli("search", "root x 0 0 root /bin/bash nologin", "--index", str(idx), "--json", env=ENV)
    assert r.returncode == 0 and "root:x" not in r.stdout and "Leak" not in r.stdout
    # an outside folder named in outside_roots is allowed
    r = index(lessons, idx, env={**ENV, "TUTOR_OUTSIDE_ROOTS": json.dumps([str(tmp_path / "outside")])})
    assert r.returncode == 0 and "lessons/en/linked/leak" in ChunkStore(idx).require().lessons


# --- 8. clear one-line errors ---------------------------------------------------------------------------
def one_error_line(r: subprocess.CompletedProcess, code: int, words: str) -> None:
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == code and words in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert sum(x.startswith(("error:", "tutor")) for x in lines) == 1


def test_clear_errors(tmp_path: Path, corpus_index):
    settings, _ = corpus_index
    idx = str(settings.index_dir)
    bad = tmp_path / "questions.txt"
    bad.write_bytes(b"What is attention?\nwhat about caf\xe9?\n")
    one_error_line(run_cli("search", "--from-file", str(bad), "--index", idx), 1, "not valid UTF-8 (line 2)")
    a_file = tmp_path / "lessons.md"
    a_file.write_text("# not a folder\n", encoding="utf-8")
    one_error_line(
        run_cli("index", "--lessons", str(a_file), "--index", str(tmp_path / "i")), 2, "is a file, not a folder"
    )
    for k in ("0", "-5"):
        one_error_line(run_cli("search", "attention", "-k", k, "--index", idx), 2, "must be 1 or more")
    one_error_line(
        run_cli("search", "attention", "--lesson", "no/such/lesson", "--index", idx), 2, "no lesson 'no/such/lesson'"
    )
    one_error_line(run_cli("search", "attention", "--program", "nope", "--index", idx), 2, "no program 'nope'")
