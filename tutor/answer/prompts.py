"""Every prompt text, and the one function that formats retrieved passages into a prompt.

Layout, for llama.cpp's KV-cache reuse: system instructions, then the passages, then the conversation so
far, then the new question. A follow-up that keeps the same passages shares the whole prefix up to the
history, so only the new tokens are evaluated.
"""

from __future__ import annotations

from collections.abc import Sequence

from tutor.search.retriever import Passage

SYSTEM = (
    "You are a patient tutor. Answer the learner's question using only the numbered lesson passages "
    "below. Cite the passage you use after each sentence, like [1] or [2]. If the passages do not "
    "answer the question, say that the lessons do not cover it. Answer in two to four short sentences."
)

REFUSAL = "The lessons don't cover this question, so I won't guess."
SUGGEST = "The nearest lessons are:"
NO_LESSONS = "The index holds no lessons yet: run `tutor index`."
CUT_NOTICE = "Your question was long, so only its first {kept} tokens were used."

REWRITE = (
    "Rewrite the learner's last question so that it can be understood without the conversation. "
    "Reply with the rewritten question only.\n\nConversation:\n{history}\n\nLast question: {question}\n"
    "Rewritten question:"
)

QUIZ = (
    "Using the lesson passages, choose the correct option.\n\nQuestion: {question}\n{options}\n"
    "Reply with the option number only."
)


def format_passages(passages: Sequence[Passage]) -> str:
    """The passages block: `[n] Lesson > Section` then the passage text. The only place this is done."""
    return "\n\n".join(f"[{p.number}] {p.chunk.breadcrumb}\n{p.chunk.text}" for p in passages)


def answer_messages(
    passages: Sequence[Passage], history: Sequence[tuple[str, str]], question: str
) -> list[dict[str, str]]:
    """Chat messages for a grounded answer. `history` is (question, answer) pairs, oldest first."""
    messages = [{"role": "system", "content": f"{SYSTEM}\n\nLesson passages:\n\n{format_passages(passages)}"}]
    for q, a in history:
        messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    messages.append({"role": "user", "content": question})
    return messages


def rewrite_messages(history: Sequence[tuple[str, str]], question: str) -> list[dict[str, str]]:
    lines = "\n".join(f"Learner: {q}\nTutor: {a}" for q, a in history)
    return [{"role": "user", "content": REWRITE.format(history=lines, question=question)}]


def quiz_messages(passages: Sequence[Passage], question: str, options: Sequence[str]) -> list[dict[str, str]]:
    """Quiz prompt for evaluation: the options, never the answer key."""
    opts = "\n".join(f"{i + 1}. {o}" for i, o in enumerate(options))
    return [
        {"role": "system", "content": f"Lesson passages:\n\n{format_passages(passages)}"},
        {"role": "user", "content": QUIZ.format(question=question, options=opts)},
    ]
