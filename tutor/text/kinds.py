"""What kind of question, or of lesson sentence, a text is: read from a language's phrases, with no scoring.

A question asks why, what something is, or how. A lesson sentence may define the asked term ("X is a ...",
"... is called X", "... (X)"), give a reason, be no answer at all (an image's description, the course's
navigation, a signpost like "This lesson covers ...", a reading-list link), be an instruction to the learner
on a screen ("Visit ...") or advice to them ("Be careful ..."), lean on the sentence before it ("This ...",
"all of them", "the same principle"), or be on strengths or weaknesses. The phrases are the language's data
(tutor/text/data/<language>.json, tutor/text/phrases.py); the picker's features (tutor/answer/features.py)
and the gate (tutor/search/gate.py) weigh the kinds, with fitted weights.
"""

from __future__ import annotations

import functools
import re

from tutor.text.phrases import pattern
from tutor.text.words import content_words

LABEL = re.compile(r"^(?:[A-Z][\w ']{1,30}):\s+")  # a call-out's label: "Think about it: ..."
CALLOUT = re.compile(r"^[A-Z][\w']*(?: [\w']+){0,2}:\s+")  # "Note: ", "Fun fact: " (not "An embedding is X: ...")
ABBREVIATES = re.compile(r"\(\w+\)")  # "Direct Preference Optimisation (DPO)"
CODE = re.compile(r"`|\b\w+\(\w*\)|[{}<>=]=?|\w+\.\w+\(")  # backticks, calls, operators
IMAGE_FILE = re.compile(r"!\[|\.(png|jpe?g|gif|svg)\b", re.I)
# a quoted example of three words or more; a quoted name or term ("stochastic parrots") is the lesson's own word
QUOTED = re.compile(r"\"(?=[^\"\n]*\s[^\"\n]*\s)[^\"\n]{0,200}\"|“(?=[^”\n]*\s[^”\n]*\s)[^”\n]{0,200}”")
# a short question asking for more of the same ("Any examples?", "Tell me more", "Simpler, please")
MORE_OF_IT = re.compile(r"\b" + pattern("more_of_it", None) + r"\b", re.I)
# a follow-up asking to hear the same again, put differently: its key sentences may be the ones shown before
SAY_AGAIN = re.compile(r"\b" + pattern("say_again", None) + r"\b", re.I)
LINK_FIRST = re.compile(r"^\[[^\]]*\]\(\s*https?://")  # an entry of a reading list: it opens with a link elsewhere


@functools.cache
def _re(source: str, language: str, ignore_case: bool = True) -> re.Pattern[str]:
    """`source` with each `{entry}` replaced by that entry's phrases (tutor/text/phrases.py), compiled."""
    filled = re.sub(r"\{(\w+)\}", lambda m: pattern(m.group(1), language), source)
    return re.compile(filled, re.I if ignore_case else 0)


def asks_why(question: str, language: str = "en") -> bool:
    """The question asks for a reason or a cause: "Why ...?", "What caused ...?"."""
    return bool(_re(r"^\s*{asks_why}\b", language).match(question))


def asks_what(question: str, language: str = "en") -> bool:
    """A "What is X?" / "Define X" / "Who was X?" question."""
    return bool(_re(r"^\s*{asks_what}\b", language).match(question))


def asks_how(question: str, language: str = "en") -> bool:
    """A "How ...?" / "What are the steps ...?" / "Can I ...?" question."""
    return bool(_re(r"^\s*{asks_how}\b", language).match(question))


def causal(sentence: str, language: str = "en") -> bool:
    """The sentence gives a reason ("because", "due to", "leads to")."""
    return bool(_re(r"\b{causal}\b", language).search(sentence))


def code(sentence: str) -> bool:
    """The sentence reads as code: backticks, calls, operators."""
    return bool(CODE.search(sentence))


def image(sentence: str, language: str = "en") -> bool:
    """An image's description ("Illustration: ...", written so by tutor/ingest) or an image file."""
    return bool(_re(r"^{image_labels}\b", language).match(sentence) or IMAGE_FILE.search(sentence))


