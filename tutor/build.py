"""The one composition point: wire real parts from settings; tests pass other parts as arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tutor.models.embedder import Embedder
from tutor.store.chroma import ChunkStore
from tutor.models.llm_local import LocalLLM
from tutor.settings import Settings
from tutor.ingest.sync import Progress, SyncSummary, sync_index
from tutor.answer.turn import Tutor


def build_embedder(settings: Settings) -> Embedder:
    return Embedder(settings.embedding_model, settings.embedding_backend, settings.embedding_batch_size)


def build_llm(settings: Settings) -> LocalLLM:
    return LocalLLM(
        settings.model,
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        n_gpu_layers=settings.n_gpu_layers,
        seed=settings.seed,
    )


def build_store(settings: Settings) -> ChunkStore:
    return ChunkStore(settings.index_dir)


def build_tutor(
    settings: Settings,
    *,
    store: ChunkStore | None = None,
    embedder: Embedder | None = None,
    llm: LocalLLM | Callable[[], LocalLLM] | None = None,
) -> Tutor:
    """A Tutor from settings; the LLM loads on first use unless one is passed."""
    return Tutor(
        settings,
        store or build_store(settings),
        embedder or build_embedder(settings),
        llm or (lambda: build_llm(settings)),
    )


def reindex(tutor: Tutor, *, rebuild: bool = False, progress: Progress | None = None, **kw: Any) -> SyncSummary:
    """Run the incremental index for the tutor's lessons directory with the tutor's own parts, then build
    the keyword index so the next question does not wait for it."""
    summary = sync_index(
        tutor.settings.lessons_dir,
        tutor.store,
        tutor.embedder,
        max_tokens=tutor.settings.chunk_max_tokens,
        rebuild=rebuild,
        progress=progress,
        **kw,
    )
    tutor.retriever.warm()
    return summary
