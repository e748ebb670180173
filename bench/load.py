"""Load: N simulated learners talking to the page at once, through its API (gradio_client), per set-up.

Each learner (bench/learners.py) opens its own session (its own history) and holds a conversation of a first
question and two follow-ups, one after the other; all learners start together. Per set-up the script reports
answers completed, errors (an exception, or the page's error panel), answers lost (neither), the time to the
first text the learner sees (the lessons' key sentences come before the model's words), the time to the first
model token (the page's own timing line: queueing, retrieval and prompt evaluation), first turns and
follow-ups apart, and the answer time, p50/p95. Everything runs on 127.0.0.1: the page (`tutor serve`), and
where a set-up has one, the model server, all started here and stopped by PID.

Set-ups:
  embedded   one `tutor serve` process with the model inside (the default)
  server-1   one `tutor serve` + `python -m llama_cpp.server` (one sequence at a time: its only mode); it
             keeps the KV cache of the last prompt only, so interleaved learners evict each other's prefixes
  server-1-cache  the same with `--cache True`: evaluated prompts kept in RAM (LlamaRAMCache, 2 GiB), so a
             follow-up resumes from its own conversation's state
  server-N   one `tutor serve` + llama.cpp's `llama-server --parallel N` (N slots, N > 1: server-4, server-16);
             the page sends N answers at once (it reads the slot count from the server's /props); needs
             --llama-server PATH, as llama-cpp-python's server has no parallel slots; skipped, and said so,
             without it
  replicas-2 two `tutor serve` replicas + the model server of server-1-cache + a Chroma server (`chroma run`)
             holding the index (README, "For a class"); learners alternate between the replicas, as a sticky
             proxy spreads them (the proxy itself is not in the loop)
  replicas-2-server-N  the same with `llama-server --parallel N` as the model server (needs --llama-server)

Answers are capped at --max-tokens (default 48) so a run takes minutes. Run:
    HF_HUB_OFFLINE=1 .venv/bin/python bench/load.py [--learners 16] [--setups embedded,server-1,server-4]
        [--max-tokens 48] [--time-limit 900] [--llama-server PATH]
    e.g. the class set-up alone, 2 learners:  ... bench/load.py --learners 2 --setups replicas-2
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_LESSONS, Targets, header, percentile  # noqa: E402
from bench.learners import Run, drive  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen, wait_s: float = 240.0) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = Path(getattr(proc, "log", ""))
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise SystemExit(f"{proc.args} exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {wait_s} s")


def start(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    print(f"  start: {' '.join(cmd)}  (log {log})", flush=True)
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    proc.log = log  # type: ignore[attr-defined]
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(20)


def model_server(setup: str, gguf: Path, n_ctx: int, work: Path, args: argparse.Namespace) -> subprocess.Popen:
    port = free_port()
    if setup in ("server-1", "server-1-cache", "replicas-2"):  # llama-cpp-python's server
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port",
               str(port), "--n_ctx", str(n_ctx), "--interrupt_requests", "False"]  # fmt: skip
        if setup in ("server-1-cache", "replicas-2"):  # a RAM cache of evaluated prompts: a follow-up finds its own
            cmd += ["--cache", "True"]
    else:  # server-N: N slots, each with the full context the tutor asks for
        slots = slot_count(setup)
        cmd = [args.llama_server, "-m", str(gguf), "--host", "127.0.0.1", "--port", str(port), "--parallel",
               str(slots), "-c", str(slots * n_ctx)]  # fmt: skip
    proc = start(cmd, work / f"{setup}-model.log")
    proc.url = f"http://127.0.0.1:{port}/v1"  # type: ignore[attr-defined]
    wait_http(f"{proc.url}/models", proc)  # type: ignore[attr-defined]
    return proc


def slot_count(setup: str) -> int:
    """N of a `server-N` or `replicas-2-server-N` set-up (llama-server --parallel N), 0 for any other."""
    m = re.fullmatch(r"(?:replicas-2-)?server-(\d+)", setup)
    return int(m.group(1)) if m and int(m.group(1)) > 1 else 0


def run_setup(setup: str, args: argparse.Namespace, work: Path, index: Path) -> Run | None:
    from tutor.models.llm_local import packaged_gguf

    env = {**os.environ, "TUTOR_LESSONS_DIR": str(args.lessons), "TUTOR_INDEX_DIR": str(index),
           "TUTOR_MAX_TOKENS": str(args.max_tokens)}  # fmt: skip
    procs: list[subprocess.Popen] = []
    try:
        if setup != "embedded":
            server = model_server(setup, packaged_gguf(), 4096, work, args)
            procs.append(server)
            env["TUTOR_LLM_URL"] = server.url  # type: ignore[attr-defined]
        replicas = 1
        if setup.startswith("replicas-2"):  # the index on a Chroma server, written once, read by both replicas
            replicas, port = 2, free_port()
            chroma = Path(sys.executable).with_name("chroma")
            cmd = [str(chroma), "run", "--path", str(work / "chroma"), "--host", "127.0.0.1", "--port", str(port)]
            procs.append(start(cmd, work / f"{setup}-chroma.log"))
            wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", procs[-1])
            env["TUTOR_CHROMA_URL"] = f"http://127.0.0.1:{port}"
            subprocess.run([sys.executable, "-m", "tutor.cli", "index"], env=env, check=True, stdout=subprocess.DEVNULL)
        urls = []
        for r in range(replicas):
            port = free_port()
            cmd = [sys.executable, "-m", "tutor.cli", "serve", "--port", str(port)]
            own = {**env, "TUTOR_INDEX_DIR": str(work / f"{setup}-{r}" / "index")} if replicas > 1 else env
            procs.append(start(cmd, work / f"{setup}-page{r}.log", own))
            urls.append(f"http://127.0.0.1:{port}/")
            wait_http(urls[-1], procs[-1])
        print(f"  {args.learners} learners x 3 questions on {', '.join(urls)}", flush=True)
        return drive(urls, setup, args.learners, args.time_limit, args.verbose)
    finally:
        for p in reversed(procs):
            stop(p)


def p50_p95(xs: list[float]) -> str:
    xs = [x for x in xs if x == x]  # NaN: not measured
    return f"{percentile(xs, 50):.1f} / {percentile(xs, 95):.1f}" if xs else "-"


def report(runs: list[Run], targets: Targets, learners: int) -> None:
    """One table row per set-up; times in seconds, p50 / p95 over completed answers."""
    print(
        "\n| set-up | answers completed | errors | lost | first text p50 / p95 | first model token p50 / p95 "
        "| first model token, first turns / follow-ups p50 | answer time p50 / p95 | wall |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in runs:
        ok = [r for r in run.results if r.ok]
        errors = [r for r in run.results if not r.ok]
        lost = learners * 3 - len(ok) - len(errors)
        first = [r.model_ttft_s for r in ok if r.turn == 0]
        follow = [r.model_ttft_s for r in ok if r.turn > 0]
        print(
            f"| {run.name} | {len(ok)}/{learners * 3} | {len(errors)} | {lost} | {p50_p95([r.ttft_s for r in ok])} "
            f"| {p50_p95([r.model_ttft_s for r in ok])} | {percentile(first, 50):.1f} / {percentile(follow, 50):.1f} "
            f"| {p50_p95([r.total_s for r in ok])} | {run.wall_s:.0f} |"
        )
        for e in {r.error for r in errors}:
            print(f"  error ({run.name}): {e}")
        targets.check(f"{run.name}: errors + lost answers", len(errors) + lost, "<=", 0, "{:.0f}")
        if run.name != "embedded" and first and follow:
            ratio = percentile(follow, 50) / percentile(first, 50)
            targets.check(f"{run.name}: follow-up / first-turn model TTFT p50", ratio, "<=", 0.5, "{:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lessons", type=Path, default=DEFAULT_LESSONS)
    p.add_argument("--learners", type=int, default=16, choices=range(1, 33), metavar="1..32")
    p.add_argument("--setups", default="embedded,server-1,server-1-cache,server-4")
    p.add_argument("--max-tokens", type=int, default=48)
    p.add_argument("--time-limit", type=float, default=900.0, help="seconds per set-up before learners give up")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per answer")
    p.add_argument("--llama-server", help="llama.cpp's llama-server binary, for the server-4 set-up")
    args = p.parse_args()
    header(f"load: {args.learners} learners x (1 question + 2 follow-ups), max_tokens {args.max_tokens}", args.lessons)
    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    runs: list[Run] = []
    targets = Targets()
    with tempfile.TemporaryDirectory(prefix="tutor-load-") as tmp:
        work = Path(tmp)
        index = work / "index"
        subprocess.run([sys.executable, "-m", "tutor.cli", "index", "--lessons", str(args.lessons), "--index",
                        str(index)], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        for setup in setups:
            if slot_count(setup) and not args.llama_server:
                print(f"\n-- {setup}: skipped: needs --llama-server PATH (llama.cpp's llama-server --parallel N); "
                      "llama-cpp-python's server runs one sequence at a time --")  # fmt: skip
                continue
            if setup not in ("embedded", "server-1", "server-1-cache", "replicas-2") and not slot_count(setup):
                raise SystemExit(f"--setups: unknown set-up {setup!r}; see the list at the top of bench/load.py")
            print(f"\n-- {setup} --", flush=True)
            run = run_setup(setup, args, work, index)
            if run:
                runs.append(run)
    report(runs, targets, args.learners)
    targets.report()


if __name__ == "__main__":
    main()
