"""The web UI: hostile lesson text stays text, the listen rule, and four learners at once through the API."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from html import unescape

import pytest

from tutor.errors import ConfigError, LessonError
from tutor.events import Answer, KeySentence, SentenceCheck, Source, Suggestion, Timings
from tutor.settings import Settings
from tutor.store.manifest import LessonEntry, Manifest
from tutor.store.sync import SyncSummary
from ui import bubble, render, scope, status_html
from ui.access import is_loopback, listen_credentials, parse_auth

HOSTILE = '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=2">'


def source(number: int, cited: bool, text: str = f"Plain start. {HOSTILE} Plain end.", **kw) -> Source:
    fields = dict(
        chunk_id=f"c{number}",
        lesson_id=f"p/en/l{number}",
        path=f"p/lessons/en/l{number}.mdx",
        title=f"Lesson {number} {HOSTILE}",
        breadcrumb=f"Lesson {number} > {HOSTILE}",
        anchor="a",
        language="en",
        program="p",
        start=0,
        end=len(text),
        score=0.03,
        similarity=0.58,
        text=text,
    )
    fields.update(kw)
    return Source(number=number, cited=cited, **fields)  # type: ignore[arg-type]


def answer(**kw) -> Answer:
    fields = dict(
        question=HOSTILE,
        text=f"An answer [1]. {HOSTILE}",
        refused=False,
        sources=[source(1, True, highlights=[(0, 12)]), source(2, False)],
        citations=[1],
        sentences=[
            SentenceCheck(text="An answer.", supported=True, support=0.9, source=1, citations=[1]),
            SentenceCheck(text=HOSTILE, supported=False, support=0.1, source=None),
        ],
        key_sentences=[key(1, f"Quoted {HOSTILE} ![t](http://127.0.0.1:9/track.png)")],
        suggestions=[],
        gpu_offload=False,
        timings=Timings(ttft_s=0.5, total_s=2.0),
    )
    fields.update(kw)
    return Answer(**fields)  # type: ignore[arg-type]


def key(number: int, text: str) -> KeySentence:
    return KeySentence(
        number=number,
        text=text,
        lesson_id=f"p/en/l{number}",
        title=HOSTILE,
        breadcrumb=HOSTILE,
        path="p/l1.mdx",
        start=0,
        end=len(text),
        file_start=0,
        file_end=len(text),
        score=0.9,
    )


def entry(title: str, program: str, language: str) -> LessonEntry:
    return LessonEntry(
        hash="h", path=f"{title}.mdx", title=title, program=program, language=language, slug=title.lower(), chunks=3
    )


def assert_inert(html: str) -> None:
    assert "<script" not in html and "<img" not in html, html
    assert "&lt;script&gt;" in html


# --- rendering ----------------------------------------------------------------------------------------
def test_every_renderer_escapes_hostile_lesson_and_question_text():
    m = Manifest(collection="c", indexed_at=1.0, lessons={"p/en/x": entry(HOSTILE, "p", "en")})
    refused = answer(
        refused=True,
        text="Not covered.",
        sentences=[],
        key_sentences=[],
        citations=[],
        suggestions=[Suggestion("p/en/x", HOSTILE, HOSTILE, 0.2)],
    )
    summary = SyncSummary(added=[HOSTILE], updated=[HOSTILE], warnings=[LessonError(HOSTILE, HOSTILE, 3)])
    for html in (
        render.answer_panel(answer()),
        render.answer_panel(refused),
        render.retrieved_panel([source(1, False)], refused=False),
        status_html.sync_html(summary),
        status_html.status_html(HOSTILE, True, m),
        render.error_html(HOSTILE),
    ):
        assert_inert(html)
    for a in (answer(), refused):
        for html in (bubble.answer_bubble(a), bubble.streaming_bubble(a.key_sentences, HOSTILE)):
            assert "<script" not in html and "<img" not in html, html
            assert "![" not in html and "](" not in html  # no markdown image or link can form
    msgs = render.chat_messages([answer()], HOSTILE, bubble.streaming_bubble(None, HOSTILE))
    assert msgs[0]["content"] == bubble.text(HOSTILE) and "<" not in msgs[0]["content"]
    for msg in msgs:
        assert "<script" not in msg["content"] and "<img" not in msg["content"]


def test_highlights_wrap_the_supporting_spans_and_stay_escaped():
    text = "Cats <purr>. Dogs bark. Fish swim."
    out = render.highlighted(text, [(13, 23), (0, 4), (2, 8), (40, 50)])  # overlapping and out of range
    assert out == "<mark>Cats &lt;pu</mark>rr&gt;. <mark>Dogs bark.</mark> Fish swim."
    assert render.highlighted("a<b", []) == "a&lt;b"


def test_answer_panel_shows_cited_first_folds_the_rest_and_leaves_unsupported_sentences_to_the_answer():
    html = render.answer_panel(answer())
    cited, details = html.index('class="src cited"'), html.index("<details>")
    assert cited < details < html.index('class="src uncited"')
    # issue 33: the model's unsupported sentences stay greyed in the explanation, never a box above the sources
    assert "Not backed by the lessons" not in html and "unsupported" not in html
    assert "unsupported" not in render.phone_sources(answer())
    assert "<mark>Plain start.</mark>" in html
    assert 'style="width:58%"' in html  # the score bar is the similarity
    nothing_cited = render.answer_panel(answer(citations=[], sources=[source(1, False), source(2, False)]))
    assert "<details>" not in nothing_cited and nothing_cited.count('class="src uncited"') == 2


def test_refusal_panel_lists_suggested_lessons_by_title():
    a = answer(
        refused=True,
        text="Not covered.",
        sentences=[],
        citations=[],
        suggestions=[
            Suggestion("p/en/a", "Alpha Lesson", "a.mdx", 0.2),
            Suggestion("p/en/b", "Beta Lesson", "b.mdx", 0.1),
        ],
    )
    html = render.answer_panel(a)
    assert "Not covered" in html and "Alpha Lesson" in html and "Beta Lesson" in html


def test_answer_bubble_puts_the_lessons_words_first_and_sets_unsupported_sentences_apart():
    html = bubble.answer_bubble(answer())
    keys, explain = html.index(bubble.KEYS_LABEL), html.index(bubble.MODEL_LABEL)
    assert keys < explain  # the lessons' own words come first
    assert 'href="#src-0-1"' in html  # citation links scroll to the source card of this answer (number 0)
    assert 'href="#src-2-1"' in bubble.answer_bubble(answer(), turn=2)
    supported, unsupported = html.index('class="supported"'), html.index('class="unsupported"')
    assert supported < unsupported and html.count(bubble.FLAG) == 1
    assert "An answer. <a" in html  # the supported sentence carries its citation link
    mostly = bubble.answer_bubble(answer(mostly_unsupported=True))
    assert bubble.MOSTLY in mostly and "<details>" in mostly  # the explanation is folded away
    invented = [SentenceCheck(text="Made up.", supported=False, support=0.1, source=None)]
    alone = bubble.answer_bubble(answer(sentences=invented, mostly_unsupported=True))
    assert "Made up" not in alone and bubble.MODEL_LABEL not in alone  # nothing backed: the key sentences alone
    assert "Made up" not in render.answer_panel(answer(sentences=invented))  # nor a "Not backed" box
    draft = bubble.streaming_bubble(answer().key_sentences, "Half a senten")
    assert bubble.DRAFT_LABEL in draft and "Half a senten" in draft and bubble.MODEL_LABEL not in draft
    card = render.source_card(source(3, True))
    assert 'id="src-3"' in card


def test_each_answer_keeps_its_own_sources_under_its_own_ids():
    """Issue 33: an earlier answer's citations open that answer's passages, not the newest answer's."""
    first, second = answer(question="first?"), answer(question="second?")
    panel = render.answers_panel([first, second])
    assert 'id="src-0-1"' in panel and 'id="src-1-1"' in panel
    older, newer = panel.index('data-turn="0"'), panel.index('data-turn="1"')
    assert "earlier" in panel[panel.rindex("<div", 0, older) : older] and "earlier" not in panel[older:newer]
    msgs = render.chat_messages([first, second], links=render.no_link)
    assert 'href="#src-0-1"' in msgs[1]["content"] and 'id="m-src-0-1"' in msgs[1]["content"]
    assert 'href="#src-1-1"' in msgs[3]["content"] and 'id="m-src-1-1"' in msgs[3]["content"]


