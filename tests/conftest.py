"""Shared fixtures: the real embedder, the real llama.cpp model and a real Chroma index, loaded once.

Lessons and passages for tests are written here (small, original) or read from the project's own corpus/.
Nothing here reads ../shared.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tutor.events import Source

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# the embedding model the fixtures index with, for every process a test starts too (unnamed, corpus/'s two
# languages would pick the multilingual one: tutor/build.py `embedding_model`; tests/test_multilingual.py
# runs the unnamed choice)
os.environ.setdefault("TUTOR_EMBEDDING_MODEL", "all-MiniLM-L6-v2")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def run_cli(*args: str, **kw: object) -> subprocess.CompletedProcess:
    """`tutor ARGS...` in a fresh process, output captured as text."""
    return subprocess.run([sys.executable, "-m", "tutor.cli", *args], capture_output=True, text=True, **kw)


def lesson(title: str, body: str, **meta: object) -> str:
    """An MDX lesson with frontmatter."""
    fm = "\n".join([f'title: "{title}"', *(f"{k}: {v}" for k, v in meta.items())])
    return f"---\n{fm}\n---\n\n# {title}\n\n{textwrap.dedent(body).strip()}\n"


MINI = {
    "photosynthesis.mdx": lesson(
        "Photosynthesis",
        """
        ## How plants make food

        Plants capture light with chlorophyll in their leaves and turn carbon dioxide and water into glucose.
        Oxygen is released as a by-product of this reaction.

        <Quiz question="Which pigment captures light in leaves?" options="Chlorophyll|Haemoglobin|Melanin" answer="0" explanation="Chlorophyll absorbs red and blue light." />

        ## Where it happens

        The reactions take place inside chloroplasts, small green organelles found in plant cells.
        """,
        order=1,
    ),
    "volcanoes.mdx": lesson(
        "Volcanoes",
        """
        ## Why volcanoes erupt

        Magma rises because it is less dense than the surrounding rock. Gas dissolved in the magma expands
        as pressure drops, and when the pressure is released suddenly the volcano erupts.

        <FunFact>
        Olympus Mons on Mars is the tallest known volcano in the solar system.
        </FunFact>
        """,
        order=2,
    ),
}


# --- passages for the key-sentence and attribution tests -------------------------------------------------
def src(number: int, text: str, title: str = "Plants", breadcrumb: str = "Plants > Leaves") -> Source:
    return Source(
        number=number,
        chunk_id=f"t{number}:{hash(text)}",
        lesson_id=f"p/en/l{number}",
        path="l.mdx",
        title=title,
        breadcrumb=breadcrumb,
        anchor="",
        language="en",
        program="p",
        start=0,
        end=len(text),
        score=1.0,
        similarity=0.5,
        text=text,
    )


LEAVES = (
    "Leaves are the kitchens of a plant. Chlorophyll in the leaves captures sunlight. This energy turns water "
    "and carbon dioxide into glucose.\n\nA leaf has three main layers:\n\n- The epidermis, a thin protective skin.\n"
    "- The mesophyll, where most photosynthesis happens.\n- The veins, which carry water and sugar."
)


@pytest.fixture(scope="module")
def picker(embedder):
    from tutor.answer.key_sentences import KeySentencePicker

    return KeySentencePicker(embedder)


@pytest.fixture(scope="session")
def embedder():
    """The embedder with the backend TUTOR_EMBEDDING_BACKEND names (as `tutor` reads it), else the default:
    CI runs the answer and retrieval tests a second time under another backend."""
    from tutor.models.embedder import Embedder

    return Embedder(backend=os.environ.get("TUTOR_EMBEDDING_BACKEND", "fast"))


@pytest.fixture(scope="session")
def llm():
    from tutor.models.llm_local import LocalLLM

    return LocalLLM(n_ctx=4096)


@pytest.fixture
def mini_dir(tmp_path: Path) -> Path:
    d = tmp_path / "lessons"
    d.mkdir()
    for name, text in MINI.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, embedder):
    """The bundled corpus indexed once into a scratch index: (settings, store)."""
    from tutor.settings import Settings
    from tutor.store.chroma import ChunkStore
    from tutor.store.sync import sync_index

    base = tmp_path_factory.mktemp("corpus")
    lessons = base / "lessons"
    shutil.copytree(CORPUS, lessons)
    settings = Settings(lessons_dir=lessons, index_dir=base / "index")
    store = ChunkStore(settings.index_dir)
    sync_index(settings.lessons_dir, store, embedder)
    return settings, store


@pytest.fixture(scope="session")
def tutor(corpus_index, embedder, llm):
    from tutor.build import build_tutor

    settings, store = corpus_index
    return build_tutor(settings, store=store, embedder=embedder, llm=llm)


# --- a model server (llama-cpp-python's, with the packaged GGUF) on 127.0.0.1, stopped by PID ---------------
def start_model_server(port: int, *extra: str, log: Path | None = None, wait_s: float = 120.0) -> subprocess.Popen:
    """`python -m llama_cpp.server` on 127.0.0.1:`port`, returned once /v1/models answers."""
    import time
    import urllib.error
    import urllib.request

    from tutor.models.llm_local import packaged_gguf

    # threads and batch sizes as the embedded LocalLLM uses them: the same arithmetic, so the same tokens
    threads = str(os.cpu_count() or 2)
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(packaged_gguf()), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "4096", "--interrupt_requests", "False", "--n_threads", threads,
           "--n_threads_batch", threads, "--n_batch", "512", "--n_ubatch", "512", *extra]  # fmt: skip
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (the child owns it)
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}: {cmd}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return proc
        except urllib.error.HTTPError:  # it answers (401 with --api_key): it is up
            return proc
        except OSError:
            time.sleep(0.3)
    stop_process(proc)
    raise RuntimeError(f"llama_cpp.server did not answer on port {port} within {wait_s} s")


def stop_process(proc: subprocess.Popen) -> None:
    """Stop one child we started, by its PID: terminate, then kill."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_fixture(*extra: str):
    proc = start_model_server(free_port(), *extra)
    try:
        yield f"http://127.0.0.1:{proc.args[proc.args.index('--port') + 1]}/v1"
    finally:
        stop_process(proc)


@pytest.fixture(scope="session")
def model_server():
    """The base URL (…/v1) of a llama_cpp.server serving the packaged GGUF."""
    yield from _server_fixture()


@pytest.fixture(scope="session")
def model_server_alias():
    """The same server under the model alias `tutor-smol`: the client cannot tell it is the local GGUF."""
    yield from _server_fixture("--model_alias", "tutor-smol")
