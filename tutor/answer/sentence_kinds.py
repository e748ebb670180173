"""What kind of lesson sentence or learner question the key-sentence picker is looking at.

Rules that read one sentence or one question, with no scoring: whether a question asks what something is
("What is X?") or compares two things ("the difference between X and Y"); whether a lesson sentence defines
the asked term ("X is a ...", "... is called X", "... (X)"), and whether it is no answer at all (an image's
description, the course's navigation, a signpost like "This lesson covers ...", a reading-list link, or an
instruction to the learner like "Visit ..."); whether it refers back to the sentence before it ("all of
them", "the same principle"); and whether a text is on strengths or on weaknesses ("great at", "bad at").
tutor/answer/key_sentences.py decides what to do with them.
"""

from __future__ import annotations

import re

from tutor.answer.sentences import LABEL, content_words
from tutor.ingest.mdx import LABELS

ASKS_WHY = re.compile(r"^\s*(why\b|how\s+come\b|what\s+(causes?|caused|leads?\s+to|led\s+to)\b)", re.I)
ASKS_WHAT = re.compile(r"^\s*(what\s+(is|are|was|were|does\b.*\bmean)|define|meaning of|who\s+(is|was))\b", re.I)
DEFINES = re.compile(  # "X is a ...", "X is when ...", "X means ...": not "X is already ..."
    r"^([^.;:]{0,60}?)\b(?:(?:is|are)\s+(?:an?|the|when|what|how|where|one|any|called|designed|exactly|simply|just|"
    r"basically|essentially|\w+ing)\b|means\b|refers to\b|stands for\b)",
    re.I,
)
NAMES_NEXT = re.compile(r"\bcalled\b|:\s*(its|the)\s+\w+", re.I)  # "... is called X", "...: its X"
ABBREVIATES = re.compile(r"\(\w+\)")  # "Direct Preference Optimisation (DPO)"
# "deep learning (neural networks with many layers)": up to four words, then a gloss in brackets
GLOSSED = re.compile(r"((?:[^\W_][\w'-]*\s+){0,3}[^\W_][\w'-]*)\s+\((?!see\b)[A-Za-z][^()\d]{6,80}\)")
CALLOUT = re.compile(r"^[A-Z][\w']*(?: [\w']+){0,2}:\s+")  # "Note: ", "Fun fact: " (not "An embedding is X: ...")
NOT_THE_SUBJECT = re.compile(
    r"\b(against|of|for|to|from|with|without|about|by|than|like|on|in|into|at|between|among|over|under|after|before)\b",
    re.I,
)
NOT_AN_ANSWER = re.compile(
    r"^(illustration|image|figure):"  # an image's description (tutor/ingest/mdx.py writes "Illustration: alt.")
    r"|\b(next|previous|last|upcoming|following)\s+(lesson|module|chapter|unit)\b"  # the course's own navigation
    r"|^(in\s+)?this\s+(lesson|module|chapter|unit|course)\b"  # "This lesson walks through ...": a signpost
    r"|\bwhat you('|’)ll (try|learn|need)\b"
    r"|^(so far,?\s+)?you('|’)ve (now |already )?(learned|seen|explored|covered)\b"  # a recap of the course so far
    r"|^\[[^\]]*\]\(\s*https?://",  # an entry of a reading list: it opens with a link to elsewhere
    re.I,
)
INSTRUCTS = re.compile(  # a step on a screen for the learner to take ("Tap the camera icon"), not a claim; advice
    # that answers "what should I do" ("Choose varied examples", "Ask whether ...") is not one of these
    r"^(visit|type|click|tap|press|go to|sign in|log in|download|install|upload|paste|copy|wait|select|"
    r"open (the|your|a|an)\b)\b",
    re.I,
)
# advice to the learner ("Be careful ...", "Ask whether ...", "As a user, you ..."), not a reason; a generic
# "you" ("You can remove race from the data but ...") states a fact
ADDRESSES = re.compile(
    r"^(?:as an? (?:user|learner|reader)\b|(?:be|ask|do|don't|never|always|try|keep|make sure|check|remember|think|"
    r"imagine|consider|note|notice|look|watch|avoid|use)\b)",
    re.I,
)
SIDES = re.compile(
    r"\b(?:difference|differences|distinction)\s+between\s+(?P<a>.+?)\s+and\s+(?P<b>.+)"
    r"|\bcompare\s+(?P<c>.+?)\s+(?:and|with|to)\s+(?P<d>.+)"
    r"|(?P<e>\S.+?)\s+(?:vs\.?|versus)\s+(?P<f>.+)",
    re.I,
)


def asks_why(question: str) -> bool:
    """The question asks for a reason or a cause: "Why ...?", "What caused ...?"."""
    return bool(ASKS_WHY.match(question))


def asks_what(question: str) -> bool:
    """A "What is X?" / "Define X" / "Who was X?" question."""
    return bool(ASKS_WHAT.search(question))


