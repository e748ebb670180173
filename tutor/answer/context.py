"""What a picked key sentence brings along, so that it reads on its own in the answer bubble.

A sentence that leans on the one before it (it opens with "This ...", a pronoun, "However"; it is short and
points back, "that failure"; it counts back, "all of them"; it names "the same principle") brings that
sentence, and a chain of them in one paragraph comes whole ("Some call X. Others argue Y. But Z."); a list
item brings the sentence that introduces its list; a lead-in ending with ":" brings its first items, or all
of a short list ("Here are five simple tips: 1. Be Specific, 2. Give Context, ..."), and so does a sentence
whose paragraph goes on to such a lead-in. For a "Why ...?" question, a best pick that closes its paragraph
brings the sentences before it, where the reasons stand ("Postcode correlates with race ... You can remove
race from the data but the algorithm can still learn to discriminate."), back to advice to the learner.
What leans back is read by tutor/text/kinds.py; tutor/answer/key_sentences.py decides which sentences to
pick; this module only reads the units (tutor/answer/sentences.py) around them.
"""

from __future__ import annotations

from itertools import takewhile

from tutor.answer.sentences import Unit, clean
from tutor.text import kinds
from tutor.text.kinds import LABEL

SHORT = 8  # words: a sentence this short that points back ("that failure") brings the one before it
LEAD_IN_ITEMS = 2  # a picked sentence that ends with ":" brings this many of the items it introduces
SHORT_ITEMS = 6  # ... or all of them, up to this many, when each is a few words (a section's tips, steps, types)
SHORT_ITEM = 10  # words ("Measurement Bias — What You Measure Shapes What You Get": 10)
LIST_AFTER = 2  # a pick followed, this many sentences on in its paragraph, by a lead-in to a short list brings them
LEANS_CHAIN = 2  # sentences brought, at most, for a chain of sentences each leaning on the one before (1: one)
REASONS_BEFORE = 3  # a why-question's best pick ending its paragraph brings this many sentences before it (0: off)


def with_context(u: Unit, every: list[Unit], text: str) -> list[Unit]:
    """The unit with what it leans on: a list's lead-in sentence, the sentence before a "This...", or
    for a lead-in ending with ":" the first items it introduces (alone it says nothing)."""
    k = every.index(u)
    items = items_after(k, every, text)
    if u.kind == "sentence" and items:
        return [u, *items]
    prev = every[k - 1] if k > 0 else None
    if prev is None or prev.kind in ("heading", "table"):
        return [u]
    if u.kind == "item":
        lead = next((w for w in reversed(every[:k]) if w.kind != "item"), None)
        if lead and lead.kind == "sentence" and lead.text(text).rstrip().endswith(":"):
            listed = short_list(every.index(lead), every, text)
            return [lead, *listed] if u in listed else [lead, u]  # a short list comes whole
        return [u]
    if not _leans(u, text):
        return [u]
    run = [prev, u]
    while len(run) <= LEANS_CHAIN and _leans(run[0], text):  # "Some call X. Others argue Y. But Z."
        j = every.index(run[0])
        before = every[j - 1] if j > 0 else None
        if before is None or before.kind != "sentence" or before.block != run[0].block:
            break
        run.insert(0, before)
    return run


def _leans(u: Unit, text: str) -> bool:
    """The sentence needs the one before it to be understood."""
    body = LABEL.sub("", clean(u.text(text)))
    short_and_pointing = len(body.split()) < SHORT and kinds.points_back(body)  # "X is exactly that failure."
    return kinds.leans_back(body) or short_and_pointing or kinds.refers_back(body)


def items_after(k: int, every: list[Unit], text: str) -> list[Unit]:
    """The items a lead-in (unit k, ending in ":") introduces: all of a short list (`short_list`), else the
    first LEAD_IN_ITEMS; none for other units."""
    if not every[k].text(text).rstrip().endswith(":"):
        return []
    return short_list(k, every, text) or _list(k, every)[:LEAD_IN_ITEMS]


def short_list(k: int, every: list[Unit], text: str) -> list[Unit]:
    """The items of lead-in k when they make a short list: at most SHORT_ITEMS items, each of at most SHORT_ITEM
    words ("1. Be Specific", "2. Give Context", ...); else none."""
    items = _list(k, every)
    short = all(len(clean(w.text(text)).split()) <= SHORT_ITEM for w in items)
    if not SHORT_ITEMS or not items or len(items) > SHORT_ITEMS or not short:
        return []
    return items if every[k].text(text).rstrip().endswith(":") else []


def _list(k: int, every: list[Unit]) -> list[Unit]:
    """The list items right after unit k."""
    return list(takewhile(lambda w: w.kind == "item", every[k + 1 :]))


def with_list(run: list[Unit], every: list[Unit], text: str) -> list[Unit]:
    """`run` with the rest of its paragraph, up to LIST_AFTER sentences, when that ends on a lead-in to a short
    list, and the list ("The way you talk to a chatbot matters. This is called prompting. Here are five simple
    tips: 1. Be Specific ..."); else `run`."""
    last = every.index(run[-1])
    for k in range(last + 1, min(len(every), last + 1 + LIST_AFTER)):
        if every[k].kind != "sentence" or every[k].block != run[-1].block:
            return run
        listed = short_list(k, every, text)
        if listed:
            return [*run, *every[last + 1 : k + 1], *listed]
    return run


def dangles(k: int, every: list[Unit], text: str) -> bool:
    """Unit k is a lead-in ending in ":" whose list is not in this passage (it is in the next chunk)."""
    return k < len(every) and every[k].text(text).rstrip().endswith(":") and not items_after(k, every, text)


def with_reasons(u: Unit, run: list[Unit], every: list[Unit], text: str) -> list[Unit]:
    """`run` (picked unit `u` with its context) with up to REASONS_BEFORE sentences of its paragraph before it,
    when it closes the paragraph and does not advise the learner; the sentences stop at advice too."""
    if not REASONS_BEFORE or kinds.addresses_learner(clean(u.text(text))) or not _ends_paragraph(run[-1], every):
        return run
    first = every.index(run[0])

    def reason(w: Unit) -> bool:
        return w.block == run[0].block and w.kind == "sentence" and not kinds.addresses_learner(clean(w.text(text)))

    before = list(takewhile(reason, reversed(every[max(0, first - REASONS_BEFORE) : first])))
    return before[::-1] + run


def _ends_paragraph(u: Unit, every: list[Unit]) -> bool:
    """A prose sentence that closes a paragraph of at least two sentences."""
    k = every.index(u)
    closes = k + 1 == len(every) or every[k + 1].block != u.block
    return u.kind == "sentence" and closes and k > 0 and every[k - 1].block == u.block
