"""Where the manifest and the writers' lock live: the seam that lets one ChunkStore use either home.

A `ManifestHome` reads the live manifest, gives a cheap key that changes with every publish (readers compare
it before each question and reload on change), publishes a new manifest (its generation bumped), and holds
the writers' lock for an index run. Two homes:

- `FileHome` (the embedded default): `INDEX_DIR/manifest.json` replaced atomically, keyed by its mtime and
  inode, and the OS file lock `INDEX_DIR/.lock` (tutor/store/lock.py).
- `ChromaHome` (tutor/store/shared.py): a record in a Chroma server, keyed by its generation, and a lease
  kept as a collection on that server, so every replica and every machine sees the same ones.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from tutor.store.lock import index_lock
from tutor.store.manifest import Manifest, manifest_mtime, read_manifest, write_manifest

OnWait = Callable[[str], None] | None


class ManifestHome(Protocol):
    """The live manifest and the writers' lock of one index."""

    where: str  # how messages name the index: "the index at DIR", "the index on the Chroma server at URL"

    def read(self) -> Manifest | None:
        """The manifest as stored now (None before the first index run)."""
        ...

    def key(self) -> Hashable:
        """A cheap value that changes with every publish (0 when there is no manifest)."""
        ...

    def publish(self, manifest: Manifest) -> Hashable:
        """Store `manifest` as the live one, its generation bumped; returns the new key."""
        ...

    def lock(self, timeout: float, on_wait: OnWait = None) -> AbstractContextManager[None]:
        """Hold the writers' lock for the body, waiting up to `timeout` s (then IndexBusy)."""
        ...


class FileHome:
    """The manifest file beside an embedded index, and the OS file lock."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self.where = f"the index at {self.index_dir}"

    def read(self) -> Manifest | None:
        return read_manifest(self.index_dir)

    def key(self) -> Hashable:
        return manifest_mtime(self.index_dir)

    def publish(self, manifest: Manifest) -> Hashable:
        write_manifest(self.index_dir, manifest)
        return manifest_mtime(self.index_dir)

    def lock(self, timeout: float, on_wait: OnWait = None) -> AbstractContextManager[None]:
        return index_lock(self.index_dir, timeout, on_wait)
