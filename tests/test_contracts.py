"""The core's small contracts: settings reachable as flags, Protocol test doubles, one composition point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.answer.turn import Turn
from tutor.build import build_tutor
from tutor.cli import parser
from tutor.flags import settings_of
from tutor.models import ports
from tutor.settings import Settings


def _example(name: str, settings: Settings) -> tuple[list[str], object]:
    """Command-line words setting field `name` to a value other than its default, and that value."""
    field = Settings.model_fields[name]
    flag = f"--{name.replace('_', '-')}"
    default = getattr(settings, name)
    if isinstance(default, bool):
        return ([f"--no-{flag[2:]}"] if default else [flag]), not default
    if isinstance(default, list):
        item = field.annotation.__args__[0]  # list[X]
        return [flag, "a", "b"], [item("a"), item("b")]
    choices = getattr(field.annotation, "__args__", ())
    if choices and all(isinstance(c, str) for c in choices):
        value = next(c for c in choices if c != default)
        return [flag, value], value
    kinds = [a for a in getattr(field.annotation, "__args__", (field.annotation,)) if a is not type(None)]
    kind = kinds[0] if kinds else str
    if kind is Path:
        return [flag, "some/dir"], Path("some/dir")
    if kind in (int, float):
        low = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
        low = next((m.gt for m in field.metadata if hasattr(m, "gt")), low)
        high = next((m.le for m in field.metadata if hasattr(m, "le")), None)
        value = (low + 1 if low is not None else 3) if high is None else high
        value = kind(value)
        if value == default:
            value = kind(value - 1) if high is not None else kind(value + 1)
        return [flag, str(value)], value
    return [flag, "xyz"], "xyz"


def test_every_setting_is_a_flag_of_every_command(monkeypatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)  # no tutor.toml here
    for key in [k for k in __import__("os").environ if k.startswith("TUTOR_")]:
        monkeypatch.delenv(key)
    defaults = Settings()
    commands = ["index", "lessons", "config", "search", "ask", "chat", "serve", "eval"]
    for name in Settings.model_fields:
        words, value = _example(name, defaults)
        for command in commands:
            got = settings_of(parser().parse_args([command, *words]))
            shown = getattr(got, name)
            shown = shown.get_secret_value() if hasattr(shown, "get_secret_value") else shown
            assert shown == value, (command, name, words)
    # the README's short names still work
    got = settings_of(parser().parse_args(["search", "q", "--index", "i", "--lessons", "l"]))
    assert (got.index_dir, got.lessons_dir) == (Path("i"), Path("l"))


class EchoGenerator:
    """A test double: no class to inherit, only the Generator contract's shape."""

    gpu_offload = False
    model_path = Path("echo.gguf")
    parallel = 1

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def render(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        return "\n".join(m["content"] for m in messages), []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def truncate(self, text: str, max_tokens: int) -> str:
        return " ".join(text.split()[:max_tokens])

    def stream(self, prompt: str, stop: list[str], **kw: object) -> Iterator[str]:
        self.prompts.append(prompt)
        yield "What does a mixture-of-experts model give up?"

    def complete(self, prompt: str, stop: list[str], **kw: object) -> str:
        return "".join(self.stream(prompt, stop))


def test_a_test_double_is_a_generator_and_drives_the_rewrite(corpus_index, embedder):
    settings, store = corpus_index
    echo = EchoGenerator()
    assert isinstance(echo, ports.Generator) and isinstance(embedder, ports.Embedder)
    tutor = build_tutor(
        settings.model_copy(update={"rewrite_followups": True}), store=store, embedder=embedder, llm=echo
    )
    r = tutor.retrieve("And its drawbacks?", [Turn("How does mixture-of-experts work?", "It routes tokens.")])
    assert r.query == "What does a mixture-of-experts model give up?" and len(echo.prompts) == 1
    assert r.passages and sum(echo.count_tokens(p.chunk.text) + 12 for p in r.passages) <= settings.context_tokens + 400


def test_search_never_loads_the_model(corpus_index, embedder):
    settings, store = corpus_index
    loads: list[int] = []

    def load() -> ports.Generator:
        loads.append(1)
        return EchoGenerator()

    tutor = build_tutor(settings, store=store, embedder=embedder, llm=ports.LazyGenerator(load))
    assert tutor.search("How does self-attention work?").passages and loads == []
    assert tutor.llm.count_tokens("two words") == 2 and tutor.llm.count_tokens("x") == 1 and loads == [1]


def test_one_retrieval_path_embeds_the_question_once(corpus_index, embedder, monkeypatch):
    settings, store = corpus_index
    tutor = build_tutor(settings, store=store, embedder=embedder, llm=EchoGenerator())
    seen: list[str] = []
    original = embedder.embed

    def spy(texts, *a, **kw):  # type: ignore[no-untyped-def]
        seen.extend(texts)
        return original(texts, *a, **kw)

    monkeypatch.setattr(embedder, "embed", spy)
    first = Turn("What is retrieval-augmented generation?", "It adds retrieved passages to the prompt.")
    first.lessons, first.passages = tutor.retrieve(first.question).lessons[:1], []
    seen.clear()
    r = tutor.retrieve("Why does it help?", [first])  # a follow-up: searched alone first, then with the last question
    assert seen.count("Why does it help?") == 1, seen
    assert r.query == "What is retrieval-augmented generation? Why does it help?"
    assert r.query_vector is not None and seen.count(r.query) == 1


@pytest.mark.parametrize("language", [None, "es"])
def test_search_and_a_turn_retrieve_alike(corpus_index, embedder, language: str | None):
    settings, store = corpus_index
    tutor = build_tutor(settings, store=store, embedder=embedder, llm=EchoGenerator())
    from tutor.search.retriever import Filters

    q = "¿Qué es la generación aumentada por recuperación?" if language else "What is self-attention?"
    a, b = tutor.search(q), tutor.retrieve(q)
    assert [p.chunk.id for p in a.passages][:2] == [p.chunk.id for p in b.passages][:2]
    assert {p.chunk.language for p in a.passages} == {language or "en"}
    assert tutor.search(q, Filters(language="en")).passages[0].chunk.language == "en"
