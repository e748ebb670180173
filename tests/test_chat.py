"""`tutor chat` in a real terminal session, and the optional LLM rewrite of follow-up questions."""

from __future__ import annotations

import subprocess
import sys

from tutor.answer.turn import Turn
from tutor.build import build_tutor


def test_terminal_chat_streams_answers_with_sources_and_follow_ups(corpus_index):
    settings, _ = corpus_index
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "tutor.cli",
            "chat",
            "--index",
            str(settings.index_dir),
            "--lessons",
            str(settings.lessons_dir),
        ],
        input="What is retrieval-augmented generation?\nWhy does it help with hallucinations?\n\n",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "GPU offload:" in out  # reported at start
    assert out.count("you> ") >= 3
    assert out.count("lessons/en/retrieval-augmented-generation.mdx") >= 2  # sources printed after each answer


def test_llm_rewrite_of_follow_ups_is_what_gets_searched(corpus_index, embedder, llm, monkeypatch):
    """The real model is asked to rewrite (its prompt holds the history and the follow-up); whatever the
    rewrite says is the query searched. The spy lets the model run, then returns a known rewrite, so the test
    proves the rewrite was used rather than the question or the usual follow-up query."""
    settings, store = corpus_index
    calls: list[tuple[str, str]] = []
    original = llm.complete
    rewrite = "What are the drawbacks of mixture-of-experts models?"

    def spy(prompt, stop, **kw):
        calls.append((prompt, original(prompt, stop, **kw)))
        return rewrite + "\nextra line the tutor ignores"

    monkeypatch.setattr(llm, "complete", spy)
    rewriting = build_tutor(
        settings.model_copy(update={"rewrite_followups": True}), store=store, embedder=embedder, llm=llm
    )
    first = Turn(
        "How does mixture-of-experts work?",
        "It routes each token to a few experts.",
        ["large-language-models/en/the-scaling-debate"],
    )
    r = rewriting.retrieve("What are its drawbacks?", [first])
    assert len(calls) == 1 and "What are its drawbacks?" in calls[0][0] and "mixture-of-experts" in calls[0][0]
    assert r.query == rewrite and r.passages
    plain = build_tutor(settings, store=store, embedder=embedder, llm=llm).retrieve("What are its drawbacks?", [first])
    assert plain.query != rewrite and len(calls) == 1  # without the setting, no LLM call and another query
