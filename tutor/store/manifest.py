"""The index manifest: which lesson versions are live, written atomically.

Chunks live in Chroma; the manifest says which of them readers may see: for each lesson id its content hash,
and the collection in use. A sync first adds a lesson's new chunks, then swaps the manifest (write to a
temporary file, fsync, rename), then deletes the old chunks. A reader filters hits through the manifest it
holds, so it sees a lesson wholly old or wholly new, and a crash at any step leaves a usable index; the
`dirty` flag tells the next sync to sweep chunks that no manifest entry owns.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tutor.errors import IndexMismatch
from tutor.models.embedder import NAME, RECORDED

MANIFEST = "manifest.json"
FORMAT = 1


@dataclass
class LessonEntry:
    hash: str
    path: str
    title: str
    program: str
    language: str
    slug: str
    chunks: int
    description: str = ""
    order: float | None = None
    quizzes: list[dict[str, Any]] = field(default_factory=list)  # answer keys: never sent to the LLM


@dataclass
class Manifest:
    embedder: str = ""
    chunker: str = ""
    max_tokens: int = 0
    collection: str = ""
    lessons_dir: str = ""
    indexed_at: float = 0.0
    generation: int = 0  # bumped on every write; readers cache derived data (BM25) by it
    dirty: bool = False
    lessons: dict[str, LessonEntry] = field(default_factory=dict)

    def require_model(self, embedder: str) -> None:
        """Raise IndexMismatch when the index's vectors come from another embedding model than `embedder` (its
        name), the one that embeds the questions; their number types may differ ('f32' or 'int8' vectors of
        one model are close)."""
        before, now = (name.split(":")[0] for name in (self.embedder, embedder))
        if before and before != now:
            before, now = (NAME if n == RECORDED else n for n in (before, now))
            raise IndexMismatch(
                f"the index was built with the embedding model {before} and questions would be embedded with "
                f"{now}: run `tutor index` to rebuild it with {now}, or set TUTOR_EMBEDDING_MODEL={before}"
            )

    @property
    def live(self) -> set[tuple[str, str]]:
        return {(lid, e.hash) for lid, e in self.lessons.items()}

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["format"] = FORMAT
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Manifest:
        lessons = {k: LessonEntry(**v) for k, v in d.get("lessons", {}).items()}
        fields = {k: v for k, v in d.items() if k in cls.__dataclass_fields__ and k != "lessons"}
        return cls(**fields, lessons=lessons)


def read_manifest(index_dir: Path) -> Manifest | None:
    path = Path(index_dir) / MANIFEST
    try:
        return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Atomic replace: a reader or a crash sees the old file or the new one, never a mix."""
    manifest.generation += 1
    manifest.indexed_at = time.time()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest.to_json(), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / MANIFEST)


def manifest_mtime(index_dir: Path) -> int:
    """A key that changes with every write: mtime and inode (each atomic replace makes a new file, so two
    writes within the file system's timestamp granularity still differ); 0 when there is no manifest."""
    try:
        st = (Path(index_dir) / MANIFEST).stat()
    except FileNotFoundError:
        return 0
    return hash((st.st_mtime_ns, st.st_ino, st.st_size)) or 1
