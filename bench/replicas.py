"""Scratch collections grown to a given size by whole copies of a base index's lessons, for bench/retrieval.py.

Copy 0 is the base chunks, unchanged; copy r is every lesson again under `<slug>-rN` with its own content hash,
two words of each chunk's text swapped for other words of the same chunk (so BM25 sees distinct documents) and
the base vectors plus Gaussian noise, renormalised (no re-embedding: 100k texts would take hours on 2 cores).
The copies are written with `ChunkStore.put` and published in one Manifest, so the manifest filter admits them.
Import as `from bench.replicas import ...` with the project root on sys.path (bench/retrieval.py puts it there).
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from pathlib import PurePosixPath

import numpy as np

from bench.common import perturb_words, timed
from tutor.ingest.chunking import CHUNKER_VERSION, Chunk
from tutor.store.chroma import ChunkStore
from tutor.store.manifest import Manifest

NOISE = 0.01  # per-dimension sigma added to a unit vector before renormalising
FLUSH = 5_000  # chunks per ChunkStore.put call


class Replicas:
    """Grows one scratch collection by whole copies of the base lessons."""

    def __init__(self, store: ChunkStore, base: Manifest, chunks: list[Chunk], vectors: np.ndarray, name: str):
        self.store, self.base = store, base
        self.m = Manifest(
            embedder=name,
            chunker=CHUNKER_VERSION,
            max_tokens=base.max_tokens,
            collection="chunks_bench",
            lessons_dir=base.lessons_dir,
        )
        self.rows: dict[str, list[int]] = {}
        for i, c in enumerate(chunks):
            self.rows.setdefault(c.lesson_id, []).append(i)
        self.chunks, self.vectors = chunks, vectors
        self.copies = 0
        self.rng, self.np_rng = random.Random(0), np.random.default_rng(0)

    @property
    def n(self) -> int:
        return self.copies * len(self.chunks)

    def _copy(self, r: int) -> tuple[list[Chunk], np.ndarray]:
        out: list[Chunk] = []
        for lid, entry in self.base.lessons.items():
            rows = self.rows.get(lid, [])
            if r == 0:
                out += [self.chunks[i] for i in rows]
                self.m.lessons[lid] = entry
                continue
            new_lid, h = f"{lid}-r{r}", hashlib.sha256(f"{entry.hash}:{r}".encode()).hexdigest()[:16]
            p = PurePosixPath(entry.path)
            path, slug = str(p.with_name(f"{p.stem}-r{r}{p.suffix}")), f"{entry.slug}-r{r}"
            for k, i in enumerate(rows):
                c = self.chunks[i]
                text = perturb_words(c.text, self.rng)
                out.append(
                    dataclasses.replace(
                        c, id=f"{new_lid}#{h}:{k}", lesson_id=new_lid, lesson_hash=h, slug=slug, path=path, text=text
                    )
                )
            self.m.lessons[new_lid] = dataclasses.replace(entry, hash=h, path=path, slug=slug, quizzes=[])
        order = [i for lid in self.base.lessons for i in self.rows.get(lid, [])]
        vecs = self.vectors[order]
        if r:
            vecs = vecs + self.np_rng.normal(0.0, NOISE, vecs.shape).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        return out, vecs

    def grow_to(self, target: int) -> float:
        """Add copies until ~target chunks; returns the seconds spent in ChunkStore.put."""
        want = max(1, round(target / len(self.chunks)))
        put_s = 0.0
        pend_c: list[Chunk] = []
        pend_v: list[np.ndarray] = []
        while self.copies < want or pend_c:
            if self.copies < want:
                cs, vs = self._copy(self.copies)
                self.copies += 1
                pend_c += cs
                pend_v.append(vs)
            if len(pend_c) >= FLUSH or self.copies >= want:
                put_s += timed(self.store.put, self.m.collection, pend_c, np.concatenate(pend_v))[0]
                pend_c, pend_v = [], []
        self.store.publish(self.m)  # the new copies go live here
        return put_s
