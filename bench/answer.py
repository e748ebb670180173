"""Answer latency: the tutor's time to first token, broken down, against raw llama.cpp on the same prompt.

For N quiz questions of the lessons (only ones the evidence gate lets through; default 8), in one run:
- tutor, first turn: `Tutor.ask` with the model's KV cache reset first; embed, retrieve, prompt build,
  prompt evaluation (llama.cpp's own time to first token), end-to-end time to first token, tokens/s;
- raw llama.cpp: a separate `llama_cpp.Llama` of the same GGUF (same n_ctx, threads, GPU layers, seed,
  greedy, repeat penalty, stop strings, max tokens), KV cache reset, `create_completion(prompt, stream=True)`
  on the very prompt the tutor renders (`prompts.answer_messages` + `LocalLLM.render`);
- follow-up: right after the first turn (KV cache warm) `Tutor.stream(FOLLOW_UP, [turn_of(answer)])`,
  timed to its first token. Whether its retrieval keeps the first turn's passages is checked (chunk ids, in
  order) and printed. Where it does not, the KV-reuse case is also measured directly, before the tutor's
  follow-up: the first turn's passages, the first turn in the history, the new question.
- generation speed: per question, 3 runs of the tutor and 3 of raw llama.cpp, alternating, each with its KV
  cache already holding the prompt, so the runs are mostly generation; tokens/s after the first token.
Tutor and raw runs alternate order per question so drift on the shared machine cancels out; every ratio
is per question, then the median.

Targets (medians of per-question ratios):
  tutor TTFT (end to end) / raw TTFT                          <= 1.10
  follow-up TTFT with the same passages / first-turn TTFT     <= 0.50
  tutor generation tokens/s / raw tokens/s                    >= 0.95  (completion tokens / (total - ttft),
                                                                         generation-speed phase)

Answers are capped at --max-tokens (default 64, the tutor's default is 256) to keep the run short; TTFT does
not depend on it. Run:
    HF_HUB_OFFLINE=1 .venv/bin/python bench/answer.py [LESSONS_DIR] [--reps N] [--max-tokens T]
"""

from __future__ import annotations

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
from tutor.events import Retrieved, Token  # noqa: E402
from tutor.build import build_tutor, reindex  # noqa: E402
from tutor.ingest.lessons import load_lessons  # noqa: E402
from tutor.models.llm_local import GenerationStats, packaged_gguf  # noqa: E402
from tutor.settings import Settings  # noqa: E402
from tutor.answer.turn import HISTORY_ANSWER_TOKENS, Tutor, turn_of  # noqa: E402

GEN_REPS = 3  # runs per side and question in the generation-speed phase
FOLLOW_UP = "Can you explain that more simply?"  # "that" makes the tutor search it with the last question


