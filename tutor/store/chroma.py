"""The Chroma adapter: the only module that imports chromadb.

`ChunkStore` keeps chunk vectors in an embedded `PersistentClient` under INDEX_DIR, or, with `url` set
(TUTOR_CHROMA_URL), on a Chroma server through an `HttpClient` (telemetry off, cosine space either way). It
reads them back through the manifest: hits from lesson versions the manifest does not list are dropped, so
readers never see a half-updated lesson. The manifest and the writers' lock live in the store's `home`
(tutor/store/homes.py): files beside an embedded index, the server itself for a shared one. Embeddings are
always computed by the project (Chroma's default embedding function would download a model).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Hashable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from tutor.errors import ConfigError, IndexMissing, IndexUnhealthy, TutorError
from tutor.ingest.chunking import Chunk
from tutor.store import health
from tutor.store.homes import FileHome, ManifestHome, OnWait
from tutor.store.manifest import Manifest
from tutor.store.reads import LiveReads
from tutor.store.shared import ChromaHome

log = logging.getLogger(__name__)

COLLECTION_PREFIX = "chunks_"  # every collection the sync creates; others in the folder are left alone
SERVER_PREFIX = "tutor_"  # on a server: PREFIX + "chunks_<id>", PREFIX + "manifest", PREFIX + "lock"
_UNSET: Hashable = object()  # no manifest key read yet
STALE = "the index was updated by another process"
CREATE_RACE = re.compile(r"already exists|database is locked", re.I)  # another process is setting up the index
OPEN_RETRY_S = 20.0


class ChunkStore(LiveReads):
    def __init__(self, index_dir: Path, url: str | None = None, prefix: str = SERVER_PREFIX):
        """An embedded index under `index_dir`, or with `url` (http://HOST:PORT) the collections named
        `prefix`* on that Chroma server (`index_dir` is then unused here)."""
        self.index_dir = Path(index_dir)
        self.url = url.rstrip("/") if url else None
        self.home: ManifestHome
        if self.url:
            self._shared = ChromaHome(lambda: self._client, self.url, prefix)
            self.home, self.collection_prefix = self._shared, f"{prefix}chunks_"
        else:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self.home, self.collection_prefix = FileHome(self.index_dir), COLLECTION_PREFIX
        self._client = self._open_client()
        self._collections: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._manifest: Manifest | None = None
        self._manifest_key = _UNSET
        self._batch = max(1, int(self._client.get_max_batch_size()))

    # --- manifest ---------------------------------------------------------------------------------
    def manifest(self) -> Manifest | None:
        """The live manifest, re-read when another process (or a sync here) replaced it."""
        key = self.home.key()
        with self._lock:
            if key != self._manifest_key:
                if self._manifest_key is not _UNSET:  # another process wrote the index (our writes set the key)
                    self._reopen_locked(STALE)
                self._manifest, self._manifest_key = self.home.read(), key
            return self._manifest

    def set_manifest(self, manifest: Manifest) -> None:
        """Called by the sync right after writing the manifest, so this process sees it at once."""
        with self._lock:
            self._manifest, self._manifest_key = manifest, self.home.key()

    def publish(self, manifest: Manifest) -> None:
        """Make `manifest` the live one: written atomically (its generation bumped), and seen by this process
        at once. The only way the sync replaces the manifest."""
        with self._lock:
            self._manifest_key = self.home.publish(manifest)
            self._manifest = manifest

    def read_manifest(self) -> Manifest | None:
        """The manifest as stored now, not this process's copy (what an index run starts from)."""
        return self.home.read()

    def writer_lock(self, timeout: float, on_wait: OnWait = None) -> AbstractContextManager[None]:
        """The writers' lock of this index, held by every index run (tutor/store/homes.py)."""
        return self.home.lock(timeout, on_wait)

    def require(self) -> Manifest:
        m = self.manifest()
        if m is None or not m.collection:
            where = f"at {self.index_dir}" if not self.url else f"on the Chroma server at {self.url}"
            raise IndexMissing(f"no index {where}: run `tutor index` first")
        return m

    def read_error(self, exc: BaseException) -> TutorError:
        """What a learner reads when a read failed twice (tutor/store/reads.py)."""
        if self.url:
            return self._shared.unreachable(exc)
        return IndexUnhealthy(
            f"the index at {self.index_dir} cannot be read ({type(exc).__name__}); run `tutor index --check`, "
            "then `tutor index --rebuild` if it reports a problem"
        )

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

    def existing(self, name: str) -> Any:
        """The collection `name`, without creating it (a Chroma error when it is missing)."""
        return self._client.get_collection(name, embedding_function=None)

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

    def sweep_orphans(self, name: str, manifest: Manifest) -> int:
        """Delete chunks no manifest entry owns (left by a crash); returns how many."""
        col = self.collection(name)
        got = self.read_all(col, ["metadatas"])
        live = manifest.live
        stale = [i for i, m in zip(got["ids"], got["metadatas"]) if (m["lesson_id"], m["lesson_hash"]) not in live]
        for i in range(0, len(stale), self._batch):
            col.delete(ids=stale[i : i + self._batch])
        return len(stale)

    # --- recovery and health (readers follow writers; leftovers of killed runs) ----------------------------
    def _open_client(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        if self.url:
            parts = urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
                raise ConfigError(f"TUTOR_CHROMA_URL {self.url!r} is not like http://HOST:PORT: fix it")
            try:
                return chromadb.HttpClient(
                    host=parts.hostname,
                    port=parts.port or (443 if parts.scheme == "https" else 8000),
                    ssl=parts.scheme == "https",
                    settings=ChromaSettings(anonymized_telemetry=False),
                )
            except Exception as exc:
                raise self._shared.unreachable(exc) from exc
        from chromadb.api.shared_system_client import SharedSystemClient

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        path = str(self.index_dir / "chroma")
        deadline = time.monotonic() + OPEN_RETRY_S
        while True:
            try:
                return chromadb.PersistentClient(path=path, settings=settings)
            except Exception as exc:
                # two processes creating one new index race in Chroma's table set-up ("table collections already
                # exists"): the loser opens again once the winner is done; its half-started System is dropped
                SharedSystemClient._identifier_to_system.pop(path, None)
                if not CREATE_RACE.search(str(exc)) or time.monotonic() > deadline:
                    raise TutorError(
                        f"cannot open the index at {self.index_dir}: {exc}; run `tutor index --rebuild`"
                    ) from exc
                log.info("opening %s again: %s", path, exc)
                time.sleep(0.2)

    def reopen(self, why: str) -> None:
        """Drop this process's Chroma state and open the index afresh (from disk, or a new server client)."""
        with self._lock:
            self._reopen_locked(why)
            self._manifest, self._manifest_key = self.home.read(), self.home.key()

    def _reopen_locked(self, why: str) -> None:
        """Chroma keeps one System per path per process, with segment state read at open; after another
        process wrote the index that state is stale ("Error finding id"), so the System is stopped and
        forgotten, and the next client builds a fresh one."""
        from chromadb.api.shared_system_client import SharedSystemClient

        log.info("reopening %s: %s", self.home.where, why)
        self._collections = {}
        if self.url:  # a server keeps no state in this process: a fresh client only after a failure
            if why != STALE:
                self._client, old = self._open_client(), self._client  # opened first: a failed open keeps the old
                with contextlib.suppress(Exception):
                    SharedSystemClient._identifier_to_system.pop(getattr(old, "_identifier", ""), old._system).stop()
            return
        identifier = getattr(self._client, "_identifier", None)
        system = SharedSystemClient._identifier_to_system.pop(identifier, None) if identifier else None
        if system is not None:
            try:
                system.stop()
            except Exception as exc:  # a half-broken System may fail to stop; it is dropped either way
                log.debug("stopping the old Chroma system: %s", exc)
        self._client = self._open_client()

    def sweep_orphan_collections(self, keep: str) -> list[str]:
        """Drop collections the manifest does not name (left by a killed first index or --rebuild).
        Call only while holding the index lock: a running sync's new collection is not yet named."""
        orphans = [n for n in self.collection_names() if n.startswith(self.collection_prefix) and n != keep]
        for name in orphans:
            self.drop_collection(name)
        if orphans:
            log.warning("removed %d collection(s) left by interrupted index runs", len(orphans))
        return orphans

    def check(self) -> list[str]:
        """The index's health, as problems (empty: healthy): see tutor/store/health.py."""
        return health.check(self)
