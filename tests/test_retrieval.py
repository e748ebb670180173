"""Retrieval: the fusion maths, exact dense search after many edits, and the hidden-update reproduction
(issue 11) on real Chroma indexes with the real embedder."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CORPUS, MINI, lesson
from tutor.build import build_tutor
from tutor.evaluation.quizzes import quiz_queries, retrieval_metrics
from tutor.ingest.lessons import load_lessons
from tutor.search import fusion, gate
from tutor.search.retriever import DENSE_K, Filters, Retriever
from tutor.search.spelling import Spelling
from tutor.settings import Settings
from tutor.store.chroma import ChunkStore

ZORBLAX = "The zorblax quaternion is the mascot of this lesson about edits."


def test_dense_value_is_the_cosine_on_a_fixed_scale():
    lo, hi = fusion.DENSE_FLOOR, fusion.DENSE_FULL
    assert fusion.dense_values([hi + 0.1, hi, (lo + hi) / 2, lo, lo - 0.1]) == pytest.approx([1, 1, 0.5, 0, 0])
    # the best of weak candidates stays weak: no min-max stretching to 1.0
    weak = fusion.fusion_values([0.30, 0.25, 0.21], "convex", bm25=False)
    assert weak[0] == pytest.approx((0.30 - lo) / (hi - lo)) and weak[0] < 0.25
    # BM25 has no fixed scale: divided by the question's best score (0 = no term in common)
    assert fusion.fusion_values([8.0, 6.0, 2.0], "convex", bm25=True) == pytest.approx([1.0, 0.75, 0.25])
    assert fusion.fusion_values([], "convex", bm25=True) == []


def test_rrf_ignores_the_scores():
    k = fusion.RRF_K
    assert fusion.fusion_values([9.0, 0.1], "rrf", bm25=True) == pytest.approx([1 / (k + 1), 1 / (k + 2)])


def test_top_k_is_exact_and_respects_the_filter():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=500).astype(np.float32)
    assert list(fusion.top_k(scores, 7)) == list(np.argsort(-scores)[:7])
    allowed = np.arange(500) % 3 == 0
    got = fusion.top_k(scores, 7, allowed)
    assert all(allowed[got]) and list(got) == [i for i in np.argsort(-scores) if allowed[i]][:7]
    assert len(fusion.top_k(scores, 7, np.zeros(500, bool))) == 0


def test_diversity_caps_a_lesson_unless_its_passage_is_close_to_the_best_or_far_ahead():
    from tutor.ingest.chunking import Chunk
    from tutor.search.retriever import Passage

    def passage(i: int, lesson: str, score: float, text: str = "t") -> Passage:
        crumb = lesson if text.startswith("Sections: ") else f"{lesson} > part {i}"
        return Passage(
            Chunk(f"c{i}", lesson, "h", "p", "en", lesson, lesson, "x.md", crumb, "", 0, 1, text), score, 0.0
        )

    ranked = [
        passage(0, "a", 0.5),
        passage(1, "a", 0.45),
        passage(2, "a", 0.42),
        passage(3, "b", 0.2),
        passage(4, "a", 0.3),
    ]
    ids = [p.chunk.id for p in fusion.diversify(ranked, 3)]
    assert ids == ["c0", "c1", "c2"]  # c2 scores within 0.8 of the best: a third passage of lesson a
    assert [p.chunk.id for p in fusion.diversify(ranked, 3, near_best=1.0)] == ["c0", "c1", "c3"]  # capped: b's
    # a lesson's overview (its section list) answers nothing: it does not use up one of the lesson's places
    ranked.insert(1, passage(9, "a", 0.48, "Sections: One; Two."))
    got = [p.chunk.id for p in fusion.diversify(ranked, 3, near_best=1.0)]
    assert got == ["c0", "c9", "c1"]  # c1, the lesson's second passage of content, is not pushed out by c9
    # a capped passage far ahead of another lesson's best goes before it (three times its score)
    ranked = [passage(0, "a", 0.9), passage(1, "a", 0.85), passage(2, "a", 0.6), passage(3, "b", 0.15)]
    assert [p.chunk.id for p in fusion.diversify(ranked, 3)] == ["c0", "c1", "c2"]
    ranked[2] = passage(2, "a", 0.4)  # not that far: lesson b's passage keeps its place
    assert [p.chunk.id for p in fusion.diversify(ranked, 3)] == ["c0", "c1", "c3"]


def test_unknown_fusion_is_refused(corpus_index, embedder):
    _, store = corpus_index
    with pytest.raises(ValueError, match="unknown fusion 'bm25'"):
        Retriever(store, embedder, "bm25")
    with pytest.raises(ValueError, match="fusion"):
        Settings(fusion="bm25")  # type: ignore[arg-type]


@pytest.mark.parametrize("fusion_name", ["convex", "rrf"])
def test_both_fusions_find_the_quiz_lessons(corpus_index, embedder, fusion_name: str):
    settings, store = corpus_index
    tutor = build_tutor(settings.model_copy(update={"fusion": fusion_name}), store=store, embedder=embedder)
    queries = [q for q in quiz_queries(load_lessons(settings.lessons_dir).lessons) if q.language == "en"]
    m = retrieval_metrics(tutor.search, queries, ks=(1, 3))
    assert m.n == len(queries) >= 40
    assert m.recall[3] >= 0.95 and m.recall[1] >= 0.8, (fusion_name, m.recall, m.misses)


def test_language_of_a_question_from_the_lessons_own_words(corpus_index, embedder):
    _, store = corpus_index
    r = Retriever(store, embedder)
    assert r.language_of("What does a transformer's attention layer do with the words of a sentence?") == "en"
    assert r.language_of("¿Qué hace la capa de atención de un transformer con las palabras de una frase?") == "es"
    assert r.language_of("RLHF") is None  # no common word of either language: no preference


def test_the_query_vector_travels_with_the_result(corpus_index, embedder):
    settings, store = corpus_index
    r = build_tutor(settings, store=store, embedder=embedder).search("How does self-attention work?")
    assert r.query_vector is not None
    assert float(r.query_vector @ embedder.embed_one(r.query)) > 0.999


def test_acronyms_are_read_from_where_the_lessons_spell_them_out():
    from tutor.search.acronyms import expand, glossary, long_form

    texts = [
        "The recipe ends with **reinforcement learning from human feedback** (RLHF), then newer variants.",
        "Direct Preference Optimisation (DPO) skips the reward model; byte-pair encoding (BPE) builds the vocabulary.",
        "A newer variant, reinforcement learning from AI feedback (RLAIF), asks a model instead of people.",
        "It runs in Python (Python 3.11) on a mixture of experts (the usual name).",  # names, not definitions
        "Large language models (LLMs) predict the next token.",
    ]
    g = glossary(texts)
    assert g.terms == {
        "rlhf": "reinforcement learning from human feedback",
        "dpo": "direct preference optimisation",
        "bpe": "byte-pair encoding",
        "rlaif": "reinforcement learning from ai feedback",
        "llm": "large language models",
    }
    assert long_form(["we", "use", "a", "mixture", "of", "experts"], "MoE") == "mixture of experts"
    assert long_form(["the", "usual", "name"], "MoE") is None
    assert expand("how does rlhf work", g) == "how does rlhf work (reinforcement learning from human feedback)"
    assert (
        expand("What is DPO, or direct preference optimisation?", g)
        == "What is DPO, or direct preference optimisation?"
    )
    assert expand("What is the capital of France?", g) == "What is the capital of France?"
    spelled = "You hear the term **Artificial Intelligence** - or **AI** - every day."
    assert glossary([spelled, "Spam filters are old.", "Films run long."]).terms == {"ai": "artificial intelligence"}
    subject = glossary([spelled, "AI sorts your email.", "AI suggests films.", "Spam filters are old."])
    assert subject.subjects == {"ai"}  # in most passages: the course's subject, spelled out only when asked alone
    assert expand("How does AI sort my email?", subject) == "How does AI sort my email?"
    assert expand("What is AI?", subject) == "What is AI? (artificial intelligence)"
    hindi = "AI विंटर्स का कारण क्या था?"  # the words around "AI" are not Latin letters; it is not asked alone
    assert expand(hindi, subject) == hindi


def test_the_words_of_a_short_question_that_no_lesson_uses_are_named_as_typed():
    assert gate.unused_words("Is AI art Copyrighted?", frozenset({"copyright"})) == ["Copyrighted"]
    assert gate.unused_words("copyright or copyrighted art?", frozenset({"copyright"})) == ["copyright", "copyrighted"]
    assert gate.unused_words("Is AI art copyrighted?", frozenset()) == []
    assert gate.unused_words("hey, pls explain copyright", frozenset({"hey", "pls", "copyright"})) == ["copyright"]
    long = "What is the main advantage of copyrighted weights over a dense model of the same total size?"
    assert gate.unused_words(long, frozenset({"copyright"})) == []  # one word among many: mostly incidental


def test_a_misspelt_word_is_read_as_the_lessons_spell_it():
    lessons = Spelling(
        ["Attention lets each token weigh the others.", "The transformer's attention.", "A transformer."]
    )
    known = {"attention", "transformer", "explain", "whats"}.__contains__
    assert lessons.respell("explain atention", known) == "explain attention"
    assert lessons.respell("whats a Transfomer", known) == "whats a transformer"
    assert lessons.respell("explain tokenzation", known) == "explain tokenzation"  # nothing close enough
    assert lessons.respell("the self", known) == "the self"  # short words are left alone
    assert lessons.respell("whats a transformer", known) == "whats a transformer"  # known words stay


def test_a_refused_question_with_a_misspelt_topic_is_answered_and_says_how_it_was_read(tutor):
    assert tutor.retrieve("explain atention").respelt == "explain attention"
    a = tutor.ask("explain atention")
    assert not a.refused and 'read as "explain attention"' in a.notice
    assert a.question == "explain atention" and any("attention" in k.text.lower() for k in a.key_sentences)
    # a question answered as typed is not respelt, and an off-topic one stays refused
    assert tutor.retrieve("What is RLHF?").respelt == ""
    assert tutor.retrieve("How do I bake sourdough bread?").respelt == ""
    assert a.unused == []  # respelt, every word is the lessons'


def test_an_answered_question_says_which_of_its_words_no_lesson_uses(tutor):
    a = tutor.ask("Are embeddings copyrighted?")  # embeddings are taught; copyright is not
    assert not a.refused and a.unused == ["copyrighted"] and 'No lesson uses "copyrighted"' in a.notice
    assert a.key_sentences and "embedding" in a.key_sentences[0].text.lower()
    assert tutor.ask("What is RLHF?").unused == []


def test_a_question_about_an_acronym_finds_the_section_that_explains_it(corpus_index, embedder):
    """MiniLM does not know "RLHF"; searched as the lesson spells it out, the section on the RLHF steps comes
    first (before, it was not among the six passages shown), and the gate still reads the learner's words."""
    settings, store = corpus_index
    tutor = build_tutor(settings, store=store, embedder=embedder)
    assert "reinforcement learning from human feedback" in tutor.retriever.expand("What is RLHF?")
    r = tutor.search("What is RLHF?")
    assert "Stage three" in r.passages[0].chunk.breadcrumb
    assert r.query == "What is RLHF?" and r.covered(settings.min_evidence)


