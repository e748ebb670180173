"""Pure functions from the core's typed values to what the page shows: HTML strings, chat messages, choices.

Everything that came from a lesson or a learner (titles, passages, questions, answers) is escaped here with
`html.escape`: lesson text is data, so a `<script>` or `<img onerror>` in a lesson shows as text and runs
nothing. No gradio here; ui/app.py puts these strings on the page.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable, Sequence

from tutor.events import Answer, Source, Suggestion
from tutor.ingest.sync import SyncSummary
from tutor.store.manifest import Manifest
from ui import bubble

ALL = ""  # the dropdown value meaning "no filter"

CSS = """
.panel { font-size: 0.92em; line-height: 1.45; }
.panel h4 { margin: 0.6em 0 0.3em; }
.src { border: 1px solid #d0d7de; border-radius: 8px; padding: 0.5em 0.7em; margin: 0.5em 0; }
.src.cited { border-left: 4px solid #2da44e; }
.src header { display: flex; gap: 0.5em; align-items: baseline; flex-wrap: wrap; }
.src .num { font-weight: 700; color: #57606a; }
.src .lang { font-size: 0.8em; text-transform: uppercase; border: 1px solid #afb8c1; border-radius: 4px;
  padding: 0 0.3em; }
.src .crumb, .src .path { color: #57606a; font-size: 0.85em; }
.src .text { white-space: pre-wrap; margin: 0.4em 0 0; }
.src mark { background: #fff1a8; color: inherit; }
.bar { display: inline-block; width: 8em; height: 0.55em; background: #eaeef2; border-radius: 3px;
  vertical-align: middle; }
.bar span { display: block; height: 100%; background: #0969da; border-radius: 3px; }
.warn { border-left: 4px solid #d4a72c; background: #fff8c5; color: #3b2300; padding: 0.4em 0.7em; }
.error { border-left: 4px solid #cf222e; background: #ffebe9; color: #4d0b0c; padding: 0.4em 0.7em; }
.quote { border-left: 4px solid #8250df; padding: 0.3em 0.7em; margin: 0.5em 0; background: #fbefff;
  color: #21262d; }
.muted { color: #57606a; }
"""


def esc(text: object, quote: bool = True) -> str:
    return html.escape(str(text), quote=quote)


# --- passages ---------------------------------------------------------------------------------------
def highlighted(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` escaped, with the (start, end) character spans (end exclusive) wrapped in <mark>."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out += [esc(text[pos:start]), "<mark>", esc(text[start:end]), "</mark>"]
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def score_bar(similarity: float) -> str:
    """Cosine similarity to the question as a bar: width = similarity, clipped to [0, 1]."""
    pct = round(max(0.0, min(1.0, similarity)) * 100)
    label = f"similarity {similarity:.2f}"
    return (f'<span class="bar" title="{label}"><span style="width:{pct}%"></span></span> '
            f'<small class="muted">{label}</small>')


def source_card(s: Source) -> str:
    num = f'<span class="num">[{s.number}]</span>' if s.number else ""
    return (
        f'<article class="src {"cited" if s.cited else "uncited"}" id="src-{s.number}" '
        f'data-lesson="{esc(s.lesson_id)}">'
        f'<header>{num}<strong class="title">{esc(s.title)}</strong>'
        f'<span class="lang">{esc(s.language)}</span></header>'
        f'<div class="crumb">{score_bar(s.similarity)} &middot; {esc(s.breadcrumb)}</div>'
        f'<p class="text">{highlighted(s.text, s.highlights)}</p>'
        f'<div class="path">{esc(s.path)}</div></article>'
    )


def _folded(summary: str, sources: Sequence[Source]) -> str:
    if not sources:
        return ""
    cards = "".join(source_card(s) for s in sources)
    return f"<details><summary>{esc(summary)} ({len(sources)})</summary>{cards}</details>"


def suggestions_html(suggestions: Sequence[Suggestion]) -> str:
    if not suggestions:
        return ""
    items = "".join(f'<li><strong>{esc(s.title)}</strong> <span class="muted">{esc(s.path)}</span></li>'
                    for s in suggestions)
    return f'<h4>Lessons that come closest</h4><ul class="suggestions">{items}</ul>'


def unsupported_html(answer: Answer) -> str:
    flagged = answer.flagged
    if not flagged:
        return ""
    items = "".join(f"<li>{esc(t)}</li>" for t in flagged)
    return f'<div class="warn unsupported"><strong>Not backed by the lessons:</strong><ul>{items}</ul></div>'


def answer_panel(answer: Answer) -> str:
    """The sources panel for a finished answer."""
    notice = f'<p class="warn">{esc(answer.notice)}</p>' if answer.notice else ""
    kind = "answer refused" if answer.refused else "answer"
    head = f'<div class="panel {kind}" data-question="{esc(answer.question)}">'
    if answer.refused:
        weak = _folded("Closest passages, too far from the question to answer from", answer.sources)
        return (f'{head}{notice}<p class="warn">Not covered by the lessons.</p>'
                f"{suggestions_html(answer.suggestions)}{weak}</div>")
    cited = [s for s in answer.sources if s.cited]
    rest = [s for s in answer.sources if not s.cited]
    t = answer.timings
    gpu = "yes" if answer.gpu_offload else "no"
    timing = (f'<p class="muted">{len(answer.sources)} passages &middot; first token {t.ttft_s:.1f} s '
              f"&middot; {t.total_s:.1f} s in all &middot; GPU offload: {gpu}</p>")
    if cited:
        body = "".join(source_card(s) for s in cited) + _folded("Retrieved but not cited", rest)
    else:  # nothing cited: show what the answer was given to read, rather than an empty list
        body = '<p class="muted">The answer cites no passage; it was given these.</p>' + "".join(
            source_card(s) for s in rest)
    return f"{head}{notice}{unsupported_html(answer)}<h4>Sources</h4>{body}{timing}</div>"


def retrieved_panel(sources: Sequence[Source], refused: bool) -> str:
    """While the answer streams: what it will rest on."""
    if refused:
        return '<div class="panel"><p class="muted">No passage is close enough to answer from.</p></div>'
    titles = ", ".join(dict.fromkeys(esc(s.title) for s in sources))
    return f'<div class="panel"><p class="muted">Answering from {len(sources)} passages: {titles}</p></div>'


def error_html(message: str) -> str:
    return f'<div class="panel"><p class="error">{esc(message)}</p></div>'


# --- chat -------------------------------------------------------------------------------------------
def chat_messages(
    answers: Sequence[Answer], question: str | None = None, pending: str = ""
) -> list[dict[str, str]]:
    """Chatbot messages (openai format) for the finished answers plus an in-progress one (`pending` is
    its bubble HTML from ui/bubble.py); questions are escaped, so `<tags>` in them show literally."""
    msgs: list[dict[str, str]] = []
    for a in answers:
        msgs += [{"role": "user", "content": bubble.text(a.question)},
                 {"role": "assistant", "content": bubble.answer_bubble(a)}]
    if question is not None:
        msgs.append({"role": "user", "content": bubble.text(question)})
        msgs.append({"role": "assistant", "content": pending or "…"})
    return msgs


# --- index: filters, status, re-index ---------------------------------------------------------------
def program_choices(m: Manifest | None) -> list[tuple[str, str]]:
    programs = sorted({e.program for e in m.lessons.values()}) if m else []
    return [("All programs", ALL), *((p, p) for p in programs)]


def lesson_choices(m: Manifest | None, program: str | None = ALL) -> list[tuple[str, str]]:
    entries = [(lid, e) for lid, e in (m.lessons.items() if m else []) if not program or e.program == program]
    entries.sort(key=lambda x: (x[1].program, x[1].language, x[1].order if x[1].order is not None else 1e9,
                                x[1].title))
    return [("All lessons", ALL), *((f"{e.title} ({e.language})", lid) for lid, e in entries)]


def status_html(model: str, gpu_offload: bool | None, m: Manifest | None, now: float | None = None) -> str:
    gpu = "unknown" if gpu_offload is None else "yes" if gpu_offload else "no (CPU)"
    if m is None or not m.collection:
        index = '<span class="error">no index yet: press "Re-index lessons"</span>'
    else:
        chunks = sum(e.chunks for e in m.lessons.values())
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(m.indexed_at)) if m.indexed_at else "never"
        ago = _ago(m.indexed_at, now)
        index = f"{len(m.lessons)} lessons, {chunks} chunks &middot; last indexed {when}{ago}"
    return (f'<div class="panel status">Model <code>{esc(model)}</code> &middot; GPU offload: {gpu} '
            f"&middot; {index}</div>")


def _ago(t: float, now: float | None) -> str:
    if not t:
        return ""
    minutes = int(((now or time.time()) - t) // 60)
    return " (just now)" if minutes < 1 else f" ({minutes} min ago)" if minutes < 120 else ""


def sync_html(s: SyncSummary) -> str:
    parts = [f"<p><strong>{esc(s.line())}</strong></p>"]
    if s.rebuilt:
        parts.append(f'<p class="warn">{esc(s.rebuilt)}</p>')
    for label, ids in (("Added", s.added), ("Updated", s.updated), ("Removed", s.removed), ("Moved", s.moved),
                       ("Unreadable, previous version kept", s.kept)):
        if ids:
            parts.append(f"<h4>{label}</h4><ul>{''.join(f'<li>{esc(i)}</li>' for i in ids)}</ul>")
    if s.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in s.warnings)
        parts.append(f'<div class="warn"><strong>Warnings</strong><ul>{items}</ul></div>')
    return f'<div class="panel sync">{"".join(parts)}</div>'
