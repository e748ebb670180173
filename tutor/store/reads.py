"""Reading live chunks through the manifest, on the question path: `LiveReads`, the read half of ChunkStore.

Every read filters rows by the manifest the store holds (hits from lesson versions it does not list are
dropped, so a reader never sees half a lesson), and is retried once on a fresh client after a Chroma or
server error; a second failure becomes the store's one-line TutorError, never a Chroma traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from tutor.errors import TutorError
from tutor.ingest.chunking import Chunk
from tutor.store.manifest import Manifest
from tutor.store.shared import from_server

log = logging.getLogger(__name__)

READ_PAGE = 5000  # rows per read of a whole collection
T = TypeVar("T")


def _from_chroma(exc: BaseException) -> bool:
    """Raised by Chroma: its Python layer, its Rust core, the SQLite under it, or the HTTP layer of a server."""
    return type(exc).__module__.split(".")[0] in ("chromadb", "chromadb_rust_bindings", "sqlite3") or from_server(exc)


def _recovering(method: Callable[..., T]) -> Callable[..., T]:
    """A read on the question path: on a Chroma error, reopen the client once and retry; a second failure
    becomes an IndexUnhealthy with what to do, never a Chroma error shown to a learner."""

    @functools.wraps(method)
    def read(self: LiveReads, *args: Any, **kwargs: Any) -> T:
        def reopen(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning("index read failed (%s): reopening the index and trying again", exc)
            self.reopen("a read failed")

        again = Retrying(
            stop=stop_after_attempt(2), retry=retry_if_exception(_from_chroma), before_sleep=reopen, reraise=True
        )
        try:
            return again(method, self, *args, **kwargs)
        except Exception as exc:
            if not _from_chroma(exc):
                raise
            raise self.read_error(exc) from exc

    return read


class LiveReads:
    """Reads for ChunkStore (tutor/store/chroma.py), which provides the methods below that raise here."""

    def require(self) -> Manifest:
        raise NotImplementedError

    def collection(self, name: str) -> Any:
        raise NotImplementedError

    def reopen(self, why: str) -> None:
        raise NotImplementedError

    def read_error(self, exc: BaseException) -> TutorError:
        raise NotImplementedError

    def read_all(self, col: Any, include: list[str]) -> dict[str, list[Any]]:
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

    @_recovering
    def all_chunks(self) -> tuple[Manifest, list[Chunk]]:
        """Every live chunk, in lesson and file order (for BM25 and the lesson listing)."""
        m = self.require()
        got = self.read_all(self.collection(m.collection), ["documents", "metadatas"])
        live = m.live
        chunks = [
            Chunk.from_metadata(i, d, md)
            for i, d, md in zip(got["ids"], got["documents"], got["metadatas"])
            if (md["lesson_id"], md["lesson_hash"]) in live
        ]
        chunks.sort(key=lambda c: (c.lesson_id, c.start))
        return m, chunks

    @_recovering
    def live_vectors(self) -> tuple[Manifest, list[Chunk], np.ndarray]:
        """Every live chunk with its stored unit vector (float32 rows, in the chunks' order), read in pages:
        what the retriever holds in memory for exact dense search."""
        m = self.require()
        got = self.read_all(self.collection(m.collection), ["documents", "metadatas", "embeddings"])
        live = m.live
        rows = [
            (Chunk.from_metadata(i, d, md), e)
            for i, d, md, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
            if (md["lesson_id"], md["lesson_hash"]) in live
        ]
        rows.sort(key=lambda r: (r[0].lesson_id, r[0].start))
        matrix = (
            np.asarray([e for _, e in rows], dtype=np.float32).reshape(len(rows), -1)
            if rows
            else np.zeros((0, 0), dtype=np.float32)  # an emptied index
        )
        return m, [c for c, _ in rows], matrix

    @_recovering
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

    @_recovering
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

    @_recovering
    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors of the given chunk ids (for sentence-support checks)."""
        if not ids:
            return {}
        m = self.require()
        got = self.collection(m.collection).get(ids=ids, include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}
