"""Peak memory of `tutor serve` with the default settings, after 20 questions through the web API.

Indexes the lessons into a scratch index with `tutor index`, starts
`python -m tutor.cli serve --index SCRATCH --lessons DIR --port FREE_PORT` on 127.0.0.1, waits until it
answers HTTP, records the baseline (RSS of the process tree right after start-up, before any question),
then sends 20 questions (the lessons' quiz questions, cycled) to the `/ask` endpoint with gradio_client,
one conversation, each waited for to the end. Memory is read from /proc only: the process tree's summed
VmRSS sampled every 0.1 s (max over time), and at the end each process's VmHWM (its own peak RSS).
The server is stopped at the end.

Answers are capped at --max-tokens (default 32; the tutor default is 256) to keep the run short; memory
does not depend on it (llama.cpp allocates the KV cache for the whole n_ctx when the model loads).

Target: peak RSS of the server's process tree <= 1.5 GB (10^9 bytes; GiB shown too).

Run: HF_HUB_OFFLINE=1 .venv/bin/python bench/memory.py [LESSONS_DIR] [--reps N_QUESTIONS] [--max-tokens T]
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Targets, header, lessons_arg  # noqa: E402

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

N_QUESTIONS = 20
TARGET_BYTES = 1.5e9
START_TIMEOUT_S = 240


def status_kb(pid: int, field: str) -> int:
    """A `VmRSS:`/`VmHWM:` line of /proc/PID/status, in kB; 0 if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def tree(root: int) -> list[int]:
    """root and all its descendants, from the parent field of every /proc/PID/stat."""
    parent: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    stat = fh.read()
                parent[int(d)] = int(stat[stat.rindex(")") + 2 :].split()[1])
            except (OSError, ValueError):
                continue
    out, frontier = [root], [root]
    while frontier:
        kids = [p for p, pp in parent.items() if pp in frontier]
        out += kids
        frontier = kids
    return out


class Sampler(threading.Thread):
    """Max over time of the tree's summed VmRSS (kB)."""

    def __init__(self, pid: int, every_s: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.every_s, self.peak_kb, self.stop = pid, every_s, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(status_kb(p, "VmRSS") for p in tree(self.pid)))
            time.sleep(self.every_s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        if proc.poll() is not None:
            raise RuntimeError(f"tutor serve exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"tutor serve did not answer at {url} within {timeout_s} s")


def questions(lessons_dir: Path, n: int) -> list[str]:
    from tutor.ingest.lessons import load_lessons

    qs = [q.question for le in load_lessons(lessons_dir).lessons for q in le.quizzes]
    qs = qs or ["What is this course about?"]
    return [qs[i % len(qs)] for i in range(n)]


def outcome(result: object) -> str:
    """What the sources panel (an output of /ask) says: answered, refused or error."""
    panel = (
        next((x for x in result if isinstance(x, str) and 'class="panel' in x), "")
        if isinstance(result, tuple | list)
        else ""
    )
    return "error" if 'class="error"' in panel else "refused" if "answer refused" in panel else "answered"


def gb(kb: float) -> str:
    return f"{kb * 1024 / 1e9:.2f} GB ({kb / 2**20:.2f} GiB)"


def serve_tree_kb(pid: int, field: str) -> dict[int, int]:
    return {p: status_kb(p, field) for p in tree(pid)}


def main() -> int:
    args = lessons_arg(**{"max-tokens": {"type": int, "default": 32, "help": "answer length cap (TUTOR_MAX_TOKENS)"}})
    lessons_dir, n_questions = args.lessons, args.reps or N_QUESTIONS
    header("memory: tutor serve", lessons_dir)
    py = sys.executable
    # the answer cap only shortens the run: the KV cache is allocated for the whole n_ctx at load time
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TUTOR_MAX_TOKENS": str(args.max_tokens)}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, open(Path(tmp) / "serve.log", "wb") as log:
        index = str(Path(tmp) / "index")
        # cwd=tmp: no tutor.toml of the working directory applies, so these are the defaults
        out = subprocess.run(
            [py, "-m", "tutor.cli", "index", "--lessons", str(lessons_dir), "--index", index],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"tutor index: {out.stdout.strip().splitlines()[-1]}")
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        cmd = [py, "-m", "tutor.cli", "serve", "--index", index, "--lessons", str(lessons_dir), "--port", str(port)]
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
        sampler = Sampler(proc.pid)
        sampler.start()
        try:
            up_s = wait_up(url, proc, START_TIMEOUT_S)
            time.sleep(1.0)  # let start-up settle
            base = serve_tree_kb(proc.pid, "VmRSS")
            print(f"answers capped at {args.max_tokens} tokens; every other setting is the default")
            print(
                f"server pid {proc.pid} answered after {up_s:.1f} s ({len(base)} process(es)); "
                f"baseline RSS right after start-up: {gb(sum(base.values()))}"
            )

            from gradio_client import Client

            client = Client(url, verbose=False, download_files=False)
            latencies: list[float] = []
            kinds: dict[str, int] = {"answered": 0, "refused": 0, "error": 0}
            for q in questions(lessons_dir, n_questions):  # one conversation: the session keeps its history
                t0 = time.perf_counter()
                out = client.submit(q, "", "", api_name="/ask").result(timeout=300)  # question, program, lesson
                latencies.append(time.perf_counter() - t0)
                kinds[outcome(out)] += 1
            after = serve_tree_kb(proc.pid, "VmRSS")
            hwm = serve_tree_kb(proc.pid, "VmHWM")
            sampler.stop.set()
            sampler.join()
        except Exception:
            log.flush()
            print(Path(log.name).read_text(errors="replace")[-3000:])
            raise
        finally:
            sampler.stop.set()
            proc.send_signal(signal.SIGINT)  # what Ctrl-C does; gradio closes its server
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    lat = sorted(latencies)
    print(", ".join(f"{v} {k}" for k, v in kinds.items()))
    print(f"{len(lat)} questions through /ask: median {lat[len(lat) // 2]:.1f} s, max {lat[-1]:.1f} s each")
    print(
        f"RSS after the questions: {gb(sum(after.values()))} (baseline {gb(sum(base.values()))}, "
        f"growth {gb(sum(after.values()) - sum(base.values()))})"
    )
    for p, kb in hwm.items():
        print(f"VmHWM pid {p}{' (server)' if p == proc.pid else ' (child)'}: {gb(kb)}")
    print(
        f"peak of the tree's summed RSS, sampled every 0.1 s: {gb(sampler.peak_kb)}; "
        f"sum of VmHWM over the tree: {gb(sum(hwm.values()))}"
    )
    peak_kb = max(sampler.peak_kb, sum(hwm.values()))
    print(
        f"peak / baseline RSS: {peak_kb / max(sum(base.values()), 1):.2f}; server stopped (exit code {proc.returncode})"
    )
    t = Targets()
    t.check(
        f"peak RSS of tutor serve after {len(lat)} questions",
        peak_kb * 1024 / 1e9,
        "<=",
        TARGET_BYTES / 1e9,
        "{:.2f}",
        " GB",
    )
    t.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
