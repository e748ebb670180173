"""The evidence gate's term signal: how much of what the question asks about one retrieved passage holds.

Short learner questions ("How does RLHF work?", "What is a causal mask?") embed poorly (cosine 0.25-0.35 to
the passage that answers them), while an off-topic question can share a word with a lesson. So beside the
cosine, the gate reads `coverage`: the share of the question's terms, each weighted by its rarity in the
index (inverse document frequency), that one top passage holds. "rlhf" weighs far more than "work"; a
term no passage uses weighs the most. Text in quotation marks does not count: a lesson that quotes
"What is the capital of France?" as an example of a model's input does not answer it (a quoted name of one or
two words, "stochastic parrots", does). Under a cosine floor shared words do not count ("How do I tie a
tie?"), except in a "What is X?" whose every term one passage holds, X a name few passages use ("What is
FAISS?", "Who is Lee Sedol?", cosine 0.07-0.19): what the lessons say of it is the answer (`names_rare`).
Just over the cosine threshold, a short question also needs most of its terms in one passage: "How do I pay
attention in class?" is close in meaning to self-attention, which holds "attention" only (`close_in_meaning`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence

from tutor.settings import Settings
from tutor.text.kinds import QUOTED, asks_what
from tutor.text.phrases import words
from tutor.text.words import TOKEN, code, stem_set

CHAT_WORDS = stem_set(" ".join(words("chat_words")))  # never named as unused


@functools.cache
def question_words(language: str | None = None) -> frozenset[str]:
    """The stems of `language`'s question words (English's where its data file has none)."""
    return stem_set(" ".join(words("question_words", code(language))), language)


QUESTION_WORDS = question_words("en")  # English's, which the follow-up checks read (search/conversation.py)


def question_terms(question: str, language: str | None = None) -> frozenset[str]:
    """The terms the question is about: its stems without question words ("what", "explain")."""
    terms = stem_set(question, language)
    return terms - question_words(language) or terms


def unused_words(question: str, unknown: frozenset[str], language: str | None = None) -> list[str]:
    """The words of a short question that no indexed passage uses (their stems are in `unknown`), as typed:
    "Is AI art copyrighted?" -> ["copyrighted"]. The question may still be answered, from what the lessons say
    nearby, and the learner is told that the lessons never use those words. In a long question such a word is
    mostly incidental ("What is the main advantage of ...?"), so only questions of at most SHORT_QUESTION
    terms are read."""
    if not unknown or len(question_terms(question, language)) > SHORT_QUESTION:
        return []
    out: dict[str, str] = {}  # lower case -> as typed, first seen
    for word in TOKEN.findall(question):
        stems = stem_set(word, language)
        if len(word) >= 3 and stems & unknown and not stems & CHAT_WORDS:
            out.setdefault(word.lower(), word)
    return list(out.values())


def close_in_meaning(similarity: float, min_evidence: float, held: float, n_terms: int) -> bool:
    """The gate's cosine path. A short question only just close in meaning to a passage that holds under
    SHORT_COVERAGE of its terms (those the lessons use: `held`; a word no lesson uses is said so, `unused_words`)
    is not about that passage: "What are the rules of chess?" is at cosine 0.40 to the passage on Deep Blue,
    "the chess computer" (coverage 0.54). In a question of more than FEW_TERMS terms some are incidental ("How
    does a network figure out which weights caused an error?": 0.45, coverage 0.49), so for it, and at
    WEAK_COSINE or above, the cosine counts alone."""
    if similarity < min_evidence:
        return False
    return similarity >= WEAK_COSINE or n_terms > FEW_TERMS or held >= SHORT_COVERAGE


def passage_terms(text: str, language: str | None = None) -> frozenset[str]:
    """A passage's terms outside quotation marks."""
    return stem_set(QUOTED.sub(" ", text), language)


def names_rare(question: str, terms: frozenset[str], covers: float, df: Mapping[str, int]) -> bool:
    """A "What is X?" / "Who is X?" question whose every term one passage holds, X being a name few passages
    use ("What is FAISS?", "Who is Lee Sedol?"): what the lessons say of it answers the question, however far
    the short question embeds from the passage (cosine 0.07-0.19, below SIMILARITY_FLOOR)."""
    rarest = min((df.get(t, 0) for t in terms), default=0)
    return bool(RARE_NAME) and covers >= 1.0 - 1e-9 and 0 < rarest <= RARE_DF and asks_what(question)


def coverage(terms: frozenset[str], passages: Sequence[frozenset[str]], df: Mapping[str, int], n_docs: int) -> float:
    """Best rarity-weighted share of `terms` that one passage holds; 0.0 without terms."""
    if not terms or not passages:
        return 0.0
    weight = {t: math.log((n_docs + 1) / (df.get(t, 0) + 0.5)) for t in terms}
    total = sum(weight.values())
    return max(sum(weight[t] for t in terms & p) / total for p in passages)


# Calibrated on 75 short learner questions and 62 off-topic ones (bench/data/learner_questions.json) and the
# quiz questions of corpus/ and the seeds course: bench/gate.py, docs/benchmarks.md "Refusal".
MIN_COVERAGE = 0.8
# learner-style questions (bench/data/learner_questions.json) have 1-5 terms; quiz questions mostly more
SHORT_QUESTION = 6
WEAK_COSINE = 0.45  # under it, a short question's cosine counts only with SHORT_COVERAGE (`close_in_meaning`)
SHORT_COVERAGE = 0.6
FEW_TERMS = 5  # "How do I pay attention in class?": 4 terms; a quiz question whose cosine is weak has 6 or more
# the rule's cosine threshold as the fitted gate was fitted with it: the settings' default, whatever a user sets
DEFAULT_EVIDENCE: float = Settings.model_fields["min_evidence"].default
SIMILARITY_FLOOR = 0.2  # below it, shared words alone ("How do I tie a tie?") do not count as evidence
RARE_NAME = 1  # 1: a "What is X?" naming what few passages hold is answered below the floor (`names_rare`)
RARE_DF = 3  # passages, at most, that hold the question's rarest term for it to be such a name

# The packaged all-MiniLM-L6-v2 reads English: a Spanish question scores cosine 0.46-0.56 with Spanish passages
# it has nothing to do with ("¿Cuál es la mejor receta de lasaña?"), and Spanish lesson questions 0.56-0.81.
# Outside English a question needs both a higher cosine and a share of its terms in one passage. Measured on
# corpus/'s 12 Spanish quiz questions, 5 short Spanish questions and 8 Spanish off-topic ones
# (tests/test_answers.py). A multilingual embedder (its `language` is "") drops the rule.
EMBEDDER_LANGUAGE = "en"  # all-MiniLM-L6-v2's
FOREIGN_OFFSET = 0.2
FOREIGN_COVERAGE = 0.38


# The fitted gate (tutor/fitted/weights.json, bench/fit.py) reads these of a retrieval, in this order.
FEATURES: tuple[str, ...] = (
    "similarity",  # best cosine of a top passage to the question
    "coverage",  # rarity-weighted share of the question's terms one top passage holds
    "held",  # the same share over the terms some passage of the index uses (1.0 when it uses none)
    "names_rare",  # a "What is X?" whose terms one passage holds, X named by few passages
    "lexical",  # plain share of the question's terms one top passage holds
    "unknown_share",  # share of the question's terms no passage uses
    "terms",  # how many terms, over 10 (at most 1)
    "few_terms",  # at most FEW_TERMS terms
    "similarity_x_coverage",
    "held_x_few_terms",  # a short question's share of its terms in one passage
    "close_in_meaning",  # the rule's cosine path (`close_in_meaning` at the default 0.35)
    "covers_most",  # the rule's term path: coverage >= MIN_COVERAGE over SIMILARITY_FLOOR
)


def row(
    similarity: float, coverage: float, held: float, names: bool, lexical: float, unknown: int, terms: int
) -> list[float]:
    """The gate's features of one retrieval, in FEATURES order."""
    return [
        similarity,
        coverage,
        held,
        float(names),
        lexical,
        unknown / max(1, terms),
        min(terms, 10) / 10,
        float(terms <= FEW_TERMS),
        similarity * coverage,
        held * float(terms <= FEW_TERMS),
        float(close_in_meaning(similarity, DEFAULT_EVIDENCE, held, terms)),
        float(coverage >= MIN_COVERAGE and similarity >= SIMILARITY_FLOOR),
    ]