def defines(sentence: str, terms: frozenset[str], language: str = "en") -> bool:
    """Whether `sentence` reads as a definition of what the question asks about (more than half its terms):
    "X is a ...", "X means ...", "... is called X", "...: its X", "... (X)", "X (neural networks with many
    layers)"."""

    def names(part: str) -> bool:
        return bool(terms) and 2 * len(terms & content_words(part)) > len(terms)

    sentence = CALLOUT.sub("", sentence)
    m = _re(r"^([^.;:]{0,60}?)\b(?:{copulas}\s+{after_copula}\b|{defining_verbs}\b)", language).search(sentence)
    if m:  # "X is ...": X must be the subject, not a word of a phrase before the verb ("The defence against X is")
        subject = m.group(1).rsplit(",", 1)[-1]  # after an opening clause ("In machine learning, a token is")
        where = next((w.start() for w in re.finditer(r"[^\W_]+", subject) if content_words(w.group()) & terms), None)
        before = _re(r"\b{prepositions}\b", language).search(subject[:where]) if where is not None else None
        if where is not None and names(subject) and not before:
            return True
    next_ = _re(r"\b{names_next}\b|:\s*{names_after_colon}", language)
    named = (sentence[m.start() : m.end() + 40] for m in next_.finditer(sentence))  # X follows
    abbreviated = (sentence[max(0, m.start() - 40) : m.end()] for m in ABBREVIATES.finditer(sentence))  # X before
    # "deep learning (neural networks with many layers)": up to four words, then a gloss in brackets
    gloss = _re(r"((?:[^\W_][\w'-]*\s+){0,3}[^\W_][\w'-]*)\s+\((?!{not_a_gloss}\b)[A-Za-z][^()\d]{6,80}\)", language)
    glossed = (m.group(1) for m in gloss.finditer(sentence))
    return any(names(part) for part in (*named, *abbreviated, *glossed))


def not_an_answer(sentence: str, language: str = "en") -> bool:
    """A question, an image's description, the course's navigation, a signpost or a reading-list link."""
    if sentence.endswith("?") or LINK_FIRST.match(sentence):
        return True
    found = _re(r"^{image_labels}:|\b{navigation}\b|^{signpost_openers}\b|\b{signposts}\b", language)
    return bool(found.search(sentence))


def instructs(sentence: str, language: str = "en") -> bool:
    """An instruction to the learner, a step on a screen ("Visit ...", "Type a description ..."), once its
    call-out label is off; advice that answers "what should I do" ("Choose varied examples") is not one."""
    return bool(_re(r"^{screen_steps}\b", language).match(LABEL.sub("", sentence)))


def addresses_learner(sentence: str, language: str = "en") -> bool:
    """Advice to the learner ("Be careful ...", "Ask whether ...", "As a user, you ..."), not a reason; a
    generic "you" ("You can remove race from the data but ...") states a fact."""
    return bool(_re(r"^{advice_openers}\b", language).match(LABEL.sub("", sentence)))


def refers_back(sentence: str, language: str = "en") -> bool:
    """The sentence needs the one before it: it counts back ("computes all of them"), names "the same
    principle" it does not state ("the same X as Y" states it), or concludes ("Transformers therefore add
    positional information.")."""
    counts = _re(r"\b{counts_back}\b", language).search(sentence)
    same = _re(r"\b{same_as_before}\b(?![^.]*\b{says_what_it_is_like}\b)", language).search(sentence)
    concludes = _re(r"^(?:[\w'-]+,?\s+){0,3}{concludes}\b", language).match(sentence)
    return bool(counts or same or concludes)


def leans_back(sentence: str, language: str = "en") -> bool:
    """The sentence opens by pointing at the one before it ("This ...", "However", "In it, he ..."); an
    existential "There is ..." points at nothing."""
    opener = r"^(?:{leans_back}|{existential}(?!['’]s\b|\s+{existential_verbs}\b))\b"
    return bool(_re(opener, language).match(sentence))


def points_back(sentence: str, language: str = "en") -> bool:
    """The sentence holds a word pointing at something said before ("that", "it")."""
    return bool(_re(r"\b{points_back}\b", language).search(sentence))


def polarity(text: str, language: str = "en") -> int:
    """+1 for text on strengths ("great at", "shine"), -1 for weaknesses ("bad at", "struggle"), 0 for both
    or neither. Embeddings put "bad at" close to "great at"."""
    strong = _re(r"\b{strengths}\b", language).search(text)
    weak = _re(r"\b{weaknesses}\b", language).search(text)
    return int(bool(strong)) - int(bool(weak))
