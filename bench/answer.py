"""Answer latency and prompt size: the key-sentence layout against the earlier whole-passage layout.

For N questions (short learner questions from bench/data/learner_questions.json about the lessons, then
quiz questions; only ones the evidence gate lets through; default 8), in one run, alternating order:
- new layout, `Tutor.stream` with the model's KV cache reset: time to the key sentences (what the learner
  reads first), time to the first model token (learner-felt: from pressing Ask), prompt tokens;
- old layout: the same retrieval, the whole passages in the system message (`prompts.passage_messages`),
  the same model with its KV cache reset; time to its first token and its prompt tokens;
- raw llama.cpp on the tutor's own new prompt (a separate `Llama` of the same GGUF and settings): the
  tutor's overhead, tutor TTFT / raw TTFT;
- follow-up: right after the first turn, `Tutor.stream(FOLLOW_UP, [turn_of(answer)])` to its first token;
  the follow-up prompt starts with the first turn's prompt and reply, so llama.cpp evaluates only the new
  turn: follow-up TTFT / first-turn TTFT;
- generation speed: 3 tutor and 3 raw runs per question, alternating, prompt already in the KV cache.

Targets (medians): prompt <= 400 tokens; time to first model token <= 2 s (idle 2-core machine); key
sentences <= 0.3 s; follow-up / first <= 0.5; tutor TTFT / raw <= 1.10; tokens/s tutor / raw >= 0.95.
    HF_HUB_OFFLINE=1 .venv/bin/python bench/answer.py [LESSONS_DIR] [--reps N] [--max-tokens T]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llama_cpp import Llama  # noqa: E402

from bench.common import Targets, header, lessons_arg, median  # noqa: E402
from tutor.answer import prompts  # noqa: E402
from tutor.answer.turn import Tutor, turn_of  # noqa: E402
from tutor.build import build_tutor, reindex  # noqa: E402
from tutor.events import KeySentences, Token  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.models.llm_local import packaged_gguf  # noqa: E402
from tutor.settings import Settings  # noqa: E402

GEN_REPS = 3
FOLLOW_UP = "Can you explain that more simply?"
QUESTIONS = Path(__file__).resolve().parent / "data" / "learner_questions.json"


def raw_run(llm: Llama, prompt: str, stop: list[str], s: Settings, reset: bool = True) -> dict[str, Any]:
    """The tutor's sampling parameters; a cold KV cache unless `reset` is False; timed to the first piece."""
    if reset:
        llm.reset()
    llm.set_seed(s.seed)
    t0 = time.perf_counter()
    parts = llm.create_completion(
        prompt,
        max_tokens=s.max_tokens,
        temperature=s.temperature,
        top_k=1,
        repeat_penalty=s.repeat_penalty,
        stop=stop,
        stream=True,
        seed=s.seed,
    )
    ttft, n = 0.0, 0
    for _ in parts:
        if n == 0:
            ttft = time.perf_counter() - t0
        n += 1
    total = time.perf_counter() - t0
    return {
        "ttft": ttft,
        "tokens": n,
        "tps": n / max(total - ttft, 1e-9),
        "ptok": len(llm.tokenize(prompt.encode("utf-8"), special=True)),
    }


def llama_of(tutor: Tutor) -> Llama:
    """The tutor's own llama.cpp model (behind the lazy loader), to reset its KV cache between questions."""
    g = tutor.llm
    return getattr(g, "real", g)._llm  # type: ignore[no-any-return]


def turn(tutor: Tutor, question: str, history: list[Any]) -> dict[str, Any]:
    """A whole turn through `Tutor.stream`: seconds to the key sentences and to the first model token."""
    t0 = time.perf_counter()
    keys = first = float("nan")
    done = None
    for ev in tutor.stream(question, history, guard=False):  # quiz questions are measured as questions
        if isinstance(ev, KeySentences):
            keys = time.perf_counter() - t0
        elif isinstance(ev, Token) and first != first:
            first = time.perf_counter() - t0
        elif hasattr(ev, "answer"):
            done = ev.answer
    return {"keys": keys, "ttft": first, "answer": done}


def old_layout(tutor: Tutor, question: str, s: Settings) -> dict[str, Any]:
    """The earlier layout on the same retrieval: whole passages in the system message; model cache reset."""
    t0 = time.perf_counter()
    r = tutor.retrieve(question)
    prompt, stop = tutor.llm.render(prompts.passage_messages(r.passages, [], question))
    before = time.perf_counter() - t0
    out = raw_run(llama_of(tutor), prompt, stop, s)  # the tutor's own model, so both layouts share one Llama
    out["ttft"] += before
    return out


def pick_questions(tutor: Tutor, lessons_dir: Path, n: int) -> list[str]:
    """Short learner questions of the bundled set first, then quiz questions; only those the gate passes."""
    short = [q for qs in json.loads(QUESTIONS.read_text(encoding="utf-8"))["lesson"].values() for q in qs]
    quiz = [q.question for le in load_lessons(lessons_dir).lessons if le.language == "en" for q in le.quizzes]
    picked: list[str] = []
    for q in [*short[::5], *quiz[::3]]:
        if len(picked) < n and tutor.retrieve(q).covered(tutor.settings.min_evidence):
            picked.append(q)
    return picked


