"""The [n] of an answer: its passages numbered so that it cites [1], [2] ... in order, and the sources as the
answer shows them (the sentences that back it highlighted, the cited ones first). Pure functions over the
turn's values; each returns new values and leaves its inputs as they were."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from tutor.events import KeySentence, SentenceCheck, Source


def numbered(keys: Sequence[KeySentence], sources: Sequence[Source]) -> tuple[list[KeySentence], list[Source]]:
    """The passages renumbered so that the answer reads [1], [2] ... in order: those of the key sentences first,
    in the order the key sentences come, then the others in retrieval order. New values; the prompt, the
    check and the page all see these numbers."""
    order = list(dict.fromkeys([k.number for k in keys] + [s.number for s in sources]))
    new = {old: i for i, old in enumerate(order, start=1)}
    renumbered = sorted((replace(s, number=new[s.number]) for s in sources), key=lambda s: s.number)
    return [replace(k, number=new[k.number]) for k in keys], renumbered


def cite(
    keys: Sequence[KeySentence], checks: Sequence[SentenceCheck], sources: Sequence[Source]
) -> tuple[list[Source], list[int]]:
    """(the sources as the answer shows them, the passage numbers it cites in order of first use): each source
    with the sentences that back the explanation and the key sentences highlighted, marked cited or not, the
    cited ones first in that order. New `Source` values; `sources` are left as they were."""
    cited = list(dict.fromkeys([k.number for k in keys] + [n for c in checks for n in c.citations]))
    spans: dict[int, list[tuple[int, int]]] = {}
    for number, span in [*((c.source, c.span) for c in checks), *((k.number, (k.start, k.end)) for k in keys)]:
        if span is not None and number is not None and span not in spans.setdefault(number, []):
            spans[number].append(span)
    shown = [replace(s, cited=s.number in cited, highlights=[*s.highlights, *spans.get(s.number, [])]) for s in sources]
    shown.sort(key=lambda s: (not s.cited, cited.index(s.number) if s.cited else s.number))
    return shown, cited


def other_language(asked: str | None, sources: Sequence[Source]) -> str:
    """The language of the passages an answer rests on when the question's own (`asked`, as the lessons tell
    it) is another: no lesson in that language covered it. "" when they agree or either is not known."""
    shown = sources[0].language if sources else ""
    return shown if asked and shown and shown != asked else ""
