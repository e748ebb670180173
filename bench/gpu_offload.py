"""GPU offload check: does the tutor's llama.cpp adapter put the model on the GPU when it can?

Loads one GGUF through `tutor.models.llm_local.LocalLLM` twice, with the default n_gpu_layers=-1 (all layers when
llama.cpp was built with GPU support) and with 0 (CPU), and prints for each: what the tutor reports
(`gpu_offload`), llama.cpp's own load log lines about offloading, and generation tokens/s over the same
greedy prompt (median of 3). On a CPU-only build both rows say "no" and run at the same speed.

    python bench/gpu_offload.py [MODEL.gguf]      # default: the packaged SmolLM2 GGUF
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tutor.models.llm_local import GenerationStats, LocalLLM, gpu_available, packaged_gguf  # noqa: E402


def offload_log(model: Path, layers: int) -> list[str]:
    """llama.cpp's own words on offloading, from a verbose load in a child process."""
    code = (
        "import llama_cpp,sys; llama_cpp.Llama(model_path=sys.argv[1], n_gpu_layers=int(sys.argv[2]), "
        "n_ctx=512, verbose=True)"
    )
    with tempfile.TemporaryFile("w+") as err:
        subprocess.run([sys.executable, "-c", code, str(model), str(layers)], stderr=err, stdout=err, check=False)
        err.seek(0)
        return [line.strip() for line in err if re.search(r"offload|CUDA0|using device", line)][:6]


def tokens_per_s(llm: LocalLLM) -> float:
    prompt, stop = llm.render([{"role": "user", "content": "Explain what a transformer layer does."}])
    runs = []
    for _ in range(3):
        stats = GenerationStats()
        llm._llm.reset()
        n = sum(1 for _ in llm.stream(prompt, stop, max_tokens=128, stats=stats))
        runs.append(stats.completion_tokens / max(1e-9, stats.total_s - stats.ttft_s) if n else 0.0)
    return statistics.median(runs)


def main() -> None:
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else packaged_gguf()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    try:
        gpu = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except FileNotFoundError:
        gpu = "none"
    print(f"GPU: {gpu or 'none'}; llama.cpp build supports GPU offload: {gpu_available()}")
    print(f"model: {model.name}")
    rows = []
    for layers in (-1, 0):
        t0 = time.perf_counter()
        llm = LocalLLM(model, n_ctx=2048, n_gpu_layers=layers)
        load_s = time.perf_counter() - t0
        rate = tokens_per_s(llm)
        rows.append((layers, llm.gpu_offload, load_s, rate))
        print(
            f"n_gpu_layers={layers:>2}: tutor reports gpu_offload={llm.gpu_offload}, load {load_s:.2f} s, "
            f"{rate:.1f} tokens/s"
        )
        for line in offload_log(model, layers):
            print(f"    llama.cpp: {line}")
        del llm
    (_, on, _, fast), (_, off, _, slow) = rows
    print(f"offload on/off speed ratio: {fast / max(1e-9, slow):.2f}x")
    ok = on == gpu_available() and off is False
    print(f"{'PASS' if ok else 'MISS'}: the tutor offloads exactly when llama.cpp can, and reports it")


if __name__ == "__main__":
    main()