def main() -> int:
    args = lessons_arg(**{"max-tokens": {"type": int, "default": 64, "help": "answer length cap"}})
    header("answers: key-sentence layout vs whole-passage layout vs raw llama.cpp", args.lessons)
    with tempfile.TemporaryDirectory(prefix="bench-answer-") as tmp:
        s = Settings(lessons_dir=args.lessons, index_dir=Path(tmp) / "index", max_tokens=args.max_tokens)
        tutor = build_tutor(s)
        print(reindex(tutor).line())
        llm = tutor.llm
        threads = s.n_threads or os.cpu_count() or 2
        raw = Llama(
            model_path=str(s.model or packaged_gguf()),
            n_ctx=s.n_ctx,
            n_threads=threads,
            n_gpu_layers=-1 if llm.gpu_offload else 0,
            seed=s.seed,
            verbose=False,
        )
        print(
            f"model {llm.model_path.name}, {threads} threads, GPU offload {'yes' if llm.gpu_offload else 'no'}, "
            f"answers capped at {s.max_tokens} tokens, excerpts {s.excerpt_tokens} tokens"
        )
        questions = pick_questions(tutor, args.lessons, args.reps or 8)
        tutor.ask(questions[0], guard=False)  # warm-up: first-call costs are not what is measured
        old_layout(tutor, questions[0], s)
        rows: list[dict[str, Any]] = []
        print(
            f"\n{'#':>2} {'keys':>5} {'ttft':>5} {'ptok':>4} | {'old':>5} {'ptok':>4} | {'raw':>5} {'t/raw':>5} | "
            f"{'follow':>6} {'f/1st':>5} | question"
        )
        for i, q in enumerate(questions):
            old = old_layout(tutor, q, s) if i % 2 == 0 else None
            llama_of(tutor).reset()
            new = turn(tutor, q, [])
            a = new["answer"]
            follow = turn(tutor, FOLLOW_UP, [turn_of(a)])  # the KV cache still holds the first turn
            old = old or old_layout(tutor, q, s)
            system = {"role": "system", "content": prompts.EXPLAIN}
            prompt, stop = llm.render([system, {"role": "user", "content": a.prompt_message}])
            rr = raw_run(raw, prompt, stop, s)
            row = {
                "keys": new["keys"],
                "ttft": new["ttft"],
                "ptok": a.timings.prompt_tokens,
                "old": old["ttft"],
                "old_ptok": old["ptok"],
                "raw": rr["ttft"],
                "t_raw": a.timings.llm_ttft_s / rr["ttft"],
                "follow": follow["ttft"],
                "f_ratio": follow["ttft"] / new["ttft"],
                "f_ptok": follow["answer"].timings.prompt_tokens,
            }
            rows.append(row)
            print(
                f"{i + 1:>2} {row['keys']:5.2f} {row['ttft']:5.2f} {row['ptok']:4d} | {row['old']:5.2f} "
                f"{row['old_ptok']:4d} | {row['raw']:5.2f} {row['t_raw']:5.2f} | {row['follow']:6.2f} "
                f"{row['f_ratio']:5.2f} | {q[:50]}",
                flush=True,
            )
        gen = []
        for q in questions:
            a = tutor.ask(q, guard=False)
            prompt, stop = llm.render(
                [{"role": "system", "content": prompts.EXPLAIN}, {"role": "user", "content": a.prompt_message}]
            )
            mine, theirs = [], []
            for rep in range(GEN_REPS):
                for side in ("raw", "tutor") if rep % 2 == 0 else ("tutor", "raw"):
                    if side == "raw":
                        theirs.append(raw_run(raw, prompt, stop, s, reset=False)["tps"])
                    else:
                        t = tutor.ask(q, guard=False).timings
                        mine.append(t.completion_tokens / max(t.total_s - t.check_s - t.ttft_s, 1e-9))
            gen.append(median(mine) / median(theirs))

    def m(key: str) -> float:
        return median([r[key] for r in rows if r[key] == r[key]])

    print(f"\nmedians over {len(rows)} questions:")
    print(f"  key sentences shown after {m('keys') * 1000:.0f} ms")
    print(f"  new layout: prompt {m('ptok'):.0f} tokens, first model token after {m('ttft'):.2f} s")
    print(
        f"  old layout: prompt {m('old_ptok'):.0f} tokens, first model token after {m('old'):.2f} s "
        f"(new / old {m('ttft') / m('old'):.2f})"
    )
    print(f"  llama.cpp part of the tutor's first token / raw llama.cpp on the same prompt: {m('t_raw'):.2f}")
    print(
        f"  follow-up: prompt {m('f_ptok'):.0f} tokens, first token after {m('follow'):.2f} s, "
        f"follow-up / first turn {m('f_ratio'):.2f}"
    )
    print(f"  generation tokens/s tutor / raw, warm prompt, medians of {GEN_REPS}: {median(gen):.2f}")
    t = Targets()
    t.check("median prompt tokens (new layout)", m("ptok"), "<=", 400, "{:.0f}")
    t.check("first model token, seconds (idle machine)", m("ttft"), "<=", 2.0, "{:.2f}")
    t.check("key sentences, seconds (idle machine)", m("keys"), "<=", 0.3, "{:.3f}")
    t.check("follow-up TTFT / first TTFT", m("f_ratio"), "<=", 0.5, "{:.2f}")
    t.check("tutor llama.cpp TTFT / raw", m("t_raw"), "<=", 1.10, "{:.2f}")
    t.check("tokens/s tutor / raw", median(gen), ">=", 0.95, "{:.2f}")
    t.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