def test_a_passage_list_link_and_table_read_as_such():
    """Issue 33: a highlight over list items left their "- " raw; links and tables showed their markdown."""
    text = "Needs:\n\n- Cool water.\n- Sand floor.\n\nSee the [care sheet](https://example.org/a).\n\n| A | B |\n|---|---|\n| c | d |"
    html = render.passage_html(text, [(8, 35), (text.index("See"), text.index("See") + 5)])
    assert "<li><mark>Cool water.</mark></li>" in html and "<li><mark>Sand floor.</mark></li>" in html
    assert "care sheet" in html and "](" not in html and "href" not in html and "<td>c</td>" in html
    row = replace(answer().key_sentences[0], text="See the [care sheet](https://example.org/a).\n|---|---|\n| c | d |")
    keys = bubble.keys_html([row])
    assert "See the care sheet.<br>c · d" in keys and "example.org" not in keys


def test_a_key_sentence_list_or_quotation_reads_as_lines_without_markdown_marks():
    # found on the page: "> **Artificial Intelligence is software ...**" showed its ">", and a list after a blank
    # line ended the quote's HTML block, so the chat rendered the rest as markdown
    quote = "> **AI is software that learns.**"
    listing = "Curated by AI:\n\n- **Netflix** - films\n* Spotify - *music*"
    keys = [replace(answer().key_sentences[0], text=quote), replace(answer().key_sentences[0], text=listing)]
    html = bubble.keys_html(keys)
    assert f'{bubble.STYLE_KEY}"><strong>AI is software that learns.</strong>' in html  # no "&gt;" before it
    assert "Curated by AI:<br>• <strong>Netflix</strong> - films<br>• Spotify - <em>music</em>" in html
    assert "\n" not in html  # one HTML block: no line break for the chat's markdown to split it at
    row = replace(answer().key_sentences[0], text="| 2016 | AlphaGo beats world Go champion **Lee Sedol** |")
    assert "2016 · AlphaGo beats world Go champion <strong>Lee Sedol</strong> <a" in bubble.keys_html([row])


