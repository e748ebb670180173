"""Typed values the core hands to its edges (CLI, UI): answers, sources, events. Nobody parses display text.

Spans are character offsets, end exclusive: `start`/`end` into the lesson's source file; `highlights`
into the source's passage `text`.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Refusal = Literal["", "no_lessons", "not_covered", "filtered"]
"""Why a turn was refused: "" answered; "no_lessons" nothing is indexed (in scope); "not_covered" no lesson
covers the question; "filtered" the lessons in the learner's filter do not, the whole course does."""


@dataclass(kw_only=True)
class Source:
    number: int  # the [n] the model saw; 0 if the passage was retrieved but not put in the prompt
    chunk_id: str
    lesson_id: str
    path: str  # relative to the lessons directory
    title: str
    breadcrumb: str
    anchor: str
    language: str
    program: str
    start: int
    end: int
    score: float  # fused retrieval score
    similarity: float  # cosine similarity to the question
    text: str
    cited: bool = False
    highlights: list[tuple[int, int]] = field(default_factory=list)  # sentences that support the answer


@dataclass(kw_only=True)
class SentenceCheck:
    """One sentence of the model's explanation, attributed to a passage or withheld."""

    text: str
    supported: bool
    support: float  # best cosine similarity to a passage sentence
    source: int | None  # number of the passage that supports it best
    citations: list[int] = field(default_factory=list)  # shown after the sentence; [] when unsupported
    inferred: bool = False  # the citation was added by the check, not written by the model
    novel: list[str] = field(default_factory=list)  # its words that no passage uses (names, numbers, terms)
    span: tuple[int, int] | None = None  # the passage sentence that backs it in meaning, in source `source`'s text


@dataclass(kw_only=True)
class KeySentence:
    """A verbatim sentence (or a short run of them) of a retrieved passage that answers the question.
    `start`/`end` index the passage `text` of source `number`; `file_start`/`file_end` the lesson file
    when the passage text is a verbatim slice of it, else the passage's own span."""

    number: int  # the source's [n]
    text: str
    lesson_id: str
    title: str
    breadcrumb: str
    path: str
    start: int
    end: int
    file_start: int
    file_end: int
    score: float  # cosine to the question plus term overlap (key_sentences.py)


@dataclass
class Suggestion:
    lesson_id: str
    title: str
    path: str
    similarity: float


@dataclass
class Timings:
    embed_s: float = 0.0
    retrieve_s: float = 0.0
    prompt_build_s: float = 0.0
    prompt_tokens: int = 0
    key_s: float = 0.0  # from the question to the key sentences (what the learner sees first)
    ttft_s: float = 0.0  # from the question to the first model token
    llm_ttft_s: float = 0.0  # inside llama.cpp: prompt evaluation and the first decode
    check_s: float = 0.0
    total_s: float = 0.0
    completion_tokens: int = 0


@dataclass(kw_only=True)
class Answer:
    """A finished turn. What a learner reads as the answer is `key_sentences` (the lessons' own words)
    followed by the supported `sentences` of the model's explanation; unsupported ones are shown apart."""

    question: str
    text: str  # the answer as plain text: key sentences, then the supported explanation, with [n]
    refused: bool
    refusal: Refusal = ""  # why it was refused ("" when answered)
    sources: list[Source]
    citations: list[int]  # every passage number the answer cites, in order of first use
    quiz_hint: bool = False  # the question is one of the quizzes' own: `text` is a hint, sources what to read
    key_sentences: list[KeySentence] = field(default_factory=list)
    explanation: str = ""  # the model's text, trimmed to whole sentences, repeats removed
    sentences: list[SentenceCheck] = field(default_factory=list)  # the explanation, checked
    mostly_unsupported: bool = False  # then the key sentences stand as the answer
    suggestions: list[Suggestion] = field(default_factory=list)
    gpu_offload: bool | None = False  # None: unknown (the model runs on a server that does not say)
    timings: Timings = field(default_factory=lambda: Timings())
    retrieval_query: str = ""
    notice: str = ""  # in English, for the terminal and JSON: the question cut, or how it was read
    question_cut: int = 0  # a long question was cut to its first this many tokens (0: not cut)
    read_as: str = ""  # the question as searched, when words no lesson uses were respelt (search/spelling.py)
    unused: list[str] = field(default_factory=list)  # words of a short question no lesson uses (search/gate.py)
    scope: str = ""  # the lessons in scope in words when a filter was on ("Prompting (AI Foundations)")
    language: str = ""  # the question's language as the lessons tell it ("" when they do not)
    other_language: str = ""  # the passages' language, when no lesson in the question's language covered it
    id: str = field(default_factory=lambda: uuid.uuid4().hex)  # names this answer in a learner's feedback
    model_text: str = ""  # the raw generated text, kept for the next turn's prompt (KV-cache reuse)
    prompt_message: str = ""  # the user message the model was given this turn (excerpts and question)

    @property
    def explains(self) -> bool:
        """The model's explanation earns its place: one of its sentences is supported by a passage and says
        what the key sentences do not (repeats of them are dropped before the check). Otherwise the key
        sentences are the whole answer and the model's text is not shown, folded or flagged."""
        return any(s.supported for s in self.sentences)

    @property
    def flagged(self) -> list[str]:
        return [s.text for s in self.sentences if not s.supported] if self.explains else []

    @property
    def supported_text(self) -> str:
        """The explanation's supported sentences, with their citations."""
        return " ".join(f"{s.text} [{', '.join(map(str, s.citations))}]" for s in self.sentences if s.supported)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["answer"] = d.pop("text")
        d["flagged"] = self.flagged
        for k in ("model_text", "prompt_message"):
            d.pop(k)
        return d


@dataclass
class Retrieved:
    """First event of a turn: what the answer will rest on."""

    sources: list[Source]
    refused: bool


@dataclass
class KeySentences:
    """Second event, before any model token: the lessons' own sentences that answer the question."""

    sentences: list[KeySentence]


@dataclass
class Token:
    """A piece of the model's explanation as it is generated, not yet checked against the lessons."""

    text: str


@dataclass
class Done:
    answer: Answer


Event = Retrieved | KeySentences | Token | Done
