"""The model-server adapter: generation on any OpenAI-compatible server, through httpx.

Works with llama-cpp-python's server (`python -m llama_cpp.server`), llama.cpp's `llama-server` and vLLM.
The prompt is still rendered here, with the chat template of a local GGUF (`GGUFVocab`, weights not loaded),
and sent as raw text to `/v1/completions`: the tutor keeps its exact prompt layout (system, passages, history,
question), so the server's prompt cache reuses the evaluated prefix of a follow-up (`cache_prompt` asks
llama-server for it; llama-cpp-python's server keeps the last prompt's KV cache, and more with `--cache`).

Tokens are counted with the local GGUF's tokenizer when it is the served model's (same file name, or
TUTOR_MODEL set explicitly), else with the server's own `/tokenize`. The local tokenizer is preferred
because llama-cpp-python's server holds its model lock for `/tokenize`: a count would wait for another
learner's whole answer.

Nothing is held between requests: many learners stream at once and the server schedules them (one at a time
on llama-cpp-python's server; in parallel slots on llama-server `--parallel N` or vLLM). `parallel` tells the
page how many answers to send at once: TUTOR_LLM_PARALLEL, else llama-server's slot count, else one.
A server that is down, slow or cut off mid-answer raises `ModelError` naming the URL; the next request tries again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx

from tutor.errors import ModelError
from tutor.models.llm_local import GenerationStats, GGUFVocab

log = logging.getLogger(__name__)

TOKENIZE_PATHS = ("tokenize", "extras/tokenize")  # llama-server, llama-cpp-python and vLLM; older llama-cpp-python
START_HINT = "start it (e.g. python -m llama_cpp.server --model GGUF --port 8080 --interrupt_requests False)"


class ServerLLM:
    """The same surface as `LocalLLM` (render, count_tokens, truncate, stream, complete, gpu_offload,
    model_path), backed by a model server at `url` (the OpenAI base URL, usually ending in /v1)."""

    def __init__(
        self,
        url: str,
        vocab: GGUFVocab,
        *,
        api_key: str | None = None,
        model: str | None = None,
        trust_vocab: bool = False,
        timeout_s: float = 300.0,
        connect_timeout_s: float = 5.0,
        n_ctx: int = 4096,
        seed: int = 42,
        parallel: int | None = None,
    ):
        self.url = url.rstrip("/")
        self.root = self.url.removesuffix("/v1")  # tokenize and props live beside /v1, not under it
        self.seed = seed
        self.n_ctx = n_ctx
        self.gpu_offload: bool | None = None  # unknown unless the server says: it runs elsewhere
        self.parallel = 1  # answers sent at once: the setting, else llama-server's slots, else one
        self._vocab = vocab
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s))
        self._timeout_s = timeout_s
        served = self._models()
        self.model = model or served[0]
        self.model_path = Path(self.model)  # the server's own name for it; `.name` is what the page shows
        self._props()
        self.parallel = parallel or self.parallel
        same = trust_vocab or Path(self.model).name == vocab.model_path.name
        self._tokenize_path = None if same else self._find_tokenize()
        if not same and self._tokenize_path is None:
            log.warning(
                "model server %s serves %s and has no /tokenize: counting tokens with %s; set TUTOR_MODEL to the "
                "served model's GGUF",
                self.url,
                self.model,
                vocab.model_path.name,
            )
        self._count = lru_cache(maxsize=4096)(self._count_uncached)  # passages repeat between questions
        log.info(
            "model server %s: %s, %d answer(s) at once (tokens counted %s)",
            self.url,
            self.model,
            self.parallel,
            self._tokenize_path or "locally",
        )

    # --- the server's own info ------------------------------------------------------------------------
    def _models(self) -> list[str]:
        data = self._request("GET", f"{self.url}/models").get("data") or []
        ids = [m["id"] for m in data if isinstance(m, dict) and m.get("id")]
        if not ids:
            raise ModelError(f"the model server at {self.url} lists no model: check the server's --model")
        return ids

    def _props(self) -> None:
        """llama-server's /props: its slots and context size per slot. Other servers have none: one answer at a
        time (llama-cpp-python's server runs one sequence; for vLLM set TUTOR_LLM_PARALLEL), n_ctx as set."""
        try:
            r = self._client.get(f"{self.root}/props")
            props = r.json() if r.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            return
        if not isinstance(props, dict):
            return
        n_ctx = (props.get("default_generation_settings") or {}).get("n_ctx")
        if isinstance(n_ctx, int) and n_ctx > 0:
            self.n_ctx = n_ctx
        slots = props.get("total_slots")
        if isinstance(slots, int) and slots > 0:
            self.parallel = slots

    def _find_tokenize(self) -> str | None:
        for path in TOKENIZE_PATHS:
            try:
                r = self._client.post(f"{self.root}/{path}", json=self._tokenize_body("a"))
                if r.status_code == 200 and isinstance(r.json().get("tokens"), list):
                    return path
            except (httpx.HTTPError, ValueError):
                continue
        return None

    def _tokenize_body(self, text: str) -> dict[str, Any]:
        # one body every dialect reads: llama-server `content`, llama-cpp-python `input`, vLLM `prompt`
        return {"content": text, "input": text, "prompt": text, "model": self.model, "add_special": False,
                "add_special_tokens": False}  # fmt: skip

    # --- tokens ---------------------------------------------------------------------------------------
    def render(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        """(prompt text, stop strings) from the local GGUF's chat template."""
        return self._vocab.render(messages)

    def _tokens(self, text: str, special: bool = False) -> list[int]:
        if self._tokenize_path is None:
            return self._vocab.tokenize(text, special=special)
        out = self._request("POST", f"{self.root}/{self._tokenize_path}", json=self._tokenize_body(text))
        return [t if isinstance(t, int) else t["id"] for t in out["tokens"]]

    def _count_uncached(self, text: str) -> int:
        return len(self._tokens(text))

    def count_tokens(self, text: str) -> int:
        return int(self._count(text))

    def truncate(self, text: str, max_tokens: int) -> str:
        toks = self._tokens(text)
        if len(toks) <= max_tokens:
            return text
        if self._tokenize_path is None:
            return self._vocab.detokenize(toks[:max_tokens])
        detok = self._tokenize_path.replace("tokenize", "detokenize")
        out = self._request("POST", f"{self.root}/{detok}", json={"tokens": toks[:max_tokens], "model": self.model})
        return str(out.get("content") or out.get("text") or out.get("prompt") or "")

    # --- generation -----------------------------------------------------------------------------------
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
        """Text pieces as the server streams them; `stats` is filled in. Greedy (top_k 1) at temperature 0,
        with the same seed and penalties as the embedded model, so both give the same answer."""
        stats = stats if stats is not None else GenerationStats()
        stats.prompt_tokens = len(self._tokens(prompt, special=True))
        room = self.n_ctx - stats.prompt_tokens - 1
        if room < 8:
            raise ModelError(
                f"prompt of {stats.prompt_tokens} tokens leaves no room in n_ctx={self.n_ctx}: raise the server's "
                "context size and TUTOR_N_CTX"
            )
        body = {
            "model": self.model,
            "prompt": prompt,
            "max_tokens": min(max_tokens, room),
            "temperature": temperature,
            "top_k": 1 if temperature == 0 else 40,
            "repeat_penalty": repeat_penalty,  # llama.cpp servers
            "repetition_penalty": repeat_penalty,  # vLLM
            "stop": stop,
            "seed": self.seed,
            "stream": True,
            "cache_prompt": True,  # llama-server: reuse the slot's evaluated prefix
        }
        t0 = time.perf_counter()
        finished = False
        try:
            with self._client.stream("POST", f"{self.url}/completions", json=body) as resp:
                self._check(resp)
                for line in resp.iter_lines():
                    data = line.removeprefix("data:").strip() if line.startswith("data:") else ""
                    if not data:
                        continue  # blank separators, comments, pings
                    if data == "[DONE]":
                        break
                    choice = _choice(json.loads(data), self.url)
                    text = choice.get("text") or ""
                    finished = finished or bool(choice.get("finish_reason"))
                    if text:
                        if stats.completion_tokens == 0:
                            stats.ttft_s = time.perf_counter() - t0
                        stats.completion_tokens += 1
                        yield text
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self.url, self._timeout_s, mid_answer=stats.completion_tokens > 0) from exc
        if not finished:
            raise ModelError(
                f"the model server at {self.url} ended the answer early: it may have been restarted, or "
                "llama_cpp.server cut it for another request (start it with --interrupt_requests False); ask again"
            )
        stats.total_s = time.perf_counter() - t0

    def complete(self, prompt: str, stop: list[str], **kw: Any) -> str:
        return "".join(self.stream(prompt, stop, **kw))

    # --- HTTP -----------------------------------------------------------------------------------------
    def _request(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        try:
            resp = self._client.request(method, url, **kw)
            self._check(resp)
            out = resp.json()
        except httpx.HTTPError as exc:  # the pool drops dead connections: the next request dials afresh
            raise _transport_error(exc, self.url, self._timeout_s) from exc
        except ValueError as exc:
            raise ModelError(
                f"the model server at {self.url} sent no JSON for {url}: is it OpenAI-compatible?"
            ) from exc
        return out if isinstance(out, dict) else {}

    def _check(self, resp: httpx.Response) -> None:
        if resp.status_code < 400:
            return
        resp.read()
        detail = resp.text[:300].strip()
        if resp.status_code in (401, 403):
            raise ModelError(f"the model server at {self.url} refused the API key ({detail}): set TUTOR_LLM_API_KEY")
        raise ModelError(f"the model server at {self.url} answered {resp.status_code}: {detail}")


def _choice(chunk: Any, url: str) -> dict[str, Any]:
    if isinstance(chunk, dict) and chunk.get("error"):
        raise ModelError(f"the model server at {url} failed mid-answer: {chunk['error']}")
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    return choices[0] if choices else {}


def _transport_error(exc: httpx.HTTPError, url: str, timeout_s: float, *, mid_answer: bool = False) -> ModelError:
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return ModelError(f"the model server at {url} is not reachable: {START_HINT}, or unset TUTOR_LLM_URL")
    if isinstance(exc, httpx.TimeoutException):
        return ModelError(
            f"the model server at {url} sent nothing for {timeout_s:g} s: it is overloaded or stuck; ask again, "
            "or raise TUTOR_LLM_TIMEOUT_S"
        )
    if mid_answer or isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return ModelError(f"the model server at {url} stopped mid-answer: restart it if it is down, then ask again")
    return ModelError(f"the model server at {url} failed ({exc}): check it is running, then ask again")