def test_what_was_done_to_the_question_is_said_in_the_page_language_and_keeps_the_refusal():
    read = answer(read_as="explain attention", question_cut=512)
    en, es = bubble.answer_bubble(read), bubble.answer_bubble(read, "es") + render.answer_panel(read, "es")
    assert "explain attention" in en and "only its beginning" in en and "se leyó" in es and "comienzo" in es
    unused = answer(unused=["copyrighted"])
    en, es = unescape(bubble.answer_bubble(unused)), unescape(render.answer_panel(unused, "es"))
    assert 'No lesson uses "copyrighted"' in en and 'Ninguna lección usa "copyrighted"' in es
    assert "No lesson uses" not in bubble.answer_bubble(answer())
    no = {"refused": True, "text": "x", "sentences": [], "citations": []}  # the cut notice replaced the refusal:
    cut, scoped = answer(**no, question_cut=512), answer(**no, scope="AI Foundations")
    assert "only its beginning" in bubble.refusal_text(cut) and "don't cover" in bubble.refusal_text(cut)
    assert "AI Foundations" in bubble.refusal_text(scoped) and "don't cover" in bubble.refusal_text(scoped)


def test_the_line_lets_as_many_answers_through_as_the_model_writes_at_once():
    from ui.turns import Line

    slots = [1]
    line = Line(lambda: slots[0])
    a, b, c = line.join(), line.join(), line.join()
    assert line.wait_turn(a, 0) and not line.wait_turn(b, 0.01)
    assert (line.ahead(a), line.ahead(b), line.ahead(c)) == (0, 1, 2)
    slots[0] = 2  # a model server with two slots: the second answer starts beside the first
    assert line.wait_turn(b, 0) and not line.wait_turn(c, 0.01) and line.ahead(c) == 1
    line.leave(a)
    assert line.wait_turn(c, 0) and line.ahead(c) == 0


