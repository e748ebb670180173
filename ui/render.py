"""Pure functions from the core's typed values to what the page shows: HTML strings, chat messages, choices.

Everything that came from a lesson or a learner (titles, passages, questions, answers) is escaped here with
`html.escape`: lesson text is data, so a `<script>` or `<img onerror>` in a lesson shows as text and runs
nothing. No gradio here; ui/app.py puts these strings on the page.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence

from tutor.events import Answer, Source, Suggestion
from ui import bubble
from ui.i18n import language_name, t
from ui.markdown import passage_html

ALL = ""  # the dropdown value meaning "no filter"
Links = Callable[[Source], str]  # a source -> its page on the course's site ("" when there is none)


def no_link(_: Source) -> str:
    return ""


CSS = """
.panel { font-size: 0.92em; line-height: 1.45; }
.panel h4 { margin: 0.6em 0 0.3em; }
.src { border: 1px solid #d0d7de; border-radius: 8px; padding: 0.5em 0.7em; margin: 0.5em 0; }
.src.cited { border-left: 4px solid #2da44e; }
.src header { display: flex; gap: 0.5em; align-items: baseline; flex-wrap: wrap; }
.src .num { font-weight: 700; color: #57606a; }
.src .lang { font-size: 0.8em; border: 1px solid #afb8c1; border-radius: 4px; padding: 0 0.3em; }
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
.src .text p, .src .text ul, .src .text ol { margin: 0.3em 0; }
.src .text table { border-collapse: collapse; font-size: 0.9em; }
.src .text th, .src .text td { border: 1px solid #d0d7de; padding: 0.15em 0.4em; }
.src .sim { display: none; }
.show-sim .src .sim { display: inline; }
.src .course { font-size: 0.85em; }
.src.flash { outline: 3px solid #0969da; }
#sources .answer.earlier { display: none; }
.answer .asked { margin: 0.2em 0 0.4em; }
"""

PAGE_CSS = """
#scope { margin: 0 0 0.3em; }
.scope { border-left: 4px solid #0969da; background: #ddf4ff; color: #0a3069; padding: 0.35em 0.7em;
  border-radius: 4px; font-weight: 600; }
.scope.all { border-left-color: #8c959f; background: #f6f8fa; color: #57606a; font-weight: 400; }
#ask-error:empty { display: none; }
#chat { height: clamp(300px, calc(100vh - 350px), 460px) !important; }  /* the box below it stays in view */
#program input, #lesson input, #language input, #practice-program input, #practice-lesson input {
  padding-right: 1.8em; text-overflow: ellipsis; }
.phone-sources { display: none; margin-top: 0.5em; }
.phone-sources > summary { cursor: pointer; font-weight: 600; }
@media (max-width: 720px) {
  .phone-sources { display: block; }
  #chat { height: max(280px, calc(100vh - 420px)) !important; }
  #side-panel { order: 2; }
  #side-panel #sources, #side-panel #show-sim { display: none; }
}
"""


def esc(text: object, quote: bool = True) -> str:
    return html.escape(str(text), quote=quote)


# --- passages ---------------------------------------------------------------------------------------
def passage_inline(text: str) -> str:
    """A sentence with its markdown emphasis shown, inline (no paragraph around it)."""
    out = passage_html(text).strip()
    return out[3:-4] if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1 else out


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


def score_bar(similarity: float, lang: str = "en") -> str:
    """Cosine similarity to the question as a bar: width = similarity, clipped to [0, 1]."""
    pct = round(max(0.0, min(1.0, similarity)) * 100)
    label = t(lang, "panel.similarity", value=f"{similarity:.2f}")
    return (
        f'<span class="bar" title="{label}"><span style="width:{pct}%"></span></span> '
        f'<small class="muted">{label}</small>'
    )


def section_of(s: Source) -> str:
    """The section path of a passage, without its lesson's title ("Lesson > A > B" -> "A › B")."""
    parts = [p.strip() for p in s.breadcrumb.split(" > ")]
    return " › ".join(parts[1:]) if len(parts) > 1 else ""


def source_card(s: Source, lang: str = "en", link: str = "", prefix: str = "src") -> str:
    """One passage: lesson and section, a link to the course's page for it (when `link`), the similarity (shown
    on demand), the passage rendered from markdown with its supporting sentences highlighted."""
    num = f'<span class="num">[{s.number}]</span>' if s.number else ""
    section = section_of(s)
    open_link = (
        f' <a class="course" href="{esc(link)}" target="_blank" rel="noopener noreferrer">'
        f"{esc(t(lang, 'panel.open_course'))} ↗</a>"
        if link
        else ""
    )
    return (
        f'<article class="src {"cited" if s.cited else "uncited"}" id="{prefix}-{s.number}" '
        f'data-lesson="{esc(s.lesson_id)}" title="{esc(s.path)}">'
        f'<header>{num}<strong class="title">{esc(s.title)}</strong>'
        f'<span class="lang">{esc(language_name(s.language))}</span></header>'
        f'<div class="crumb"><span class="section">{esc(section)}</span>{open_link}'
        f' <span class="sim">{score_bar(s.similarity, lang)}</span></div>'
        f'<div class="text">{passage_html(s.text, s.highlights)}</div></article>'
    )


def _folded(summary: str, sources: Sequence[Source], lang: str, links: Links, prefix: str = "src") -> str:
    if not sources:
        return ""
    cards = "".join(source_card(s, lang, links(s), prefix) for s in sources)
    return f"<details><summary>{esc(summary)} ({len(sources)})</summary>{cards}</details>"


def suggestions_html(suggestions: Sequence[Suggestion], lang: str = "en") -> str:
    if not suggestions:
        return ""
    items = "".join(f"<li><strong>{esc(s.title)}</strong></li>" for s in suggestions)
    return f'<h4>{esc(t(lang, "panel.closest"))}</h4><ul class="suggestions">{items}</ul>'


def answer_panel(answer: Answer, lang: str = "en", links: Links = no_link, turn: int = 0, latest: bool = True) -> str:
    """The sources of answer number `turn`: its cards have ids `src-TURN-N`, what its citation links name.
    An earlier answer's (`latest` False) is kept hidden until one of its citations is clicked. The model's
    unsupported sentences are not listed here: they stay greyed inside the answer's explanation."""
    said = bubble.notes(answer, lang)
    notice = f'<p class="warn">{esc(said)}</p>' if said and not answer.refused else ""
    kind = "answer refused" if answer.refused else "answer"
    head = (
        f'<div class="panel {kind}{"" if latest else " earlier"}" data-question="{esc(answer.question)}" '
        f'data-turn="{turn}"><p class="asked muted">{esc(t(lang, "panel.for", question=answer.question))}</p>'
    )
    prefix = f"src-{turn}"
    if answer.refused:
        weak = _folded(t(lang, "panel.weak"), answer.sources, lang, links, prefix)
        return (
            f'{head}<p class="warn">{esc(t(lang, "panel.not_covered"))}</p>'
            f"{suggestions_html(answer.suggestions, lang)}{weak}</div>"
        )
    return f"{head}{notice}{sources_html(answer, lang, links, prefix)}</div>"


def answers_panel(answers: Sequence[Answer], lang: str = "en", links: Links = no_link) -> str:
    """The sources panel after an answer: the newest answer's sources shown, each earlier answer's kept
    (hidden) so that its citations still open its own passages."""
    last = len(answers) - 1
    return "".join(answer_panel(a, lang, links, i, i == last) for i, a in enumerate(answers))


def sources_html(answer: Answer, lang: str = "en", links: Links = no_link, prefix: str = "src") -> str:
    cited = [s for s in answer.sources if s.cited]
    rest = [s for s in answer.sources if not s.cited]
    if cited:
        body = "".join(source_card(s, lang, links(s), prefix) for s in cited) + _folded(
            t(lang, "panel.uncited"), rest, lang, links, prefix
        )
    else:  # nothing cited: show what the answer was given to read, rather than an empty list
        body = f'<p class="muted">{esc(t(lang, "panel.no_cite"))}</p>' + "".join(
            source_card(s, lang, links(s), prefix) for s in rest
        )
    return f"<h4>{esc(t(lang, 'panel.sources'))}</h4>{body}"


def phone_sources(answer: Answer, lang: str = "en", links: Links = no_link, turn: int = 0) -> str:
    """The sources of answer number `turn`, folded, for its bubble: shown only on narrow screens (CSS), where
    the sources panel is hidden. Card ids are `m-src-TURN-N`, apart from the panel's."""
    if answer.refused or not answer.sources:
        return ""
    n = sum(s.cited for s in answer.sources) or len(answer.sources)
    return (
        f'<details class="phone-sources"><summary>{esc(t(lang, "panel.phone_sources", n=n))}</summary>'
        f"{sources_html(answer, lang, links, f'm-src-{turn}')}</details>"
    )


def retrieved_panel(sources: Sequence[Source], refused: bool, lang: str = "en") -> str:
    """While the answer streams: what it will rest on."""
    if refused:
        return f'<div class="panel"><p class="muted">{esc(t(lang, "panel.no_passage"))}</p></div>'
    titles = ", ".join(dict.fromkeys(esc(s.title) for s in sources))
    return f'<div class="panel"><p class="muted">{t(lang, "panel.answering", n=len(sources), titles=titles)}</p></div>'


def intro_html(lang: str = "en") -> str:
    return f'<div class="panel"><p class="muted">{esc(t(lang, "intro"))}</p></div>'


def error_html(message: str) -> str:
    return f'<div class="panel"><p class="error" role="alert">{esc(message)}</p></div>'


# --- chat -------------------------------------------------------------------------------------------
def chat_messages(
    answers: Sequence[Answer],
    question: str | None = None,
    pending: str = "",
    waiting: Sequence[str] = (),
    lang: str = "en",
    links: Links | None = None,
) -> list[dict[str, str]]:
    """Chatbot messages (openai format) for the finished answers, an in-progress one (`pending` is its bubble
    HTML from ui/bubble.py) and the questions waiting behind it; questions are escaped, so `<tags>` in them
    show literally. With `links`, each finished answer's bubble holds its own sources, folded, for phones."""
    msgs: list[dict[str, str]] = []
    for i, a in enumerate(answers):
        extra = phone_sources(a, lang, links, i) if links is not None else ""
        msgs += [
            {"role": "user", "content": bubble.text(a.question)},
            {"role": "assistant", "content": bubble.answer_bubble(a, lang, extra, i)},
        ]
    if question is not None:
        msgs.append({"role": "user", "content": bubble.text(question)})
        msgs.append({"role": "assistant", "content": pending or "…"})
    for q in waiting:
        msgs.append({"role": "user", "content": bubble.text(q)})
        msgs.append({"role": "assistant", "content": bubble.queued_bubble(lang)})
    return msgs