def _lessons(d: Path) -> Path:
    d.mkdir(parents=True)
    for name, text in MINI.items():
        (d / name).write_text(text, encoding="utf-8")
    topics = {
        "tides": "The Moon's gravity pulls the oceans, so coasts see two high tides and two low tides a day.",
        "bread": "Yeast eats sugar in the dough and releases carbon dioxide, which makes bread rise in the oven.",
        "bees": "Honey bees dance to tell the hive where flowers are: the angle of the dance points to the food.",
        "rust": "Iron rusts when oxygen and water react with it, forming a flaky reddish iron oxide on the surface.",
    }
    for slug, text in topics.items():
        (d / f"{slug}.mdx").write_text(lesson(slug.title(), f"## About {slug}\n\n{text}"), encoding="utf-8")
    return d


def test_an_edited_sentence_is_found_first_after_an_incremental_reindex(tmp_path: Path, embedder):
    """Issue 11's reproduction: after an edit and an incremental re-index, the edited passage is the first
    result for its own words, clearly ahead of any unrelated passage (no tie at the top)."""
    lessons = _lessons(tmp_path / "lessons")
    tutor = build_tutor(Settings(lessons_dir=lessons, index_dir=tmp_path / "index"), embedder=embedder)
    tutor.reindex()
    assert tutor.search("zorblax quaternion mascot").passages  # warm: the old snapshot is in memory
    path = lessons / "volcanoes.mdx"
    path.write_text(path.read_text(encoding="utf-8") + f"\n{ZORBLAX}\n", encoding="utf-8")
    summary = tutor.reindex()
    assert len(summary.updated) == 1 and summary.embedded > 0 and summary.unchanged == 5
    r = tutor.search("zorblax quaternion mascot", k=3)
    first, second = r.passages[0], r.passages[1]
    assert "zorblax" in first.chunk.text and first.chunk.slug == "volcanoes"
    assert first.score >= second.score + 0.25, [(p.chunk.lesson_id, p.score, p.similarity) for p in r.passages]
    assert second.score < 0.2  # an unrelated passage gets little dense credit for a weak cosine, none in full


