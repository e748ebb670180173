"""Typed values the core hands to its edges (CLI, UI): answers, sources, events. Nobody parses display text.

Spans are character offsets, end exclusive: `start`/`end` into the lesson's source file; `highlights`
into the source's passage `text`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
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


@dataclass
class SentenceCheck:
    text: str
    supported: bool
    support: float  # best cosine similarity to a passage sentence
    source: int | None  # number of the passage that supports it best


@dataclass
class Quote:
    """Verbatim sentences of the best passage that best match the question."""

    text: str
    title: str
    breadcrumb: str
    path: str
    start: int
    end: int


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
    ttft_s: float = 0.0  # from the question to the first answer token
    llm_ttft_s: float = 0.0  # inside llama.cpp: prompt evaluation and the first decode
    check_s: float = 0.0
    total_s: float = 0.0
    completion_tokens: int = 0


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    sources: list[Source]
    citations: list[int]
    sentences: list[SentenceCheck]
    quote: Quote | None
    suggestions: list[Suggestion]
    gpu_offload: bool | None  # None: unknown (the model runs on a server that does not say)
    timings: Timings
    retrieval_query: str = ""
    notice: str = ""

    @property
    def flagged(self) -> list[str]:
        return [s.text for s in self.sentences if not s.supported]

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["answer"] = d.pop("text")
        d["flagged"] = self.flagged
        return d


@dataclass
class Retrieved:
    """First event of a turn: what the answer will rest on."""

    sources: list[Source]
    refused: bool


@dataclass
class Token:
    text: str


@dataclass
class Done:
    answer: Answer


Event = Retrieved | Token | Done
