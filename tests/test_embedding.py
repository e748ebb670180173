"""The embedder's precisions against plain float32, on the real all-MiniLM-L6-v2."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import ROOT
from tutor.errors import ModelError
from tutor.ingest.chunking import chunk_lesson
from tutor.ingest.lessons import load_lessons
from tutor.models.embedder import Embedder, describe_backend, resolve_backend


@pytest.fixture(scope="module")
def texts(embedder) -> list[str]:
    lessons = load_lessons(ROOT / "corpus").lessons[:3]
    chunks = [c.embed_text for le in lessons for c in chunk_lesson(le, embedder.token_len, embedder.max_seq_length)]
    return chunks[:24] + ["What is a context window?"]


@pytest.fixture(scope="module")
def plain(texts) -> np.ndarray:
    return Embedder(backend="torch").embed(texts)


# the floors sit below each backend's worst vector on corpus/ (docs/benchmarks.md: torch 1.0000, bf16 0.9999,
# int8 0.95), with room for another CPU's rounding; int8 is the approximate backend and is never picked alone
@pytest.mark.parametrize(("backend", "floor"), [("torch", 0.99999), ("bf16", 0.999), ("int8", 0.9)])
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


AVX2_ONLY = frozenset({"fpu", "sse4_2", "avx", "avx2", "fma"})
WITH_BF16 = AVX2_ONLY | {"avx512f", "avx512_bf16"}


def test_fast_picks_float32_vectors_on_every_cpu():
    """'fast' is bfloat16 only where the CPU multiplies bfloat16 natively, float32 elsewhere; never int8."""
    assert resolve_backend("fast", AVX2_ONLY) == "torch"
    assert resolve_backend("fast", WITH_BF16) == "bf16"
    assert resolve_backend("fast", frozenset({"asimd", "sve"})) == "torch"  # ARM
    assert resolve_backend("int8", WITH_BF16) == "int8"
    with pytest.raises(ModelError, match="unknown embedding backend 'onnx'"):
        Embedder(backend="onnx")


def test_an_index_records_the_vectors_not_the_backend():
    """bf16 and float32 give the same vectors (cosine >= 0.999), so an index built on a CPU with bfloat16
    instructions is served as it is on one without; int8 vectors are another index."""
    names = {b: Embedder(backend=b).name for b in ("fast", "torch", "bf16", "int8")}
    assert names["fast"] == names["torch"] == names["bf16"] and names["torch"].endswith(":f32")
    assert names["int8"] == names["torch"].replace(":f32", ":int8")


def test_the_backend_names_the_cpu_features_that_chose_it():
    line = describe_backend("fast", AVX2_ONLY)
    assert line.startswith("fast -> torch (float32)") and "avx2" in line and "no bfloat16" in line
    assert describe_backend("fast", WITH_BF16).startswith("fast -> bf16 (bfloat16)")
    assert "set by embedding_backend" in describe_backend("int8", AVX2_ONLY)
    assert Embedder().describe() == describe_backend("fast")
