"""Jupyter notebooks: markdown cells as the lesson's text, code cells as code blocks (outputs left out).

A `.ipynb` file is JSON (nbformat 4): each cell has a `cell_type` and a `source` (a string or a list of lines).
The notebook becomes one Markdown text, which tutor.ingest.mdx reads as any lesson; the code blocks are
marked with the kernel's language. Raw cells and outputs are not read.
"""

from __future__ import annotations

import json
from typing import Any

from tutor.errors import LessonError


def notebook_markdown(text: str, rel: str) -> str:
    """The notebook as Markdown; a file that is not a notebook raises LessonError saying what to do."""
    try:
        nb = json.loads(text)
    except ValueError as exc:
        raise LessonError(rel, f"not a notebook: invalid JSON ({exc}); re-save it") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise LessonError(rel, "not a Jupyter notebook (no 'cells' list); re-save it with Jupyter (nbformat 4)")
    meta = nb.get("metadata") or {}
    kernel, info = meta.get("kernelspec") or {}, meta.get("language_info") or {}
    language = str(kernel.get("language") or info.get("name") or "")
    parts = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = _source(cell.get("source"))
        if not source.strip():
            continue
        if cell.get("cell_type") == "markdown":
            parts.append(source.strip("\n"))
        elif cell.get("cell_type") == "code":
            parts.append(f"```{language}\n{source.strip(chr(10))}\n```")
    return "\n\n".join(parts) + "\n"


def _source(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(x) for x in value)
    return value if isinstance(value, str) else ""
