"""ONNX Runtime as an embedding backend (issue #36's next measured choice): the packaged all-MiniLM-L6-v2
exported to ONNX (float32, same weights), run by onnxruntime (which chromadb installs), against plain
`SentenceTransformer.encode` (the baseline) and the tutor's "torch" backend, in one process.

Printed: each ONNX variant's agreement with float32 `encode` on the course's chunks (cosine min / p1 / mean),
then the speed on up to 192 chunks, variants and baseline alternating, `--reps` times: seconds each and the
median ratio to the baseline. Variants: the exported graph on 2 intra-op threads; the graph fused by
onnxruntime's transformer optimizer (attention, layer norm, GELU) on 2 threads; the fused graph run as 2
workers of one thread each on length-bucketed batches (the scheme of the tutor's "torch" backend).

Needs the `onnx` package for the export (`.venv/bin/pip install onnx`; not a project dependency).
Run: HF_HUB_OFFLINE=1 .venv/bin/python bench/onnx_runtime.py [DIR] [--reps 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.backends import SPEED_TEXTS, chunk_texts  # noqa: E402
from bench.common import DEFAULT_LESSONS, describe_machine, median  # noqa: E402
from tutor.models.embedder import Embedder, packaged_embedder_dir  # noqa: E402

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export(model: Any, folder: Path) -> tuple[Path, Path]:
    """The transformer of `model` as ONNX (dynamic batch and length), and the same graph fused."""
    import torch
    from onnxruntime.transformers import optimizer

    class Hidden(torch.nn.Module):  # the token states; pooling and normalising stay in numpy
        def __init__(self, bert: Any):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    plain, fused = folder / "minilm.onnx", folder / "minilm-fused.onnx"
    sample = model.tokenizer(["a short text", "a somewhat longer text here"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "hidden")}
    torch.onnx.export(
        Hidden(model[0].auto_model.eval()),
        tuple(sample[k] for k in INPUTS),
        str(plain),
        input_names=list(INPUTS),
        output_names=["hidden"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    optimizer.optimize_model(str(plain), model_type="bert", num_heads=12, hidden_size=384).save_model_to_file(
        str(fused)
    )
    return plain, fused


class OnnxEmbedder:
    def __init__(self, path: Path, tokenizer: Any, max_len: int, threads: int, workers: int = 1):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer, self.max_len, self.workers = tokenizer, max_len, workers

    def _batch(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_len, return_tensors="np")
        hidden = self.session.run(None, {k: enc[k].astype(np.int64) for k in INPUTS})[0]
        mask = enc["attention_mask"][..., None].astype(np.float32)
        v = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)  # mean pooling, as the model's own
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def embed(self, texts: list[str], batch: int = 16) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")
        batches = [order[i : i + batch] for i in range(0, len(texts), batch)]
        out = np.empty((len(texts), 384), np.float32)
        with ThreadPoolExecutor(self.workers) as pool:
            for idx, v in zip(batches, pool.map(lambda idx: self._batch([texts[j] for j in idx]), batches)):
                out[idx] = v
        return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("lessons", nargs="?", type=Path, default=DEFAULT_LESSONS)
    p.add_argument("--reps", type=int, default=5)
    args = p.parse_args(argv)
    from sentence_transformers import SentenceTransformer

    print("== ONNX Runtime (float32) against plain encode and the tutor's torch backend ==")
    print(describe_machine())
    ref = Embedder(backend="torch")
    texts = chunk_texts(args.lessons, ref)
    model = SentenceTransformer(str(packaged_embedder_dir()), device="cpu")
    with tempfile.TemporaryDirectory(prefix="bench-onnx-") as tmp:
        plain, fused = export(model, Path(tmp))
        tok, n = model.tokenizer, model.max_seq_length
        variants = {
            "onnx, 2 threads": OnnxEmbedder(plain, tok, n, 2).embed,
            "onnx fused, 2 threads": OnnxEmbedder(fused, tok, n, 2).embed,
            "onnx fused, 2 workers x 1 thread": OnnxEmbedder(fused, tok, n, 1, workers=2).embed,
            "tutor torch backend": ref.embed,
        }
        base = model.encode(texts, batch_size=32, normalize_embeddings=True)
        print(f"{len(texts)} chunks of {args.lessons}")
        for name, embed in variants.items():
            cos = np.sum(base * embed(texts), axis=1)
            print(
                f"{name}: cosine to float32 encode min {cos.min():.6f} "
                f"p1 {np.percentile(cos, 1):.6f} mean {cos.mean():.6f}"
            )
        sample = texts[:: max(1, len(texts) // SPEED_TEXTS)][:SPEED_TEXTS]
        ratios: dict[str, list[float]] = {name: [] for name in variants}
        for rep in range(args.reps):
            t0 = time.perf_counter()
            model.encode(sample, batch_size=32)
            baseline = time.perf_counter() - t0
            line = [f"encode {baseline:.2f} s"]
            for name, embed in variants.items():
                t0 = time.perf_counter()
                embed(sample)
                took = time.perf_counter() - t0
                ratios[name].append(baseline / took)
                line.append(f"{name} {took:.2f} s")
            print(f"rep {rep + 1}: " + " | ".join(line), flush=True)
        for name, r in ratios.items():
            print(f"{name}: median {median(r):.2f}x plain encode's chunks/s")


if __name__ == "__main__":
    main()
