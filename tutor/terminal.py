"""The tutor in a terminal: answers, a conversation and quiz rounds, printed, and the progress bars of indexing
and `tutor eval` on stderr. `tutor/cli.py` calls these with the settings and filters of tutor/flags.py; they
and the CLI are the only modules that print.

An answer prints as the page shows it: the lessons' own sentences first, then the model's explanation with
its unsupported sentences set apart ("~ ... <- not in the lessons"), then the sources.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from tutor.answer.turn import Turn, Tutor, turn_of
from tutor.errors import BadQuestion, ModelError
from tutor.events import Answer, Done, KeySentence, KeySentences, Token
from tutor.learn.coach import Coach
from tutor.search.retriever import Filters


def print_keys(keys: Iterable[KeySentence]) -> None:
    """The lessons' own sentences, first: what the answer rests on."""
    keys = list(keys)
    if keys:
        print("From the lessons:")
    for k in keys:
        print(f'  "{k.text}" [{k.number}]  ({k.breadcrumb})')


def print_explanation(answer: Answer) -> None:
    """The model's sentences: supported ones with their citations, the others set apart."""
    if not answer.explains:  # nothing of it supported: the key sentences are the answer
        return
    print("The tutor's explanation:" + (" (mostly not backed by the lessons)" if answer.mostly_unsupported else ""))
    for c in answer.sentences:
        if c.supported:
            print(f"  {c.text} [{', '.join(map(str, c.citations))}]")
        else:
            print(f"  ~ {c.text}  <- not in the lessons")


def print_sources(answer: Answer) -> None:
    if answer.refused:
        return
    for src in answer.sources:
        mark = "cited" if src.cited else "retrieved, not cited"
        print(f"  [{src.number}] {src.breadcrumb} ({src.path}) {mark}, similarity {src.similarity:.2f}")


def gpu_text(gpu_offload: bool | None) -> str:
    return "unknown (on the model server)" if gpu_offload is None else "yes" if gpu_offload else "no (CPU)"


def ask(tutor: Tutor, questions: Iterable[str], filters: Filters, as_json: bool) -> None:
    """Each question answered on its own; with `as_json`, one JSON object a line."""
    for q in questions:
        answer = tutor.ask(q, filters=filters, learner="")  # a learner at the terminal: gaps are kept
        if as_json:
            out = answer.to_json()
            out["model"] = str(tutor.llm.model_path)
            print(json.dumps(out), flush=True)
        elif answer.refused or answer.quiz_hint:
            print(answer.text)
        else:
            if answer.notice:  # a long question cut, a misspelt word read as the lessons spell it
                print(answer.notice)
            print_keys(answer.key_sentences)
            print_explanation(answer)
            print("Sources:")
            print_sources(answer)


def chat(tutor: Tutor, filters: Filters) -> None:
    """A conversation until an empty line or Ctrl-D; follow-ups lean on the turns before."""
    print(f"model {tutor.llm.model_path.name}, GPU offload: {gpu_text(tutor.llm.gpu_offload)}")
    print("Ask about the lessons. An empty line or Ctrl-D ends the chat.")
    history: list[Turn] = []
    while True:
        try:
            q = input("you> ")
        except EOFError:
            break
        if not q.strip():
            break
        try:
            for event in tutor.stream(q, history, filters, learner=""):
                if isinstance(event, KeySentences):
                    print_keys(event.sentences)
                    print("(writing an explanation, not yet checked) ", end="", flush=True)
                elif isinstance(event, Token):
                    print(event.text, end="", flush=True)
                elif isinstance(event, Done):
                    print()
                    if not event.answer.refused:
                        if event.answer.notice:
                            print(event.answer.notice)
                        print_explanation(event.answer)
                    print_sources(event.answer)
                    history.append(turn_of(event.answer))
        except BadQuestion as exc:
            print(exc)
        except ModelError as exc:  # a model server down or cut off: say so, the next question tries again
            print(f"\nerror: {exc}", file=sys.stderr)


def print_feedback(fb: Any) -> None:
    """A checked quiz answer: right or wrong, the key, the authored explanation and the lesson's passage."""
    print(("right" if fb.correct else "wrong") + f": the answer is {fb.key + 1}. {fb.key_option}")
    if fb.explanation:
        print(f"  {fb.explanation}")
    p = fb.passage
    if p is not None:
        marked = " ".join(p.text[a:b].strip() for a, b in p.highlights) or p.text
        print(f"  From the lesson ({p.breadcrumb}; {p.path}#{p.anchor}, characters {p.start}-{p.end}):")
        print(f'  "{marked}"')


def check_one(coach: Coach, lesson: str, n: int, choice: int, learner: str | None, as_json: bool) -> None:
    """Item `n` of `lesson` checked against `choice` (both counted from 1), for scripts; recorded for
    `learner` when one is named."""
    fb = coach.practice.check(lesson, n, choice - 1)
    if learner:
        coach.progress.record(f"terminal:{learner}", lesson, n, fb.item.question, choice - 1, fb.correct)
    if as_json:
        print(json.dumps(fb.to_json()))
    else:
        print_feedback(fb)


def quiz(coach: Coach, filters: Filters, learner: str, as_json: bool) -> None:
    """A practice round over the lessons in `filters`: each item asked, a missed one asked again later,
    then the score and what to do next. With `as_json`, the round's items (without keys), one a line."""
    rnd = coach.start(filters.lesson, filters.program, filters.language)
    if as_json:
        for queued in rnd.queue:
            print(json.dumps(queued.to_json()))
        return
    who = f"terminal:{learner}"
    print(f"{rnd.total} quiz items. Answer with the option's number; an empty line or Ctrl-D stops.")
    while not rnd.done:
        item = rnd.current
        assert item is not None
        print(f"\n{'again: ' if rnd.is_retry else ''}{item.title}, item {item.number}: {item.question}")
        for i, option in enumerate(item.options, 1):
            print(f"  {i}. {option}")
        try:
            reply = input("answer> ").strip()
        except EOFError:
            break
        if not reply:
            break
        if not reply.isdigit() or not 1 <= int(reply) <= len(item.options):
            print(f"type a number from 1 to {len(item.options)}")
            continue
        print_feedback(coach.answer(who, rnd, int(reply) - 1))
    print(f"\nscore: {rnd.right_first_try} of {rnd.total} right on the first try")
    steps, m = coach.next_steps(who), coach.manifest()
    if steps.next:
        print(f"next: {m.lessons[steps.next].title} ({steps.next})")
    if steps.review:
        print(f"review: {m.lessons[steps.review].title} ({steps.review})")


def progress_bar() -> Any:
    """A `reindex` progress callback: one bar on stderr per stage (lessons read, chunks embedded)."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = tqdm(
                total=total,
                desc=stage,
                unit="chunk" if stage == "embedding" else "lesson",
                file=sys.stderr,
                leave=False,
                disable=total == 0,
            )
        bar = bars[stage]
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return progress


def track(items: Any, desc: str) -> Any:
    """`items` with a progress bar on stderr while they are consumed."""
    from tqdm import tqdm

    return tqdm(items, desc=desc, leave=False, file=sys.stderr)