def test_filter_choices_come_from_the_manifest():
    lessons = {"a/en/one": entry("One", "a", "en"), "b/es/two": entry("Dos", "b", "es")}
    m = Manifest(collection="c", lessons=lessons)
    titles = {"a": "Alpha Course"}  # a program's title from its program.json; none: its slug
    assert scope.program_choices(m, titles) == [("All programs", ""), ("Alpha Course", "a"), ("b", "b")]
    assert scope.lesson_choices(m, scope.Scope(program="b")) == [("All lessons", ""), ("Dos (Español)", "b/es/two")]
    assert len(scope.lesson_choices(m, scope.Scope())) == 3
    assert "no index yet" in status_html.status_html("m.gguf", False, None)


def test_the_teacher_sees_the_embedding_backend_and_an_index_of_other_vectors():
    m = Manifest(collection="c", embedder="model:int8", lessons={"a/en/one": entry("One", "a", "en")})
    line = "fast -> torch (float32); CPU no bfloat16 instructions; CPU features: avx2, fma"
    same = status_html.status_html("m.gguf", False, m, embedding=line, embedder="model:int8")
    assert "Embedding: fast -&gt; torch (float32)" in same and "avx2" in same and "Re-index" not in same
    other = status_html.status_html("m.gguf", False, m, embedding=line, embedder="model:f32")
    assert "holds model:int8 vectors" in other and "model:f32" in other and "Re-index lessons" in other


# --- who may connect ----------------------------------------------------------------------------------
def test_open_address_needs_credentials():
    with pytest.raises(ConfigError, match="listening on 0.0.0.0 needs credentials"):
        listen_credentials("0.0.0.0", None)
    with pytest.raises(ConfigError):
        listen_credentials("192.168.1.5", "")
    assert listen_credentials("0.0.0.0", "ada:s3cret:x") == ("ada", "s3cret:x")
    for host in ("127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"):
        assert is_loopback(host) and listen_credentials(host, None) is None
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("example.org")
    for bad in ("nopassword", ":pw", "user:"):
        with pytest.raises(ConfigError):
            parse_auth(bad)


def test_serve_refuses_before_loading_anything(tmp_path):
    from ui.app import serve

    settings = Settings(lessons_dir=tmp_path, index_dir=tmp_path / "idx", host="0.0.0.0", auth=None)
    with pytest.raises(ConfigError, match="TUTOR_AUTH"):
        serve(settings)
    assert not (tmp_path / "idx").exists()  # no index was opened, no model loaded


# --- four learners at once through gradio_client --------------------------------------------------------
@pytest.fixture(scope="module")
def app_url(corpus_index, embedder, llm):
    from tutor.build import build_tutor
    from ui.app import build_app
    from ui.server import launch

    settings, store = corpus_index
    short = settings.model_copy(update={"max_tokens": 32})  # short answers keep eight of them quick
    tutor = build_tutor(short, store=store, embedder=embedder, llm=llm)
    demo = build_app(tutor)
    launch(demo, "127.0.0.1", None, None, prevent_thread_lock=True)  # the first free port from 7860
    yield demo.local_url
    demo.close()


