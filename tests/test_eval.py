"""`tutor eval` on a small lesson set: real index, real model; files written, figures in range."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import CORPUS


def test_eval_writes_report_plots_and_sane_figures(tmp_path: Path):
    lessons = tmp_path / "lessons"
    shutil.copytree(CORPUS / "programs" / "large-language-models" / "lessons" / "en", lessons / "en")
    out = tmp_path / "report"
    env = {**os.environ, "TUTOR_MAX_TOKENS": "48"}  # short answers keep the test quick; the figures stay real
    r = subprocess.run(
        [sys.executable, "-m", "tutor.cli", "eval", "--lessons", str(lessons), "--out", str(out), "--limit", "4"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert "recall@1" in r.stdout and "quiz accuracy" in r.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["questions"] == 4
    # four quiz questions of lessons the corpus covers well: each finds its lesson in the top 3
    assert report["retrieval"]["recall@3"] == 1.0 and report["retrieval"]["recall@5"] == 1.0
    assert report["retrieval"]["recall@1"] <= report["retrieval"]["recall@3"]
    assert report["refusal"]["off_topic"] >= 50 and report["refusal"]["off_topic_refused"] >= 0.9
    assert report["refusal"]["quiz_answered"] == 1.0
    answers = report["answers"]
    assert answers["sentences"] > 0 and answers["quizzes"] == 4
    # the ratios are counts over counts: groundedness is a whole number of supported sentences
    supported = answers["groundedness"] * answers["sentences"]
    assert abs(supported - round(supported)) < 1e-6 and answers["grounded_by_cited"] <= answers["groundedness"]
    assert report["latency_ms"]["retrieval_p95"] >= report["latency_ms"]["retrieval_p50"] > 0
    for name in ("recall_at_k.png", "latency.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| lesson |" in (out / "report.md").read_text()


def test_default_models_load_offline(tmp_path: Path):
    code = (
        "from tutor.models.embedder import Embedder; from tutor.models.llm_local import LocalLLM;"
        "e = Embedder(); v = e.embed(['hello world']); assert v.shape == (1, 384);"
        "m = LocalLLM(n_ctx=512); p, s = m.render([{'role': 'user', 'content': 'Hi'}]);"
        "print('ok', m.model_path.name, len(m.complete(p, s, max_tokens=4).strip()) > 0)"
    )
    env = {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HF_HOME": str(tmp_path / "hf"),
    }  # an empty HF cache: nothing may come from a hub
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "ok SmolLM2-135M-Instruct.Q4_1.gguf True" in r.stdout
