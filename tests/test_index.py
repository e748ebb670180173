"""The incremental index against the real Chroma and the real embedder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, lesson, run_cli
from tutor.errors import LessonsNotFound
from tutor.ingest.chunking import chunk_lesson
from tutor.ingest.lessons import load_lessons
from tutor.search.retriever import Retriever
from tutor.store.chroma import ChunkStore
from tutor.store.manifest import read_manifest
from tutor.store.sync import sync_index


def live_chunks(store: ChunkStore) -> dict[str, list[str]]:
    _, chunks = store.all_chunks()
    out: dict[str, list[str]] = {}
    for c in chunks:
        out.setdefault(c.lesson_id, []).append(c.text)
    return out


def raw_count(store: ChunkStore) -> int:
    return store.collection(store.require().collection).count()


def test_first_index_then_noop(mini_dir: Path, tmp_path: Path, embedder):
    store = ChunkStore(tmp_path / "idx")
    s1 = sync_index(mini_dir, store, embedder)
    assert sorted(s1.added) == [f"lessons/en/{n}" for n in ("photosynthesis", "volcanoes")]
    assert s1.embedded == s1.chunks > 0
    s2 = sync_index(mini_dir, store, embedder)
    assert s2.embedded == 0 and s2.unchanged == 2 and not (s2.added or s2.updated or s2.removed)
    assert raw_count(store) == s1.chunks
    m = read_manifest(tmp_path / "idx")
    assert m and m.lessons["lessons/en/photosynthesis"].quizzes[0]["answer"] == 0


def test_edit_replaces_exactly_that_lesson(mini_dir: Path, tmp_path: Path, embedder):
    store = ChunkStore(tmp_path / "idx")
    sync_index(mini_dir, store, embedder)
    before = live_chunks(store)
    (mini_dir / "volcanoes.mdx").write_text(
        lesson("Volcanoes", "## Eruptions\n\nBasalt lava flows like honey from shield volcanoes in Hawaii."),
        encoding="utf-8",
    )
    s = sync_index(mini_dir, store, embedder)
    assert s.updated == ["lessons/en/volcanoes"] and s.unchanged == 1
    after = live_chunks(store)
    assert after["lessons/en/photosynthesis"] == before["lessons/en/photosynthesis"]
    assert any("Basalt" in t for t in after["lessons/en/volcanoes"])
    assert not any("Olympus" in t for t in after["lessons/en/volcanoes"])
    assert raw_count(store) == sum(len(v) for v in after.values())  # the old chunks are gone, not hidden
    hits = Retriever(store, embedder).search("basalt lava in Hawaii", k=1).passages
    assert "Basalt" in hits[0].chunk.text


def test_delete_and_rename(mini_dir: Path, tmp_path: Path, embedder):
    store = ChunkStore(tmp_path / "idx")
    sync_index(mini_dir, store, embedder)
    (mini_dir / "volcanoes.mdx").unlink()
    s = sync_index(mini_dir, store, embedder)
    assert s.removed == ["lessons/en/volcanoes"]
    assert set(live_chunks(store)) == {"lessons/en/photosynthesis"}
    # rename: a new slug; the old id must vanish, with no duplicate chunks
    (mini_dir / "photosynthesis.mdx").rename(mini_dir / "plants.mdx")
    s = sync_index(mini_dir, store, embedder)
    assert s.added == ["lessons/en/plants"] and s.removed == ["lessons/en/photosynthesis"]
    assert set(live_chunks(store)) == {"lessons/en/plants"}
    assert raw_count(store) == len(live_chunks(store)["lessons/en/plants"])


def test_move_keeps_vectors_and_updates_path(tmp_path: Path, embedder):
    src = tmp_path / "l" / "programs" / "p" / "lessons" / "en"
    src.mkdir(parents=True)
    (src / "a.mdx").write_text(lesson("A", "Alpha particles are helium nuclei."), encoding="utf-8")
    store = ChunkStore(tmp_path / "idx")
    sync_index(tmp_path / "l", store, embedder)
    dest = tmp_path / "l" / "p" / "lessons" / "en"  # same program, language and slug: same lesson
    dest.mkdir(parents=True)
    os.rename(src / "a.mdx", dest / "a.mdx")
    s = sync_index(tmp_path / "l", store, embedder)
    assert s.moved == ["p/en/a"] and s.embedded == 0 and not (s.added or s.removed)
    _, chunks = store.all_chunks()
    assert {c.path for c in chunks} == {"p/lessons/en/a.mdx"} and raw_count(store) == len(chunks)


def test_unreadable_lesson_keeps_its_indexed_version(mini_dir: Path, tmp_path: Path, embedder):
    store = ChunkStore(tmp_path / "idx")
    sync_index(mini_dir, store, embedder)
    (mini_dir / "volcanoes.mdx").write_text("---\ntitle: [broken\n---\n\nx\n", encoding="utf-8")
    s = sync_index(mini_dir, store, embedder)
    assert s.kept == ["lessons/en/volcanoes"] and not s.removed
    assert "volcanoes.mdx" in str(s.warnings[0])
    assert "lessons/en/volcanoes" in live_chunks(store)


def test_missing_lessons_dir_touches_nothing(mini_dir: Path, tmp_path: Path, embedder):
    store = ChunkStore(tmp_path / "idx")
    sync_index(mini_dir, store, embedder)
    before = (tmp_path / "idx" / "manifest.json").read_bytes()
    with pytest.raises(LessonsNotFound):
        sync_index(tmp_path / "nope", store, embedder)
    assert (tmp_path / "idx" / "manifest.json").read_bytes() == before


def test_embedder_change_forces_rebuild(mini_dir: Path, tmp_path: Path, embedder):
    from tutor.models.embedder import Embedder

    store = ChunkStore(tmp_path / "idx")
    sync_index(mini_dir, store, embedder)
    old = store.require().collection
    # int8 vectors are another family than float32's (bf16 and torch share one: no rebuild between them)
    other = Embedder(backend="torch" if embedder.precision == "int8" else "int8")
    s = sync_index(mini_dir, store, other)
    assert "embedding model changed" in s.rebuilt and len(s.added) == 2
    assert store.require().collection != old and old not in store.collection_names()
    same = Embedder(backend="bf16" if other.precision == "torch" else "int8")
    assert not sync_index(mini_dir, store, same).rebuilt  # the same vectors: the index is kept


def test_chunks_fit_the_embedder_window_and_sections(embedder):
    report = load_lessons(ROOT / "corpus")
    for le in report.lessons:
        for c in chunk_lesson(le, embedder.token_len, embedder.max_seq_length):
            assert embedder.token_len(c.embed_text) + 2 <= embedder.max_seq_length
            assert c.breadcrumb.startswith(le.title)
            assert 0 <= c.start < c.end <= len(le.source)
            # a chunk never spans two sections: no heading line inside its source span
            inner = le.source[c.start : c.end]
            assert not any(line.startswith("#") for line in inner.splitlines()[1:] if not line.startswith("#!"))


def test_a_lead_in_to_subsections_gets_their_headings_as_its_list(tmp_path: Path, embedder):
    (tmp_path / "tips.mdx").write_text(
        lesson(
            "Prompts",
            """
            ## Tips

            How you ask matters. Here are three tips:

            ### 1. Be specific
            Name the thing you want.

            #### An example
            Ask for five plants, not plants.

            ### 2. Give context
            Say who it is for.

            ## Other things
            Ending a sentence with a colon is not a list:

            Here it is a paragraph.
            """,
        ),
        encoding="utf-8",
    )
    (le,) = load_lessons(tmp_path).lessons
    chunks = {c.breadcrumb: c for c in chunk_lesson(le, embedder.token_len, embedder.max_seq_length)}
    tips = chunks["Prompts > Tips"]
    # direct subsections only, in order, as the lesson reads on screen; the span stays the section's text
    assert tips.text.endswith("Here are three tips:\n\n- 1. Be specific\n- 2. Give context")
    assert le.source[tips.start : tips.end].strip() == "How you ask matters. Here are three tips:"
    assert "\n- " not in chunks["Prompts > Other things"].text  # no subsections: nothing added
    # a lead-in too long to share a chunk with the outline keeps its span and is never followed by an outline alone
    long_lead = "How you ask matters, " + "and it matters a great deal, " * 60 + "so here are three tips:"
    (tmp_path / "tips.mdx").write_text(
        (tmp_path / "tips.mdx").read_text().replace("How you ask matters. Here are three tips:", long_lead),
        encoding="utf-8",
    )
    (le,) = load_lessons(tmp_path).lessons
    for c in chunk_lesson(le, embedder.token_len, embedder.max_seq_length):
        assert 0 <= c.start < c.end <= len(le.source) and c.text.strip() != "- 1. Be specific\n- 2. Give context"


_cli = run_cli


def test_cli_index_summary_strict_and_missing_dir(mini_dir: Path, tmp_path: Path):
    idx = str(tmp_path / "idx")
    r = _cli("index", "--lessons", str(mini_dir), "--index", idx)
    assert r.returncode == 0, r.stderr
    assert "2 added" in r.stdout and "chunks" in r.stdout
    (mini_dir / "bad.mdx").write_bytes(b"")
    r = _cli("index", "--lessons", str(mini_dir), "--index", idx, "--strict")
    assert r.returncode == 1 and "bad.mdx" in r.stderr and "empty" in r.stderr
    r = _cli("index", "--lessons", str(tmp_path / "missing"), "--index", idx)
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = _cli("lessons", "--index", idx, "--json")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert {row["lesson_id"] for row in rows} == {"lessons/en/photosynthesis", "lessons/en/volcanoes"}
    assert next(row for row in rows if row["lesson_id"].endswith("photosynthesis"))["quizzes"] == 1


def test_kill_9_mid_index_leaves_a_usable_index_and_the_next_run_repairs(tmp_path: Path):
    lessons = tmp_path / "lessons"
    shutil.copytree(ROOT / "corpus", lessons)
    idx = tmp_path / "idx"
    assert _cli("index", "--lessons", str(lessons), "--index", str(idx)).returncode == 0
    first = read_manifest(idx)
    assert first is not None
    files = sorted(lessons.rglob("*.mdx"))
    for f in files:  # edit every lesson so the next run rewrites all of them
        f.write_text(f.read_text(encoding="utf-8") + "\n\nAn added closing sentence about zebras.\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutor.cli", "index", "--lessons", str(lessons), "--index", str(idx)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline:  # kill once some lessons, not all, are rewritten
        try:
            m = read_manifest(idx)
        except ValueError:
            m = None
        if m and m.dirty and any(e.hash != first.lessons[k].hash for k, e in m.lessons.items()):
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = ChunkStore(idx)
    m = store.require()
    assert m.dirty  # the run was really interrupted in its write phase
    _, chunks = store.all_chunks()
    by_lesson: dict[str, set[str]] = {}
    for c in chunks:
        by_lesson.setdefault(c.lesson_id, set()).add(c.lesson_hash)
    assert all(len(h) == 1 for h in by_lesson.values())  # no lesson half old, half new
    assert set(by_lesson) == set(m.lessons)
    r = _cli("search", "what is attention", "--index", str(idx), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["passages"]
    r = _cli("index", "--lessons", str(lessons), "--index", str(idx))
    assert r.returncode == 0, r.stderr
    store = ChunkStore(idx)
    m = store.require()
    assert not m.dirty
    _, chunks = store.all_chunks()
    assert raw_count(store) == len(chunks) == sum(e.chunks for e in m.lessons.values())
    assert len(m.lessons) == len(files)


def _open_new_indexes(root: str, rounds: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    for i in range(rounds):
        barrier.wait()  # both processes create the same new index at the same moment
        try:
            ChunkStore(Path(root) / str(i)).collection("chunks_race")
            results.put("ok")
        except Exception as exc:
            results.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_creating_one_new_index_both_open_it(tmp_path: Path):
    """Chroma sets up a new index's tables without a lock; a second process doing it at the same moment
    failed with "table collections already exists" (1 to 7 of 20 tries). The store opens again instead."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    rounds, barrier, results = 20, ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_open_new_indexes, args=(str(tmp_path), rounds, barrier, results)) for _ in "ab"]
    for p in procs:
        p.start()
    got = [results.get(timeout=300) for _ in range(2 * rounds)]
    for p in procs:
        p.join(timeout=60)
    assert got == ["ok"] * (2 * rounds), [g for g in got if g != "ok"]


def test_a_reader_that_stops_early_ends_the_cli_quietly(corpus_index):
    """`tutor lessons --json | head -1`: the reader is gone before the CLI writes; it closes with the shell's
    code for a broken pipe (141) and no traceback."""
    settings, _ = corpus_index
    cmd = [sys.executable, "-m", "tutor.cli", "lessons", "--index", str(settings.index_dir), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader stops before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
