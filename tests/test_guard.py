"""The chat's quiz guard matches meaning (issue 35, item 3): a quiz item reworded with its options, in another
order, gets the hint and not the key; the learner questions about the same lessons are still answered. Real
embedder, real Chroma index of corpus/, the rewordings and learner questions kept in bench/data."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT

REWORDINGS = json.loads((ROOT / "bench" / "data" / "quiz_rewordings.json").read_text(encoding="utf-8"))["courses"]
LEARNER = [q["q"] for q in json.loads((ROOT / "bench/data/labels/corpus.json").read_text(encoding="utf-8"))["learner"]]
ISSUE = "Is an embedding a compressed copy of the text, a list of numbers from a trained model, a keyword index, or a summary?"
EMBEDDINGS = "ai-foundations/en/embeddings-and-vector-search"


@pytest.fixture(scope="module")
def guard(corpus_index, embedder):
    from tutor.learn.guard import QuizGuard
    from tutor.search.retriever import Retriever

    settings, store = corpus_index
    return QuizGuard(store, embedder, Retriever(store, embedder, settings.fusion))


def test_the_issues_reworded_item_gets_the_hint_not_the_key(guard, corpus_index):
    _, store = corpus_index
    match = guard.match(ISSUE)
    assert match is not None and match.item.question == "What exactly is an embedding?", match
    quiz = store.require().lessons[EMBEDDINGS].quizzes[match.item.number - 1]
    hint = guard.hint(match)
    assert quiz["options"][quiz["answer"]] not in hint.text and quiz["explanation"] not in hint.text
    assert hint.passage is not None and hint.passage.lesson_id == EMBEDDINGS


def test_options_in_another_order_and_other_words_make_no_difference(guard):
    forward = "If I double the input length, does the cost of self-attention stay the same, halve, double, or roughly quadruple?"
    backward = "Does self-attention get about four times as costly, twice, half as costly, or stay the same when the input doubles?"
    for q in (forward, backward):
        match = guard.match(q)
        assert match is not None and "double the length of the input" in match.item.question, (q, match)


def test_learner_questions_on_the_same_lesson_are_answered(guard):
    for q in (
        "What are embeddings used for?",
        "How is cosine similarity computed?",
        "What is a vector database?",
    ):
        assert guard.match(q) is None, q


def test_every_item_reworded_with_its_options_gets_its_own_item(guard):
    reworded = [r for r in REWORDINGS["corpus"] if r["kind"] == "options"]
    assert len(reworded) >= 15
    for r in reworded:
        match = guard.match(r["q"])
        assert match is not None and match.item.question == r["of"], r


def test_a_spanish_item_reworded_with_its_options_gets_the_hint(guard):
    """all-MiniLM-L6-v2 is trained on English, yet Spanish shares enough word pieces for a question naming the
    options of a Spanish quiz item in the same words to land near it."""
    q = "Al duplicar la longitud de la entrada, ¿el coste de la autoatención se cuadruplica, se duplica o se mantiene?"
    match = guard.match(q)
    assert match is not None and "/es/" in match.item.lesson_id and match.named >= 2, match


def test_false_hints_on_the_labelled_learner_questions_stay_under_two_percent(guard):
    hinted = [q for q in LEARNER if guard.match(q) is not None]
    assert len(hinted) / len(LEARNER) < 0.02, hinted


def test_a_reworded_item_typed_in_the_chat_gets_the_quiz_hint(tutor, corpus_index):
    _, store = corpus_index
    answer = tutor.ask(ISSUE)
    quiz = next(
        q for q in store.require().lessons[EMBEDDINGS].quizzes if q["question"] == "What exactly is an embedding?"
    )
    assert answer.quiz_hint and not answer.key_sentences, answer
    assert quiz["options"][quiz["answer"]] not in answer.text