def test_dense_search_stays_exact_after_many_edits(tmp_path: Path, embedder):
    """The retriever's dense candidates equal brute force over the stored vectors, read afresh, after 12
    random edit / delete / re-add cycles (the full 50-cycle, 200-query check is bench/retrieval.py)."""
    lessons = tmp_path / "lessons"
    shutil.copytree(CORPUS / "programs" / "large-language-models" / "lessons" / "en", lessons)
    settings = Settings(lessons_dir=lessons, index_dir=tmp_path / "index")
    tutor = build_tutor(settings, embedder=embedder)
    tutor.reindex()
    rng = random.Random(7)
    files = sorted(lessons.glob("*.md*"))
    parked = tmp_path / "parked"
    parked.mkdir()
    for cycle in range(12):
        f = rng.choice(files)
        if cycle % 4 == 3 and f.exists():  # a lesson removed, put back two cycles later
            shutil.move(f, parked / f.name)
        else:
            for p in parked.glob("*"):
                shutil.move(p, lessons / p.name)
            if f.exists():
                f.write_text(f.read_text(encoding="utf-8") + f"\nEdit {cycle}: the {rng.random():.6f} note.\n")
        tutor.reindex()
        tutor.search("warm")  # the retriever follows every generation, as a running server does
    questions = [q.question for q in quiz_queries(load_lessons(lessons).lessons)][:30]
    m, chunks, matrix = ChunkStore(settings.index_dir).live_vectors()  # a fresh read, not the retriever's
    assert len(chunks) == sum(e.chunks for e in m.lessons.values())
    for v in embedder.embed(questions):
        exact = {chunks[i].id for i in np.argsort(-(matrix @ v))[:DENSE_K]}
        got = {c.id for c, _ in tutor.retriever.dense(v, Filters(), DENSE_K)}
        assert got == exact
