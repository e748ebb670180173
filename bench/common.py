"""Shared helpers for the benchmarks: the machine they ran on, timing and medians, PASS/MISS lines, and
scratch lesson corpora made by replicating a lessons directory under new slugs with a word or two changed.

The benchmark machine is shared, so every script reports its figures beside a baseline measured in the same
process, and medians over repetitions. Import as `from bench.common import ...` with the project root on
sys.path (each script puts it there).
"""

from __future__ import annotations

import os
import platform
import random
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# one embedder across every course a bench reads: the one named, else the packaged English one (unnamed, the
# tutor picks by the lessons' languages, tutor/build.py `embedding_model`, and a fit over three courses would
# mix embedders)
os.environ.setdefault("TUTOR_EMBEDDING_MODEL", "all-MiniLM-L6-v2")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LESSONS = ROOT / "corpus"
WORD = re.compile(r"\b[A-Za-z]{4,}\b")  # prose words safe to swap: no markup, no quotes, no digits
FRONTMATTER = re.compile(r"\A---[ \t]*\r?\n.*?\r?\n---[ \t]*(\r?\n|$)", re.S)


# --- the machine -----------------------------------------------------------------------------------
def _first(path: str, prefix: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith(prefix)), "?")
    except OSError:
        return "?"


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def describe_machine() -> str:
    """CPU model, cores (usable by this process), RAM, load, python and library versions."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem_kib = _first("/proc/meminfo", "MemTotal").split()[0]
    ram = f"{int(mem_kib) / 2**20:.1f} GiB" if mem_kib.isdigit() else "?"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    libs = ", ".join(
        f"{d} {_version(d)}" for d in ("torch", "sentence-transformers", "chromadb", "bm25s", "llama-cpp-python")
    )
    return (
        f"machine: {_first('/proc/cpuinfo', 'model name')}, {cores} cores ({os.cpu_count()} logical), {ram} RAM, "
        f"load average {load}\nsoftware: python {platform.python_version()}, {libs}"
    )


def header(title: str, lessons_dir: Path) -> None:
    print(f"== {title} ==")
    print(describe_machine())
    print(f"lessons: {lessons_dir}")
    sys.stdout.flush()


# --- timing ------------------------------------------------------------------------------------------
def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """(wall seconds, result) of one call."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def percentile(xs: list[float], p: float) -> float:
    """Linear-interpolated percentile, p in [0, 100]."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    pos = (len(s) - 1) * p / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


@dataclass
class Targets:
    """Collects target checks; `report()` prints one PASS/MISS line per target."""

    rows: list[tuple[bool, str]] = field(default_factory=list)

    def check(self, name: str, value: float, op: str, target: float, fmt: str = "{:.3g}", unit: str = "") -> bool:
        ok = value >= target if op == ">=" else value <= target
        self.rows.append((ok, f"{name}: {fmt.format(value)}{unit} (target {op} {fmt.format(target)}{unit})"))
        return ok

    def note(self, ok: bool, line: str) -> None:
        self.rows.append((ok, line))

    def report(self) -> None:
        print("\n-- targets --")
        for ok, line in self.rows:
            print(f"{'PASS' if ok else 'MISS'}  {line}")


# --- scratch corpora ---------------------------------------------------------------------------------
def perturb_words(text: str, rng: random.Random, n: int = 2) -> str:
    """`text` with `n` prose words replaced by other words of the same text (markup left alone)."""
    words = WORD.findall(text)
    spots = list(WORD.finditer(text))
    if len(set(words)) < 2:
        return text + f" x{rng.randrange(10**6)}"
    for m in sorted(rng.sample(spots, min(n, len(spots))), key=lambda m: -m.start()):
        new = rng.choice([w for w in words if w != m.group()] or ["variant"])
        text = text[: m.start()] + new + text[m.end() :]
    return text


def perturb_lesson(source: str, rng: random.Random, n: int = 2) -> str:
    """Change `n` words of a lesson file's prose lines (not frontmatter, headings, components or code)."""
    fm = FRONTMATTER.match(source)
    head, body = (source[: fm.end()], source[fm.end() :]) if fm else ("", source)
    lines = body.split("\n")
    prose = [i for i, ln in enumerate(lines) if ln[:1].isalpha() and len(WORD.findall(ln)) >= 3]
    if not prose:
        return source + f"\n\nReplica note {rng.randrange(10**6)}.\n"
    for i in rng.sample(prose, min(n, len(prose))):
        lines[i] = perturb_words(lines[i], rng, 1)
    return head + "\n".join(lines)


def replicate_lessons(src: Path, dst: Path, min_lessons: int, seed: int = 0) -> list[Path]:
    """Copy `src` to `dst`, then add copies of every lesson under new slugs (`<slug>-copyN`, a word or two
    changed so content hashes differ) until `dst` holds at least `min_lessons`. Returns all lesson files."""
    from tutor.ingest.lessons import load_lessons

    rng = random.Random(seed)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".*"), dirs_exist_ok=True)
    lessons = load_lessons(dst).lessons
    if not lessons:
        raise SystemExit(f"no lessons found in {src}")
    files = [dst / le.path for le in lessons]
    copy = 0
    while len(files) < min_lessons:
        copy += 1
        for le in lessons:
            text = perturb_lesson(le.source, rng)
            text = re.sub(r"(?m)^slug:.*$", f"slug: {le.slug}-copy{copy}", text, count=1)
            path = dst / le.path
            out = path.with_name(f"{path.stem}-copy{copy}{path.suffix}")
            out.write_text(text, encoding="utf-8")
            files.append(out)
    return files


def lessons_arg(argv: list[str] | None = None, **extra: Any) -> Any:
    """Parse `[DIR] [--reps N]` plus any `extra` options (name -> argparse kwargs)."""
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("lessons", nargs="?", type=Path, default=DEFAULT_LESSONS, help="lessons directory")
    p.add_argument("--reps", type=int, default=0, help="repetitions (0: chosen from the corpus size)")
    for name, kw in extra.items():
        p.add_argument(f"--{name.replace('_', '-')}", **kw)
    args = p.parse_args(argv)
    args.lessons = args.lessons.resolve()
    if not args.lessons.is_dir():
        raise SystemExit(f"lessons directory {args.lessons} does not exist")
    return args
