"""Language knowledge per language (tutor/text/words.py, tutor/text/data/, tutor/search/keywords.py): whole
words in every script, each language's own stems and stop words in the keyword index, English terms as they
always were, question and glue words in every language file, and the retriever telling the languages of
questions apart. No model is loaded: the keyword index and the snapshot are built from a few passages."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from tutor.ingest.chunking import Chunk
from tutor.search import fusion
from tutor.search.keywords import KeywordIndex, term_set, terms
from tutor.search.snapshot import Snapshot
from tutor.text import kinds, phrases, words

HINDI = "मशीन लर्निंग में कंप्यूटर नियमों के बजाय उदाहरणों से पैटर्न सीखता है।"
TELUGU = "యంత్ర అభ్యాసంలో కంప్యూటర్ నియమాలకు బదులుగా ఉదాహరణల నుండి నమూనాలను నేర్చుకుంటుంది."
ENGLISH = "Machine learning is a way for a computer to learn patterns from examples instead of rules."
FRENCH = "Les réseaux de neurones répondent aux questions en apprenant des poids."
DUTCH = "Neurale netwerken leren gewichten uit voorbeelden."
PASSAGES = {"en": ENGLISH, "hi": HINDI, "te": TELUGU, "fr": FRENCH, "nl": DUTCH}
DRAFTED = ("fr", "nl", "hi", "te")  # the files written for issue 32, machine-drafted


def test_hindi_and_telugu_words_come_out_whole():
    assert words.tokens("हिन्दी भाषा में मशीन लर्निंग") == ["हिन्दी", "भाषा", "में", "मशीन", "लर्निंग"]
    assert words.tokens("తెలుగు భాషలో యంత్ర అభ్యాసం") == ["తెలుగు", "భాషలో", "యంత్ర", "అభ్యాసం"]
    assert words.TOKEN.findall("दाढ़ी बढ़ाइए, चश्मा") == ["दाढ़ी", "बढ़ाइए", "चश्मा"]
    # a nukta letter typed as one code point or as two is one word
    one, two = "\u095b\u093e\u0926\u093e", "\u091c\u093c\u093e\u0926\u093e"
    assert words.tokens(one) == words.tokens(two) == [unicodedata.normalize("NFC", one)]


def test_english_terms_are_as_they_were():
    """The terms bm25s's English tokenising gave before languages were told apart, written out by hand."""
    expected = {
        "Which winters were the coldest?": ["which", "winter", "were", "coldest"],
        "How does self-attention work in a transformer?": ["how", "doe", "self", "attent", "work", "transform"],
        "Explain the difference between GPT-3.5 and BERT's masked language modelling.": [
            *("explain", "differ", "between", "gpt", "bert", "mask", "languag", "model"),
        ],
        "Is it true that 42% of learners don't finish?": ["true", "42", "learner", "don", "finish"],
        "Café naïve résumé": ["café", "naïv", "résumé"],
    }
    for text, want in expected.items():
        assert terms(text) == want, text
        assert terms(text, "en") == want, text
        assert words.stem_set(text) == frozenset(want), text
    # the ASCII tokens are bm25s's own pattern's, word for word
    old = re.compile(r"(?u)\b\w\w+\b")
    for text in [*expected, ENGLISH, "snake_case x2 a b c3po 3.14 e-mail"]:
        assert words.tokens(text) == old.findall(text.lower())


def test_a_hindi_or_telugu_passage_is_found_by_a_word_in_it():
    texts, languages = list(PASSAGES.values()), list(PASSAGES)
    plain = KeywordIndex(texts)  # every text, and every question, read as English
    for asked, language in (("पैटर्न क्या है?", "hi"), ("నమూనాలను ఎలా నేర్చుకుంటుంది?", "te")):
        found = plain.scores(asked)
        assert languages[int(np.argmax(found))] == language and np.count_nonzero(found) == 1, asked
    own = KeywordIndex(texts, languages)  # each in its own language: a Hindi plural is found by its singular
    found = own.scores("नियम क्या होता है?", "hi")
    assert languages[int(np.argmax(found))] == "hi" and np.count_nonzero(found) == 1
    assert own.scores("नियम", "hi").any() and not plain.scores("नियम").any()  # 'नियमों' in the passage
    found = own.scores("నమూనాలను ఎలా నేర్చుకుంటుంది?", "te")
    assert languages[int(np.argmax(found))] == "te" and np.count_nonzero(found) == 1
    # the gate's coverage reads whole words too: every word asked is in the passage
    assert fusion.term_coverage(term_set("मशीन लर्निंग"), [term_set(HINDI)]) == 1.0
    assert fusion.term_coverage(term_set("యంత్ర నేర్చుకుంటుంది"), [term_set(TELUGU)]) == 1.0


