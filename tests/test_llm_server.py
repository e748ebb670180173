"""Generation through an OpenAI-compatible model server: `python -m llama_cpp.server` with the packaged GGUF,
started on 127.0.0.1 by the fixtures and stopped by PID.

Answers through the server match the embedded model's at temperature 0; tokens are counted through the
server's /tokenize or locally alike; a server that is down, stuck or killed mid-answer gives one clear error
naming its URL, and the next question works once it is back.
"""

from __future__ import annotations

import os
import signal
import socket
import threading

import pytest

from tests.conftest import free_port, run_cli, start_model_server, stop_process
from tutor.answer.turn import turn_of
from tutor.build import build_llm, build_tutor
from tutor.errors import ModelError
from tutor.events import Done, Token
from tutor.models.llm_local import GenerationStats, GGUFVocab, LocalLLM, packaged_gguf
from tutor.models.llm_server import ServerLLM

pytestmark = pytest.mark.slow

QUESTIONS = ["How does self-attention work?", "What is retrieval-augmented generation?"]


@pytest.fixture(scope="module")
def vocab() -> GGUFVocab:
    return GGUFVocab()


@pytest.fixture
def cold_pair():
    """(a freshly loaded embedded model, the URL of a freshly started server): same GGUF, threads and batch
    sizes, and neither has a prompt cached. llama.cpp reuses the longest cached prefix of a prompt and evaluates
    only the rest, in a batch of another size, whose rounding can differ; so the two give the same tokens only
    when they are asked the same prompts in the same order from the same (cold) start."""
    proc = start_model_server(free_port())
    try:
        yield LocalLLM(n_ctx=4096), f"http://127.0.0.1:{proc.args[proc.args.index('--port') + 1]}/v1"
    finally:
        stop_process(proc)


@pytest.fixture
def tutors(corpus_index, embedder, cold_pair):
    """(embedded, through the server): the same index, embedder and settings, answers capped at 96 tokens."""
    llm, url = cold_pair
    settings, store = corpus_index
    s = settings.model_copy(update={"max_tokens": 96})
    remote = s.model_copy(update={"llm_url": url})
    return (
        build_tutor(s, store=store, embedder=embedder, llm=llm),
        build_tutor(remote, store=store, embedder=embedder, llm=build_llm(remote)),
    )


def test_server_reports_its_model_and_counts_tokens_like_the_gguf(model_server, vocab, llm):
    remote = ServerLLM(model_server, vocab)
    assert remote.model_path.name == packaged_gguf().name  # the server's own /v1/models id
    assert remote.gpu_offload is None  # the server does not say; the page shows "unknown"
    assert remote.parallel == 1  # llama_cpp.server has no /props: one answer at a time, as it writes them
    assert ServerLLM(model_server, vocab, parallel=4).parallel == 4  # TUTOR_LLM_PARALLEL, e.g. for vLLM
    text = "Attention lets every token look at every other token in the sentence."
    assert remote.count_tokens(text) == llm.count_tokens(text)
    assert remote.truncate(text, 5) == llm.truncate(text, 5)
    assert remote.truncate(text, 500) == text


def test_server_tokenize_endpoint_counts_like_the_gguf(model_server_alias, vocab, llm):
    """Served under an alias, the model is not known to be the local GGUF: tokens come from /tokenize."""
    remote = ServerLLM(model_server_alias, vocab)
    assert remote.model == "tutor-smol"
    assert remote._tokenize_path is not None
    text = "Embeddings map words to vectors; similar meanings land close together."
    assert remote.count_tokens(text) == llm.count_tokens(text)
    assert llm.count_tokens(remote.truncate(text, 6)) == 6


def test_stream_and_complete_match_the_embedded_model(cold_pair, vocab):
    """Each side is asked the same prompts in the same order from a cold start (see `cold_pair`)."""
    llm, url = cold_pair
    remote = ServerLLM(url, vocab)
    prompt, stop = llm.render([{"role": "user", "content": "Name three primary colours."}])
    assert remote.render([{"role": "user", "content": "Name three primary colours."}]) == (prompt, stop)
    stats = GenerationStats()
    pieces = list(remote.stream(prompt, stop, max_tokens=24, stats=stats))
    assert len(pieces) > 1  # streamed, not one block
    assert stats.completion_tokens == len(pieces) and stats.ttft_s > 0 and stats.prompt_tokens > 10
    assert "".join(pieces) == llm.complete(prompt, stop, max_tokens=24)
    assert remote.complete(prompt, stop, max_tokens=24) == llm.complete(prompt, stop, max_tokens=24)
    # a stop string ends the answer where the embedded model ends it
    with_comma = [*stop, ","]
    assert remote.complete(prompt, with_comma, max_tokens=24) == llm.complete(prompt, with_comma, max_tokens=24)
    assert "," not in remote.complete(prompt, with_comma, max_tokens=24)


