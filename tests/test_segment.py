"""Sentence spans of lesson prose (tutor/text/segment.py): what counts as a sentence end in the courses'
English, Spanish and Hindi, Markdown marks kept with their sentence, and the spans' contract (offsets into the
text given, inside [start, end), stripped, line breaks read as spaces). The measured comparison of segmenters
is bench/segmenters.py.
"""

from __future__ import annotations

import pytest

from tutor.text.segment import sentence_spans


def sentences(text: str, language: str = "en", start: int = 0, end: int | None = None) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text, start, end, language=language)]


def test_abbreviations_and_numbers_do_not_end_a_sentence():
    text = (
        "Intelligent behavior, e.g. do those things that humans are good at. A perceptron is binary, i.e. it "
        "tells two classes apart. GPT-3.5 has about 1.5 billion more parameters than GPT-2 vs. GPT-3, etc. "
        "Thus it is larger."
    )
    assert sentences(text) == [
        "Intelligent behavior, e.g. do those things that humans are good at.",
        "A perceptron is binary, i.e. it tells two classes apart.",
        "GPT-3.5 has about 1.5 billion more parameters than GPT-2 vs. GPT-3, etc.",
        "Thus it is larger.",
    ]


def test_a_spanish_question_followed_by_a_sentence_splits_in_two():
    text = "¿Por qué el paso 2? Un producto escalar suma d_k productos."
    assert sentences(text, "es") == ["¿Por qué el paso 2?", "Un producto escalar suma d_k productos."]
    text = "Supón que una lección se corrige. ¿Qué tendría que ocurrir? ¡Mucho!"
    assert sentences(text, "es") == ["Supón que una lección se corrige.", "¿Qué tendría que ocurrir?", "¡Mucho!"]


def test_spanish_thousands_and_decimal_commas_do_not_split():
    text = "GPT-2 tenía unos 1.500 millones de parámetros (2019), por ejemplo 0,9. La familia Llama 2 creció."
    assert sentences(text, "es") == [
        "GPT-2 tenía unos 1.500 millones de parámetros (2019), por ejemplo 0,9.",
        "La familia Llama 2 creció.",
    ]


def test_a_bold_lead_in_is_a_sentence_with_its_closing_marks():
    assert sentences("**Does AGI exist?** No. Not yet. Some think so.") == [
        "**Does AGI exist?**",
        "No.",
        "Not yet.",
        "Some think so.",
    ]
    text = "The task is simple to state: **predict the next one.** For each position, it scores tokens."
    assert sentences(text) == [
        "The task is simple to state: **predict the next one.**",
        "For each position, it scores tokens.",
    ]


def test_quotes_stay_with_their_sentence_and_are_not_split_inside():
    text = (
        'Start typing "I want to." What does your keyboard suggest? A typical instruction: "Answer only from '
        'the passages. Cite them." If you asked "Who won in 2019?" it might answer wrongly.'
    )
    assert sentences(text) == [
        'Start typing "I want to."',
        "What does your keyboard suggest?",
        'A typical instruction: "Answer only from the passages. Cite them."',
        'If you asked "Who won in 2019?" it might answer wrongly.',
    ]


def test_a_code_span_before_a_single_quote_hides_no_boundary():
    """sentencex alone reads "`0.8`. ... 'FREE" as one quotation and returns this text as one sentence."""
    text = "The sum is `0.8`. Suppose you filter spam. The rule is: if it says 'FREE MONEY', mark it."
    assert sentences(text) == [
        "The sum is `0.8`.",
        "Suppose you filter spam.",
        "The rule is: if it says 'FREE MONEY', mark it.",
    ]


def test_hindi_danda_ends_a_sentence():
    text = "सबसे दिलचस्प बात? यह लगातार सीखता रहता है। दाढ़ी बढ़ाइए - AI adapt कर लेता है।"
    assert sentences(text, "hi") == ["सबसे दिलचस्प बात?", "यह लगातार सीखता रहता है।", "दाढ़ी बढ़ाइए - AI adapt कर लेता है।"]


def test_spans_index_the_original_text_and_read_line_breaks_as_spaces():
    text = "Multi-Agent systems take many forms. \nThey all focus on\nsimple agents. Last one."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "Multi-Agent systems take many forms.",
        "They all focus on\nsimple agents.",
        "Last one.",
    ]
    assert all(not text[a].isspace() and not text[b - 1].isspace() for a, b in spans)


def test_start_and_end_are_respected():
    text = "Before. One here. Two there.   After."
    start, end = text.index("One"), text.index("After")
    spans = sentence_spans(text, start, end)
    assert [text[a:b] for a, b in spans] == ["One here.", "Two there."]
    assert all(start <= a < b <= end for a, b in spans)
    assert sentence_spans(text, 3, 3) == []
    assert sentence_spans("   \n  ") == []


@pytest.mark.parametrize("language", ["xx", "sv", "zh"])
def test_languages_without_segmenter_rules_get_the_plain_rule(language: str):
    assert sentences("Hello there, e.g. you. Bye now!  ", language) == ["Hello there, e.g. you.", "Bye now!"]
    assert sentences("你好。再见。", "zh") == ["你好。", "再见。"]


def test_language_tags_are_read_by_their_primary_subtag():
    text = "¿Qué es? Es un modelo."
    assert sentences(text, "ES") == sentences(text, "es-419") == ["¿Qué es?", "Es un modelo."]
