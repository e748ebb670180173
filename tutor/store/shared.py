"""The manifest and the writers' lock kept in a Chroma server, shared by every process that uses it.

The manifest is one record (id "manifest") in the collection PREFIX + "manifest": its document is the manifest
JSON, its metadata the generation and a random stamp. Readers fetch only that metadata before each question
(one small HTTP request) and reload the manifest when it changed, so every replica sees a re-index by any
other before its next question.

Chroma has no transactions, but creating a collection whose name exists fails, atomically, on the server.
The writers' lock is therefore the collection PREFIX + "lock", created by the run that holds it, with the
holder and an expiry (a lease of LEASE_S seconds, refreshed while the run lasts) in its metadata, and deleted
when the run ends. A lease left by a run that died expires; the next writer breaks it with a warning (one
breaker per dead lease: breaking also takes a marker collection named after the lease's token). Publishing
is a compare-and-set besides: the stored generation must still be the one this run started from, else
IndexBusy. This module does not import chromadb: it uses the client ChunkStore opened (tutor/store/chroma.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from tutor.errors import IndexBusy, IndexUnhealthy
from tutor.store.homes import OnWait
from tutor.store.manifest import Manifest

log = logging.getLogger(__name__)

RECORD = "manifest"
LEASE_S = 60.0  # a holder refreshes its lease every LEASE_S / 4; clocks of writers must agree within this
POLL_S = 0.5  # how often a waiting writer tries again
FIRST_TRY_S = 0.2  # as the file lock: a free lock is taken at once; past this the waiting message goes out


def from_server(exc: BaseException) -> bool:
    """Raised by the Chroma client or its HTTP layer (a server down, a refused or broken connection)."""
    top = type(exc).__module__.split(".")[0]
    return top in ("chromadb", "httpx", "httpcore") or "Could not connect to a Chroma server" in str(exc)


class ChromaHome:
    def __init__(self, client: Callable[[], Any], url: str, prefix: str):
        self._client = client  # the store's current client (it may reopen it)
        self.url = url
        self.prefix = prefix
        self.where = f"the index on the Chroma server at {url} (collections {prefix}*)"
        self.lock_name = f"{prefix}lock"
        self._col: Any = None

    def unreachable(self, exc: BaseException) -> IndexUnhealthy:
        return IndexUnhealthy(
            f"the Chroma server at {self.url} is not answering ({type(exc).__name__}): start it (`chroma run "
            "--path DIR --port P`) or fix TUTOR_CHROMA_URL, then ask again"
        )

    def _call(self, fn: Callable[[Any], Any]) -> Any:
        """fn(manifest collection); a vanished collection is looked up again once, a server error becomes
        one IndexUnhealthy saying what to do."""
        for attempt in (0, 1):
            try:
                if self._col is None:
                    self._col = self._client().get_or_create_collection(f"{self.prefix}{RECORD}")
                return fn(self._col)
            except Exception as exc:
                self._col = None
                if not from_server(exc):
                    raise
                if attempt:
                    raise self.unreachable(exc) from exc

    # --- the manifest ---------------------------------------------------------------------------------
    def read(self) -> Manifest | None:
        got = self._call(lambda c: c.get(ids=[RECORD], include=["documents"]))
        return Manifest.from_json(json.loads(got["documents"][0])) if got["ids"] else None

    def key(self) -> Hashable:
        got = self._call(lambda c: c.get(ids=[RECORD], include=["metadatas"]))
        if not got["ids"]:
            return 0
        md = got["metadatas"][0]
        return (int(md["generation"]), str(md["stamp"]))

    def publish(self, manifest: Manifest) -> Hashable:
        """Compare-and-set: the stored generation must be the one `manifest` was read at."""
        key = self.key()
        stored = key[0] if isinstance(key, tuple) else 0
        if stored != manifest.generation:
            raise IndexBusy(
                f"another index run published generation {stored} of {self.where} while this run, started from "
                f"generation {manifest.generation}, was writing: run `tutor index` again"
            )
        manifest.generation += 1
        manifest.indexed_at = time.time()
        stamp = uuid.uuid4().hex
        self._call(
            lambda c: c.upsert(
                ids=[RECORD],
                documents=[json.dumps(manifest.to_json())],
                metadatas=[{"generation": manifest.generation, "stamp": stamp}],
                embeddings=[[1.0]],  # Chroma wants a vector; the record is only ever fetched by id
            )
        )
        return (manifest.generation, stamp)

    # --- the writers' lock ----------------------------------------------------------------------------
    def _lease(self) -> dict[str, Any] | None:
        """The lock collection's metadata, None when nobody holds it."""
        try:
            return dict(self._client().get_collection(self.lock_name).metadata or {})
        except Exception as exc:
            if not from_server(exc) or "does not exist" not in str(exc):
                raise
            return None

    def _try_take(self, token: str) -> bool:
        holder = f"process {os.getpid()} on {socket.gethostname()}"
        meta = {"holder": holder, "token": token, "expires": time.time() + LEASE_S}
        try:
            self._client().create_collection(self.lock_name, metadata=meta, get_or_create=False)
            return True
        except Exception as exc:
            if not from_server(exc) or "already exists" not in str(exc):
                raise
            return False

    def _break(self, lease: dict[str, Any]) -> bool:
        """Delete an expired lease, once: only the run that creates its marker collection may (False: another
        run is breaking it). A marker left by a breaker that died expires in its turn."""
        client, marker = self._client(), f"{self.lock_name}_broken_{lease.get('token', 'none')}"
        try:
            client.create_collection(marker, metadata={"expires": time.time() + LEASE_S}, get_or_create=False)
        except Exception as exc:
            if not from_server(exc) or "already exists" not in str(exc):
                raise
            with contextlib.suppress(Exception):
                if float((client.get_collection(marker).metadata or {})["expires"]) < time.time():
                    client.delete_collection(marker)
            return False
        now = self._lease()
        if now and now.get("token") == lease.get("token"):
            log.warning("breaking the expired index lock of %s (its run died or stalled)", lease.get("holder"))
            client.delete_collection(self.lock_name)
        return True

    def _refresh(self, token: str, stop: threading.Event) -> None:
        while not stop.wait(LEASE_S / 4):
            try:
                lease = self._lease()
                if not lease or lease.get("token") != token:
                    log.error("the index lock on %s was taken from this run (its lease expired)", self.url)
                    return
                col = self._client().get_collection(self.lock_name)
                col.modify(metadata={**lease, "expires": time.time() + LEASE_S})
            except Exception as exc:  # a blip: the next refresh tries again, well within the lease
                log.warning("could not refresh the index lock on %s: %s", self.url, exc)

    @contextlib.contextmanager
    def lock(self, timeout: float, on_wait: OnWait = None) -> Iterator[None]:
        token, start, told = uuid.uuid4().hex, time.monotonic(), False
        try:
            while not self._try_take(token):
                lease = self._lease()
                if lease and float(lease.get("expires", 0)) < time.time() and self._break(lease):
                    continue
                who = f"another index run ({lease.get('holder')})" if lease else "another index run"
                waited = time.monotonic() - start
                if waited >= timeout:
                    raise IndexBusy(
                        f"{who} still holds {self.where} after {timeout:.0f} s: let it finish (or stop it) and "
                        "run `tutor index` again"
                    )
                if not told and waited >= min(FIRST_TRY_S, timeout):
                    told = True
                    message = f"{who} is writing {self.where}; waiting up to {timeout:.0f} s for it to finish"
                    (on_wait or log.warning)(message)
                time.sleep(min(POLL_S if told else 0.05, max(0.0, timeout - waited)))
        except IndexBusy:
            raise
        except Exception as exc:
            if from_server(exc):
                raise self.unreachable(exc) from exc
            raise
        stop = threading.Event()
        refresher = threading.Thread(target=self._refresh, args=(token, stop), name="index-lease", daemon=True)
        refresher.start()
        try:
            yield
        finally:
            stop.set()
            refresher.join()
            self._release(token)

    def _release(self, token: str) -> None:
        try:
            lease = self._lease()
            if lease and lease.get("token") == token:
                self._client().delete_collection(self.lock_name)
            for c in self._client().list_collections():  # markers of leases broken meanwhile
                name = c if isinstance(c, str) else c.name
                if name.startswith(f"{self.lock_name}_broken_"):
                    self._client().delete_collection(name)
        except Exception as exc:  # the lease expires by itself; the next run breaks it
            log.warning("could not release the index lock on %s: %s", self.url, exc)