def texts(chat: list[dict]) -> list[tuple[str, str]]:
    """(role, text) of each message the Chatbot returned (content is a list of parts)."""
    out = []
    for m in chat:
        parts = m["content"] if isinstance(m["content"], list) else [m["content"]]
        out.append((m["role"], "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in parts)))
    return out


CONVERSATIONS = [
    ("How does self-attention work?", "Why does it need queries and keys?"),
    ("What are embeddings used for?", "How are they compared?"),
    ("What is retrieval-augmented generation?", "Why does it reduce hallucinations?"),
    ("What is a context window?", "What happens when it is full?"),
]


def test_four_sessions_at_once_each_keep_their_own_history(app_url):
    from gradio_client import Client

    def converse(pair: tuple[str, str]) -> tuple[list, list, str]:
        client = Client(app_url, verbose=False)
        try:
            chat1, sources1, box1 = client.predict(pair[0], "", "", api_name="/ask")
            chat2, _, _ = client.predict(pair[1], "", "", api_name="/ask")
        finally:
            client.close()
        assert box1 == ""  # the question box is cleared once the question is taken
        return texts(chat1), texts(chat2), sources1

    with ThreadPoolExecutor(len(CONVERSATIONS)) as pool:
        results = list(pool.map(converse, CONVERSATIONS, timeout=600))
    first_answers = []
    for (q1, q2), (chat1, chat2, sources1) in zip(CONVERSATIONS, results, strict=True):
        assert [r for r, _ in chat1] == ["user", "assistant"] and chat1[0][1] == q1 and chat1[1][1]
        # the follow-up shows this session's own first turn, then its own new turn: nobody else's
        # (each answer carries its own sources folded for phones)
        assert [t for _, t in chat2[:2]] == [t for _, t in chat1]
        assert 'class="phone-sources"' in chat1[1][1] and 'id="m-src-1-' in chat2[3][1]
        assert [(r, t) for r, t in chat2 if r == "user"] == [("user", q1), ("user", q2)]
        assert chat2[3][0] == "assistant" and chat2[3][1]
        assert 'class="src' in sources1  # the sources panel came with the answer
        first_answers.append(chat1[1][1])
    assert len(set(first_answers)) == len(CONVERSATIONS)  # four different questions, four different answers


def test_empty_question_shows_the_core_message_and_keeps_the_chat(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    try:
        chat, sources, _ = client.predict("   ", "", "", api_name="/ask")
    finally:
        client.close()
    assert chat == [] and 'class="error"' in sources and "empty" in sources


def test_example_questions_read_the_section_headings_as_written():
    assert scope.topic("The learning loop") == "the learning loop"
    assert scope.topic("How RLHF works") == "how RLHF works"
    assert scope.topic("RLHF in practice") == "RLHF in practice"
    assert scope.topic("You Already Use AI Every Day") == "“You Already Use AI Every Day”"
    assert scope.topic("What Exactly Are AI Chatbots?") == "“What Exactly Are AI Chatbots”"


def test_example_questions_fit_the_examples_list_whole():
    """Issue 33: Gradio's examples list shows 60 characters of a sample, so a longer question read "...a RAG
    sys..."; a heading of marks alone, or a title holding ">", gave "What does the lesson teach about ?"."""
    m = Manifest(collection="c", lessons={f"p/en/{n}": entry(n, "p", "en") for n in ("a", "b", "c")})
    headings = [
        ("p/en/a", "a > The two halves of a retrieval-augmented generation system"),
        ("p/en/b", "b <img src=x> > Why data storage matters"),
        ("p/en/c", "c > ..."),
        ("p/en/c", "c > Tokens"),
    ]
    picked = scope.examples(m, headings, scope.Scope())
    assert picked[:2] == [
        "What does the lesson teach about why data storage matters?",
        "What does the lesson teach about tokens?",
    ]
    assert all(len(q) <= scope.EXAMPLE_CHARS for q in picked) and not any("about ?" in q for q in picked)
    full = "What does the lesson teach about the two halves of a retrieval-augmented generation system?"
    cut = picked[2][:-1]  # too few fit: the long one comes last, cut where a word ends and marked "…"
    assert picked[2].endswith("…") and full.startswith(cut) and full[len(cut)] == " "
