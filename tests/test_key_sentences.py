"""Key sentences: the lesson sentences that answer a question, picked verbatim from the passages, with the
sentences they lean on, and the pieces the picker rests on (prose split into units, definitions told from
mentions, steps on a screen told from advice).

Runs on small texts written here with the real embedder; the whole turn is in tests/test_answers.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import LEAVES, src
from tutor.answer.key_sentences import KeySentencePicker
from tutor.answer.sentences import units
from tutor.events import Source
from tutor.text.kinds import addresses_learner, asks_why, defines, instructs, polarity
from tutor.text.words import content_words


def keys_for(picker: KeySentencePicker, question: str, *sources: Source) -> list:
    return picker.pick(question, picker.embedder.embed_one(question), list(sources))


def test_units_split_prose_items_and_headings():
    text = "## Title\n\nOne sentence here. Another one follows!\n\nList intro:\n\n- first item\n  wrapped on\n- second"
    got = [(u.kind, text[u.start : u.end]) for u in units(text)]
    assert got == [
        ("heading", "## Title"),
        ("sentence", "One sentence here."),
        ("sentence", "Another one follows!"),
        ("sentence", "List intro:"),
        ("item", "- first item\n  wrapped on"),
        ("item", "- second"),
    ]


def test_key_sentence_that_leans_back_brings_its_predecessor(picker, embedder):
    s = src(1, LEAVES)
    q = "What does the energy from sunlight turn into glucose?"
    keys = picker.pick(q, embedder.embed_one(q), [s])
    assert keys and keys[0].number == 1
    text = keys[0].text
    assert "This energy turns water" in text and "Chlorophyll in the leaves captures sunlight." in text
    assert s.text[keys[0].start : keys[0].end] == text  # a verbatim span of the passage


def test_list_item_brings_the_sentence_that_introduces_the_list(picker, embedder):
    q = "Which layer of a leaf does most of the photosynthesis?"
    keys = picker.pick(q, embedder.embed_one(q), [src(1, LEAVES)])
    best = keys[0].text
    assert "mesophyll" in best and "A leaf has three main layers:\n\n- The epidermis" in best


def test_overview_passages_and_headings_are_never_key_sentences(picker, embedder):
    overview = src(
        1, "All about plants and leaves. Sections: Leaves; Roots; Photosynthesis in leaves.", breadcrumb="Plants"
    )
    body = src(2, "## Photosynthesis in leaves\n\nPlants make sugar from light in their leaves.")
    q = "How do leaves make sugar?"
    keys = picker.pick(q, embedder.embed_one(q), [overview, body])
    assert [k.number for k in keys] == [2] and keys[0].text == "Plants make sugar from light in their leaves."


def test_a_question_on_weaknesses_gets_the_section_on_weaknesses_not_the_one_on_strengths(picker):
    assert (polarity("What are chatbots bad at?"), polarity("What is AI good at?"), polarity("What is AI?")) == (
        -1,
        1,
        0,
    )
    strong = src(
        1,
        "Garden robots shine in several areas, such as weeding rows and watering beds.",
        "Robots",
        "Robots > What Garden Robots Are Great At",
    )
    weak = src(
        2,
        "Here is the catch: a garden robot sometimes pulls up seedlings.",
        "Robots",
        "Robots > What Garden Robots Get Wrong",
    )
    for question in ("What are garden robots bad at?", "Where do garden robots fail?"):
        assert keys_for(picker, question, strong, weak)[0].number == 2, question
    assert keys_for(picker, "What are garden robots good at?", strong, weak)[0].number == 1


def test_a_definition_is_told_from_a_sentence_that_only_mentions_the_term():
    token, overfit, dpo = (content_words(w) for w in ("token", "overfitting", "DPO"))
    assert defines("Overfitting is exactly that failure.", overfit)
    assert defines("In machine learning, a token is a piece of text.", token)
    assert defines("Text is first cut into units called tokens, each with an ID.", token)
    assert defines("Direct Preference Optimisation (DPO), introduced in 2023, skips the reward model.", dpo)
    deep = content_words("deep learning")
    assert defines("This proved that deep learning (neural networks with many layers) worked.", deep)
    assert not defines("We then used deep learning (see the next lesson) for images.", deep)
    assert not defines("So 100 tokens is roughly 75 words (estimate, 2024).", token)
    assert not defines("The usual way is byte-pair encoding (BPE).", content_words("positional encoding"))  # 1 of 2
    assert not defines("Note: The standard defence against overfitting is to hold back data.", overfit)
    assert not defines("A rule of thumb is that one token is about three-quarters of a word.", token)
    assert not defines("But tokens are already cheap.", token)
    assert not defines("A key (K): what this token offers to the others.", token)  # "(K)" names the key
    assert not defines("AI is a tool for science.", content_words("What is the carbon cost of AI?"))  # 1 term of 3


def test_what_is_question_reaches_a_definition_in_a_later_passage(picker):
    mentions = " ".join(f"Token number {i} costs {i} cents in the {w} plan." for i, w in enumerate("abcdefghijklmnopq"))
    defining = "Computers work with numbers, so text is first cut into units called tokens. Each has an ID."
    keys = keys_for(picker, "what is a token", src(1, mentions), src(2, defining))
    assert any("units called tokens" in k.text and k.number == 2 for k in keys)


def test_a_short_sentence_naming_the_term_is_picked_with_what_it_leans_on(picker):
    text = (
        "What if nobody has labelled the data? What if the machine must find the patterns itself?\n\n"
        "That's unsupervised learning. There is no teacher and no answer key."
    )
    keys = keys_for(picker, "What is unsupervised learning?", src(1, text))
    assert "That's unsupervised learning." in keys[0].text
    assert "find the patterns itself?" in keys[0].text and "no teacher" in keys[0].text


def test_the_section_titled_with_the_question_leads_over_a_passing_mention(picker):
    explains = src(
        1,
        "Your phone builds a 3D map of you from thousands of tiny dots. It measures the distance between your "
        "eyes and the curve of your jaw, and it keeps learning as your looks change.",
        breadcrumb="Phones > Face unlock: your personal bouncer",
    )
    mentions = src(
        2,
        "Face unlock on your phone? That is AI recognising your face. Film suggestions come from AI too.",
        breadcrumb="Phones > You already use AI",
    )
    keys = keys_for(picker, "How does face unlock work?", explains, mentions)
    assert keys[0].number == 1 and "3D map" in keys[0].text


def test_a_lesson_signposting_what_it_covers_is_not_an_answer(picker):
    text = (
        "This lesson covers photosynthesis, respiration and transpiration in leaves.\n\n"
        "Transpiration moves water up through the plant and out of small pores in its leaves."
    )
    keys = keys_for(picker, "What is transpiration?", src(1, text))
    assert keys and all("This lesson" not in k.text for k in keys)
    recap = "You've learned how leaves make sugar, how roots drink and how transpiration moves water.\n\n" + text
    keys = keys_for(picker, "What is transpiration?", src(1, recap))
    assert keys and all("You've learned" not in k.text for k in keys)  # a recap of the course so far


def test_a_comparison_gets_a_sentence_for_each_side(picker):
    text = (
        "Evergreen trees keep their leaves all year, unlike other trees. Evergreen needles have a waxy coat that "
        "saves water for trees. Evergreen forests stay green in winter. Most evergreen trees grow cones.\n\n"
        "Deciduous woods are common in Europe."
    )
    keys = keys_for(picker, "What is the difference between evergreen and deciduous trees?", src(1, text))
    shown = " ".join(k.text for k in keys)
    assert "Evergreen trees keep their leaves" in shown and "Deciduous woods" in shown


def test_an_instruction_to_the_learner_is_not_an_answer(picker):
    text = (
        "How to do it:\n\n1. Visit the garden centre and find the fern shelf\n"
        "2. Open the fern guide and read how ferns grow from spores\n\n"
        "Ferns grow from spores, not seeds, and like shade. Choose a shady corner when you plant one."
    )
    keys = keys_for(picker, "How do ferns grow?", src(1, text))
    assert keys and all("Visit" not in k.text and "Open the fern guide" not in k.text for k in keys)
    assert "Ferns grow from spores" in keys[0].text
    assert instructs("Tap the camera icon") and instructs("Think about it: Type a description of a garden")
    advice = ["Choose varied examples that resemble the real inputs.", "Open source also needs open data."]
    assert not any(instructs(a) for a in advice)  # advice and nouns are lesson content, not steps on a screen


@pytest.mark.xfail(
    strict=True,
    reason="a rule from one example (the hand rules' OPENING_PENALTY) that the fitted scorer does not reproduce: "
    "on the labelled questions of three courses a lesson's opening often answers (AI-For-Beginners teaches "
    "before its first section), so `opening` weighs little; docs/benchmarks.md 'Key sentences and the gate, "
    "fitted'. strict: it fails loudly when a refit brings the behaviour back",
)
def test_a_lessons_opening_hook_gives_way_to_its_section(picker):
    """A lesson's opening that names the topic without explaining it comes after the section of the same
    lesson that explains it."""
    opening = replace(
        src(1, "AI has a carbon footprint, and it is growing every year.", "Climate"),
        lesson_id="p/en/climate",
        breadcrumb="Climate",
    )
    section = replace(
        src(
            2,
            "Modern models are power-hungry. Training them means running thousands of chips for weeks, and "
            "those chips draw electricity from coal or gas plants.",
            "Climate",
        ),
        lesson_id="p/en/climate",
        breadcrumb="Climate > The carbon cost",
    )
    keys = keys_for(picker, "Why does training a large model leave a carbon footprint?", opening, section)
    assert keys[0].number == 2, [k.text for k in keys]


def test_a_restated_question_does_not_bring_a_lead_in_whose_list_is_elsewhere(picker):
    text = "Ferns grow best in deep shade. Here is how they spread:\n\nMosses like the same damp corners."
    keys = keys_for(picker, "Where do ferns grow best?", src(1, text))
    assert keys[0].text == "Ferns grow best in deep shade."
    listed = text.replace("\n\nMosses", "\n\n- By spores.\n- By creeping roots.\n\nMosses")
    assert "By spores" in keys_for(picker, "Where do ferns grow best?", src(1, listed))[0].text  # the list is here


LEANS_ON = "\n\nFerns grow from spores."  # a paragraph after, so that the pair is not the passage's end
# (passage, question, how the first key sentence starts): the sentence picked needs the one before it
LEANING = [
    # counting back: what "all of them" counts
    (
        "A garden may hold hundreds of plants, each with a name. Botany is the science that sorts all of them into "
        "families.",
        "What is botany?",
        "A garden may hold hundreds of plants",
    ),
    # testing "the idea": what the idea is
    (
        "Gardeners once held that soil alone decides the harvest. To test the idea, a botanist grew wheat in washed "
        "sand with added nutrients.",
        "Why did a botanist grow wheat in sand?",
        "Gardeners once held",
    ),
    # "the same principle": which principle
    (
        "A rain gauge is a funnel over a marked jar. Snow gauges work on the same principle, with a heated funnel.",
        "How do snow gauges work?",
        "A rain gauge is a funnel",
    ),
    # "a growing fraction of that": what "that" is
    (
        "Greenhouses in the Netherlands burn about 4 % of the country's gas. A growing fraction of that heats tomato "
        "crops in winter.",
        "How much gas heats tomato crops?",
        "Greenhouses in the Netherlands",
    ),
    # "Other X ...", "By that standard", "In it": what they are set against (found on the page: "Other models
    # learn a vector for each position." was shown alone)
    (
        "Early clocks rang a bell at each hour. Other clocks chimed a tune on every quarter hour.",
        "Which clocks chimed a tune every quarter hour?",
        "Early clocks rang a bell",
    ),
    (
        "A loaf counts as sourdough only when it rises on wild yeast alone. By that standard, many shop loaves sold "
        "as sourdough are ordinary bread.",
        "Are shop loaves sold as sourdough ordinary bread?",
        "A loaf counts",
    ),
    (
        "In 1905 a patent clerk published a short paper on light. In it, he proposed that light travels in small "
        "packets of energy.",
        "Who proposed that light travels in small packets?",
        "In 1905 a patent clerk",
    ),
    # a chain, each sentence leaning on the one before ("Some call X. Others argue Y. But Z."), comes whole
    (
        "Some bakers call a sourdough starter a pet. Others say it is only flour and water. But every baker agrees "
        "that the yeast in a starter is alive.",
        "Is the yeast in a sourdough starter alive?",
        "Some bakers call",
    ),
]


@pytest.mark.parametrize(("text", "question", "starts"), LEANING)
def test_a_sentence_that_needs_the_one_before_brings_it(picker, text, question, starts):
    keys = keys_for(picker, question, src(1, text + LEANS_ON))
    assert keys[0].text.startswith(starts)


def test_a_sentence_that_points_at_nothing_before_comes_alone(picker):
    text = "Ferns grow from spores in damp shade. Snow gauges use the same principle as rain gauges, heated."
    keys = keys_for(picker, "How do snow gauges work?", src(1, text))
    assert keys[0].text.startswith("Snow gauges use")  # "the same principle as ..." names it itself
    # an existential "There's ..." points at nothing before it (found on "What is a rebound effect?")
    text = "Ferns like damp shade.\n\nThere's a real risk of root rot in wet soil: ferns drown when pots cannot drain."
    keys = keys_for(picker, "What is the risk of root rot?", src(1, text))
    assert keys[0].text.startswith("There's a real risk")


def test_a_why_answer_that_closes_its_paragraph_brings_the_reasons_before_it(picker):
    text = (
        "Frost can harm a garden in many ways. Clay soil holds water near the roots. The water freezes and "
        "swells in the cold. Roots then tear as the ice grows. Watering more in winter can still kill a plant "
        "in clay soil.\n\nFerns grow from spores."
    )
    q = "Why can watering more in winter kill a plant in clay soil?"
    keys = keys_for(picker, q, src(1, text))
    assert keys[0].text.startswith("Clay soil holds water near the roots.") and keys[0].text.endswith("clay soil.")
    what = keys_for(picker, "Can watering more in winter kill a plant in clay soil?", src(1, text))
    assert what[0].text.startswith("Watering more in winter")  # not a "Why" question: the sentence alone
    advice = text.replace("Clay soil holds water near the roots. The water", "Check your soil first. Its water")
    keys = keys_for(picker, q, src(1, advice))
    assert keys[0].text.startswith("Its water freezes")  # the reasons stop at advice to the learner


def test_asks_why_and_advice_to_the_learner():
    assert asks_why("Why does ice swell?") and asks_why("What caused the AI winters?")
    assert not asks_why("What is a causal mask?") and not asks_why("How does RLHF work?")
    assert addresses_learner("Be especially careful when AI output feeds into decisions about people.")
    assert addresses_learner("As a user, you can watch for this.")
    assert not addresses_learner("You can remove race from the data but the model can still discriminate.")


def test_a_fun_fact_does_not_answer_a_why_question_before_the_reason(picker):
    # found on the page: "Why should a RAG answer cite its sources?" led with the fun fact on where the name
    # "retrieval-augmented generation" comes from
    text = (
        "Yeast feeds on sugar and gives off carbon dioxide, which the dough traps in bubbles.\n\n"
        "Fun fact: The oldest risen bread found so far was baked in Egypt about 5,000 years ago."
    )
    keys = keys_for(picker, "Why does bread rise?", src(1, text))
    assert keys[0].text.startswith("Yeast feeds on sugar")
    keys = keys_for(picker, "When was the oldest risen bread baked?", src(1, text))  # a fact it may give
    assert keys[0].text.startswith("Fun fact: The oldest risen bread")


def test_a_name_found_only_in_a_table_row_gets_that_row_alone(picker):
    # found asking "Who is Lee Sedol?": the seeds course names him only in a table of milestones, and table rows
    # were never picked, so the answer was three unrelated sentences
    text = (
        "| Year | Event |\n|------|-------|\n| 1901 | The first rose show opens in Ghent |\n"
        "| 1912 | Marie Tullen breeds a blue rose |\n| 1930 | Roses reach Iceland |\n\nRoses need sun."
    )
    keys = keys_for(picker, "Who is Marie Tullen?", src(1, text))
    assert [k.text for k in keys] == ["| 1912 | Marie Tullen breeds a blue rose |"]
    keys = keys_for(picker, "What is a year event?", src(1, text))  # the header names no fact
    assert all("| Year | Event |" not in k.text for k in keys)


def test_a_short_list_comes_whole_with_the_paragraph_that_leads_into_it(picker):
    tips = (
        "The way you ask a gardener matters a great deal. This is called briefing. Here are four tips:\n\n"
        "- 1. Name the plant\n- 2. Say where it grows\n- 3. Give the season\n- 4. Ask for one step"
    )
    keys = keys_for(picker, "How do I brief a gardener well?", src(1, tips))
    assert keys[0].text.startswith("The way you ask a gardener")
    assert keys[0].text.endswith("- 4. Ask for one step")  # every short item, not the first two
    long_items = tips.replace(
        "- 3. Give the season", "- 3. Give the season, the soil, the light, the slope and the rain"
    )
    q = "How do I brief a gardener well?"
    one = replace(picker.model, gap=0.0)  # the best sentence alone, with what it brings (the lead-in may be picked too)
    kept = picker.pick(q, picker.embedder.embed_one(q), [src(1, long_items)], model=one)[0].text
    # a long list is not brought by the paragraph before it (the lead-in may be the best sentence itself)
    assert not (kept.startswith("The way you ask") and "Here are four tips" in kept), kept
    item = keys_for(picker, "Should I say where the plant grows?", src(1, tips))[0].text
    assert item.startswith("Here are four tips:") and item.endswith("- 4. Ask for one step")  # its whole list


def test_a_lead_in_is_compared_with_the_question_together_with_its_short_list(picker):
    s = src(1, "Growers sort ferns in two groups:\n\n- Tree ferns\n- Ground ferns\n\nFerns like shade.")
    lead, *_ = picker.units_of(s)[0]
    assert picker._meaning(s, lead) == "Growers sort ferns in two groups: Tree ferns; Ground ferns"
    long = src(2, "Growers sort ferns in two groups:\n\n- " + "tall " * 12 + "ferns\n- Ground ferns")
    assert picker._meaning(long, picker.units_of(long)[0][0]) == "Growers sort ferns in two groups:"
    q = "What groups of ferns are there?"
    with_list = keys_for(picker, q, s)[0]
    assert with_list.text.startswith("Growers sort ferns in two groups:\n\n- Tree ferns\n- Ground ferns")
