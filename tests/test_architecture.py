"""Imports go one way, and each third-party library has one home module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOMES = {
    "sentence_transformers": {"tutor/models/embedder.py"},
    "torch": {"tutor/models/embedder.py"},
    "chromadb": {"tutor/store/chroma.py"},
    "llama_cpp": {"tutor/models/llm_local.py"},
    "httpx": {"tutor/models/llm_server.py"},
    "langchain_text_splitters": {"tutor/ingest/chunking.py"},
    "bm25s": {"tutor/search/keywords.py", "tutor/text/words.py"},  # the index; its stop word lists per language
    "Stemmer": {"tutor/text/words.py"},
    "tqdm": {"tutor/terminal.py"},
    "gradio": {
        "ui/app.py",
        "ui/chat.py",
        "ui/practice.py",
        "ui/check_yourself.py",
        "ui/feedback.py",
        "ui/teacher.py",
        "ui/server.py",
    },  # page, chat turns, Practice, Check yourself, "Was this helpful?", teacher, launching the page (its type)
    "markdown_it": {"ui/markdown.py"},
    "starlette": {"ui/server.py"},
    "filelock": {"tutor/store/lock.py"},
    "watchfiles": {"tutor/watch.py"},
    "matplotlib": {"tutor/evaluation/plots.py"},
    "trafilatura": {"tutor/ingest/webpage.py"},
    "pypdf": {"tutor/ingest/pdf.py"},
    "sentencex": {"tutor/text/segment.py"},
    "babel": {"tutor/text/names.py"},
    "cachetools": {"tutor/answer/key_sentences.py"},
    "tenacity": {"tutor/store/reads.py"},
    "sklearn": set(),  # bench/fit.py only: the shipped weights are read with numpy
}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_each_library_is_imported_in_one_module():
    files = [p for d in ("tutor", "ui") for p in (ROOT / d).rglob("*.py")]
    for lib, homes in HOMES.items():
        users = {p.relative_to(ROOT).as_posix() for p in files if lib in imports(p)}
        assert users <= homes, f"{lib} imported outside {homes}: {users - homes}"


def test_core_never_imports_the_ui():
    for p in (ROOT / "tutor").rglob("*.py"):
        if p.name == "cli.py":
            continue  # the edge may start the UI (lazily, inside `tutor serve`)
        assert not imports(p) & {"ui", "gradio"}, p


def test_every_module_opens_with_a_docstring():
    for d in ("tutor", "ui", "bench"):
        for p in (ROOT / d).rglob("*.py"):
            assert ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))), p


def test_every_path_the_readme_names_exists():
    """The README's "How it works" and "Layout" name files; a move must update them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:tutor|ui|tests|bench|docs)/[\w./-]*)`", text))
    assert len(named) > 10, named
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"README.md names files that do not exist: {missing}"


def tutor_imports(path: Path) -> set[str]:
    """The tutor packages a module imports, as dotted names of two parts ("tutor.search")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        names |= {".".join(m.split(".")[:2]) for m in modules if m.startswith("tutor.")}
    return names


def test_language_knowledge_is_the_bottom_layer():
    # tutor/text reads words, sentences and question kinds for search and answer alike: it imports no other
    # part of the tutor, and search (which runs first) never reaches into answer
    for p in (ROOT / "tutor" / "text").rglob("*.py"):
        assert tutor_imports(p) <= {"tutor.text"}, p
    for p in (ROOT / "tutor" / "search").rglob("*.py"):
        assert "tutor.answer" not in tutor_imports(p), p
