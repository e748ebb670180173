"""The embedder's precisions against plain float32, on the real all-MiniLM-L6-v2."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import ROOT
from tutor.errors import ModelError
from tutor.ingest.chunking import chunk_lesson
from tutor.ingest.lessons import load_lessons
from tutor.models.embedder import Embedder, native_bf16, resolve_backend


@pytest.fixture(scope="module")
def texts(embedder) -> list[str]:
    lessons = load_lessons(ROOT / "corpus").lessons[:3]
    chunks = [c.embed_text for le in lessons for c in chunk_lesson(le, embedder.token_len, embedder.max_seq_length)]
    return chunks[:24] + ["What is a context window?"]


@pytest.fixture(scope="module")
def plain(texts) -> np.ndarray:
    return Embedder(backend="torch").embed(texts)


@pytest.mark.parametrize(("backend", "floor"), [("bf16", 0.999), ("int8", 0.95)])
def test_reduced_precisions_stay_close_to_float32(texts, plain, backend: str, floor: float):
    e = Embedder(backend=backend)
    vecs = e.embed(texts)
    assert vecs.dtype == np.float32 and vecs.shape == plain.shape
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    cos = (vecs * plain).sum(axis=1)
    assert cos.min() >= floor, f"{backend}: worst cosine to float32 {cos.min():.4f}"
    # the same text alone and in a batch: bucketing and padding do not change a vector beyond rounding
    alone = e.embed([texts[-1]])[0]
    assert float(alone @ vecs[-1]) >= floor


def test_fast_picks_by_cpu_and_names_its_precision():
    assert resolve_backend("fast") == ("bf16" if native_bf16() else "int8")
    e = Embedder()
    assert e.name.endswith(":" + e.precision) and e.precision in ("bf16", "int8")
    with pytest.raises(ModelError, match="unknown embedding backend 'onnx'"):
        Embedder(backend="onnx")