def raw_run(llm: Llama, prompt: str, stop: list[str], s: Settings, reset: bool = True) -> dict[str, Any]:
    """The tutor's sampling parameters, a cold KV cache unless `reset` is False; timed from the call to the
    first streamed piece."""
    if reset:
        llm.reset()
    room = s.n_ctx - len(llm.tokenize(prompt.encode("utf-8"), special=True)) - 1
    llm.set_seed(s.seed)
    t0 = time.perf_counter()
    parts = llm.create_completion(
        prompt,
        max_tokens=min(s.max_tokens, room),
        temperature=s.temperature,
        top_k=1 if s.temperature == 0 else 40,
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
    return {"ttft": ttft, "tokens": n, "tps": n / max(total - ttft, 1e-9)}


def generation_speed(tutor: Tutor, raw: Llama, question: str, s: Settings) -> dict[str, float]:
    """Tokens/s after the first token, tutor against raw llama.cpp on the same prompt, GEN_REPS runs each,
    alternating. Each side's own KV cache already holds the prompt (llama-cpp-python reuses the longest
    common prefix), so a run is mostly generation and the timing noise of prompt evaluation is left out."""
    r = tutor.retrieve(question)
    for k, p in enumerate(r.passages, start=1):
        p.number = k
    prompt, stop = tutor.models.llm_local.render(prompts.answer_messages(r.passages, [], question))
    tutor_tps, raw_tps = [], []
    for rep in range(GEN_REPS):
        for side in ("raw", "tutor") if rep % 2 == 0 else ("tutor", "raw"):
            if side == "raw":
                raw_tps.append(raw_run(raw, prompt, stop, s, reset=False)["tps"])
            else:
                t = tutor.ask(question).timings
                tutor_tps.append(t.completion_tokens / max(t.total_s - t.check_s - t.ttft_s, 1e-9))
    out = {"tutor": median(tutor_tps), "raw": median(raw_tps)}
    out["ratio"] = out["tutor"] / out["raw"]
    print(f"  tutor {out['tutor']:6.1f} tok/s, raw {out['raw']:6.1f} tok/s, ratio {out['ratio']:.3f}  {question[:44]}")
    return out


def first_token(tutor: Tutor, question: str, history: list[Any]) -> tuple[float, list[str]]:
    """(seconds to the first answer token, chunk ids of the sources); the rest of the answer is not generated."""
    t0 = time.perf_counter()
    events = tutor.stream(question, history)
    ids: list[str] = []
    try:
        for ev in events:
            if isinstance(ev, Retrieved):
                ids = [x.chunk_id for x in ev.sources]
            elif isinstance(ev, Token):
                return time.perf_counter() - t0, ids
    finally:
        events.close()  # releases the model lock mid-answer, as the UI does
    return float("nan"), ids  # refused: no LLM call


def pick_questions(tutor: Tutor, lessons_dir: Path, n: int) -> list[str]:
    """Quiz questions, one per lesson in turn (round-robin), that the evidence gate does not refuse."""
    per_lesson = [[q.question for q in le.quizzes] for le in load_lessons(lessons_dir).lessons]
    picked: list[str] = []
    for depth in range(max((len(p) for p in per_lesson), default=0)):
        for qs in per_lesson:
            if depth < len(qs) and len(picked) < n and tutor.retrieve(qs[depth]).covered(tutor.settings.min_evidence):
                picked.append(qs[depth])
    return picked


def main() -> int:
    args = lessons_arg(**{"max-tokens": {"type": int, "default": 64, "help": "answer length cap"}})
    header("answer latency: tutor vs raw llama.cpp", args.lessons)
    n_questions = args.reps or 8
    with tempfile.TemporaryDirectory(prefix="bench-answer-") as tmp:
        s = Settings(lessons_dir=args.lessons, index_dir=Path(tmp) / "index", max_tokens=args.max_tokens)
        tutor = build_tutor(s)
        print(reindex(tutor).line())
        llm = tutor.models.llm_local
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
            f"model {llm.model_path.name}, n_ctx {s.n_ctx}, {threads} threads, GPU offload "
            f"{'yes' if llm.gpu_offload else 'no (CPU)'}, answers capped at {s.max_tokens} tokens"
        )
        questions = pick_questions(tutor, args.lessons, n_questions)
        if not questions:
            print("no quiz question passes the evidence gate: nothing to measure")
            return 1
        # warm-up: first-call costs (allocations, page faults, the BM25 build) are not what is measured
        tutor.ask(questions[0])
        raw_run(raw, *llm.render(prompts.answer_messages(tutor.retrieve(questions[0]).passages, [], questions[0])), s)

        rows: list[dict[str, Any]] = []
        print(
            f"\n{'#':>2} {'embed':>6} {'retr':>6} {'build':>6} {'eval':>6} {'ttft':>6} {'raw':>6} {'ratio':>5} "
            f"{'ptok':>5} {'ctok':>4} {'tok/s':>6} {'raw':>6} {'follow':>6} {'f/1st':>5} {'same':>4} {'kv':>5} question"
        )
        sys.stdout.flush()
        for i, q in enumerate(questions):
            r = tutor.retrieve(q)
            for k, p in enumerate(r.passages, start=1):
                p.number = k
            prompt, stop = llm.render(prompts.answer_messages(r.passages, [], q))
            rr = raw_run(raw, prompt, stop, s) if i % 2 == 0 else None  # alternate which goes first
            llm._llm.reset()
            a = tutor.ask(q)
            t = a.timings
            history = [turn_of(a)]
            # does the follow-up keep the passages? (retrieval does not touch the model's KV cache)
            first_ids = [p.chunk.id for p in r.passages]  # a.sources is re-sorted, cited first
            same = [p.chunk.id for p in tutor.retrieve(FOLLOW_UP, history).passages] == first_ids
            kv = float("nan")
            if not same:  # the KV-reuse case itself, measured while the cache still holds the first turn
                past = [(q, llm.truncate(a.text, HISTORY_ANSWER_TOKENS))]
                p2, stop2 = llm.render(prompts.answer_messages(r.passages, past, FOLLOW_UP))
                st = GenerationStats()
                gen = llm.stream(p2, stop2, max_tokens=1, repeat_penalty=s.repeat_penalty, stats=st)
                next(gen, None)
                gen.close()  # releases the model lock
                kv = st.ttft_s / t.llm_ttft_s
            follow, ids = first_token(tutor, FOLLOW_UP, history)
            rr = rr or raw_run(raw, prompt, stop, s)
            gen_s = t.total_s - t.check_s - t.ttft_s  # first token to last token
            row = {
                "embed": t.embed_s,
                "retr": t.retrieve_s,
                "build": t.prompt_build_s,
                "eval": t.llm_ttft_s,
                "ttft": t.ttft_s,
                "raw": rr["ttft"],
                "ratio": t.ttft_s / rr["ttft"],
                "eval_ratio": t.llm_ttft_s / rr["ttft"],
                "ptok": t.prompt_tokens,
                "ctok": t.completion_tokens,
                "tps": t.completion_tokens / max(gen_s, 1e-9),
                "raw_tps": rr["tps"],
                "same_len": t.completion_tokens == rr["tokens"],
                "follow": follow,
                "f_ratio": follow / t.ttft_s,
                "same": same and ids == first_ids,
                "kv": kv,
            }
            row["tps_ratio"] = row["tps"] / row["raw_tps"]
            rows.append(row)
            print(
                f"{i + 1:>2} {row['embed']:6.3f} {row['retr']:6.3f} {row['build']:6.3f} {row['eval']:6.2f} "
                f"{row['ttft']:6.2f} {row['raw']:6.2f} {row['ratio']:5.2f} {row['ptok']:5d} {row['ctok']:4d} "
                f"{row['tps']:6.1f} {row['raw_tps']:6.1f} {follow:6.2f} {row['f_ratio']:5.2f} "
                f"{'yes' if row['same'] else 'no':>4} {kv:5.2f}  {q[:44]}",
                flush=True,
            )

        print(f"\ngeneration speed: {GEN_REPS} alternating runs per question, prompt already evaluated (KV cache warm)")
        gen = [generation_speed(tutor, raw, q, s) for q in questions]

    def m(key: str, where: Any = lambda r: True) -> float:
        return median([r[key] for r in rows if where(r) and r[key] == r[key]])  # r[key] == r[key]: not NaN

    n = len(rows)
    same = [r for r in rows if r["same"]]
    print(
        f"\nmedians over {n} questions, seconds: embed {m('embed'):.3f}, retrieve {m('retr'):.3f}, "
        f"prompt build {m('build'):.4f}, prompt evaluation {m('eval'):.3f} -> tutor TTFT {m('ttft'):.3f}; "
        f"raw TTFT {m('raw'):.3f}; prompts of {m('ptok'):.0f} tokens, answers of {m('ctok'):.0f} tokens"
    )
    print(
        f"tutor TTFT / raw TTFT: {m('ratio'):.3f} end to end; llama.cpp part alone (prompt evaluation / raw): "
        f"{m('eval_ratio'):.3f}"
    )
    print(
        f"follow-up kept the same passages in {len(same)}/{n} questions; follow-up TTFT / first TTFT: "
        f"{m('f_ratio', lambda r: r['same']):.3f} with the same passages, "
        f"{m('f_ratio', lambda r: not r['same']):.3f} with other passages (end to end)"
    )
    if len(same) < n:
        print(
            f"KV reuse measured directly where retrieval changed the passages (prompt evaluation, same passages "
            f"+ history / first turn): {m('kv'):.3f} over {n - len(same)} questions"
        )
    follow = median([r["f_ratio"] if r["same"] else r["kv"] for r in rows])
    print(f"same-passage follow-up ratio, tutor follow-ups and direct measurements together: {follow:.3f}")
    print(
        f"generation tokens/s in the first turns above (one run each, after a cold prompt): tutor {m('tps'):.1f}, "
        f"raw {m('raw_tps'):.1f}, per-question ratio {m('tps_ratio'):.3f}; same answer length (greedy, same "
        f"prompt) in {sum(r['same_len'] for r in rows)}/{n}"
    )
    tps_ratio = median([g["ratio"] for g in gen])
    print(
        f"generation tokens/s, warm prompt, medians of {GEN_REPS} runs per question: tutor "
        f"{median([g['tutor'] for g in gen]):.1f}, raw {median([g['raw'] for g in gen]):.1f}, "
        f"median per-question ratio {tps_ratio:.3f}"
    )
    t = Targets()
    t.check("tutor TTFT / raw TTFT", m("ratio"), "<=", 1.10, "{:.2f}")
    t.check("follow-up TTFT (same passages) / first TTFT", follow, "<=", 0.50, "{:.2f}")
    t.check("tutor tokens/s / raw tokens/s (warm prompt, medians)", tps_ratio, ">=", 0.95, "{:.2f}")
    t.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
