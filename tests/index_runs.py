"""Scratch lesson folders and `tutor index` runs in a fresh process (lock timeout 1 s unless a test sets its
own), shared by the reliability tests (tests/test_reliability.py) and the index races (tests/test_index_races.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import lesson, run_cli

ENV = {**os.environ, "TUTOR_INDEX_LOCK_TIMEOUT": "1"}
ZEBRAS = lesson(
    "Zebras", "## Stripes\n\nZebra stripes confuse the biting horseflies that land on striped hides less often."
)


def lessons_dir(tmp_path: Path, **files: str) -> Path:
    d = tmp_path / "lessons"
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def two_lessons(tmp_path: Path) -> Path:
    return lessons_dir(
        tmp_path,
        **{
            "photosynthesis.mdx": lesson("Photosynthesis", "Plants turn light, water and carbon dioxide into glucose."),
            "volcanoes.mdx": lesson("Volcanoes", "Magma rises because it is less dense than the rock around it."),
        },
    )


def index(lessons: Path, idx: Path, *more: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run_cli("index", "--lessons", str(lessons), "--index", str(idx), *more, env=env or ENV)
