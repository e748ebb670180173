"""Simulated learners for bench/load.py: each opens its own session on the page through its API (gradio_client)
and holds a conversation of a first question and two follow-ups, timing what it sees in the page's streaming
bubble: the first text (the lessons' key sentences may come first), the first model token, the whole answer.

Import as `from bench.learners import ...` with the project root on sys.path (bench/load.py puts it there).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

FIRST = [
    "How does self-attention work?",
    "What is retrieval-augmented generation?",
    "Why do language models hallucinate?",
    "What are embeddings used for?",
    "What is RLHF?",
]
FOLLOW_UPS = ["And what are its limits?", "Can you give an example of it?"]
# the page's streaming bubble (ui/bubble.py): a "waiting"/"queued" note, the key sentences, then the model's draft
# under a label ("…" until its first token); the checked answer replaces it
NOTES = re.compile(r'<p class="(?:waiting|queued)".*?</p>|<div class="draft".*?</div>', re.S)
DRAFT = re.compile(r'<div class="draft"[^>]*><div[^>]*>[^<]*</div>(.*?)</div>', re.S)
TAGS = re.compile(r"<[^>]+>")


@dataclass
class Result:
    turn: int  # 0 first question, 1-2 follow-ups
    ok: bool
    error: str = ""
    ttft_s: float = float("nan")  # question -> first text the learner sees (may be the lessons' key sentences)
    model_ttft_s: float = float("nan")  # question -> first model token in the bubble (queueing included)
    total_s: float = float("nan")


@dataclass
class Run:
    name: str
    sent: int = 0
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    wall_s: float = 0.0
    verbose: bool = False


def last_reply(chat: Any) -> str:
    """The assistant's text in the chatbot value (a list of {role, content} messages), or ''."""
    if not isinstance(chat, list) or not chat:
        return ""
    m = chat[-1]
    if not isinstance(m, dict) or m.get("role") != "assistant":
        return ""
    c = m.get("content")
    return c if isinstance(c, str) else " ".join(str(x.get("text", "")) for x in c if isinstance(x, dict)) if c else ""


def shown(reply: str) -> bool:
    """Whether the learner sees words of the answer: key sentences, draft or final text, not just notes."""
    return bool(TAGS.sub("", NOTES.sub("", reply)).replace("…", "").strip()) or model_started(reply)


def model_started(reply: str) -> bool:
    """Whether the model's first token is in the bubble (or the answer is final, e.g. a refusal)."""
    m = DRAFT.search(reply)
    if m:
        return TAGS.sub("", m.group(1)).strip() not in ("", "…")
    return 'class="answer streaming"' not in reply and 'class="queued"' not in reply and reply.strip() not in ("", "…")


def ask(client: Any, question: str, turn: int, deadline: float) -> Result:
    t0 = time.perf_counter()
    ttft = model_ttft = float("nan")
    try:
        job = client.submit(question, api_name="/ask")  # the filters keep their defaults: all lessons
        out = None
        for out in job:
            reply = last_reply(out[0])
            if ttft != ttft and shown(reply):
                ttft = time.perf_counter() - t0
            if model_ttft != model_ttft and model_started(reply):
                model_ttft = time.perf_counter() - t0
            if time.time() > deadline:
                job.cancel()
                return Result(turn, False, "time limit")
        out = job.outputs()[-1] if job.outputs() else out
    except Exception as exc:  # noqa: BLE001 (a learner's failure is a result, whatever it is)
        return Result(turn, False, f"{type(exc).__name__}: {exc}"[:200])
    total = time.perf_counter() - t0
    panel = str(out[1]) if out else ""
    if 'class="error"' in panel:
        return Result(turn, False, panel[:200], ttft_s=ttft, total_s=total)
    if not last_reply(out[0] if out else None).strip():
        return Result(turn, False, "no answer in the final output", ttft_s=ttft, total_s=total)
    return Result(turn, True, ttft_s=ttft, model_ttft_s=model_ttft, total_s=total)


def learner(url: str, i: int, run: Run, deadline: float) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # noqa: BLE001
        with run.lock:
            run.results.append(Result(0, False, f"connect: {exc}"[:200]))
        return
    for turn, q in enumerate([FIRST[i % len(FIRST)], *FOLLOW_UPS]):
        with run.lock:
            run.sent += 1
        r = ask(client, q, turn, deadline)
        with run.lock:
            run.results.append(r)
        if run.verbose:
            print(f"    learner {i} turn {turn}: ok={r.ok} first text {r.ttft_s:.1f} s, first model token "
                  f"{r.model_ttft_s:.1f} s, answer {r.total_s:.1f} s {r.error}", flush=True)  # fmt: skip
        if not r.ok:
            return  # a conversation stops at its first failure, as a learner would retry by hand


def drive(urls: list[str], name: str, learners: int, time_limit: float, verbose: bool = False) -> Run:
    """`learners` conversations at once, learner i on page urls[i % len(urls)]."""
    run = Run(name, verbose=verbose)
    deadline = time.time() + time_limit
    threads = [
        threading.Thread(target=learner, args=(urls[i % len(urls)], i, run, deadline), daemon=True)
        for i in range(learners)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, deadline - time.time() + 30))
    run.wall_s = time.perf_counter() - t0
    return run
