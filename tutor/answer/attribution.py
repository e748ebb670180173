"""Every sentence of the model's explanation attributed to a passage, or withheld.

A sentence is supported when it is close in meaning to one passage sentence (cosine >= SUPPORT_SIM) or
most of its content words stand in one passage (share >= SUPPORT_OVERLAP), AND it brings nothing the
passages never say: no name or number absent from them, at most NOVEL_SHARE of its content words unused
by them, and no clause mostly in other words than the supporting passage's (a lesson sentence with an invented
clause added). Topic similarity alone does not make a sentence supported. The thresholds are measured on
a labelled set of real outputs of the default model (tests/data/support_labels.jsonl, docs/benchmarks.md).

A supported sentence keeps a valid `[n]` the model wrote; a missing one is inferred: the passage that
supports it best. Citations of non-existent passages are dropped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

from tutor.answer.key_sentences import KeySentencePicker
from tutor.answer.sentences import SENTENCE_END, answer_sentences, clean, names_and_numbers
from tutor.events import KeySentence, SentenceCheck, Source
from tutor.text.phrases import words
from tutor.text.words import content_words

CITE = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
SUPPORT_SIM = 0.80  # cosine to a passage sentence at or above which meaning counts as the same
SUPPORT_OVERLAP = 0.75  # or: share of its content words found in one passage, and it is this close in meaning:
OVERLAP_SIM = 0.65
NOVEL_SHARE = 0.15  # most of its content words (glue words aside) that no passage nor the question uses
REPEAT = 0.85  # word-set overlap (Jaccard) at which a sentence repeats an earlier one or a key sentence
MIN_WORDS = 3
CLAUSE_MIN = 3
CLAUSE_SHARE = 0.5  # each clause of CLAUSE_MIN+ content words needs this share of them in its passage (0: off)
CLAUSE = re.compile(r"[,;:]\s+|\s+(?:which|while|and|but|so|because)\s+")


def parse_citations(text: str, n_passages: int) -> tuple[str, list[int]]:
    """(text without citations of non-existent passages, cited passage numbers in order of first use)."""
    cited: list[int] = []

    def keep(m: re.Match[str]) -> str:
        nums = [int(x) for x in re.split(r"\s*[,;]\s*", m.group(1))]
        good = [n for n in nums if 1 <= n <= n_passages]
        cited.extend(n for n in good if n not in cited)
        return "[" + ", ".join(map(str, good)) + "]" if good else ""

    cleaned = CITE.sub(keep, text)
    return re.sub(r"[ \t]+([.,;!?])", r"\1", cleaned).strip(), cited


SENTENCE_STOP = re.compile(r"[.!?](?:\s*\[[\d,\s]+\])?[\"')\]*]*(?=\s|$)")


def trim_to_sentence(text: str) -> str:
    """`text` up to the end of its last complete sentence (a generation cut by the token limit ends
    mid-sentence); unchanged when it holds no sentence end at all."""
    text = text.rstrip()
    ends = [m.end() for m in SENTENCE_STOP.finditer(text)]
    return text[: ends[-1]] if ends else text


BOILERPLATE = re.compile(
    r"^\s*(?:(?:the\s+)?answer\b(?:\s+to\s+(?:this|the|your)\s+question)?(?:\s+\"[^\"]*\")?\s*(?:is|would be)?\s*:?|"
    r"question\s*:.*?\?\s*(?:answer\s*:)?)\s*",
    re.I,
)


@functools.cache
def generic_words() -> frozenset[str]:
    """Glue words a paraphrase may bring without stating anything new ("helps", "process", "allows")."""
    return content_words(" ".join(words("generic_words")))


def uncited(sentence: str) -> str:
    """The sentence without its [n] marks (they are shown apart), spacing before punctuation mended."""
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s*" + CITE.pattern, "", sentence)).strip()


def clauses_backed(sentence: str, passage_words: frozenset[str] | set[str]) -> bool:
    """Whether every clause of the sentence with CLAUSE_MIN content words or more has CLAUSE_SHARE of them in
    the supporting passage: a lesson sentence copied with an invented clause added ("..., typically stores
    in-memory arrays like tables of data") is not backed as a whole."""
    if not CLAUSE_SHARE:
        return True
    for clause in CLAUSE.split(sentence):
        words = content_words(clause)
        if len(words) >= CLAUSE_MIN and len(words & passage_words) / len(words) < CLAUSE_SHARE:
            return False
    return True


def _jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


class Attributor:
    """Checks explanations against passages; reads passage sentence vectors from the key-sentence picker's
    cache, so a passage is embedded once per process."""

    def __init__(self, picker: KeySentencePicker):
        self.picker = picker
        self.embedder = picker.embedder

    def sentences(self, explanation: str, keys: Sequence[KeySentence] = (), question: str = "") -> list[str]:
        """The explanation's sentences, repeats removed: of each other, of the key sentences above, and of
        the question itself. Boilerplate openers ("The answer to the question is:", "Answer:") are cut and
        questions dropped: they state nothing to check."""
        seen = [content_words(t) for k in keys for t in answer_sentences(k.text)]  # each sentence of a quote
        seen += [content_words(question)] if question else []
        out = []
        for t in answer_sentences(explanation):
            t = BOILERPLATE.sub("", t).strip()  # "The answer to the question is: ..." -> "..."
            words = content_words(CITE.sub("", t))
            if len(t.split()) < MIN_WORDS or uncited(t).endswith("?"):  # a question asks, it tells nothing
                continue
            if any(_jaccard(words, w) >= REPEAT for w in seen):
                continue
            seen.append(words)
            out.append(t)
        return out

    def check(self, sentences: Sequence[str], sources: Sequence[Source], question: str = "") -> list[SentenceCheck]:
        """Each sentence supported (with its citations) or not; supporting passage sentences are added to
        the sources' `highlights`."""
        shown = [s for s in sources if s.number > 0]
        if not sentences:
            return []
        if not shown:
            return [SentenceCheck(text=t, supported=False, support=0.0, source=None) for t in sentences]
        prose_of = [self.picker.units_of(s)[1] for s in shown]
        per_source = list(zip(prose_of, self.picker.vectors_of(list(zip(shown, prose_of)))))
        source_words = [content_words(f"{s.breadcrumb} {s.text}") for s in shown]
        known = set().union(*source_words, content_words(question))
        known_facts = set().union(*(names_and_numbers(s.text) for s in shown)) | known
        bare = [clean(CITE.sub("", t)) for t in sentences]
        vecs = self.embedder.embed(bare)
        out = []
        for t, plain, v in zip(sentences, bare, vecs):
            best, best_i, best_span = -1.0, -1, None
            for i, (prose, sv) in enumerate(per_source):
                if len(prose):
                    sims = sv @ v
                    j = int(np.argmax(sims))
                    if sims[j] > best:
                        best, best_i, best_span = float(sims[j]), i, (prose[j].start, prose[j].end)
            words = content_words(plain)
            overlaps = [len(words & w) / len(words) if words else 0.0 for w in source_words]
            o_i = int(np.argmax(overlaps))
            novel = sorted((words - known - generic_words()) | (names_and_numbers(plain) - known_facts))
            facts = names_and_numbers(plain) - known_facts
            novel_share = len(words - known - generic_words()) / len(words) if words else 1.0
            by = best_i if best >= SUPPORT_SIM else o_i
            supported = (
                bool(words)
                and not facts
                and novel_share <= NOVEL_SHARE
                and (best >= SUPPORT_SIM or (overlaps[o_i] >= SUPPORT_OVERLAP and best >= OVERLAP_SIM))
                and clauses_backed(plain, source_words[by])
            )
            _, written = parse_citations(t, max(s.number for s in shown))
            written = [n for n in written if any(s.number == n for s in shown)]
            citations, inferred = (written, False) if written else ([shown[by].number], True)
            out.append(
                SentenceCheck(
                    text=uncited(t),
                    supported=supported,
                    support=round(best, 4),
                    source=shown[by].number,
                    citations=citations if supported else [],
                    inferred=inferred and supported,
                    novel=novel,
                    span=best_span if supported and by == best_i else None,
                )
            )
        return out


__all__ = ["CITE", "SENTENCE_END", "Attributor", "parse_citations", "trim_to_sentence"]
