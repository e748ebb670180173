"""The Chroma adapter: the only module that imports chromadb.

`ChunkStore` keeps chunk vectors in an embedded `PersistentClient` (telemetry off, cosine space) and reads
them back through the manifest: hits from lesson versions the manifest does not list are dropped, so readers
never see a half-updated lesson. Embeddings are always computed by the project (Chroma's default embedding
function would download a model).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tutor.ingest.chunking import Chunk
from tutor.errors import IndexMissing, TutorError
from tutor.store.manifest import Manifest, manifest_mtime, read_manifest, write_manifest

log = logging.getLogger(__name__)

READ_PAGE = 5000  # rows per read of a whole collection


class ChunkStore:
    def __init__(self, index_dir: Path):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.index_dir = Path(index_dir)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._client = chromadb.PersistentClient(
                path=str(self.index_dir / "chroma"),
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )
        except Exception as exc:
            raise TutorError(f"cannot open the index at {self.index_dir}: {exc}; run `tutor index --rebuild`") from exc
        self._collections: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._manifest: Manifest | None = None
        self._manifest_key = -1
        self._batch = max(1, int(self._client.get_max_batch_size()))

    # --- manifest ---------------------------------------------------------------------------------
    def manifest(self) -> Manifest | None:
        """The live manifest, re-read when another process (or a sync here) replaced it."""
        key = manifest_mtime(self.index_dir)
        with self._lock:
            if key != self._manifest_key:
                self._manifest, self._manifest_key = read_manifest(self.index_dir), key
            return self._manifest

    def set_manifest(self, manifest: Manifest) -> None:
        """Called by the sync right after writing the manifest file, so this process sees it at once."""
        with self._lock:
            self._manifest, self._manifest_key = manifest, manifest_mtime(self.index_dir)

    def publish(self, manifest: Manifest) -> None:
        """Make `manifest` the live one: written atomically (its generation bumped), and seen by this process
        at once. The only way the sync replaces the manifest."""
        with self._lock:
            write_manifest(self.index_dir, manifest)
            self._manifest, self._manifest_key = manifest, manifest_mtime(self.index_dir)

    def require(self) -> Manifest:
        m = self.manifest()
        if m is None or not m.collection:
            raise IndexMissing(f"no index at {self.index_dir}: run `tutor index` first")
        return m

    # --- collections ------------------------------------------------------------------------------
    def collection(self, name: str) -> Any:
        if name not in self._collections:
            self._collections[name] = self._client.get_or_create_collection(
                name, metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
        return self._collections[name]

    def drop_collection(self, name: str) -> None:
        self._collections.pop(name, None)
        try:
            self._client.delete_collection(name)
        except Exception as exc:  # already gone is fine
            log.debug("drop %s: %s", name, exc)

    def collection_names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self._client.list_collections()]

    # --- writes -----------------------------------------------------------------------------------
    def put(self, name: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        col = self.collection(name)
        for i in range(0, len(chunks), self._batch):
            part = chunks[i : i + self._batch]
            col.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[i : i + self._batch].tolist(),
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],  # type: ignore[misc]
            )

    def delete_lesson(self, name: str, lesson_id: str, keep_hash: str | None = None) -> None:
        where: dict[str, Any] = {"lesson_id": lesson_id}
        if keep_hash:
            where = {"$and": [where, {"lesson_hash": {"$ne": keep_hash}}]}
        self.collection(name).delete(where=where)

    def relocate(self, name: str, lesson_id: str, path: str) -> None:
        """A moved lesson with unchanged text: update its chunks' path, keep their vectors."""
        col = self.collection(name)
        got = col.get(where={"lesson_id": lesson_id}, include=["metadatas"])
        metas = [{**m, "path": path} for m in got["metadatas"]]
        if got["ids"]:
            col.update(ids=got["ids"], metadatas=metas)

    def _read_all(self, col: Any, include: list[str]) -> dict[str, list[Any]]:
        """The whole collection, read in pages: SQLite refuses one read of more than 32,766 rows."""
        out: dict[str, list[Any]] = {"ids": [], **{k: [] for k in include}}
        seen: set[str] = set()
        for offset in range(0, col.count(), READ_PAGE):
            got = col.get(include=include, limit=READ_PAGE, offset=offset)
            for j, cid in enumerate(got["ids"]):
                if cid not in seen:
                    seen.add(cid)
                    out["ids"].append(cid)
                    for k in include:
                        out[k].append(got[k][j])
        return out

    def sweep_orphans(self, name: str, manifest: Manifest) -> int:
        """Delete chunks no manifest entry owns (left by a crash); returns how many."""
        col = self.collection(name)
        got = self._read_all(col, ["metadatas"])
        live = manifest.live
        stale = [i for i, m in zip(got["ids"], got["metadatas"]) if (m["lesson_id"], m["lesson_hash"]) not in live]
        for i in range(0, len(stale), self._batch):
            col.delete(ids=stale[i : i + self._batch])
        return len(stale)

    # --- reads ------------------------------------------------------------------------------------
    def all_chunks(self) -> tuple[Manifest, list[Chunk]]:
        """Every live chunk, in lesson and file order (for BM25 and the lesson listing)."""
        m = self.require()
        got = self._read_all(self.collection(m.collection), ["documents", "metadatas"])
        live = m.live
        chunks = [
            Chunk.from_metadata(i, d, md)
            for i, d, md in zip(got["ids"], got["documents"], got["metadatas"])
            if (md["lesson_id"], md["lesson_hash"]) in live
        ]
        chunks.sort(key=lambda c: (c.lesson_id, c.start))
        return m, chunks

    def live_vectors(self) -> tuple[Manifest, list[Chunk], np.ndarray]:
        """Every live chunk with its stored unit vector (float32 rows, in the chunks' order), read in pages:
        what the retriever holds in memory for exact dense search."""
        m = self.require()
        got = self._read_all(self.collection(m.collection), ["documents", "metadatas", "embeddings"])
        live = m.live
        rows = [
            (Chunk.from_metadata(i, d, md), e)
            for i, d, md, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
            if (md["lesson_id"], md["lesson_hash"]) in live
        ]
        rows.sort(key=lambda r: (r[0].lesson_id, r[0].start))
        matrix = np.asarray([e for _, e in rows], dtype=np.float32).reshape(len(rows), -1)
        return m, [c for c, _ in rows], matrix

    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[tuple[Chunk, float]]:
        """Chroma's approximate (HNSW) nearest live chunks with cosine similarity (1 - cosine distance), best
        first. The tutor does not search this way (its retriever scores every live vector exactly, see
        tutor/search/retriever.py): after many deletes and re-adds HNSW misses close chunks. Kept for
        bench/retrieval.py, which measures that loss."""
        m = self.require()
        res = self.collection(m.collection).query(
            query_embeddings=[vector.tolist()],
            n_results=n,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        live = m.live
        out = []
        for i, d, md, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]):
            if (md["lesson_id"], md["lesson_hash"]) in live:
                out.append((Chunk.from_metadata(i, d, md), 1.0 - float(dist)))
        return out

    def chunks(self, ids: list[str]) -> list[Chunk]:
        """The live chunks among `ids`, in the order given (gone or replaced ones are skipped)."""
        if not ids:
            return []
        m = self.require()
        got = self.collection(m.collection).get(ids=ids, include=["documents", "metadatas"])
        live = m.live
        found = {
            i: Chunk.from_metadata(i, d, md)
            for i, d, md in zip(got["ids"], got["documents"], got["metadatas"])
            if (md["lesson_id"], md["lesson_hash"]) in live
        }
        return [found[i] for i in ids if i in found]

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors of the given chunk ids (for sentence-support checks)."""
        if not ids:
            return {}
        m = self.require()
        got = self.collection(m.collection).get(ids=ids, include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}