def test_hindi_words_are_stemmed_and_its_stop_words_dropped():
    assert terms("भाषाओं", "hi") == terms("भाषा", "hi")  # Snowball's Hindi stemmer: plural and singular
    assert "है" not in terms("मशीन लर्निंग क्या है?", "hi") and "है" in words.stop_words("hi")
    assert "మరియు" not in terms("యంత్ర అభ్యాసం మరియు డేటా", "te")
    assert terms("అభ్యాసం", "te") == ["అభ్యాసం"]  # no Snowball stemmer for Telugu: words pass as they are


def test_french_and_dutch_words_stem_with_their_own_stemmer():
    assert terms("questions", "fr") == terms("question", "fr")
    assert terms("réseaux", "fr") == terms("réseau", "fr") and terms("réseaux") != terms("réseau")  # not in English
    assert terms("netwerken", "nl") == terms("netwerk", "nl") and terms("netwerken") != terms("netwerk")
    assert terms("les questions", "fr") == ["question"]  # the French stop word dropped
    index = KeywordIndex(list(PASSAGES.values()), list(PASSAGES))
    for asked, language in (("Qu'est-ce qu'un réseau ?", "fr"), ("Wat leert een netwerk?", "nl")):
        found = index.scores(asked, language)
        assert list(PASSAGES)[int(np.argmax(found))] == language and found.max() > 0, asked


def test_a_question_of_unknown_language_is_read_in_the_index_language_else_as_english():
    french = KeywordIndex([FRENCH, "Les poids changent pendant l'apprentissage."], ["fr", "fr"])
    assert french.query_language(None) == "fr" and french.scores("réseau")[0] > 0
    both = KeywordIndex([ENGLISH, FRENCH], ["en", "fr"])
    assert both.query_language(None) is None and both.query_language("fr") == "fr"
    # not told, each text is scored with the question read in its language: French stems 'réseaux', English not
    assert both.scores("les réseaux")[1] > 0 and not both.scores("les réseaux", "en").any()
    assert both.scores("machine learning")[0] == both.scores("machine learning", "en")[0] > 0
    assert KeywordIndex([ENGLISH]).query_language(None) == "en"
    assert words.code("pt-BR") == "pt" and words.code(None) == words.code("xx") == "en"


@pytest.mark.parametrize("language", DRAFTED)
def test_each_drafted_language_file_has_its_question_and_glue_words(language: str):
    raw = json.loads((phrases.DATA / f"{language}.json").read_text(encoding="utf-8"))
    assert "drafted" in raw["_about"] and "native speaker" in raw["_about"]
    assert raw["question_words"] and raw["glue_words"]
    glue = words.glue_words(language)
    assert glue == frozenset(raw["glue_words"]) != words.glue_words("en")  # its own, not English's
    assert language in phrases.languages()


@pytest.mark.parametrize(
    "language, question, topic",
    [
        (
            "fr",
            "Pourquoi les réseaux de neurones apprennent-ils des poids ? Explique",
            "réseaux neurones apprennent poids",
        ),
        ("nl", "Waarom leren neurale netwerken gewichten? Leg het uit", "leren neurale netwerken gewichten"),
        ("hi", "मशीन लर्निंग क्या है? समझाइए", "मशीन लर्निंग"),
        ("te", "యంత్ర అభ్యాసం అంటే ఏమిటి? వివరించండి", "యంత్ర అభ్యాసం"),
    ],
)
def test_content_words_leave_out_the_question_and_glue_words(language: str, question: str, topic: str):
    assert (
        words.content_words(question, language)
        == words.stem_set(topic, language)
        == words.content_words(topic, language)
    )
    assert len(words.stem_set(topic, language)) == len(topic.split())


def test_a_partial_language_file_reads_english_for_what_it_lacks():
    english = phrases.data("en")
    for language in phrases.languages():
        for name in english:
            assert re.compile(phrases.pattern(name, language))  # every entry compiles, own or English's
    assert phrases.words("asks_why", "fr") == phrases.words("asks_why", "en")
    assert kinds.asks_why("Why is the sky blue?", "hi")
    assert phrases.words("asks_how", "es") == phrases.words("asks_how", "en")  # es.json has none of its own
    assert words.glue_words("es") != words.glue_words("en")  # it has its own glue words


def _chunk(i: int, language: str, text: str) -> Chunk:
    return Chunk(
        f"c{i}",
        f"course/{language}/intro",
        "h",
        "course",
        language,
        "intro",
        "Intro",
        "intro.md",
        "Intro",
        "",
        0,
        1,
        text,
    )


