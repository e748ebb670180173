"""`tutor chat` in a real terminal session, and the optional LLM rewrite of follow-up questions."""

from __future__ import annotations

import subprocess
import sys

from tutor.settings import Settings
from tutor.answer.turn import Turn, Tutor


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


def test_llm_rewrite_of_follow_ups_runs_with_a_real_model(corpus_index, embedder, llm, monkeypatch):
    settings, store = corpus_index
    calls: list[str] = []
    original = llm.complete

    def spy(prompt, stop, **kw):
        calls.append(prompt)
        return original(prompt, stop, **kw)

    monkeypatch.setattr(llm, "complete", spy)
    rewriting = Tutor(Settings(**{**settings.model_dump(), "rewrite_followups": True}), store, embedder, llm)
    first = Turn(
        "How does mixture-of-experts work?",
        "It routes each token to a few experts.",
        ["large-language-models/en/the-scaling-debate"],
    )
    r = rewriting.retrieve("What are its drawbacks?", [first])
    assert len(calls) == 1 and "What are its drawbacks?" in calls[0] and "mixture-of-experts" in calls[0]
    assert r.passages and r.query.strip()  # the model's rewrite (or the question) is searched