def test_answers_through_the_server_match_the_embedded_ones(tutors):
    tutor, server_tutor = tutors
    for q in QUESTIONS:
        local, remote = tutor.ask(q), server_tutor.ask(q)
        assert not local.refused and local.text
        assert remote.text == local.text
        assert [x.number for x in remote.sources] == [x.number for x in local.sources]
    # a follow-up (history in the prompt), streamed through the server
    history = [turn_of(local)]
    events = list(server_tutor.stream("And what are its limits?", history))
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    done = next(e for e in events if isinstance(e, Done))
    assert streamed.strip()
    assert done.answer.text == tutor.ask("And what are its limits?", history).text


def test_a_stuck_server_times_out_with_a_clear_message(vocab, model_server):
    """A server that accepts connections and never answers: the configured timeout, then one message."""
    remote = ServerLLM(model_server, vocab, timeout_s=1.0)
    stuck = socket.socket()
    stuck.bind(("127.0.0.1", 0))
    stuck.listen(8)
    held: list[socket.socket] = []
    accept = threading.Thread(target=lambda: held.extend(stuck.accept() for _ in range(1)), daemon=True)
    accept.start()
    url = f"http://127.0.0.1:{stuck.getsockname()[1]}/v1"
    remote.url = url  # the same client, pointed at the stuck one
    try:
        with pytest.raises(ModelError, match=r"sent nothing for 1 s.*TUTOR_LLM_TIMEOUT_S") as err:
            remote.complete("Hello", [], max_tokens=4)
        assert url in str(err.value)
    finally:
        stuck.close()
        for conn in held:
            conn[0].close()


def test_llama_server_slots_set_how_many_answers_the_page_sends_at_once(vocab):
    """llama-server's /props (a stand-in here: llama-server is not built in `make test`) gives its slots and
    context; TUTOR_LLM_PARALLEL overrides the slots."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Props(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = {"/v1/models": {"data": [{"id": "smol.gguf"}]},
                    "/props": {"total_slots": 3, "default_generation_settings": {"n_ctx": 2048}}}.get(self.path)  # fmt: skip
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(json.dumps(body or {}).encode())

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Props)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        remote = ServerLLM(url, vocab, trust_vocab=True)
        assert (remote.parallel, remote.n_ctx) == (3, 2048)
        assert ServerLLM(url, vocab, trust_vocab=True, parallel=8).parallel == 8
    finally:
        httpd.shutdown()


def test_killed_mid_answer_gives_a_clear_message_and_the_next_question_works(corpus_index, embedder, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    proc = start_model_server(port, log=tmp_path / "server1.log")
    try:
        settings, store = corpus_index
        s = settings.model_copy(update={"llm_url": url, "max_tokens": 200})
        tutor = build_tutor(s, store=store, embedder=embedder)
        events = tutor.stream(QUESTIONS[0])
        with pytest.raises(ModelError, match="model server") as err:
            for ev in events:
                if isinstance(ev, Token):
                    os.kill(proc.pid, signal.SIGKILL)  # the first piece has arrived: kill it mid-answer
        assert url in str(err.value) and "ask again" in str(err.value)
        proc.wait(10)
        # still down: the next question says so at once
        with pytest.raises(ModelError, match="not reachable"):
            tutor.ask(QUESTIONS[1])
        proc = start_model_server(port, log=tmp_path / "server2.log")
        answer = tutor.ask(QUESTIONS[1])  # back: the same tutor answers
        assert not answer.refused and answer.text.strip()
    finally:
        stop_process(proc)


def test_api_key_is_sent_and_a_wrong_one_is_named(vocab, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    proc = start_model_server(port, "--api_key", "class-secret", log=tmp_path / "server.log")
    try:
        with pytest.raises(ModelError, match="refused the API key.*TUTOR_LLM_API_KEY"):
            ServerLLM(url, vocab)
        remote = ServerLLM(url, vocab, api_key="class-secret")
        prompt, stop = remote.render([{"role": "user", "content": "Say hello."}])
        assert remote.complete(prompt, stop, max_tokens=4).strip()
    finally:
        stop_process(proc)


def test_cli_says_in_one_line_that_the_server_is_down(corpus_index):
    settings, _ = corpus_index
    url = f"http://127.0.0.1:{_free_port()}/v1"
    env = {**os.environ, "TUTOR_LLM_URL": url, "TUTOR_INDEX_DIR": str(settings.index_dir),
           "TUTOR_LESSONS_DIR": str(settings.lessons_dir)}  # fmt: skip
    r = run_cli("ask", QUESTIONS[0], env=env)
    assert r.returncode == 1
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: the model server at " + url), r.stderr
    assert "Traceback" not in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