def defines(sentence: str, terms: frozenset[str]) -> bool:
    """Whether `sentence` reads as a definition of what the question asks about (more than half its terms):
    "X is a ...", "X means ...", "... is called X", "...: its X", "... (X)", "X (neural networks with many
    layers)"."""

    def names(part: str) -> bool:
        return bool(terms) and 2 * len(terms & content_words(part)) > len(terms)

    sentence = CALLOUT.sub("", sentence)
    m = DEFINES.search(sentence)
    if m:  # "X is ...": X must be the subject, not a word of a phrase before the verb ("The defence against X is")
        subject = m.group(1).rsplit(",", 1)[-1]  # after an opening clause ("In machine learning, a token is")
        where = next((w.start() for w in re.finditer(r"[^\W_]+", subject) if content_words(w.group()) & terms), None)
        if where is not None and names(subject) and not NOT_THE_SUBJECT.search(subject[:where]):
            return True
    named = (sentence[m.start() : m.end() + 40] for m in NAMES_NEXT.finditer(sentence))  # X follows
    abbreviated = (sentence[max(0, m.start() - 40) : m.end()] for m in ABBREVIATES.finditer(sentence))  # X before
    glossed = (m.group(1) for m in GLOSSED.finditer(sentence))  # X just before a gloss in brackets
    return any(names(part) for part in (*named, *abbreviated, *glossed))


def not_an_answer(sentence: str) -> bool:
    """A question, an image's description, the course's navigation, a signpost or a reading-list link."""
    return sentence.endswith("?") or bool(NOT_AN_ANSWER.search(sentence))


def instructs(sentence: str) -> bool:
    """An instruction to the learner ("Visit ...", "Type a description ...") once its call-out label is off."""
    return bool(INSTRUCTS.match(LABEL.sub("", sentence)))


def addresses_learner(sentence: str) -> bool:
    """The sentence advises the learner ("Be careful ...", "Ask whether ..."): not a claim that gives a reason."""
    return bool(ADDRESSES.search(LABEL.sub("", sentence)))


def sides(question: str) -> list[str]:
    """For a question comparing two things, the word that tells each side from the other (its first own
    word: "general" in "narrow AI and general AI", "deciduous" in "evergreen and deciduous trees"); else []."""
    m = SIDES.search(question.rstrip(" ?"))
    if not m:
        return []
    a, b = (part for part in m.groups() if part)
    out = []
    for side, other in ((a, b), (b, a)):
        theirs = content_words(other)
        own = [w for word in side.split() for w in sorted(content_words(word)) if w not in theirs]
        out += own[:1]
    return out


# "all of them", "each of these", "a growing fraction of that": what is counted was named before this sentence
PARTITIVE = re.compile(
    r"\b(?:all|each|both|most|many|some|none|any|either|neither|one|two|three|several|few) of (?:them|these|those)\b"
    r"|\b(?:fraction|share|part|portion|half|proportion) of (?:that|this|it|them)\b",
    re.I,
)
# "Large language models work on the same principle": which principle was said before ("the same X as Y" says it)
SAME_AS_BEFORE = re.compile(
    r"\bthe same (?:basic |general |underlying )?(?:principle|approach|idea|pattern|way|method|logic|technique|"
    r"trick|process|concept|ground|milestone)s?\b(?![^.]*\bas\b)",
    re.I,
)
CONCLUDES = re.compile(r"^(?:[\w'-]+,?\s+){0,3}(?:therefore|thus|hence|consequently)\b", re.I)  # "X therefore ..."


def refers_back(sentence: str) -> bool:
    """The sentence needs the one before it: it counts back ("computes all of them"), names "the same
    principle" it does not state, or concludes ("Transformers therefore add positional information.")."""
    return bool(PARTITIVE.search(sentence) or SAME_AS_BEFORE.search(sentence) or CONCLUDES.search(sentence))


# What a question asks for, strengths or weaknesses: embeddings put "bad at" close to "great at", so a question
# on what chatbots are bad at got "AI chatbots genuinely shine in several areas:" and its list.
STRONG = re.compile(r"\b(good|great|better|best|strong|strengths?|shines?|excels?|advantages?|benefits?)\b", re.I)
WEAK = re.compile(
    r"\b(bad|worse|worst|weak|weakness(?:es)?|struggles?|fails?|failures?|limitations?|limits|wrong|problems?|"
    r"downsides?|risks?|poor|mistakes?|errors?)\b|\b(?:can't|cannot)\b",
    re.I,
)


def polarity(text: str) -> int:
    """+1 for text on strengths ("great at", "shine"), -1 for weaknesses ("bad at", "struggle"), 0 for both
    or neither."""
    return int(bool(STRONG.search(text))) - int(bool(WEAK.search(text)))


ASIDE = LABELS["FunFact"] + ":"


def is_aside(sentence: str) -> bool:
    """The opening sentence of a "Fun fact" call-out (tutor/ingest/mdx.py labels it): the author's digression."""
    return sentence.startswith(ASIDE)
