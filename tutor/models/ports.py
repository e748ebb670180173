"""The contracts the rest of the core codes against: an embedder and a generator (`typing.Protocol`).

The real parts (`models.embedder.Embedder`, `models.llm_local.LocalLLM`) satisfy them by shape, and so does
any test double with the same methods: nothing checks a concrete class. `LazyGenerator` is a generator
that loads the real one on first use, so commands that never generate (search, lessons) never load it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Text -> unit vectors (cosine similarity is a dot product), and text -> its word-piece count."""

    @property
    def name(self) -> str: ...  # identity recorded in the index: another model or precision, other vectors

    @property
    def max_seq_length(self) -> int: ...  # word pieces the model reads; longer texts are cut

    @property
    def language(self) -> str: ...  # the one language it was trained on ("en"), "" for a multilingual one

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """float32 unit vectors, shape (len(texts), dim); `progress(n)` after each batch of n texts."""
        ...

    def embed_query(self, texts: list[str]) -> np.ndarray:
        """A learner's words (questions): some models embed them apart from lesson text (e5's "query: ")."""
        ...

    def embed_one(self, text: str) -> np.ndarray: ...  # lesson text, one

    def token_len(self, text: str) -> int: ...

    def describe(self) -> str: ...  # the backend that runs and the CPU features that chose it, one line


@runtime_checkable
class Generator(Protocol):
    """A chat LLM: messages rendered with its own template, text streamed in pieces."""

    @property
    def gpu_offload(self) -> bool | None: ...  # whether its layers run on a GPU; None: unknown (on a server)

    @property
    def model_path(self) -> Path: ...

    @property
    def parallel(self) -> int: ...  # answers it writes at once: 1 in this process, a model server's slots

    def render(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        """(prompt text, stop strings)."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def truncate(self, text: str, max_tokens: int) -> str: ...

    def stream(
        self,
        prompt: str,
        stop: list[str],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        repeat_penalty: float = 1.15,
        stats: Any = None,  # a models.llm_local.GenerationStats, filled in
    ) -> Iterator[str]:
        """Text pieces as generated."""
        ...

    def complete(self, prompt: str, stop: list[str], **kw: Any) -> str: ...


class LazyGenerator:
    """A Generator that builds the real one (`load()`) on first use, once, even with several threads."""

    def __init__(self, load: Callable[[], Generator]):
        self._load = load
        self._real: Generator | None = None
        self._lock = threading.Lock()

    @property
    def real(self) -> Generator:
        if self._real is None:
            with self._lock:
                if self._real is None:
                    self._real = self._load()
        return self._real

    @property
    def gpu_offload(self) -> bool | None:
        return self.real.gpu_offload

    @property
    def model_path(self) -> Path:
        return self.real.model_path

    @property
    def parallel(self) -> int:
        return self.real.parallel

    def render(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        return self.real.render(messages)

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    def truncate(self, text: str, max_tokens: int) -> str:
        return self.real.truncate(text, max_tokens)

    def stream(
        self,
        prompt: str,
        stop: list[str],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        repeat_penalty: float = 1.15,
        stats: Any = None,
    ) -> Iterator[str]:
        return self.real.stream(
            prompt, stop, max_tokens=max_tokens, temperature=temperature, repeat_penalty=repeat_penalty, stats=stats
        )

    def complete(self, prompt: str, stop: list[str], **kw: Any) -> str:
        return self.real.complete(prompt, stop, **kw)
