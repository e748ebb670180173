"""Incremental indexing: keep the Chroma index exactly in step with a lessons directory.

Unchanged lessons (same content hash, same path) cost nothing; a moved lesson keeps its vectors; an edited
lesson's chunks are replaced; a deleted lesson's chunks go. A lesson that fails to parse keeps its previously
indexed version. A changed embedder or chunker forces a rebuild into a fresh collection that replaces the old
one only when complete. Order of writes per lesson: new chunks, manifest, delete old chunks (see manifest.py).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tutor.errors import IndexShrink, LessonError
from tutor.ingest.chunking import CHUNKER_VERSION, Chunk, chunk_lesson
from tutor.ingest.coverage import left_out_line
from tutor.ingest.folders import LeftOut
from tutor.ingest.lessons import Lesson, load_lessons
from tutor.models.ports import Embedder
from tutor.store.chroma import ChunkStore
from tutor.store.manifest import LessonEntry, Manifest

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class SyncSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # failed to parse: previous version kept
    chunks: int = 0  # live chunks after the sync
    embedded: int = 0  # chunks embedded by this sync
    swept: int = 0  # orphan chunks removed (left by an interrupted sync)
    dropped: list[str] = field(default_factory=list)  # orphan collections removed (left by killed runs)
    seconds: float = 0.0
    rebuilt: str = ""  # why the index was rebuilt, "" if it was not
    warnings: list[LessonError] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)  # lesson-like files that are not lessons, with why

    def line(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.removed)} removed",
            f"{self.unchanged + len(self.moved)} unchanged",
        ]
        if self.moved:
            parts.append(f"{len(self.moved)} moved")
        if self.kept:
            parts.append(f"{len(self.kept)} unreadable (previous version kept)")
        line = f"lessons: {', '.join(parts)}; {self.chunks} chunks ({self.embedded} embedded) in {self.seconds:.1f} s"
        left = left_out_line(self.left_out)
        return f"{line}; {left}" if left else line


def _entry(lesson: Lesson, n_chunks: int) -> LessonEntry:
    order = lesson.meta.get("order")
    return LessonEntry(
        hash=lesson.content_hash,
        path=lesson.path,
        title=lesson.title,
        program=lesson.program,
        language=lesson.language,
        slug=lesson.slug,
        chunks=n_chunks,
        description=str(lesson.meta.get("description") or ""),
        order=float(order) if isinstance(order, int | float) else None,
        quizzes=[
            {"question": q.question, "options": q.options, "answer": q.answer, "explanation": q.explanation}
            for q in lesson.quizzes
        ],
    )


def sync_index(
    lessons_dir: Path,
    store: ChunkStore,
    embedder: Embedder,
    *,
    max_tokens: int = 0,
    rebuild: bool = False,
    progress: Progress | None = None,
    allow_shrink: bool = False,
    outside_roots: Sequence[Path] = (),
    lock_timeout: float = 600.0,
    on_wait: Callable[[str], None] | None = None,
) -> SyncSummary:
    """Bring the index at `store` in step with `lessons_dir`, holding the index lock throughout (waiting up to
    `lock_timeout` s for another run). Raises LessonsNotFound, IndexShrink or IndexBusy before touching
    anything."""
    with store.writer_lock(lock_timeout, on_wait):  # a file lock, or a lease on the Chroma server
        return _sync(lessons_dir, store, embedder, max_tokens, rebuild, progress, allow_shrink, outside_roots)


def _sync(
    lessons_dir: Path,
    store: ChunkStore,
    embedder: Embedder,
    max_tokens: int,
    rebuild: bool,
    progress: Progress | None,
    allow_shrink: bool,
    outside_roots: Sequence[Path],
) -> SyncSummary:
    t0 = time.perf_counter()
    summary = SyncSummary()
    old = store.read_manifest()
    indexed = {lid: e.path for lid, e in old.lessons.items()} if old else {}
    # raises if the directory is missing: index untouched
    report = load_lessons(lessons_dir, outside_roots=outside_roots, indexed=indexed)
    summary.warnings, summary.left_out = report.warnings, report.left_out
    failed = set(report.failed_paths)
    if old and not allow_shrink:
        _refuse_shrink(old, report.lessons, failed, Path(lessons_dir))
    summary.dropped = store.sweep_orphan_collections(old.collection if old else "")
    chunker = CHUNKER_VERSION
    if old and not rebuild and (old.embedder != embedder.name or old.chunker != chunker):
        what = "embedding model" if old.embedder != embedder.name else "chunker"
        before, after = (old.embedder, embedder.name) if what == "embedding model" else (old.chunker, chunker)
        summary.rebuilt = f"{what} changed ({before} -> {after}): rebuilding the whole index"
        log.warning("%s", summary.rebuilt)
        rebuild = True
    if old and rebuild and not summary.rebuilt:
        summary.rebuilt = "--rebuild asked for"
    fresh = old is None or rebuild or not old.collection
    m = (
        Manifest(
            embedder=embedder.name,
            chunker=chunker,
            collection=f"{store.collection_prefix}{uuid.uuid4().hex[:12]}",
            generation=old.generation if old else 0,  # numbering goes on, so readers see a new generation
        )
        if fresh
        else old
    )
    assert m is not None
    m.lessons_dir = str(Path(lessons_dir).resolve())
    previous = {} if fresh else dict(m.lessons)

    if m.dirty and not fresh:
        summary.swept = store.sweep_orphans(m.collection, m)

    by_id = {lesson.id: lesson for lesson in report.lessons}
    changed: list[Lesson] = []
    for lid, lesson in by_id.items():
        entry = previous.get(lid)
        if entry is None:
            changed.append(lesson)
            summary.added.append(lid)
        elif entry.hash != lesson.content_hash:
            changed.append(lesson)
            summary.updated.append(lid)
        elif entry.path != lesson.path:
            summary.moved.append(lid)
        else:
            summary.unchanged += 1
    gone = [lid for lid, e in previous.items() if lid not in by_id]
    summary.kept = [lid for lid in gone if previous[lid].path in failed]
    summary.removed = [lid for lid in gone if previous[lid].path not in failed]

    if changed or summary.moved or summary.removed or fresh or m.lessons_dir != (old.lessons_dir if old else ""):
        _apply(store, m, changed, by_id, summary, embedder, max_tokens or embedder.max_seq_length, fresh, progress)
        if fresh and old and old.collection and old.collection != m.collection:
            store.drop_collection(old.collection)
    summary.chunks = sum(e.chunks for e in m.lessons.values())
    summary.seconds = time.perf_counter() - t0
    return summary


def _refuse_shrink(old: Manifest, lessons: list[Lesson], failed: set[str], lessons_dir: Path) -> None:
    """Raise IndexShrink when a run would remove more than half of the indexed lessons, from another folder
    or without as many new ones (an empty or wrong folder, a missing mount). Renaming most lessons of the
    same folder is not a shrink."""
    ids = {le.id for le in lessons}
    removed = [lid for lid, e in old.lessons.items() if lid not in ids and e.path not in failed]
    added = len(ids - set(old.lessons))
    same_dir = old.lessons_dir == str(lessons_dir.resolve())
    if 2 * len(removed) > len(old.lessons) and (not same_dir or added < len(removed)):
        raise IndexShrink(
            f"this run would remove {len(removed)} of the {len(old.lessons)} indexed lessons ({lessons_dir} has "
            f"{len(lessons)} readable lessons): check that it is the right folder and that it is mounted; nothing "
            "was changed. Pass --allow-shrink to remove them"
        )


def _apply(
    store: ChunkStore,
    m: Manifest,
    changed: list[Lesson],
    by_id: dict[str, Lesson],
    summary: SyncSummary,
    embedder: Embedder,
    max_tokens: int,
    fresh: bool,
    progress: Progress | None,
) -> None:
    m.max_tokens = max_tokens
    per_lesson: list[list[Chunk]] = [chunk_lesson(le, embedder.token_len, max_tokens) for le in changed]
    flat = [c for cs in per_lesson for c in cs]
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("embedding", done, len(flat))

    if progress:
        progress("embedding", 0, len(flat))
    vectors = embedder.embed([c.embed_text for c in flat], progress=tick)
    summary.embedded = len(flat)

    m.dirty = True  # from here until the end, a crash may leave orphans for the next sync to sweep
    if not fresh:
        store.publish(m)
    row = 0
    for k, (lesson, chunks) in enumerate(zip(changed, per_lesson)):
        store.put(m.collection, chunks, vectors[row : row + len(chunks)] if chunks else np.zeros((0, 1)))
        row += len(chunks)
        m.lessons[lesson.id] = _entry(lesson, len(chunks))
        if not fresh:  # live collection: publish this lesson now, then drop its old chunks
            store.publish(m)
            store.delete_lesson(m.collection, lesson.id, keep_hash=lesson.content_hash)
        if progress:
            progress("writing", k + 1, len(changed))
    for lid in summary.moved:
        store.relocate(m.collection, lid, by_id[lid].path)
        m.lessons[lid].path = by_id[lid].path
    for lid in summary.removed:
        del m.lessons[lid]
        if not fresh:
            store.publish(m)
            store.delete_lesson(m.collection, lid)
    m.dirty = False
    store.publish(m)  # a fresh collection goes live here, all at once