def test_the_retriever_tells_a_hindi_and_a_telugu_question_from_english():
    passages = {
        "en": [ENGLISH, "A neural network learns its weights from the examples it is shown."],
        "hi": [HINDI, "एक न्यूरल नेटवर्क उदाहरणों से अपने वज़न सीखता है और हानि बताती है कि वह कितना गलत है।"],
        "te": [TELUGU, "ఒక న్యూరల్ నెట్‌వర్క్ ఉదాహరణల నుండి బరువులను నేర్చుకుంటుంది మరియు నష్టం అది ఎంత తప్పు అని చెబుతుంది."],
    }
    chunks = [_chunk(i, lang, t) for i, (lang, t) in enumerate((lang, t) for lang, ts in passages.items() for t in ts)]
    snapshot = Snapshot.of(1, "course", chunks, np.zeros((len(chunks), 4), dtype=np.float32))
    assert snapshot.language_of("What is machine learning?") == "en"
    assert snapshot.language_of("मशीन लर्निंग क्या है?") == "hi"
    assert snapshot.language_of("న్యూరల్ నెట్‌వర్క్ ఎలా నేర్చుకుంటుంది?") == "te"
    assert snapshot.language_of("न्यूरल नेटवर्क कैसे सीखता है?") == "hi"


def test_a_question_in_a_language_no_lesson_is_in_is_told_and_the_main_language_is_the_most_written():
    french = ["Une pile rend le dernier élément posé.", "Une file rend le premier élément arrivé."]
    english = ["A stack hands back the newest item first."]
    chunks = [_chunk(i, "fr", t) for i, t in enumerate(french)] + [_chunk(9, "en", english[0])]
    chunks += [replace(_chunk(10, "fr", french[0]), id="c10", lesson_id="course/fr/queues")]
    snapshot = Snapshot.of(1, "course", chunks, np.zeros((len(chunks), 4), dtype=np.float32))
    assert snapshot.main_language == "fr"  # two French lessons, one English
    assert snapshot.language_of("¿Cuál es la diferencia entre una pila y una cola?") == "es"  # no Spanish lesson
    assert snapshot.language_of("Was ist der Unterschied zwischen einem Stapel und einer Schlange?") == "de"
    assert snapshot.language_of("What does a stack hand back first?") == "en"
    assert snapshot.language_of("RLHF") is None  # nothing tells
    one = Snapshot.of(1, "course", chunks[-2:-1], np.zeros((1, 4), dtype=np.float32))
    assert one.main_language == "en" and one.language_of("What is a stack?") is None  # the only language
    assert one.language_of("¿Qué es una pila?") == "es"
    tied = Snapshot.of(1, "course", chunks[:1] + chunks[-2:-1], np.zeros((2, 4), dtype=np.float32))
    assert tied.main_language == "en"  # one lesson each: English


def test_a_learner_writing_one_script_is_read_lessons_in_that_script_first():
    assert words.same_script("es", "fr") and words.same_script("hi", "hi") and words.same_script("pt-BR", "en")
    assert not words.same_script("es", "hi") and not words.same_script("te", "hi")
    lessons = [("hi", "a"), ("hi", "b"), ("hi", "c"), ("fr", "a"), ("fr", "b"), ("nl", "a"), ("en", "a")]
    chunks = [
        replace(_chunk(i, lang, "text"), lesson_id=f"course/{lang}/{slug}") for i, (lang, slug) in enumerate(lessons)
    ]
    snapshot = Snapshot.of(1, "course", chunks, np.zeros((len(chunks), 4), dtype=np.float32))
    assert snapshot.by_lessons == ["hi", "fr", "en", "nl"]  # most lessons first; English first on a tie
    readable = [lang for lang in snapshot.by_lessons[1:] if words.same_script(lang, "es")]
    assert readable == ["fr", "en", "nl"]  # after the main language (Hindi), a Spanish learner's: Latin letters


def test_a_language_is_guessed_from_its_script_or_its_function_words_never_from_a_topic():
    assert words.guess_language("ELIZA क्या थी?") == "hi"  # English terms mixed in: the script tells
    assert words.guess_language("ChatGPT ఏ రకం AI?") == "te"
    assert words.guess_language("Wat is het verschil tussen precisie en recall?") == "nl"
    assert words.guess_language("Que rend une pile en premier ?") == "fr"
    assert words.guess_language("dame un ejemplo") == "es"
    assert words.guess_language("precision vs recall") is None and words.guess_language("transformer") is None


def test_a_passage_is_cut_into_sentences_by_the_rules_of_its_own_language(monkeypatch):
    from tests.conftest import src
    from tutor.answer.key_sentences import KeySentencePicker
    from tutor.text import segment

    asked: list[str] = []
    cut = segment.sentence_spans

    def recorded(text, start=0, end=None, language="en"):
        asked.append(language)
        return cut(text, start, end, language)

    monkeypatch.setattr(segment, "sentence_spans", recorded)
    french = replace(src(1, "Une pile rend le dernier élément posé. Une file rend le premier."), language="fr")
    picker = KeySentencePicker(SimpleNamespace(name="any:f32"))  # type: ignore[arg-type]  # cutting embeds nothing
    every, _ = picker.units_of(french)
    assert len(every) == 2 and asked == ["fr"]
